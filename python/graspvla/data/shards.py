"""Shards: the unit a worker writes, commits atomically and the run resumes from.

A shard holds the episodes of a contiguous block of seeds::

    <root>/shards/shard-000042/
        data.parquet            one row per kept frame (numeric features, shard-local)
        episodes.parquet        one row per attempted episode (kept or not, with its metadata)
        videos/<camera>.mp4     the kept episodes' frames, concatenated
        SHARD.json              seeds, counts, timings and the size + SHA-256 of every file

The worker writes everything into ``shards/.tmp-shard-000042-<pid>-<rand>/`` and renames the
directory to its final name: the rename is the commit, so a killed worker leaves either a
complete shard or a temporary directory that the next run deletes. The driver then appends
one line per committed shard to ``<root>/manifest.jsonl``; a truncated last line (a kill
during the append) is dropped and re-derived from ``SHARD.json`` on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from graspvla.data.episode import Episode, EpisodeMeta
from graspvla.data.features import numeric_features
from graspvla.data.video import VideoConfig, VideoEncoder
from graspvla.errors import CorruptShardError

__all__ = ["ShardSpec", "ShardResult", "write_shard", "shard_dir", "read_manifest", "append_manifest",
           "committed_shards", "verify_shard", "clean_temporaries", "sha256_file", "image_stats"]

SHARD_FORMAT = 1


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def shard_dir(root: Path, shard: int) -> Path:
    return Path(root) / "shards" / f"shard-{shard:06d}"


@dataclass(frozen=True)
class ShardSpec:
    """One task: run ``seeds`` through the episode source and write shard ``shard`` under ``root``."""

    root: str
    shard: int
    seeds: tuple[int, ...]
    keep_failures: bool = False
    video: VideoConfig = field(default_factory=VideoConfig)


@dataclass
class ShardResult:
    """Metadata a worker returns (never frames): what it wrote and how long each stage took."""

    shard: int
    seeds: tuple[int, ...]
    episodes: int
    kept: int
    successes: int
    errors: int
    frames: int
    per_category: dict[str, list[int]]  # category -> [attempted, succeeded]
    timings: dict[str, float]  # stage -> seconds (summed over the shard's episodes)
    files: dict[str, dict[str, Any]]  # relative path -> {"bytes", "sha256"}
    wall_s: float = 0.0
    skipped: bool = False  # already committed by an earlier run

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["seeds"] = list(self.seeds)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ShardResult:
        d = dict(d)
        d["seeds"] = tuple(d["seeds"])
        return cls(**d)


def image_stats(images: np.ndarray, max_frames: int = 8) -> dict[str, list[Any]]:
    """Per-channel stats of (T, H, W, 3) uint8 frames scaled to [0, 1], shaped (3, 1, 1) as LeRobot."""
    idx = np.linspace(0, len(images) - 1, min(max_frames, len(images))).round().astype(int)
    x = images[np.unique(idx)].reshape(-1, 3).astype(np.float64) / 255.0
    q = np.quantile(x, [0.01, 0.10, 0.50, 0.90, 0.99], axis=0)

    def c(v: np.ndarray) -> list[Any]:
        return np.asarray(v, dtype=np.float64).reshape(3, 1, 1).tolist()

    return {"min": c(x.min(0)), "max": c(x.max(0)), "mean": c(x.mean(0)), "std": c(x.std(0)),
            "count": [int(len(images))], "q01": c(q[0]), "q10": c(q[1]), "q50": c(q[2]), "q90": c(q[3]), "q99": c(q[4])}


def _episode_row(ep: Episode | None, meta: EpisodeMeta, kept: bool, video_from: int) -> dict[str, Any]:
    row = meta.to_json_dict()
    row["params"] = json.dumps(row["params"], sort_keys=True)
    row["kept"] = kept
    row["length"] = ep.length if ep is not None else 0
    row["video_from_frame"] = video_from
    row["timings"] = json.dumps({k: round(v, 6) for k, v in sorted(meta.timings.items())})
    row["image_stats"] = json.dumps({c: image_stats(ep.images[c]) for c in ep.cameras}) if (ep is not None and kept) else "{}"
    return row


def write_shard(spec: ShardSpec, source: Any) -> ShardResult:
    """Run every seed of ``spec`` through ``source`` and commit the shard (worker side).

    An episode function that raises is recorded as an error episode (not kept); only the
    process dying loses the shard, and then nothing of it is visible. Returns metadata only.
    """
    t_wall = time.perf_counter()
    root = Path(spec.root)
    final = shard_dir(root, spec.shard)
    if final.exists():
        return load_shard_result(final, skipped=True)
    tmp = root / "shards" / f".tmp-shard-{spec.shard:06d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    (tmp / "videos").mkdir(parents=True)
    timings: dict[str, float] = {}
    per_cat: dict[str, list[int]] = {}
    rows: list[dict[str, Any]] = []
    columns: dict[str, list[np.ndarray]] = {}
    encoders: dict[str, VideoEncoder] = {}
    frames_kept = successes = errors = kept = 0
    cameras: list[str] | None = None
    fps = 0.0
    try:
        for seed in spec.seeds:
            ep: Episode | None
            try:
                ep = source(int(seed))
                meta = ep.meta
            except Exception as e:  # an episode failure must not lose the shard
                ep = None
                known = getattr(e, "episode_meta", None)  # a source may attach what it knew (category, timings)
                if isinstance(known, EpisodeMeta):
                    meta = known
                    meta.success = False
                    meta.error = f"{type(e).__name__}: {e}"
                else:
                    meta = EpisodeMeta(seed=int(seed), category="", object_id="", instruction="", success=False,
                                       source=getattr(source, "name", ""), error=f"{type(e).__name__}: {e}")
                    errors += 1
            for k, v in meta.timings.items():
                timings[k] = timings.get(k, 0.0) + float(v)
            cat = per_cat.setdefault(meta.category or "<error>", [0, 0])
            cat[0] += 1
            cat[1] += int(meta.success)
            successes += int(meta.success)
            keep = ep is not None and (meta.success or spec.keep_failures)
            video_from = frames_kept
            if keep:
                assert ep is not None
                if cameras is None:
                    cameras = ep.cameras
                    fps = float(ep.fps)
                    H, W = ep.images[cameras[0]].shape[1:3]
                    for cam in cameras:
                        encoders[cam] = VideoEncoder(tmp / "videos" / f"{cam}.mp4", W, H, int(round(ep.fps)), spec.video)
                elif ep.cameras != cameras:
                    raise CorruptShardError(f"seed {seed}: cameras {ep.cameras} differ from the shard's {cameras}")
                t0 = time.perf_counter()
                for cam in cameras:
                    encoders[cam].write(ep.images[cam])
                timings["encode"] = timings.get("encode", 0.0) + time.perf_counter() - t0
                t0 = time.perf_counter()
                T = ep.length
                columns.setdefault("timestamp", []).append((np.arange(T) / ep.fps).astype(np.float32))
                columns.setdefault("frame_index", []).append(np.arange(T, dtype=np.int64))
                columns.setdefault("shard_episode", []).append(np.full(T, len(rows), dtype=np.int64))
                for fld, (name, _) in numeric_features(cameras).items():
                    arr = ep.boxes[fld[4:]] if fld.startswith("box:") else getattr(ep, fld)
                    columns.setdefault(name, []).append(np.asarray(arr, dtype=np.float32))
                frames_kept += T
                kept += 1
                timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t0
            rows.append(_episode_row(ep, meta, keep, video_from))
        t0 = time.perf_counter()
        for enc in encoders.values():
            enc.close()
        timings["encode"] = timings.get("encode", 0.0) + time.perf_counter() - t0
        t0 = time.perf_counter()
        _write_tables(tmp, columns, rows)
        files = {}
        for p in sorted(tmp.rglob("*")):
            if p.is_file():
                files[p.relative_to(tmp).as_posix()] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t0
        result = ShardResult(shard=spec.shard, seeds=tuple(int(s) for s in spec.seeds), episodes=len(rows), kept=kept,
                             successes=successes, errors=errors, frames=frames_kept, per_category=per_cat,
                             timings=timings, files=files, wall_s=time.perf_counter() - t_wall)
        doc = {"format": SHARD_FORMAT, "cameras": cameras or [], "fps": fps, **result.to_json()}
        _write_json_durable(tmp / "SHARD.json", doc)
        _fsync_dir(tmp)
        try:
            os.rename(tmp, final)  # the commit
        except OSError:
            if final.exists():  # another worker committed the same shard first: keep theirs
                shutil.rmtree(tmp, ignore_errors=True)
                return load_shard_result(final, skipped=True)
            raise
        _fsync_dir(final.parent)
        return result
    except BaseException:
        for enc in encoders.values():
            try:
                enc.close()
            except Exception:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_tables(tmp: Path, columns: dict[str, list[np.ndarray]], rows: list[dict[str, Any]]) -> None:
    arrays, names = [], []
    for name, parts in columns.items():
        data = np.concatenate(parts)
        if data.ndim == 2:
            flat = pa.array(data.reshape(-1), type=pa.float32())
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, data.shape[1]))
        else:
            arrays.append(pa.array(data))
        names.append(name)
    pq.write_table(pa.Table.from_arrays(arrays, names=names), tmp / "data.parquet")
    ep_table = pa.Table.from_pylist(rows, schema=pa.schema([
        ("seed", pa.int64()), ("category", pa.string()), ("object_id", pa.string()), ("instruction", pa.string()),
        ("success", pa.bool_()), ("grasp_pose", pa.list_(pa.float64(), 16)), ("params", pa.string()),
        ("source", pa.string()), ("error", pa.string()), ("kept", pa.bool_()), ("length", pa.int64()),
        ("video_from_frame", pa.int64()), ("timings", pa.string()), ("image_stats", pa.string())]))
    pq.write_table(ep_table, tmp / "episodes.parquet")


def _write_json_durable(path: Path, doc: dict[str, Any]) -> None:
    with open(path, "w") as f:
        json.dump(doc, f, sort_keys=True, indent=1)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_shard_result(path: Path, skipped: bool = False) -> ShardResult:
    try:
        doc = json.loads((path / "SHARD.json").read_text())
    except (OSError, ValueError) as e:
        raise CorruptShardError(f"{path / 'SHARD.json'}: missing or unreadable ({e}); delete {path} and re-run to regenerate it") from e
    doc.pop("format", None)
    doc.pop("cameras", None)
    doc.pop("fps", None)
    r = ShardResult.from_json(doc)
    r.skipped = skipped
    return r


def verify_shard(path: Path, checksums: bool = True) -> ShardResult:
    """Check that every file of a committed shard exists with its recorded size (and SHA-256).

    Raises :class:`CorruptShardError` naming the first bad file.
    """
    r = load_shard_result(path)
    for rel, info in r.files.items():
        p = path / rel
        if not p.is_file():
            raise CorruptShardError(f"{p}: missing from shard {r.shard}; delete {path} and re-run to regenerate it")
        size = p.stat().st_size
        if size != info["bytes"]:
            raise CorruptShardError(f"{p}: {size} bytes, manifest says {info['bytes']} (truncated or overwritten); "
                                    f"delete {path} and re-run to regenerate it")
        if checksums and sha256_file(p) != info["sha256"]:
            raise CorruptShardError(f"{p}: SHA-256 mismatch with the manifest (corrupt); delete {path} and re-run to regenerate it")
    return r


def committed_shards(root: Path) -> dict[int, Path]:
    """Shard id -> directory, for every committed shard under ``root/shards``."""
    d = Path(root) / "shards"
    out: dict[int, Path] = {}
    if d.is_dir():
        for p in d.iterdir():
            if p.is_dir() and p.name.startswith("shard-"):
                out[int(p.name[6:])] = p
    return dict(sorted(out.items()))


def clean_temporaries(root: Path) -> int:
    """Delete leftovers of killed workers (``shards/.tmp-*``); returns how many."""
    d = Path(root) / "shards"
    n = 0
    if d.is_dir():
        for p in d.iterdir():
            if p.name.startswith(".tmp-"):
                shutil.rmtree(p, ignore_errors=True)
                n += 1
    return n


def read_manifest(root: Path) -> dict[int, dict[str, Any]]:
    """Shard id -> manifest entry; a truncated or garbled line (a kill mid-append) is skipped."""
    path = Path(root) / "manifest.jsonl"
    out: dict[int, dict[str, Any]] = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        try:
            e = json.loads(line)
            out[int(e["shard"])] = e
        except (ValueError, KeyError, TypeError):
            continue
    return out


def append_manifest(root: Path, result: ShardResult) -> None:
    """Append one committed shard to ``manifest.jsonl`` (driver only; one writer)."""
    path = Path(root) / "manifest.jsonl"
    entry = {"shard": result.shard, "seeds": [min(result.seeds), max(result.seeds)] if result.seeds else [],
             "episodes": result.episodes, "kept": result.kept, "successes": result.successes,
             "frames": result.frames, "files": result.files}
    with open(path, "a+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":  # a previous append was cut: terminate the garbage line
                f.write(b"\n")
        f.write((json.dumps(entry, sort_keys=True) + "\n").encode())
        f.flush()
        os.fsync(f.fileno())
