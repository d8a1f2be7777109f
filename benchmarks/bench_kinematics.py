"""Kinematics and dynamics: graspvla vs pinocchio on the same inputs, in one run.

Prints one table: per operation, our time, pinocchio's time (both called from Python, as a
user would) and the ratio pinocchio/ours (> 1 means we are faster).

* Single-call rows: microseconds per call, best of several rounds.
* Batched rows (N configurations / poses): milliseconds for the whole batch. Ours is one call
  over all cores with the GIL released; pinocchio has no batch API, so its row is the Python
  loop a user would write (same inputs).
* IK rows: DLS IK is ours (C++, seeded restarts) against a textbook pinocchio DLS loop
  (log6 error, frame Jacobian, damped solve, clamp to limits) from the same mid-range seed.
  The pinocchio loop is slow, so in batch mode it runs on the first ``--pin-ik`` poses of the
  same set and its time is scaled to N (marked ``*``). Pinocchio has no closed-form Franka IK.

    python benchmarks/bench_kinematics.py [--quick] [--robot panda|fr3]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from graspvla._core import get_num_threads
from graspvla._core import robot as _robot
from graspvla.robot import Frame, Robot


def best_of(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Best mean seconds per call over ``repeat`` rounds of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def panda_urdf() -> Path:
    dist = importlib.metadata.distribution("example-robot-data")
    for f in dist.files or []:
        if str(f).replace("\\", "/").endswith("panda_description/urdf/panda.urdf"):
            return Path(str(dist.locate_file(f)))
    raise FileNotFoundError("example-robot-data ships no panda.urdf")


def fr3_urdf() -> Path:
    import franky_sim

    return Path(franky_sim.__file__).parent / "assets" / "fr3_clean.urdf"


def pin_model(pin, name: str):  # type: ignore[no-untyped-def]
    """The arm as a 7-DoF pinocchio model plus the id of its TCP frame."""
    if name == "panda":
        full = pin.buildModelFromUrdf(str(panda_urdf()))
        fingers = [full.getJointId("panda_finger_joint1"), full.getJointId("panda_finger_joint2")]
        model = pin.buildReducedModel(full, fingers, np.zeros(full.nq))
        return model, model.getFrameId("panda_hand_tcp")
    model = pin.buildModelFromUrdf(str(fr3_urdf()))
    fl = model.frames[model.getFrameId("link8")]
    tcp = fl.placement * pin.SE3(pin.utils.rpyToMatrix(0, 0, -np.pi / 4), np.array([0, 0, 0.1034]))
    fid = model.addFrame(pin.Frame("tcp", fl.parentJoint, model.getFrameId("link8"), tcp, pin.FrameType.OP_FRAME))
    return model, fid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N=1000 and fewer repetitions (smoke run)")
    ap.add_argument("--robot", choices=["panda", "fr3"], default="panda")
    ap.add_argument("--pin-ik", type=int, default=None, help="poses for the pinocchio IK loop (default 500, quick 50)")
    args = ap.parse_args()
    import pinocchio as pin

    n = 1000 if args.quick else 10_000
    number = 300 if args.quick else 3000
    repeat = 3 if args.quick else 7
    brepeat = 2 if args.quick else 3
    n_pin_ik = args.pin_ik or (50 if args.quick else 500)

    pm, fid = pin_model(pin, args.robot)
    pd = pm.createData()
    robot = Robot(args.robot)
    rng = np.random.default_rng(0)
    qs = robot.random_configurations(n, rng)
    dqs, ddqs = rng.uniform(-1, 1, qs.shape), rng.uniform(-5, 5, qs.shape)
    q, dq, ddq = qs[0], dqs[0], ddqs[0]
    targets = robot.fk(qs, Frame.TCP)
    tcp = Frame.TCP
    rows: list[tuple[str, float, float | None, str]] = []  # name, ours [s], pinocchio [s], unit

    def single(name: str, ours: Callable[[], object], peer: Callable[[], object] | None) -> None:
        rows.append((name, best_of(ours, repeat, number), None if peer is None else best_of(peer, repeat, number), "us"))

    # ---- single calls ------------------------------------------------------------------
    single("FK all 10 frames", lambda: _robot.forward_kinematics(robot.model, q),
           lambda: pin.framesForwardKinematics(pm, pd, q))
    single("FK + TCP Jacobian", lambda: _robot.jacobian(robot.model, q, tcp),
           lambda: pin.computeFrameJacobian(pm, pd, q, fid, pin.LOCAL_WORLD_ALIGNED))
    single("FK + Jacobian, typed Robot API", lambda: robot.jacobian(q, Frame.TCP),
           lambda: pin.computeFrameJacobian(pm, pd, q, fid, pin.LOCAL_WORLD_ALIGNED))
    single("gravity torques", lambda: _robot.gravity_torques(robot.model, q),
           lambda: pin.computeGeneralizedGravity(pm, pd, q))
    single("mass matrix (CRBA)", lambda: _robot.mass_matrix(robot.model, q), lambda: pin.crba(pm, pd, q))
    single("RNEA", lambda: _robot.inverse_dynamics(robot.model, q, dq, ddq), lambda: pin.rnea(pm, pd, q, dq, ddq))

    # ---- batches -----------------------------------------------------------------------
    def batch(name: str, ours: Callable[[], object], peer: Callable[[], object] | None) -> None:
        rows.append((f"{name}, N={n}", best_of(ours, brepeat, 1), None if peer is None else best_of(peer, brepeat, 1), "ms"))

    def loop(fn: Callable[..., object], *arrays: np.ndarray) -> Callable[[], None]:
        def run() -> None:
            for a in zip(*arrays):
                fn(*a)
        return run

    batch("FK all frames", lambda: robot.fk(qs), loop(lambda x: pin.framesForwardKinematics(pm, pd, x), qs))
    batch("TCP Jacobian", lambda: robot.jacobian(qs, Frame.TCP),
          loop(lambda x: pin.computeFrameJacobian(pm, pd, x, fid, pin.LOCAL_WORLD_ALIGNED), qs))
    batch("gravity torques", lambda: robot.gravity(qs), loop(lambda x: pin.computeGeneralizedGravity(pm, pd, x), qs))
    batch("mass matrix", lambda: robot.mass_matrix(qs), loop(lambda x: pin.crba(pm, pd, x), qs))
    batch("RNEA", lambda: robot.rnea(qs, dqs, ddqs), loop(lambda a, b, c: pin.rnea(pm, pd, a, b, c), qs, dqs, ddqs))

    # ---- IK ----------------------------------------------------------------------------
    mid = 0.5 * (robot.q_min + robot.q_max)

    def pin_ik(T: np.ndarray) -> bool:
        qq = mid.copy()
        target = pin.SE3(T[:3, :3], T[:3, 3])
        for _ in range(300):
            pin.framesForwardKinematics(pm, pd, qq)
            dM = pd.oMf[fid].actInv(target)
            err = pin.log6(dM).vector
            if np.linalg.norm(err) < 1e-6:
                return True
            J = -pin.Jlog6(dM.inverse()) @ pin.computeFrameJacobian(pm, pd, qq, fid, pin.LOCAL)
            qq = np.clip(qq - J.T @ np.linalg.solve(J @ J.T + 1e-6 * np.eye(6), err),
                         pm.lowerPositionLimit, pm.upperPositionLimit)
        return False

    t0 = time.perf_counter()
    pin_ok = sum(pin_ik(T) for T in targets[:n_pin_ik])
    pin_ik_t = (time.perf_counter() - t0) / n_pin_ik
    t0 = time.perf_counter()
    one = robot.ik(targets[0])
    for T in targets[1:n_pin_ik]:
        robot.ik(T)
    ours_single_ik = (time.perf_counter() - t0) / n_pin_ik
    rows.append((f"DLS IK, 1 pose (mean of {n_pin_ik})", ours_single_ik, pin_ik_t, "us"))
    t0 = time.perf_counter()
    res = robot.ik_batch(targets)
    ik_all = time.perf_counter() - t0
    rows.append((f"DLS IK, N={n}", ik_all, pin_ik_t * n, "ms*"))
    t0 = time.perf_counter()
    ik_one_thread = robot.ik_batch(targets[: n // 10], threads=1)
    ik_1t = (time.perf_counter() - t0) * 10
    single("closed-form IK (q7 given), 1 pose", lambda: _robot.ik_analytic(robot.model, targets[0], qs[0, 6], tcp),
           None)
    t0 = time.perf_counter()
    an = robot.ik_analytic_batch(targets, qs[:, 6])
    rows.append((f"closed-form IK, N={n}", time.perf_counter() - t0, None, "ms"))
    fk_1t = best_of(lambda: _robot.forward_kinematics_batch(robot.model, qs, -1, None, 1), brepeat, 1)
    fk_all = next(r[1] for r in rows if r[0].startswith("FK all frames, N="))

    # ---- table -------------------------------------------------------------------------
    print(f"\ngraspvla vs pinocchio {pin.__version__}: {args.robot}, {get_num_threads()} threads for batches, "
          f"N={n}\n")
    print(f"| {'operation':38s} | {'graspvla':>12s} | {'pinocchio':>12s} | {'pin/ours':>9s} |")
    print(f"|{'-' * 40}|{'-' * 14}|{'-' * 14}|{'-' * 11}|")
    for name, ours, peer, unit in rows:
        scale = 1e6 if unit == "us" else 1e3
        u = unit.rstrip("*")
        p = "n/a" if peer is None else f"{peer * scale:9.2f}{'*' if unit.endswith('*') else ' '}{u}"
        r = "" if peer is None else f"{peer / ours:8.2f}x"
        print(f"| {name:38s} | {ours * scale:9.2f} {u} | {p:>12s} | {r:>9s} |")
    print(f"\n* pinocchio DLS loop timed on {n_pin_ik} of the same poses and scaled to N.")
    print(f"DLS IK success: graspvla {100 * res.success_rate:.1f}% of {n} (single call on pose 0: "
          f"{'ok' if one.success else 'failed'}), pinocchio loop {100 * pin_ok / n_pin_ik:.1f}% of {n_pin_ik} "
          "(same seed, no restarts)")
    print(f"closed-form IK: {100 * an.success.mean():.1f}% of poses have a solution with the true q7, "
          f"{an.counts.mean():.2f} solutions per pose on average")
    print(f"scaling: FK batch 1 thread {fk_1t * 1e3:.2f} ms -> {get_num_threads()} threads {fk_all * 1e3:.2f} ms "
          f"({fk_1t / fk_all:.2f}x); DLS IK batch 1 thread {ik_1t:.2f} s -> {ik_all:.2f} s ({ik_1t / ik_all:.2f}x; "
          f"1-thread time from N/10, success {100 * ik_one_thread.success_rate:.1f}%)")


if __name__ == "__main__":
    main()
