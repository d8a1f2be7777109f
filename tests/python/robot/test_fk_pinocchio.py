"""FK of every frame and frame Jacobians against pinocchio on the published URDFs."""

from __future__ import annotations

import os
import sysconfig

import numpy as np
import pytest

from graspvla.robot import Frame, Robot

pin = pytest.importorskip("pinocchio")


def _panda_urdf() -> str:
    path = os.path.join(sysconfig.get_paths()["purelib"],
                        "cmeel.prefix/share/example-robot-data/robots/panda_description/urdf/panda.urdf")
    if not os.path.isfile(path):
        pytest.skip("example-robot-data not installed")
    return path


def _fr3_urdf() -> str:
    franky_sim = pytest.importorskip("franky_sim")
    return os.path.join(os.path.dirname(franky_sim.__file__), "assets", "fr3_clean.urdf")


CASES = {
    "panda": (_panda_urdf, "panda_link{}", "panda_link8"),
    "fr3": (_fr3_urdf, "link{}", "link8"),
}


def _rot_err(A: np.ndarray, B: np.ndarray) -> float:
    # arcsin of the skew part: accurate near zero, where arccos(trace) loses ~1e-8.
    R = A.T @ B
    s = 0.5 * np.linalg.norm([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    return float(np.arcsin(min(1.0, s))) if np.trace(R) > 1 else float(np.pi)


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_fk_and_jacobian_match_pinocchio(name: str) -> None:
    urdf_fn, link_fmt, flange = CASES[name]
    model = pin.buildModelFromUrdf(urdf_fn())
    data = model.createData()
    robot = Robot(name)  # type: ignore[arg-type]
    rng = np.random.default_rng(42)
    qs = robot.random_configurations(1000, rng)
    ours = robot.fk(qs)  # (N, 10, 4, 4)
    jac_ours = robot.jacobian(qs, Frame.FLANGE)
    frame_ids = [model.getFrameId(link_fmt.format(i)) for i in range(1, 8)] + [model.getFrameId(flange)]
    worst_p = worst_r = worst_j = 0.0
    for n, q in enumerate(qs):
        qp = np.zeros(model.nq)
        qp[:7] = q
        pin.framesForwardKinematics(model, data, qp)
        for k, fid in enumerate(frame_ids):
            M = data.oMf[fid]
            worst_p = max(worst_p, float(np.abs(M.translation - ours[n, k, :3, 3]).max()))
            worst_r = max(worst_r, _rot_err(M.rotation, ours[n, k, :3, :3]))
        pin.computeJointJacobians(model, data, qp)
        Jp = pin.getFrameJacobian(model, data, frame_ids[-1], pin.LOCAL_WORLD_ALIGNED)[:, :7]
        worst_j = max(worst_j, float(np.abs(Jp - jac_ours[n]).max()))
    assert worst_p < 1e-9 and worst_r < 1e-9 and worst_j < 1e-9, (worst_p, worst_r, worst_j)


def test_hand_and_tcp_match_panda_urdf() -> None:
    model = pin.buildModelFromUrdf(_panda_urdf())
    data = model.createData()
    robot = Robot("panda")
    hand, tcp = model.getFrameId("panda_hand"), model.getFrameId("panda_hand_tcp")
    for q in robot.random_configurations(200, 7):
        qp = np.zeros(model.nq)
        qp[:7] = q
        pin.framesForwardKinematics(model, data, qp)
        np.testing.assert_allclose(robot.fk(q, Frame.HAND), data.oMf[hand].homogeneous, atol=1e-9)
        np.testing.assert_allclose(robot.fk(q, Frame.TCP), data.oMf[tcp].homogeneous, atol=1e-9)


def test_finger_extension_moves_tcp_along_hand_z() -> None:
    q = Robot("fr3").random_configurations(1, 3)[0]
    a, b = Robot("fr3").fk(q, Frame.TCP), Robot("fr3", finger_extension=0.03).fk(q, Frame.TCP)
    np.testing.assert_allclose(b[:3, 3] - a[:3, 3], 0.03 * a[:3, 2], atol=1e-12)
    np.testing.assert_allclose(a[:3, :3], b[:3, :3])


def test_jacobian_matches_finite_differences() -> None:
    robot = Robot("fr3")
    eps = 1e-6
    for q in robot.random_configurations(50, 11):
        J = robot.jacobian(q, Frame.TCP)
        T0 = robot.fk(q, Frame.TCP)
        for j in range(7):
            dq = np.zeros(7)
            dq[j] = eps
            Tp, Tm = robot.fk(q + dq, Frame.TCP), robot.fk(q - dq, Frame.TCP)
            np.testing.assert_allclose((Tp[:3, 3] - Tm[:3, 3]) / (2 * eps), J[:3, j], atol=1e-7)
            dR = (Tp[:3, :3] - Tm[:3, :3]) / (2 * eps) @ T0[:3, :3].T
            w = np.array([dR[2, 1], dR[0, 2], dR[1, 0]])
            np.testing.assert_allclose(w, J[3:, j], atol=1e-7)
