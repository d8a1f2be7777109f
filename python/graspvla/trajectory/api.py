"""Typed wrappers over ``graspvla._core.trajectory``.

Joint space throughout: positions in rad, velocities rad/s, accelerations rad/s^2, jerks
rad/s^3, times in seconds (any consistent units work for non-Franka DoF).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graspvla._core import trajectory as _traj
from graspvla.errors import InvalidInputError

F = NDArray[np.float64]
Trajectory = _traj.Trajectory
#: Safety factor applied to the Franka limits when no limits are given (velocity, acceleration
#: and jerk alike): the published limits are hard limits whose violation stops the robot.
DEFAULT_SAFETY_SCALE = 0.9
WaypointTrajectory = _traj.WaypointTrajectory

__all__ = [
    "DEFAULT_SAFETY_SCALE",
    "Limits",
    "OnlineGenerator",
    "OnlineStep",
    "Trajectory",
    "WaypointTrajectory",
    "plan_motion",
    "sample_uniform",
    "smooth_path",
]


def _vec(x: ArrayLike, n: int, name: str) -> F:
    """A float64 C-contiguous (n,) copy of x (scalars broadcast); NaN is left for the kernel
    to report with the argument's name."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise InvalidInputError(f"{name}: expected shape ({n},), got {a.shape}")
    return np.ascontiguousarray(a)


@dataclass(frozen=True)
class Limits:
    """Per-DoF limits: ``velocity``, ``acceleration``, ``jerk`` (each > 0, symmetric) and
    optional position bounds that targets must respect (``None``: unbounded)."""

    velocity: F
    acceleration: F
    jerk: F
    min_position: F | None = field(default=None)
    max_position: F | None = field(default=None)

    def __post_init__(self) -> None:
        n = np.asarray(self.velocity).shape
        for name in ("velocity", "acceleration", "jerk", "min_position", "max_position"):
            val = getattr(self, name)
            if val is None:
                continue
            arr = np.ascontiguousarray(val, dtype=np.float64)
            if arr.ndim != 1 or arr.shape != n:
                raise InvalidInputError(f"{name}: expected shape {n} like velocity, got {arr.shape}")
            object.__setattr__(self, name, arr)

    @staticmethod
    def franka(robot: str = "fr3", scale: float = DEFAULT_SAFETY_SCALE) -> Limits:
        """The published Franka joint limits (from ``graspvla.robot``) with a safety ``scale``
        in (0, 1] (default :data:`DEFAULT_SAFETY_SCALE`) applied to velocity, acceleration and
        jerk alike (like franky's relative dynamics factor); targets are bounded by the joint
        position limits."""
        from graspvla.robot import Robot

        if not 0.0 < scale <= 1.0:
            raise InvalidInputError(f"scale: expected a value in (0, 1], got {scale}")
        r = Robot(robot)  # type: ignore[arg-type]
        return Limits(r.dq_max * scale, r.ddq_max * scale, r.dddq_max * scale, r.q_min.copy(), r.q_max.copy())

    @property
    def dof(self) -> int:
        return len(self.velocity)


def plan_motion(
    start: ArrayLike,
    target: ArrayLike,
    limits: Limits | None = None,
    start_velocity: ArrayLike = 0.0,
    start_acceleration: ArrayLike = 0.0,
    target_velocity: ArrayLike = 0.0,
    target_acceleration: ArrayLike = 0.0,
    min_duration: float = 0.0,
    synchronize: bool = True,
    phase: bool = False,
) -> Trajectory:
    """Time-optimal (within our profile family), jerk-limited motion from the current state to
    a target position, velocity and acceleration. With ``synchronize`` all DoF finish together;
    with ``phase`` too, the motion is a straight line in joint space whenever the start and
    target velocities/accelerations are parallel to the displacement (e.g. rest to rest;
    otherwise it falls back to time synchronisation).

    Returns a :class:`Trajectory` with ``duration`` [s], ``at(t)``, ``sample(times)`` and
    ``sample_uniform(t0, dt, count, out_...)``.
    Raises :class:`~graspvla.errors.InvalidInputError` for NaN, non-positive limits or
    mismatched shapes and :class:`~graspvla.errors.LimitViolationError` for a target outside
    the position bounds or a target velocity/acceleration above its limit.
    """
    limits = limits or Limits.franka()
    n = limits.dof
    start_a = np.asarray(start, dtype=np.float64)
    if start_a.shape != (n,):
        raise InvalidInputError(f"start: expected shape ({n},) to match the limits, got {start_a.shape}")
    return _traj.calculate(
        np.ascontiguousarray(start_a),
        _vec(start_velocity, n, "start_velocity"),
        _vec(start_acceleration, n, "start_acceleration"),
        _vec(target, n, "target"),
        _vec(target_velocity, n, "target_velocity"),
        _vec(target_acceleration, n, "target_acceleration"),
        limits.velocity,
        limits.acceleration,
        limits.jerk,
        float(min_duration),
        bool(synchronize),
        limits.min_position,
        limits.max_position,
        bool(phase),
    )


