"""The grasp-preference metric: finger contacts on the mug handle at lift time (Table 4, T2)."""

from __future__ import annotations

import json
from dataclasses import asdict
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from graspvla.eval import CONDITIONS, TrialRecord, format_preference_table
from graspvla.eval.harness import run_trial


def _mug_env():
    pytest.importorskip("mujoco")
    from graspvla.eval.sim_env import SimEnvConfig, SimGraspEnv

    return SimGraspEnv(SimEnvConfig(n_objects=(1, 1), categories_pool=(), image_size=(32, 32),
                                    grasp_region="mug_handle", scene_overrides={"lying_prob": 0.0}))


def _close_at(env: Any, pose: np.ndarray) -> None:
    """Teleport the open hand to the TCP pose ``pose`` (base frame) and close it slowly."""
    res = env.robot.ik(pose, q_seed=env.scene.robot_q)
    assert res.success
    env.sim.set_joint_positions(res.q, gripper_width=0.08)
    env.sim.set_joint_targets(res.q)
    dt = env.sim.timestep
    for k in range(int(0.5 / dt)):
        env.sim.set_gripper(max(0.0, 0.08 - 0.2 * k * dt))
        env._step(1)


def test_handle_grasp_satisfies_and_body_grasp_violates_the_preference():
    env = _mug_env()
    from graspvla.grasp import SceneCollision, SynthesisConfig, synthesize
    from graspvla.grasp.filters import filter_grasps, mug_geometry

    env.reset(0, CONDITIONS["basic"], "mug")
    assert env.region_status().per_finger == {"left_finger": 0, "right_finger": 0}  # open hand, far away
    target = env.scene.target
    grasps = synthesize(target.asset, SynthesisConfig(weight_approach=1.0, threads=1), seed=0,
                        scene_collision=SceneCollision.from_scene(env.scene))
    handle = [g for g in filter_grasps(grasps, target.asset, "mug_handle") if g.pose_world[2, 2] < -0.5]
    assert handle
    _close_at(env, handle[0].pose_world)
    status = env.region_status()
    assert status.both_fingers and status.satisfied, status

    # a top-down grasp across the body (fingers on the outer wall, away from the handle)
    env.reset(0, CONDITIONS["basic"], "mug")
    T = env.sim.object_poses()[target.id]
    g = mug_geometry(target.asset)
    y = np.r_[T[:2, 1], 0.0] / np.linalg.norm(T[:2, 1])
    G = np.eye(4)
    G[:3, :3] = np.column_stack([np.cross(y, [0.0, 0.0, -1.0]), y, [0.0, 0.0, -1.0]])
    G[:3, 3] = T[:3, :3] @ np.r_[g.axis_xy, g.z_range[1] - 0.02] + T[:3, 3]
    _close_at(env, G)
    status = env.region_status()
    assert status.both_fingers and not status.satisfied and sum(status.in_region.values()) == 0, status
    # the contact points are reported in the mug's frame, on its wall
    pts = np.concatenate(list(status.points.values()))
    assert np.allclose(g.radial_distance(pts), g.radius, atol=0.004)


class _FakeEnv:
    """Lifts the target on the first chunk; the fingers are on the region or not."""

    def __init__(self, on_region: bool | None) -> None:
        self.on_region = on_region
        self.config = SimpleNamespace(grasp_region=None if on_region is None else "mug_handle")

    def reset(self, seed, condition, category):
        self.lift = 0.0
        return {}

    def execute(self, actions):
        self.lift = 0.2
        return {}

    def lift_status(self):
        return self.lift, False

    def region_status(self):
        if self.on_region is None:
            return None
        return SimpleNamespace(region="mug_handle", satisfied=self.on_region)

    sim_time = 0.0


class _Policy:
    name = "p"

    def reset(self):
        pass

    def act(self, obs):
        return np.zeros((1, 7))


@pytest.mark.parametrize("on_region", [True, False, None])
def test_harness_records_the_preference_at_lift_time(on_region):
    rec, _ = run_trial(_FakeEnv(on_region), _Policy(), 0, CONDITIONS["basic"], "mug", "synthetic", 3, 0.1)
    assert rec.success
    assert rec.grasp_region == (None if on_region is None else "mug_handle")
    assert rec.on_region == on_region and rec.preference_success == bool(on_region)
    assert TrialRecord(**json.loads(json.dumps(asdict(rec)))) == rec


def test_preference_table():
    recs = [TrialRecord("base", "basic", "synthetic", "mug", s, success=s < 3, grasp_region="mug_handle",
                        on_region=s == 0) for s in range(4)]
    recs += [TrialRecord("finetuned", "basic", "synthetic", "mug", s, success=True, grasp_region="mug_handle",
                         on_region=True) for s in range(4)]
    table = format_preference_table(recs, order=["finetuned", "base"])
    lines = table.splitlines()
    assert "preference success (mug_handle)" in lines[0]
    assert lines[2].startswith("| finetuned | 4 | 100% ") and "(4/4) | 100%" in lines[2]
    assert lines[3].startswith("| base | 4 | 25% ") and "(1/4) | 75%" in lines[3]


def test_region_points_and_the_first_grasps_distance_to_them():
    """The env's region points are the handle's vertices (beyond the body radius, on the handle
    side, moved with the mug); a first grasp on the handle scores ~0, one at the body's axis at
    least the body radius; the table reports the median."""
    from graspvla.grasp.filters import mug_geometry

    env = _mug_env()
    env.reset(0, CONDITIONS["basic"], "mug")
    target = env.scene.target
    T = env.sim.object_poses()[target.id]
    g = mug_geometry(target.asset)
    pts = env.region_points()
    assert pts is not None and len(pts) > 10
    local = (pts - T[:3, 3]) @ T[:3, :3]  # back to the object frame
    assert np.all(g.radial_distance(local) > g.radius) and np.all(local[:, 0] > g.axis_xy[0])

    class Aim(_Policy):
        def __init__(self, point):
            self.last_prediction = SimpleNamespace(grasp=np.r_[point, 0.0, 0.0, 0.0])

    on_handle, at_axis = pts[len(pts) // 2], T[:3, :3] @ np.r_[g.axis_xy, np.mean(g.z_range)] + T[:3, 3]
    from graspvla.eval.harness import _first_grasp_region_error

    assert _first_grasp_region_error(env, Aim(on_handle)) == pytest.approx(0.0, abs=1e-9)
    assert _first_grasp_region_error(env, Aim(at_axis)) >= g.radius
    assert _first_grasp_region_error(env, _Policy()) is None  # a policy without a grasp
    recs = [TrialRecord("m", "basic", "synthetic", "mug", s, success=False, grasp_region="mug_handle",
                        region_error=e) for s, e in enumerate((0.01, 0.03, 0.02))]
    assert format_preference_table(recs).splitlines()[2].endswith("| 2.0 cm |")
    assert "first grasp to the region" not in format_preference_table([TrialRecord("m", "basic", "synthetic", "mug", 0, success=True)])
