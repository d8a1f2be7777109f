"""Typed Python API over ``graspvla._core.robot``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from graspvla._core import robot as _robot

Frame = _robot.Frame
RobotName = Literal["panda", "fr3"]

__all__ = ["AnalyticIKBatchResult", "Frame", "IKBatchResult", "IKResult", "Robot", "RobotName"]

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


@dataclass
class IKBatchResult:
    """Outcome of :meth:`Robot.ik_batch` for N target poses.

    Attributes:
        q: (N, 7) joint configurations [rad]; row i is meaningful only where ``success[i]``.
        success: (N,) bool, pose i reached within tolerance inside the joint limits.
        position_error: (N,) remaining TCP/frame position error [m].
        orientation_error: (N,) remaining orientation error [rad].

    Unpacks as ``q, success, errors = result`` with ``errors`` (N, 2) = [position m,
    orientation rad] for callers of the earlier tuple API.
    """

    q: FloatArray
    success: NDArray[np.bool_]
    position_error: FloatArray
    orientation_error: FloatArray

    @property
    def errors(self) -> FloatArray:
        """(N, 2) [position error m, orientation error rad]."""
        return np.stack([self.position_error, self.orientation_error], axis=1)

    @property
    def success_rate(self) -> float:
        """Fraction of poses solved."""
        return float(self.success.mean()) if len(self.success) else 0.0

    def __iter__(self) -> Iterator[NDArray[np.generic]]:
        return iter((self.q, self.success, self.errors))


@dataclass
class AnalyticIKBatchResult:
    """Outcome of :meth:`Robot.ik_analytic_batch` for N target poses.

    Attributes:
        solutions: (N, 8, 7) [rad]; the first ``counts[i]`` rows of ``solutions[i]`` are
            distinct in-limit configurations reaching pose i (verified by FK to 1e-9), the
            remaining rows are NaN.
        counts: (N,) number of solutions per pose; 0 = unreachable with that q7 inside the
            joint limits.
        q7: (N,) the fixed joint-7 angles [rad].
    """

    solutions: FloatArray
    counts: NDArray[np.int32]
    q7: FloatArray

    @property
    def success(self) -> NDArray[np.bool_]:
        """(N,) True where at least one solution exists."""
        return self.counts > 0

    def solutions_of(self, i: int) -> FloatArray:
        """The (K, 7) solutions of pose ``i``."""
        return self.solutions[i, : int(self.counts[i])]


class Robot:
    """A Franka arm with the Franka hand.

    Args:
        name: ``"panda"`` (FER) or ``"fr3"``.
        finger_extension: extra finger length in metres (GraspVLA used 0.02-0.03); moves
            the TCP along the hand's z axis.

    Frames: ``Frame.LINK1`` ... ``Frame.LINK7`` (DH / URDF link frames), ``Frame.FLANGE``
    (link8), ``Frame.HAND`` (flange rotated -pi/4 about z) and ``Frame.TCP`` (between the
    fingertips). Every pose is expressed in the robot base frame.

    Dynamics (gravity, RNEA, CRBA mass matrix) use per-link inertials: the Panda defaults are
    example-robot-data's ``panda.urdf`` with the hand and closed fingers lumped into link7;
    the FR3 defaults are franka_description's arm (franky-sim ``fr3_clean.urdf``), which has
    no hand: call ``add_load(*Robot.franka_hand_load())`` to carry it. Identified
    parameters (e.g. Gaz et al. 2019) can replace them with :meth:`set_link_inertia`.
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

    def check_limits(self, q: FloatArray, name: str = "q") -> None:
        """Raises :class:`graspvla.errors.LimitViolationError` naming ``name`` and the first
        offending joint when ``q`` (7,) or (N, 7) [rad] lies outside the position limits."""
        from graspvla.errors import InvalidInputError, LimitViolationError

        qa = np.asarray(q, dtype=np.float64)
        if qa.shape[-1:] != (7,) or qa.ndim > 2:
            raise InvalidInputError(f"{name}: expected shape (7,) or (N, 7), got {qa.shape}")
        if not np.isfinite(qa).all():
            raise InvalidInputError(f"{name}: contains NaN or infinite values")
        bad = (qa < self.q_min) | (qa > self.q_max)
        if bad.any():
            idx = np.argwhere(bad)[0]
            j = int(idx[-1])
            where = f"{name}[{int(idx[0])}]" if qa.ndim == 2 else name
            raise LimitViolationError(
                f"{where}: joint {j + 1} = {float(qa[tuple(idx)]):.6g} rad is outside "
                f"[{self.q_min[j]:.6g}, {self.q_max[j]:.6g}] of the {self.name}")

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
        if type(q) is not np.ndarray:
            q = np.asarray(q)
        if q.ndim == 2:
            return _robot.forward_kinematics_batch(self.model, q, -1 if frame is None else int(frame))
        if frame is None:
            return _robot.forward_kinematics(self.model, q)
        return _robot.frame_pose(self.model, q, frame)

    def jacobian(self, q: FloatArray, frame: Frame = Frame.TCP) -> FloatArray:
        """Geometric Jacobian of ``frame``'s origin in the base frame.

        Rows are [linear velocity (3) [m/s]; angular velocity (3) [rad/s]] per unit joint
        velocity. ``q`` (7,) gives (6, 7); ``q`` (N, 7) gives (N, 6, 7).
        """
        if type(q) is not np.ndarray:
            q = np.asarray(q)
        if q.ndim == 2:
            return _robot.jacobian_batch(self.model, q, int(frame))
        return _robot.jacobian(self.model, q, frame)  # Frame passes without an int conversion

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
        damping: float = 1e-3,
        posture_gain: float = 0.1,
        q_rest: FloatArray | None = None,
        seed: int = 0,
    ) -> IKResult:
        """Damped-least-squares IK: joint angles placing ``frame`` at ``target``.

        Args:
            target: desired pose of ``frame``, 4x4 float64 in the base frame [m].
            q_seed: start configuration (7,) [rad], inside the joint limits (default: the
                middle of the joint range). Out-of-limit seeds raise LimitViolationError.
            frame: any :class:`Frame` (default the TCP between the fingertips).
            max_iterations: iteration budget per attempt; ``restarts`` extra attempts start
                from random in-limit configurations drawn from ``seed`` (same seed, same answer).
            tol_position: [m] and ``tol_orientation`` [rad]: convergence tolerances.
            damping: lambda of the damped pseudo-inverse J^T (J J^T + lambda^2 I)^-1.
            posture_gain: null-space pull towards ``q_rest`` (7,) [rad] (default: the middle
                of the joint range); 0 disables it.

        Returns:
            :class:`IKResult`. Every iterate is clamped into the joint limits. An unreachable
            pose returns ``success=False`` with the remaining error and a ``reason``; it never
            raises for unreachability and never reports a non-converged guess as success.
        """
        seed_q = 0.5 * (self.q_min + self.q_max) if q_seed is None else np.asarray(q_seed, dtype=np.float64)
        q, status, it, ep, eo = _robot.ik(
            self.model, np.ascontiguousarray(target, dtype=np.float64), np.ascontiguousarray(seed_q), int(frame),
            int(max_iterations), int(restarts), float(tol_position), float(tol_orientation), float(damping),
            float(posture_gain), None if q_rest is None else np.ascontiguousarray(q_rest, dtype=np.float64), int(seed))
        ok = status == _robot.Status.OK
        reason = "" if ok else (
            f"not converged after {it} iterations: position error {ep:.3g} m, orientation error {eo:.3g} rad "
            "(pose unreachable within the joint limits?)")
        return IKResult(q=np.asarray(q), success=ok, position_error=ep, orientation_error=eo, iterations=it, reason=reason)

    def ik_batch(
        self,
        targets: FloatArray,
        q_seeds: FloatArray | None = None,
        frame: Frame = Frame.TCP,
        *,
        max_iterations: int = 150,
        restarts: int = 16,
        tol_position: float = 1e-6,
        tol_orientation: float = 1e-6,
        damping: float = 1e-3,
        posture_gain: float = 0.1,
        q_rest: FloatArray | None = None,
        seed: int = 0,
        threads: int = 0,
    ) -> IKBatchResult:
        """:meth:`ik` for N poses ``targets`` (N, 4, 4) (base frame) on all cores, GIL released.

        ``q_seeds`` (N, 7) [rad] (default: the middle of the joint range). Pose i uses the
        random stream ``seed + i``, so results do not depend on ``threads`` (0 = all cores).
        """
        targets = np.ascontiguousarray(targets, dtype=np.float64)
        if q_seeds is None:
            q_seeds = np.tile(0.5 * (self.q_min + self.q_max), (len(targets), 1))
        q, ok, err = _robot.ik_batch(
            self.model, targets, np.ascontiguousarray(q_seeds, dtype=np.float64), int(frame), int(max_iterations),
            int(restarts), float(tol_position), float(tol_orientation), float(damping), float(posture_gain),
            None if q_rest is None else np.ascontiguousarray(q_rest, dtype=np.float64), int(seed), int(threads))
        return IKBatchResult(q=np.asarray(q), success=np.asarray(ok), position_error=np.asarray(err[:, 0]),
                             orientation_error=np.asarray(err[:, 1]))

    def ik_analytic(self, target: FloatArray, q7: float, frame: Frame = Frame.TCP) -> FloatArray:
        """Closed-form IK (He & Liu 2021 geometry) with joint 7 fixed at ``q7`` [rad].

        Args:
            target: pose of ``frame`` (``Frame.FLANGE``, ``Frame.HAND`` or ``Frame.TCP``),
                4x4 float64 in the base frame [m].
            q7: the free parameter, inside joint 7's limits (else LimitViolationError).

        Returns:
            Every solution inside the joint limits as (K, 7) [rad], K <= 8, each verified by
            forward kinematics to 1e-9. K = 0 (an empty (0, 7) array) is the failure result:
            the pose is unreachable with this q7 inside the joint limits.
        """
        return np.asarray(_robot.ik_analytic(self.model, np.ascontiguousarray(target, dtype=np.float64),
                                             float(q7), int(frame)))

    def ik_analytic_batch(
        self, targets: FloatArray, q7: FloatArray | float, frame: Frame = Frame.TCP, *, threads: int = 0,
    ) -> AnalyticIKBatchResult:
        """:meth:`ik_analytic` for N poses ``targets`` (N, 4, 4) (base frame) on all cores.

        ``q7`` is one angle [rad] for all poses or (N,) per pose, inside joint 7's limits.
        """
        targets = np.ascontiguousarray(targets, dtype=np.float64)
        q7a = np.ascontiguousarray(np.broadcast_to(np.asarray(q7, dtype=np.float64), targets.shape[:1]))
        sols, counts = _robot.ik_analytic_batch(self.model, targets, q7a, int(frame), int(threads))
        return AnalyticIKBatchResult(solutions=np.asarray(sols), counts=np.asarray(counts), q7=q7a)

    def ik_analytic_sweep(
        self, target: FloatArray, num_q7: int = 64, frame: Frame = Frame.TCP, q_near: FloatArray | None = None,
        *, threads: int = 0,
    ) -> FloatArray:
        """Closed-form IK without a given q7: every solution over ``num_q7`` evenly spaced q7
        values spanning joint 7's range, as (K, 7) [rad], sorted by max-joint distance to
        ``q_near`` (7,) [rad] when given. K = 0 means no solution was found on that grid."""
        q7 = np.linspace(self.q_min[6], self.q_max[6], int(num_q7))
        targets = np.ascontiguousarray(np.broadcast_to(np.asarray(target, dtype=np.float64), (len(q7), 4, 4)))
        res = self.ik_analytic_batch(targets, q7, frame, threads=threads)
        sols = res.solutions[~np.isnan(res.solutions[:, :, 0])]
        if q_near is not None and len(sols):
            near = np.asarray(q_near, dtype=np.float64)
            sols = sols[np.argsort(np.abs(sols - near).max(axis=1), kind="stable")]
        return sols

    # ---- dynamics -----------------------------------------------------------------------
    def gravity(self, q: FloatArray) -> FloatArray:
        """Gravity torques g(q) (7,) [Nm] holding the arm still at ``q`` [rad] (gravity -9.81
        m/s^2 along base z); ``q`` (N, 7) gives (N, 7)."""
        q = np.asarray(q)
        if q.ndim == 2:
            return _robot.gravity_torques_batch(self.model, q)
        return np.asarray(_robot.gravity_torques(self.model, q))

    def mass_matrix(self, q: FloatArray) -> FloatArray:
        """Joint-space inertia matrix M(q) (7, 7) [kg m^2] (CRBA); ``q`` (N, 7) gives (N, 7, 7)."""
        q = np.asarray(q)
        if q.ndim == 2:
            return _robot.mass_matrix_batch(self.model, q)
        return np.asarray(_robot.mass_matrix(self.model, q))

    def coriolis(self, q: FloatArray, dq: FloatArray) -> FloatArray:
        """Coriolis and centrifugal torques C(q, dq) dq (7,) [Nm]."""
        return np.asarray(_robot.coriolis_torques(self.model, np.asarray(q), np.asarray(dq)))

    def rnea(self, q: FloatArray, dq: FloatArray, ddq: FloatArray) -> FloatArray:
        """Inverse dynamics (recursive Newton-Euler): tau = M(q) ddq + C(q, dq) dq + g(q) [Nm].

        ``q`` [rad], ``dq`` [rad/s], ``ddq`` [rad/s^2] (7,) give (7,); (N, 7) each give (N, 7).
        Gravity is -9.81 m/s^2 along the base z axis; no friction (Franka compensates it).
        """
        q = np.asarray(q)
        if q.ndim == 2:
            return _robot.inverse_dynamics_batch(self.model, q, np.asarray(dq), np.asarray(ddq))
        return np.asarray(_robot.inverse_dynamics(self.model, q, np.asarray(dq), np.asarray(ddq)))

    def set_link_inertia(self, index: int, mass: float, com: FloatArray, inertia: FloatArray) -> None:
        """Replaces link ``index`` (0 = link1 ... 6 = link7) inertials: ``mass`` [kg], ``com``
        (3,) [m] and ``inertia`` (3, 3) about the COM [kg m^2], both in the link frame."""
        _robot.set_link_inertia(self.model, int(index), float(mass), np.ascontiguousarray(com, dtype=np.float64),
                                np.ascontiguousarray(inertia, dtype=np.float64))

    def link_inertia(self, index: int) -> tuple[float, FloatArray, FloatArray]:
        """Link ``index`` (0 = link1 ... 6 = link7) inertials: (mass [kg], COM (3,) [m],
        inertia about the COM (3, 3) [kg m^2]), both in the link frame."""
        m, c, inertia = _robot.link_inertia(self.model, int(index))
        return float(m), np.asarray(c), np.asarray(inertia)

    def add_load(self, mass: float, com: FloatArray, inertia: FloatArray | None = None) -> None:
        """Attaches a rigid load to the flange (libfranka ``setLoad`` convention).

        Args:
            mass: [kg], >= 0.
            com: (3,) centre of mass [m] in the flange frame (link8).
            inertia: (3, 3) inertia about the load's COM [kg m^2] in flange axes (default: a
                point mass).

        The load is lumped into link7, so gravity, RNEA and the mass matrix include it. The
        Panda defaults already carry the Franka Hand; the FR3 defaults do not: use
        ``robot.add_load(*Robot.franka_hand_load())`` for an FR3 with the hand.
        """
        _robot.add_load(self.model, float(mass), np.ascontiguousarray(com, dtype=np.float64),
                        np.zeros((3, 3)) if inertia is None else np.ascontiguousarray(inertia, dtype=np.float64))

    @staticmethod
    def franka_hand_load() -> tuple[float, FloatArray, FloatArray]:
        """The Franka Hand with closed fingers as a flange load: (mass [kg], COM (3,) [m] in the
        flange frame, inertia about the COM (3, 3) [kg m^2]), from example-robot-data's URDF."""
        m, c, inertia = _robot.franka_hand_load()
        return float(m), np.asarray(c), np.asarray(inertia)

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
