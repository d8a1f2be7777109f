"""Example 7: data scaling at small scale: closed-loop success vs number of training episodes.

For each episode count n (``--episodes 25,75,225``) the same preset is trained for the same number
of steps on the FIRST n successful episodes of the data (``graspvla train --max-episodes n``: the
subsets are nested, so a larger run sees everything a smaller one saw, and the normaliser is fitted
on the subset), then every model runs closed loop in MuJoCo on the same scene seeds, synthetic
categories (seen in action data) and optionally web categories (``--web``, held out). With a common
starting model (``--train-args "--init DIR ..."``) the count 0 is that model before training, so
the curve also serves post-training: how many episodes of a new object a trained model needs.
Writes:

* ``scaling.md``: the table (success with 95% Wilson intervals, per group and overall);
* ``scaling.png``: success vs episodes (log x, Wilson-interval error bars), drawn with Pillow;
* ``scaling.json``: the same numbers; ``n<N>/model``: each trained model; ``eval/``: the
  benchmark report, trials and a GIF per model.

    python examples/07_scaling.py --data /path/to/lerobot_dataset --episodes 25,75,225 \\
        --steps 400 [--trials 4] [--web "toy car"] [--expert] [--out outputs/example_scaling] [--quick]
        [--train-args "--init GROUNDING_MODEL --grounding G --augment 0.75 ..."] [--calibrated]

``--data`` is a dataset made by ``graspvla generate`` (repeatable: taken in order). Without it a
small dataset is generated with ``--source`` (default ``test-scripted``: fast boxes without physics,
only good for checking the plumbing). ``--quick`` (< 60 s, for the tests): tiny sizes, a few
steps, one trial per model. Re-running with the same settings reuses the trained models;
``--report-only`` rewrites the table and plot from the runs and trials already in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import time
from pathlib import Path
from typing import Any

import torch


def _ints(text: str) -> list[int]:
    vals = sorted({int(v) for v in text.split(",") if v.strip()})
    if not vals or vals[0] < 0 or vals[-1] < 1:
        raise SystemExit(f"--episodes: comma-separated counts >= 0 (at least one positive), got {text!r}")
    return vals


def _init_dir(train_args: str) -> str | None:
    """The ``--init`` model of ``--train-args`` (the common starting point), if any."""
    argv = shlex.split(train_args)
    for k, a in enumerate(argv):
        if a == "--init" and k + 1 < len(argv):
            return argv[k + 1]
        if a.startswith("--init="):
            return a.split("=", 1)[1]
    return None


def _model_dir(n: int, args: argparse.Namespace, out: Path) -> Path:
    """Run n's model; n = 0 is the ``--init`` model as it is (no training)."""
    return Path(_init_dir(args.train_args) or "") if n == 0 else out / f"n{n}" / "model"


