"""Point-to-point jerk-limited trajectories against ruckig, limits at 1 kHz, online re-targeting."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla.errors import InvalidInputError, LimitViolationError
from graspvla.robot import Robot
from graspvla.trajectory import Limits, OnlineGenerator, plan_motion, sample_uniform

robot = Robot("fr3")
LIM = Limits.franka("fr3")


def random_problem(rng: np.random.Generator, moving_target: bool) -> tuple[np.ndarray, ...]:
    p0, pf = rng.uniform(robot.q_min, robot.q_max), rng.uniform(robot.q_min, robot.q_max)
    v0 = rng.uniform(-0.9, 0.9, 7) * LIM.velocity
    a0 = rng.uniform(-0.9, 0.9, 7) * LIM.acceleration
    vf = rng.uniform(-0.6, 0.6, 7) * LIM.velocity if moving_target else np.zeros(7)
    return p0, v0, a0, pf, vf


def test_against_ruckig_1000_problems() -> None:
    ruckig = pytest.importorskip("ruckig")
    rng = np.random.default_rng(0)
    ratios = []
    for k in range(1000):
        p0, v0, a0, pf, vf = random_problem(rng, moving_target=k % 2 == 1)
        inp = ruckig.InputParameter(7)
        inp.current_position, inp.current_velocity, inp.current_acceleration = p0, v0, a0
        inp.target_position, inp.target_velocity, inp.target_acceleration = pf, vf, np.zeros(7)
        inp.max_velocity, inp.max_acceleration, inp.max_jerk = LIM.velocity, LIM.acceleration, LIM.jerk
        ref = ruckig.Trajectory(7)
        assert ruckig.Ruckig(7).calculate(inp, ref) == ruckig.Result.Working
        ours = plan_motion(p0, pf, LIM, v0, a0, vf)
        assert ours.duration >= ref.duration - 1e-6, f"problem {k}: shorter than ruckig: a limit must be broken"
        ratios.append(ours.duration / ref.duration)
    ratios = np.array(ratios)
    print(f"duration ours/ruckig: median {np.median(ratios):.6f}, p95 {np.percentile(ratios, 95):.6f}, "
          f"max {ratios.max():.6f}")
    assert np.median(ratios) <= 1.01


def test_limits_continuity_and_final_state_at_1khz() -> None:
    rng = np.random.default_rng(1)
    for k in range(200):
        p0, v0, a0, pf, vf = random_problem(rng, moving_target=k % 2 == 1)
        tr = plan_motion(p0, pf, LIM, v0, a0, vf)
        t, q, dq, ddq = sample_uniform(tr, 0.001)
        assert np.all(np.abs(dq) <= LIM.velocity * (1 + 1e-6))
        assert np.all(np.abs(ddq) <= LIM.acceleration * (1 + 1e-6))
        jerk = np.diff(ddq, axis=0) / np.diff(t)[:, None]
        assert np.all(np.abs(jerk) <= LIM.jerk * (1 + 1e-6))
        # continuity: position steps bounded by the velocity limit
        assert np.all(np.abs(np.diff(q, axis=0)) <= LIM.velocity * 0.001 * (1 + 1e-6) + 1e-12)
        np.testing.assert_allclose(q[0], p0, atol=1e-12)
        np.testing.assert_allclose(dq[0], v0, atol=1e-12)
        np.testing.assert_allclose(q[-1], pf, atol=1e-9)
        np.testing.assert_allclose(dq[-1], vf, atol=1e-9)
        np.testing.assert_allclose(ddq[-1], 0.0, atol=1e-8)


def test_synchronised_all_dof_finish_together() -> None:
    tr = plan_motion(np.zeros(7), np.array([1.0, 0.01, 0, 0, 0, 0, 0.2]), LIM)
    for i in range(7):
        durations, _ = tr.segments(i)
        assert sum(durations) == pytest.approx(tr.duration, abs=1e-12)


def test_online_retargeting_is_seamless() -> None:
    gen = OnlineGenerator(LIM)
    q0 = 0.5 * (robot.q_min + robot.q_max)
    gen.reset(q0)
    gen.set_target(q0 + 0.5)
    trace = []
    for k in range(3000):
        if k == 300:
            gen.set_target(q0 - 0.3, velocity=0.1 * LIM.velocity)  # new target mid-motion
        if k == 900:
            gen.set_target(q0 + 0.2)
        s = gen.step()
        trace.append(np.concatenate([s.position, s.velocity, s.acceleration]))
        if s.finished and k > 900:
            break
    tr = np.array(trace)
    dq, ddq = tr[:, 7:14], tr[:, 14:]
    assert np.all(np.abs(dq) <= LIM.velocity * (1 + 1e-6))
    assert np.all(np.abs(ddq) <= LIM.acceleration * (1 + 1e-6))
    assert np.all(np.abs(np.diff(ddq, axis=0)) <= LIM.jerk * 0.001 * (1 + 1e-6))
    np.testing.assert_allclose(tr[-1, :7], q0 + 0.2, atol=1e-9)


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="start"):
        plan_motion(np.zeros(6), np.zeros(7), LIM)
    with pytest.raises(InvalidInputError, match="NaN"):
        plan_motion(np.zeros(7), np.full(7, np.nan), LIM)
    with pytest.raises(LimitViolationError, match="target_velocity"):
        plan_motion(np.zeros(7), np.ones(7), LIM, target_velocity=LIM.velocity * 1.5)
    with pytest.raises(LimitViolationError, match="current_acceleration"):
        plan_motion(np.zeros(7), np.ones(7), LIM, start_acceleration=LIM.acceleration * 2)
    with pytest.raises(InvalidInputError, match="limits must be > 0"):
        plan_motion(np.zeros(7), np.ones(7), Limits(np.zeros(7), LIM.acceleration, LIM.jerk))
    with pytest.raises(InvalidInputError, match="scale"):
        Limits.franka(scale=0.0)
    # dynamic N: 3 DoF, 16 DoF; 17 is refused
    for n in (1, 3, 16):
        lim = Limits(np.ones(n), np.ones(n), np.ones(n))
        assert plan_motion(np.zeros(n), np.ones(n), lim).duration > 0
    with pytest.raises(InvalidInputError, match="16 DoF"):
        plan_motion(np.zeros(17), np.ones(17), Limits(np.ones(17), np.ones(17), np.ones(17)))
