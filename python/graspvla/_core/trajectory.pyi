"""
Jerk-limited online trajectory generation and waypoint trajectories
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['OTG', 'Trajectory', 'WaypointTrajectory', 'calculate', 'calculate_batch', 'waypoint_trajectory']
class Trajectory:
    def at(self, t: typing.SupportsFloat | typing.SupportsIndex) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
        """
        (position, velocity, acceleration) at time t [s].
        """
    def sample(self, times: typing.Any) -> tuple:
        """
        Positions, velocities, accelerations (T, dof) at the given times [s].
        """
    def sample_uniform(self, t0: typing.SupportsFloat | typing.SupportsIndex, dt: typing.SupportsFloat | typing.SupportsIndex, count: typing.SupportsInt | typing.SupportsIndex, out_position: typing.Any = None, out_velocity: typing.Any = None, out_acceleration: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
        """
        Dense sampling at t0 + k*dt, k < count, into (count, dof) arrays (given ones are filled in place).
        """
    def segments(self, dof: typing.SupportsInt | typing.SupportsIndex) -> tuple[list[float], list[float]]:
        """
        Segment durations [s] and jerks of one DoF's profile.
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
    def __init__(self, dof: typing.SupportsInt | typing.SupportsIndex, dt: typing.SupportsFloat | typing.SupportsIndex = 0.001) -> None:
        ...
    def reset(self) -> None:
        ...
    def update(self, current_position: typing.Any, current_velocity: typing.Any, current_acceleration: typing.Any, target_position: typing.Any, target_velocity: typing.Any, target_acceleration: typing.Any, max_velocity: typing.Any, max_acceleration: typing.Any, max_jerk: typing.Any) -> tuple[int, typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], bool, float]:
        """
        One control cycle: (status, new_position, new_velocity, new_acceleration, new_calculation, duration). status: 1 working, 2 finished.
        """
    @property
    def dof(self) -> int:
        ...
    @property
    def dt(self) -> float:
        ...
class WaypointTrajectory:
    def at(self, t: typing.SupportsFloat | typing.SupportsIndex) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
        """
        (position, velocity, acceleration, jerk) at time t [s] (clamped to [0, duration]).
        """
    def sample(self, times: typing.Any) -> tuple:
        """
        Positions, velocities, accelerations (T, dof) at the given times [s].
        """
    def sample_uniform(self, t0: typing.SupportsFloat | typing.SupportsIndex, dt: typing.SupportsFloat | typing.SupportsIndex, count: typing.SupportsInt | typing.SupportsIndex, out_position: typing.Any = None, out_velocity: typing.Any = None, out_acceleration: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
        """
        Dense sampling at t0 + k*dt, k < count, into (count, dof) arrays (given ones are filled in place).
        """
    @property
    def dof(self) -> int:
        ...
    @property
    def duration(self) -> float:
        """
        Duration (s).
        """
    @property
    def knot_times(self) -> list[float]:
        """
        Time (s) at which each de-duplicated waypoint is passed.
        """
    @property
    def waypoints(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
        """
        The waypoints used (consecutive duplicates removed), (K, dof).
        """
def calculate(current_position: typing.Any, current_velocity: typing.Any, current_acceleration: typing.Any, target_position: typing.Any, target_velocity: typing.Any, target_acceleration: typing.Any, max_velocity: typing.Any, max_acceleration: typing.Any, max_jerk: typing.Any, min_duration: typing.SupportsFloat | typing.SupportsIndex = 0.0, synchronize: bool = True, min_position: typing.Any = None, max_position: typing.Any = None) -> Trajectory:
    """
    Time-synchronised jerk-limited trajectory from the current state to the target state.
    """
def calculate_batch(problems: typing.Any, synchronize: bool = True) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.int32], numpy.typing.NDArray[numpy.float64]]:
    """
    Benchmark/batch helper: problems (B, 9, N) rows = current p, v, a, target p, v, a, max v, a, j. Returns (durations [s], status codes, calculation times [us] measured in C++ around each calculation).
    """
def waypoint_trajectory(waypoints: typing.Any, max_velocity: typing.Any, max_acceleration: typing.Any, max_jerk: typing.Any, iterations: typing.SupportsInt | typing.SupportsIndex = 4, knot_acceleration: bool = True) -> WaypointTrajectory:
    """
    Jerk-limited C2 trajectory exactly through waypoints (M, N), at rest at both ends, within the limits, not stopping in between.
    """
