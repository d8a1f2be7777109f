"""Training samples for the GraspVLA model from LeRobot v3 datasets (synthetic episodes) and
grounding data, in the sample format :class:`graspvla.model.Collator` consumes."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset

__all__ = ["EpisodeFrames", "GroundingFrames", "fit_normalizer"]


class EpisodeFrames(Dataset):
    """Frames of a LeRobot v3 dataset as synthetic samples: front/side images at t, proprio
    at (t-3, t), the 4 actions from t, the PAG-3D goal and the target's boxes at t.

    Boxes of an invisible target (all -1) become (0, 0, 0, 0), which the Collator leaves
    unsupervised. ``seed`` per sample = the frame's global index, so the
    flow-matching noise of a frame is the same however the data is split over workers/ranks.
    ``episodes`` selects a subset (see :class:`~graspvla.data.reader.LeRobotReader`): an int
    ``n`` = the first ``n`` (successful) episodes, a sequence = those episode indices.

    ``pag_min_distance`` (metres, 0 = off): supervise a frame's box and grasp-pose tokens only
    while the hand (current proprio xyz, base frame) is at least this far from the grasp
    position. Once the hand is at or near the target, both can be read off the hand: the
    image shows where the gripper is and the grasp position is the proprio. Trained on every
    frame, a small model learns that shortcut and never learns to find the named object, which
    is exactly what the first query of an episode needs. Such frames still train the actions,
    and their box / grasp tokens stay in the sequence as input (``supervise_pag=False``).

    ``target_point``: for episodes that record their cameras' calibration, also return the
    grasp position projected into each view while the hand is open (``target_point`` (2, 2),
    pixels in ``image_size`` units, NaN outside the image), so that the queried keypoint is
    trained on where to grasp rather than on the target's box. Calibrated cameras then
    triangulate the grasp point itself (its height, or a part such as a mug's handle) instead
    of the middle of the object.
    """

    def __init__(self, root: str, image_size: int = 224, reader: Any = None,
                 episodes: int | Sequence[int] | None = None, pag_min_distance: float = 0.0,
                 target_point: bool = False) -> None:
        from graspvla.data.reader import LeRobotReader

        if reader is not None and episodes is not None:
            from graspvla.errors import InvalidInputError

            raise InvalidInputError("EpisodeFrames: pass episodes= to the reader you give, not to both")
        if not np.isfinite(pag_min_distance) or pag_min_distance < 0:
            from graspvla.errors import InvalidInputError

            raise InvalidInputError(f"pag_min_distance must be >= 0 metres, got {pag_min_distance}")
        self.reader = reader or LeRobotReader(root, episodes=episodes)
        self.image_size = image_size
        self.pag_min_distance = float(pag_min_distance)
        self.target_point = bool(target_point)

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
        proprio = np.asarray(item["state"], dtype=np.float64).reshape(2, 7)
        out = {
            "front": images["front"][0], "side": images["side"][0], "instruction": item["instruction"],
            "bbox": box, "proprio": proprio, "goal": goal,
            "actions": np.asarray(item["action"], dtype=np.float64).reshape(-1, 7)[:4], "kind": "synthetic",
            "seed": int(item["index"]),
        }
        if self.pag_min_distance > 0:
            out["supervise_pag"] = bool(np.linalg.norm(proprio[-1, :3] - goal[:3]) >= self.pag_min_distance)
        if self.target_point and "cameras" in item and "goal" in item and proprio[-1, 6] > 0.5:
            out["target_point"] = self._grasp_point(item, goal[:3])
        return out

    def _grasp_point(self, item: dict[str, Any], xyz: np.ndarray) -> np.ndarray:
        """The grasp position projected into each view (2, 2) [px, image_size units]; NaN
        where it falls outside the image or the episode has no calibration for that view."""
        cams = item["cameras"]
        pts = np.full((2, 2), np.nan)
        for k, cam in enumerate(("front", "side")):
            if cam in cams:
                xy = cams[cam].project(xyz[None])[0]
                if np.all(np.abs(xy) <= 1.0):
                    pts[k] = (xy + 1.0) * 0.5 * self.image_size
        return pts


class GroundingFrames(Dataset):
    """Random access to a GRIT-style grounding file (``.jsonl``/``.parquet``, or a directory
    made by ``graspvla grounding``) as Collator "grounding" samples, one per (image, phrase,
    box) annotation.

    The index of (record, annotation) is built once in the constructor from the annotations
    alone; images are decoded lazily in ``__getitem__`` (so DataLoader workers share the work;
    a parquet file is opened, memory-mapped, once per process). A sample is::

        {"front": img, "side": img, "instruction": "pick up the <phrase>", "bbox": (2, 4),
         "kind": "grounding", "seed": i}

    * A non-square image is letterboxed to ``image_size`` (``resize="letterbox"``: aspect kept,
      centred on black, as GraspVLA feeds its cameras) or stretched (``"stretch"``); a square
      one is just resized (bilinear). The box follows the image: pixels of the model input.
    * Web data has one view; the model has two camera slots and predicts one box per slot
      (front then side). The same image fills both slots and the same box is the target of
      both: the slots stay consistent (each box belongs to the image in its slot), the model
      sees the same kind of input as at deployment (two views of the object), and both slots
      are supervised (a "not visible" box would not be).
    * An unreadable image or a box empty after clipping to the image is replaced by the next
      annotation (deterministically, counted in ``self.skipped`` per process, one warning);
      an annotation whose phrase is empty or whose box is degenerate is dropped from the index.
    """

    def __init__(self, path: str | os.PathLike[str], image_size: int = 224,
                 image_root: str | os.PathLike[str] | None = None, resize: str = "letterbox",
                 max_retries: int = 16) -> None:
        from graspvla.data.grounding import find_grounding_file, record_annotations
        from graspvla.errors import InvalidInputError

        if resize not in ("letterbox", "stretch"):
            raise InvalidInputError(f"resize: 'letterbox' or 'stretch', got {resize!r}")
        self.resize = resize
        self.path = find_grounding_file(path)
        self.image_root = Path(image_root) if image_root else self.path.parent
        self.image_size = int(image_size)
        self.max_retries = max_retries
        self.skipped = 0
        self._table: Any = None
        recs: list[Any] = []  # jsonl: the record minus annotations; parquet: the row number
        rec_idx, phrases, boxes, norm = [], [], [], []
        self.dropped = 0
        for r, rec in enumerate(self._scan()):
            anns = []
            try:
                for phrase, box, is_norm in record_annotations(rec):
                    b = [float(v) for v in box[:4]]
                    if len(b) == 4 and str(phrase).strip() and b[2] > b[0] and b[3] > b[1] and np.all(np.isfinite(b)):
                        anns.append((str(phrase).strip(), b, bool(is_norm)))
                    else:
                        self.dropped += 1
            except (KeyError, TypeError, ValueError, IndexError):
                self.dropped += 1
                continue
            if not anns:
                continue
            if self.path.suffix == ".jsonl":
                recs.append({k: rec[k] for k in ("image", "file_name", "key") if rec.get(k)})
            else:
                recs.append(r)
            for phrase, b, is_norm in anns:
                rec_idx.append(len(recs) - 1)
                phrases.append(phrase)
                boxes.append(b)
                norm.append(is_norm)
        if not phrases:
            raise InvalidInputError(f"grounding: {self.path} has no usable (phrase, box) annotation")
        self.records = recs
        self.rec_idx = np.asarray(rec_idx, dtype=np.int64)
        self.phrases = phrases
        self.boxes = np.asarray(boxes, dtype=np.float64)
        self.normalised = np.asarray(norm, dtype=bool)

    def _scan(self) -> Any:
        if self.path.suffix == ".jsonl":
            with open(self.path) as f:
                for line in f:
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except ValueError:
                            self.dropped += 1
        else:
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(self.path)
            cols = [c for c in pf.schema_arrow.names if c not in ("image_bytes",)]
            for batch in pf.iter_batches(columns=cols):
                yield from batch.to_pylist()

    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["_table"] = None  # reopened in each worker
        return d

    def __len__(self) -> int:
        return len(self.phrases)

    def _record(self, r: int) -> dict[str, Any]:
        rec = self.records[r]
        if isinstance(rec, dict):
            return rec
        if self._table is None:
            import pyarrow.parquet as pq

            self._table = pq.read_table(self.path, memory_map=True)
        return self._table.slice(int(rec), 1).to_pylist()[0]

    def _load(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        from PIL import Image

        from graspvla.data.grounding import record_image

        img = record_image(self._record(int(self.rec_idx[i])), self.image_root)
        h, w = img.shape[:2]
        b = self.boxes[i] * ([w, h, w, h] if self.normalised[i] else 1.0)
        b = np.clip(b, 0.0, [w, h, w, h])
        if b[2] <= b[0] or b[3] <= b[1]:
            raise ValueError(f"box {self.boxes[i].tolist()} is outside the {w}x{h} image")
        S = self.image_size
        if (h, w) == (S, S):
            return img, b
        if self.resize == "stretch" or h == w:
            img = np.asarray(Image.fromarray(img).resize((S, S), Image.BILINEAR), dtype=np.uint8)
            return img, b * [S / w, S / h, S / w, S / h]
        k = S / max(h, w)
        nw, nh = max(1, round(w * k)), max(1, round(h * k))
        ox, oy = (S - nw) // 2, (S - nh) // 2
        canvas = np.zeros((S, S, 3), dtype=np.uint8)
        canvas[oy:oy + nh, ox:ox + nw] = np.asarray(Image.fromarray(img).resize((nw, nh), Image.BILINEAR))
        return canvas, b * [nw / w, nh / h, nw / w, nh / h] + [ox, oy, ox, oy]

    def __getitem__(self, i: int) -> dict[str, Any]:
        from graspvla.data.episode import instruction_for

        i = int(i)
        if not 0 <= i < len(self):
            raise IndexError(f"grounding index {i} out of range [0, {len(self)})")
        j = i
        for _ in range(self.max_retries + 1):
            try:
                img, box = self._load(j)
                break
            except (OSError, KeyError, ValueError) as e:
                self.skipped += 1
                if self.skipped == 1:
                    warnings.warn(f"grounding: skipping unreadable sample {j} of {self.path} ({e}); "
                                  f"further ones are counted in .skipped", stacklevel=2)
                j = (j + 1) % len(self)
        else:
            from graspvla.errors import CorruptShardError

            raise CorruptShardError(f"grounding: {self.max_retries + 1} consecutive unreadable samples from "
                                    f"{i} in {self.path}; check the image files under {self.image_root}")
        return {"front": img, "side": img, "instruction": instruction_for(self.phrases[j]),
                "bbox": np.stack([box, box]), "kind": "grounding", "seed": i}


def fit_normalizer(dataset: EpisodeFrames, max_samples: int = 5000, seed: int = 0,
                   roll_offset: float = float(np.pi)) -> Any:
    """GraspVLA's percentile min/max statistics (1% / 99%) over up to ``max_samples`` frames.
    ``roll_offset`` pi: a downward-pointing TCP (roll +-pi) reads roll 0, so proprio and goal do
    not wrap (see :class:`~graspvla.model.Normalizer`)."""
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
    return Normalizer.fit(states, actions, roll_offset=roll_offset)