@dataclass
class OnlineStep:
    """The state commanded for the next control cycle (rad, rad/s, rad/s^2)."""

    position: F
    velocity: F
    acceleration: F
    finished: bool
    replanned: bool
    duration: float


class OnlineGenerator:
    """Online, jerk-limited re-targeting at a fixed control period ``dt`` [s] (1 kHz by
    default): call :meth:`step` once per cycle; change the target at any time and the motion
    blends into it without a jump in position, velocity or acceleration. (The allocation-free
    C++ ``graspvla::trajectory::OTG`` is what real-time loops use; this is its Python face.)"""

    def __init__(self, limits: Limits | None = None, dt: float = 0.001) -> None:
        self.limits = limits or Limits.franka()
        n = self.limits.dof
        self._otg = _traj.OTG(n, dt)
        self.position = np.zeros(n)
        self.velocity = np.zeros(n)
        self.acceleration = np.zeros(n)
        self.target = np.zeros(n)
        self.target_velocity = np.zeros(n)
        self.target_acceleration = np.zeros(n)

    @property
    def dt(self) -> float:
        return float(self._otg.dt)

    def reset(self, position: ArrayLike, velocity: ArrayLike = 0.0, acceleration: ArrayLike = 0.0) -> None:
        """Sets the current state (and holds it as the target until :meth:`set_target`)."""
        n = self.limits.dof
        self.position = _vec(position, n, "position")
        self.velocity = _vec(velocity, n, "velocity")
        self.acceleration = _vec(acceleration, n, "acceleration")
        self.target = self.position.copy()
        self.target_velocity = np.zeros(n)
        self.target_acceleration = np.zeros(n)
        self._otg.reset()

    def set_target(self, position: ArrayLike, velocity: ArrayLike = 0.0, acceleration: ArrayLike = 0.0) -> None:
        n = self.limits.dof
        self.target = _vec(position, n, "target")
        self.target_velocity = _vec(velocity, n, "target_velocity")
        self.target_acceleration = _vec(acceleration, n, "target_acceleration")
        lo, hi = self.limits.min_position, self.limits.max_position
        if lo is not None and hi is not None and (np.any(self.target < lo) or np.any(self.target > hi)):
            from graspvla.errors import LimitViolationError

            raise LimitViolationError("target: outside the position limits")

    def step(self) -> OnlineStep:
        """Advances one cycle from the stored state and returns the new commanded state."""
        status, p, v, a, replanned, duration = self._otg.update(
            self.position, self.velocity, self.acceleration, self.target, self.target_velocity,
            self.target_acceleration, self.limits.velocity, self.limits.acceleration, self.limits.jerk)
        self.position, self.velocity, self.acceleration = np.asarray(p), np.asarray(v), np.asarray(a)
        return OnlineStep(self.position, self.velocity, self.acceleration, status == 2, bool(replanned), duration)


def smooth_path(
    waypoints: ArrayLike, limits: Limits | None = None, iterations: int = 4, knot_acceleration: bool = True
) -> WaypointTrajectory:
    """A C2, jerk-limited trajectory through every waypoint (M, N) (tolerance 0: each waypoint
    is passed exactly, at ``knot_times``) that starts and ends at rest and does not stop at
    intermediate waypoints (unless every joint reverses there). Velocity, acceleration and jerk
    limits hold everywhere: each stretch between waypoints is a time-synchronised jerk-limited
    segment, and ``iterations`` passes choose the velocities (and, with
    ``knot_acceleration``, accelerations) at which the waypoints are passed.

    Returns a :class:`WaypointTrajectory` with ``duration``, ``knot_times``, ``at(t)`` and
    ``sample(times)``.
    """
    limits = limits or Limits.franka()
    W = np.asarray(waypoints, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] != limits.dof:
        raise InvalidInputError(f"waypoints: expected shape (M, {limits.dof}), got {W.shape}")
    return _traj.waypoint_trajectory(np.ascontiguousarray(W), limits.velocity, limits.acceleration, limits.jerk,
                                     int(iterations), bool(knot_acceleration))


def sample_uniform(trajectory: Trajectory | WaypointTrajectory, dt: float = 0.001) -> tuple[F, F, F, F]:
    """Samples a trajectory every ``dt`` seconds including its end: (t, q, dq, ddq)."""
    if not dt > 0:
        raise InvalidInputError(f"dt: must be > 0, got {dt}")
    n = int(np.floor(trajectory.duration / dt + 1e-9))
    t = np.arange(n + 1) * dt
    if t[-1] < trajectory.duration:
        t = np.append(t, trajectory.duration)
    q, dq, ddq = trajectory.sample(np.ascontiguousarray(t))
    return t, q, dq, ddq
