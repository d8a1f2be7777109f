"""Franka Panda / FR3 robot model: kinematics, limits, collision spheres, dynamics.

All poses are 4x4 float64 homogeneous matrices in the robot ``base`` frame (link0);
joint angles in radians, lengths in metres.
"""

from __future__ import annotations

from graspvla.robot.model import AnalyticIKBatchResult, Frame, IKBatchResult, IKResult, Robot

__all__ = ["AnalyticIKBatchResult", "Frame", "IKBatchResult", "IKResult", "Robot"]
