"""Typed Python API over ``graspvla._core.robot``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from graspvla._core import robot as _robot

Frame = _robot.Frame
RobotName = Literal["panda", "fr3"]

__all__ = ["Frame", "IKResult", "Robot", "RobotName"]

FloatArray = NDArray[np.float64]


@dataclass
class IKResult:
    """Outcome of an inverse-kinematics query.

    Attributes:
        q: best joint configuration found (7,) [rad]; meaningful only when ``success``.
        success: the pose is reached within tolerance and inside the joint limits.
        position_error: remaining position error [m]; ``orientation_error`` [rad].
        iterations: solver iterations used over all attempts.
        reason: empty on success, else why it failed (e.g. unreachable pose).
    """

    q: FloatArray
    success: bool
    position_error: float
    orientation_error: float
    iterations: int = 0
    reason: str = ""


class Robot:
    """A Franka arm with the Franka hand.

    Args:
        name: ``"panda"`` (FER) or ``"fr3"``.
        finger_extension: extra finger length in metres (GraspVLA used 0.02-0.03); moves
            the TCP along the hand's z axis.

    Frames: ``Frame.LINK1`` ... ``Frame.LINK7`` (DH / URDF link frames), ``Frame.FLANGE``
    (link8), ``Frame.HAND`` (flange rotated -pi/4 about z) and ``Frame.TCP`` (between the
    fingertips). Every pose is expressed in the robot base frame.
    """

    def __init__(self, name: RobotName = "fr3", finger_extension: float = 0.0) -> None:
        if name == "panda":
            self.model = _robot.RobotModel.panda(float(finger_extension))
        elif name == "fr3":
            self.model = _robot.RobotModel.fr3(float(finger_extension))
        else:
            from graspvla.errors import InvalidInputError

            raise InvalidInputError(f"robot name: expected 'panda' or 'fr3', got {name!r}")
        self.name: RobotName = name

    def __repr__(self) -> str:
        return f"Robot({self.name!r}, finger_extension={self.model.finger_extension})"

    # ---- limits -------------------------------------------------------------------------
    @property
    def q_min(self) -> FloatArray:
        """Lower joint position limits (7,) [rad]."""
        return np.asarray(self.model.q_min)

    @property
    def q_max(self) -> FloatArray:
        """Upper joint position limits (7,) [rad]."""
        return np.asarray(self.model.q_max)

    @property
    def dq_max(self) -> FloatArray:
        """Joint velocity limits (7,) [rad/s]."""
        return np.asarray(self.model.dq_max)

    @property
    def ddq_max(self) -> FloatArray:
        """Joint acceleration limits (7,) [rad/s^2]."""
        return np.asarray(self.model.ddq_max)

    @property
    def dddq_max(self) -> FloatArray:
        """Joint jerk limits (7,) [rad/s^3]."""
        return np.asarray(self.model.dddq_max)

    @property
    def tau_max(self) -> FloatArray:
        """Joint torque limits (7,) [Nm]."""
        return np.asarray(self.model.tau_max)

    def within_limits(self, q: FloatArray) -> bool:
        """True when every joint angle of ``q`` (7,) [rad] is finite and inside its limits."""
        return bool(_robot.within_limits(self.model, np.ascontiguousarray(q, dtype=np.float64)))

    def random_configurations(self, n: int, rng: np.random.Generator | int | None = None) -> FloatArray:
        """``n`` joint configurations (n, 7) [rad] drawn uniformly inside the position limits."""
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return gen.uniform(self.q_min, self.q_max, size=(int(n), 7))

    # ---- kinematics ---------------------------------------------------------------------
    def fk(self, q: FloatArray, frame: Frame | None = None) -> FloatArray:
        """Forward kinematics.

        Args:
            q: joint angles, (7,) or (N, 7) float64 [rad].
            frame: a single frame, or ``None`` for all frames.
        Returns:
            Poses in the base frame: (4, 4) / (NUM_FRAMES, 4, 4) for one configuration,
            (N, 4, 4) / (N, NUM_FRAMES, 4, 4) for a batch.
        """
        q = np.asarray(q)
        if q.ndim == 2:
            return _robot.forward_kinematics_batch(self.model, q, -1 if frame is None else int(frame))
        out = _robot.forward_kinematics(self.model, q)
        return out if frame is None else out[int(frame)]

    def jacobian(self, q: FloatArray, frame: Frame = Frame.TCP) -> FloatArray:
        """Geometric Jacobian of ``frame``'s origin in the base frame.

        Rows are [linear velocity (3) [m/s]; angular velocity (3) [rad/s]] per unit joint
        velocity. ``q`` (7,) gives (6, 7); ``q`` (N, 7) gives (N, 6, 7).
        """
        q = np.asarray(q)
        if q.ndim == 2:
            return _robot.jacobian_batch(self.model, q, int(frame))
        return _robot.jacobian(self.model, q, int(frame))

    # ---- inverse kinematics -------------------------------------------------------------
    def ik(
        self,
        target: FloatArray,
        q_seed: FloatArray | None = None,
        frame: Frame = Frame.TCP,
        *,
        max_iterations: int = 150,
        restarts: int = 16,
        tol_position: float = 1e-6,
        tol_orientation: float = 1e-6,
        posture_gain: float = 0.1,
        q_rest: FloatArray | None = None,
        seed: int = 0,
    ) -> IKResult:
        """Damped-least-squares IK for ``frame`` reaching ``target`` (4x4, base frame).

        Starts from ``q_seed`` (default: the middle of the joint range), keeps every joint
        inside its limits, pulls the redundant DoF towards ``q_rest`` in the null space, and
        retries from ``restarts`` random configurations drawn from ``seed``. An unreachable
        pose returns ``success=False`` with the remaining error, never a silent guess.
        """
        seed_q = 0.5 * (self.q_min + self.q_max) if q_seed is None else np.asarray(q_seed, dtype=np.float64)
        q, status, it, ep, eo = _robot.ik(
            self.model, np.ascontiguousarray(target, dtype=np.float64), np.ascontiguousarray(seed_q), int(frame),
            max_iterations, restarts, tol_position, tol_orientation, 1e-3, posture_gain,
            None if q_rest is None else np.ascontiguousarray(q_rest, dtype=np.float64), seed)
        ok = status == _robot.Status.OK
        reason = "" if ok else (
            f"not converged after {it} iterations: position error {ep:.3g} m, orientation error {eo:.3g} rad "
            "(pose unreachable within the joint limits?)")
        return IKResult(q=np.asarray(q), success=ok, position_error=ep, orientation_error=eo, iterations=it, reason=reason)

    def ik_analytic(self, target: FloatArray, q7: float, frame: Frame = Frame.TCP) -> FloatArray:
        """Closed-form IK (He & Liu 2021 geometry) with joint 7 fixed at ``q7`` [rad].

        Returns every solution inside the joint limits as (K, 7) [rad], K <= 8, each verified
        by forward kinematics; K = 0 when the pose is unreachable with this q7. ``frame`` is
        ``Frame.FLANGE``, ``Frame.HAND`` or ``Frame.TCP``; ``target`` is 4x4 in the base frame.
        """
        return np.asarray(_robot.ik_analytic(self.model, np.ascontiguousarray(target, dtype=np.float64),
                                             float(q7), int(frame)))

    def ik_batch(
        self, targets: FloatArray, q_seeds: FloatArray | None = None, frame: Frame = Frame.TCP, *,
        restarts: int = 16, seed: int = 0, threads: int = 0,
    ) -> tuple[FloatArray, NDArray[np.bool_], FloatArray]:
        """IK for N poses (N, 4, 4) on all cores. Returns (q (N, 7), success (N,), errors (N, 2)
        [position m, orientation rad]). Results do not depend on the thread count."""
        targets = np.ascontiguousarray(targets, dtype=np.float64)
        if q_seeds is None:
            q_seeds = np.tile(0.5 * (self.q_min + self.q_max), (len(targets), 1))
        return _robot.ik_batch(self.model, targets, np.ascontiguousarray(q_seeds, dtype=np.float64), int(frame),
                               150, restarts, 1e-6, 1e-6, 1e-3, 0.1, None, seed, threads)

    # ---- dynamics -----------------------------------------------------------------------
    def gravity(self, q: FloatArray) -> FloatArray:
        """Gravity torques g(q) (7,) [Nm]; ``q`` (N, 7) gives (N, 7)."""
        q = np.asarray(q)
        if q.ndim == 2:
            return _robot.gravity_torques_batch(self.model, q)
        return np.asarray(_robot.gravity_torques(self.model, q))

    def mass_matrix(self, q: FloatArray) -> FloatArray:
        """Joint-space inertia matrix M(q) (7, 7) [kg m^2]."""
        return np.asarray(_robot.mass_matrix(self.model, np.asarray(q)))

    def coriolis(self, q: FloatArray, dq: FloatArray) -> FloatArray:
        """Coriolis and centrifugal torques C(q, dq) dq (7,) [Nm]."""
        return np.asarray(_robot.coriolis_torques(self.model, np.asarray(q), np.asarray(dq)))

    def rnea(self, q: FloatArray, dq: FloatArray, ddq: FloatArray) -> FloatArray:
        """Inverse dynamics tau = M(q) ddq + C(q, dq) dq + g(q) (7,) [Nm] (no friction)."""
        return np.asarray(_robot.inverse_dynamics(self.model, np.asarray(q), np.asarray(dq), np.asarray(ddq)))

    def set_link_inertia(self, index: int, mass: float, com: FloatArray, inertia: FloatArray) -> None:
        """Replaces link ``index`` (0 = link1 ... 6 = link7) inertials: ``mass`` [kg], ``com``
        (3,) [m] and ``inertia`` (3, 3) about the COM [kg m^2], both in the link frame."""
        _robot.set_link_inertia(self.model, int(index), float(mass), np.ascontiguousarray(com, dtype=np.float64),
                                np.ascontiguousarray(inertia, dtype=np.float64))

    # ---- collision model ----------------------------------------------------------------
    def collision_spheres(self, q: FloatArray, width: float = 0.08) -> FloatArray:
        """Spheres covering the arm, hand and fingers (gripper opening ``width`` [m]).

        Returns (S, 4) rows [x, y, z, r] in the base frame [m] for q (7,), or (N, S, 4) for
        q (N, 7). ``sphere_bodies()`` gives each sphere's body (link1..7 = 0..6, hand = 7,
        fingers = 8, 9).
        """
        q = np.asarray(q)
        out = _robot.collision_spheres_batch(self.model, np.atleast_2d(q), float(width))
        return out if q.ndim == 2 else out[0]

    @staticmethod
    def sphere_bodies() -> NDArray[np.int32]:
        """Body index of each collision sphere."""
        return np.asarray(_robot.sphere_bodies())

    @staticmethod
    def self_collision_pairs() -> NDArray[np.bool_]:
        """(10, 10) matrix of the body pairs checked for self-collision (non-adjacent bodies
        that can actually meet)."""
        return np.asarray(_robot.self_collision_pairs())

    def self_collision(self, q: FloatArray, width: float = 0.08, margin: float = 0.0) -> NDArray[np.bool_] | bool:
        """True where configuration(s) ``q`` (7,) or (N, 7) self-collide: two checked spheres
        closer than ``margin`` [m]."""
        q = np.asarray(q)
        hit, _ = _robot.self_collision_batch(self.model, np.atleast_2d(q), float(width), float(margin))
        return hit if q.ndim == 2 else bool(hit[0])

    def self_collision_distance(self, q: FloatArray, width: float = 0.08) -> FloatArray | float:
        """Smallest signed distance [m] between checked sphere pairs (negative = overlap)."""
        q = np.asarray(q)
        _, dist = _robot.self_collision_batch(self.model, np.atleast_2d(q), float(width), 0.0)
        return dist if q.ndim == 2 else float(dist[0])
