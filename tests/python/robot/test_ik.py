"""Inverse kinematics: DLS and closed-form round trips, unreachable poses, bad input.

Reachable poses are FK images of random in-limit configurations (the oracle is our FK,
itself checked against pinocchio in test_fk_pinocchio.py); every returned solution is
re-checked by FK and against the joint limits.
"""

from __future__ import annotations

import numpy as np
import pytest

from graspvla.errors import InvalidInputError, LimitViolationError
from graspvla.robot import Frame, Robot


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_dls_ik_round_trip(name: str) -> None:
    robot = Robot(name)  # type: ignore[arg-type]
    qs = robot.random_configurations(1000, 3)
    targets = robot.fk(qs, Frame.TCP)
    res = robot.ik_batch(targets, seed=0)  # seeds: the middle of the joint range, not the answer
    print(f"{name}: DLS IK success {100 * res.success_rate:.1f}% on 1000 random reachable poses")
    assert res.success_rate >= 0.99
    ok = res.success
    reached = robot.fk(res.q[ok], Frame.TCP)
    np.testing.assert_allclose(reached[:, :3, 3], targets[ok][:, :3, 3], atol=2e-6)
    np.testing.assert_allclose(reached[:, :3, :3], targets[ok][:, :3, :3], atol=2e-6)
    assert (res.position_error[ok] <= 1e-6).all() and (res.orientation_error[ok] <= 1e-6).all()
    assert all(robot.within_limits(q) for q in res.q[ok])
    # deterministic and thread-count independent; tuple unpacking of the batch result
    q2, ok2, err2 = robot.ik_batch(targets[:64], seed=0, threads=1)
    np.testing.assert_array_equal(q2, res.q[:64])
    np.testing.assert_array_equal(ok2, ok[:64])
    assert err2.shape == (64, 2)


@pytest.mark.parametrize("frame", [Frame.LINK6, Frame.FLANGE, Frame.HAND])
def test_dls_ik_other_frames(frame: Frame) -> None:
    robot = Robot("panda")
    qs = robot.random_configurations(100, 12)
    targets = robot.fk(qs, frame)
    res = robot.ik_batch(targets, frame=frame, seed=1)
    # link6's origin pose fixes only q1..q6 (q7 is free): still a 6-D task
    assert res.success_rate >= 0.95, res.success_rate
    np.testing.assert_allclose(robot.fk(res.q[res.success], frame), targets[res.success], atol=3e-6)


def test_single_ik_from_nearby_seed_with_posture() -> None:
    robot = Robot("fr3")
    q = robot.random_configurations(1, 9)[0]
    T = robot.fk(q, Frame.TCP)
    res = robot.ik(T, q_seed=np.clip(q + 0.05, robot.q_min, robot.q_max), restarts=0)
    assert res.success and res.position_error < 1e-6 and res.orientation_error < 1e-6 and res.reason == ""
    np.testing.assert_allclose(robot.fk(res.q, Frame.TCP), T, atol=2e-6)
    # the null-space posture term moves the redundant DoF towards q_rest without breaking the task
    rest = np.clip(q + np.array([0.3, 0, 0.3, 0, 0.3, 0, 0.3]), robot.q_min, robot.q_max)
    a = robot.ik(T, q_seed=q, q_rest=rest, posture_gain=0.0, restarts=0)
    b = robot.ik(T, q_seed=np.clip(q + 0.2, robot.q_min, robot.q_max), q_rest=rest, posture_gain=0.5, restarts=0)
    assert a.success and b.success
    np.testing.assert_allclose(robot.fk(b.q, Frame.TCP), T, atol=2e-6)
    # same seed -> identical answer
    c = robot.ik(T, restarts=4, seed=3)
    d = robot.ik(T, restarts=4, seed=3)
    np.testing.assert_array_equal(c.q, d.q)


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_unreachable_poses_fail_clearly(name: str) -> None:
    robot = Robot(name)  # type: ignore[arg-type]
    rng = np.random.default_rng(17)
    far = np.tile(np.eye(4), (20, 1, 1))
    d = rng.normal(size=(20, 3))
    far[:, :3, 3] = 1.4 * d / np.linalg.norm(d, axis=1, keepdims=True) + [0, 0, 0.333]  # > 1.19 m reach
    res = robot.ik_batch(far, restarts=2)
    assert not res.success.any()
    assert (res.position_error > 0.1).all()
    single = robot.ik(far[0], restarts=1)
    assert not single.success and single.position_error > 0.1
    assert "not converged" in single.reason and "unreachable" in single.reason
    assert robot.within_limits(single.q)  # the best effort is still a valid configuration
    an = robot.ik_analytic_batch(far, 0.0)
    assert (an.counts == 0).all() and np.isnan(an.solutions).all()
    assert robot.ik_analytic(far[0], 0.0).shape == (0, 7)


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_analytic_ik_recovers_seed(name: str) -> None:
    robot = Robot(name)  # type: ignore[arg-type]
    qs = robot.random_configurations(1000, 4)
    T = robot.fk(qs, Frame.TCP)
    res = robot.ik_analytic_batch(T, qs[:, 6])
    recovered = 0
    for i, q in enumerate(qs):
        sols = res.solutions_of(i)
        if i < 100:  # the single-pose entry point returns the same set
            np.testing.assert_array_equal(robot.ik_analytic(T[i], q[6]), sols)
        if len(sols):
            np.testing.assert_allclose(robot.fk(sols, Frame.TCP), np.broadcast_to(T[i], (len(sols), 4, 4)), atol=1e-8)
            assert all(robot.within_limits(s) for s in sols) and (sols[:, 6] == q[6]).all()
            recovered += np.abs(sols - q).max(axis=1).min() < 1e-6
    counts = np.bincount(res.counts, minlength=9)
    print(f"{name}: analytic IK recovered the seed in {recovered}/1000; poses with k solutions: {counts}")
    assert recovered == 1000
    assert res.counts.max() > 2  # several branches (elbow, shoulder, wrist) are returned
    assert np.isnan(res.solutions[np.arange(9)[None, :8] >= res.counts[:, None]]).all()


