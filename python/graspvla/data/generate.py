"""``generate(config)``: run an episode source over seeds in parallel and build the dataset.

Seeds ``seed_start .. seed_start + num_episodes - 1`` are cut into shards of
``episodes_per_shard`` consecutive seeds; one task = one shard = whole episodes, written by
the worker that ran them (:func:`graspvla.data.shards.write_shard`), with only metadata sent
back. Tasks run on local processes (one per core by default) or, with ``ray_address``, on a
Ray cluster. Already-committed shards are skipped, so re-running the same command after a
kill finishes the job without duplicates; a crashed worker loses only its in-flight shards,
which are retried (``max_retries``) and reported if they keep failing. At the end the
shards are merged into one LeRobot v3 dataset (:func:`graspvla.data.lerobot.finalize`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from graspvla.data.lerobot import finalize
from graspvla.data.shards import (ShardResult, ShardSpec, append_manifest, clean_temporaries, committed_shards,
                                  load_shard_result, read_manifest, shard_dir, write_shard)
from graspvla.data.sources import make_source
from graspvla.data.video import VideoConfig
from graspvla.errors import InvalidInputError

__all__ = ["GenerateConfig", "GenerateSummary", "generate", "STAGES"]

STAGES = ["scene", "grasp", "plan", "execute", "render", "annotate", "encode", "write"]


@dataclass
class GenerateConfig:
    """What to generate and how.

    out: dataset directory (LeRobot v3 root; shards live in ``out/shards``).
    num_episodes: episodes to attempt (seeds ``seed_start ..``).
    source / source_options: the episode source (``"syngrasp"`` = the real pipeline,
        ``"test-scripted"`` = the fast test source) and its keyword options.
    workers: local processes (default: one per core); ignored with ``ray_address``.
    ray_address: ``None`` = local processes; ``"local"`` = start a local Ray; ``"auto"`` or
        ``"host:port"`` / ``"ray://..."`` = connect. An already-initialised Ray is reused.
    keep_failures: also store unsuccessful episodes (in the ``failure`` split).
    """

    out: str
    num_episodes: int = 100
    seed_start: int = 0
    episodes_per_shard: int = 10
    source: str = "syngrasp"
    source_options: dict[str, Any] = field(default_factory=dict)
    workers: int = 0
    ray_address: str | None = None
    keep_failures: bool = False
    video: VideoConfig = field(default_factory=VideoConfig)
    max_retries: int = 1
    progress: bool = True
    do_finalize: bool = True
    verify_checksums: bool = True

    def validate(self) -> None:
        if self.num_episodes < 0:
            raise InvalidInputError(f"num_episodes: must be >= 0, got {self.num_episodes}")
        if self.episodes_per_shard < 1:
            raise InvalidInputError(f"episodes_per_shard: must be >= 1, got {self.episodes_per_shard}")
        if self.workers < 0:
            raise InvalidInputError(f"workers: must be >= 0 (0 = one per core), got {self.workers}")

    def job_key(self) -> dict[str, Any]:
        """The fields that define the content; a resumed run must match them."""
        return {"seed_start": self.seed_start, "episodes_per_shard": self.episodes_per_shard, "source": self.source,
                "source_options": self.source_options, "keep_failures": self.keep_failures, "video": asdict(self.video)}


@dataclass
class GenerateSummary:
    """End-of-run report. ``stage_seconds`` sums worker time per stage over the episodes run now."""

    attempted: int
    successes: int
    failures: int
    errors: int
    frames: int
    shards_written: int
    shards_skipped: int
    failed_shards: dict[int, str]
    per_category: dict[str, dict[str, int]]
    stage_seconds: dict[str, float]
    wall_seconds: float
    dataset: dict[str, Any]

    def format(self) -> str:
        lines = [f"episodes attempted {self.attempted}  success {self.successes}  failed {self.failures}  "
                 f"errors {self.errors}  frames written {self.frames}",
                 f"shards written {self.shards_written}  skipped (already done) {self.shards_skipped}  "
                 f"failed {len(self.failed_shards)}  wall {self.wall_seconds:.1f} s"]
        if self.attempted:
            lines.append(f"throughput {self.attempted / max(self.wall_seconds, 1e-9):.2f} episodes/s, "
                         f"{self.frames / max(self.wall_seconds, 1e-9):.1f} frames/s")
        for cat, v in sorted(self.per_category.items()):
            rate = v["succeeded"] / v["attempted"] if v["attempted"] else 0.0
            lines.append(f"  {cat:<20s} {v['succeeded']:>6d}/{v['attempted']:<6d} {100 * rate:5.1f}%")
        total = sum(self.stage_seconds.values()) or 1.0
        lines.append("time per stage (worker seconds): " + ", ".join(
            f"{k} {v:.2f}s ({100 * v / total:.0f}%)" for k, v in self.stage_seconds.items()))
        for k, e in self.failed_shards.items():
            lines.append(f"  shard {k} FAILED: {e}")
        return "\n".join(lines)


def _exit_with_parent(parent: int, period: float = 0.5) -> None:
    """Worker initialiser: end this worker when the driver is gone.

    A driver killed by SIGTERM or SIGKILL runs no cleanup, and a spawned worker is re-parented
    and would finish its whole shard for nobody. A daemon thread polls the parent pid and exits
    the worker at once; the unfinished shard is redone on resume (shards are atomic).
    """
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(period)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _run_task(spec: ShardSpec, source_name: str, source_options: dict[str, Any]) -> ShardResult:
    os.environ.setdefault("LP_NUM_THREADS", "1")
    source = make_source(source_name, **source_options)
    return write_shard(spec, source)


class _Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.ok = total, 0, 0
        self.t0 = time.perf_counter()
        self.bar = None
        if enabled and total:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="ep", desc="generate", file=sys.stderr, dynamic_ncols=True)
            except ImportError:
                self.bar = None

    def update(self, r: ShardResult) -> None:
        self.done += r.episodes
        self.ok += r.successes
        if self.bar is not None:
            self.bar.update(r.episodes)
            self.bar.set_postfix(success=f"{100 * self.ok / max(self.done, 1):.0f}%")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _job_file(root: Path, cfg: GenerateConfig) -> None:
    path = root / "job.json"
    key = cfg.job_key()
    if path.exists():
        old = json.loads(path.read_text())
        if old != json.loads(json.dumps(key)):
            raise InvalidInputError(f"out: {root} holds a run with different settings ({path}: {old} vs {key}); "
                                    "use another directory or the same settings to resume")
    else:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(key, sort_keys=True))
        os.replace(tmp, path)


def _specs(cfg: GenerateConfig) -> list[ShardSpec]:
    n, S = cfg.num_episodes, cfg.episodes_per_shard
    out = []
    for k in range((n + S - 1) // S):
        seeds = tuple(range(cfg.seed_start + k * S, cfg.seed_start + min((k + 1) * S, n)))
        out.append(ShardSpec(root=str(Path(cfg.out).resolve()), shard=k, seeds=seeds, keep_failures=cfg.keep_failures, video=cfg.video))
    return out


def _run_local(cfg: GenerateConfig, specs: list[ShardSpec], on_done: Any) -> dict[int, str]:
    """One single-process pool per worker slot, so a dying process breaks only its own shard."""
    import multiprocessing as mp

    workers = min(cfg.workers or os.cpu_count() or 1, len(specs))
    ctx = mp.get_context("spawn")
    attempts = {s.shard: 0 for s in specs}
    pending = list(specs)
    failed: dict[int, str] = {}
    pools: list[ProcessPoolExecutor | None] = [None] * workers
    running: dict[Future[ShardResult], tuple[int, ShardSpec]] = {}
    try:
        while pending or running:
            busy = {slot for slot, _ in running.values()}
            for slot in range(workers):
                if slot in busy or not pending:
                    continue
                if pools[slot] is None:
                    pools[slot] = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_exit_with_parent,
                                                      initargs=(os.getpid(),))
                spec = pending.pop(0)
                fut = pools[slot].submit(_run_task, spec, cfg.source, cfg.source_options)  # type: ignore[union-attr]
                running[fut] = (slot, spec)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in done:
                slot, spec = running.pop(f)
                try:
                    on_done(f.result())
                except BrokenProcessPool:
                    pools[slot].shutdown(wait=False, cancel_futures=True)  # type: ignore[union-attr]
                    pools[slot] = None
                    print(f"[generate] worker process died on shard {spec.shard} (seeds {spec.seeds[0]}..{spec.seeds[-1]})",
                          file=sys.stderr)
                    _retry_or_fail(spec, attempts, cfg.max_retries, "worker process died", pending, failed)
                except Exception as e:
                    _retry_or_fail(spec, attempts, cfg.max_retries, f"{type(e).__name__}: {e}", pending, failed)
    finally:
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
    return failed


def _retry_or_fail(spec: ShardSpec, attempts: dict[int, int], max_retries: int, err: str,
                   pending: list[ShardSpec], failed: dict[int, str]) -> None:
    attempts[spec.shard] += 1
    if attempts[spec.shard] <= max_retries:
        pending.append(spec)
    else:
        failed[spec.shard] = f"seeds {spec.seeds[0]}..{spec.seeds[-1]}: {err}"


def _run_ray(cfg: GenerateConfig, specs: list[ShardSpec], on_done: Any) -> dict[int, str]:
    import ray

    if not ray.is_initialized():
        if cfg.ray_address == "local":
            ray.init(num_cpus=cfg.workers or os.cpu_count(), include_dashboard=False, _node_ip_address="127.0.0.1",
                     log_to_driver=False)
        else:
            ray.init(address=cfg.ray_address, log_to_driver=False)
    task = ray.remote(num_cpus=1, max_retries=cfg.max_retries)(_run_task)
    refs = {task.remote(s, cfg.source, cfg.source_options): s for s in specs}
    failed: dict[int, str] = {}
    while refs:
        done, _ = ray.wait(list(refs), num_returns=1)
        for ref in done:
            spec = refs.pop(ref)
            try:
                on_done(ray.get(ref))
            except Exception as e:  # ray.exceptions.RayTaskError / WorkerCrashedError after retries
                failed[spec.shard] = f"seeds {spec.seeds[0]}..{spec.seeds[-1]}: {type(e).__name__}: {str(e).splitlines()[0]}"
    return failed


def generate(config: GenerateConfig) -> GenerateSummary:
    """Generate (or finish generating) the dataset described by ``config``; see the module doc."""
    config.validate()
    t0 = time.perf_counter()
    root = Path(config.out).resolve()
    (root / "shards").mkdir(parents=True, exist_ok=True)
    _job_file(root, config)
    clean_temporaries(root)
    specs = _specs(config)
    done_dirs = committed_shards(root)
    manifest = read_manifest(root)
    skipped: list[ShardResult] = []
    for k, p in done_dirs.items():  # reconcile: committed shards missing from the manifest
        r = load_shard_result(p, skipped=True)
        if k not in manifest:
            append_manifest(root, r)
        skipped.append(r)
    todo = [s for s in specs if s.shard not in done_dirs]
    results: list[ShardResult] = []
    progress = _Progress(sum(len(s.seeds) for s in todo), config.progress)

    def on_done(r: ShardResult) -> None:
        if not r.skipped:
            append_manifest(root, r)
        results.append(r)
        progress.update(r)

    try:
        if todo:
            failed = (_run_ray if config.ray_address else _run_local)(config, todo, on_done)
        else:
            failed = {}
    finally:
        progress.close()

    new = [r for r in results if not r.skipped]
    stage: dict[str, float] = {}
    for r in new:
        for k, v in r.timings.items():
            stage[k] = stage.get(k, 0.0) + v
    stage = {k: stage[k] for k in STAGES if k in stage} | {k: v for k, v in stage.items() if k not in STAGES}
    per_cat: dict[str, dict[str, int]] = {}
    for r in new:
        for c, (a, s) in r.per_category.items():
            d = per_cat.setdefault(c, {"attempted": 0, "succeeded": 0})
            d["attempted"] += a
            d["succeeded"] += s
    dataset: dict[str, Any] = {}
    if config.do_finalize:
        dataset = finalize(root, video=config.video, verify_checksums=config.verify_checksums,
                           include_failures=config.keep_failures)
    return GenerateSummary(
        attempted=sum(r.episodes for r in new), successes=sum(r.successes for r in new),
        failures=sum(r.episodes - r.successes for r in new), errors=sum(r.errors for r in new),
        frames=sum(r.frames for r in new), shards_written=len(new),
        shards_skipped=len(skipped) + sum(1 for r in results if r.skipped), failed_shards=failed,
        per_category=per_cat, stage_seconds=stage, wall_seconds=time.perf_counter() - t0, dataset=dataset)


def shard_paths(root: str | os.PathLike[str]) -> Iterable[Path]:
    """Committed shard directories of a run (for tools and tests)."""
    return committed_shards(Path(root)).values()


_ = shard_dir  # re-exported helper used by tests
