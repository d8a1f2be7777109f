"""MuJoCo simulation: robot model (franky-sim FR3 + Franka hand), model building, rendering.

The robot base frame is the MuJoCo world frame (robot base at the origin, z up).
"""

from __future__ import annotations

from graspvla.sim.robot_model import fr3_spec, franka_hand_spec

__all__ = ["fr3_spec", "franka_hand_spec"]
