"""Command shaping against independent numpy implementations of libfranka's semantics
(rate_limiting.cpp / lowpass_filter.cpp as documented in shared/reference/franka.md)."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla._core import control as _c
from graspvla.robot import Robot

EPS = 1e-3  # libfranka kLimitEps
OFF = np.array([0.6599, 0.2517, 0.2000, 0.3533, 0.5757, 0.4878, 0.4628])
DEC = np.array([6.0, 2.585, 3.5, 4.0, 17.0, 5.5, 17.0])


def ref_bounds(robot: Robot, q: np.ndarray, fr3: bool) -> tuple[np.ndarray, np.ndarray]:
    vmax = robot.dq_max - EPS
    if not fr3:
        return -vmax, vmax
    up = np.minimum(vmax, np.maximum(0, -OFF + np.sqrt(np.maximum(0, 2 * DEC * (robot.q_max - q)))))
    lo = np.minimum(vmax, np.maximum(0, -OFF + np.sqrt(np.maximum(0, 2 * DEC * (q - robot.q_min)))))
    return -lo, up


def ref_limit_rate(robot: Robot, q_cmd, last_q, last_dq, last_ddq, dt, fr3=True):
    lo, up = ref_bounds(robot, last_q, fr3)
    dq = (q_cmd - last_q) / dt
    jerk = np.clip(((dq - last_dq) / dt - last_ddq) / dt, -(robot.dddq_max - EPS), robot.dddq_max - EPS)
    ddq = np.clip(last_ddq + jerk * dt, -(robot.ddq_max - EPS), robot.ddq_max - EPS)
    dq = np.clip(last_dq + ddq * dt, lo, up)
    return last_q + dq * dt


@pytest.mark.parametrize("name", ["fr3", "panda"])
def test_limit_rate_position_matches_reference(name: str) -> None:
    robot = Robot(name)
    rng = np.random.default_rng(3)
    for _ in range(300):
        q = robot.random_configurations(1, rng)[0]
        last_dq = rng.uniform(-1, 1, 7) * robot.dq_max
        last_ddq = rng.uniform(-1, 1, 7) * robot.ddq_max
        q_cmd = q + rng.normal(0, 0.01, 7)
        ours = _c.limit_rate_position(name, q_cmd, q, last_dq, last_ddq, 1e-3)
        ref = ref_limit_rate(robot, q_cmd, q, last_dq, last_ddq, 1e-3, fr3=name == "fr3")
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_velocity_envelope_near_limits() -> None:
    robot = Robot("fr3")
    q = robot.q_max - 0.01  # near the upper limit the upward velocity bound shrinks to 0
    lo, up = _c.velocity_bounds("fr3", q)
    rlo, rup = ref_bounds(robot, q, True)
    np.testing.assert_allclose(lo, rlo, atol=1e-12)
    np.testing.assert_allclose(up, rup, atol=1e-12)
    assert (up < robot.dq_max * 0.5).all() and (-lo > up).all()


def test_torque_rate_and_lowpass() -> None:
    robot = Robot("fr3")
    last = np.zeros(7)
    tau = np.array([5.0, -5.0, 0.5, 0.0, 100.0, -3.0, 0.999])
    out = _c.limit_rate_torque("fr3", tau, last, 1e-3)
    step = (1000.0 - EPS) * 1e-3
    np.testing.assert_allclose(out, np.clip(tau, -step, step))
    big = _c.limit_rate_torque("fr3", np.full(7, 500.0), np.full(7, 499.0), 1e-3)
    np.testing.assert_allclose(big, robot.tau_max)  # then clipped to tau_max
    assert _c.lowpass_alpha(1e-3, 100.0) == pytest.approx(1e-3 / (1e-3 + 1 / (2 * np.pi * 100)))
    assert _c.lowpass_alpha(1e-3, 100.0) == pytest.approx(0.386, abs=1e-3)
    assert _c.lowpass_alpha(1e-3, 1000.0) == 1.0  # >= 1000 Hz disables the filter
