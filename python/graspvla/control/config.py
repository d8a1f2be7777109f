"""Typed configuration of the 1 kHz control loop and its controller (mirrors the C++ structs)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np

from graspvla._core import control as _c

ModeName = Literal["joint_impedance", "cartesian_impedance", "joint_position"]

_MODES = {
    "joint_impedance": _c.ControlMode.JOINT_IMPEDANCE,
    "cartesian_impedance": _c.ControlMode.CARTESIAN_IMPEDANCE,
    "joint_position": _c.ControlMode.JOINT_POSITION,
}


def _vec(values: tuple[float, ...]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


@dataclass
class ControllerConfig:
    """Controller gains, trajectory limits, command shaping and safety thresholds.

    Units: Nm/rad, N/m, m, rad, s, Hz. Poses are TCP poses in the robot base frame.
    ``latency_compensation``: the controller follows the chunk point due at now + this (s); chunk
    point k is due at ``stamp + (k + 1) * dt`` where ``stamp`` is the observation time, so the
    policy's inference time is already accounted for. ``gripper_max_*`` (m, m/s, N): gripper
    commands outside these limits are rejected (the Franka Hand: 8 cm, 70 N continuous).
    ``rate_limit_scale``: fraction of the robot's acceleration and jerk limits the joint-position
    rate limiter aims at, a margin for the float32 reference the robot echoes back and for the
    correction after lost packets (0 < scale <= 1).
    """

    mode: ModeName = "joint_impedance"
    dt: float = 0.001
    joint_stiffness: tuple[float, ...] = (600.0, 600.0, 600.0, 600.0, 250.0, 150.0, 50.0)
    joint_damping: tuple[float, ...] = (50.0, 50.0, 50.0, 50.0, 30.0, 25.0, 15.0)
    translational_stiffness: float = 2000.0
    translational_damping: float = 89.0
    rotational_stiffness: float = 150.0
    rotational_damping: float = 7.0
    nullspace_stiffness: float = 10.0
    translational_error_clip: float = 0.01
    rotational_error_clip: float = 0.05
    coriolis_feedforward: bool = True
    velocity_scale: float = 0.3
    acceleration_scale: float = 0.3
    jerk_scale: float = 0.05
    cartesian_velocity: float = 0.3
    cartesian_acceleration: float = 1.5
    cartesian_jerk: float = 15.0
    rotational_velocity: float = 0.8
    rotational_acceleration: float = 3.0
    rotational_jerk: float = 30.0
    latency_compensation: float = 0.0
    cutoff_frequency: float = 100.0
    limit_rate: bool = True
    rate_limit_scale: float = 0.9
    joint_limit_margin: float = 0.01
    workspace_min: tuple[float, float, float] = (-0.9, -0.9, -0.05)
    workspace_max: tuple[float, float, float] = (0.9, 0.9, 1.2)
    watchdog_hold: float = 0.5
    watchdog_stop: float = 2.0
    force_threshold: float = 15.0
    force_debounce: int = 5
    retreat_distance: float = 0.05
    gripper_max_width: float = 0.08
    gripper_max_speed: float = 0.2
    gripper_max_force: float = 70.0

    def to_cpp(self) -> _c.ControllerConfig:
        if self.mode not in _MODES:
            from graspvla.errors import InvalidInputError

            raise InvalidInputError(f"mode: expected one of {sorted(_MODES)}, got {self.mode!r}")
        if not 0.0 < self.rate_limit_scale <= 1.0:
            from graspvla.errors import InvalidInputError

            raise InvalidInputError(f"rate_limit_scale: expected 0 < scale <= 1, got {self.rate_limit_scale!r}")
        c = _c.ControllerConfig()
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "mode":
                v = _MODES[v]
            elif isinstance(v, tuple):
                v = _vec(v)
            setattr(c, f.name, v)
        return c


@dataclass
class LoopConfig:
    """Loop timing. ``lockstep``: virtual time, ticks run by ``ControlLoop.step`` on the caller's
    thread (deterministic, faster than real time); otherwise a C++ thread ticks every ``period``
    seconds on absolute deadlines, with SCHED_FIFO at ``rt_priority`` and mlockall when permitted."""

    period: float = 0.001
    lockstep: bool = False
    rt_priority: int = 80
    lock_memory: bool = False
    record_capacity: int = 1 << 16

    def to_cpp(self) -> _c.LoopConfig:
        c = _c.LoopConfig()
        for f in fields(self):
            setattr(c, f.name, getattr(self, f.name))
        return c


@dataclass
class SimConfig:
    """MuJoCo backend. ``model``: an MJCF/MJB path or an MJCF XML string (e.g. a scene from
    graspvla.sim); ``asset_dir`` resolves relative mesh paths of an XML string. ``joint_names``
    empty = the first 7 hinge joints. ``q0`` (rad) overrides the initial arm configuration.
    ``gripper_actuator``: the width servo on the finger tendon (``"hand"`` is tried when absent;
    neither: no gripper); the width is the sum of the two ``finger_joints``."""

    model: str = ""
    asset_dir: str = ""
    joint_names: tuple[str, ...] = ()
    force_body: str = "hand"
    timestep: float = 0.001
    substeps: int = 1
    keyframe: str = "home"
    q0: np.ndarray | None = field(default=None)
    gripper_actuator: str = "gripper"
    finger_joints: tuple[str, str] = ("finger_joint1", "finger_joint2")
