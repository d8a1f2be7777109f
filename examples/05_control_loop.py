"""Example 5: the 1 kHz C++ control loop on the MuJoCo backend: stream a Cartesian action chunk
(TCP poses in the base frame), let the loop blend into it, and read the recorded ticks.

    python examples/05_control_loop.py [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np

from graspvla.control import ControlLoop, ControllerConfig, LoopConfig, SimBackend
from graspvla.robot import Frame, Robot
from graspvla.scene.layout import HOME_Q


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--realtime", action="store_true", help="tick on wall-clock deadlines instead of lockstep")
    ap.add_argument("--quick", action="store_true", help="one short chunk")
    args = ap.parse_args(argv)
    start = Robot("fr3").fk(HOME_Q, Frame.TCP)
    chunk = np.repeat(start[None], 4, axis=0)
    chunk[:, 0, 3] += np.linspace(0.01, 0.04, 4)  # 4 cm forward over 4 steps of 0.1 s
    loop = ControlLoop(SimBackend.fr3(q0=HOME_Q), ControllerConfig(mode="cartesian_impedance"),
                       LoopConfig(lockstep=not args.realtime))
    with loop:
        if args.realtime:
            loop.send_pose_chunk(chunk, dt=0.1)
            loop.run_for(0.6 if args.quick else 1.5)
        else:
            loop.step(100)
            loop.send_pose_chunk(chunk, dt=0.1)
            loop.step(600 if args.quick else 1500)
        trace = loop.read_records()
        print(f"{len(trace)} ticks, TCP moved {1e3 * (trace.x[-1, 0] - trace.x[0, 0]):.1f} mm in x, "
              f"tick compute mean {trace.compute_us.mean():.1f} us, max {trace.compute_us.max():.1f} us, "
              f"stop reason {loop.stop_reason}")


if __name__ == "__main__":
    main()
