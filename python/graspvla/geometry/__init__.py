"""Rotation and pose conventions used at every graspvla boundary.

Quaternions are (w, x, y, z). Euler angles are ``sxyz`` (static x, then y, then z:
R = Rz(yaw) @ Ry(pitch) @ Rx(roll)), GraspVLA's convention for proprio, goals and actions.
Poses are 4x4 float64 homogeneous matrices.
"""

from __future__ import annotations

from graspvla.geometry.actions import apply_delta, chain_deltas, delta_between, deltas_from_poses
from graspvla.geometry.rotations import (
    axis_angle_to_matrix,
    euler_to_matrix,
    matrix_to_axis_angle,
    matrix_to_euler,
    matrix_to_quat,
    pose_from_xyz_rpy,
    pose_to_xyz_rpy,
    quat_to_matrix,
)

__all__ = [
    "apply_delta",
    "chain_deltas",
    "delta_between",
    "deltas_from_poses",
    "axis_angle_to_matrix",
    "euler_to_matrix",
    "matrix_to_axis_angle",
    "matrix_to_euler",
    "matrix_to_quat",
    "pose_from_xyz_rpy",
    "pose_to_xyz_rpy",
    "quat_to_matrix",
]
