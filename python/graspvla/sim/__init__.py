"""MuJoCo simulation: robot model (franky-sim FR3 + Franka hand), scene models, rendering.

The robot base frame is the MuJoCo world frame (robot base at the origin, z up); joint order
and limits agree with ``graspvla.robot.Robot("fr3")``; sites ``flange`` and ``tcp`` equal
``Frame.FLANGE`` and ``Frame.TCP``. Set ``MUJOCO_GL=egl`` (or ``osmesa``) for headless rendering.
"""

from __future__ import annotations

import os as _os

# Headless default: without a display, use EGL (Mesa llvmpipe on CPU) unless the user chose.
# Must happen before mujoco is imported for the first time.
if "MUJOCO_GL" not in _os.environ and not _os.environ.get("DISPLAY"):
    _os.environ["MUJOCO_GL"] = "egl"

from graspvla.sim.model import build_scene_spec, object_pose
from graspvla.sim.robot_model import (ARM_JOINTS, FINGER_JOINTS, GRIPPER_MAX_WIDTH, TCP_OFFSET, fr3_spec,
                                      franka_hand_spec)
from graspvla.sim.simulator import BACKGROUND_ID, ROBOT_ID, TABLE_ID, JointState, SimConfig, Simulator

__all__ = [
    "build_scene_spec", "object_pose", "ARM_JOINTS", "FINGER_JOINTS", "GRIPPER_MAX_WIDTH", "TCP_OFFSET",
    "fr3_spec", "franka_hand_spec", "BACKGROUND_ID", "ROBOT_ID", "TABLE_ID", "JointState", "SimConfig",
    "Simulator",
]
