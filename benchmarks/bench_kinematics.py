"""Kinematics and dynamics: graspvla vs pinocchio on the same inputs, in one run.

Prints one table: per operation, our time, pinocchio's time (both called from Python, as a
user would), and the ratio pinocchio/ours (> 1 means we are faster). Batched rows use N
configurations: ours is one call over all cores, pinocchio a Python loop (it has no batch API).

    python benchmarks/bench_kinematics.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sysconfig
import time
from collections.abc import Callable

import numpy as np

from graspvla._core import get_num_threads
from graspvla._core import robot as _robot
from graspvla.robot import Frame, Robot


def best_of(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Best mean seconds per call over `repeat` rounds of `number` calls."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, N=1000")
    args = ap.parse_args()
    import pinocchio as pin

    n = 1000 if args.quick else 10_000
    number = 200 if args.quick else 2000
    repeat = 3 if args.quick else 5

    urdf = os.path.join(sysconfig.get_paths()["purelib"],
                        "cmeel.prefix/share/example-robot-data/robots/panda_description/urdf/panda.urdf")
    full = pin.buildModelFromUrdf(urdf)
    pm = pin.buildReducedModel(full, [full.getJointId("panda_finger_joint1"), full.getJointId("panda_finger_joint2")],
                               np.zeros(full.nq))
    pd = pm.createData()
    fid = pm.getFrameId("panda_hand_tcp")
    robot = Robot("panda")
    rng = np.random.default_rng(0)
    qs = robot.random_configurations(n, rng)
    q = qs[0]
    targets = robot.fk(qs, Frame.TCP)
    rows: list[tuple[str, float, float]] = []

    def pin_fk() -> None:
        pin.framesForwardKinematics(pm, pd, q)

    def pin_fk_jac() -> None:
        pin.computeFrameJacobian(pm, pd, q, fid, pin.LOCAL_WORLD_ALIGNED)

    rows.append(("FK all frames, 1 config", best_of(lambda: _robot.forward_kinematics(robot.model, q), repeat, number),
                 best_of(pin_fk, repeat, number)))
    rows.append(("FK + TCP Jacobian, 1 config", best_of(lambda: _robot.jacobian(robot.model, q, 9), repeat, number),
                 best_of(pin_fk_jac, repeat, number)))
    rows.append(("gravity torques, 1 config", best_of(lambda: _robot.gravity_torques(robot.model, q), repeat, number),
                 best_of(lambda: pin.computeGeneralizedGravity(pm, pd, q), repeat, number)))
    rows.append(("mass matrix, 1 config", best_of(lambda: _robot.mass_matrix(robot.model, q), repeat, number),
                 best_of(lambda: pin.crba(pm, pd, q), repeat, number)))
    dq = np.ones(7)
    rows.append(("RNEA, 1 config", best_of(lambda: _robot.inverse_dynamics(robot.model, q, dq, dq), repeat, number),
                 best_of(lambda: pin.rnea(pm, pd, q, dq, dq), repeat, number)))

    def pin_batch_fk() -> None:
        for qq in qs:
            pin.framesForwardKinematics(pm, pd, qq)

    def pin_batch_jac() -> None:
        for qq in qs:
            pin.computeFrameJacobian(pm, pd, qq, fid, pin.LOCAL_WORLD_ALIGNED)

    rows.append((f"FK all frames, batch N={n}", best_of(lambda: robot.fk(qs), 3, 1), best_of(pin_batch_fk, 2, 1)))
    rows.append((f"TCP Jacobian, batch N={n}", best_of(lambda: robot.jacobian(qs), 3, 1), best_of(pin_batch_jac, 2, 1)))
    one_thread = best_of(lambda: _robot.forward_kinematics_batch(robot.model, qs, -1, None, 1), 3, 1)

    # IK: ours (C++ DLS, batched) vs a pinocchio DLS loop in Python (the usual way to do IK with it).
    n_ik = 100 if args.quick else 500
    seeds = np.tile(0.5 * (robot.q_min + robot.q_max), (n_ik, 1))
    t0 = time.perf_counter()
    _, ok, _ = robot.ik_batch(targets[:n_ik], seeds)
    ours_ik = (time.perf_counter() - t0) / n_ik

    def pin_ik(T: np.ndarray, q0: np.ndarray) -> bool:
        qq = q0.copy()
        target = pin.SE3(T[:3, :3], T[:3, 3])
        for _ in range(300):
            pin.framesForwardKinematics(pm, pd, qq)
            err = pin.log6(pd.oMf[fid].actInv(target)).vector
            if np.linalg.norm(err) < 1e-6:
                return True
            J = pin.computeFrameJacobian(pm, pd, qq, fid, pin.LOCAL)
            J = -pin.Jlog6(pd.oMf[fid].actInv(target)) @ J
            qq = np.clip(qq - J.T @ np.linalg.solve(J @ J.T + 1e-6 * np.eye(6), err), pm.lowerPositionLimit,
                         pm.upperPositionLimit)
        return False

    t0 = time.perf_counter()
    pin_ok = sum(pin_ik(T, s) for T, s in zip(targets[:n_ik], seeds))
    pin_ik_t = (time.perf_counter() - t0) / n_ik
    rows.append((f"DLS IK per pose (N={n_ik})", ours_ik, pin_ik_t))
    qa = qs[:n_ik]
    t0 = time.perf_counter()
    for T, qq in zip(targets[:n_ik], qa):
        _robot.ik_analytic(robot.model, T, qq[6], 9)
    rows.append((f"analytic IK, all branches (N={n_ik})", (time.perf_counter() - t0) / n_ik, pin_ik_t))

    print(f"\ngraspvla vs pinocchio {pin.__version__} (Panda, {get_num_threads()} threads for batches)\n")
    print(f"| {'operation':32s} | {'graspvla':>12s} | {'pinocchio':>12s} | {'ratio pin/ours':>14s} |")
    print(f"|{'-' * 34}|{'-' * 14}|{'-' * 14}|{'-' * 16}|")
    for name, ours, peer in rows:
        print(f"| {name:32s} | {ours * 1e6:9.2f} us | {peer * 1e6:9.2f} us | {peer / ours:13.2f}x |")
    print(f"\nbatched FK scaling: 1 thread {one_thread * 1e3:.2f} ms, {get_num_threads()} threads "
          f"{rows[5][1] * 1e3:.2f} ms ({one_thread / rows[5][1]:.2f}x)")
    print(f"IK success: graspvla {100 * ok.mean():.1f}% (with restarts), pinocchio-DLS loop {100 * pin_ok / n_ik:.1f}% "
          "(single start, no restarts)")


if __name__ == "__main__":
    main()
