"""Trajectory generation: graspvla vs ruckig (point-to-point OTG) and vs toppra (waypoints),
on the same inputs, in one run. The control loop re-plans every millisecond, so the worst
case is reported next to the mean.

Point-to-point (7-DoF FR3 limits, random start states within the limits, half of the targets
moving): calculation time measured inside C++ for both (ours around each calculate(), ruckig's
own OutputParameter.calculation_duration from update()), the time of one call from Python
(ours: graspvla._core.trajectory.calculate_into with a prepared Input and Trajectory, and
calculate() taking 9 numpy arrays; ruckig: Ruckig.calculate with a prepared InputParameter), and the duration ratio ours/ruckig. "worst (min of 3)" repeats every
problem 3 times and keeps each problem's fastest run before taking the maximum, which removes
scheduler noise and leaves the algorithm's worst case.

Waypoints (10-waypoint 7-DoF planner-like paths): our jerk-limited smooth_path vs toppra
(velocity + acceleration limits, cubic spline through the same waypoints): wall time per path
and trajectory duration.

    python benchmarks/bench_trajectory.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from graspvla._core import trajectory as _traj
from graspvla.trajectory import Limits, smooth_path


def problems(n: int, lim: Limits, seed: int = 0) -> np.ndarray:
    """(n, 9, 7): current p, v, a; target p, v, a; max v, a, j."""
    rng = np.random.default_rng(seed)
    assert lim.min_position is not None and lim.max_position is not None
    P = np.zeros((n, 9, 7))
    P[:, 0] = rng.uniform(lim.min_position, lim.max_position, (n, 7))
    P[:, 3] = rng.uniform(lim.min_position, lim.max_position, (n, 7))
    short = rng.random(n) < 0.3
    P[short, 3] = np.clip(P[short, 0] + rng.normal(0, 0.02, (short.sum(), 7)), lim.min_position, lim.max_position)
    for k in range(n):  # start states from which the velocity limit can be kept
        while True:
            v0 = rng.uniform(-1, 1, 7) * lim.velocity
            a0 = rng.uniform(-1, 1, 7) * lim.acceleration
            if np.all(np.abs(v0 + a0 * np.abs(a0) / (2 * lim.jerk)) <= lim.velocity):
                break
        P[k, 1], P[k, 2] = v0, a0
    P[1::2, 4] = rng.uniform(-1, 1, (n // 2, 7)) * lim.velocity
    P[:, 6], P[:, 7], P[:, 8] = lim.velocity, lim.acceleration, lim.jerk
    return P


def planner_like_path(rng: np.random.Generator, lim: Limits, m: int = 10) -> np.ndarray:
    assert lim.min_position is not None and lim.max_position is not None
    q = [0.5 * (lim.min_position + lim.max_position)]
    d = rng.normal(size=7)
    d /= np.linalg.norm(d)
    for _ in range(m - 1):
        d = d + 0.8 * rng.normal(size=7) / np.sqrt(7)
        d /= np.linalg.norm(d)
        q.append(q[-1] + rng.uniform(0.1, 0.4) * d)
    return np.array(q)


def row(name: str, ours: float, peer: float, unit: str) -> str:
    return f"| {name:<44} | {ours:>10.3f} {unit:<3} | {peer:>10.3f} {unit:<3} | {ours / peer:>6.3f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1,000 problems and 5 paths instead of 10,000 and 50")
    args = ap.parse_args()
    import ruckig
    import toppra as ta
    import toppra.algorithm as algo
    import toppra.constraint as constraint

    lim = Limits.franka("fr3", scale=1.0)
    n = 1000 if args.quick else 10_000
    P = problems(n, lim)

    # --- ours, timed in C++ (3 repetitions) ---
    runs = []
    for _ in range(3):
        durations, status, micros = _traj.calculate_batch(P)
        runs.append(micros)
    assert np.all(status == 0), "a calculation failed"
    ours_us = np.array(runs)

    # --- ruckig, timed in C++ by ruckig (3 repetitions) ---
    otg = ruckig.Ruckig(7, 0.001)
    inp = ruckig.InputParameter(7)
    out = ruckig.OutputParameter(7)
    ruck_us = np.zeros((3, n))
    ruck_dur = np.zeros(n)
    for k in range(n):
        inp.current_position, inp.current_velocity, inp.current_acceleration = P[k, 0], P[k, 1], P[k, 2]
        inp.target_position, inp.target_velocity, inp.target_acceleration = P[k, 3], P[k, 4], P[k, 5]
        inp.max_velocity, inp.max_acceleration, inp.max_jerk = P[k, 6], P[k, 7], P[k, 8]
        for r in range(3):
            otg.reset()
            otg.update(inp, out)
            ruck_us[r, k] = out.calculation_duration
        ruck_dur[k] = out.trajectory.duration

    # --- one call from Python, both sides with prepared inputs ---
    tr_ruck = ruckig.Trajectory(7)
    ours_in, ours_tr = _traj.Input(7), _traj.Trajectory(7)
    py_ours, py_ruck, py_arrays = np.zeros(n), np.zeros(n), np.zeros(n)
    rows = [tuple(np.ascontiguousarray(P[k, i]) for i in range(9)) for k in range(n)]
    names = ["current_position", "current_velocity", "current_acceleration", "target_position", "target_velocity",
             "target_acceleration", "max_velocity", "max_acceleration", "max_jerk"]
    for k in range(n):
        inp.current_position, inp.current_velocity, inp.current_acceleration = P[k, 0], P[k, 1], P[k, 2]
        inp.target_position, inp.target_velocity, inp.target_acceleration = P[k, 3], P[k, 4], P[k, 5]
        for name, value in zip(names, rows[k]):
            setattr(ours_in, name, value)
        t0 = time.perf_counter()
        _traj.calculate_into(ours_in, ours_tr)
        t1 = time.perf_counter()
        otg.calculate(inp, tr_ruck)
        t2 = time.perf_counter()
        _traj.calculate(*rows[k])
        t3 = time.perf_counter()
        py_ours[k], py_ruck[k], py_arrays[k] = (t1 - t0) * 1e6, (t2 - t1) * 1e6, (t3 - t2) * 1e6

    ratio = durations / ruck_dur
    print(f"\nPoint-to-point, 7 DoF, {n} random problems (FR3 limits), one run")
    print("| metric                                       |       ours     |      ruckig    |  ratio |")
    print("|----------------------------------------------|----------------|----------------|--------|")
    print(row("calculation, C++ timed: mean (all runs)", ours_us.mean(), ruck_us.mean(), "us"))
    print(row("calculation, C++ timed: mean (min of 3)", ours_us.min(0).mean(), ruck_us.min(0).mean(), "us"))
    print(row("calculation, C++ timed: p99", np.percentile(ours_us, 99), np.percentile(ruck_us, 99), "us"))
    print(row("calculation, C++ timed: worst (raw)", ours_us.max(), ruck_us.max(), "us"))
    print(row("calculation, C++ timed: worst (min of 3)", ours_us.min(0).max(), ruck_us.min(0).max(), "us"))
    print(row("one call from Python (prepared input): mean", py_ours.mean(), py_ruck.mean(), "us"))
    print(row("one call from Python (prepared input): worst", py_ours.max(), py_ruck.max(), "us"))
    print(row("calculate(9 numpy arrays) from Python: mean", py_arrays.mean(), py_ruck.mean(), "us"))
    print(f"duration ours/ruckig: median {np.median(ratio):.6f}, p99 {np.percentile(ratio, 99):.6f}, "
          f"max {ratio.max():.6f}, min {ratio.min():.9f}; shorter than ruckig by >1e-6 s: "
          f"{int(np.sum(durations < ruck_dur - 1e-6))}")

    # --- waypoints vs toppra ---
    m = 5 if args.quick else 50
    rng = np.random.default_rng(1)
    paths = [planner_like_path(rng, lim) for _ in range(m)]
    t_ours, t_top, d_ours, d_top = [], [], [], []
    vlim = np.stack([-lim.velocity, lim.velocity], 1)
    alim = np.stack([-lim.acceleration, lim.acceleration], 1)
    for W in paths:
        t0 = time.perf_counter()
        tr = smooth_path(W, lim)
        t1 = time.perf_counter()
        path = ta.SplineInterpolator(np.linspace(0, 1, len(W)), W)
        inst = algo.TOPPRA([constraint.JointVelocityConstraint(vlim), constraint.JointAccelerationConstraint(alim)],
                           path, parametrizer="ParametrizeConstAccel")
        jt = inst.compute_trajectory()
        t2 = time.perf_counter()
        t_ours.append((t1 - t0) * 1e3)
        t_top.append((t2 - t1) * 1e3)
        d_ours.append(tr.duration)
        d_top.append(jt.duration)
    print(f"\nWaypoint paths, 10 waypoints x 7 DoF, {m} paths (ours: jerk-limited, exact waypoints; "
          f"toppra: velocity/acceleration only)")
    print("| metric                                       |       ours     |      toppra    |  ratio |")
    print("|----------------------------------------------|----------------|----------------|--------|")
    print(row("parameterisation time from Python: mean", float(np.mean(t_ours)), float(np.mean(t_top)), "ms"))
    print(row("parameterisation time from Python: worst", float(np.max(t_ours)), float(np.max(t_top)), "ms"))
    print(row("trajectory duration: mean", float(np.mean(d_ours)), float(np.mean(d_top)), "s"))
    r = np.array(d_ours) / np.array(d_top)
    print(f"duration ours/toppra per path: median {np.median(r):.3f}, range {r.min():.3f}-{r.max():.3f}")


if __name__ == "__main__":
    main()
