"""Generation throughput: episodes/hour and frames/s per CPU core, time per stage, vs the paper.

GraspVLA's SynGrasp-1B: ~1B frames in 10 days on 160 RTX 4090 GPUs = ~7.2 frames/s per GPU.
We run the real pipeline (``syngrasp`` source: scene, grasp, plan, execute, render, annotate,
encode, write) on local processes and report frames/s per core. If ``graspvla._core`` lacks a
stage the real source needs, the scripted TEST source is benchmarked instead and the table
says so (it measures only storage: encode + write).

    python benchmarks/bench_generate.py [--quick] [--episodes N] [--workers W] [--image-size 224]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

PAPER_FRAMES = 1e9
PAPER_GPU_SECONDS = 160 * 10 * 86400.0
PAPER_FPS_PER_GPU = PAPER_FRAMES / PAPER_GPU_SECONDS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a few episodes at 128 px")
    ap.add_argument("--episodes", type=int, default=0, help="episodes (default 8, quick 2 per worker)")
    ap.add_argument("--workers", type=int, default=0, help="processes (0 = one per core)")
    ap.add_argument("--image-size", type=int, default=0, help="render size [px] (default 224, quick 128)")
    ap.add_argument("--source", default="auto", choices=["auto", "syngrasp", "test-scripted"])
    args = ap.parse_args()

    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("LP_NUM_THREADS", "1")
    from graspvla.data import GenerateConfig, generate

    workers = args.workers or os.cpu_count() or 1
    size = args.image_size or (128 if args.quick else 224)
    n = args.episodes or (2 * workers if args.quick else 8 * workers)
    source = args.source
    note = ""
    if source == "auto":
        import graspvla._core as core

        source = "syngrasp" if hasattr(core, "trajectory") else "test-scripted"
        if source == "test-scripted":
            note = "graspvla._core lacks the trajectory domain: benchmarked the scripted TEST source (storage only)"
    out = tempfile.mkdtemp(prefix="bench_generate_")
    try:
        t0 = time.perf_counter()
        s = generate(GenerateConfig(out=out, num_episodes=n, episodes_per_shard=max(1, n // (2 * workers)),
                                    source=source, source_options={"image_size": size}, workers=workers,
                                    keep_failures=True, progress=False))
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(out, ignore_errors=True)

    frames = s.frames  # rendered + stored frames (failures kept for the count)
    fps_core = frames / wall / workers
    rate = s.successes / max(s.attempted, 1)
    print(f"# bench_generate: source={source}, {n} episodes, {workers} worker(s), {size}x{size} px, 2 cameras")
    if note:
        print(f"# NOTE: {note}")
    print(f"# success rate {100 * rate:.0f}%  ({s.successes}/{s.attempted}), errors {s.errors}, wall {wall:.1f} s")
    print()
    print("| metric | ours (per CPU core) | paper (per RTX 4090) | ratio |")
    print("|---|---|---|---|")
    print(f"| frames/s (all rendered episodes) | {fps_core:.2f} | {PAPER_FPS_PER_GPU:.2f} | {fps_core / PAPER_FPS_PER_GPU:.2f} |")
    print(f"| frames/s (successful episodes only) | {fps_core * rate:.2f} | {PAPER_FPS_PER_GPU:.2f} | {fps_core * rate / PAPER_FPS_PER_GPU:.2f} |")
    eph = s.attempted / wall / workers * 3600
    paper_eph = 10e6 / (PAPER_GPU_SECONDS / 3600)
    print(f"| episodes/hour attempted | {eph:.0f} | {paper_eph:.0f} (successful) | {eph / paper_eph:.2f} |")
    print()
    total = sum(s.stage_seconds.values()) or 1.0
    print("| stage | worker seconds | share | ms per frame |")
    print("|---|---|---|---|")
    for k in ("scene", "grasp", "plan", "execute", "render", "annotate", "encode", "write"):
        v = s.stage_seconds.get(k, 0.0)
        print(f"| {k} | {v:.2f} | {100 * v / total:.0f}% | {1e3 * v / max(frames, 1):.1f} |")


if __name__ == "__main__":
    main()
