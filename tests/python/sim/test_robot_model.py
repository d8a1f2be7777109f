"""franky-sim FR3 + Franka hand in MuJoCo agrees with graspvla.robot (FK, joint order, limits)."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from graspvla.robot import Frame, Robot
from graspvla.sim import ARM_JOINTS, fr3_spec, franka_hand_spec

pytestmark = pytest.mark.filterwarnings("ignore:Attaching a spec with an empty prefix")


@pytest.fixture(scope="module")
def arm():
    m = fr3_spec().compile()
    return m, mujoco.MjData(m)


def _site(m, d, name):
    T = np.eye(4)
    sid = m.site(name).id
    T[:3, :3], T[:3, 3] = d.site_xmat[sid].reshape(3, 3), d.site_xpos[sid]
    return T


def _body(m, d, name):
    T = np.eye(4)
    b = m.body(name).id
    T[:3, :3], T[:3, 3] = d.xmat[b].reshape(3, 3), d.xpos[b]
    return T


def test_joint_order_and_limits_match_graspvla_robot(arm):
    m, _ = arm
    r = Robot("fr3")
    ids = [m.joint(j).id for j in ARM_JOINTS]
    assert [m.jnt_qposadr[i] for i in ids] == list(range(7))
    np.testing.assert_allclose(m.jnt_range[ids, 0], r.q_min)
    np.testing.assert_allclose(m.jnt_range[ids, 1], r.q_max)
    np.testing.assert_allclose(m.actuator_ctrlrange[:7], np.stack([r.q_min, r.q_max], 1))


def test_mujoco_fk_equals_graspvla_fk(arm):
    m, d = arm
    r = Robot("fr3")
    for q in r.random_configurations(50, np.random.default_rng(0)):
        d.qpos[:7] = q
        mujoco.mj_kinematics(m, d)
        np.testing.assert_allclose(_site(m, d, "flange"), r.fk(q, Frame.FLANGE), atol=1e-9)
        # hand mounting: flange rotated -pi/4 about z (MJCF quat given to 7 digits -> 1e-7)
        np.testing.assert_allclose(_body(m, d, "hand"), r.fk(q, Frame.HAND), atol=2e-7)
        np.testing.assert_allclose(_site(m, d, "tcp"), r.fk(q, Frame.TCP), atol=2e-7)
        for i in range(1, 8):
            np.testing.assert_allclose(_body(m, d, f"fr3_link{i}"), r.fk(q, getattr(Frame, f"LINK{i}")), atol=1e-9)


def test_position_actuators_track_targets(arm):
    m, _ = arm
    d = mujoco.MjData(m)
    r = Robot("fr3")
    q0 = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])
    q1 = q0 + np.array([0.3, 0.2, -0.2, 0.3, 0.2, -0.3, 0.4])
    assert r.within_limits(q1)
    d.qpos[:7] = q0
    d.ctrl[:7] = q1
    d.ctrl[7] = 0.08
    mujoco.mj_step(m, d, nstep=1000)
    np.testing.assert_allclose(d.qpos[:7], q1, atol=0.02)


def test_torque_actuation_limits():
    m = fr3_spec(actuation="torque").compile()
    np.testing.assert_allclose(m.actuator_ctrlrange[:7, 1], Robot("fr3").tau_max)


def test_decimated_meshes_are_much_smaller():
    def vis_tris(model):
        return sum(model.mesh_facenum[model.geom_dataid[g]] for g in range(model.ngeom)
                   if model.geom_type[g] == mujoco.mjtGeom.mjGEOM_MESH and model.geom_group[g] == 2)

    full = fr3_spec(decimate=False).compile()
    dec = fr3_spec(decimate=True).compile()
    assert vis_tris(full) > 200_000
    assert vis_tris(dec) < 0.35 * vis_tris(full)
    # same kinematics / collision geometry
    assert dec.nbody == full.nbody and dec.njnt == full.njnt


def test_free_floating_hand_grips_and_follows_mocap():
    m = franka_hand_spec(mount="mocap").compile()
    d = mujoco.MjData(m)
    m.opt.gravity[:] = [0, 0, -9.81]
    d.mocap_pos[0] = [0.1, 0.2, 0.3]
    d.ctrl[m.actuator("gripper").id] = 0.0
    mujoco.mj_step(m, d, nstep=500)
    hand = m.body("hand").id
    np.testing.assert_allclose(d.xpos[hand], [0.1, 0.2, 0.3], atol=1e-3)
    width = d.qpos[m.jnt_qposadr[m.joint("finger_joint1").id]] + d.qpos[m.jnt_qposadr[m.joint("finger_joint2").id]]
    assert width < 0.005
    d.ctrl[m.actuator("gripper").id] = 0.06
    mujoco.mj_step(m, d, nstep=500)
    width = d.qpos[m.jnt_qposadr[m.joint("finger_joint1").id]] + d.qpos[m.jnt_qposadr[m.joint("finger_joint2").id]]
    assert width == pytest.approx(0.06, abs=0.004)
    # TCP is 0.1034 m along the hand z axis
    tcp = m.site("tcp").id
    np.testing.assert_allclose(d.site_xpos[tcp] - d.xpos[hand], d.xmat[hand].reshape(3, 3)[:, 2] * 0.1034, atol=1e-9)


def test_bad_arguments():
    with pytest.raises(ValueError, match="actuation"):
        fr3_spec(actuation="velocity")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mount"):
        franka_hand_spec(mount="glued")  # type: ignore[arg-type]


def test_decimation_fallback_without_fast_simplification(monkeypatch, tmp_path):
    import sys

    from graspvla.sim.robot_model import decimated_mesh, franky_assets_dir

    trimesh = pytest.importorskip("trimesh")
    monkeypatch.setenv("GRASPVLA_CACHE", str(tmp_path))
    monkeypatch.setitem(sys.modules, "fast_simplification", None)  # import -> ImportError
    path = franky_assets_dir() / "meshes" / "link2_vis.obj"
    v, f = decimated_mesh(path, ratio=0.15)
    src = trimesh.load(path, force="mesh", process=False)
    assert 0.1 * len(src.faces) < len(f) < 0.25 * len(src.faces)
    np.testing.assert_allclose(v.min(0), src.vertices.min(0), atol=0.01)
    np.testing.assert_allclose(v.max(0), src.vertices.max(0), atol=0.01)
    assert len(list(tmp_path.rglob("*.npz"))) == 1 and not list(tmp_path.rglob("*.tmp-*"))
