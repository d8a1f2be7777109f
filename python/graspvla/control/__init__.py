"""Real-time control: a C++ 1 kHz loop between a policy (action chunks at 3-30 Hz) and a Franka
arm or its MuJoCo simulation.

Controllers: joint impedance, Cartesian impedance (TCP pose targets, the GraspVLA deployment
mode) and joint position tracking, with jerk-limited blending into every new chunk,
libfranka-equivalent limitRate / low-pass filtering and torque-rate saturation. Safety: NaN or
out-of-limit targets are rejected, a watchdog holds then stops, an external force above 15 N
makes the arm retreat 5 cm upwards; every stop has a reason (``StopReason``).

Gripper: a non-real-time channel beside the loop (``ControlLoop.send_gripper`` / ``grasp`` /
``open_gripper``): commands are validated (NaN or beyond the Hand's limits: rejected) and handed
to the backend's gripper (MuJoCo's finger servo; pylibfranka's ``Gripper`` via ``GripperWorker``)
without touching the 1 kHz tick, which reports the width in ``LoopState`` and the ``Trace``.

Units: rad, rad/s, Nm, m, s; poses are 4x4 TCP poses in the robot base frame.
"""

from __future__ import annotations

from graspvla._core.control import ControlMode, StopReason
from graspvla.control.bridge import GripperProcess, GripperWorker, LibfrankaBackend, PylibfrankaBridge
from graspvla.control.config import ControllerConfig, LoopConfig, SimConfig
from graspvla.control.loop import FLAGS, ControlLoop, GripperAction, LoopState, Trace, poses_to_points
from graspvla.control.sim import SimBackend, fr3_mjcf

__all__ = [
    "FLAGS",
    "ControlLoop",
    "ControlMode",
    "ControllerConfig",
    "GripperAction",
    "GripperProcess",
    "GripperWorker",
    "LoopConfig",
    "LibfrankaBackend",
    "LoopState",
    "PylibfrankaBridge",
    "SimBackend",
    "SimConfig",
    "StopReason",
    "Trace",
    "fr3_mjcf",
    "poses_to_points",
]
