"""Example 6: few-shot post-training for a grasp preference (the paper's Table 4, task T2 at our scale).

"Grasp the mug by its handle, never the body or the inside": the data pipeline synthesises
grasps, keeps only those with both finger contacts on the handle (``grasp_filter="mug_handle"``,
:mod:`graspvla.grasp.filters`) and records a handful of demonstrations in mug-only scenes; the base
model is fine-tuned on them with LoRA (``graspvla finetune``); base and fine-tuned models then run
closed loop on held-out mug scenes, where the environment checks at lift time whether the fingers
hold the mug by the handle (:mod:`graspvla.eval.preference`). The table gives the preference
success (lifted AND by the handle) and the grasp success (lifted) with 95% Wilson intervals.

For a base model with an instruction-queried keypoint (the shipped ``tiny-ground`` weights) the
fine-tuning also trains that keypoint on the projection of the handle grasp into each view
(``--target-point --train-vision``, with the base recipe's crops and ``--pag-min-distance``; the
demonstrations record their cameras' calibration), and
both models are evaluated a second time with calibrated cameras, which triangulate the keypoint.
The grasp tokens are fine-tuned on Gaussian targets over neighbouring bins (``--bin-sigma 3``).
Measured with the defaults (model card, "Session 10"): calibrated, the fine-tuned model's first
grasp is a median 1.6 cm from the handle (zero-shot 3.5 cm) and it lifts 4 of 20 mugs by the
handle (zero-shot 0 of 20); its grasp yaw is still near chance, which is what fails the rest.

    python examples/06_preference_finetune.py --base checkpoints/graspvla-tiny \\
        [--demos 900] [--steps 3000] [--bin-sigma 3] [--trials 20] [--out outputs/example_preference] [--quick]

Without ``--base`` the shipped ``checkpoints/graspvla-tiny`` is used; ``--quick`` (seconds, for
the tests) trains a throw-away tiny base for a few steps when there is none.
"""

from __future__ import annotations

import argparse
import json
import shlex
import time
from dataclasses import asdict
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
MUG_SCENES = {"categories": ["mug"], "n_objects": [1, 1], "lying_prob": 0.0}
REGION = "mug_handle"


def generate_demos(out: Path, episodes: int, image_size: int, seed: int, max_tilt: float) -> dict:
    """Handle-only demonstrations of ``pick up the mug`` (failed seeds are skipped), the grasp's
    approach within ``max_tilt`` [rad] of straight down."""
    from graspvla.data.generate import GenerateConfig, generate

    opts = {"image_size": image_size, "grasp_filter": REGION, "grasp_max_tilt": max_tilt, "scene_options": MUG_SCENES}
    s = generate(GenerateConfig(out=str(out), num_episodes=episodes, seed_start=seed, episodes_per_shard=20,
                                source="syngrasp", source_options=opts, workers=0, progress=False))
    return {"attempted": s.attempted, "successes": s.successes, "frames": s.frames, "seconds": round(s.wall_seconds, 1),
            "grasp_max_tilt": max_tilt}


def train_scratch_base(data: Path, out: Path, steps: int) -> Path:
    """A throw-away tiny base (only when no trained model exists; --quick)."""
    from graspvla.model import Collator, GraspVLA, preset, save_pretrained
    from graspvla.train import TrainConfig, Trainer
    from graspvla.train.vla_data import EpisodeFrames, fit_normalizer

    frames = EpisodeFrames(str(data))
    normalizer = fit_normalizer(frames)
    model = GraspVLA(preset("tiny"))
    cfg = TrainConfig(output_dir=str(out), max_steps=steps, global_batch_size=4, lr=3e-4, warmup_steps=1, progress=False)
    Trainer(model, cfg, frames, collate_fn=Collator(model.config, normalizer)).train()
    return save_pretrained(model, normalizer, out / "model", extra={"note": "scratch base for the quick example"})