def test_analytic_ik_frames_and_limits() -> None:
    robot = Robot("panda", finger_extension=0.02)
    q = robot.random_configurations(1, 8)[0]
    for frame in (Frame.FLANGE, Frame.HAND, Frame.TCP):
        sols = robot.ik_analytic(robot.fk(q, frame), q[6], frame)
        assert np.abs(sols - q).max(axis=1).min() < 1e-6
    with pytest.raises(LimitViolationError, match="q7: q7 = .* outside"):
        robot.ik_analytic(robot.fk(q, Frame.TCP), robot.q_max[6] + 0.1)
    with pytest.raises(LimitViolationError, match=r"q7\[1\]"):
        robot.ik_analytic_batch(robot.fk(np.stack([q, q]), Frame.TCP), np.array([0.0, 5.0]))
    with pytest.raises(InvalidInputError, match="frame"):
        robot.ik_analytic(np.eye(4), 0.0, Frame.LINK3)
    with pytest.raises(InvalidInputError, match="q7"):
        robot.ik_analytic(np.eye(4), float("nan"))
    with pytest.raises(InvalidInputError, match=r"q7: expected shape \(2,\)"):
        from graspvla._core import robot as _robot

        _robot.ik_analytic_batch(robot.model, np.tile(np.eye(4), (2, 1, 1)), np.zeros(3))


def test_ik_bad_input_names_argument() -> None:
    robot = Robot("fr3")
    T = robot.fk(np.clip(np.zeros(7), robot.q_min, robot.q_max), Frame.TCP)
    with pytest.raises(InvalidInputError, match="target: not a rigid transform"):
        robot.ik(np.ones((4, 4)))
    with pytest.raises(InvalidInputError, match="target: contains NaN"):
        robot.ik(np.full((4, 4), np.nan))
    with pytest.raises(InvalidInputError, match=r"target: expected shape \(4, 4\)"):
        robot.ik(np.eye(3))
    with pytest.raises(LimitViolationError, match="q_seed: joint 4 = .* outside"):
        robot.ik(T, q_seed=np.zeros(7))  # q4 = 0 is above the FR3 limit of -0.1169
    with pytest.raises(LimitViolationError, match="q_rest: joint"):
        robot.ik(T, q_rest=robot.q_max + 0.1)
    with pytest.raises(InvalidInputError, match="q_seed: contains NaN"):
        robot.ik(T, q_seed=np.full(7, np.nan))
    with pytest.raises(LimitViolationError, match=r"q_seeds\[1\]: joint"):
        robot.ik_batch(np.stack([T, T]), np.stack([robot.q_min, robot.q_min - 1]))
    with pytest.raises(InvalidInputError, match=r"q_seeds: expected shape \(2, 7\)"):
        robot.ik_batch(np.stack([T, T]), np.zeros((3, 7)))
    with pytest.raises(InvalidInputError, match=r"targets: not a rigid transform"):
        robot.ik_batch(np.stack([T, 2 * T]))
    with pytest.raises(InvalidInputError, match="max_iterations"):
        robot.ik(T, max_iterations=0)
    with pytest.raises(InvalidInputError, match="frame: expected 0..9"):
        robot.ik(T, frame=11)  # type: ignore[arg-type]


def test_check_limits_names_argument_and_joint() -> None:
    robot = Robot("panda")
    robot.check_limits(np.clip(np.zeros(7), robot.q_min, robot.q_max))
    q = np.clip(np.zeros((3, 7)), robot.q_min, robot.q_max)
    q[2, 5] = 4.0
    with pytest.raises(LimitViolationError, match=r"q_goal\[2\]: joint 6 = 4 rad"):
        robot.check_limits(q, "q_goal")
    with pytest.raises(InvalidInputError, match="q: contains NaN"):
        robot.check_limits(np.full(7, np.nan))


def test_analytic_ik_sweep_over_q7() -> None:
    robot = Robot("fr3")
    found = 0
    for q in robot.random_configurations(50, 21):
        T = robot.fk(q, Frame.TCP)
        sols = robot.ik_analytic_sweep(T, num_q7=32, q_near=q)
        if len(sols):
            found += 1
            np.testing.assert_allclose(robot.fk(sols, Frame.TCP), np.broadcast_to(T, (len(sols), 4, 4)), atol=1e-8)
            d = np.abs(sols - q).max(axis=1)
            assert (np.diff(d) >= 0).all()  # sorted by distance to q_near
    assert found >= 48, found
