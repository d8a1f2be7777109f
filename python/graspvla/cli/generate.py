"""``graspvla generate``: synthesise grasping episodes into a LeRobot v3 dataset (resumable)."""

from __future__ import annotations

import argparse
import json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="dataset directory (created; re-run the same command to resume)")
    p.add_argument("--episodes", type=int, default=100, help="number of episodes (seeds) to attempt")
    p.add_argument("--seed", type=int, default=0, help="first seed; episode i uses seed SEED+i")
    p.add_argument("--episodes-per-shard", type=int, default=10, help="episodes per shard (unit of work and of resumption)")
    p.add_argument("--source", default="syngrasp", choices=["syngrasp", "test-scripted"],
                   help="episode source: the real pipeline, or the fast scripted TEST source (not for training)")
    p.add_argument("--image-size", type=int, default=224, help="camera image width = height [pixels]")
    p.add_argument("--fps", type=int, default=10, help="recorded frame rate [Hz]")
    p.add_argument("--workers", type=int, default=0, help="local worker processes (0 = one per core)")
    p.add_argument("--ray-address", default=None,
                   help="run on Ray instead: 'local' (start one here), 'auto' or host:port / ray://host:port")
    p.add_argument("--keep-failures", action="store_true", help="also store unsuccessful episodes (split 'failure')")
    p.add_argument("--codec", default="h264", choices=["h264", "av1"], help="video codec")
    p.add_argument("--crf", type=int, default=23, help="video quality (lower = better, larger)")
    p.add_argument("--gop", type=int, default=2, help="keyframe interval [frames] (small = fast random access)")
    p.add_argument("--max-retries", type=int, default=1, help="retries of a shard whose worker crashed")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--source-options", default="{}", help="extra source options as JSON, e.g. '{\"frames\": 30}'")


def run(args: argparse.Namespace) -> int:
    from graspvla.data.generate import GenerateConfig, generate
    from graspvla.data.video import VideoConfig

    opts = {"image_size": args.image_size, "fps": args.fps} | json.loads(args.source_options)
    cfg = GenerateConfig(out=args.out, num_episodes=args.episodes, seed_start=args.seed,
                         episodes_per_shard=args.episodes_per_shard, source=args.source, source_options=opts,
                         workers=args.workers, ray_address=args.ray_address, keep_failures=args.keep_failures,
                         video=VideoConfig(codec=args.codec, crf=args.crf, gop=args.gop), max_retries=args.max_retries,
                         progress=not args.no_progress)
    summary = generate(cfg)
    print(summary.format())
    return 1 if summary.failed_shards else 0
