"""Executing action chunks through the 1 kHz C++ control loop (``SimGraspEnv`` with
``SimEnvConfig(executor="control_loop")``).

The environment's MuJoCo model/data (the scene :class:`graspvla.sim.Simulator` renders) is
attached to a :class:`graspvla.control.SimBackend`, and a lockstep
:class:`graspvla.control.ControlLoop` steps it once per 1 ms tick: the arm follows the chained
absolute TCP waypoints (base frame) with the Cartesian impedance controller (GraspVLA's deployment
mode; or joint targets from IK in the joint modes), and the gripper goes through the loop's
non-real-time gripper channel. Execution follows the original client's blocking mode: the
waypoints between gripper changes form one chunk (one point every ``action_dt`` seconds); before
a gripper change the arm reaches its last waypoint, then the gripper command runs to completion
(open: move to 8 cm; close: grasp at ``grasp_force`` N).

Safety stays on: a chunk the loop rejects (NaN, outside the workspace above the table, too fast)
leaves the arm holding its last target (counted in ``rejected_chunks``); a stop (e.g. the
external-force retreat, 5 cm up above 15 N) ends the chunk, as the original client re-queries the
policy after its recovery: the rest of the chunk is dropped, the stop counted in ``stops``, and the
loop resumes holding the current pose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["LoopExecutor"]


class LoopExecutor:
    """Runs chained waypoints ``[(tcp_pose 4x4, gripper value)]`` through a lockstep ControlLoop
    on the simulator's own MuJoCo data. ``config`` is the environment's ``SimEnvConfig``."""

    def __init__(self, sim: Any, config: Any, table_z: float, robot: Any) -> None:
        from graspvla.control import ControlLoop, ControllerConfig, LoopConfig, SimBackend

        self.sim = sim
        self.config = config
        self.robot = robot
        self.backend = SimBackend.attach(sim.model, sim.data)
        if not self.backend.has_gripper:
            raise RuntimeError("the scene model has no gripper actuator the control loop can drive")
        cc = ControllerConfig(mode=config.loop_mode, watchdog_hold=2.0, watchdog_stop=10.0,
                              workspace_min=(-0.9, -0.9, float(table_z) - 0.02))
        self.loop = ControlLoop(self.backend, cc, LoopConfig(lockstep=True, record_capacity=1 << 14))
        self.loop.start()
        self.loop.step(1)
        self.rejected_chunks = 0
        self.stops = 0
        self.gripper_commands = 0

    def close(self) -> None:
        self.loop.stop()

    # ---- execution ---------------------------------------------------------------------------
    def execute(self, waypoints: list[tuple[np.ndarray, float]], gripper_open: bool,
                on_waypoint: Callable[[bool], None] | None = None) -> bool:
        """Runs the waypoints; returns the gripper state afterwards (True = open).
        ``on_waypoint(gripper_open)`` is called once each waypoint's time slot (``action_dt``)
        has been stepped, so the caller can sample the state at the data's frame rate."""
        import mujoco

        pending: list[np.ndarray] = []
        for pose, g in waypoints:
            change = (g < 0.4 and gripper_open) or (g > 0.6 and not gripper_open)
            if change:
                self._run_chunk(pending, gripper_open, on_waypoint)
                pending = []
                if self._stopped():
                    break
                gripper_open = not gripper_open
                self._gripper(gripper_open)
                if self._stopped():
                    break
            pending.append(pose)
        else:
            self._run_chunk(pending, gripper_open, on_waypoint)
            self._stopped()
        self.loop.read_records()  # the trace is not kept: drain the ring
        mujoco.mj_forward(self.sim.model, self.sim.data)  # observations see the current state
        return gripper_open

    def _run_chunk(self, poses: list[np.ndarray], gripper_open: bool,
                   on_waypoint: Callable[[bool], None] | None) -> None:
        from graspvla.errors import ControlError, InvalidInputError, LimitViolationError

        if not poses:
            return
        loop, cfg = self.loop, self.config
        dt = float(cfg.action_dt)
        try:
            if cfg.loop_mode == "cartesian_impedance":
                loop.send_pose_chunk(np.array(poses), dt=dt)
            else:
                loop.send_joint_chunk(self._ik(poses), dt=dt)
        except (InvalidInputError, LimitViolationError, ControlError):
            self.rejected_chunks += 1  # the arm holds its last safe target
            return
        ticks = int(round(dt / loop.loop_config.period))
        for _ in poses:  # one slot per waypoint, as the chunk was timed
            loop.step(ticks)
            if on_waypoint is not None:
                on_waypoint(gripper_open)
        self._wait_for_reach(poses[-1])

    def _stopped(self) -> bool:
        """True (and the loop resumed, holding the current pose) if the controller stopped."""
        s = self.loop.state()
        if s is None or int(s.stop_reason) == 0:
            return False
        self.stops += 1
        self.loop.resume()
        self.loop.step(1)
        return True

    def _wait_for_reach(self, pose: np.ndarray) -> None:
        """Step until the TCP is within ``reach_tolerance`` of ``pose`` (and 3 degrees) and at
        rest (< 2 cm/s), or ``max_settle`` seconds passed."""
        cfg = self.config
        ticks = int(round(0.01 / self.loop.loop_config.period))
        prev = self.sim.tcp_pose()[:3, 3].copy()
        for _ in range(int(cfg.max_settle / 0.01)):
            self.loop.step(ticks)
            T = self.sim.tcp_pose()
            dR = T[:3, :3].T @ pose[:3, :3]
            angle = float(np.arccos(np.clip((np.trace(dR) - 1.0) / 2.0, -1.0, 1.0)))
            still = np.linalg.norm(T[:3, 3] - prev) < 0.02 * 0.01
            prev = T[:3, 3].copy()
            if still and np.linalg.norm(T[:3, 3] - pose[:3, 3]) < cfg.reach_tolerance and angle < np.deg2rad(3.0):
                return

    def _gripper(self, open_: bool) -> None:
        cfg = self.config
        if open_:
            seq = self.loop.open_gripper(0.08, cfg.gripper_speed)
        else:  # GraspVLA: grasp at 30 N, width 0.04 +- 0.04 m
            seq = self.loop.grasp(width=0.0, speed=cfg.gripper_speed, force=cfg.grasp_force, epsilon_inner=0.005,
                                  epsilon_outer=0.08)
        self.gripper_commands += 1
        ticks = int(round(0.01 / self.loop.loop_config.period))
        for _ in range(int(3.0 / 0.01)):  # the Hand finishes within ~1 s at 0.1 m/s
            self.loop.step(ticks)
            s = self.loop.state()
            if s is not None and s.gripper_seq == seq and not s.gripper_busy:
                return

    def _ik(self, poses: list[np.ndarray]) -> np.ndarray:
        q = self.sim.joint_state().q
        out = []
        for pose in poses:
            res = self.robot.ik(pose, q_seed=np.clip(q, self.robot.q_min, self.robot.q_max), restarts=0)
            q = res.q if res.success else q  # unreachable: hold the previous point
            out.append(q)
        return np.array(out)
