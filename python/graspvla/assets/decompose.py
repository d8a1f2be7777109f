"""Convex decomposition (CoACD) cached on disk by content hash.

MuJoCo collides every mesh geom as its convex hull, so concave user meshes need a
decomposition. It is slow (seconds to minutes), so it runs once per distinct mesh and
parameter set and is stored atomically under ``<cache>/coacd/<hash>.npz``; the generation
loop only ever reads the cache.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

from graspvla.assets.cache import cache_dir, cached_npz, content_hash

__all__ = ["DecompositionConfig", "convex_decomposition", "convex_hull_parts"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecompositionConfig:
    """CoACD parameters (see the CoACD paper); defaults trade accuracy for speed."""

    threshold: float = 0.1  # concavity threshold (lower = more parts, slower)
    max_convex_hull: int = 16
    resolution: int = 1000
    mcts_iterations: int = 60
    mcts_max_depth: int = 2
    preprocess_resolution: int = 30
    seed: int = 0


def convex_hull_parts(vertices: np.ndarray, faces: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """A single convex piece: the convex hull of the mesh."""
    import trimesh

    h = trimesh.Trimesh(vertices, faces, process=False).convex_hull
    return [(np.asarray(h.vertices), np.asarray(h.faces, np.int32))]


def convex_decomposition(vertices: np.ndarray, faces: np.ndarray,
                         config: DecompositionConfig = DecompositionConfig()) -> list[tuple[np.ndarray, np.ndarray]]:
    """Convex pieces [(V_i,3), (F_i,3)] of a watertight mesh via CoACD, cached by content hash."""
    v = np.ascontiguousarray(vertices, np.float64)
    f = np.ascontiguousarray(faces, np.int32)
    key = content_hash(v, f, repr(sorted(asdict(config).items())))
    path = cache_dir("coacd") / f"{key}.npz"

    def compute() -> dict[str, np.ndarray]:
        import coacd

        coacd.set_log_level("error")
        parts = coacd.run_coacd(coacd.Mesh(v, f), threshold=config.threshold,
                                max_convex_hull=config.max_convex_hull, resolution=config.resolution,
                                mcts_iterations=config.mcts_iterations, mcts_max_depth=config.mcts_max_depth,
                                preprocess_resolution=config.preprocess_resolution, seed=config.seed)
        log.info("CoACD: %d convex parts for mesh %s", len(parts), key)
        out: dict[str, np.ndarray] = {"n": np.array(len(parts))}
        for i, (pv, pf) in enumerate(parts):
            out[f"v{i}"], out[f"f{i}"] = np.asarray(pv, np.float64), np.asarray(pf, np.int32)
        return out

    z = cached_npz(path, compute)
    return [(z[f"v{i}"], z[f"f{i}"]) for i in range(int(z["n"]))]
