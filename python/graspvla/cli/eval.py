"""``graspvla eval``: the closed-loop grasping benchmark in MuJoCo (a Table-1-style report)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from graspvla.errors import InvalidInputError

BUILTIN_POLICIES = ("expert", "random")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", action="append", default=None,
                   help="policy to evaluate (repeatable): 'expert' (scripted, privileged upper bound), 'random', "
                        "a model checkpoint directory, or 'oracle-grasp:DIR' (diagnostic: that model given the "
                        "expert's privileged grasp in place of its grasp tokens), or 'oracle-grasp+3cm:DIR' (that grasp "
                        "moved 3 cm in a random horizontal direction per trial: the precision the model needs), or "
                        "'oracle-position:DIR' / 'oracle-orientation:DIR' (only that part of the expert's grasp, "
                        "the rest the model's own), or 'calibrated:DIR' / 'calibrated-xy:DIR' (that model with the "
                        "cameras' calibration: the grasp position's xyz / xy triangulated from where the views' "
                        "target keypoints point, fused over the trial, and the orientation prior)")
    p.add_argument("--conditions", default="basic,lighting,background,distractors,height",
                   help="comma-separated test sets")
    p.add_argument("--synthetic", default="mug,bottle,can,box,banana", help="categories seen in action data")
    p.add_argument("--web", default="toy car",
                   help="categories held out of action data (seen only in grounding data)")
    p.add_argument("--trials", type=int, default=2, help="trials per (condition, category)")
    p.add_argument("--max-steps", type=int, default=30, help="policy queries per trial")
    p.add_argument("--lift", type=float, default=0.10, help="success lift height [m]")
    p.add_argument("--seed", type=int, default=1000, help="first scene seed")
    p.add_argument("--out", default="outputs/eval", help="report directory")
    p.add_argument("--executor", choices=["direct", "control_loop"], default="direct",
                   help="action execution: 'direct' (IK + jerk-limited joint trajectory on MuJoCo's joint servos) or "
                        "'control_loop' (the 1 kHz C++ loop: Cartesian impedance + gripper channel, MuJoCo stepped "
                        "from C++ at 1 kHz)")
    p.add_argument("--quick", action="store_true", help="basic condition, one category per group, one trial")


def make_policy(spec: str) -> Any:
    from graspvla.eval.harness import RandomPolicy
    from graspvla.eval.sim_env import ScriptedTopDownExpert

    if spec == "expert":
        return ScriptedTopDownExpert()
    if spec == "random":
        return RandomPolicy(0)
    from pathlib import Path

    kind = next((k for k in ("grasp", "position", "orientation") if spec.startswith(f"oracle-{k}")), None)
    if kind is not None and spec[len(f"oracle-{kind}"):][:1] in (":", "+"):
        from graspvla.eval.model_policy import OracleGraspPolicy

        head, _, d = spec.partition(":")
        offset = 0.0
        if head != f"oracle-{kind}":  # oracle-grasp+3cm:DIR
            cm = head[len(f"oracle-{kind}+"):]
            try:  # its range is checked by OracleGraspPolicy.of
                offset = float(cm[:-2]) / 100.0 if cm.endswith("cm") else float("nan")
            except ValueError:
                offset = float("nan")
            if np.isnan(offset):
                raise InvalidInputError(f"--policy {spec!r}: expected oracle-{kind}+<N>cm:DIR, e.g. oracle-grasp+3cm:DIR")
        if not Path(d).is_dir():
            raise InvalidInputError(f"--policy {spec!r}: {d!r} is not a checkpoint directory")
        return OracleGraspPolicy.from_checkpoint(d, offset, kind)
    head, sep, d = spec.partition(":")
    if sep and head in ("calibrated", "calibrated-xy"):
        from graspvla.eval.model_policy import ModelPolicy

        if not Path(d).is_dir():
            raise InvalidInputError(f"--policy {spec!r}: {d!r} is not a checkpoint directory")
        return ModelPolicy.from_checkpoint(d, calibrated_axes="xy" if head == "calibrated-xy" else "xyz")
    if Path(spec).is_dir():
        from graspvla.eval.model_policy import ModelPolicy

        return ModelPolicy.from_checkpoint(spec)
    raise InvalidInputError(f"--policy {spec!r}: not one of {BUILTIN_POLICIES} nor a checkpoint directory")


def _unique_names(policies: list[Any], specs: list[str]) -> None:
    """Policies that share a name (two checkpoints are both ``graspvla``) get as many trailing
    components of their checkpoint path as tell them apart (``graspvla@run1/model``), so the
    report keeps them apart; equal specs are numbered."""
    from pathlib import PurePath

    groups: dict[str, list[int]] = {}
    for i, p in enumerate(policies):
        groups.setdefault(p.name, []).append(i)
    for name, idx in groups.items():
        if len(idx) < 2:
            continue
        parts = [PurePath(specs[i].partition(":")[2] or specs[i]).parts for i in idx]
        distinct = len(set(parts))
        for k in range(1, max(len(q) for q in parts) + 1):
            tails = ["/".join(q[-k:]) for q in parts]
            if len(set(tails)) == distinct:
                break
        seen: dict[str, int] = {}
        for i, tail in zip(idx, tails):
            seen[tail] = seen.get(tail, 0) + 1
            policies[i].name = f"{name}@{tail}" + (f"#{seen[tail]}" if tails.count(tail) > 1 else "")


def run(args: argparse.Namespace) -> int:
    from graspvla.eval.conditions import CONDITIONS
    from graspvla.eval.harness import BenchmarkConfig, run_benchmark
    from graspvla.eval.sim_env import SimEnvConfig, SimGraspEnv

    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise InvalidInputError(f"--conditions: unknown {unknown}; choose from {sorted(CONDITIONS)}")
    if args.trials < 1 or args.max_steps < 1 or not 0 < args.lift < 1:
        raise InvalidInputError("--trials and --max-steps must be >= 1 and --lift in (0, 1) m")
    synthetic = [c.strip() for c in args.synthetic.split(",") if c.strip()]
    web = [c.strip() for c in args.web.split(",") if c.strip()]
    if args.quick:
        conditions, synthetic, web = ["basic"], synthetic[:1], web[:1]
        args.trials = 1
    specs = args.policy or ["expert", "random"]
    policies = [make_policy(s) for s in specs]
    _unique_names(policies, specs)
    cfg = BenchmarkConfig(conditions=conditions, synthetic_categories=synthetic, web_categories=web,
                          trials_per_category=args.trials, max_steps=args.max_steps, lift_threshold=args.lift,
                          seed=args.seed)
    run_benchmark(lambda: SimGraspEnv(SimEnvConfig(executor=args.executor)), policies, cfg, args.out)
    print(f"[eval] report: {args.out}/report.md")
    return 0
