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


def test_hand_load_reproduces_panda_urdf_link7() -> None:
    """URDF panda_link7 alone + franka_hand_load() == the lumped link7 of pinocchio's reduced
    Panda model (hand and fingers merged): checks the hand constants and add_load together."""
    model = pin_arm_model("panda")
    robot = Robot("panda")
    # panda_link7's own URDF inertial (example-robot-data), before the hand is attached
    c7 = np.array([1.0517e-02, -4.252e-03, 6.1597e-02])
    I7 = np.array([[0.012516, -0.000428, -0.001196], [-0.000428, 0.010027, -0.000741],
                   [-0.001196, -0.000741, 0.004815]])
    robot.set_link_inertia(6, 0.735522, c7, I7)
    robot.add_load(*Robot.franka_hand_load())
    m, c, inertia = robot.link_inertia(6)
    ref = model.inertias[7]
    assert m == pytest.approx(ref.mass, abs=1e-12)
    np.testing.assert_allclose(c, ref.lever, atol=1e-12)
    np.testing.assert_allclose(inertia, ref.inertia, atol=1e-12)


def test_add_load_matches_pinocchio_appended_body() -> None:
    """An arbitrary flange load on the FR3 against pinocchio with the body appended to joint 7."""
    model = pin_arm_model("fr3")
    fl = model.frames[model.getFrameId("link8")]
    rng = np.random.default_rng(8)
    mass, com = 1.7, rng.uniform(-0.05, 0.05, 3)
    A = rng.normal(size=(3, 3))
    inertia = 0.01 * (A @ A.T + np.eye(3))
    model.appendBodyToJoint(fl.parentJoint, pin.Inertia(mass, com, inertia), fl.placement)
    data = model.createData()
    robot = Robot("fr3")
    arm = pin_arm_model("fr3")  # without the load
    for i in range(7):  # exact URDF values
        ref = arm.inertias[i + 1]
        robot.set_link_inertia(i, ref.mass, ref.lever, ref.inertia)
    g0 = robot.gravity(np.clip(np.zeros(7), robot.q_min, robot.q_max))
    robot.add_load(mass, com, inertia)
    worst = 0.0
    for q in robot.random_configurations(200, rng):
        dq, ddq = rng.uniform(-2, 2, 7), rng.uniform(-5, 5, 7)
        worst = max(worst, np.abs(robot.gravity(q) - pin.computeGeneralizedGravity(model, data, q)).max())
        worst = max(worst, np.abs(robot.rnea(q, dq, ddq) - pin.rnea(model, data, q, dq, ddq)).max())
        M = pin.crba(model, data, q)
        worst = max(worst, np.abs(robot.mass_matrix(q) - (np.triu(M) + np.triu(M, 1).T)).max())
    assert worst < 1e-9, worst
    assert not np.allclose(robot.gravity(np.clip(np.zeros(7), robot.q_min, robot.q_max)), g0)
    with pytest.raises(InvalidInputError, match="mass"):
        robot.add_load(-1.0, np.zeros(3))
    with pytest.raises(InvalidInputError, match="com: expected shape"):
        robot.add_load(1.0, np.zeros(2))
    with pytest.raises(InvalidInputError, match="inertia: must be symmetric"):
        robot.add_load(1.0, np.zeros(3), np.triu(np.ones((3, 3))))
