"""Simulator: identical images per seed, boxes vs projected geometry, depth vs analytic plane,
segmentation, control API and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla.errors import InvalidInputError, LimitViolationError
from graspvla.robot import Frame, Robot
from graspvla.scene import SceneConfig, generate_scene
from graspvla.sim import TABLE_ID, SimConfig, Simulator

H, W = 96, 128


@pytest.fixture(scope="module")
def single():
    scene = generate_scene(SceneConfig(n_objects=(1, 1), categories=("can", "box", "mug"), n_distractors=(0, 0)),
                           seed=3)
    sim = Simulator(scene, SimConfig(height=H, width=W))
    yield sim
    sim.close()


def test_same_seed_identical_images():
    cfg = SceneConfig(n_objects=(2, 2))
    imgs = []
    for _ in range(2):
        with Simulator(generate_scene(cfg, seed=21), SimConfig(height=H, width=W)) as sim:
            imgs.append([sim.render(c) for c in ("front", "side")] + [sim.render_segmentation("front")])
    for a, b in zip(*imgs):
        np.testing.assert_array_equal(a, b)
    assert imgs[0][0].shape == (H, W, 3) and imgs[0][0].dtype == np.uint8
    assert imgs[0][0].std() > 5  # not a blank frame


def test_different_seeds_look_different():
    cfg = SceneConfig(n_objects=(1, 1))
    a = Simulator(generate_scene(cfg, seed=1), SimConfig(height=H, width=W))
    b = Simulator(generate_scene(cfg, seed=2), SimConfig(height=H, width=W))
    assert np.abs(a.render("front").astype(int) - b.render("front").astype(int)).mean() > 5
    a.close()
    b.close()


@pytest.mark.parametrize("camera", ["front", "side"])
def test_boxes_match_projected_geometry(single, camera):
    o = single.scene.objects[0]
    pose = single.object_poses()[o.id]
    uv = single.project(camera, o.asset.vertices @ pose[:3, :3].T + pose[:3, 3])
    boxes = single.boxes(camera)
    assert o.id in boxes
    x0, y0, x1, y1 = boxes[o.id]
    # a pixel (i, j) is covered when its centre (i + 0.5, j + 0.5) is inside the projection
    expect = (uv[:, 0].min() - 0.5, uv[:, 1].min() - 0.5, uv[:, 0].max() - 0.5, uv[:, 1].max() - 0.5)
    np.testing.assert_allclose([x0, y0, x1, y1], expect, atol=1.6)


def test_depth_matches_table_plane(single):
    cam = "front"
    seg = single.render_segmentation(cam)
    depth = single.render_depth(cam)
    K = single.camera_intrinsics(cam)
    T = single.camera_pose(cam)
    vs, us = np.nonzero(seg == TABLE_ID)
    assert len(us) > 100
    t = single.scene.table
    checked = 0
    for u, v in zip(us[::7], vs[::7]):
        ray_cam = np.linalg.solve(K, [u + 0.5, v + 0.5, 1.0])  # z = 1 in the camera frame
        ray = T[:3, :3] @ ray_cam
        s = (t.top_z - T[2, 3]) / ray[2]  # intersection with the table-top plane
        p = T[:3, 3] + s * ray
        # only pixels of the top surface (not the slab's edge or the legs), away from its border
        if abs(p[0] - t.centre[0]) > t.size[0] / 2 - 0.02 or abs(p[1] - t.centre[1]) > t.size[1] / 2 - 0.02:
            continue
        assert depth[v, u] == pytest.approx(s, rel=2e-3, abs=1e-3)
        checked += 1
    assert checked > 20


def test_segmentation_labels(single):
    seg = single.render_segmentation("front")
    assert seg.dtype == np.int32 and seg.shape == (H, W)
    labels = set(np.unique(seg).tolist())
    assert {0, TABLE_ID} <= labels


def test_tcp_matches_graspvla_fk_and_arm_tracks(single):
    r = Robot("fr3")
    single.reset()
    q = single.joint_state().q
    np.testing.assert_allclose(single.tcp_pose(), r.fk(q, Frame.TCP), atol=1e-6)
    np.testing.assert_allclose(single.flange_pose(), r.fk(q, Frame.FLANGE), atol=1e-9)
    target = q + np.array([0.2, 0.1, 0.0, 0.1, 0.0, -0.1, 0.2])
    single.set_joint_targets(target)
    single.set_gripper(0.0)
    single.step(500)
    st = single.joint_state()
    np.testing.assert_allclose(st.q, target, atol=0.02)
    assert st.gripper_width < 0.005
    single.reset()


def test_control_errors(single):
    with pytest.raises(LimitViolationError):
        single.set_joint_targets(np.full(7, 3.5))
    with pytest.raises(InvalidInputError, match="shape"):
        single.set_joint_targets(np.zeros(6))
    with pytest.raises(InvalidInputError, match="NaN"):
        single.set_joint_targets(np.array([0, 0, 0, -1.0, 0, 1.0, np.nan]))
    with pytest.raises(InvalidInputError, match="gripper"):
        single.set_gripper(0.2)
    with pytest.raises(InvalidInputError, match="camera"):
        single.render("top")
    with pytest.raises(InvalidInputError, match="torque"):
        single.set_joint_torques(np.zeros(7))


def test_torque_actuation_holds_with_gravity_compensation():
    scene = generate_scene(SceneConfig(n_objects=(1, 1)), seed=4)
    with Simulator(scene, SimConfig(actuation="torque", height=H, width=W)) as sim:
        q0 = sim.joint_state().q
        m, d = sim.model, sim.data
        import mujoco

        for _ in range(200):  # MuJoCo's own bias forces as the gravity-compensation oracle
            mujoco.mj_forward(m, d)
            sim.set_joint_torques(d.qfrc_bias[:7] - 50.0 * d.qvel[:7])
            sim.step(1)
        np.testing.assert_allclose(sim.joint_state().q, q0, atol=0.02)
