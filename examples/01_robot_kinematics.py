"""Example 1: the Franka robot model — forward kinematics, closed-form and numerical IK,
dynamics and self-collision, all in the robot base frame (metres, radians).

    python examples/01_robot_kinematics.py [--robot fr3|panda] [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from graspvla.robot import Frame, Robot


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--robot", choices=["fr3", "panda"], default="fr3")
    ap.add_argument("--finger-extension", type=float, default=0.02, help="extra finger length [m] (GraspVLA: 0.02)")
    ap.add_argument("--quick", action="store_true", help="100 poses instead of 2000")
    args = ap.parse_args(argv)

    robot = Robot(args.robot, finger_extension=args.finger_extension)
    n = 100 if args.quick else 2000
    qs = robot.random_configurations(n, rng=0)
    print(f"{robot}: joint limits [rad]\n  q_min {np.round(robot.q_min, 4)}\n  q_max {np.round(robot.q_max, 4)}")

    home = np.array([0.0, -np.pi / 4, 0.0, -3 * np.pi / 4, 0.0, np.pi / 2, np.pi / 4])
    T = robot.fk(home, Frame.TCP)
    print(f"TCP at the home configuration (base frame):\n{np.round(T, 4)}")

    t0 = time.perf_counter()
    poses = robot.fk(qs, Frame.TCP)  # (n, 4, 4), all cores
    t_fk = time.perf_counter() - t0

    t0 = time.perf_counter()
    recovered = 0
    for q, P in zip(qs, poses):
        sols = robot.ik_analytic(P, q[6])
        recovered += bool(len(sols)) and np.abs(sols - q).max(axis=1).min() < 1e-6
    t_analytic = time.perf_counter() - t0

    t0 = time.perf_counter()
    _, ok, err = robot.ik_batch(poses, seed=0)
    t_dls = time.perf_counter() - t0

    g = robot.gravity(home)
    collide = robot.self_collision(qs)
    print(f"\n{n} random configurations:")
    print(f"  batched FK              {t_fk * 1e3:8.2f} ms")
    print(f"  analytic IK (q7 given)  {t_analytic * 1e3:8.2f} ms, seed recovered {recovered}/{n}")
    print(f"  DLS IK (no seed info)   {t_dls * 1e3:8.2f} ms, success {ok.sum()}/{n}, "
          f"max error {err[ok, 0].max() * 1e6:.3f} um")
    print(f"  self-collision          {collide.sum()}/{n} configurations fold into themselves")
    print(f"gravity torques at home [Nm]: {np.round(g, 3)}")
    return {"analytic_recovered": recovered / n, "dls_success": float(ok.mean()), "self_collision": float(collide.mean())}


if __name__ == "__main__":
    main()
