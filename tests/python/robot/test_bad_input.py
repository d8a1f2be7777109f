"""Bad input to the robot kernels raises graspvla.errors exceptions naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla._core import robot as _robot
from graspvla.errors import InvalidInputError
from graspvla.robot import Frame, Robot

robot = Robot("fr3")


@pytest.mark.parametrize(
    "q,match",
    [
        (np.zeros(6), r"q: expected shape \(7,\), got \(6,\)"),
        (np.zeros((7, 1)), "q: expected 1 dimensions"),
        (np.zeros(7, dtype=np.float32), "q: expected dtype float64, got float32"),
        (np.array([0, 0, 0, np.nan, 0, 0, 0.0]), "q: contains NaN"),
        (np.array([0, 0, 0, np.inf, 0, 0, 0.0]), "q: contains NaN or infinite"),
        (np.zeros((3, 14))[:, ::2], "q: "),
        ([0.0] * 7, "q: expected a numpy array"),
    ],
)
def test_single_configuration_errors(q: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        _robot.forward_kinematics(robot.model, q)
    with pytest.raises(InvalidInputError, match=match):
        _robot.jacobian(robot.model, q, int(Frame.TCP))


def test_batch_errors_and_out_arrays() -> None:
    q = np.zeros((4, 7))
    with pytest.raises(InvalidInputError, match="q: array must be C-contiguous"):
        _robot.forward_kinematics_batch(robot.model, np.asfortranarray(np.zeros((4, 7))), -1)
    with pytest.raises(InvalidInputError, match="frame: expected 0..9"):
        _robot.jacobian_batch(robot.model, q, 12)
    with pytest.raises(InvalidInputError, match="out: expected a writeable C-contiguous"):
        _robot.forward_kinematics_batch(robot.model, q, int(Frame.TCP), np.zeros((4, 4, 3)))
    out = np.zeros((4, 4, 4))
    res = _robot.forward_kinematics_batch(robot.model, q, int(Frame.TCP), out)
    assert res is out or np.shares_memory(res, out)
    np.testing.assert_allclose(out[0], robot.fk(np.zeros(7), Frame.TCP))
    ro = np.zeros((4, 4, 4))
    ro.flags.writeable = False
    with pytest.raises(InvalidInputError, match="out"):
        _robot.forward_kinematics_batch(robot.model, q, int(Frame.TCP), ro)


def test_within_limits_and_unknown_robot() -> None:
    assert robot.within_limits(np.clip(np.zeros(7), robot.q_min, robot.q_max))
    assert not robot.within_limits(robot.q_max + 0.01)
    assert not robot.within_limits(np.full(7, np.nan))
    with pytest.raises(InvalidInputError, match="robot name"):
        Robot("ur5")  # type: ignore[arg-type]


def test_batch_equals_single_and_thread_count_invariant() -> None:
    qs = robot.random_configurations(2000, 5)
    single = np.stack([robot.fk(q) for q in qs[:50]])
    np.testing.assert_array_equal(robot.fk(qs)[:50], single)
    one = _robot.forward_kinematics_batch(robot.model, qs, -1, None, 1)
    two = _robot.forward_kinematics_batch(robot.model, qs, -1, None, 2)
    np.testing.assert_array_equal(one, two)


BAD_Q = [
    (np.zeros(6), r"q: expected shape \(7,\), got \(6,\)"),
    (np.zeros((2, 3, 7)), "q: expected 1 dimensions"),
    (np.zeros(7, dtype=np.int64), "q: expected dtype float64, got int64"),
    (np.zeros(7, dtype=np.float32), "q: expected dtype float64, got float32"),
    (np.array([0, 0, np.inf, 0, 0, 0, 0.0]), "q: contains NaN or infinite"),
    (np.zeros(14)[::2], "q: array must be C-contiguous"),
    (np.zeros((7, 4)).T, "q: array must be C-contiguous"),
]


@pytest.mark.parametrize("q,match", BAD_Q)
@pytest.mark.parametrize("method", ["fk", "jacobian", "gravity", "mass_matrix", "rnea"])
def test_typed_api_rejects_bad_configurations(method: str, q: np.ndarray, match: str) -> None:
    fn = getattr(robot, method)
    args = (q, q, q) if method == "rnea" else (q,)
    with pytest.raises(InvalidInputError, match=match):
        fn(*args)


def test_frame_errors_and_empty_batches() -> None:
    with pytest.raises(InvalidInputError, match="frame: expected 0..9, got 10"):
        _robot.jacobian(robot.model, np.zeros(7), 10)
    with pytest.raises(InvalidInputError, match="frame: expected 0..9, got -1"):
        _robot.frame_pose(robot.model, np.zeros(7), -1)
    empty = np.zeros((0, 7))
    assert robot.fk(empty).shape == (0, 10, 4, 4)
    assert robot.jacobian(empty).shape == (0, 6, 7)
    assert robot.gravity(empty).shape == (0, 7) and robot.mass_matrix(empty).shape == (0, 7, 7)
    assert robot.ik_batch(np.zeros((0, 4, 4))).q.shape == (0, 7)
    assert robot.ik_analytic_batch(np.zeros((0, 4, 4)), 0.0).solutions.shape == (0, 8, 7)


def test_python_lists_of_floats_are_accepted_by_the_typed_api() -> None:
    q = [0.0, -0.5, 0.0, -2.0, 0.0, 1.5, 0.7]
    np.testing.assert_array_equal(robot.fk(q, Frame.TCP), robot.fk(np.array(q), Frame.TCP))
    with pytest.raises(InvalidInputError, match="q: expected dtype float64, got int64"):
        robot.fk([0, 0, 0, -2, 0, 2, 0])  # ints are not silently converted
