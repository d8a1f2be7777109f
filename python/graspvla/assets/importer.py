"""Import user meshes (OBJ, STL, PLY, GLB/GLTF, OFF) as simulation-ready :class:`ObjectAsset`.

Pipeline: read -> units -> repair (merge vertices, drop degenerate/duplicate faces, fix
winding, fill small holes) -> watertight check -> size checks / normalisation -> recentre at
the COM -> convex decomposition (CoACD, cached) -> mass/inertia from density.
Every failure raises :class:`graspvla.errors.InvalidMeshError` naming the file and the problem.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from graspvla.assets.decompose import DecompositionConfig, convex_decomposition, convex_hull_parts
from graspvla.assets.mesh import ObjectAsset, asset_from_parts, validate_watertight
from graspvla.errors import InvalidMeshError

__all__ = ["ImportConfig", "import_mesh", "SUPPORTED_SUFFIXES"]

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".obj", ".stl", ".ply", ".glb", ".gltf", ".off")
_UNIT = {"m": 1.0, "cm": 0.01, "mm": 0.001}


@dataclass(frozen=True)
class ImportConfig:
    """How to turn a user mesh into an asset.

    Attributes:
        units: ``"m"``, ``"cm"``, ``"mm"`` or ``"auto"`` (largest extent > 3 means millimetres,
            > 0.3 ... 3 stays metres unless ``target_size`` is given).
        target_size: if set, rescale so the largest extent equals this [m] (Objaverse-style
            normalisation); otherwise the size must lie in [min_size, max_size].
        min_size, max_size: accepted largest extent after unit conversion [m].
        max_width: the smallest OBB extent is rescaled down to this if larger (graspable).
        density: [kg/m^3]. collision: ``"coacd"`` (cached) or ``"hull"``.
        max_faces: reject meshes with more faces (huge files) before any processing.
    """

    units: Literal["auto", "m", "cm", "mm"] = "auto"
    target_size: float | None = None
    min_size: float = 0.01
    max_size: float = 0.5
    max_width: float | None = 0.07
    density: float = 500.0
    collision: Literal["coacd", "hull"] = "coacd"
    decomposition: DecompositionConfig = DecompositionConfig()
    max_faces: int = 500_000


def _read(path: Path):
    import trimesh

    if not path.exists():
        raise InvalidMeshError(f"mesh file {str(path)!r} does not exist")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InvalidMeshError(f"mesh file {str(path)!r}: unsupported format {path.suffix!r}; "
                               f"use one of {SUPPORTED_SUFFIXES}")
    try:
        mesh = trimesh.load(path, force="mesh", process=False)
    except Exception as e:
        raise InvalidMeshError(f"mesh file {str(path)!r} is unreadable: {type(e).__name__}: {e}") from e
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise InvalidMeshError(f"mesh file {str(path)!r} contains no triangles")
    if not np.all(np.isfinite(mesh.vertices)):
        raise InvalidMeshError(f"mesh file {str(path)!r} has NaN/infinite vertex coordinates")
    return mesh


def import_mesh(path: str | Path, category: str, name: str | None = None,
                config: ImportConfig = ImportConfig(), rgba: np.ndarray | None = None) -> ObjectAsset:
    """Read, validate, repair and prepare one user mesh; see the module docstring.

    Raises:
        InvalidMeshError: unreadable file, no triangles, too many faces, not watertight after
            repair (non-manifold), absurd size (huge or tiny), zero volume.
    """
    import trimesh

    path = Path(path)
    mesh = _read(path)
    if len(mesh.faces) > config.max_faces:
        raise InvalidMeshError(f"mesh file {str(path)!r} has {len(mesh.faces)} faces > max_faces="
                               f"{config.max_faces}; decimate it first")
    # --- units
    ext = float(np.ptp(mesh.vertices, axis=0).max())
    if ext <= 0:
        raise InvalidMeshError(f"mesh file {str(path)!r} is degenerate (zero extent)")
    units = config.units
    if units == "auto":
        units = "mm" if ext > 3.0 else "m"
        if units != "m":
            log.info("%s: largest extent %.3g assumed to be in %s", path, ext, units)
    mesh.apply_scale(_UNIT[units])
    # --- repair
    mesh.merge_vertices()
    mesh.update_faces(mesh.nondegenerate_faces(height=1e-9))
    mesh.update_faces(mesh.unique_faces())
    mesh.remove_unreferenced_vertices()
    trimesh.repair.fix_winding(mesh)
    trimesh.repair.fill_holes(mesh)
    trimesh.repair.fix_inversion(mesh)
    try:
        validate_watertight(mesh.vertices, mesh.faces, f"mesh file {str(path)!r}")
    except InvalidMeshError as e:
        raise InvalidMeshError(f"{e} (after automatic repair)") from None
    if mesh.volume <= 0:
        raise InvalidMeshError(f"mesh file {str(path)!r} encloses no volume")
    # --- size
    ext = float(np.ptp(mesh.vertices, axis=0).max())
    if config.target_size is not None:
        mesh.apply_scale(config.target_size / ext)
    elif ext > config.max_size:
        raise InvalidMeshError(f"mesh file {str(path)!r} is huge: largest extent {ext:.3g} m > max_size="
                               f"{config.max_size} m; pass units= or target_size=")
    elif ext < config.min_size:
        raise InvalidMeshError(f"mesh file {str(path)!r} is tiny: largest extent {ext:.3g} m < min_size="
                               f"{config.min_size} m; pass units= or target_size=")
    v, f = np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces, np.int32)
    # rescale before decomposing so the cached parts match the final geometry
    if config.max_width is not None:
        w = float(mesh.bounding_box_oriented.primitive.extents.min())
        if w > config.max_width:
            v = v * (config.max_width / w)
    parts = convex_decomposition(v, f, config.decomposition) if config.collision == "coacd" \
        else convex_hull_parts(v, f)
    if rgba is None:
        rgba = np.array([0.7, 0.7, 0.7, 1.0])
    return asset_from_parts(name=name or path.stem, category=category, visual=(v, f), parts=parts,
                            density=config.density, rgba=rgba, max_width=None, source=str(path))
