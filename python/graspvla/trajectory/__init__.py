"""Trajectories in joint space: jerk-limited point-to-point motion (offline and online, 1 kHz)
and smooth motion through waypoints that does not stop at intermediate ones.

Units: rad, rad/s, rad/s^2, rad/s^3 (or m, m/s ... for Cartesian DoF); time in seconds.
"""

from __future__ import annotations

from graspvla.trajectory.api import (
    DEFAULT_SAFETY_SCALE,
    Limits,
    OnlineGenerator,
    OnlineStep,
    Trajectory,
    WaypointTrajectory,
    plan_motion,
    sample_uniform,
    smooth_path,
)

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
