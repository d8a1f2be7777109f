"""Collision world and joint-space motion planning for the Franka arm (base frame, metres, radians).

``CollisionWorld`` (C++ ``graspvla::geometry``): boxes, spheres, capsules, cylinders, triangle
meshes (BVH) and point clouds, an attached object (spheres in the hand frame) and the arm's sphere
model; single / batch (all cores, GIL released) / segment collision queries and clearance.

``plan`` (C++ ``graspvla::planning``): RRT-Connect with a goal set, shortcutting and a smoothed
time-parameterised trajectory (``graspvla.trajectory`` WaypointTrajectory) verified collision
free and inside the joint limits when densely sampled. ``plan_grasp``: start -> pre-grasp ->
straight approach as one trajectory that does not stop at the pre-grasp, then a straight lift.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graspvla._core import geometry as _geometry
from graspvla._core import planning as _planning
from graspvla.errors import PlanningError
from graspvla.robot import Robot

F = NDArray[np.float64]
CollisionWorld = _geometry.CollisionWorld


class PlanStatus(enum.IntEnum):
    SUCCESS = 0
    START_INVALID = 1  #: start outside limits, non-finite or in collision
    GOAL_INVALID = 2  #: no valid goal (limits, collision, IK / approach infeasible)
    TIMEOUT = 3  #: time or iteration budget exhausted
    SMOOTHING_FAILED = 4
    INVALID_INPUT = 5


@dataclass
class PlannerConfig:
    """Planner settings. ``range`` [rad] longest tree step; ``resolution`` [rad] edge check step
    (max-norm); ``time_limit`` [s]; limits scales in (0, 1]; ``verify_dt`` [s] trajectory check step."""

    range: float = 0.6
    resolution: float = 0.01
    time_limit: float = 1.0
    max_iterations: int = 200000
    shortcut_iterations: int = 150
    smooth: bool = True
    velocity_scale: float = 1.0
    acceleration_scale: float = 1.0
    jerk_scale: float = 1.0
    verify_dt: float = 0.002
    smoothing_rounds: int = 12
    seed: int = 0

    def _options(self) -> Any:
        o = _planning.PlannerOptions()
        for k, v in self.__dict__.items():
            setattr(o, k, v)
        return o


@dataclass
class PlanResult:
    status: PlanStatus
    message: str
    path: F  #: (M, 7) shortcut waypoints (the trajectory passes through them)
    raw_path: F  #: (K, 7) RRT-Connect path
    trajectory: Any  #: graspvla.trajectory WaypointTrajectory or None
    goal_index: int
    iterations: int
    timing: dict[str, float] = field(default_factory=dict)  #: seconds: planning, shortcutting, smoothing, total

    @property
    def success(self) -> bool:
        return self.status == PlanStatus.SUCCESS

    def raise_for_status(self) -> PlanResult:
        if not self.success:
            raise PlanningError(f"planning failed ({self.status.name.lower()}): {self.message}")
        return self


@dataclass
class GraspPlanResult:
    status: PlanStatus
    message: str
    motion: PlanResult  #: start -> pre-grasp
    approach_path: F  #: waypoints start .. pre-grasp .. grasp
    pregrasp_index: int
    approach: Any  #: one trajectory through approach_path (no stop at the pre-grasp)
    lift_path: F
    lift: Any
    num_goals: int
    total_time: float

    @property
    def success(self) -> bool:
        return self.status == PlanStatus.SUCCESS

    def raise_for_status(self) -> GraspPlanResult:
        if not self.success:
            raise PlanningError(f"grasp planning failed ({self.status.name.lower()}): {self.message}")
        return self


def _result(d: dict[str, Any]) -> PlanResult:
    return PlanResult(PlanStatus(d["status"]), d["message"], d["path"], d["raw_path"], d["trajectory"],
                      d["goal_index"], d["iterations"], dict(d["timing"]))


def make_world(robot: Robot | str = "fr3") -> CollisionWorld:
    """An empty collision world for ``robot`` (a Robot or "fr3"/"panda")."""
    r = Robot(robot) if isinstance(robot, str) else robot
    return CollisionWorld(r.model)


def plan(world: CollisionWorld, start: ArrayLike, goals: ArrayLike, config: PlannerConfig | None = None,
         ignore: int = -1) -> PlanResult:
    """Plans from ``start`` (7,) to any of ``goals`` (7,) or (K, 7). Failures are reported in the
    result's status (use ``raise_for_status()`` for a PlanningError); malformed arrays raise
    InvalidInputError."""
    config = config or PlannerConfig()
    g = np.ascontiguousarray(np.atleast_2d(np.asarray(goals, dtype=np.float64)))
    s = np.ascontiguousarray(start, dtype=np.float64)
    return _result(_planning.plan(world, s, g, config._options(), int(ignore)))


def plan_grasp(world: CollisionWorld, start: ArrayLike, grasp: ArrayLike, config: PlannerConfig | None = None, *,
               pregrasp_distance: float = 0.10, lift_height: float = 0.10, cartesian_step: float = 0.01,
               target_id: int = -1, q7_samples: int = 16, max_goals: int = 8) -> GraspPlanResult:
    """Grasp motion to the TCP pose ``grasp`` (4x4, base frame): plan to the pre-grasp
    ``pregrasp_distance`` m back along the TCP z axis (goal set from closed-form IK over
    ``q7_samples``), straight approach, then lift ``lift_height`` m along base +z. Object
    ``target_id`` is ignored during approach and lift."""
    config = config or PlannerConfig()
    d = _planning.plan_grasp(world, np.ascontiguousarray(start, dtype=np.float64),
                             np.ascontiguousarray(grasp, dtype=np.float64), float(pregrasp_distance),
                             float(lift_height), float(cartesian_step), int(target_id), int(q7_samples),
                             int(max_goals), config._options())
    return GraspPlanResult(PlanStatus(d["status"]), d["message"], _result(d["motion"]), d["approach_path"],
                           d["pregrasp_index"], d["approach"], d["lift_path"], d["lift"], d["num_goals"],
                           d["total_time"])


__all__ = ["CollisionWorld", "GraspPlanResult", "PlanResult", "PlanStatus", "PlannerConfig", "make_world", "plan",
           "plan_grasp"]
