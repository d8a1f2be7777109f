"""Merge committed shards into one LeRobotDataset v3.0 (pyarrow + PyAV only, no lerobot).

Layout written under the dataset root::

    meta/info.json  meta/stats.json  meta/tasks.parquet
    meta/episodes/chunk-000/file-000.parquet
    data/chunk-CCC/file-FFF.parquet               one file per non-empty shard
    videos/<video_key>/chunk-CCC/file-FFF.mp4      hard links to the shard videos (no re-encode)
    meta/checksums.json                            graspvla extension: size + SHA-256 per file
    meta/graspvla_summary.json                     graspvla extension: attempts, failures, per category

Only kept episodes (successful ones, unless failures were kept) enter the index; successful
episodes come first and form the ``train`` split, kept failures the ``failure`` split.
Finalising is deterministic (same shards -> byte-identical files) and idempotent: it builds
everything in ``.finalize-tmp`` and swaps it in, deleting ``meta/info.json`` first, so an
interrupted finalise leaves no ``info.json`` and is simply re-run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from graspvla.data.features import CODEBASE_VERSION, image_key, lerobot_features, numeric_features
from graspvla.data.shards import committed_shards, sha256_file, verify_shard
from graspvla.data.video import CODECS, VideoConfig
from graspvla.errors import CorruptShardError

__all__ = ["finalize", "write_tasks_parquet", "numeric_stats", "aggregate_stats"]

CHUNKS_SIZE = 1000
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}


def numeric_stats(x: np.ndarray) -> dict[str, list[Any]]:
    """LeRobot stats of (N, D) or (N,) values: min, max, mean, std, count, q01..q99."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    q = np.quantile(a, list(QUANTILES.values()), axis=0)
    out: dict[str, list[Any]] = {"min": a.min(0).tolist(), "max": a.max(0).tolist(), "mean": a.mean(0).tolist(),
                                 "std": a.std(0).tolist(), "count": [int(len(a))]}
    for k, row in zip(QUANTILES, q):
        out[k] = row.tolist()
    return out


