"""Calibrated cameras: where the model's image-space target lies in the robot base frame.

Beyond GraspVLA, which never uses camera calibration: its cameras are randomised in training,
so the model must turn two image positions into a base-frame grasp without knowing where the
cameras are. The tiny model does that to a median 6-8 cm on the benchmark, while the action
expert needs about 3 cm (README, "What limits it"). A deployment with calibrated cameras (a
standard hand-eye calibration on a Franka cell) knows the rays: intersecting the rays through
the point each view's queried keypoint puts the named object at gives its position with only
the keypoints' image error (with :func:`locate_target`'s multi-view vote, a median 1.3 cm on the
benchmark's first frames; 0.2 cm from the true box centres). The model still finds the object, names which one, and chooses the grasp
orientation; geometry only replaces the learnt 2D -> 3D regression.

Conventions: image points are (x right, y down) in [-1, 1] over the whole image (the model's
keypoint convention; -1 is the left / top edge); poses are camera-to-base 4x4 transforms in
the OpenCV camera convention (z forward, x right, y down); metres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graspvla.errors import InvalidInputError

__all__ = ["CameraCalibration", "load_cameras", "locate_target", "triangulate"]


@dataclass(frozen=True)
class CameraCalibration:
    """One pinhole camera.

    Attributes:
        intrinsics: 3x3 matrix K [px] for images of ``size`` (pixel centres at +0.5).
        pose: 4x4 camera-to-base transform (OpenCV camera axes) [m].
        size: (height, width) [px] of the images ``intrinsics`` describes.
    """

    intrinsics: np.ndarray
    pose: np.ndarray
    size: tuple[int, int]

    def __post_init__(self) -> None:
        K = np.asarray(self.intrinsics, dtype=np.float64)
        T = np.asarray(self.pose, dtype=np.float64)
        if K.shape != (3, 3) or not np.all(np.isfinite(K)) or K[0, 0] <= 0 or K[1, 1] <= 0 \
                or not np.allclose(K[2], [0.0, 0.0, 1.0]):
            raise InvalidInputError(f"camera intrinsics: expected a finite 3x3 pinhole matrix with positive focal "
                                    f"lengths and last row [0, 0, 1], got {K.tolist()}")
        R = T[:3, :3] if T.shape == (4, 4) else None
        if R is None or not np.all(np.isfinite(T)) or not np.allclose(R.T @ R, np.eye(3), atol=1e-5) \
                or np.linalg.det(R) <= 0 or not np.allclose(T[3], [0.0, 0.0, 0.0, 1.0]):
            raise InvalidInputError("camera pose: expected a finite 4x4 rigid transform (camera-to-base)")
        h, w = (int(v) for v in self.size)
        if h <= 0 or w <= 0:
            raise InvalidInputError(f"camera size: expected (height, width) > 0 [px], got {self.size}")
        object.__setattr__(self, "intrinsics", K)
        object.__setattr__(self, "pose", T)
        object.__setattr__(self, "size", (h, w))

    def ray(self, point: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """The base-frame ray (origin [m], unit direction) through an image point (x right,
        y down, in [-1, 1])."""
        x, y = (float(v) for v in point)
        h, w = self.size
        d = np.linalg.solve(self.intrinsics, np.array([(x + 1.0) * 0.5 * w, (y + 1.0) * 0.5 * h, 1.0]))
        d = self.pose[:3, :3] @ d
        return self.pose[:3, 3].copy(), d / np.linalg.norm(d)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Base-frame points (N, 3) [m] -> image points (N, 2) in [-1, 1] (x right, y down);
        NaN for points behind the camera."""
        P = np.atleast_2d(np.asarray(points, dtype=np.float64))
        Tinv = np.linalg.inv(self.pose)
        c = P @ Tinv[:3, :3].T + Tinv[:3, 3]
        uv = c @ self.intrinsics.T
        with np.errstate(divide="ignore", invalid="ignore"):
            px = uv[:, :2] / uv[:, 2:3]
        h, w = self.size
        out = np.stack([px[:, 0] / w * 2.0 - 1.0, px[:, 1] / h * 2.0 - 1.0], -1)
        out[c[:, 2] <= 0] = np.nan
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"intrinsics": self.intrinsics.tolist(), "pose": self.pose.tolist(), "size": list(self.size)}

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> CameraCalibration:
        """From :meth:`to_dict`'s layout (e.g. JSON); raises InvalidInputError when malformed."""
        try:
            return CameraCalibration(np.asarray(d["intrinsics"], dtype=np.float64),
                                     np.asarray(d["pose"], dtype=np.float64), tuple(d["size"]))  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInputError(f"camera calibration: expected intrinsics, pose and size, got {e!r}") from e


def load_cameras(path: str, names: Sequence[str] = ("front", "side")) -> tuple[CameraCalibration, ...]:
    """The calibration of the named cameras from a JSON file ``{name: {"intrinsics": 3x3,
    "pose": 4x4 camera-to-base (OpenCV axes), "size": [height, width]}, ...}``, in ``names``'
    order; raises :class:`InvalidInputError` naming what is missing or malformed."""
    import json
    from pathlib import Path

    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise InvalidInputError(f"camera calibration {path}: cannot read it as JSON ({e})") from e
    if not isinstance(data, dict) or any(n not in data for n in names):
        raise InvalidInputError(f"camera calibration {path}: expected an object with the cameras {list(names)}")
    return tuple(CameraCalibration.from_dict(data[n]) for n in names)


