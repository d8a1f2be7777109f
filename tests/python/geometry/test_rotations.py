"""Rotation conventions against scipy (independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla.geometry import (
    axis_angle_to_matrix,
    euler_to_matrix,
    matrix_to_axis_angle,
    matrix_to_euler,
    matrix_to_quat,
    pose_from_xyz_rpy,
    pose_to_xyz_rpy,
    quat_to_matrix,
)

Rotation = pytest.importorskip("scipy.spatial.transform").Rotation


def test_against_scipy() -> None:
    rng = np.random.default_rng(0)
    rots = Rotation.random(500, random_state=1)
    R = rots.as_matrix()
    rpy = rots.as_euler("xyz")  # lower-case = extrinsic = sxyz
    np.testing.assert_allclose(euler_to_matrix(rpy), R, atol=1e-12)
    np.testing.assert_allclose(euler_to_matrix(matrix_to_euler(R)), R, atol=1e-10)
    xyzw = rots.as_quat()
    wxyz = np.concatenate([xyzw[:, 3:], xyzw[:, :3]], axis=1)
    np.testing.assert_allclose(quat_to_matrix(wxyz), R, atol=1e-12)
    q = matrix_to_quat(R)
    assert np.all(q[:, 0] >= 0)
    np.testing.assert_allclose(np.abs(np.sum(q * wxyz, axis=1)), 1.0, atol=1e-10)
    rv = rots.as_rotvec()
    np.testing.assert_allclose(axis_angle_to_matrix(rv), R, atol=1e-12)
    np.testing.assert_allclose(axis_angle_to_matrix(matrix_to_axis_angle(R)), R, atol=1e-9)
    xyz = rng.normal(size=(500, 3))
    T = pose_from_xyz_rpy(np.concatenate([xyz, rpy], axis=1))
    np.testing.assert_allclose(pose_from_xyz_rpy(pose_to_xyz_rpy(T)), T, atol=1e-10)


def test_edge_cases() -> None:
    np.testing.assert_allclose(axis_angle_to_matrix(np.zeros(3)), np.eye(3))
    R = euler_to_matrix([np.pi, 0.0, 0.0])
    np.testing.assert_allclose(axis_angle_to_matrix(matrix_to_axis_angle(R)), R, atol=1e-12)
    gimbal = euler_to_matrix([0.3, np.pi / 2, 0.2])
    np.testing.assert_allclose(euler_to_matrix(matrix_to_euler(gimbal)), gimbal, atol=1e-9)


def test_action_deltas_round_trip() -> None:
    from graspvla.geometry import chain_deltas, deltas_from_poses

    rng = np.random.default_rng(3)
    poses = pose_from_xyz_rpy(np.concatenate([rng.normal(0, 0.3, (6, 3)), rng.uniform(-3, 3, (6, 3))], 1))
    acts = deltas_from_poses(poses, np.linspace(0, 1, 5))
    assert acts.shape == (5, 7)
    np.testing.assert_allclose(chain_deltas(poses[0], acts), poses[1:], atol=1e-10)
    # left multiplication in the base frame: a pure yaw delta rotates about the base z axis
    T = pose_from_xyz_rpy([0.4, 0.1, 0.3, np.pi, 0.0, 0.5])
    out = chain_deltas(T, [[0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 1.0]])[0]
    np.testing.assert_allclose(out[:3, :3], euler_to_matrix([0, 0, 0.2]) @ T[:3, :3], atol=1e-12)
