"""``graspvla demo``: the end-to-end main job on an embedded default, with a report.

Stages run in data-flow order; each writes its numbers into ``<out>/report.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="outputs/demo", help="output directory")
    p.add_argument("--robot", choices=["fr3", "panda"], default="fr3", help="robot model")
    p.add_argument("--seed", type=int, default=0, help="seed of every stage")
    p.add_argument("--quick", action="store_true", help="smallest sizes (used by the tests)")


def _robot_stage(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from graspvla.robot import Frame, Robot

    robot = Robot(args.robot, finger_extension=0.02)
    n = 200 if args.quick else 2000
    qs = robot.random_configurations(n, rng=args.seed)
    t0 = time.perf_counter()
    poses = robot.fk(qs, Frame.TCP)
    fk_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    q_sol, ok, err = robot.ik_batch(poses, seed=args.seed)
    ik_s = time.perf_counter() - t0
    recovered = sum(
        bool(len(s)) and float(np.abs(s - q).max(axis=1).min()) < 1e-6
        for s, q in ((robot.ik_analytic(P, q[6]), q) for P, q in zip(poses, qs))
    )
    return {
        "robot": robot.name,
        "configurations": n,
        "fk_ms": fk_s * 1e3,
        "dls_ik_success": float(ok.mean()),
        "dls_ik_ms_per_pose": ik_s * 1e3 / n,
        "analytic_ik_seed_recovered": recovered / n,
        "self_collision_fraction": float(robot.self_collision(qs).mean()),
    }


STAGES = [("robot model (FK, IK, collision)", _robot_stage)]


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    lines = ["# graspvla demo", ""]
    for name, stage in STAGES:
        print(f"[demo] {name} ...", flush=True)
        t0 = time.perf_counter()
        res = stage(args)
        res["seconds"] = time.perf_counter() - t0
        results[name] = res
        lines += [f"## {name}", ""] + [f"- {k}: {v:.4g}" if isinstance(v, float) else f"- {k}: {v}"
                                        for k, v in res.items()] + [""]
        print(f"[demo] {name}: done in {res['seconds']:.1f} s", flush=True)
    (out / "report.md").write_text("\n".join(lines))
    (out / "report.json").write_text(json.dumps(results, indent=2))
    print(f"[demo] report: {out / 'report.md'}")
    return 0
