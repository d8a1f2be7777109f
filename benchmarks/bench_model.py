"""GraspVLA model on CPU: per-stage inference latency (vision, prefill, box / grasp decoding,
flow steps, end-to-end) for the ``tiny`` and ``small`` presets, static-KV-cached vs uncached
(full re-prefill per token), eager vs ``torch.compile`` of the denoise step (``--compile``),
the C++ flow kernels vs the same operations in torch / numpy, and the training step time.

Median of repeats (min in parentheses); the 2-core machine is shared, expect noise.

    python benchmarks/bench_model.py [--quick] [--compile]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "python" / "model"))
from common import make_sample  # noqa: E402

from graspvla import flow  # noqa: E402
from graspvla.model import Collator, GraspVLA, Normalizer, generate, preset  # noqa: E402

STAGES = ("vision", "prefill", "box", "grasp", "flow")


def _time(fn, reps: int) -> tuple[float, float]:
    fn()  # warm-up
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def stage_table(name: str, reps: int, batch: int, do_compile: bool) -> None:
    torch.manual_seed(0)
    model = GraspVLA(preset(name)).eval()
    samples = [make_sample(k) for k in range(batch)]
    b = Collator(model.config, Normalizer.identity())(samples)
    instr = [s["instruction"] for s in samples]
    noise = torch.randn(batch, model.config.chunk, model.config.action_dim, generator=torch.Generator().manual_seed(0))
    params = sum(p.numel() for p in model.parameters()) / 1e6
    print(f"\n== {name} ({params:.1f}M parameters), batch {batch}, ms per call: median (min) ==")
    variants = [("static KV cache", dict(use_cache=True)), ("no cache (re-prefill)", dict(use_cache=False)),
                ("cache, full-vocab argmax", dict(use_cache=True, constrained=False)),
                ("cache, C++ Euler integrator", dict(use_cache=True, integrator="euler"))]
    if do_compile:
        t0 = time.perf_counter()
        generate(model, b["images"], instr, b["proprio"], noise=noise, compile_step=True)
        print(f"(torch.compile of the denoise step: first call {time.perf_counter() - t0:.1f} s)")
        variants.append(("cache + compiled denoise step", dict(use_cache=True, compile_step=True)))
    print(f"{'variant':32s}" + "".join(f"{s:>16s}" for s in STAGES) + f"{'end-to-end':>16s}")
    for label, kw in variants:
        if label.startswith("no cache") and reps > 3:
            r = 3
        else:
            r = reps
        runs = []

        def once() -> None:
            t0 = time.perf_counter()
            out = generate(model, b["images"], instr, b["proprio"], noise=noise, **kw)
            out.timings["total"] = time.perf_counter() - t0
            runs.append(out.timings)

        once()
        runs.clear()
        for _ in range(r):
            once()
        cells = []
        for s in STAGES + ("total",):
            v = [x[s] * 1e3 for x in runs]
            cells.append(f"{statistics.median(v):8.1f} ({min(v):5.1f})")
        print(f"{label:32s}" + "".join(f"{c:>16s}" for c in cells))
    # share of the flow loop spent in the network: time the Euler arithmetic alone
    steps = model.config.flow_steps
    x = torch.randn(batch, model.config.chunk, 7)
    v = torch.randn_like(x)
    upd, _ = _time(lambda: [x - v / steps for _ in range(steps)], reps * 10)
    print(f"Euler arithmetic alone (10 updates, torch): {upd * 1e3:.3f} ms -> the network is "
          f"{100 * (1 - upd / max(runs[-1]['flow'], 1e-9)):.1f} % of the flow loop")


def train_table(reps: int) -> None:
    print("\n== training step (forward + backward + AdamW, vision frozen), ms: median (min) ==")
    for name, batch in (("tiny", 8), ("small", 4)):
        torch.manual_seed(0)
        model = GraspVLA(preset(name))
        model.freeze_vision()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        data = Collator(model.config, Normalizer.identity())(
            [make_sample(k, "grounding" if k % 4 == 3 else "synthetic") for k in range(batch)])

        def step() -> None:
            loss, _ = model.compute_loss(data)
            opt.zero_grad()
            loss.backward()
            opt.step()

        med, mn = _time(step, reps)
        print(f"{name:8s} batch {batch:2d}: {med * 1e3:8.1f} ({mn * 1e3:.1f})")


def kernel_table(reps: int) -> None:
    print("\n== flow arithmetic: C++ graspvla.flow vs the same ops in torch / numpy, us per call ==")
    print("(the network, not this arithmetic, dominates inference: see the share above)")
    print(f"{'operation':52s}{'ours':>10s}{'peer':>10s}{'ratio':>8s}")
    n = reps * 200
    rows = []
    for B in (1, 64):
        x = torch.randn(B, 4, 7)
        v = torch.randn(B, 4, 7)
        xn, vn = x.numpy(), v.numpy()
        out = np.empty_like(xn)
        ours, _ = _time(lambda: flow._flow.euler_update(xn, vn, -0.1, out), n)
        peer, _ = _time(lambda: torch.add(x, v, alpha=-0.1), n)
        rows.append((f"Euler update x + dt v, B={B} (4x7)", ours, peer))
        vel = lambda z, t: z * 0.5  # noqa: E731  trivial velocity: measures the integrator overhead
        for m in ("euler", "rk4"):
            ours, _ = _time(lambda: flow.integrate(vel, x, 10, m), reps * 20)
            peer, _ = _time(lambda: flow.integrate_torch(vel, x, 10, m), reps * 20)
            rows.append((f"10-step {m} loop, trivial velocity, B={B}", ours, peer))
        mn, mx = -np.ones(7) * 0.05, np.ones(7) * 0.05
        lo, hi = mn * 0.9, mx * 0.9
        tmn, tmx, tlo, thi = (torch.from_numpy(a) for a in (mn, mx, lo, hi))
        ours, _ = _time(lambda: flow.unnormalize_clamp(xn, mn, mx, lo, hi), n)
        peer, _ = _time(lambda: torch.clamp((x.double() + 1) / 2 * (tmx - tmn) + tmn, tlo, thi), n)
        rows.append((f"un-normalise + clamp, B={B}", ours, peer))
        c = np.random.default_rng(0).normal(size=(B, 4, 7))
        modes = ["delta"] * 6 + ["hold"]

        def np_resample() -> np.ndarray:
            t_out = (np.arange(12) + 1) * 0.1
            t_in = np.arange(5) * 0.3
            cum = np.concatenate([np.zeros((B, 1, 7)), np.cumsum(c, 1)], 1)
            o = np.empty((B, 12, 7))
            for bb in range(B):
                for a in range(6):
                    o[bb, :, a] = np.diff(np.interp(t_out, t_in, cum[bb, :, a]), prepend=0.0)
            o[:, :, 6] = np.repeat(c[:, :, 6], 3, axis=1)
            return o

        ours, _ = _time(lambda: flow.resample(c, 0.3, 0.1, modes), n // 4)
        peer, _ = _time(np_resample, n // 4)
        rows.append((f"resample 4 @0.3 s -> 12 @0.1 s, B={B} (numpy)", ours, peer))
    for label, o, p in rows:
        print(f"{label:52s}{o * 1e6:10.1f}{p * 1e6:10.1f}{o / p:8.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile of the denoise step")
    args = ap.parse_args()
    torch.set_num_threads(2)
    reps = 3 if args.quick else 10
    for name in ("tiny",) if args.quick else ("tiny", "small"):
        stage_table(name, reps, 1, args.compile)
    if not args.quick:
        stage_table("tiny", reps, 4, False)
    kernel_table(reps)
    train_table(2 if args.quick else 5)


if __name__ == "__main__":
    main()
