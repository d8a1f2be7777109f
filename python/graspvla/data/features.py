"""Feature names of graspvla episodes in LeRobotDataset v3.0, and the mapping used to read
other LeRobot v3 datasets (SynGrasp-1B, teleoperation data) with different names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graspvla.data.episode import ACTION_NAMES, BOX_NAMES, GOAL_NAMES, JOINT_NAMES, STATE_NAMES

__all__ = ["FeatureMap", "image_key", "box_key", "numeric_features", "lerobot_features", "INDEX_FEATURES"]

CODEBASE_VERSION = "v3.0"
INDEX_FEATURES = ["timestamp", "frame_index", "episode_index", "index", "task_index"]


def image_key(camera: str) -> str:
    return f"observation.images.{camera}"


def box_key(camera: str) -> str:
    return f"annotation.bbox.{camera}"


def numeric_features(cameras: list[str]) -> dict[str, tuple[str, list[str]]]:
    """Episode field -> (LeRobot feature name, dimension names), float32 vectors, in column order."""
    feats: dict[str, tuple[str, list[str]]] = {
        "state": ("observation.state", STATE_NAMES),
        "joints": ("observation.joints", JOINT_NAMES),
        "action": ("action", ACTION_NAMES),
        "action_abs": ("action.absolute", STATE_NAMES),
        "goal": ("annotation.goal", GOAL_NAMES),
    }
    for cam in cameras:
        feats[f"box:{cam}"] = (box_key(cam), BOX_NAMES)
    return feats


def lerobot_features(cameras: list[str], height: int, width: int, fps: int, codec: str, pix_fmt: str,
                     gop: int, crf: int) -> dict[str, dict[str, Any]]:
    """The ``features`` block of ``meta/info.json``."""
    feats: dict[str, dict[str, Any]] = {}
    for cam in cameras:
        feats[image_key(cam)] = {
            "dtype": "video", "shape": [height, width, 3], "names": ["height", "width", "channels"],
            "info": {"video.height": height, "video.width": width, "video.codec": codec,
                     "video.pix_fmt": pix_fmt, "video.is_depth_map": False, "video.fps": fps,
                     "video.channels": 3, "video.g": gop, "video.crf": crf, "has_audio": False},
        }
    for _, (name, names) in numeric_features(cameras).items():
        feats[name] = {"dtype": "float32", "shape": [len(names)], "names": list(names)}
    feats["timestamp"] = {"dtype": "float32", "shape": [1], "names": None}
    for k in ("frame_index", "episode_index", "index", "task_index"):
        feats[k] = {"dtype": "int64", "shape": [1], "names": None}
    return feats


@dataclass(frozen=True)
class FeatureMap:
    """Where the reader finds each quantity in a LeRobot v3 dataset.

    ``cameras`` maps our camera name (``front``, ``side``) to the dataset's video feature;
    ``state``/``action`` are required, the others optional (``None`` = absent). Defaults are
    the names graspvla writes; pass others to train on e.g. SynGrasp-1B or teleoperation data.
    """

    cameras: dict[str, str] = field(default_factory=lambda: {"front": image_key("front"), "side": image_key("side")})
    state: str = "observation.state"
    action: str = "action"
    joints: str | None = "observation.joints"
    action_abs: str | None = "action.absolute"
    goal: str | None = "annotation.goal"
    boxes: dict[str, str] | None = field(default_factory=lambda: {"front": box_key("front"), "side": box_key("side")})

    def numeric(self) -> dict[str, str]:
        """Output key -> dataset column, for every present numeric quantity."""
        out = {"state": self.state, "action": self.action}
        for k in ("joints", "action_abs", "goal"):
            v = getattr(self, k)
            if v:
                out[k] = v
        for cam, col in (self.boxes or {}).items():
            out[f"box.{cam}"] = col
        return out
