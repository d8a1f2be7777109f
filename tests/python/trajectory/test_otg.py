"""Point-to-point jerk-limited trajectories: against ruckig (oracle for the minimum duration),
limits at 1 kHz, continuity, final state, synchronisation, online re-targeting, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla._core import trajectory as _traj
from graspvla.errors import InvalidInputError, LimitViolationError
from graspvla.trajectory import Limits, OnlineGenerator, plan_motion, sample_uniform

LIM = Limits.franka("fr3", scale=1.0)  # the published limits: the hardest case
assert LIM.min_position is not None and LIM.max_position is not None
QMIN, QMAX = LIM.min_position, LIM.max_position


def random_state(rng: np.random.Generator, v: np.ndarray, a: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, ...]:
    """A start (velocity, acceleration) inside the limits from which the velocity limit can be kept
    (|v0 + a0|a0|/(2 j)| <= v_max: otherwise any trajectory must overshoot it)."""
    v0 = rng.uniform(-1, 1, v.shape) * v * rng.choice([0.0, 1.0], v.shape, p=[0.2, 0.8])
    a0 = rng.uniform(-1, 1, a.shape) * a * rng.choice([0.0, 1.0], a.shape, p=[0.2, 0.8])
    bad = np.abs(v0 + a0 * np.abs(a0) / (2 * j)) > v
    # keep the velocity, shrink the acceleration to the largest that still allows stopping
    a0[bad] = np.sign(a0[bad]) * np.sqrt(np.maximum(0.0, 2 * j[bad] * (v[bad] - np.sign(a0[bad]) * v0[bad]))) * 0.999
    return v0, a0


def random_problem(rng: np.random.Generator, kind: int) -> tuple[np.ndarray, ...]:
    """kind 0: rest target; 1: moving target (velocity); 2: target velocity and acceleration."""
    v, a, j = LIM.velocity, LIM.acceleration, LIM.jerk
    p0, pf = rng.uniform(QMIN, QMAX), rng.uniform(QMIN, QMAX)
    if rng.random() < 0.3:  # short moves exercise the profiles that never reach the limits
        pf = np.clip(p0 + rng.normal(0, 0.02, 7), QMIN, QMAX)
    v0, a0 = random_state(rng, v, a, j)
    vf, af = np.zeros(7), np.zeros(7)
    if kind >= 1:
        vf = rng.uniform(-1, 1, 7) * v
    if kind == 2:
        af = rng.uniform(-1, 1, 7) * a
        shift = af * np.abs(af) / (2 * j)  # keep the state just before the target within the limit
        vf = np.clip(vf - shift, -v, v) + shift
        vf = np.clip(vf, -v, v)
    return p0, v0, a0, pf, vf, af


def ruckig_duration(ruckig, p0, v0, a0, pf, vf, af, lim: Limits = LIM) -> float:  # type: ignore[no-untyped-def]
    n = len(p0)
    inp = ruckig.InputParameter(n)
    inp.current_position, inp.current_velocity, inp.current_acceleration = p0, v0, a0
    inp.target_position, inp.target_velocity, inp.target_acceleration = pf, vf, af
    inp.max_velocity, inp.max_acceleration, inp.max_jerk = lim.velocity, lim.acceleration, lim.jerk
    ref = ruckig.Trajectory(n)
    assert ruckig.Ruckig(n).calculate(inp, ref) == ruckig.Result.Working
    return float(ref.duration)


def test_against_ruckig_1200_problems() -> None:
    """ruckig is time-optimal: never beat it (that would break a limit); match it closely."""
    ruckig = pytest.importorskip("ruckig")
    rng = np.random.default_rng(0)
    ratios = []
    for k in range(1200):
        p0, v0, a0, pf, vf, af = random_problem(rng, kind=k % 3)
        ref = ruckig_duration(ruckig, p0, v0, a0, pf, vf, af)
        ours = plan_motion(p0, pf, LIM, v0, a0, vf, af)
        assert ours.duration >= ref - 1e-6, f"problem {k}: shorter than ruckig: a limit must be broken"
        ratios.append(ours.duration / ref)
    r = np.array(ratios)
    print(f"\nduration ours/ruckig over {len(r)} problems: median {np.median(r):.6f}, p90 {np.percentile(r, 90):.6f}, "
          f"p99 {np.percentile(r, 99):.6f}, max {r.max():.6f}, share within 1e-6: {np.mean(r <= 1 + 1e-6):.4f}")
    assert np.median(r) <= 1.01
    assert np.percentile(r, 95) <= 1.01


def test_against_ruckig_random_limits() -> None:
    """Per-DoF random limits (slow to fast, jerk 10-5000), tiny and large distances."""
    ruckig = pytest.importorskip("ruckig")
    rng = np.random.default_rng(1)
    ratios = []
    for _ in range(300):
        lim = Limits(rng.uniform(0.5, 3, 7), rng.uniform(1, 20, 7), rng.uniform(10, 5000, 7))
        v0, a0 = random_state(rng, lim.velocity, lim.acceleration, lim.jerk)
        p0 = rng.uniform(-3, 3, 7)
        pf = p0 + rng.uniform(-3, 3, 7) * rng.choice([1, 1e-2, 1e-4], 7)
        vf = rng.uniform(-1, 1, 7) * lim.velocity * rng.choice([0, 1], 7)
        ref = ruckig_duration(ruckig, p0, v0, a0, pf, vf, np.zeros(7), lim)
        ours = plan_motion(p0, pf, lim, v0, a0, vf)
        assert ours.duration >= ref - 1e-6
        ratios.append(ours.duration / ref)
        _, q, dq, ddq = sample_uniform(ours, 0.001)
        assert np.all(np.abs(dq) <= lim.velocity * (1 + 1e-6))
        assert np.all(np.abs(ddq) <= lim.acceleration * (1 + 1e-6))
        np.testing.assert_allclose(q[-1], pf, atol=1e-9)
    assert np.median(ratios) <= 1.0 + 1e-9


def test_limits_continuity_and_final_state_at_1khz() -> None:
    rng = np.random.default_rng(2)
    for k in range(150):
        p0, v0, a0, pf, vf, af = random_problem(rng, kind=k % 3)
        tr = plan_motion(p0, pf, LIM, v0, a0, vf, af)
        count = int(np.floor(tr.duration / 0.001)) + 1
        q, dq, ddq = (np.empty((count, 7)) for _ in range(3))
        tr.sample_uniform(0.0, 0.001, count, q, dq, ddq)  # dense, into caller arrays
        assert np.all(np.abs(dq) <= LIM.velocity * (1 + 1e-6))
        assert np.all(np.abs(ddq) <= LIM.acceleration * (1 + 1e-6))
        assert np.all(np.abs(np.diff(ddq, axis=0)) <= LIM.jerk * 0.001 * (1 + 1e-6))
        # continuity: consecutive positions/velocities differ by what the limits allow
        assert np.all(np.abs(np.diff(q, axis=0)) <= LIM.velocity * 0.001 * (1 + 1e-6) + 1e-12)
        assert np.all(np.abs(np.diff(dq, axis=0)) <= LIM.acceleration * 0.001 * (1 + 1e-6) + 1e-12)
        np.testing.assert_allclose(q[0], p0, atol=1e-12)
        np.testing.assert_allclose(dq[0], v0, atol=1e-12)
        np.testing.assert_allclose(ddq[0], a0, atol=1e-12)
        qf, dqf, ddqf = tr.at(tr.duration)
        np.testing.assert_allclose(qf, pf, atol=1e-9)
        np.testing.assert_allclose(dqf, vf, atol=1e-9)
        np.testing.assert_allclose(ddqf, af, atol=1e-7)
        # the exact jerk (piecewise constant) is within the limit on every segment
        for i in range(7):
            durations, jerks = tr.segments(i)
            assert sum(durations) == pytest.approx(tr.duration, abs=1e-9)
            assert np.all(np.abs(jerks) <= LIM.jerk[i] * (1 + 1e-12))


def test_synchronisation_modes_and_min_duration() -> None:
    ruckig = pytest.importorskip("ruckig")
    p0, pf = np.zeros(7), np.array([1.0, 0.01, 0, 0, 0, 0, 0.2])
    lim = Limits(LIM.velocity, LIM.acceleration, LIM.jerk)
    tr = plan_motion(p0, pf, lim)
    for i in range(7):  # every DoF lasts the whole duration
        assert sum(tr.segments(i)[0]) == pytest.approx(tr.duration, abs=1e-12)
    free = plan_motion(p0, pf, lim, synchronize=False)
    assert free.duration == pytest.approx(tr.duration, abs=1e-12)
    for i in range(7):  # unsynchronised: each DoF at its own minimum time (ruckig, 1 DoF)
        one = Limits(lim.velocity[i:i + 1], lim.acceleration[i:i + 1], lim.jerk[i:i + 1])
        ref = ruckig_duration(ruckig, p0[i:i + 1], np.zeros(1), np.zeros(1), pf[i:i + 1], np.zeros(1), np.zeros(1),
                              one)
        assert sum(free.segments(i)[0]) == pytest.approx(ref, abs=1e-9)
    slow = plan_motion(p0, pf, lim, min_duration=5.0)
    assert slow.duration == pytest.approx(5.0, abs=1e-12)
    np.testing.assert_allclose(slow.at(5.0)[0], pf, atol=1e-9)


def test_online_retargeting_is_seamless() -> None:
    gen = OnlineGenerator(LIM)
    q0 = 0.5 * (QMIN + QMAX)
    gen.reset(q0)
    gen.set_target(q0 + 0.5)
    trace, replans = [], 0
    for k in range(4000):
        if k == 300:
            gen.set_target(q0 - 0.3, velocity=0.1 * LIM.velocity)  # new target mid-motion
        if k == 900:
            gen.set_target(q0 + 0.2)
        s = gen.step()
        replans += s.replanned
        trace.append(np.concatenate([s.position, s.velocity, s.acceleration]))
        if s.finished and k > 900:
            break
    assert replans == 3  # once per target, never while following the plan
    tr = np.array(trace)
    dq, ddq = tr[:, 7:14], tr[:, 14:]
    assert np.all(np.abs(dq) <= LIM.velocity * (1 + 1e-6))
    assert np.all(np.abs(ddq) <= LIM.acceleration * (1 + 1e-6))
    assert np.all(np.abs(np.diff(ddq, axis=0)) <= LIM.jerk * 0.001 * (1 + 1e-6))
    np.testing.assert_allclose(tr[-1, :7], q0 + 0.2, atol=1e-9)
    np.testing.assert_allclose(tr[-1, 7:], 0.0, atol=1e-9)


def test_online_matches_offline_trajectory() -> None:
    """Following the plan, the online outputs are the offline trajectory sampled every dt."""
    rng = np.random.default_rng(3)
    p0, v0, a0, pf, vf, af = random_problem(rng, kind=1)
    offline = plan_motion(p0, pf, LIM, v0, a0, vf, af)
    gen = OnlineGenerator(LIM)
    gen.reset(p0, v0, a0)
    gen.set_target(pf, vf, af)
    for k in range(1, 50):
        s = gen.step()
        q, dq, ddq = offline.at(k * 0.001)
        np.testing.assert_allclose(s.position, q, atol=1e-12)
        np.testing.assert_allclose(s.velocity, dq, atol=1e-12)


def test_dynamic_dof() -> None:
    rng = np.random.default_rng(4)
    for n in (1, 3, 20):
        lim = Limits(np.full(n, 1.0), np.full(n, 2.0), np.full(n, 10.0))
        pf = rng.uniform(-1, 1, n)
        tr = plan_motion(np.zeros(n), pf, lim, target_velocity=rng.uniform(-0.5, 0.5, n))
        assert tr.dof == n
        np.testing.assert_allclose(tr.at(tr.duration)[0], pf, atol=1e-9)


def test_bad_input() -> None:
    z = np.zeros(7)
    with pytest.raises(InvalidInputError, match="start"):
        plan_motion(np.zeros(6), z, LIM)
    with pytest.raises(InvalidInputError, match="target_velocity"):
        plan_motion(z, z, LIM, target_velocity=np.zeros(5))
    with pytest.raises(InvalidInputError, match="target_position.*NaN"):
        plan_motion(z, np.full(7, np.nan), LIM)
    with pytest.raises(InvalidInputError, match="current_velocity.*NaN"):
        plan_motion(z, z, LIM, start_velocity=np.full(7, np.inf))
    with pytest.raises(LimitViolationError, match="target_velocity"):
        plan_motion(z, z + 0.1, LIM, target_velocity=LIM.velocity * 1.5)
    with pytest.raises(LimitViolationError, match="target_acceleration"):
        plan_motion(z, z + 0.1, LIM, target_acceleration=LIM.acceleration * 1.5)
    with pytest.raises(LimitViolationError, match="current_acceleration"):
        plan_motion(z, z + 0.1, LIM, start_acceleration=LIM.acceleration * 2)
    with pytest.raises(LimitViolationError, match="target_position.*position limits"):
        plan_motion(0.5 * (QMIN + QMAX), QMAX + 0.1, LIM)
    for bad in (0.0, -1.0):
        with pytest.raises(InvalidInputError, match="max_jerk: limits must be > 0"):
            plan_motion(z, z, Limits(LIM.velocity, LIM.acceleration, np.full(7, bad)))
    with pytest.raises(InvalidInputError, match="min_duration"):
        plan_motion(z, z, Limits(LIM.velocity, LIM.acceleration, LIM.jerk), min_duration=-1.0)
    with pytest.raises(InvalidInputError, match="scale"):
        Limits.franka(scale=0.0)
    with pytest.raises(InvalidInputError, match="acceleration"):
        Limits(np.ones(7), np.ones(6), np.ones(7))
    with pytest.raises(InvalidInputError, match="dtype"):
        _traj.calculate(*(np.zeros(7, np.float32) for _ in range(9)))
    gen = OnlineGenerator(LIM)
    gen.reset(0.5 * (QMIN + QMAX))
    with pytest.raises(LimitViolationError, match="target"):
        gen.set_target(QMAX + 1.0)
    with pytest.raises(InvalidInputError, match="target"):
        gen.set_target(np.zeros(3))
    with pytest.raises(InvalidInputError, match="dt"):
        OnlineGenerator(LIM, dt=0.0)


def test_reusable_input_and_trajectory() -> None:
    """The ruckig-like Input / calculate_into path equals calculate() and validates fields."""
    rng = np.random.default_rng(5)
    p0, v0, a0, pf, vf, af = random_problem(rng, kind=2)
    inp, out = _traj.Input(7), _traj.Trajectory(7)
    inp.current_position, inp.current_velocity, inp.current_acceleration = p0, v0, a0
    inp.target_position, inp.target_velocity, inp.target_acceleration = pf, vf, af
    inp.max_velocity, inp.max_acceleration, inp.max_jerk = LIM.velocity, LIM.acceleration, LIM.jerk
    duration = _traj.calculate_into(inp, out)
    assert duration == out.duration == plan_motion(p0, pf, LIM, v0, a0, vf, af).duration
    np.testing.assert_allclose(out.at(duration)[0], pf, atol=1e-9)
    with pytest.raises(InvalidInputError, match="target_position.*NaN"):
        inp.target_position = np.full(7, np.nan)
    with pytest.raises(InvalidInputError, match="max_jerk"):
        inp.max_jerk = np.ones(6)
    inp.max_jerk = np.zeros(7)
    with pytest.raises(InvalidInputError, match="max_jerk: limits must be > 0"):
        _traj.calculate_into(inp, out)
    with pytest.raises(InvalidInputError, match="trajectory"):
        _traj.calculate_into(inp, _traj.Trajectory(3))


def test_phase_synchronisation_is_a_straight_line() -> None:
    rng = np.random.default_rng(6)
    for _ in range(50):
        p0, pf = rng.uniform(QMIN, QMAX), rng.uniform(QMIN, QMAX)
        d = pf - p0
        s0, sf = rng.uniform(-0.3, 0.3), rng.uniform(0, 0.3)  # collinear start/target velocities
        v0, vf = s0 * d / np.abs(d).max() * LIM.velocity.min(), sf * d / np.abs(d).max() * LIM.velocity.min()
        tr = plan_motion(p0, pf, LIM, v0, 0.0, vf, phase=True)
        timed = plan_motion(p0, pf, LIM, v0, 0.0, vf)
        assert tr.duration >= timed.duration - 1e-9  # a straight line is never faster
        _, q, dq, ddq = sample_uniform(tr, 0.002)
        # every sample lies on the segment p0 -> pf (up to the start velocity's overshoot direction)
        lam = (q - p0) @ d / (d @ d)
        np.testing.assert_allclose(q, p0 + lam[:, None] * d, atol=1e-9)
        assert np.all(np.abs(dq) <= LIM.velocity * (1 + 1e-6))
        assert np.all(np.abs(ddq) <= LIM.acceleration * (1 + 1e-6))
        np.testing.assert_allclose(tr.at(tr.duration)[0], pf, atol=1e-9)
        np.testing.assert_allclose(tr.at(tr.duration)[1], vf, atol=1e-9)
    # not collinear: falls back to time synchronisation
    p0 = 0.5 * (QMIN + QMAX)
    pf = p0 + 0.3
    v0 = np.r_[0.1, np.zeros(6)]
    assert plan_motion(p0, pf, LIM, v0, phase=True).duration == plan_motion(p0, pf, LIM, v0).duration


def test_limits_over_many_orders_of_magnitude() -> None:
    """Limits from 1e-2 to 1e2 (independently for v, a, j), distances from 0 to 100: the end state
    is reached and the duration matches ruckig's (relative 1e-9); this caught a tolerance that
    was absolute instead of relative."""
    ruckig = pytest.importorskip("ruckig")
    rng = np.random.default_rng(7)
    ratios: list[float] = []
    for _ in range(300):
        sc = 10 ** rng.uniform(-2, 2, 3)
        lim = Limits(rng.uniform(0.1, 1, 7) * sc[0], rng.uniform(0.1, 1, 7) * sc[1], rng.uniform(0.1, 1, 7) * sc[2])
        v0, a0 = random_state(rng, lim.velocity, lim.acceleration, lim.jerk)
        vf = rng.uniform(-1, 1, 7) * lim.velocity * rng.choice([0, 1], 7)
        p0 = rng.uniform(-1, 1, 7)
        pf = p0 + rng.choice([0, 1e-9, 1e-3, 1, 100], 7) * rng.uniform(-1, 1, 7)
        tr = plan_motion(p0, pf, lim, v0, a0, vf)
        inp = ruckig.InputParameter(7)
        inp.current_position, inp.current_velocity, inp.current_acceleration = p0, v0, a0
        inp.target_position, inp.target_velocity, inp.target_acceleration = pf, vf, np.zeros(7)
        inp.max_velocity, inp.max_acceleration, inp.max_jerk = lim.velocity, lim.acceleration, lim.jerk
        ref = ruckig.Trajectory(7)
        try:
            working = ruckig.Ruckig(7).calculate(inp, ref) == ruckig.Result.Working
        except (ValueError, RuntimeError):  # ruckig rejects some extreme inputs (-101)
            working = False
        if working:
            assert tr.duration >= ref.duration * (1 - 1e-9) - 1e-9
            ratios.append(tr.duration / ref.duration)
        q, dq, _ = tr.at(tr.duration)
        np.testing.assert_allclose(q, pf, rtol=0, atol=1e-9 * (1 + np.abs(pf - p0)).max())
        np.testing.assert_allclose(dq, vf, rtol=0, atol=1e-9 * lim.velocity.max())
    assert len(ratios) >= 200
    print(f"\nwide-scale limits: {len(ratios)} problems, ours/ruckig median {np.median(ratios):.9f}, "
          f"max {max(ratios):.6f}")
    assert np.median(ratios) <= 1 + 1e-9
