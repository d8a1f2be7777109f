"""FK of every frame and frame Jacobians against pinocchio on the published URDFs."""

from __future__ import annotations

import numpy as np
import pytest
from robot_oracles import panda_urdf, pin_arm_model, pin_frame_ids

from graspvla.robot import Frame, Robot

pin = pytest.importorskip("pinocchio")

ALL_FRAMES = list(Frame.__members__.values())


def _rot_err(A: np.ndarray, B: np.ndarray) -> float:
    # arcsin of the skew part: accurate near zero, where arccos(trace) loses ~1e-8.
    R = A.T @ B
    s = 0.5 * np.linalg.norm([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    return float(np.arcsin(min(1.0, s))) if np.trace(R) > 1 else float(np.pi)


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_fk_and_jacobians_of_every_frame_match_pinocchio(name: str) -> None:
    """1000 random configurations; link1..7, flange, hand, TCP; pose and LOCAL_WORLD_ALIGNED Jacobian."""
    model = pin_arm_model(name)
    data = model.createData()
    fids = pin_frame_ids(model, name)
    robot = Robot(name)  # type: ignore[arg-type]
    qs = robot.random_configurations(1000, np.random.default_rng(42))
    ours = robot.fk(qs)  # (N, 10, 4, 4), batched over all cores
    jac_ours = np.stack([robot.jacobian(qs, f) for f in ALL_FRAMES], axis=1)  # (N, 10, 6, 7)
    worst_p = worst_r = worst_j = 0.0
    for n, q in enumerate(qs):
        pin.computeJointJacobians(model, data, q)  # also runs forward kinematics
        pin.updateFramePlacements(model, data)
        for k, fid in enumerate(fids):
            M = data.oMf[fid]
            worst_p = max(worst_p, float(np.abs(M.translation - ours[n, k, :3, 3]).max()))
            worst_r = max(worst_r, _rot_err(M.rotation, ours[n, k, :3, :3]))
            Jp = pin.getFrameJacobian(model, data, fid, pin.LOCAL_WORLD_ALIGNED)
            worst_j = max(worst_j, float(np.abs(Jp - jac_ours[n, k]).max()))
        # single-configuration entry points agree with the batch bit for bit
        if n < 20:
            np.testing.assert_array_equal(robot.fk(q), ours[n])
            np.testing.assert_array_equal(robot.jacobian(q, Frame.TCP), jac_ours[n, -1])
    print(f"{name}: max position error {worst_p:.2e} m, rotation {worst_r:.2e} rad, Jacobian {worst_j:.2e}")
    assert worst_p < 1e-9 and worst_r < 1e-9 and worst_j < 1e-9, (worst_p, worst_r, worst_j)


def test_tcp_is_panda_hand_plus_0_1034_z() -> None:
    """TCP = panda_hand translated 0.1034 m along its own z (the URDF's panda_hand frame)."""
    model = pin.buildModelFromUrdf(str(panda_urdf()))
    data = model.createData()
    hand = model.getFrameId("panda_hand")
    robot = Robot("panda")
    worst = 0.0
    for q in robot.random_configurations(1000, 7):
        qp = np.zeros(model.nq)
        qp[:7] = q
        pin.framesForwardKinematics(model, data, qp)
        expected = data.oMf[hand].homogeneous @ np.array(
            [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0.1034], [0, 0, 0, 1.0]])
        worst = max(worst, float(np.abs(robot.fk(q, Frame.TCP) - expected).max()))
    assert worst < 1e-9, worst


def test_finger_extension_moves_tcp_along_hand_z() -> None:
    q = Robot("fr3").random_configurations(1, 3)[0]
    a, b = Robot("fr3").fk(q, Frame.TCP), Robot("fr3", finger_extension=0.03).fk(q, Frame.TCP)
    np.testing.assert_allclose(b[:3, 3] - a[:3, 3], 0.03 * a[:3, 2], atol=1e-12)
    np.testing.assert_allclose(a[:3, :3], b[:3, :3])
    # the Jacobian follows the extended TCP
    Ja, Jb = Robot("fr3").jacobian(q), Robot("fr3", finger_extension=0.03).jacobian(q)
    np.testing.assert_allclose(Jb[:3] - Ja[:3], np.cross(Ja[3:].T, 0.03 * a[:3, 2]).T, atol=1e-12)


@pytest.mark.parametrize("name", ["panda", "fr3"])
def test_jacobian_matches_finite_differences(name: str) -> None:
    """Central differences of FK (position; rotation via dR R^T) for every frame."""
    robot = Robot(name)  # type: ignore[arg-type]
    eps = 1e-6
    for q in robot.random_configurations(50, 11):
        T0 = robot.fk(q)
        Tp = np.stack([robot.fk(q + eps * e) for e in np.eye(7)])  # (7, 10, 4, 4)
        Tm = np.stack([robot.fk(q - eps * e) for e in np.eye(7)])
        for f in ALL_FRAMES:
            J = robot.jacobian(q, f)
            k = int(f)
            for j in range(7):
                v = (Tp[j, k, :3, 3] - Tm[j, k, :3, 3]) / (2 * eps)
                dR = (Tp[j, k, :3, :3] - Tm[j, k, :3, :3]) / (2 * eps) @ T0[k, :3, :3].T
                w = np.array([dR[2, 1], dR[0, 2], dR[1, 0]])
                np.testing.assert_allclose(v, J[:3, j], atol=1e-7)
                np.testing.assert_allclose(w, J[3:, j], atol=1e-7)