def evaluate(policies: list, trials: int, max_steps: int, seed: int, executor: str) -> list:
    from graspvla.eval import CONDITIONS
    from graspvla.eval.harness import run_trial
    from graspvla.eval.sim_env import SimEnvConfig, SimGraspEnv

    env = SimGraspEnv(SimEnvConfig(n_objects=(1, 1), categories_pool=(), grasp_region=REGION, executor=executor,
                                   scene_overrides={"lying_prob": 0.0}))
    records = []
    for policy in policies:
        for k in range(trials):
            rec, _ = run_trial(env, policy, seed + k, CONDITIONS["basic"], "mug", "synthetic", max_steps, 0.10)
            records.append(rec)
            print(f"[eval] {policy.name:28s} seed {seed + k}: {'lifted' if rec.success else 'no lift'}"
                  f"{' by the handle' if rec.preference_success else ''} (max lift {rec.max_lift:.3f} m, "
                  f"{rec.steps} steps, {rec.wall_time:.1f} s)", flush=True)
    return records


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default=None, help="trained model directory (default: checkpoints/graspvla-tiny)")
    ap.add_argument("--out", default="outputs/example_preference", help="output directory")
    ap.add_argument("--demos", type=int, default=900,
                    help="demonstration seeds to attempt (about 38 %% succeed at --demo-max-tilt 0.4: ~340 demos; the "
                         "paper's T2 used 100, with which our tiny model learnt less: see the model card)")
    ap.add_argument("--demo-max-tilt", type=float, default=0.4,
                    help="largest angle [rad] between a demonstration's approach and straight down: near-vertical "
                         "pinches of the handle, the kind of grasp the base model makes (1.5 admits the tilted "
                         "handle grasps, which 90 demos did not teach)")
    ap.add_argument("--steps", type=int, default=3000, help="fine-tuning steps")
    ap.add_argument("--lora-rank", type=int, default=8, help="LoRA rank (0 = full fine-tuning)")
    ap.add_argument("--lr", type=float, default=3e-4, help="fine-tuning learning rate")
    ap.add_argument("--batch", type=int, default=8, help="fine-tuning batch size")
    ap.add_argument("--trials", type=int, default=20, help="evaluation trials per model (held-out mug scenes)")
    ap.add_argument("--max-steps", type=int, default=25, help="policy queries per trial")
    ap.add_argument("--executor", default="direct", choices=("direct", "control_loop"), help="action executor")
    ap.add_argument("--expert", action="store_true", help="also evaluate the scripted top-down expert (reference)")
    ap.add_argument("--no-target-point", action="store_true",
                    help="keep the queried keypoint on the mug's box (no --target-point fine-tuning, no calibrated rows)")
    ap.add_argument("--orientation-prior", type=float, default=0.0,
                    help="orientation prior of the calibrated rows (graspvla.eval.model_policy); 0 by default: a "
                         "handle grasp is tilted, the prior pulls toward the hand's current orientation")
    ap.add_argument("--bin-sigma", type=float, default=3.0,
                    help="Gaussian grasp-token targets over neighbouring bins (`graspvla finetune --bin-sigma`; 0 = "
                         "one-hot): with one-hot targets the fine-tuned yaw stayed at chance")
    ap.add_argument("--finetune-args", default="",
                    help="further `graspvla finetune` arguments, e.g. \"--workers 2\"")
    ap.add_argument("--quick", action="store_true", help="2 demos, 2 steps, 1 short trial per model (< 60 s)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t_start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.quick:
        args.demos, args.steps, args.trials, args.max_steps, args.batch = 2, 2, 1, 2, 4

    from graspvla.model import GraspVLAConfig

    base = Path(args.base) if args.base else ROOT / "checkpoints" / "graspvla-tiny"
    base_config = GraspVLAConfig.load(base / "config.json") if (base / "config.json").is_file() else None
    if base_config is None and not args.quick:
        raise SystemExit(f"no trained model at {base}: pass --base (a graspvla model directory) or use --quick")
    image_size = 64 if args.quick or base_config is None else int(base_config.image_size)

    # 1. constrained demonstrations: synthesised grasps with both contacts on the handle
    demos_dir = out / "demos"
    if not (demos_dir / "meta" / "info.json").is_file():
        demo_stats = generate_demos(demos_dir, args.demos, image_size, seed=0, max_tilt=args.demo_max_tilt)
    else:
        demo_stats = json.loads((out / "demos.json").read_text()) if (out / "demos.json").is_file() else {}
    (out / "demos.json").write_text(json.dumps(demo_stats))
    print(f"[demos] {demo_stats}")
    if base_config is None:  # --quick without a trained model
        base = train_scratch_base(demos_dir, out / "scratch_base", steps=2)
        base_config = GraspVLAConfig.load(base / "config.json")

    # 2. few-shot post-training through the CLI (LoRA on the LM's and the expert's projections)
    from graspvla.cli.main import main as cli

    import shutil

    shutil.rmtree(out / "finetune", ignore_errors=True)  # the trainer would resume a previous run's checkpoint
    t0 = time.perf_counter()
    # a model with a queried keypoint also learns where on the mug to grasp: its keypoint is
    # trained on the handle grasp's projection (full vision towers, LoRA elsewhere), which
    # calibrated cameras triangulate
    point = base_config.has_target_keypoint and not args.no_target_point
    rc = cli(["finetune", "--init", str(base), "--data", str(demos_dir), "--out", str(out / "finetune"),
              "--steps", str(args.steps), "--batch", str(args.batch), "--lr", str(args.lr),
              "--lora-rank", str(args.lora_rank), "--bin-sigma", str(args.bin_sigma)] + (["--target-point", "--train-vision", "--augment", "0.75", "--pag-min-distance", "0.1"] if point else [])
             + shlex.split(args.finetune_args))
    if rc != 0:
        return rc
    t_finetune = time.perf_counter() - t0
    losses = [json.loads(line)["loss"] for line in (out / "finetune" / "metrics.jsonl").read_text().splitlines()] or [float("nan")]

    # 3. closed loop on held-out mug scenes: base vs fine-tuned (same seeds)
    from graspvla.eval import format_preference_table
    from graspvla.eval.sim_env import ScriptedTopDownExpert
    from graspvla.model import GraspVLAPolicy

    zero = GraspVLAPolicy.from_pretrained(str(base))
    zero.name = "GraspVLA-tiny (zero-shot)"
    tuned = GraspVLAPolicy.from_pretrained(str(out / "finetune" / "model"))
    tuned.name = f"GraspVLA-tiny + LoRA ({demo_stats.get('successes', '?')} demos)"
    policies = [zero, tuned]
    if point:  # the same two models with calibrated cameras (graspvla eval --policy calibrated:DIR)
        from graspvla.eval.model_policy import ModelPolicy

        for p in (zero, tuned):
            c = ModelPolicy.calibrated(p, "xyz", orientation_prior=args.orientation_prior)
            c.name = p.name + " + calibrated"
            policies.append(c)
    if args.expert:
        expert = ScriptedTopDownExpert()
        expert.name = "scripted top-down expert"
        policies.insert(0, expert)
    t0 = time.perf_counter()
    records = evaluate(policies, args.trials, args.max_steps, seed=100_000, executor=args.executor)
    t_eval = time.perf_counter() - t0

    table = format_preference_table(records, order=[p.name for p in policies])
    md = ["# Few-shot post-training: grasp the mug by its handle (Table 4, T2 at our scale)", "", table, "",
          f"Preference success = the mug lifted >= 10 cm AND, at that moment, both fingers touch it and every finger "
          f"contact lies on the handle (region `{REGION}`); grasp success = lifted. 95% Wilson intervals.", "",
          f"- base model: `{base}`", f"- demonstrations: {demo_stats} (handle-only grasps, mug-only scenes)",
          f"- fine-tuning: {args.steps} steps, batch {args.batch}, lr {args.lr}, LoRA rank {args.lora_rank}, "
          f"bin sigma {args.bin_sigma}, "
          f"{t_finetune:.0f} s, logged loss {losses[0]:.3f} -> {losses[-1]:.3f}"
          + (f", further arguments `{args.finetune_args}`" if args.finetune_args else "")
          + (", the queried keypoint trained on the handle grasp's projection (`--target-point --train-vision`)"
             if point else ""),
          *([f"- `+ calibrated`: the grasp position triangulated from the two views' keypoint maps with the "
             f"cameras' calibration, orientation prior {args.orientation_prior}"] if point else []),
          f"- evaluation: {args.trials} held-out mug scenes per model (seeds 100000+), {args.max_steps} queries, "
          f"executor {args.executor}, {t_eval:.0f} s", f"- total {time.perf_counter() - t_start:.0f} s"]
    (out / "report.md").write_text("\n".join(md) + "\n")
    (out / "trials.json").write_text(json.dumps([asdict(r) | {"preference_success": r.preference_success}
                                                 for r in records], indent=1))
    print(table)
    print(f"report: {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
