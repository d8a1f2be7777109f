from __future__ import annotations

import numpy as np
import pytest

from graspvla.data import Episode, ScriptedTestSource, build_episode_arrays, instruction_for
from graspvla.errors import InvalidInputError
from graspvla.geometry import chain_deltas, pose_from_xyz_rpy, pose_to_xyz_rpy


def test_same_seed_byte_identical_episode():
    a, b = ScriptedTestSource()(7), ScriptedTestSource()(7)
    assert a.content_hash() == b.content_hash()
    for cam in a.cameras:
        assert a.images[cam].tobytes() == b.images[cam].tobytes()
    assert a.content_hash() != ScriptedTestSource()(8).content_hash()


def test_actions_chain_to_recorded_poses_and_goal_switches():
    rng = np.random.default_rng(0)
    T = 15
    xyzrpy = np.cumsum(rng.normal(0, 0.05, (T, 6)), axis=0) + [0.4, 0, 0.3, np.pi - 0.1, 0, 0]
    poses = pose_from_xyz_rpy(xyzrpy)
    cmd = (np.arange(T) < 9).astype(float)
    grasp = poses[8]
    arr = build_episode_arrays(poses, np.linspace(1, 0.5, T), cmd, grasp)
    # Oracle: geometry.chain_deltas of the stored deltas from frame t reproduces poses t+1.. exactly.
    for t in (0, 4, 10):
        chained = chain_deltas(poses[t], arr["action"][t:t + 4].astype(np.float64))
        np.testing.assert_allclose(chained[:, :3, 3], poses[t + 1:t + 5, :3, 3], atol=1e-5)
        np.testing.assert_allclose(chained[:, :3, :3], poses[t + 1:t + 5, :3, :3], atol=1e-5)
    np.testing.assert_allclose(arr["action_abs"][:-1, :3], xyzrpy[1:, :3], atol=1e-6)
    np.testing.assert_allclose(arr["action"][-1, :6], 0.0)
    np.testing.assert_array_equal(arr["action"][:, 6], cmd)
    # PAG-3D label: grasp pose while the command is open, next EE pose after closing.
    np.testing.assert_allclose(arr["goal"][:9], np.tile(pose_to_xyz_rpy(grasp), (9, 1)), atol=1e-6)
    np.testing.assert_allclose(arr["goal"][9:], arr["action_abs"][9:, :6])


def test_episode_validation_names_field():
    ep = ScriptedTestSource()(1)
    with pytest.raises(InvalidInputError, match="Episode.action"):
        Episode(meta=ep.meta, fps=10.0, images=ep.images, state=ep.state, joints=ep.joints,
                action=ep.action[:, :6], action_abs=ep.action_abs, goal=ep.goal, boxes=ep.boxes)
    bad = ep.state.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InvalidInputError, match="Episode.state"):
        Episode(meta=ep.meta, fps=10.0, images=ep.images, state=bad, joints=ep.joints,
                action=ep.action, action_abs=ep.action_abs, goal=ep.goal, boxes=ep.boxes)


def test_frames_roundtrip_and_instruction():
    ep = ScriptedTestSource()(3)
    again = Episode.from_frames(ep.frames(), ep.meta, ep.fps)
    assert again.content_hash() == ep.content_hash()
    assert instruction_for("toy_car") == "pick up the toy car"
