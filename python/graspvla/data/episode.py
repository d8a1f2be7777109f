"""Episode and Frame: the content of one SynGrasp-style grasping episode (GraspVLA-compatible).

Conventions (base = robot base frame, SI units):

* ``state`` (T, 7): GraspVLA proprio ``[x, y, z, roll, pitch, yaw, gripper]`` of the end
  effector (TCP) in the base frame, metres / radians (``sxyz`` Euler), gripper opening in
  [0, 1] (1 = fully open).
* ``joints`` (T, 7): arm joint positions [rad].
* ``action`` (T, 7): GraspVLA's step-to-step delta ``[dx, dy, dz, droll, dpitch, dyaw, g]``
  in the base frame from frame t to frame t+1: translation added, rotation left-multiplied
  (R_{t+1} = R(drpy) @ R_t), ``g`` the gripper target in {0, 1} (1 = open). The last frame
  holds (zero delta). Chaining ``action[t:t+H]`` from ``state[t]`` reproduces the recorded
  poses exactly.
* ``action_abs`` (T, 7): the absolute target of that action, ``[x, y, z, roll, pitch, yaw, g]``
  (the pose at t+1 and the same gripper command).
* ``goal`` (T, 6): GraspVLA's PAG-3D label: the episode's grasp pose (xyz + rpy, base frame)
  while the gripper command is still "open", the next step's EE pose after it closed.
* ``boxes[camera]`` (T, 4): the target's 2D box in pixels ``(x_min, y_min, x_max, y_max)``,
  all ``-1`` when the target is not visible in that camera.
* ``images[camera]`` (T, H, W, 3) uint8 RGB.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graspvla.errors import InvalidInputError
from graspvla.geometry import delta_between, pose_to_xyz_rpy

__all__ = ["Frame", "Episode", "EpisodeMeta", "build_episode_arrays", "instruction_for"]

F32 = NDArray[np.float32]
STATE_NAMES = ["x", "y", "z", "roll", "pitch", "yaw", "gripper"]
ACTION_NAMES = ["dx", "dy", "dz", "droll", "dpitch", "dyaw", "gripper"]
GOAL_NAMES = ["x", "y", "z", "roll", "pitch", "yaw"]
JOINT_NAMES = [f"joint{i}" for i in range(1, 8)]
BOX_NAMES = ["x_min", "y_min", "x_max", "y_max"]


def instruction_for(category: str) -> str:
    """GraspVLA's instruction template: ``"pick up the <category>"``."""
    return f"pick up the {category.replace('_', ' ').strip()}"


@dataclass(frozen=True)
class Frame:
    """One timestep of an episode (a view into :class:`Episode`); see the module docstring."""

    index: int
    timestamp: float  # seconds since the episode start
    images: dict[str, NDArray[np.uint8]]
    state: F32
    joints: F32
    action: F32
    action_abs: F32
    goal: F32
    boxes: dict[str, F32]


@dataclass
class EpisodeMeta:
    """Per-episode facts: enough to understand and reproduce the episode.

    ``grasp_pose`` is the executed 6-DoF grasp (4x4, TCP in the base frame, float64).
    ``params`` holds every randomisation parameter (JSON-serialisable). ``timings`` maps a
    pipeline stage name to its wall time in seconds (not part of the content hash).
    """

    seed: int
    category: str
    object_id: str
    instruction: str
    success: bool
    grasp_pose: NDArray[np.float64] = field(default_factory=lambda: np.eye(4))
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    error: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "seed": int(self.seed),
            "category": self.category,
            "object_id": self.object_id,
            "instruction": self.instruction,
            "success": bool(self.success),
            "grasp_pose": np.asarray(self.grasp_pose, dtype=np.float64).reshape(16).tolist(),
            "params": self.params,
            "source": self.source,
            "error": self.error,
        }


