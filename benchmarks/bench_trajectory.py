"""Trajectory generation: graspvla vs ruckig (point-to-point) and vs toppra (waypoints),
same inputs, one run. Reports mean and worst-case calculation time, since the control loop
re-plans every millisecond.

    python benchmarks/bench_trajectory.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from graspvla._core import trajectory as _traj
from graspvla.robot import Robot
from graspvla.trajectory import Limits, smooth_path


def problems(n: int, seed: int = 0) -> list[tuple[np.ndarray, ...]]:
    robot = Robot("fr3")
    lim = Limits.franka()
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        p0, pf = rng.uniform(robot.q_min, robot.q_max), rng.uniform(robot.q_min, robot.q_max)
        v0 = rng.uniform(-0.9, 0.9, 7) * lim.velocity
        a0 = rng.uniform(-0.9, 0.9, 7) * lim.acceleration
        vf = rng.uniform(-0.5, 0.5, 7) * lim.velocity if k % 2 else np.zeros(7)
        out.append((p0, v0, a0, pf, vf))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="1,000 problems and 5 paths instead of 10,000 and 30")
    args = ap.parse_args()
    import ruckig
    import toppra as ta
    import toppra.algorithm as algo
    import toppra.constraint as constraint

    lim = Limits.franka()
    n = 1000 if args.quick else 10_000
    probs = problems(n)
    ours_t, ruck_t, ratios = [], [], []
    otg = ruckig.Ruckig(7)
    inp = ruckig.InputParameter(7)
    inp.max_velocity, inp.max_acceleration, inp.max_jerk = lim.velocity, lim.acceleration, lim.jerk
    out_tr = ruckig.Trajectory(7)
    for p0, v0, a0, pf, vf in probs:
        t0 = time.perf_counter()
        tr = _traj.calculate(p0, v0, a0, pf, vf, lim.velocity, lim.acceleration, lim.jerk, 0.0)
        ours_t.append(time.perf_counter() - t0)
        inp.current_position, inp.current_velocity, inp.current_acceleration = p0, v0, a0
        inp.target_position, inp.target_velocity, inp.target_acceleration = pf, vf, np.zeros(7)
        t0 = time.perf_counter()
        otg.calculate(inp, out_tr)
        ruck_t.append(time.perf_counter() - t0)
        ratios.append(tr.duration / out_tr.duration)
    ours_t, ruck_t = np.array(ours_t) * 1e6, np.array(ruck_t) * 1e6

    n_paths = 5 if args.quick else 30
    rng = np.random.default_rng(1)
    robot = Robot("fr3")
    w_ours, w_top, w_ratio = [], [], []
    for _ in range(n_paths):
        W = [0.5 * (robot.q_min + robot.q_max)]
        d = rng.normal(size=7)
        for _ in range(9):
            d = d / np.linalg.norm(d) + 0.8 * rng.normal(size=7) / np.sqrt(7)
            W.append(W[-1] + rng.uniform(0.1, 0.4) * d / np.linalg.norm(d))
        W = np.array(W)
        t0 = time.perf_counter()
        ours = smooth_path(W, lim)
        w_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        path = ta.SplineInterpolator(np.linspace(0, 1, len(W)), W)
        inst = algo.TOPPRA([constraint.JointVelocityConstraint(np.stack([-lim.velocity, lim.velocity], 1)),
                            constraint.JointAccelerationConstraint(np.stack([-lim.acceleration, lim.acceleration], 1))],
                           path, parametrizer="ParametrizeConstAccel")
        jnt = inst.compute_trajectory()
        w_top.append(time.perf_counter() - t0)
        w_ratio.append(ours.duration / jnt.duration)

    print(f"\nPoint-to-point, 7 DoF, FR3 limits, {n} random problems (half with non-zero target velocity)")
    print("| calculation time (us, from Python) | graspvla | ruckig | ratio ours/ruckig |")
    print("|---|---|---|---|")
    for name, f in (("mean", np.mean), ("median", np.median), ("p99", lambda x: np.percentile(x, 99)), ("worst", np.max)):
        print(f"| {name} | {f(ours_t):.2f} | {f(ruck_t):.2f} | {f(ours_t) / f(ruck_t):.2f} |")
    r = np.array(ratios)
    print(f"trajectory duration ours/ruckig: median {np.median(r):.6f}, max {r.max():.6f}, min {r.min():.6f}")
    print(f"\nWaypoint paths, 10 waypoints x 7 DoF, {n_paths} paths")
    print("| | graspvla (jerk-limited, C2) | toppra (acc-limited) | ratio |")
    print("|---|---|---|---|")
    print(f"| parameterisation time (ms, median) | {1e3 * np.median(w_ours):.2f} | {1e3 * np.median(w_top):.2f} | "
          f"{np.median(w_ours) / np.median(w_top):.3f} |")
    print(f"| trajectory duration ratio ours/toppra (median) | | | {np.median(w_ratio):.3f} |")


if __name__ == "__main__":
    main()
