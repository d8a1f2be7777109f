"""GraspVLA's action convention: step-to-step end-effector deltas in the base frame.

An action is ``[dx, dy, dz, droll, dpitch, dyaw, g]``: the translation is added
(p' = p + d), the rotation is left-multiplied (R' = R(drpy) @ R, sxyz Euler), and ``g`` is
the gripper target in [0, 1] (1 = open). A chunk of H actions chains from the current pose.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graspvla.geometry.rotations import euler_to_matrix, matrix_to_euler

F = NDArray[np.float64]

__all__ = ["apply_delta", "chain_deltas", "delta_between", "deltas_from_poses"]


def apply_delta(pose: ArrayLike, action: ArrayLike) -> F:
    """The 4x4 pose after one delta action (first 6 entries used)."""
    T = np.asarray(pose, dtype=np.float64)
    a = np.asarray(action, dtype=np.float64)
    out = np.eye(4)
    out[:3, :3] = euler_to_matrix(a[3:6]) @ T[:3, :3]
    out[:3, 3] = T[:3, 3] + a[:3]
    return out


def chain_deltas(pose: ArrayLike, actions: ArrayLike) -> F:
    """Absolute 4x4 targets (H, 4, 4) reached by chaining H delta actions from ``pose``."""
    acts = np.asarray(actions, dtype=np.float64)
    out = np.empty((len(acts), 4, 4))
    T = np.asarray(pose, dtype=np.float64)
    for k, a in enumerate(acts):
        T = apply_delta(T, a)
        out[k] = T
    return out


def delta_between(a: ArrayLike, b: ArrayLike) -> F:
    """The 6-d delta taking pose ``a`` to pose ``b``: [b.p - a.p, euler(b.R @ a.R^T)]."""
    A, B = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.concatenate([B[:3, 3] - A[:3, 3], matrix_to_euler(B[:3, :3] @ A[:3, :3].T)])


def deltas_from_poses(poses: ArrayLike, gripper: ArrayLike) -> F:
    """Actions (N-1, 7) between consecutive poses (N, 4, 4) with gripper targets (N-1,)."""
    P = np.asarray(poses, dtype=np.float64)
    g = np.asarray(gripper, dtype=np.float64).reshape(-1)
    if len(g) != len(P) - 1:
        raise ValueError(f"gripper: expected {len(P) - 1} values, got {len(g)}")
    return np.array([np.concatenate([delta_between(P[k], P[k + 1]), [g[k]]]) for k in range(len(P) - 1)])