def aggregate_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine per-episode stats (count-weighted mean/std exact; quantiles count-weighted averages)."""
    counts = np.array([p["count"][0] for p in parts], dtype=np.float64)
    w = counts / counts.sum()
    means = np.array([p["mean"] for p in parts], dtype=np.float64)
    stds = np.array([p["std"] for p in parts], dtype=np.float64)
    wb = w.reshape((-1,) + (1,) * (means.ndim - 1))
    mean = (wb * means).sum(0)
    var = (wb * (stds**2 + (means - mean) ** 2)).sum(0)
    out = {"min": np.min([p["min"] for p in parts], axis=0).tolist(), "max": np.max([p["max"] for p in parts], axis=0).tolist(),
           "mean": mean.tolist(), "std": np.sqrt(var).tolist(), "count": [int(counts.sum())]}
    for k in QUANTILES:
        out[k] = (wb * np.array([p[k] for p in parts], dtype=np.float64)).sum(0).tolist()
    return out


def write_tasks_parquet(path: Path, tasks: list[str]) -> None:
    """``meta/tasks.parquet`` as pandas writes it: index = task string, column ``task_index``."""
    table = pa.table({"task_index": pa.array(range(len(tasks)), type=pa.int64()),
                      "__index_level_0__": pa.array(tasks, type=pa.string())})
    pandas_meta = {
        "index_columns": ["__index_level_0__"],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
                            "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64", "metadata": None},
            {"name": None, "field_name": "__index_level_0__", "pandas_type": "unicode", "numpy_type": "object", "metadata": None},
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.3.3",
    }
    table = table.replace_schema_metadata({b"pandas": json.dumps(pandas_meta).encode()})
    pq.write_table(table, path)


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def finalize(root: str | os.PathLike[str], *, fps: int | None = None, video: VideoConfig | None = None, robot_type: str = "fr3",
             verify_checksums: bool = True, include_failures: bool = True) -> dict[str, Any]:
    """Merge every committed shard under ``root/shards`` into the LeRobot v3 dataset at ``root``.

    Raises :class:`CorruptShardError` naming the file if a shard does not match its manifest.
    Returns the summary written to ``meta/graspvla_summary.json``.
    """
    root = Path(root)
    video = video or VideoConfig()
    shards = committed_shards(root)
    results = {k: verify_shard(p, checksums=verify_checksums) for k, p in shards.items()}
    tmp = root / ".finalize-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "meta").mkdir(parents=True)

    # Episodes in global order: successes first (train split), then kept failures.
    entries: list[tuple[int, dict[str, Any]]] = []
    cameras: list[str] | None = None
    shapes: tuple[int, int] | None = None
    attempted = 0
    per_cat: dict[str, list[int]] = {}
    for k, p in shards.items():
        doc = json.loads((p / "SHARD.json").read_text())
        rows = pq.read_table(p / "episodes.parquet").to_pylist()
        attempted += len(rows)
        for i, row in enumerate(rows):
            c = per_cat.setdefault(row["category"] or "<error>", [0, 0])
            c[0] += 1
            c[1] += int(row["success"])
            if row["kept"]:
                row["_local"] = i
                entries.append((k, row))
        if doc.get("fps") and fps is None:
            fps = int(round(doc["fps"]))
        if doc.get("cameras"):
            if cameras is None:
                cameras = list(doc["cameras"])
            elif cameras != doc["cameras"]:
                raise CorruptShardError(f"{p / 'SHARD.json'}: cameras {doc['cameras']} differ from other shards' {cameras}")
    fps = int(fps or 10)
    ordered = [e for e in entries if e[1]["success"]] + ([e for e in entries if not e[1]["success"]] if include_failures else [])
    n_train = sum(1 for e in ordered if e[1]["success"])

    tasks: list[str] = []
    task_of: dict[str, int] = {}
    for _, row in ordered:
        if row["instruction"] not in task_of:
            task_of[row["instruction"]] = len(tasks)
            tasks.append(row["instruction"])

    # One video file per camera per shard with kept episodes; one data file per (split, shard)
    # so that rows in path order follow the global frame index.
    shard_ids = sorted({k for k, _ in ordered})
    video_of = {k: divmod(i, CHUNKS_SIZE) for i, k in enumerate(shard_ids)}
    data_groups: list[tuple[bool, int]] = []
    for k, row in ordered:
        g = (not row["success"], k)
        if g not in data_groups:
            data_groups.append(g)
    data_of = {g: divmod(i, CHUNKS_SIZE) for i, g in enumerate(data_groups)}
    shard_tables = {k: pq.read_table(shards[k] / "data.parquet") for k in shard_ids}
    if cameras is None:
        cameras = []
    if shard_ids and cameras:
        import av

        with av.open(str(shards[shard_ids[0]] / "videos" / f"{cameras[0]}.mp4")) as c:
            s = c.streams.video[0]
            shapes = (s.codec_context.height, s.codec_context.width)

    numeric_names = [name for name, _ in numeric_features(cameras).values()]
    global_index = 0
    ep_rows: list[dict[str, Any]] = []
    out_tables: dict[tuple[bool, int], list[pa.Table]] = {g: [] for g in data_groups}
    all_numeric: dict[str, list[np.ndarray]] = {n: [] for n in numeric_names + ["timestamp", "frame_index", "episode_index", "index", "task_index"]}
    img_parts: dict[str, list[dict[str, Any]]] = {c: [] for c in cameras}
    for ep_index, (k, row) in enumerate(ordered):
        t = shard_tables[k]
        sel = np.flatnonzero(t.column("shard_episode").to_numpy() == row["_local"])
        part = t.take(pa.array(sel)).drop_columns(["shard_episode"])
        L = part.num_rows
        if L != row["length"]:
            raise CorruptShardError(f"{shards[k] / 'data.parquet'}: episode of seed {row['seed']} has {L} rows, episodes.parquet says {row['length']}")
        ti = task_of[row["instruction"]]
        part = part.append_column("episode_index", pa.array(np.full(L, ep_index, dtype=np.int64)))
        part = part.append_column("index", pa.array(np.arange(global_index, global_index + L, dtype=np.int64)))
        part = part.append_column("task_index", pa.array(np.full(L, ti, dtype=np.int64)))
        order = numeric_names + ["timestamp", "frame_index", "episode_index", "index", "task_index"]
        part = part.select(order)
        out_tables[(not row["success"], k)].append(part)
        chunk, fidx = data_of[(not row["success"], k)]
        vchunk, vfidx = video_of[k]
        stats: dict[str, Any] = {}
        for name in order:
            col = part.column(name)
            arr = (np.asarray(col.combine_chunks().flatten().to_numpy()).reshape(L, -1)
                   if pa.types.is_fixed_size_list(col.type) else col.to_numpy())
            all_numeric[name].append(arr)
            stats[name] = numeric_stats(arr)
        istats = json.loads(row["image_stats"])
        for cam in cameras:
            stats[image_key(cam)] = istats[cam]
            img_parts[cam].append(istats[cam])
        er: dict[str, Any] = {
            "episode_index": ep_index, "tasks": [row["instruction"]], "length": L,
            "data/chunk_index": chunk, "data/file_index": fidx,
            "dataset_from_index": global_index, "dataset_to_index": global_index + L,
        }
        for cam in cameras:
            key = image_key(cam)
            er[f"videos/{key}/chunk_index"] = vchunk
            er[f"videos/{key}/file_index"] = vfidx
            er[f"videos/{key}/from_timestamp"] = row["video_from_frame"] / fps
            er[f"videos/{key}/to_timestamp"] = (row["video_from_frame"] + L) / fps
        er["meta/episodes/chunk_index"] = 0
        er["meta/episodes/file_index"] = 0
        for feat, st in stats.items():
            for sname, v in st.items():
                er[f"stats/{feat}/{sname}"] = v
        er.update({"graspvla/seed": row["seed"], "graspvla/success": row["success"], "graspvla/category": row["category"],
                   "graspvla/object_id": row["object_id"], "graspvla/grasp_pose": row["grasp_pose"],
                   "graspvla/params": row["params"], "graspvla/source": row["source"], "graspvla/shard": k})
        ep_rows.append(er)
        global_index += L

    for g in data_groups:
        chunk, fidx = data_of[g]
        path = tmp / DATA_PATH.format(chunk_index=chunk, file_index=fidx)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.concat_tables(out_tables[g]), path)
    for k in shard_ids:
        chunk, fidx = video_of[k]
        for cam in cameras:
            _link_or_copy(shards[k] / "videos" / f"{cam}.mp4",
                          tmp / VIDEO_PATH.format(video_key=image_key(cam), chunk_index=chunk, file_index=fidx))
    ep_path = tmp / "meta" / "episodes" / "chunk-000" / "file-000.parquet"
    ep_path.parent.mkdir(parents=True, exist_ok=True)
    if ep_rows:
        pq.write_table(pa.Table.from_pylist(ep_rows), ep_path)
    write_tasks_parquet(tmp / "meta" / "tasks.parquet", tasks)

    stats_all: dict[str, Any] = {}
    for name, parts in all_numeric.items():
        if parts:
            stats_all[name] = numeric_stats(np.concatenate(parts))
    for cam, parts in img_parts.items():
        if parts:
            stats_all[image_key(cam)] = aggregate_stats(parts)
    (tmp / "meta" / "stats.json").write_text(json.dumps(stats_all, indent=1))

    H, W = shapes or (0, 0)
    info = {
        "codebase_version": CODEBASE_VERSION, "robot_type": robot_type,
        "total_episodes": len(ordered), "total_frames": global_index, "total_tasks": len(tasks),
        "chunks_size": CHUNKS_SIZE, "data_files_size_in_mb": 100, "video_files_size_in_mb": 200,
        "fps": fps, "splits": {"train": f"0:{n_train}"} | ({"failure": f"{n_train}:{len(ordered)}"} if len(ordered) > n_train else {}),
        "data_path": DATA_PATH, "video_path": VIDEO_PATH,
        "features": lerobot_features(cameras, H, W, fps, CODECS[video.codec][1], video.pix_fmt, video.gop, video.crf),
    }
    summary = {
        "attempted_episodes": attempted, "dataset_episodes": len(ordered), "train_episodes": n_train,
        "failed_episodes": attempted - sum(c[1] for c in per_cat.values()),
        "errors": sum(r.errors for r in results.values()), "frames": global_index,
        "per_category": {c: {"attempted": v[0], "succeeded": v[1]} for c, v in sorted(per_cat.items())},
        "shards": len(shards),
    }
    (tmp / "meta" / "graspvla_summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
    checks = {}
    for p in sorted(tmp.rglob("*")):
        if p.is_file():
            checks[p.relative_to(tmp).as_posix()] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    (tmp / "meta" / "checksums.json").write_text(json.dumps(checks, indent=1, sort_keys=True))
    (tmp / "meta" / "info.json.pending").write_text(json.dumps(info, indent=4))

    # Swap in: info.json goes last, so its presence means "finalised and complete".
    (root / "meta" / "info.json").unlink(missing_ok=True)
    for sub in ("data", "videos", "meta"):
        shutil.rmtree(root / sub, ignore_errors=True)
        os.rename(tmp / sub, root / sub) if (tmp / sub).exists() else None
    os.rename(root / "meta" / "info.json.pending", root / "meta" / "info.json")
    shutil.rmtree(tmp, ignore_errors=True)
    return summary