@dataclass
class Episode:
    """A whole episode, stored column-wise (T frames). See the module docstring for units."""

    meta: EpisodeMeta
    fps: float
    images: dict[str, NDArray[np.uint8]]
    state: F32
    joints: F32
    action: F32
    action_abs: F32
    goal: F32
    boxes: dict[str, F32]

    def __post_init__(self) -> None:
        self.validate()

    @property
    def length(self) -> int:
        return int(self.state.shape[0])

    @property
    def cameras(self) -> list[str]:
        return sorted(self.images)

    def validate(self) -> None:
        """Raise :class:`InvalidInputError` naming the first inconsistent field."""
        T = self.state.shape[0] if self.state.ndim == 2 else -1
        if T < 1:
            raise InvalidInputError(f"Episode.state: expected shape (T>=1, 7), got {self.state.shape}")
        checks = {"state": (self.state, 7), "joints": (self.joints, 7), "action": (self.action, 7),
                  "action_abs": (self.action_abs, 7), "goal": (self.goal, 6)}
        for name, (arr, n) in checks.items():
            if arr.shape != (T, n) or arr.dtype != np.float32:
                raise InvalidInputError(f"Episode.{name}: expected float32 ({T}, {n}), got {arr.dtype} {arr.shape}")
            if not np.isfinite(arr).all():
                raise InvalidInputError(f"Episode.{name}: contains NaN or infinite values")
        if not self.images:
            raise InvalidInputError("Episode.images: at least one camera is required")
        shape0 = None
        for cam, img in self.images.items():
            if img.dtype != np.uint8 or img.ndim != 4 or img.shape[0] != T or img.shape[3] != 3:
                raise InvalidInputError(f"Episode.images[{cam!r}]: expected uint8 ({T}, H, W, 3), got {img.dtype} {img.shape}")
            if shape0 is not None and img.shape != shape0:
                raise InvalidInputError(f"Episode.images[{cam!r}]: all cameras must share one size, got {img.shape} vs {shape0}")
            shape0 = img.shape
        if set(self.boxes) != set(self.images):
            raise InvalidInputError(f"Episode.boxes: cameras {sorted(self.boxes)} differ from images {sorted(self.images)}")
        for cam, b in self.boxes.items():
            if b.shape != (T, 4) or b.dtype != np.float32:
                raise InvalidInputError(f"Episode.boxes[{cam!r}]: expected float32 ({T}, 4), got {b.dtype} {b.shape}")
        if self.fps <= 0:
            raise InvalidInputError(f"Episode.fps: must be > 0, got {self.fps}")

    def frame(self, t: int) -> Frame:
        """Frame ``t`` (views, no copies)."""
        if not 0 <= t < self.length:
            raise InvalidInputError(f"t: frame {t} outside [0, {self.length})")
        return Frame(
            index=t, timestamp=t / self.fps,
            images={c: v[t] for c, v in self.images.items()},
            state=self.state[t], joints=self.joints[t], action=self.action[t],
            action_abs=self.action_abs[t], goal=self.goal[t],
            boxes={c: v[t] for c, v in self.boxes.items()},
        )

    def frames(self) -> list[Frame]:
        return [self.frame(t) for t in range(self.length)]

    @classmethod
    def from_frames(cls, frames: list[Frame], meta: EpisodeMeta, fps: float) -> Episode:
        if not frames:
            raise InvalidInputError("frames: at least one frame is required")
        cams = sorted(frames[0].images)
        return cls(
            meta=meta, fps=fps,
            images={c: np.stack([f.images[c] for f in frames]) for c in cams},
            state=np.stack([f.state for f in frames]).astype(np.float32),
            joints=np.stack([f.joints for f in frames]).astype(np.float32),
            action=np.stack([f.action for f in frames]).astype(np.float32),
            action_abs=np.stack([f.action_abs for f in frames]).astype(np.float32),
            goal=np.stack([f.goal for f in frames]).astype(np.float32),
            boxes={c: np.stack([f.boxes[c] for f in frames]).astype(np.float32) for c in cams},
        )

    def content_hash(self) -> str:
        """SHA-256 of every array and of the metadata (timings excluded): equal iff byte-identical."""
        h = hashlib.sha256()
        h.update(json.dumps(self.meta.to_json_dict(), sort_keys=True).encode())
        h.update(np.float64(self.fps).tobytes())
        for name in ("state", "joints", "action", "action_abs", "goal"):
            h.update(name.encode())
            h.update(np.ascontiguousarray(getattr(self, name)).tobytes())
        for cam in self.cameras:
            h.update(cam.encode())
            h.update(np.ascontiguousarray(self.images[cam]).tobytes())
            h.update(np.ascontiguousarray(self.boxes[cam]).tobytes())
        return h.hexdigest()


def build_episode_arrays(
    ee_poses: NDArray[np.float64],
    gripper_state: NDArray[np.float64],
    gripper_command: NDArray[np.float64],
    grasp_pose: NDArray[np.float64],
) -> dict[str, F32]:
    """Proprio, actions and PAG-3D goals from a recorded trajectory (the one annotation rule).

    ee_poses: (T, 4, 4) TCP poses in the base frame, one per recorded frame.
    gripper_state: (T,) measured opening in [0, 1] (1 = open).
    gripper_command: (T,) commanded gripper target at each frame in {0, 1} (1 = open).
    grasp_pose: (4, 4) the planned grasp (TCP in the base frame).
    Returns float32 arrays ``state`` (T,7), ``action`` (T,7), ``action_abs`` (T,7), ``goal`` (T,6).
    """
    P = np.asarray(ee_poses, dtype=np.float64)
    if P.ndim != 3 or P.shape[1:] != (4, 4) or len(P) < 1:
        raise InvalidInputError(f"ee_poses: expected (T, 4, 4), got {P.shape}")
    T = len(P)
    gs = np.asarray(gripper_state, dtype=np.float64).reshape(-1)
    gc = np.asarray(gripper_command, dtype=np.float64).reshape(-1)
    if gs.shape != (T,) or gc.shape != (T,):
        raise InvalidInputError(f"gripper_state/gripper_command: expected ({T},), got {gs.shape} / {gc.shape}")
    xyzrpy = np.stack([pose_to_xyz_rpy(p) for p in P])
    state = np.concatenate([xyzrpy, gs[:, None]], axis=1)
    action = np.zeros((T, 7))
    action_abs = np.zeros((T, 7))
    for t in range(T):
        nxt = min(t + 1, T - 1)
        action[t, :6] = delta_between(P[t], P[nxt]) if nxt != t else 0.0
        action_abs[t, :6] = xyzrpy[nxt]
    action[:, 6] = gc
    action_abs[:, 6] = gc
    grasp6 = pose_to_xyz_rpy(np.asarray(grasp_pose, dtype=np.float64))
    closed = np.cumsum(gc < 0.5) > 0  # the gripper command has switched to "close" at or before t
    goal = np.where(closed[:, None], action_abs[:, :6], grasp6[None, :])
    return {"state": state.astype(np.float32), "action": action.astype(np.float32),
            "action_abs": action_abs.astype(np.float32), "goal": goal.astype(np.float32)}
