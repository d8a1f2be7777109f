"""Client run inside a loopback-only network namespace next to franka-sim (see
test_control_franka_sim.py). Writes a JSON report of each scenario to argv[1]."""

from __future__ import annotations

import json
import sys
import threading
import time

import numpy as np

from graspvla.control import ControlLoop, ControllerConfig, LoopConfig, PylibfrankaBridge, StopReason
from graspvla.errors import LimitViolationError

HOST = "127.0.0.1"
SHAPE = np.array([1, 0.5, 1, 0.5, 1, 0.5, 1])


def ours(mode: str, hog: bool = False) -> dict:
    br = PylibfrankaBridge(HOST)
    cfg = ControllerConfig(mode=mode, force_threshold=0.0, watchdog_hold=2.0, watchdog_stop=5.0)  # type: ignore[arg-type]
    loop = ControlLoop(br, cfg, LoopConfig(rt_priority=0))
    stop = threading.Event()

    def hogger() -> None:  # another Python thread holding the GIL in 30 ms bursts at 20 Hz
        while not stop.is_set():
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 0.03:
                sum(range(200))
            time.sleep(0.02)

    th = threading.Thread(target=hogger, daemon=True)
    with loop:
        time.sleep(1.0)  # hold with impedance
        q0 = loop.state().q.copy()
        if hog:
            th.start()
        chunk = q0 + 0.1 * np.sin(np.linspace(0.1, 3.0, 30))[:, None] * SHAPE
        loop.send_joint_chunk(chunk, dt=0.1)
        time.sleep(3.5)
        stop.set()
        st = loop.stats()
        s = loop.state()
    tr = loop.read_records()
    return {"error": br.error, "stop_reason": int(st["stop_reason"]), "ticks": int(st["ticks"]),
            "track_max": float(np.abs(tr.q - tr.q_d).max()), "final_err": float(np.abs(s.q - chunk[-1]).max()),
            "period_max_us": float(tr.period_us[1:].max())}


def broken() -> dict:
    br = PylibfrankaBridge(HOST)
    cfg = ControllerConfig(mode="joint_position", force_threshold=0.0, watchdog_hold=0.2, watchdog_stop=0.6)
    loop = ControlLoop(br, cfg, LoopConfig(rt_priority=0))
    rejected = False
    with loop:
        time.sleep(0.3)
        q0 = loop.state().q.copy()
        loop.send_joint_chunk(np.linspace(q0, q0 + 0.05, 3), dt=0.1)
        time.sleep(0.2)
        try:  # a velocity jump: 10 mrad within 1 ms, the step that trips franka-sim's reflex
            loop.send_joint_chunk(np.stack([q0 + 0.05, q0 + 0.06]), dt=0.001)
        except LimitViolationError:
            rejected = True
        time.sleep(1.5)  # the policy stalls
        st = loop.stats()
    tr = loop.read_records()
    return {"error": br.error, "rejected": rejected, "stop_reason": int(st["stop_reason"]),
            "holding": bool(tr.has_flag("HOLDING").any()), "stopped_at_end": bool(tr.has_flag("STOPPED")[-1])}


def plain(kind: str) -> dict:
    """Without our layer: the same broken commands sent by a plain pylibfranka loop."""
    import pylibfranka as pf

    robot = pf.Robot(HOST, pf.RealtimeConfig.kIgnore)
    ctrl = robot.start_joint_position_control(pf.ControllerMode.JointImpedance)
    err = ""
    try:
        state, _ = ctrl.readOnce()
        q = np.array(state.q)
        for k in range(1500):
            state, _ = ctrl.readOnce()
            if kind == "jump" and k == 200:
                q = q + 0.01
            if kind == "stall" and k == 200:
                time.sleep(0.03)
            cmd = pf.JointPositions(q.tolist())
            if k == 1499:
                cmd.motion_finished = True
            ctrl.writeOnce(cmd)
    except Exception as e:
        err = str(e)
    return {"error": err}


def main() -> None:
    out: dict = {}
    for name, fn in [("impedance", lambda: ours("joint_impedance")), ("position", lambda: ours("joint_position")),
                     ("impedance_gil", lambda: ours("joint_impedance", hog=True)), ("broken", broken),
                     ("plain_jump", lambda: plain("jump")), ("plain_stall", lambda: plain("stall"))]:
        try:
            out[name] = fn()
        except Exception as e:  # report, do not hide
            out[name] = {"exception": f"{type(e).__name__}: {e}"}
        time.sleep(0.3)
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    assert StopReason.NONE is not None
    main()
