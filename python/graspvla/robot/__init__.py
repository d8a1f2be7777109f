"""Franka Panda / FR3 robot model: kinematics, limits, collision spheres, dynamics.

All poses are 4x4 float64 homogeneous matrices in the robot ``base`` frame (link0);
joint angles in radians, lengths in metres, torques in Nm.

    robot = Robot("fr3", finger_extension=0.02)
    T = robot.fk(q, Frame.TCP)                 # (4, 4); q (N, 7) -> (N, 4, 4), all cores
    J = robot.jacobian(q, Frame.TCP)           # (6, 7) rows [v; w], base frame
    res = robot.ik(T, q_seed=q0)               # IKResult(q, success, errors, reason)
    sols = robot.ik_analytic(T, q7=q[6])       # (K, 7) all closed-form solutions, K = 0: none
    g, M = robot.gravity(q), robot.mass_matrix(q)
    tau = robot.rnea(q, dq, ddq)

Failures: bad arrays raise :class:`graspvla.errors.InvalidInputError` naming the argument,
out-of-limit configurations where limits are required raise
:class:`graspvla.errors.LimitViolationError`; unreachable IK targets are *results*
(``success=False`` with a ``reason``, or zero closed-form solutions), never exceptions.
"""

from __future__ import annotations

from graspvla.robot.model import AnalyticIKBatchResult, Frame, IKBatchResult, IKResult, Robot

__all__ = ["AnalyticIKBatchResult", "Frame", "IKBatchResult", "IKResult", "Robot"]
