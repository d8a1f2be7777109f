"""
Jerk-limited online trajectory generation and waypoint trajectories
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['MAX_DOF', 'OTG', 'Trajectory', 'WaypointTrajectory', 'calculate', 'waypoint_trajectory']
class Trajectory:
    def at(self, t: typing.SupportsFloat | typing.SupportsIndex) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
        """
        (position, velocity, acceleration) at time t [s].
        """
    def sample(self, times: typing.Any) -> tuple:
        """
        Positions, velocities, accelerations (T, dof) at the given times.
        """
    def segments(self, dof: typing.SupportsInt | typing.SupportsIndex) -> tuple[list[float], list[float]]:
        """
        Segment durations and jerks of one DoF's profile.
        """
    @property
    def dof(self) -> int:
        ...
    @property
    def duration(self) -> float:
        """
        Duration (s).
        """
class OTG:
    def __init__(self, dt: typing.SupportsFloat | typing.SupportsIndex = 0.001) -> None:
        ...
    def reset(self) -> None:
        ...
    def update(self, arg0: typing.Any, arg1: typing.Any, arg2: typing.Any, arg3: typing.Any, arg4: typing.Any, arg5: typing.Any, arg6: typing.Any, arg7: typing.Any) -> tuple[int, typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], bool, float]:
        """
        One control cycle: (status, new_position, new_velocity, new_acceleration, new_calculation, duration). status: 1 working, 2 finished, < 0 error.
        """
    @property
    def dt(self) -> float:
        ...
class WaypointTrajectory:
    def at(self, t: typing.SupportsFloat | typing.SupportsIndex) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
        ...
    def sample(self, times: typing.Any) -> tuple:
        ...
    @property
    def dof(self) -> int:
        ...
    @property
    def duration(self) -> float:
        ...
    @property
    def knot_times(self) -> list[float]:
        ...
def calculate(current_position: typing.Any, current_velocity: typing.Any, current_acceleration: typing.Any, target_position: typing.Any, target_velocity: typing.Any, max_velocity: typing.Any, max_acceleration: typing.Any, max_jerk: typing.Any, min_duration: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> Trajectory:
    """
    Time-synchronised jerk-limited trajectory from the current state to the target (zero target acceleration).
    """
def waypoint_trajectory(waypoints: typing.Any, max_velocity: typing.Any, max_acceleration: typing.Any, max_jerk: typing.Any, iterations: typing.SupportsInt | typing.SupportsIndex = 40) -> WaypointTrajectory:
    """
    C2 trajectory through waypoints (M, N), at rest at both ends, within the limits, not stopping in between.
    """
MAX_DOF: int = 16
