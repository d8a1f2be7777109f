"""
Jerk-limited online trajectory generation and waypoint trajectories
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['Input', 'OTG', 'Trajectory', 'WaypointTrajectory', 'calculate', 'calculate_batch', 'calculate_into', 'waypoint_trajectory']
class Trajectory:
    def __init__(self, dof: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        An empty trajectory of `dof` DoF, to be filled by calculate_into().
        """
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
class Input:
    def __init__(self, dof: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Input of `dof` DoF: zero state, unit limits, unbounded positions.
        """
    @property
    def current_acceleration(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @current_acceleration.setter
    def current_acceleration(self, arg1: typing.Any) -> None:
        ...
    @property
    def current_position(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @current_position.setter
    def current_position(self, arg1: typing.Any) -> None:
        ...
    @property
    def current_velocity(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @current_velocity.setter
    def current_velocity(self, arg1: typing.Any) -> None:
        ...
    @property
    def dof(self) -> int:
        ...
    @property
    def max_acceleration(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @max_acceleration.setter
    def max_acceleration(self, arg1: typing.Any) -> None:
        ...
    @property
    def max_jerk(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @max_jerk.setter
    def max_jerk(self, arg1: typing.Any) -> None:
        ...
    @property
    def max_position(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @max_position.setter
    def max_position(self, arg1: typing.Any) -> None:
        ...
    @property
    def max_velocity(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @max_velocity.setter
    def max_velocity(self, arg1: typing.Any) -> None:
        ...
    @property
    def min_duration(self) -> float:
        """
        Minimum duration (s).
        """
    @min_duration.setter
    def min_duration(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def min_position(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @min_position.setter
    def min_position(self, arg1: typing.Any) -> None:
        ...
    @property
    def phase(self) -> bool:
        """
        Straight-line (phase) synchronisation when possible (default False).
        """
    @phase.setter
    def phase(self, arg1: bool) -> None:
        ...
    @property
    def synchronize(self) -> bool:
        """
        All DoF finish together (default True).
        """
    @synchronize.setter
    def synchronize(self, arg1: bool) -> None:
        ...
    @property
    def target_acceleration(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @target_acceleration.setter
    def target_acceleration(self, arg1: typing.Any) -> None:
        ...
    @property
    def target_position(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @target_position.setter
    def target_position(self, arg1: typing.Any) -> None:
        ...
    @property
    def target_velocity(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @target_velocity.setter
    def target_velocity(self, arg1: typing.Any) -> None:
        ...
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
def calculate(current_position: typing.Any, current_velocity: typing.Any, current_acceleration: typing.Any, target_position: typing.Any, target_velocity: typing.Any, target_acceleration: typing.Any, max_velocity: typing.Any, max_acceleration: typing.Any, max_jerk: typing.Any, min_duration: typing.SupportsFloat | typing.SupportsIndex = 0.0, synchronize: bool = True, min_position: typing.Any = None, max_position: typing.Any = None, phase: bool = False) -> Trajectory:
    """
    Time-synchronised jerk-limited trajectory from the current state to the target state. With `phase`, a straight line in joint space when the boundary velocities/accelerations are parallel to the displacement.
    """
def calculate_batch(problems: typing.Any, synchronize: bool = True) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.int32], numpy.typing.NDArray[numpy.float64]]:
    """
    Benchmark/batch helper: problems (B, 9, N) rows = current p, v, a, target p, v, a, max v, a, j. Returns (durations [s], status codes, calculation times [us] measured in C++ around each calculation).
    """
def calculate_into(input: Input, trajectory: Trajectory) -> float:
    """
    Calculates into an existing Trajectory (no allocation); returns the duration (s). Raises like calculate().
    """
def waypoint_trajectory(waypoints: typing.Any, max_velocity: typing.Any, max_acceleration: typing.Any, max_jerk: typing.Any, iterations: typing.SupportsInt | typing.SupportsIndex = 4, knot_acceleration: bool = True) -> WaypointTrajectory:
    """
    Jerk-limited C2 trajectory exactly through waypoints (M, N), at rest at both ends, within the limits, not stopping in between.
    """
