"""Example 3: train the tiny GraspVLA preset on a generated dataset, then run it closed loop
in MuJoCo next to the scripted expert.

    python examples/03_train_and_evaluate.py [--data outputs/example_data] [--steps 200] [--quick]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from graspvla.data.generate import GenerateConfig, generate
from graspvla.eval.harness import BenchmarkConfig, RandomPolicy, run_benchmark
from graspvla.eval.sim_env import ScriptedTopDownExpert, SimGraspEnv
from graspvla.model import Collator, GraspVLA, GraspVLAPolicy, preset, save_pretrained
from graspvla.train import TrainConfig, Trainer
from graspvla.train.vla_data import EpisodeFrames, fit_normalizer


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="outputs/example_data", help="dataset (generated here if missing)")
    ap.add_argument("--out", default="outputs/example_train", help="training output")
    ap.add_argument("--steps", type=int, default=200, help="training steps")
    ap.add_argument("--quick", action="store_true", help="5 steps, 1 trial per policy")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if not (Path(args.data) / "meta" / "info.json").is_file():
        generate(GenerateConfig(out=args.data, num_episodes=2, episodes_per_shard=1, progress=False))
    frames = EpisodeFrames(args.data)
    normalizer = fit_normalizer(frames)
    model = GraspVLA(preset("tiny"))
    cfg = TrainConfig(output_dir=args.out, max_steps=5 if args.quick else args.steps, global_batch_size=8, lr=3e-4,
                      warmup_steps=2, progress=not args.quick)
    result = Trainer(model, cfg, frames, collate_fn=Collator(model.config, normalizer)).train()
    print(f"trained {result.steps} steps, loss {result.losses[0]:.3f} -> {result.final_loss:.3f}")
    save_pretrained(model, normalizer, Path(args.out) / "model")
    policies = [GraspVLAPolicy(model, normalizer), ScriptedTopDownExpert(), RandomPolicy(0)]
    bench = BenchmarkConfig(conditions=("basic",), synthetic_categories=("can",), web_categories=("toy car",),
                            trials_per_category=1, max_steps=6 if args.quick else 25)
    records = run_benchmark(SimGraspEnv, policies, bench, Path(args.out) / "eval", progress=not args.quick)
    for r in records:
        print(f"{r.policy:9s} {r.group:9s} {r.category:8s} {'success' if r.success else 'fail'} (lift {r.max_lift:.3f} m)")


if __name__ == "__main__":
    main()
