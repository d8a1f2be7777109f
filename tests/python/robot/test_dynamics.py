"""Dynamics (RNEA, CRBA, gravity, Coriolis) against pinocchio on the same URDF inertials.

Inertials: the Panda defaults are example-robot-data's panda.urdf with the hand and both
fingers (finger joints at 0) lumped rigidly into link7, exactly what pinocchio's
buildReducedModel does with the finger joints locked; the FR3 defaults are franky-sim's
fr3_clean.urdf (arm only: that URDF has no hand).
"""

from __future__ import annotations

import numpy as np
import pytest
from robot_oracles import pin_arm_model

from graspvla.errors import InvalidInputError
from graspvla.robot import Robot

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
def test_batched_dynamics_equal_single_calls(name: str) -> None:
    robot = Robot(name)  # type: ignore[arg-type]
    rng = np.random.default_rng(5)
    qs = robot.random_configurations(500, rng)
    dq, ddq = rng.uniform(-2, 2, qs.shape), rng.uniform(-10, 10, qs.shape)
    np.testing.assert_array_equal(robot.mass_matrix(qs), np.stack([robot.mass_matrix(q) for q in qs]))
    np.testing.assert_array_equal(robot.rnea(qs, dq, ddq), np.stack([robot.rnea(*a) for a in zip(qs, dq, ddq)]))
    M = robot.mass_matrix(qs)
    np.testing.assert_allclose(M, np.swapaxes(M, 1, 2), atol=0)
    assert (np.linalg.eigvalsh(M) > 0).all()
    # RNEA consistency: tau = M ddq + C dq + g
    tau = np.einsum("nij,nj->ni", M, ddq) + np.stack([robot.coriolis(q, v) for q, v in zip(qs, dq)]) + robot.gravity(qs)
    np.testing.assert_allclose(robot.rnea(qs, dq, ddq), tau, atol=1e-9)


def test_dynamics_bad_input_names_argument() -> None:
    robot = Robot("fr3")
    q = np.zeros(7)
    with pytest.raises(InvalidInputError, match=r"dq: expected shape \(7,\)"):
        robot.rnea(q, np.zeros(6), q)
    with pytest.raises(InvalidInputError, match="ddq: contains NaN"):
        robot.rnea(q, q, np.full(7, np.nan))
    with pytest.raises(InvalidInputError, match="dq: expected dtype float64"):
        robot.rnea(q, q.astype(np.float32), q)
    with pytest.raises(InvalidInputError, match=r"ddq: expected shape \(5, 7\)"):
        robot.rnea(np.zeros((5, 7)), np.zeros((5, 7)), np.zeros((4, 7)))
    with pytest.raises(InvalidInputError, match="q: array must be C-contiguous"):
        robot.mass_matrix(np.zeros((7, 5)).T)
    with pytest.raises(InvalidInputError, match="com: contains NaN"):
        robot.set_link_inertia(0, 1.0, np.array([0, np.nan, 0]), np.eye(3))
    with pytest.raises(InvalidInputError, match=r"inertia: expected shape \(3, 3\)"):
        robot.set_link_inertia(0, 1.0, np.zeros(3), np.eye(4))
