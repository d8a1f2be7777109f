"""Waypoint trajectories: C2, within limits, through every waypoint, no stop in between."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla.errors import InvalidInputError
from graspvla.robot import Robot
from graspvla.trajectory import Limits, sample_uniform, smooth_path

robot = Robot("fr3")
LIM = Limits.franka("fr3")


def planner_like_path(rng: np.random.Generator, m: int = 10) -> np.ndarray:
    """A path with bounded turning, like a shortcut planner's output (no cusps)."""
    q = [0.5 * (robot.q_min + robot.q_max)]
    d = rng.normal(size=7)
    d /= np.linalg.norm(d)
    for _ in range(m - 1):
        d = d + 0.8 * rng.normal(size=7) / np.sqrt(7)
        d /= np.linalg.norm(d)
        q.append(q[-1] + rng.uniform(0.1, 0.4) * d)
    return np.array(q)


def test_waypoint_trajectory_properties() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        W = planner_like_path(rng)
        tr = smooth_path(W, LIM)
        t, q, dq, ddq = sample_uniform(tr, 0.001)
        assert np.all(np.abs(dq) <= LIM.velocity * (1 + 1e-6))
        assert np.all(np.abs(ddq) <= LIM.acceleration * (1 + 1e-6))
        jerk = np.array([tr.at(x)[3] for x in np.linspace(0, tr.duration, 500)])
        assert np.all(np.abs(jerk) <= LIM.jerk * (1 + 1e-6))
        # C2: no jumps in position/velocity/acceleration between 1 kHz samples
        assert np.all(np.abs(np.diff(ddq, axis=0)) <= LIM.jerk * 0.001 * (1 + 1e-6))
        # passes through every waypoint at its knot time
        for k, tk in enumerate(tr.knot_times):
            np.testing.assert_allclose(tr.at(tk)[0], W[k], atol=1e-9)
        # at rest at both ends, moving in between
        np.testing.assert_allclose(dq[[0, -1]], 0.0, atol=1e-9)
        np.testing.assert_allclose(ddq[[0, -1]], 0.0, atol=1e-6)
        speed = np.linalg.norm(dq, axis=1)
        inner = (t > 0.05 * tr.duration) & (t < 0.95 * tr.duration)
        assert speed[inner].min() > 1e-3


def test_duration_against_toppra() -> None:
    ta = pytest.importorskip("toppra")
    import toppra.algorithm as algo
    import toppra.constraint as constraint

    rng = np.random.default_rng(1)
    ratios = []
    for _ in range(10):
        W = planner_like_path(rng)
        ours = smooth_path(W, LIM)
        path = ta.SplineInterpolator(np.linspace(0, 1, len(W)), W)
        inst = algo.TOPPRA([constraint.JointVelocityConstraint(np.stack([-LIM.velocity, LIM.velocity], 1)),
                            constraint.JointAccelerationConstraint(np.stack([-LIM.acceleration, LIM.acceleration], 1))],
                           path, parametrizer="ParametrizeConstAccel")
        ratios.append(ours.duration / inst.compute_trajectory().duration)
    # toppra ignores jerk and takes a different (cubic) path: report, and bound loosely.
    print(f"waypoint duration ours/toppra: median {np.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}")
    assert np.median(ratios) < 2.0


def test_waypoint_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="at least 2"):
        smooth_path(np.zeros((1, 7)), LIM)
    with pytest.raises(InvalidInputError, match="NaN"):
        smooth_path(np.full((3, 7), np.nan), LIM)
    with pytest.raises(InvalidInputError, match="max_velocity"):
        smooth_path(np.zeros((3, 6)), LIM)
    tr = smooth_path(np.zeros((3, 7)), LIM)  # repeated waypoints collapse to a point
    assert tr.duration < 0.01