def _names(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def make_data(out: Path, attempts: int, source: str, image_size: int) -> Path:
    """A dataset from ``source`` (when no --data is given)."""
    from graspvla.data.generate import GenerateConfig, generate

    if not (out / "meta" / "info.json").is_file():
        opts: dict[str, Any] = {"image_size": image_size}
        if source == "test-scripted":
            opts["frames"] = 12
        generate(GenerateConfig(out=str(out), num_episodes=attempts, episodes_per_shard=max(1, attempts), source=source,
                                source_options=opts, workers=1, progress=False))
    return out


def available_episodes(data: list[str]) -> int:
    from graspvla.data.reader import LeRobotReader

    return sum(LeRobotReader(d, decode_images=False, verify="none").num_episodes for d in data)


def _train_argv(n: int, args: argparse.Namespace, out: Path) -> list[str]:
    argv = ["train", "--out", str(out), "--preset", args.preset, "--steps", str(args.steps), "--batch", str(args.batch),
            "--lr", str(args.lr), "--warmup", str(args.warmup), "--workers", str(args.workers), "--seed", str(args.seed),
            "--checkpoint-every", str(args.steps), "--max-episodes", str(n)]
    for d in args.data:
        argv += ["--data", d]
    if args.train_vision:
        argv.append("--train-vision")
    return argv + shlex.split(args.train_args)


def _reusable(argv: list[str], out: Path) -> dict[str, Any] | None:
    stamp = out / "scaling_run.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("argv") == argv and (out / "model" / "config.json").is_file():
        return json.loads(stamp.read_text())
    return None


def _stamp(n: int, argv: list[str], args: argparse.Namespace, out: Path, seconds: float) -> dict[str, Any]:
    rec = {"argv": argv, "seconds": round(seconds, 1), "final_loss": _final_loss(out), "frames": _frames(args.data, n)}
    (out / "scaling_run.json").write_text(json.dumps(rec, indent=1))
    return rec


def train_one(n: int, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """``graspvla train --max-episodes n`` (skipped if this exact run already finished)."""
    from graspvla.cli.main import main as cli

    argv = _train_argv(n, args, out)
    if (rec := _reusable(argv, out)) is not None:
        print(f"[scaling] n={n}: reusing {out / 'model'}")
        return rec
    t0 = time.perf_counter()
    rc = cli(argv)
    if rc != 0:
        raise SystemExit(f"training n={n} failed (exit {rc})")
    return _stamp(n, argv, args, out, time.perf_counter() - t0)


def train_parallel(counts: list[int], args: argparse.Namespace, out: Path) -> dict[int, dict[str, Any]]:
    """The runs as ``--jobs`` concurrent ``graspvla train`` processes (one thread each; logs in
    ``n<N>/train.log``); finished runs are reused as in :func:`train_one`."""
    import os
    import subprocess
    import sys

    runs: dict[int, dict[str, Any]] = {}
    todo = []
    for n in counts:
        argv = _train_argv(n, args, out / f"n{n}")
        if (rec := _reusable(argv, out / f"n{n}")) is not None:
            print(f"[scaling] n={n}: reusing {out / f'n{n}' / 'model'}")
            runs[n] = rec
        else:
            todo.append((n, argv))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    running: list[tuple[int, list[str], subprocess.Popen, float, Any]] = []
    while todo or running:
        while todo and len(running) < args.jobs:
            n, argv = todo.pop(0)
            (out / f"n{n}").mkdir(parents=True, exist_ok=True)
            log = open(out / f"n{n}" / "train.log", "w")
            print(f"[scaling] training on the first {n} episodes ({args.steps} steps; log {log.name})", flush=True)
            proc = subprocess.Popen([sys.executable, "-m", "graspvla.cli.main", *argv], stdout=log, stderr=subprocess.STDOUT, env=env)
            running.append((n, argv, proc, time.perf_counter(), log))
        time.sleep(1.0)
        for item in list(running):
            n, argv, proc, t0, log = item
            if proc.poll() is None:
                continue
            running.remove(item)
            log.close()
            if proc.returncode != 0:
                for _, _, other, _, _ in running:
                    other.terminate()
                raise SystemExit(f"training n={n} failed (exit {proc.returncode}); see {log.name}")
            runs[n] = _stamp(n, argv, args, out / f"n{n}", time.perf_counter() - t0)
    return runs


def _final_loss(out: Path) -> float | None:
    info = out / "model" / "training_info.json"  # written by graspvla train
    loss = json.loads(info.read_text()).get("final_loss") if info.is_file() else None
    return float(loss) if loss is not None else None


def _frames(data: list[str], n: int) -> int:
    from graspvla.cli.train import _episode_parts

    return sum(len(p) for p in _episode_parts(data, 64, n))


# ---------------------------------------------------------------------------------------------
# the plot (Pillow only: matplotlib is not a dependency)

COLOURS = {"overall": (31, 119, 180), "synthetic": (44, 160, 44), "web": (255, 127, 14), "expert": (120, 120, 120)}


def plot(rows: list[dict[str, Any]], groups: list[str], expert: dict[str, Any] | None, path: Path, title: str) -> Path:
    """Success [%] vs training episodes (log x) with 95% Wilson-interval error bars, one series
    per group; the scripted expert (if evaluated) as a dashed reference line."""
    from PIL import Image, ImageDraw, ImageFont

    W, H, left, right, top, bottom = 720, 460, 70, 150, 50, 60
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    try:
        font, small = ImageFont.load_default(size=14), ImageFont.load_default(size=12)
    except TypeError:  # Pillow < 10.1
        font = small = ImageFont.load_default()
    ns = [r["episodes"] for r in rows]
    positive = [n for n in ns if n > 0]
    zero_at = min(positive) / 4.0  # n = 0 (the starting model) sits a little left of the smallest count
    lo_x, hi_x = math.log10((zero_at if 0 in ns else min(positive)) / 1.6), math.log10(max(positive) * 1.6)
    pw, ph = W - left - right, H - top - bottom

    def X(n: float) -> float:
        return left + (math.log10(n if n > 0 else zero_at) - lo_x) / (hi_x - lo_x) * pw

    def Y(p: float) -> float:
        return top + (1.0 - p) * ph

    d.text((W / 2, 18), title, fill="black", font=font, anchor="mm")
    for p in (0, 0.25, 0.5, 0.75, 1.0):  # y grid
        d.line([(left, Y(p)), (left + pw, Y(p))], fill=(225, 225, 225))
        d.text((left - 8, Y(p)), f"{100 * p:.0f}%", fill="black", font=small, anchor="rm")
    for n in ns:  # x ticks at the measured counts
        d.line([(X(n), top + ph), (X(n), top + ph + 5)], fill="black")
        d.text((X(n), top + ph + 8), str(n) if n else "0 (start)", fill="black", font=small, anchor="ma")
    d.rectangle([left, top, left + pw, top + ph], outline="black")
    d.text((left + pw / 2, H - 18), "training episodes (log scale)", fill="black", font=font, anchor="mm")
    d.text((12, top - 22), "closed-loop success (95% CI)", fill="black", font=small)
    if expert is not None:
        y = Y(expert["rate"])
        for x in range(left, left + pw, 12):
            d.line([(x, y), (min(x + 6, left + pw), y)], fill=COLOURS["expert"], width=2)
    series = list(groups)
    step = 10 ** ((hi_x - lo_x) * 0.012)  # a small horizontal offset per series so bars do not overlap
    for k, g in enumerate(series):
        colour = COLOURS.get(g, (148, 103, 189))
        shift = step ** (k - (len(series) - 1) / 2)
        pts = [(X((r["episodes"] or zero_at) * shift), Y(r[g]["rate"])) for r in rows]
        if len(pts) > 1:
            d.line(pts, fill=colour, width=2)
        for r, (x, y) in zip(rows, pts):
            lo, hi = r[g]["ci"]
            d.line([(x, Y(lo)), (x, Y(hi))], fill=colour, width=2)
            d.line([(x - 5, Y(lo)), (x + 5, Y(lo))], fill=colour, width=2)
            d.line([(x - 5, Y(hi)), (x + 5, Y(hi))], fill=colour, width=2)
            d.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour, outline="black")
    ly = top + 10  # legend
    for g in series + (["expert"] if expert is not None else []):
        colour = COLOURS.get(g, (148, 103, 189))
        d.line([(left + pw + 12, ly + 7), (left + pw + 34, ly + 7)], fill=colour, width=3)
        label = "scripted expert" if g == "expert" else g
        d.text((left + pw + 40, ly), label, fill="black", font=small)
        ly += 20
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


# ---------------------------------------------------------------------------------------------


def rate(records: list[Any]) -> dict[str, Any]:
    from graspvla.eval.stats import Rate

    r = Rate(sum(int(x.success) for x in records), len(records))
    return {"successes": r.successes, "trials": r.trials, "rate": r.value if r.trials else 0.0,
            "ci": list(r.interval), "text": str(r)}


def mean_lift(records: list[Any]) -> float:
    """Mean over trials of the highest the target rose [m]: a finer signal than success."""
    return sum(r.max_lift for r in records) / len(records) if records else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", default=None, help="LeRobot v3 dataset (repeatable, taken in order)")
    ap.add_argument("--source", default="test-scripted", help="episode source when no --data is given")
    ap.add_argument("--episodes", default="25,75,225", help="comma-separated training-episode counts")
    ap.add_argument("--out", default="outputs/example_scaling", help="output directory")
    ap.add_argument("--preset", default="tiny", help="model preset (graspvla.model.preset; ignored with --init in --train-args)")
    ap.add_argument("--steps", type=int, default=400, help="optimiser steps per run (the same for every count)")
    ap.add_argument("--batch", type=int, default=16, help="batch size")
    ap.add_argument("--lr", type=float, default=3e-4, help="peak learning rate")
    ap.add_argument("--warmup", type=int, default=50, help="warm-up steps")
    ap.add_argument("--workers", type=int, default=1, help="DataLoader workers")
    ap.add_argument("--frozen-vision", dest="train_vision", action="store_false",
                    help="keep the vision towers frozen (default: train them, as the tiny preset has no pretrained towers)")
    ap.add_argument("--seed", type=int, default=0, help="training seed (the same for every count)")
    ap.add_argument("--train-args", default="",
                    help="further `graspvla train` arguments for every run, e.g. \"--init DIR --grounding G "
                         "--grounding-ratio 0.4 --augment 0.75 --pag-min-distance 0.1 --target-point\" (a "
                         "grounding-only model as the common starting point; --init keeps its architecture)")
    ap.add_argument("--jobs", type=int, default=1, help="training runs at once (separate processes, one thread each)")
    ap.add_argument("--calibrated", action="store_true",
                    help="evaluate each model with the cameras' calibration (graspvla eval --policy calibrated:DIR)")
    ap.add_argument("--conditions", default="basic", help="comma-separated test sets")
    ap.add_argument("--synthetic", default="mug,bottle,can,box,banana", help="categories seen in action data")
    ap.add_argument("--web", default="", help="held-out categories (e.g. 'toy car'); none by default")
    ap.add_argument("--trials", type=int, default=4, help="trials per (condition, category) and model")
    ap.add_argument("--max-steps", type=int, default=30, help="policy queries per trial")
    ap.add_argument("--eval-seed", type=int, default=1000, help="first scene seed (the same for every model)")
    ap.add_argument("--executor", default="direct", choices=("direct", "control_loop"), help="action executor")
    ap.add_argument("--expert", action="store_true", help="also evaluate the scripted expert (reference line)")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite scaling.md/json/png from the trained runs and eval/trials.json already in --out")
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes, 2 steps, one synthetic and one web trial per model (< 60 s)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t_start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    counts = _ints(args.episodes)
    conditions, synthetic, web = _names(args.conditions), _names(args.synthetic), _names(args.web)
    if args.quick:
        counts = counts if args.data else [1, 2]
        args.steps, args.batch, args.warmup, args.workers, args.trials, args.max_steps = 2, 2, 1, 0, 1, 2
        conditions, synthetic, web = conditions[:1], synthetic[:1], (web or ["toy car"])[:1]
    if args.steps < 1 or args.trials < 1 or args.max_steps < 1:
        raise SystemExit("--steps, --trials and --max-steps must be >= 1")
    if 0 in counts and _init_dir(args.train_args) is None:
        raise SystemExit("--episodes 0 is the --init model before training: pass --train-args \"--init DIR ...\"")

    if not args.data:
        gen = make_data(out / "data", attempts=max(4, 2 * max(counts)) if args.quick else 2 * max(counts),
                        source=args.source, image_size=32 if args.quick else 224)
        args.data = [str(gen)]
    have = available_episodes(args.data)
    dropped = [n for n in counts if n > have]
    counts = [n for n in counts if n <= have]
    if dropped:
        print(f"[scaling] only {have} episodes in {args.data}: dropping counts {dropped}")
    if not counts:
        raise SystemExit(f"no episode count fits the {have} episodes of {args.data}")

    # 1. train: the same preset, steps and seed; the first n episodes (0: the --init model as is)
    runs: dict[int, dict[str, Any]] = {0: {"frames": 0, "seconds": 0.0, "final_loss": None}} if 0 in counts else {}
    trained = [n for n in counts if n > 0]
    if args.report_only:
        for n in trained:
            stamp = out / f"n{n}" / "scaling_run.json"
            if not stamp.is_file():
                raise SystemExit(f"--report-only: {stamp} missing; run without --report-only first")
            runs[n] = json.loads(stamp.read_text())
    elif args.jobs > 1:
        runs |= train_parallel(trained, args, out)
    else:
        for n in trained:
            print(f"[scaling] training on the first {n} episodes ({args.steps} steps)", flush=True)
            runs[n] = train_one(n, args, out / f"n{n}")
    t_train = sum(float(r.get("seconds") or 0.0) for r in runs.values())

    # 2. closed loop: every model on the same scenes
    from graspvla.eval.harness import BenchmarkConfig, run_benchmark
    from graspvla.eval.model_policy import ModelPolicy
    from graspvla.eval.sim_env import ScriptedTopDownExpert, SimEnvConfig, SimGraspEnv

    names = [f"{n} episodes" for n in counts]
    if args.report_only:
        from graspvla.eval.report import _records_from_json

        records = _records_from_json(out / "eval" / "trials.json")
        t_eval = sum(r.wall_time for r in records)
    else:
        policies: list[Any] = []
        for n, name in zip(counts, names):
            p = ModelPolicy.from_checkpoint(str(_model_dir(n, args, out)), calibrated_axes="xyz" if args.calibrated else None)
            p.name = name
            policies.append(p)
        if args.expert:
            e = ScriptedTopDownExpert()
            e.name = "scripted expert"
            policies.append(e)
        bench = BenchmarkConfig(conditions=conditions, synthetic_categories=synthetic, web_categories=web,
                                trials_per_category=args.trials, max_steps=args.max_steps, seed=args.eval_seed,
                                video_trials=0 if args.quick else 1)
        t0 = time.perf_counter()
        records = run_benchmark(lambda: SimGraspEnv(SimEnvConfig(executor=args.executor)), policies, bench,
                                out / "eval", progress=not args.quick)
        t_eval = time.perf_counter() - t0

    # 3. table, json, plot
    groups = ["synthetic"] + (["web"] if web else [])
    rows = []
    for n, name in zip(counts, names):
        mine = [r for r in records if r.policy == name]
        row = {"episodes": n, "frames": runs[n].get("frames"), "steps": args.steps, "final_loss": runs[n].get("final_loss"),
               "train_seconds": runs[n].get("seconds"), "overall": rate(mine), "mean_max_lift": mean_lift(mine)}
        for g in groups:
            row[g] = rate([r for r in mine if r.group == g])
        rows.append(row)
    expert = None
    if args.expert:
        mine = [r for r in records if r.policy == "scripted expert"]
        expert = {"overall": rate(mine), "mean_max_lift": mean_lift(mine)} | {
            g: rate([r for r in mine if r.group == g]) for g in groups}
    plot_groups = groups if web else ["synthetic"]
    png = plot(rows, plot_groups, expert["overall"] if expert else None, out / "scaling.png",
               f"GraspVLA-{args.preset}: success vs training episodes ({args.steps} steps each)")
    head = ("| episodes | frames | steps | final loss | train s | " + " | ".join(groups) + (" | overall" if web else "")
            + " | mean max lift |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows + ([{"episodes": "scripted expert", "frames": "-", "steps": "-", "final_loss": None,
                       "train_seconds": "-"} | expert] if expert else []):
        loss = f"{r['final_loss']:.3f}" if isinstance(r["final_loss"], float) else "-"
        cells = [r[g]["text"] for g in groups] + ([r["overall"]["text"]] if web else [])
        lines.append(f"| {r['episodes']} | {r['frames']} | {r['steps']} | {loss} | {r['train_seconds']} | "
                     + " | ".join(cells) + f" | {100 * r['mean_max_lift']:.1f} cm |")
    table = "\n".join(lines)
    md = [f"# Data scaling: closed-loop success vs training episodes (GraspVLA-{args.preset})", "", table, "",
          "Cells: success rate [95% Wilson interval] (successes/trials). Success = the requested object lifted "
          f">= 10 cm within {args.max_steps} policy queries; lifting another object fails. Mean max lift: the "
          "highest the target rose, averaged over all of the model's trials.", "",
          f"- data: {args.data}; each run uses the FIRST n successful episodes (nested subsets, normaliser fitted on them)"
          + ("; 0 = the `--init` model before any training on them" if 0 in counts else ""),
          f"- training: preset {args.preset}, {args.steps} steps, batch {args.batch}, lr {args.lr}, warm-up {args.warmup}, "
          f"seed {args.seed}, vision {'trained' if args.train_vision else 'frozen'}, {t_train:.0f} s of training in total"
          + (f", further arguments `{args.train_args}`" if args.train_args else ""),
          *(["- policy: each model with the cameras' calibration (`--policy calibrated:DIR`)"] if args.calibrated else []),
          f"- evaluation: conditions {conditions}, synthetic {synthetic}, web {web or 'none'}, {args.trials} trials per "
          f"(condition, category), scene seeds from {args.eval_seed} (the same for every model), executor {args.executor}, "
          f"{t_eval:.0f} s of trials",
          f"- plot: `{png.name}`; per-trial report: `eval/report.md`"
          + ("" if args.report_only else f"; total {time.perf_counter() - t_start:.0f} s")]
    if args.quick:
        md.append("- --quick: plumbing check only (a few steps on test data); the numbers mean nothing")
    (out / "scaling.md").write_text("\n".join(md) + "\n")
    (out / "scaling.json").write_text(json.dumps({"rows": rows, "expert": expert, "args": vars(args)}, indent=1, default=str))
    print(table)
    print(f"[scaling] {out / 'scaling.md'}, {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
