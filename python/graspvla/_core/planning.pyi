"""
Joint-space motion planning (RRT-Connect, shortcutting, smoothing)
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['PlanStatus', 'PlannerOptions', 'plan', 'plan_grasp', 'shortcut']
class PlanStatus:
    """
    Members:
    
      SUCCESS
    
      START_INVALID
    
      GOAL_INVALID
    
      TIMEOUT
    
      SMOOTHING_FAILED
    
      INVALID_INPUT
    """
    GOAL_INVALID: typing.ClassVar[PlanStatus]
    INVALID_INPUT: typing.ClassVar[PlanStatus]
    SMOOTHING_FAILED: typing.ClassVar[PlanStatus]
    START_INVALID: typing.ClassVar[PlanStatus]
    SUCCESS: typing.ClassVar[PlanStatus]
    TIMEOUT: typing.ClassVar[PlanStatus]
    __members__: typing.ClassVar[dict[str, PlanStatus]]
    @typing.overload
    def __eq__(self, other: PlanStatus) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: PlanStatus) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class PlannerOptions:
    smooth: bool
    def __init__(self) -> None:
        ...
    @property
    def acceleration_scale(self) -> float:
        ...
    @acceleration_scale.setter
    def acceleration_scale(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def jerk_scale(self) -> float:
        ...
    @jerk_scale.setter
    def jerk_scale(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def max_iterations(self) -> int:
        ...
    @max_iterations.setter
    def max_iterations(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def range(self) -> float:
        ...
    @range.setter
    def range(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def resolution(self) -> float:
        ...
    @resolution.setter
    def resolution(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def seed(self) -> int:
        ...
    @seed.setter
    def seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def shortcut_iterations(self) -> int:
        ...
    @shortcut_iterations.setter
    def shortcut_iterations(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def smoothing_rounds(self) -> int:
        ...
    @smoothing_rounds.setter
    def smoothing_rounds(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def time_limit(self) -> float:
        ...
    @time_limit.setter
    def time_limit(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def velocity_scale(self) -> float:
        ...
    @velocity_scale.setter
    def velocity_scale(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def verify_dt(self) -> float:
        ...
    @verify_dt.setter
    def verify_dt(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
def plan(world: ..., start: typing.Any, goals: typing.Any, options: PlannerOptions, ignore: typing.SupportsInt | typing.SupportsIndex = -1) -> dict:
    ...
def plan_grasp(world: ..., start: typing.Any, grasp: typing.Any, pregrasp_distance: typing.SupportsFloat | typing.SupportsIndex, lift_height: typing.SupportsFloat | typing.SupportsIndex, cartesian_step: typing.SupportsFloat | typing.SupportsIndex, target_id: typing.SupportsInt | typing.SupportsIndex, q7_samples: typing.SupportsInt | typing.SupportsIndex, max_goals: typing.SupportsInt | typing.SupportsIndex, options: PlannerOptions) -> dict:
    ...
def shortcut(world: ..., path: typing.Any, iterations: typing.SupportsInt | typing.SupportsIndex, resolution: typing.SupportsFloat | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex, ignore: typing.SupportsInt | typing.SupportsIndex = -1) -> numpy.typing.NDArray[numpy.float64]:
    ...
