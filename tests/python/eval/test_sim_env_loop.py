"""Closed-loop grasping through the 1 kHz C++ control loop: SimGraspEnv(executor="control_loop")
steps the scene's own MuJoCo data from the loop (Cartesian impedance + the gripper channel)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mujoco")

from graspvla._core import control as _c  # noqa: E402
from graspvla.eval import CONDITIONS  # noqa: E402
from graspvla.eval.harness import run_trial  # noqa: E402
from graspvla.eval.sim_env import ScriptedTopDownExpert, SimEnvConfig, SimGraspEnv  # noqa: E402

pytestmark = pytest.mark.skipif(not _c.HAS_MUJOCO, reason="built without MuJoCo's C library")


@pytest.fixture(scope="module")
def env() -> SimGraspEnv:
    return SimGraspEnv(SimEnvConfig(executor="control_loop"))


def test_chunks_run_through_the_loop(env: SimGraspEnv) -> None:
    obs = env.reset(1, CONDITIONS["basic"], "can")
    start = obs["tcp_pose"].copy()
    obs = env.execute(np.array([[0.02, 0.0, 0.0, 0, 0, 0, 1.0], [0.0, 0.02, -0.01, 0, 0, 0, 1.0]]))
    np.testing.assert_allclose(obs["tcp_pose"][:3, 3] - start[:3, 3], [0.02, 0.02, -0.01], atol=5e-3)
    # one history row per action slot, sampled as the loop runs: the arm was on its way to the
    # first waypoint after the first slot, and at the end after settling
    p = obs["proprio"][:, :3] - start[:3, 3]
    np.testing.assert_allclose(p[1], 0.0, atol=1e-6)
    assert 0.005 < p[2][0] < 0.03 and abs(p[2][2]) < 0.01
    np.testing.assert_allclose(p[3], [0.02, 0.02, -0.01], atol=5e-3)
    loop = env.executor.loop
    assert loop.stats()["targets_received"] == 1 and loop.now() > 0.4  # one chunk, 2 x 0.2 s + settling
    assert env.sim.model.opt.timestep == pytest.approx(0.001)  # MuJoCo stepped at the loop's 1 kHz
    # a NaN action: the loop rejects the chunk and the arm holds its pose
    held = obs["tcp_pose"].copy()
    obs = env.execute(np.array([[np.nan, 0, 0, 0, 0, 0, 1.0]]))
    assert env.executor.rejected_chunks == 1
    np.testing.assert_allclose(obs["tcp_pose"][:3, 3], held[:3, 3], atol=2e-3)


def test_gripper_command_reaches_the_sim(env: SimGraspEnv) -> None:
    obs = env.reset(1, CONDITIONS["basic"], "can")
    assert env.sim.gripper_width() == pytest.approx(0.08, abs=1e-3)
    obs = env.execute(np.array([[0, 0, 0, 0, 0, 0, 0.0]]))  # close (nothing between the fingers)
    assert env.sim.gripper_width() < 0.005 and obs["proprio"][-1, 6] == -1.0
    s = env.executor.loop.state()
    assert s.gripper_width == pytest.approx(env.sim.gripper_width(), abs=1e-3) and not s.gripper_busy
    env.execute(np.array([[0, 0, 0, 0, 0, 0, 1.0]]))  # open
    assert env.sim.gripper_width() > 0.075 and env.executor.gripper_commands == 2


def test_expert_lifts_through_the_loop(env: SimGraspEnv) -> None:
    rec, _ = run_trial(env, ScriptedTopDownExpert(), 0, CONDITIONS["basic"], "can", "synthetic", 25, 0.1)
    assert rec.success and rec.max_lift >= 0.1
    s = env.executor.loop.state()
    assert s.gripper_grasped and 0.01 < s.gripper_width < 0.08  # the can is between the fingers
    assert env.executor.stops == 0 and env.executor.rejected_chunks == 0
