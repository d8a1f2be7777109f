"""Typed Python API over ``graspvla._core.robot``."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from graspvla._core import robot as _robot

Frame = _robot.Frame
RobotName = Literal["panda", "fr3"]

__all__ = ["Frame", "Robot", "RobotName"]

FloatArray = NDArray[np.float64]


class Robot:
    """A Franka arm with the Franka hand.

    Args:
        name: ``"panda"`` (FER) or ``"fr3"``.
        finger_extension: extra finger length in metres (GraspVLA used 0.02-0.03); moves
            the TCP along the hand's z axis.

    Frames: ``Frame.LINK1`` ... ``Frame.LINK7`` (DH / URDF link frames), ``Frame.FLANGE``
    (link8), ``Frame.HAND`` (flange rotated -pi/4 about z) and ``Frame.TCP`` (between the
    fingertips). Every pose is expressed in the robot base frame.
    """

    def __init__(self, name: RobotName = "fr3", finger_extension: float = 0.0) -> None:
        if name == "panda":
            self.model = _robot.RobotModel.panda(float(finger_extension))
        elif name == "fr3":
            self.model = _robot.RobotModel.fr3(float(finger_extension))
        else:
            from graspvla.errors import InvalidInputError

            raise InvalidInputError(f"robot name: expected 'panda' or 'fr3', got {name!r}")
        self.name: RobotName = name

    def __repr__(self) -> str:
        return f"Robot({self.name!r}, finger_extension={self.model.finger_extension})"

    # ---- limits -------------------------------------------------------------------------
    @property
    def q_min(self) -> FloatArray:
        """Lower joint position limits (7,) [rad]."""
        return np.asarray(self.model.q_min)

    @property
    def q_max(self) -> FloatArray:
        """Upper joint position limits (7,) [rad]."""
        return np.asarray(self.model.q_max)

    @property
    def dq_max(self) -> FloatArray:
        """Joint velocity limits (7,) [rad/s]."""
        return np.asarray(self.model.dq_max)

    @property
    def ddq_max(self) -> FloatArray:
        """Joint acceleration limits (7,) [rad/s^2]."""
        return np.asarray(self.model.ddq_max)

    @property
    def dddq_max(self) -> FloatArray:
        """Joint jerk limits (7,) [rad/s^3]."""
        return np.asarray(self.model.dddq_max)

    @property
    def tau_max(self) -> FloatArray:
        """Joint torque limits (7,) [Nm]."""
        return np.asarray(self.model.tau_max)

    def within_limits(self, q: FloatArray) -> bool:
        """True when every joint angle of ``q`` (7,) [rad] is finite and inside its limits."""
        return bool(_robot.within_limits(self.model, np.ascontiguousarray(q, dtype=np.float64)))

    def random_configurations(self, n: int, rng: np.random.Generator | int | None = None) -> FloatArray:
        """``n`` joint configurations (n, 7) [rad] drawn uniformly inside the position limits."""
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return gen.uniform(self.q_min, self.q_max, size=(int(n), 7))

    # ---- kinematics ---------------------------------------------------------------------
    def fk(self, q: FloatArray, frame: Frame | None = None) -> FloatArray:
        """Forward kinematics.

        Args:
            q: joint angles, (7,) or (N, 7) float64 [rad].
            frame: a single frame, or ``None`` for all frames.
        Returns:
            Poses in the base frame: (4, 4) / (NUM_FRAMES, 4, 4) for one configuration,
            (N, 4, 4) / (N, NUM_FRAMES, 4, 4) for a batch.
        """
        q = np.asarray(q)
        if q.ndim == 2:
            return _robot.forward_kinematics_batch(self.model, q, -1 if frame is None else int(frame))
        out = _robot.forward_kinematics(self.model, q)
        return out if frame is None else out[int(frame)]

    def jacobian(self, q: FloatArray, frame: Frame = Frame.TCP) -> FloatArray:
        """Geometric Jacobian of ``frame``'s origin in the base frame.

        Rows are [linear velocity (3) [m/s]; angular velocity (3) [rad/s]] per unit joint
        velocity. ``q`` (7,) gives (6, 7); ``q`` (N, 7) gives (N, 6, 7).
        """
        q = np.asarray(q)
        if q.ndim == 2:
            return _robot.jacobian_batch(self.model, q, int(frame))
        return _robot.jacobian(self.model, q, int(frame))
