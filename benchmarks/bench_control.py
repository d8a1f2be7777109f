"""Benchmark of the 1 kHz control loop (graspvla.control).

1. Tick compute time (mean, p99, p99.9, worst) and period jitter of each controller on the MuJoCo
   backend, real-time thread, a Python "policy" streaming 10 Hz chunks.
2. Missed deadlines while another Python thread holds the GIL in 30 ms bursts (20 Hz), ours vs a
   plain Python 1 kHz loop doing the same job (MuJoCo step + joint PD, via the mujoco bindings).
3. The pylibfranka bridge vs a plain pylibfranka Python loop against franky-sim on 127.0.0.1
   (joint impedance hold + sine), with and without the GIL bursts.

    python benchmarks/bench_control.py            # 60 s per loop run
    python benchmarks/bench_control.py --quick    # 3 s per run
    python benchmarks/bench_control.py --no-franky-sim
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from graspvla.control import ControlLoop, ControllerConfig, LoopConfig, SimBackend, Trace, fr3_mjcf

HOME = np.array([0.0, 0.0, 0.0, -1.57079, 0.0, 1.57079, -0.7853])
K = np.array([600, 600, 600, 600, 250, 150, 50.0])
D = np.array([50, 50, 50, 50, 30, 25, 15.0])


class GilHog:
    """A Python thread holding the GIL in `burst` s bursts (pure-Python busy work) at `rate` Hz."""

    def __init__(self, burst: float = 0.030, rate: float = 20.0) -> None:
        self.burst, self.period = burst, 1.0 / rate
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            t0 = time.perf_counter()
            x = 0
            while time.perf_counter() - t0 < self.burst:  # no release: sys.setswitchinterval applies
                for i in range(200):
                    x += i
            time.sleep(max(0.0, self.period - self.burst))

    def __enter__(self) -> "GilHog":
        self._t.start()
        return self

    def __exit__(self, *a: object) -> None:
        self._stop.set()
        self._t.join()


def stats_of(period_us: np.ndarray, compute_us: np.ndarray | None, missed: int, n: int) -> dict[str, float]:
    p = period_us[1:]
    out = {
        "ticks": float(n),
        "period_mean": p.mean(), "period_std": p.std(), "period_p99": np.percentile(p, 99), "period_max": p.max(),
        "missed": float(missed), "missed_pct": 100.0 * missed / max(1, n + missed),
    }
    if compute_us is not None:
        out.update(compute_mean=compute_us.mean(), compute_p99=np.percentile(compute_us, 99),
                   compute_p999=np.percentile(compute_us, 99.9), compute_max=compute_us.max())
    return out


def run_ours(mode: str, seconds: float, gil_hog: bool = False, backend=None) -> dict[str, float]:
    backend = backend or SimBackend.fr3()
    cfg = ControllerConfig(mode=mode, watchdog_hold=5.0, watchdog_stop=10.0, force_threshold=0.0)  # type: ignore[arg-type]
    loop = ControlLoop(backend, cfg, LoopConfig(rt_priority=80, lock_memory=False, record_capacity=1 << 17))
    parts: list[Trace] = []
    with loop:
        time.sleep(0.2)
        q0 = loop.state().q.copy()
        x0 = loop.state().x.copy()
        from graspvla.robot import Frame, Robot

        T0 = Robot("fr3").fk(q0, Frame.TCP)
        t_end = time.perf_counter() + seconds
        ctx = GilHog() if gil_hog else None
        if ctx:
            ctx.__enter__()
        try:
            k = 0
            while time.perf_counter() < t_end:  # a 10 Hz policy sending 8-point chunks
                now = loop.now()
                ts = now + 0.1 * np.arange(1, 9)
                if mode == "cartesian_impedance":
                    poses = np.repeat(T0[None], 8, axis=0)
                    poses[:, :3, 3] = x0 + 0.05 * np.stack([np.sin(ts), np.cos(ts) - 1, 0 * ts], axis=1)
                    loop.send_pose_chunk(poses, dt=0.1, stamp=now)
                else:
                    loop.send_joint_chunk(HOME + 0.1 * np.sin(ts)[:, None], dt=0.1, stamp=now)
                k += 1
                time.sleep(0.1)
                parts.append(loop.read_records())
        finally:
            if ctx:
                ctx.__exit__()
        st = loop.stats()
    parts.append(loop.read_records())
    tr = Trace.concatenate(parts)
    tr = Trace.concatenate([tr])  # noqa
    res = stats_of(tr.period_us, tr.compute_us, int(st["missed_deadlines"]), len(tr))
    res["rt"] = 1.0 if st["realtime"] else 0.0
    res["rt_message"] = st["rt_message"]  # type: ignore[assignment]
    return res


def run_python_loop(seconds: float, gil_hog: bool = False) -> dict[str, float]:
    """Peer: the same job in a plain Python 1 kHz loop (absolute deadlines, mujoco bindings)."""
    import mujoco

    m = mujoco.MjModel.from_xml_string(fr3_mjcf())
    m.opt.timestep = 0.001
    m.actuator_gainprm[:7] = 0
    m.actuator_biasprm[:7] = 0
    m.body_gravcomp[:] = 1.0
    d = mujoco.MjData(m)
    mujoco.mj_resetDataKeyframe(m, d, 0)
    period = 0.001
    n = int(seconds / period)
    periods = np.zeros(n)
    compute = np.zeros(n)
    missed = 0
    ctx = GilHog() if gil_hog else None
    if ctx:
        ctx.__enter__()
    try:
        t0 = time.perf_counter()
        nxt = t0
        last = t0
        k = 0
        while k < n:
            nxt += period
            delay = nxt - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            wake = time.perf_counter()
            q = d.qpos[:7]
            dq = d.qvel[:7]
            qd = HOME + 0.1 * np.sin(wake - t0)
            d.qfrc_applied[:7] = K * (qd - q) - D * dq
            mujoco.mj_step(m, d)
            done = time.perf_counter()
            periods[k] = (wake - last) * 1e6
            compute[k] = (done - wake) * 1e6
            last = wake
            k += 1
            if done > nxt + period:
                skipped = int((done - nxt) / period)
                missed += skipped
                nxt += skipped * period
    finally:
        if ctx:
            ctx.__exit__()
    return stats_of(periods, compute, missed, n)


# ---------------------------------------------------------------------------------------------
def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def start_franky_sim() -> subprocess.Popen | None:
    exe = Path(sys.executable).parent / "franky-sim"
    if not exe.exists() or _port_open(1337):
        return None
    p = subprocess.Popen([str(exe), "--simulator", "mujoco", "--hostname", "127.0.0.1"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        if _port_open(1337):
            return p
        time.sleep(0.1)
    os.killpg(p.pid, signal.SIGTERM)
    return None


def run_bridge(seconds: float, gil_hog: bool) -> dict[str, float]:
    from graspvla.control import PylibfrankaBridge

    br = PylibfrankaBridge("127.0.0.1")
    loop = ControlLoop(br, ControllerConfig(force_threshold=0.0, watchdog_hold=5, watchdog_stop=10),
                       LoopConfig(rt_priority=0, record_capacity=1 << 17))
    parts = []
    with loop:
        time.sleep(0.2)
        q0 = loop.state().q.copy()
        ctx = GilHog() if gil_hog else None
        if ctx:
            ctx.__enter__()
        t_end = time.perf_counter() + seconds
        try:
            while time.perf_counter() < t_end:
                now = loop.now()
                ts = 0.1 * np.arange(1, 9) + now
                loop.send_joint_chunk(q0 + 0.05 * np.sin(ts)[:, None], dt=0.1, stamp=now)
                time.sleep(0.1)
                parts.append(loop.read_records())
        finally:
            if ctx:
                ctx.__exit__()
        st = loop.stats()
    parts.append(loop.read_records())
    tr = Trace.concatenate(parts)
    late = int((tr.period_us[1:] > 2000).sum())
    res = stats_of(tr.period_us, tr.compute_us, late, len(tr))
    res["error"] = br.error or st["backend_error"]  # type: ignore[assignment]
    return res


def run_plain_pylibfranka(seconds: float, gil_hog: bool) -> dict[str, float]:
    import pylibfranka as pf

    pol, par = os.sched_getscheduler(0), os.sched_getparam(0)
    robot = pf.Robot("127.0.0.1", pf.RealtimeConfig.kIgnore)
    if os.sched_getscheduler(0) != pol:
        os.sched_setscheduler(0, pol, par)
    ctrl = robot.start_torque_control()
    n = int(seconds / 0.001)
    periods, compute = np.zeros(n), np.zeros(n)
    err = ""
    ctx = GilHog() if gil_hog else None
    if ctx:
        ctx.__enter__()
    try:
        state, _ = ctrl.readOnce()
        q0 = np.array(state.q)
        last = time.perf_counter()
        t0 = last
        for k in range(n):
            state, _ = ctrl.readOnce()
            w = time.perf_counter()
            q, dq = np.asarray(state.q), np.asarray(state.dq)
            tau = K * (q0 + 0.05 * np.sin(w - t0) - q) - D * dq
            cmd = pf.Torques(tau.tolist())
            if k == n - 1:
                cmd.motion_finished = True
            ctrl.writeOnce(cmd)
            compute[k] = (time.perf_counter() - w) * 1e6
            periods[k] = (w - last) * 1e6
            last = w
    except Exception as e:  # a reflex / communication error
        err = str(e)
    finally:
        if ctx:
            ctx.__exit__()
    late = int((periods[1:] > 2000).sum())
    res = stats_of(periods[periods > 0], compute[periods > 0], late, int((periods > 0).sum()))
    res["error"] = err  # type: ignore[assignment]
    return res


def fmt_row(name: str, r: dict[str, float]) -> str:
    c = (f"{r.get('compute_mean', float('nan')):7.1f} {r.get('compute_p99', float('nan')):7.1f} "
         f"{r.get('compute_p999', float('nan')):8.1f} {r.get('compute_max', float('nan')):8.1f}")
    return (f"{name:44s} {int(r['ticks']):7d} {c} {r['period_mean']:8.1f} {r['period_std']:7.1f} "
            f"{r['period_p99']:8.1f} {r['period_max']:8.1f} {int(r['missed']):6d} {r['missed_pct']:6.2f}")


HEADER = (f"{'run':44s} {'ticks':>7s} {'c.mean':>7s} {'c.p99':>7s} {'c.p99.9':>8s} {'c.max':>8s} "
          f"{'per.mean':>8s} {'per.std':>7s} {'per.p99':>8s} {'per.max':>8s} {'missed':>6s} {'miss%':>6s}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 s per run instead of 60 s")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--no-franky-sim", action="store_true")
    args = ap.parse_args()
    secs = args.seconds or (3.0 if args.quick else 60.0)
    print(f"graspvla.control benchmark: {secs:.0f} s per run; times in us; compute = the tick's work (ours: "
          "read incl. MuJoCo forward + control + write incl. mj_step); missed = deadlines passed")
    print(HEADER)
    rows = []
    for mode in ("joint_impedance", "cartesian_impedance", "joint_position"):
        r = run_ours(mode, secs)
        rows.append((f"ours C++ thread, sim, {mode}", r))
        print(fmt_row(*rows[-1]), flush=True)
    print(f"  (real-time: {r['rt_message']})")
    r_ours = run_ours("joint_impedance", secs, gil_hog=True)
    print(fmt_row("ours C++ thread + 30 ms GIL bursts", r_ours), flush=True)
    r_py = run_python_loop(secs)
    print(fmt_row("peer: Python 1 kHz loop (mujoco + PD)", r_py), flush=True)
    r_py_g = run_python_loop(secs, gil_hog=True)
    print(fmt_row("peer: Python 1 kHz loop + 30 ms GIL bursts", r_py_g), flush=True)
    print(f"missed deadlines under GIL bursts: ours {int(r_ours['missed'])} ({r_ours['missed_pct']:.3f} %), "
          f"Python loop {int(r_py_g['missed'])} ({r_py_g['missed_pct']:.2f} %)")
    if args.no_franky_sim:
        return
    p = start_franky_sim()
    if p is None:
        print("franky-sim unavailable (not installed or port 1337 busy): bridge rows skipped")
        return
    try:
        print("\nagainst franky-sim (pylibfranka 0.21.3; the simulator paces the loop; 'missed' = periods > 2 ms)")
        print(HEADER)
        for hog in (False, True):
            tag = " + GIL bursts" if hog else ""
            rb = run_bridge(secs, hog)
            print(fmt_row("ours: pylibfranka bridge (C++ thread)" + tag, rb), rb.get("error") or "", flush=True)
            time.sleep(0.5)
            rp = run_plain_pylibfranka(secs, hog)
            print(fmt_row("peer: plain pylibfranka Python loop" + tag, rp), rp.get("error") or "", flush=True)
            time.sleep(0.5)
        print("franky-control 2.0.0: not benchmarked (installable from PyPI, not a graspvla dependency)")
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(10)


if __name__ == "__main__":
    main()