def triangulate(cameras: Sequence[CameraCalibration], points: np.ndarray) -> tuple[np.ndarray, float]:
    """The base-frame point [m] nearest (least squares) to the rays through ``points`` (V, 2)
    (image points in [-1, 1], one per camera), and its largest distance to any of them [m]
    (how far the views disagree). NaN and infinity when the rays are (nearly) parallel or
    fewer than two points are finite; rows with NaN are skipped."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) != len(cameras):
        raise InvalidInputError(f"triangulate: one image point per camera, got {len(pts)} for {len(cameras)}")
    rays = [cam.ray(p) for cam, p in zip(cameras, pts) if np.all(np.isfinite(p))]
    if len(rays) < 2:
        return np.full(3, np.nan), float("inf")
    A, b = np.zeros((3, 3)), np.zeros(3)
    for o, d in rays:
        M = np.eye(3) - np.outer(d, d)  # projects onto the plane normal to the ray
        A += M
        b += M @ o
    if np.linalg.cond(A) > 1e8:
        return np.full(3, np.nan), float("inf")
    x = np.linalg.solve(A, b)
    residual = max(float(np.linalg.norm((np.eye(3) - np.outer(d, d)) @ (x - o))) for o, d in rays)
    return x, residual


def locate_target(cameras: Sequence[CameraCalibration], log_probs: np.ndarray, low: Sequence[float],
                  high: Sequence[float], step: float = 0.01, window: int = 2
                  ) -> tuple[np.ndarray, float]:
    """The base-frame point [m] where the views agree the named object is, from per-view maps of
    where it is: ``log_probs`` (V, H, W), log-probabilities over an H x W grid of cells covering
    each image (the model's keypoint-0 maps), one view per camera.

    1. Every point of a ``2 step`` [m] grid over the box ``low``..``high`` [m, base frame] (the
       workspace), then of a ``step`` grid around the best of them, is scored by the sum over
       views of the log-probability of the cell it projects to (views it falls outside of count
       as their least likely cell). The best point is where both views' maps agree: a view whose
       strongest cell is on another object is outvoted where its map still puts weight on the
       object the other view sees.
    2. Refinement below the grid: in each view, the probability-weighted mean image position of
       the ``(2 window + 1)^2`` cells around the best point's cell; those points are
       triangulated (:func:`triangulate`); the grid point only if that fails (parallel rays).

    Returns the point and its largest distance to the refined rays [m] (how far the views
    disagree)."""
    L = np.asarray(log_probs, dtype=np.float64)
    if L.ndim != 3 or len(L) != len(cameras):
        raise InvalidInputError(f"locate_target: expected (views={len(cameras)}, H, W) maps, got {L.shape}")
    if not np.all(np.isfinite(L)):
        raise InvalidInputError("locate_target: the maps contain NaN or infinite values")
    lo, hi = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    if lo.shape != (3,) or hi.shape != (3,) or not np.all(lo < hi) or not step > 0:
        raise InvalidInputError(f"locate_target: expected a box low < high (3,) [m] and step > 0, got {lo}, {hi}, {step}")
    V, H, W = L.shape
    floor = L.reshape(V, -1).min(1)

    def scores(P: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        total = np.zeros(len(P))
        cells = []
        for v, (cam, m) in enumerate(zip(cameras, L)):
            uv = cam.project(P)
            inside = np.all(np.abs(np.nan_to_num(uv, nan=2.0)) < 1.0, 1)
            j = np.clip(((np.nan_to_num(uv[:, 0]) + 1.0) * 0.5 * W).astype(int), 0, W - 1)
            i = np.clip(((np.nan_to_num(uv[:, 1]) + 1.0) * 0.5 * H).astype(int), 0, H - 1)
            total += np.where(inside, m[i, j], floor[v])
            cells.append((i, j))
        return total, cells

    # coarse (2 step) over the box, then ``step`` around the best coarse point
    coarse = [np.arange(a, b + step, 2.0 * step) for a, b in zip(lo, hi)]
    P = np.stack(np.meshgrid(*coarse, indexing="ij"), -1).reshape(-1, 3)
    score, _ = scores(P)
    c = P[int(np.argmax(score))]
    fine = [np.clip(np.arange(x - 2.0 * step, x + 2.5 * step, step), a, b) for x, a, b in zip(c, lo, hi)]
    P = np.stack(np.meshgrid(*fine, indexing="ij"), -1).reshape(-1, 3)
    score, cells = scores(P)
    best = int(np.argmax(score))
    grid_point = P[best]
    points = np.full((V, 2), np.nan)
    for v, (m, (i, j)) in enumerate(zip(L, cells)):
        ci, cj = i[best], j[best]
        i0, i1, j0, j1 = max(0, ci - window), min(H, ci + window + 1), max(0, cj - window), min(W, cj + window + 1)
        w = np.exp(m[i0:i1, j0:j1] - m[i0:i1, j0:j1].max())
        ys = (np.arange(i0, i1) + 0.5) * (2.0 / H) - 1.0
        xs = (np.arange(j0, j1) + 0.5) * (2.0 / W) - 1.0
        points[v] = [(w.sum(0) @ xs) / w.sum(), (w.sum(1) @ ys) / w.sum()]
    refined, residual = triangulate(cameras, points)
    if np.all(np.isfinite(refined)):
        return refined, residual
    rays = [cam.ray(p) for cam, p in zip(cameras, points)]
    return grid_point, max(float(np.linalg.norm((np.eye(3) - np.outer(d, d)) @ (grid_point - o))) for o, d in rays)
