"""
graspvla compiled core (C++17, Eigen). Use the typed wrappers in graspvla.<domain>.
"""
from __future__ import annotations
import typing
from . import control
from . import flow
from . import geometry
from . import grasp
from . import planning
from . import robot
from . import trajectory
__all__: list[str] = ['CHECK_MALLOC', 'control', 'flow', 'geometry', 'get_num_threads', 'grasp', 'planning', 'robot', 'set_num_threads', 'trajectory']
def get_num_threads() -> int:
    ...
def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Threads used by batch kernels (0 = all cores).
    """
CHECK_MALLOC: bool
__version__: str = '0.1.0'
