"""Typed wrappers over ``graspvla._core.trajectory``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graspvla._core import trajectory as _traj
from graspvla.errors import InvalidInputError, LimitViolationError

F = NDArray[np.float64]

__all__ = ["Limits", "OnlineGenerator", "OnlineStep", "plan_motion", "sample_uniform", "smooth_path"]


def _vec(x: ArrayLike, n: int, name: str) -> F:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise InvalidInputError(f"{name}: expected shape ({n},), got {a.shape}")
    return np.ascontiguousarray(a)


@dataclass(frozen=True)
class Limits:
    """Per-DoF velocity, acceleration and jerk limits (all > 0)."""

    velocity: F
    acceleration: F
    jerk: F

    @staticmethod
    def franka(robot: str = "fr3", scale: float = 1.0) -> Limits:
        """The published Franka joint limits times a safety ``scale`` in (0, 1]: velocity by
        ``scale``, acceleration by ``scale**2``, jerk by ``scale**3`` (a uniformly slower
        version of the same motion)."""
        from graspvla.robot import Robot

        if not 0.0 < scale <= 1.0:
            raise InvalidInputError(f"scale: expected (0, 1], got {scale}")
        r = Robot(robot)  # type: ignore[arg-type]
        return Limits(r.dq_max * scale, r.ddq_max * scale**2, r.dddq_max * scale**3)

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
    min_duration: float = 0.0,
) -> Any:
    """Time-optimal, jerk-limited, time-synchronised motion from the current state to a
    target position and velocity (target acceleration zero). All DoF finish together.

    Returns a ``Trajectory`` with ``duration`` [s], ``at(t)`` and ``sample(times)``.
    Raises :class:`InvalidInputError` for NaN or non-positive limits and
    :class:`LimitViolationError` for a target velocity above the limit.
    """
    start = np.asarray(start, dtype=np.float64)
    n = start.shape[0] if start.ndim == 1 else -1
    limits = limits or Limits.franka()
    if n != limits.dof:
        raise InvalidInputError(f"start: expected {limits.dof} DoF to match the limits, got shape {start.shape}")
    return _traj.calculate(
        np.ascontiguousarray(start), _vec(start_velocity, n, "start_velocity"),
        _vec(start_acceleration, n, "start_acceleration"), _vec(target, n, "target"),
        _vec(target_velocity, n, "target_velocity"), limits.velocity, limits.acceleration, limits.jerk,
        float(min_duration))


@dataclass
class OnlineStep:
    """State commanded for the next control cycle."""

    position: F
    velocity: F
    acceleration: F
    finished: bool
    replanned: bool
    duration: float


class OnlineGenerator:
    """Online, jerk-limited re-targeting at a fixed control period ``dt`` [s] (1 kHz by
    default): call :meth:`step` once per cycle; change the target at any time and the motion
    blends into it without a jump in position, velocity or acceleration."""

    def __init__(self, limits: Limits | None = None, dt: float = 0.001) -> None:
        self.limits = limits or Limits.franka()
        self._otg = _traj.OTG(dt)
        n = self.limits.dof
        self.position = np.zeros(n)
        self.velocity = np.zeros(n)
        self.acceleration = np.zeros(n)
        self.target = np.zeros(n)
        self.target_velocity = np.zeros(n)

    def reset(self, position: ArrayLike, velocity: ArrayLike = 0.0, acceleration: ArrayLike = 0.0) -> None:
        n = self.limits.dof
        self.position = _vec(position, n, "position")
        self.velocity = _vec(velocity, n, "velocity")
        self.acceleration = _vec(acceleration, n, "acceleration")
        self.target = self.position.copy()
        self._otg.reset()

    def set_target(self, position: ArrayLike, velocity: ArrayLike = 0.0) -> None:
        n = self.limits.dof
        self.target = _vec(position, n, "target")
        self.target_velocity = _vec(velocity, n, "target_velocity")

    def step(self) -> OnlineStep:
        status, p, v, a, replanned, duration = self._otg.update(
            self.position, self.velocity, self.acceleration, self.target, self.target_velocity,
            self.limits.velocity, self.limits.acceleration, self.limits.jerk)
        if status < 0:
            raise LimitViolationError(f"online trajectory update failed with status {status}")
        self.position, self.velocity, self.acceleration = np.asarray(p), np.asarray(v), np.asarray(a)
        return OnlineStep(self.position, self.velocity, self.acceleration, status == 2, bool(replanned), duration)


def smooth_path(waypoints: ArrayLike, limits: Limits | None = None, iterations: int = 40) -> Any:
    """A C2 trajectory through every waypoint (M, N) that starts and ends at rest and does not
    stop at intermediate waypoints (unless every joint reverses there, a cusp that any exact
    pass must stop at). Velocity, acceleration and jerk limits hold everywhere.

    Returns a ``WaypointTrajectory`` with ``duration``, ``knot_times`` (when each waypoint is
    passed), ``at(t)`` and ``sample(times)``.
    """
    limits = limits or Limits.franka()
    W = np.ascontiguousarray(waypoints, dtype=np.float64)
    return _traj.waypoint_trajectory(W, limits.velocity, limits.acceleration, limits.jerk, iterations)


def sample_uniform(trajectory: Any, dt: float = 0.001) -> tuple[F, F, F, F]:
    """Samples a trajectory every ``dt`` seconds including its end: (t, q, dq, ddq)."""
    if not dt > 0:
        raise InvalidInputError(f"dt: must be > 0, got {dt}")
    n = int(np.floor(trajectory.duration / dt + 1e-9))
    t = np.append(np.arange(n + 1) * dt, trajectory.duration) if n * dt < trajectory.duration else np.arange(n + 1) * dt
    q, dq, ddq = trajectory.sample(np.ascontiguousarray(t))
    return t, q, dq, ddq
