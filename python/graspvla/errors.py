"""One exception hierarchy for graspvla.

Every error says what was wrong and what to do about it. Compiled kernels raise these
same classes (``graspvla._core`` translates its C++ exceptions into them). This module
must stay pure Python and must not import ``graspvla._core``.
"""

from __future__ import annotations

__all__ = [
    "GraspVLAError",
    "InvalidInputError",
    "LimitViolationError",
    "InvalidMeshError",
    "CorruptShardError",
    "PlanningError",
    "CheckpointError",
    "SimulationError",
    "ControlError",
]


class GraspVLAError(Exception):
    """Base class of every error raised by graspvla."""


class InvalidInputError(GraspVLAError, ValueError):
    """An argument has the wrong shape, dtype, layout, or a NaN/infinite value."""


class LimitViolationError(InvalidInputError):
    """A value lies outside a robot limit (joint position, velocity, torque, ...)."""


class InvalidMeshError(InvalidInputError):
    """A mesh is unreadable, degenerate, non-manifold or of absurd scale."""


class CorruptShardError(GraspVLAError):
    """A dataset shard is truncated, fails its checksum, or does not match the manifest."""


class PlanningError(GraspVLAError):
    """Motion planning failed (start in collision, goal unreachable, timeout)."""


class CheckpointError(GraspVLAError):
    """A checkpoint is missing files, has unexpected keys or mismatched shapes."""


class SimulationError(GraspVLAError):
    """The physics simulation or renderer failed or became unstable."""


class ControlError(GraspVLAError):
    """The control loop stopped or refused a command."""
