"""Prepared object assets: watertight visual mesh, convex collision pieces, mass properties.

An :class:`ObjectAsset` lives in its own **object frame**: origin at the centre of mass, axes
of the source mesh. Units are metres, kilograms, kg*m^2.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graspvla.assets.cache import atomic_write_bytes
from graspvla.errors import InvalidMeshError

__all__ = ["ObjectAsset", "asset_from_parts", "mass_properties", "validate_watertight"]

MeshArrays = tuple[np.ndarray, np.ndarray]


@dataclass
class ObjectAsset:
    """A simulation-ready rigid object.

    Attributes:
        name: unique asset name.
        category: instruction noun (e.g. ``"mug"``).
        vertices, faces: watertight visual mesh (V,3) float64 [m], (F,3) int32, object frame.
        collision: convex pieces [(V_i,3), (F_i,3)] in the object frame.
        mass: [kg]; inertia: (3,3) about the COM in the object frame [kg m^2].
        rgba: base colour (4,) in [0,1].
        density: [kg/m^3] used for mass.
        source: where it came from (procedural generator or file path).
    """

    name: str
    category: str
    vertices: np.ndarray
    faces: np.ndarray
    collision: list[MeshArrays]
    mass: float
    inertia: np.ndarray
    rgba: np.ndarray = field(default_factory=lambda: np.array([0.7, 0.7, 0.7, 1.0]))
    density: float = 500.0
    source: str = "procedural"

    @property
    def extents(self) -> np.ndarray:
        """Axis-aligned extents (3,) [m] in the object frame."""
        return np.ptp(self.vertices, axis=0)

    @property
    def min_width(self) -> float:
        """Smallest extent of the oriented bounding box [m] (must fit the gripper opening)."""
        import trimesh

        return float(trimesh.Trimesh(self.vertices, self.faces, process=False).bounding_box_oriented
                     .primitive.extents.min())

    def save(self, path: str | Path) -> Path:
        """Write the asset as one ``.npz`` atomically."""
        arrays: dict[str, np.ndarray] = {
            "vertices": self.vertices, "faces": self.faces, "inertia": self.inertia, "rgba": self.rgba,
            "mass": np.array(self.mass), "density": np.array(self.density),
            "meta": np.frombuffer(json.dumps({"name": self.name, "category": self.category,
                                              "source": self.source}).encode(), np.uint8),
            "n_parts": np.array(len(self.collision)),
        }
        for i, (v, f) in enumerate(self.collision):
            arrays[f"part{i}_v"], arrays[f"part{i}_f"] = v, f
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> "ObjectAsset":
        """Read an asset written by :meth:`save`; raises ``InvalidMeshError`` if unreadable."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode())
                n = int(z["n_parts"])
                return cls(name=meta["name"], category=meta["category"], vertices=z["vertices"],
                           faces=z["faces"], collision=[(z[f"part{i}_v"], z[f"part{i}_f"]) for i in range(n)],
                           mass=float(z["mass"]), inertia=z["inertia"], rgba=z["rgba"],
                           density=float(z["density"]), source=meta["source"])
        except (OSError, KeyError, ValueError) as e:
            raise InvalidMeshError(f"asset file {str(path)!r} is unreadable or truncated ({e}); "
                                   "delete it and re-import the source mesh") from e


def validate_watertight(vertices: np.ndarray, faces: np.ndarray, what: str = "mesh") -> None:
    """Raise ``InvalidMeshError`` unless the mesh is a closed, consistently wound 2-manifold."""
    if len(faces) < 4 or len(vertices) < 4:
        raise InvalidMeshError(f"{what} has {len(vertices)} vertices / {len(faces)} faces; need a closed surface")
    f = np.sort(np.asarray(faces), axis=1)
    edges = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [0, 2]]])
    _, counts = np.unique(edges, axis=0, return_counts=True)
    if np.any(counts != 2):
        bad = int(np.sum(counts != 2))
        raise InvalidMeshError(f"{what} is not watertight/manifold: {bad} edges are not shared by exactly "
                               "two faces; repair it (fill holes, remove non-manifold edges) first")


def mass_properties(vertices: np.ndarray, faces: np.ndarray, density: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Mass [kg], centre of mass (3,) [m] and inertia (3,3) about the COM of a closed mesh."""
    v = np.asarray(vertices, np.float64)
    tri = v[np.asarray(faces)]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    vol6 = np.einsum("ij,ij->i", a, np.cross(b, c))  # 6 x signed tetra volume (origin apex)
    vol = vol6.sum() / 6.0
    if not np.isfinite(vol) or vol <= 0:
        raise InvalidMeshError(f"mesh encloses a non-positive volume ({vol:.3g} m^3): inverted or open surface")
    com = (vol6[:, None] * (a + b + c)).sum(0) / (24.0 * vol)
    # second moments of each tetra (origin, a, b, c) via the canonical covariance formula
    s = a + b + c
    cov = (vol6[:, None, None] / 120.0) * (np.einsum("ni,nj->nij", a, a) + np.einsum("ni,nj->nij", b, b)
                                           + np.einsum("ni,nj->nij", c, c) + np.einsum("ni,nj->nij", s, s))
    C = cov.sum(0) * density
    mass = density * vol
    C = C - mass * np.outer(com, com)
    inertia = np.trace(C) * np.eye(3) - C
    return float(mass), com, inertia


def asset_from_parts(name: str, category: str, visual: MeshArrays, parts: list[MeshArrays], density: float,
                     rgba: np.ndarray, max_width: float | None = None, source: str = "procedural") -> ObjectAsset:
    """Assemble an asset: validate, recentre at the COM, rescale to fit ``max_width``, mass props."""
    v, f = np.asarray(visual[0], np.float64), np.asarray(visual[1], np.int32)
    validate_watertight(v, f, f"{category} visual mesh")
    scale = 1.0
    if max_width is not None:
        import trimesh

        w = trimesh.Trimesh(v, f, process=False).bounding_box_oriented.primitive.extents.min()
        if w > max_width:
            scale = max_width / w
    v = v * scale
    parts = [(np.asarray(pv, np.float64) * scale, np.asarray(pf, np.int32)) for pv, pf in parts]
    mass, com, inertia = mass_properties(v, f, density)
    v = v - com
    parts = [(pv - com, pf) for pv, pf in parts]
    return ObjectAsset(name=name, category=category, vertices=v, faces=f, collision=parts, mass=mass,
                       inertia=inertia, rgba=np.asarray(rgba, np.float64), density=density, source=source)
