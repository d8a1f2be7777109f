"""Rotation conversions (numpy, vectorised over leading dimensions)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def euler_to_matrix(rpy: ArrayLike) -> F:
    """``sxyz`` Euler angles (..., 3) [rad] -> rotation matrices (..., 3, 3)."""
    a = np.asarray(rpy, dtype=np.float64)
    r, p, y = a[..., 0], a[..., 1], a[..., 2]
    cr, sr, cp, sp, cy, sy = np.cos(r), np.sin(r), np.cos(p), np.sin(p), np.cos(y), np.sin(y)
    R = np.empty(a.shape[:-1] + (3, 3))
    R[..., 0, 0] = cy * cp
    R[..., 0, 1] = cy * sp * sr - sy * cr
    R[..., 0, 2] = cy * sp * cr + sy * sr
    R[..., 1, 0] = sy * cp
    R[..., 1, 1] = sy * sp * sr + cy * cr
    R[..., 1, 2] = sy * sp * cr - cy * sr
    R[..., 2, 0] = -sp
    R[..., 2, 1] = cp * sr
    R[..., 2, 2] = cp * cr
    return R


def matrix_to_euler(R: ArrayLike) -> F:
    """Rotation matrices (..., 3, 3) -> ``sxyz`` Euler angles (..., 3) [rad]; pitch in
    [-pi/2, pi/2], roll/yaw in (-pi, pi]. At gimbal lock roll is set to 0."""
    M = np.asarray(R, dtype=np.float64)
    cp = np.hypot(M[..., 0, 0], M[..., 1, 0])
    pitch = np.arctan2(-M[..., 2, 0], cp)
    regular = cp > 1e-9
    roll = np.where(regular, np.arctan2(M[..., 2, 1], M[..., 2, 2]), 0.0)
    yaw = np.where(regular, np.arctan2(M[..., 1, 0], M[..., 0, 0]), np.arctan2(-M[..., 0, 1], M[..., 1, 1]))
    return np.stack([roll, pitch, yaw], axis=-1)


def axis_angle_to_matrix(rotvec: ArrayLike) -> F:
    """Rotation vectors (..., 3) (axis * angle [rad]) -> matrices (..., 3, 3) (Rodrigues)."""
    v = np.asarray(rotvec, dtype=np.float64)
    theta = np.linalg.norm(v, axis=-1)[..., None, None]
    K = np.zeros(v.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2] = -v[..., 2], v[..., 1]
    K[..., 1, 0], K[..., 1, 2] = v[..., 2], -v[..., 0]
    K[..., 2, 0], K[..., 2, 1] = -v[..., 1], v[..., 0]
    small = theta < 1e-12
    safe = np.where(small, 1.0, theta)
    A = np.where(small, 1.0, np.sin(safe) / safe)
    B = np.where(small, 0.5, (1.0 - np.cos(safe)) / (safe * safe))
    return np.eye(3) + A * K + B * (K @ K)


def matrix_to_axis_angle(R: ArrayLike) -> F:
    """Rotation matrices (..., 3, 3) -> rotation vectors (..., 3), angle in [0, pi]."""
    q = matrix_to_quat(R)
    w = np.clip(q[..., 0], -1.0, 1.0)
    xyz = q[..., 1:]
    sign = np.where(w < 0, -1.0, 1.0)[..., None]
    xyz, w = xyz * sign, np.abs(w)
    s = np.linalg.norm(xyz, axis=-1)
    angle = 2.0 * np.arctan2(s, w)
    scale = np.where(s < 1e-12, 2.0, angle / np.where(s < 1e-12, 1.0, s))
    return xyz * scale[..., None]


def quat_to_matrix(q: ArrayLike) -> F:
    """Quaternions (..., 4) in (w, x, y, z) order -> matrices (..., 3, 3). Normalises first."""
    a = np.asarray(q, dtype=np.float64)
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    w, x, y, z = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    R = np.empty(a.shape[:-1] + (3, 3))
    R[..., 0, 0] = 1 - 2 * (y * y + z * z)
    R[..., 0, 1] = 2 * (x * y - z * w)
    R[..., 0, 2] = 2 * (x * z + y * w)
    R[..., 1, 0] = 2 * (x * y + z * w)
    R[..., 1, 1] = 1 - 2 * (x * x + z * z)
    R[..., 1, 2] = 2 * (y * z - x * w)
    R[..., 2, 0] = 2 * (x * z - y * w)
    R[..., 2, 1] = 2 * (y * z + x * w)
    R[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return R


def matrix_to_quat(R: ArrayLike) -> F:
    """Matrices (..., 3, 3) -> unit quaternions (..., 4) (w, x, y, z) with w >= 0."""
    M = np.asarray(R, dtype=np.float64)
    tr = M[..., 0, 0] + M[..., 1, 1] + M[..., 2, 2]
    # Four candidate formulas; pick the numerically largest pivot per matrix.
    cands = np.stack([
        np.stack([1 + tr, M[..., 2, 1] - M[..., 1, 2], M[..., 0, 2] - M[..., 2, 0], M[..., 1, 0] - M[..., 0, 1]], -1),
        np.stack([M[..., 2, 1] - M[..., 1, 2], 1 + M[..., 0, 0] - M[..., 1, 1] - M[..., 2, 2],
                  M[..., 0, 1] + M[..., 1, 0], M[..., 0, 2] + M[..., 2, 0]], -1),
        np.stack([M[..., 0, 2] - M[..., 2, 0], M[..., 0, 1] + M[..., 1, 0],
                  1 - M[..., 0, 0] + M[..., 1, 1] - M[..., 2, 2], M[..., 1, 2] + M[..., 2, 1]], -1),
        np.stack([M[..., 1, 0] - M[..., 0, 1], M[..., 0, 2] + M[..., 2, 0], M[..., 1, 2] + M[..., 2, 1],
                  1 - M[..., 0, 0] - M[..., 1, 1] + M[..., 2, 2]], -1),
    ], axis=-2)
    pivots = np.stack([1 + tr, 1 + M[..., 0, 0] - M[..., 1, 1] - M[..., 2, 2],
                       1 - M[..., 0, 0] + M[..., 1, 1] - M[..., 2, 2], 1 - M[..., 0, 0] - M[..., 1, 1] + M[..., 2, 2]], -1)
    best = np.argmax(pivots, axis=-1)
    q = np.take_along_axis(cands, best[..., None, None], axis=-2)[..., 0, :]
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def pose_from_xyz_rpy(xyz_rpy: ArrayLike) -> F:
    """(..., 6) [x, y, z (m), roll, pitch, yaw (rad, sxyz)] -> 4x4 poses (..., 4, 4)."""
    a = np.asarray(xyz_rpy, dtype=np.float64)
    T = np.zeros(a.shape[:-1] + (4, 4))
    T[..., :3, :3] = euler_to_matrix(a[..., 3:6])
    T[..., :3, 3] = a[..., :3]
    T[..., 3, 3] = 1.0
    return T


def pose_to_xyz_rpy(T: ArrayLike) -> F:
    """4x4 poses (..., 4, 4) -> (..., 6) [x, y, z, roll, pitch, yaw] (sxyz)."""
    M = np.asarray(T, dtype=np.float64)
    return np.concatenate([M[..., :3, 3], matrix_to_euler(M[..., :3, :3])], axis=-1)
