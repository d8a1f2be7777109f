"""Training samples for the GraspVLA model from LeRobot v3 datasets (synthetic episodes) and
grounding data, in the sample format :class:`graspvla.model.Collator` consumes."""

from __future__ import annotations

from typing import Any

import numpy as np
from torch.utils.data import Dataset

__all__ = ["EpisodeFrames", "fit_normalizer"]


class EpisodeFrames(Dataset):
    """Frames of a LeRobot v3 dataset as synthetic samples: front/side images at t, proprio
    at (t-3, t), the 4 actions from t, the PAG-3D goal and the target's boxes at t.

    Boxes of an invisible target (all -1) become (0, 0, 0, 0): the model learns to answer
    "not visible" with the corner box. ``seed`` per sample = the frame's global index, so the
    flow-matching noise of a frame is the same however the data is split over workers/ranks.
    """

    def __init__(self, root: str, image_size: int = 224, reader: Any = None) -> None:
        from graspvla.data.reader import LeRobotReader

        self.reader = reader or LeRobotReader(root)
        self.image_size = image_size

    def __len__(self) -> int:
        return len(self.reader)

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = self.reader[i]
        boxes = []
        for cam in ("front", "side"):
            b = np.asarray(item.get(f"box.{cam}", np.full((1, 4), -1.0)), dtype=np.float64).reshape(-1, 4)[0]
            boxes.append(np.zeros(4) if np.all(b < 0) else b)
        images = item["images"]
        h = images["front"].shape[1]
        box = np.array(boxes) * (self.image_size / h)
        goal = np.asarray(item["goal"], dtype=np.float64).reshape(-1, 6)[0] if "goal" in item else np.zeros(6)
        return {
            "front": images["front"][0], "side": images["side"][0], "instruction": item["instruction"],
            "bbox": box, "proprio": np.asarray(item["state"], dtype=np.float64).reshape(2, 7), "goal": goal,
            "actions": np.asarray(item["action"], dtype=np.float64).reshape(-1, 7)[:4], "kind": "synthetic",
            "seed": int(item["index"]),
        }


def fit_normalizer(dataset: EpisodeFrames, max_samples: int = 5000, seed: int = 0) -> Any:
    """GraspVLA's percentile min/max statistics (1% / 99%) over up to ``max_samples`` frames."""
    from graspvla.model import Normalizer

    reader = dataset.reader
    saved = reader.decode_images
    reader.decode_images = False
    try:
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(reader), size=min(max_samples, len(reader)), replace=False)
        states = np.concatenate([np.asarray(reader[int(i)]["state"]) for i in idx])
        actions = np.concatenate([np.asarray(reader[int(i)]["action"]) for i in idx])
    finally:
        reader.decode_images = saved
    return Normalizer.fit(states, actions)
