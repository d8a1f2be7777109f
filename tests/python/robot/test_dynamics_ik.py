"""Dynamics against pinocchio on the same URDF inertials; DLS IK round trips."""

from __future__ import annotations

import numpy as np
import pytest
from robot_oracles import pin_arm_model

from graspvla.errors import InvalidInputError
from graspvla.robot import Frame, Robot

pin = pytest.importorskip("pinocchio")


def _pin_model(name: str):  # type: ignore[no-untyped-def]
    return pin_arm_model(name)


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_default_inertials_equal_urdf(name: str) -> None:
    from graspvla._core import robot as _robot

    model = _pin_model(name)
    robot = Robot(name)  # type: ignore[arg-type]
    for i in range(7):
        m, c, I = _robot.link_inertia(robot.model, i)
        ref = model.inertias[i + 1]
        assert m == pytest.approx(ref.mass, rel=1e-8)
        np.testing.assert_allclose(c, ref.lever, atol=1e-8)
        np.testing.assert_allclose(I, ref.inertia, atol=1e-8)


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_dynamics_match_pinocchio(name: str) -> None:
    model = _pin_model(name)
    data = model.createData()
    robot = Robot(name)  # type: ignore[arg-type]
    # Exact URDF values (the built-in defaults carry 9 significant digits).
    for i in range(7):
        ref = model.inertias[i + 1]
        robot.set_link_inertia(i, ref.mass, ref.lever, ref.inertia)
    rng = np.random.default_rng(1)
    worst = {"g": 0.0, "M": 0.0, "tau": 0.0, "C": 0.0}
    for q in robot.random_configurations(1000, rng):
        dq, ddq = rng.uniform(-2, 2, 7), rng.uniform(-10, 10, 7)
        worst["g"] = max(worst["g"], np.abs(robot.gravity(q) - pin.computeGeneralizedGravity(model, data, q)).max())
        M = pin.crba(model, data, q)
        M = np.triu(M) + np.triu(M, 1).T
        worst["M"] = max(worst["M"], np.abs(robot.mass_matrix(q) - M).max())
        worst["tau"] = max(worst["tau"], np.abs(robot.rnea(q, dq, ddq) - pin.rnea(model, data, q, dq, ddq)).max())
        C = pin.computeCoriolisMatrix(model, data, q, dq) @ dq
        worst["C"] = max(worst["C"], np.abs(robot.coriolis(q, dq) - C).max())
    assert max(worst.values()) < 1e-9, worst


def test_batched_gravity_and_custom_inertia() -> None:
    robot = Robot("fr3")
    qs = robot.random_configurations(300, 2)
    np.testing.assert_allclose(robot.gravity(qs), np.stack([robot.gravity(q) for q in qs]), atol=0)
    q = qs[0]
    g0 = robot.gravity(q)
    # a 1 kg point mass on link7's axis adds exactly J_com^T m g to the torques
    from graspvla._core import robot as _robot

    m, c, inertia = _robot.link_inertia(robot.model, 6)
    robot.set_link_inertia(6, m + 1.0, (m * c) / (m + 1.0), inertia)  # com shifts toward the link origin
    assert not np.allclose(robot.gravity(q), g0)
    with pytest.raises(InvalidInputError, match="set_link_inertia"):
        robot.set_link_inertia(7, 1.0, np.zeros(3), np.eye(3))
    with pytest.raises(InvalidInputError, match="set_link_inertia"):
        robot.set_link_inertia(0, -1.0, np.zeros(3), np.eye(3))


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_dls_ik_round_trip(name: str) -> None:
    robot = Robot(name)  # type: ignore[arg-type]
    qs = robot.random_configurations(1000, 3)
    targets = robot.fk(qs, Frame.TCP)
    q_sol, ok, err = robot.ik_batch(targets, seed=0)
    rate = ok.mean()
    print(f"{name}: DLS IK success {100 * rate:.1f}% on 1000 random reachable poses")
    assert rate >= 0.97
    reached = robot.fk(q_sol[ok], Frame.TCP)
    np.testing.assert_allclose(reached[:, :3, 3], targets[ok][:, :3, 3], atol=2e-6)
    np.testing.assert_allclose(reached[:, :3, :3], targets[ok][:, :3, :3], atol=2e-6)
    assert all(robot.within_limits(q) for q in q_sol[ok])
    # deterministic and thread-count independent
    q2, ok2, _ = robot.ik_batch(targets[:64], seed=0, threads=1)
    np.testing.assert_array_equal(q2, q_sol[:64])


def test_ik_from_nearby_seed_and_unreachable() -> None:
    robot = Robot("fr3")
    q = robot.random_configurations(1, 9)[0]
    res = robot.ik(robot.fk(q, Frame.TCP), q_seed=q + 0.05, restarts=0)
    assert res.success and res.position_error < 1e-6
    far = np.eye(4)
    far[:3, 3] = [2.0, 0.0, 0.5]  # 2 m away: outside the ~0.86 m reach
    res = robot.ik(far, restarts=2)
    assert not res.success and res.position_error > 0.5 and "not converged" in res.reason
    with pytest.raises(InvalidInputError, match="target: not a rigid transform"):
        robot.ik(np.ones((4, 4)))
    with pytest.raises(InvalidInputError, match="target: contains NaN"):
        robot.ik(np.full((4, 4), np.nan))


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_analytic_ik_recovers_seed(name: str) -> None:
    robot = Robot(name)  # type: ignore[arg-type]
    recovered, counts = 0, []
    for q in robot.random_configurations(1000, 4):
        T = robot.fk(q, Frame.TCP)
        sols = robot.ik_analytic(T, q[6])
        counts.append(len(sols))
        for s in sols:  # every solution is a real one, inside the limits
            np.testing.assert_allclose(robot.fk(s, Frame.TCP), T, atol=1e-8)
            assert robot.within_limits(s) and s[6] == q[6]
        recovered += bool(len(sols)) and np.abs(sols - q).max(axis=1).min() < 1e-6
    print(f"{name}: analytic IK recovered the seed in {recovered}/1000, solutions per pose {np.bincount(counts)}")
    assert recovered == 1000
    assert max(counts) > 1  # multiple branches are returned


def test_analytic_ik_frames_and_unreachable() -> None:
    robot = Robot("panda", finger_extension=0.02)
    q = robot.random_configurations(1, 8)[0]
    for frame in (Frame.FLANGE, Frame.HAND, Frame.TCP):
        sols = robot.ik_analytic(robot.fk(q, frame), q[6], frame)
        assert np.abs(sols - q).max(axis=1).min() < 1e-6
    far = np.eye(4)
    far[:3, 3] = [1.5, 0.0, 0.3]
    assert robot.ik_analytic(far, 0.0).shape == (0, 7)
    assert robot.ik_analytic(robot.fk(q, Frame.TCP), robot.q_max[6] + 0.1).shape == (0, 7)  # q7 outside limits
    with pytest.raises(InvalidInputError, match="frame"):
        robot.ik_analytic(np.eye(4), 0.0, Frame.LINK3)
    with pytest.raises(InvalidInputError, match="q7"):
        robot.ik_analytic(np.eye(4), float("nan"))
