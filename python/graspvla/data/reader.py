"""Training reader for LeRobotDataset v3.0: random access to frames with history/horizon windows.

Works on datasets written by graspvla and on any other LeRobot v3 dataset through a
:class:`~graspvla.data.features.FeatureMap` (e.g. SynGrasp-1B or teleoperation data). It is a
map-style dataset (``len`` + ``__getitem__``) returning numpy arrays, so it plugs into a
``torch.utils.data.DataLoader`` with workers directly; files are opened lazily per process.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from graspvla.data.features import FeatureMap
from graspvla.data.shards import sha256_file
from graspvla.data.video import VideoReader
from graspvla.errors import CorruptShardError, InvalidInputError
from graspvla.geometry.calibration import CameraCalibration

__all__ = ["WindowConfig", "LeRobotReader", "verify_dataset"]


@dataclass(frozen=True)
class WindowConfig:
    """Frame offsets relative to the sampled frame t (at the dataset's fps).

    GraspVLA: proprio at t-3 and t, 4 actions from t, one image per camera at t. Offsets that
    fall outside the episode are clamped to its first/last frame and flagged in ``*_is_pad``.
    """

    state_offsets: tuple[int, ...] = (-3, 0)
    action_offsets: tuple[int, ...] = (0, 1, 2, 3)
    image_offsets: tuple[int, ...] = (0,)
    other_offsets: tuple[int, ...] = (0,)  # joints, action_abs, goal, boxes


def _read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as e:
        raise CorruptShardError(f"{path}: unreadable parquet ({e}); the file is truncated or corrupt, regenerate it") from e


def verify_dataset(root: str | os.PathLike[str], checksums: bool = True) -> int:
    """Check every file listed in ``meta/checksums.json`` (size, and SHA-256 if ``checksums``).

    Raises :class:`CorruptShardError` naming the first missing, truncated or corrupt file.
    Returns the number of files checked (0 if the dataset carries no checksum list).
    """
    root = Path(root)
    path = root / "meta" / "checksums.json"
    if not path.exists():
        return 0
    entries = json.loads(path.read_text())
    for rel, info in entries.items():
        p = root / rel
        if not p.is_file():
            raise CorruptShardError(f"{p}: listed in meta/checksums.json but missing; re-run finalize/generate")
        if p.stat().st_size != info["bytes"]:
            raise CorruptShardError(f"{p}: {p.stat().st_size} bytes, expected {info['bytes']} (truncated); re-run finalize/generate")
        if checksums and sha256_file(p) != info["sha256"]:
            raise CorruptShardError(f"{p}: SHA-256 mismatch (corrupt); re-run finalize/generate")
    return len(entries)


class LeRobotReader:
    """Frames of a LeRobot v3 dataset with windows, for training.

    Args:
        root: dataset directory (containing ``meta/info.json``).
        features: where to find cameras/state/action/...; default = graspvla's names.
        window: history and horizon offsets.
        split: a key of ``info["splits"]`` (``"train"``) or ``None`` for every episode.
        decode_images: set ``False`` to skip video decoding (numeric-only training, statistics).
        verify: ``"size"`` (default, cheap), ``"sha256"`` (full checksums) or ``"none"``.
        cache_files: how many decoded data files to keep per process.
        episodes: a subset of the split's episodes: an int ``n`` keeps the first ``n`` (in the
            split's order; graspvla's ``train`` split lists successes by seed, so these are the
            first ``n`` successful episodes and a smaller subset is nested in a larger one), a
            sequence keeps those ``episode_index`` values; ``None`` keeps all.

    ``reader[i]`` returns a dict: ``images`` {camera: (len(image_offsets), H, W, 3) uint8},
    ``state`` (len(state_offsets), D) float32 with ``state_is_pad``, ``action``
    (len(action_offsets), D) with ``action_is_pad``, optional ``joints``/``action_abs``/``goal``/
    ``box.<camera>`` (len(other_offsets), D), and ``instruction``, ``episode_index``,
    ``frame_index``, ``index``; ``cameras`` {camera: :class:`graspvla.geometry.calibration.CameraCalibration`}
    when the episode records its cameras' calibration (validated when the shard is opened: a
    malformed one raises :class:`CorruptShardError` there, not in a training step).
    """

    def __init__(self, root: str | os.PathLike[str], features: FeatureMap | None = None, window: WindowConfig | None = None,
                 split: str | None = "train", decode_images: bool = True, verify: str = "size", cache_files: int = 4,
                 episodes: int | Sequence[int] | None = None) -> None:
        self.root = Path(root)
        info_path = self.root / "meta" / "info.json"
        if not info_path.exists():
            raise InvalidInputError(f"root: {info_path} not found; not a finalised LeRobot v3 dataset (run `graspvla generate` to completion)")
        self.info = json.loads(info_path.read_text())
        if not str(self.info.get("codebase_version", "")).startswith("v3"):
            raise InvalidInputError(f"root: codebase_version {self.info.get('codebase_version')!r} is not v3.x")
        if verify not in ("size", "sha256", "none"):
            raise InvalidInputError(f"verify: expected 'size', 'sha256' or 'none', got {verify!r}")
        if verify != "none":
            verify_dataset(self.root, checksums=verify == "sha256")
        self.fps = float(self.info["fps"])
        self.features = features or FeatureMap()
        self.window = window or WindowConfig()
        self.decode_images = decode_images
        feats = self.info["features"]
        for key in [self.features.state, self.features.action, *self.features.cameras.values()]:
            if key not in feats:
                raise InvalidInputError(f"features: {key!r} is not a feature of {self.root} (has {sorted(feats)})")
        self._numeric = {k: v for k, v in self.features.numeric().items() if v in feats}
        self._cams = dict(self.features.cameras)

        ep_files = sorted((self.root / "meta" / "episodes").rglob("*.parquet"))
        if not ep_files:
            raise CorruptShardError(f"{self.root / 'meta' / 'episodes'}: no episodes parquet")
        cols = ["episode_index", "dataset_from_index", "dataset_to_index", "data/chunk_index", "data/file_index", "tasks"]
        for key in self._cams.values():
            cols += [f"videos/{key}/chunk_index", f"videos/{key}/file_index", f"videos/{key}/from_timestamp"]
        tables = []
        self._ep_cameras: dict[int, dict[str, CameraCalibration]] = {}
        for f in ep_files:
            t = _read_parquet(f)
            self._ep_cameras.update(self._episode_cameras(t, f))
            missing = [c for c in cols if c not in t.column_names and c != "tasks"]
            if missing:
                raise CorruptShardError(f"{f}: missing episode columns {missing}")
            tables.append(t.select([c for c in cols if c in t.column_names]))
        eps = pa.concat_tables(tables).sort_by("episode_index")
        self._ep = {c: eps.column(c).to_numpy() for c in eps.column_names if c != "tasks"}
        self._ep_tasks = eps.column("tasks").to_pylist() if "tasks" in eps.column_names else None
        self._tasks = self._load_tasks()

        n = len(eps)
        sel = np.arange(n)
        if split is not None:
            rng = self.info.get("splits", {}).get(split)
            if rng is None:
                raise InvalidInputError(f"split: {split!r} not in {sorted(self.info.get('splits', {}))}")
            a, b = (int(x) for x in str(rng).split(":"))
            sel = sel[(self._ep["episode_index"] >= a) & (self._ep["episode_index"] < b)]
        self._sel = self._subset(sel, episodes)
        sel = self._sel
        lengths = self._ep["dataset_to_index"][sel] - self._ep["dataset_from_index"][sel]
        self._cum = np.concatenate([[0], np.cumsum(lengths)])
        # first global index of every data file, over all episodes (not only the split)
        self._file_start: dict[tuple[int, int], int] = {}
        for i in range(n):
            key = (int(self._ep["data/chunk_index"][i]), int(self._ep["data/file_index"][i]))
            s = int(self._ep["dataset_from_index"][i])
            self._file_start[key] = min(self._file_start.get(key, s), s)
        self._cache_files = cache_files
        self._tables: OrderedDict[tuple[int, int], dict[str, np.ndarray]] = OrderedDict()
        self._videos: dict[str, VideoReader] = {}

    @staticmethod
    def _episode_cameras(table: pa.Table, path: Path) -> dict[int, dict[str, CameraCalibration]]:
        """episode_index -> the cameras' calibration that graspvla's generator records in each
        episode's ``graspvla/params`` (``{camera: CameraCalibration.to_dict()}``); episodes
        without one (other datasets, data made before it was recorded) are absent."""
        out: dict[int, dict[str, CameraCalibration]] = {}
        if "graspvla/params" not in table.column_names or "episode_index" not in table.column_names:
            return out
        for idx, raw in zip(table.column("episode_index").to_pylist(), table.column("graspvla/params").to_pylist()):
            try:
                cams = json.loads(raw).get("cameras") if raw else None
            except (TypeError, ValueError, AttributeError) as e:
                raise CorruptShardError(f"{path}: episode {idx}: graspvla/params is not a JSON object ({e})") from e
            if isinstance(cams, dict) and cams:
                try:
                    out[int(idx)] = {str(c): CameraCalibration.from_dict(d) for c, d in cams.items()}
                except InvalidInputError as e:
                    raise CorruptShardError(f"{path}: episode {idx}: camera calibration: {e}") from e
        return out

    @property
    def has_cameras(self) -> bool:
        """Whether any selected episode records its cameras' calibration."""
        return any(int(i) in self._ep_cameras for i in self._ep["episode_index"][self._sel])

    def _subset(self, sel: np.ndarray, episodes: int | Sequence[int] | None) -> np.ndarray:
        if episodes is None:
            return sel
        if isinstance(episodes, (int, np.integer)):
            if episodes < 1:
                raise InvalidInputError(f"episodes: need at least 1 episode, got {episodes}")
            if episodes > len(sel):
                raise InvalidInputError(f"episodes: asked for the first {episodes} episodes but {self.root} has "
                                        f"only {len(sel)} in this split; generate more or ask for fewer")
            return sel[:int(episodes)]
        wanted = np.asarray(list(episodes), dtype=np.int64)
        have = self._ep["episode_index"][sel]
        missing = np.setdiff1d(wanted, have)
        if len(wanted) == 0 or len(missing):
            raise InvalidInputError(f"episodes: {missing[:10].tolist() if len(missing) else 'an empty list'} not "
                                    f"among the {len(sel)} episodes of this split of {self.root}")
        return sel[np.isin(have, wanted)]

    def _load_tasks(self) -> dict[int, str]:
        p = self.root / "meta" / "tasks.parquet"
        if not p.exists():
            return {}
        t = _read_parquet(p)
        names = [c for c in t.column_names if c != "task_index"]
        if not names:
            return {}
        col = "task" if "task" in names else names[0]
        return dict(zip(t.column("task_index").to_pylist(), t.column(col).to_pylist()))

    def __len__(self) -> int:
        return int(self._cum[-1])

    @property
    def tasks(self) -> list[str]:
        """The dataset's task strings (instructions), from ``meta/tasks.parquet``."""
        return list(self._tasks.values())

    @property
    def num_episodes(self) -> int:
        return len(self._sel)

    def _data(self, chunk: int, file: int) -> dict[str, np.ndarray]:
        key = (chunk, file)
        if key in self._tables:
            self._tables.move_to_end(key)
            return self._tables[key]
        path = self.root / self.info["data_path"].format(chunk_index=chunk, file_index=file)
        if not path.exists():
            raise CorruptShardError(f"{path}: data file missing; re-run finalize/generate")
        t = _read_parquet(path, columns=sorted(set(self._numeric.values()) | {"index", "task_index"}))
        arrays = {}
        for name in t.column_names:
            col = t.column(name).combine_chunks()
            if pa.types.is_fixed_size_list(col.type) or pa.types.is_list(col.type):
                arrays[name] = np.asarray(col.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(len(col), -1)
            else:
                arrays[name] = col.to_numpy(zero_copy_only=False)
        self._tables[key] = arrays
        if len(self._tables) > self._cache_files:
            self._tables.popitem(last=False)
        return arrays

    def _video(self, key: str, chunk: int, file: int) -> VideoReader:
        path = self.root / self.info["video_path"].format(video_key=key, chunk_index=chunk, file_index=file)
        r = self._videos.get(str(path))
        if r is None:
            if not path.exists():
                raise CorruptShardError(f"{path}: video file missing; re-run finalize/generate")
            if len(self._videos) >= 16:
                old = next(iter(self._videos))
                self._videos.pop(old).close()
            r = self._videos[str(path)] = VideoReader(path)
        return r

    def locate(self, i: int) -> tuple[int, int]:
        """Sample i -> (row of the episodes table, frame within the episode)."""
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} outside [0, {len(self)})")
        k = int(np.searchsorted(self._cum, i, side="right") - 1)
        return int(self._sel[k]), int(i - self._cum[k])

    def __getitem__(self, i: int) -> dict[str, Any]:
        row, t = self.locate(int(i))
        ep = self._ep
        L = int(ep["dataset_to_index"][row] - ep["dataset_from_index"][row])
        chunk, file = int(ep["data/chunk_index"][row]), int(ep["data/file_index"][row])
        data = self._data(chunk, file)
        base = int(ep["dataset_from_index"][row]) - self._file_start[(chunk, file)]

        def window(offsets: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
            idx = t + np.asarray(offsets, dtype=np.int64)
            return np.clip(idx, 0, L - 1), (idx < 0) | (idx >= L)

        out: dict[str, Any] = {}
        for name, col in self._numeric.items():
            offs = (self.window.state_offsets if name == "state" else
                    self.window.action_offsets if name == "action" else self.window.other_offsets)
            idx, pad = window(offs)
            arr = data[col]
            out[name] = np.ascontiguousarray(arr[base + idx], dtype=np.float32).reshape(len(idx), -1)
            if name in ("state", "action"):
                out[f"{name}_is_pad"] = pad
        if self.decode_images:
            idx, pad = window(self.window.image_offsets)
            imgs = {}
            for cam, key in self._cams.items():
                v = self._video(key, int(ep[f"videos/{key}/chunk_index"][row]), int(ep[f"videos/{key}/file_index"][row]))
                t0 = float(ep[f"videos/{key}/from_timestamp"][row])
                imgs[cam] = np.stack(v.frames_at([t0 + j / self.fps for j in idx]))
            out["images"] = imgs
            out["images_is_pad"] = pad
        task_index = int(data["task_index"][base + t]) if "task_index" in data else -1
        instr = self._tasks.get(task_index)
        if instr is None and self._ep_tasks is not None:
            instr = self._ep_tasks[row][0]
        out["instruction"] = instr or ""
        out["episode_index"] = int(ep["episode_index"][row])
        cams = self._ep_cameras.get(out["episode_index"])
        if cams is not None:
            out["cameras"] = cams
        out["frame_index"] = t
        out["index"] = int(data["index"][base + t]) if "index" in data else int(ep["dataset_from_index"][row]) + t
        return out

    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["_tables"] = OrderedDict()
        d["_videos"] = {}
        return d
