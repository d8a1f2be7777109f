"""Python front end of the C++ 1 kHz control loop: start/stop, stream targets, read states."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graspvla._core import control as _c
from graspvla.control.config import ControllerConfig, LoopConfig
from graspvla.errors import ControlError, InvalidInputError, LimitViolationError

F = NDArray[np.float64]
StopReason = _c.StopReason
FLAGS: dict[str, int] = dict(_c.FLAGS)

# Record column layout (csrc/include/graspvla/control/types.hpp, struct Record)
_COLS: list[tuple[str, int]] = [
    ("t", 1), ("q", 7), ("dq", 7), ("q_d", 7), ("dq_d", 7), ("ddq_d", 7), ("command", 7), ("x", 3),
    ("x_d", 3), ("f_ext", 1), ("stop_reason", 1), ("flags", 1), ("compute_us", 1), ("period_us", 1), ("seq", 1),
    ("gripper_width", 1), ("cycles", 1),
]
assert sum(n for _, n in _COLS) == _c.RECORD_WIDTH


@dataclass
class Trace:
    """Recorded 1 kHz ticks (N rows). ``q_d/dq_d/ddq_d``: desired joint motion from the online
    trajectory generator; in Cartesian mode their first 6 columns are the generator's coordinates
    (x, y, z in m; rotation vector about the start orientation in rad). ``command``: torque without
    gravity (torque modes, Nm) or commanded joint positions (joint_position mode, rad).
    ``gripper_width``: measured opening width (m; 0 without a gripper); flags ``GRIPPER_BUSY`` /
    ``GRIPPER_GRASPED`` carry the gripper's status. ``cycles``: control periods the tick stands
    for (1; more when a robot reported lost cycles and the desired motion advanced as far)."""

    t: F
    q: F
    dq: F
    q_d: F
    dq_d: F
    ddq_d: F
    command: F
    x: F
    x_d: F
    f_ext: F
    stop_reason: NDArray[np.int64]
    flags: NDArray[np.int64]
    compute_us: F
    period_us: F
    seq: NDArray[np.int64]
    gripper_width: F
    cycles: NDArray[np.int64]

    @staticmethod
    def from_array(a: F) -> "Trace":
        out: dict[str, Any] = {}
        c = 0
        for name, n in _COLS:
            col = a[:, c] if n == 1 else a[:, c:c + n]
            if name in ("stop_reason", "flags", "seq", "cycles"):
                col = col.astype(np.int64)
            out[name] = np.ascontiguousarray(col)
            c += n
        return Trace(**out)

    @staticmethod
    def concatenate(parts: list["Trace"]) -> "Trace":
        names = [n for n, _ in _COLS]
        return Trace(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})

    def __len__(self) -> int:
        return len(self.t)

    def has_flag(self, name: str) -> NDArray[np.bool_]:
        return (self.flags & FLAGS[name]) != 0


@dataclass
class LoopState:
    """The latest tick: measured q/dq (rad, rad/s), estimated external torques (Nm), desired joint
    motion, TCP position x and desired x_d (m, base frame), external force norm (N); the gripper's
    opening width (m), whether it is executing a command (``gripper_busy``), holds an object
    (``gripper_grasped``: the last grasp's width is inside its epsilons) and the sequence number of
    the gripper command executing or last executed."""

    time: float
    tick: int
    q: F
    dq: F
    tau_ext: F
    q_d: F
    dq_d: F
    command: F
    x: F
    x_d: F
    f_ext: float
    stop_reason: StopReason
    flags: int
    seq: int
    gripper_width: float = 0.0
    gripper_busy: bool = False
    gripper_grasped: bool = False
    gripper_seq: int = 0


GripperAction = _c.GripperAction


def _raise_for(status: int, what: str) -> None:
    if status == 0:
        return
    if status == -2:
        raise LimitViolationError(f"{what}: outside the robot limits / workspace, or points too far apart for the "
                                  "velocity limit (target rejected, the last safe target stays in force)")
    if status == -5:
        raise ControlError(f"{what}: this backend has no gripper (SimConfig.gripper_actuator not in the model, or "
                           "a PylibfrankaBridge without a gripper)")
    raise InvalidInputError(f"{what}: rejected (status {status}: non-finite values, bad length/dt/quaternion, or "
                            "a target kind that does not match the control mode)")


def poses_to_points(poses: np.ndarray) -> F:
    """(L,4,4) or (4,4) TCP poses -> (L,7) rows x, y, z, qw, qx, qy, qz; (L,7)/(7,) pass through."""
    from graspvla.geometry.rotations import matrix_to_quat

    p = np.asarray(poses, dtype=np.float64)
    if p.shape[-2:] == (4, 4):
        p = p.reshape(-1, 4, 4)
        quat = np.asarray(matrix_to_quat(p[:, :3, :3])).reshape(-1, 4)
        return np.ascontiguousarray(np.concatenate([p[:, :3, 3], quat], axis=1))
    if p.shape[-1] == 7:
        return np.ascontiguousarray(p.reshape(-1, 7))
    raise InvalidInputError(f"poses: expected (L,4,4), (4,4), (L,7) or (7,), got shape {p.shape}")


class ControlLoop:
    """The 1 kHz loop around a backend (``SimBackend`` here; libfranka when compiled in).

    Real-time mode (default): a C++ thread ticks on absolute deadlines; ``send_*`` and ``state``
    can be called from any Python thread and never block the loop. Lockstep mode: ``step(n)`` runs
    n ticks on the calling thread in virtual time (deterministic). Use as a context manager.
    """

    def __init__(self, backend: Any, controller: ControllerConfig | None = None, loop: LoopConfig | None = None,
                 robot: str = "fr3", finger_extension: float = 0.0) -> None:
        self.controller_config = controller or ControllerConfig()
        self.loop_config = loop or LoopConfig()
        self.backend = backend
        io = getattr(backend, "_io", backend)
        self._loop = _c.ControlLoop(io, robot, self.controller_config.to_cpp(), self.loop_config.to_cpp(),
                                    finger_extension)
        self._seq = itertools.count(1)
        self._gripper_seq = itertools.count(1)
        self._parts: list[Trace] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "ControlLoop":
        self._loop.start()
        return self

    def stop(self) -> None:
        self._loop.stop()

    def __del__(self) -> None:
        loop = getattr(self, "_loop", None)
        if loop is not None:
            try:
                loop.stop()
            except Exception:  # pragma: no cover - interpreter shutdown
                pass

    def __enter__(self) -> "ControlLoop":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def step(self, n: int) -> int:
        """Lockstep mode only: run n ticks now (GIL released). Returns the ticks run."""
        if n < 0:
            raise InvalidInputError(f"n: must be >= 0, got {n}")
        return int(self._loop.step(int(n)))

    def run_for(self, seconds: float) -> int:
        return self.step(int(round(seconds / self.loop_config.period)))

    def now(self) -> float:
        """Loop time (s): the time base of chunk stamps."""
        return float(self._loop.now())

    def halt(self) -> None:
        """Brake and hold (stop reason REQUESTED) without ending the loop."""
        self._loop.halt()

    def resume(self) -> None:
        """Clear a stop: the controller restarts from the measured state at the next tick."""
        self._loop.resume()

    # -- targets ---------------------------------------------------------------------------------
    def send_joint_chunk(self, q: np.ndarray, dt: float = 0.1, stamp: float | None = None) -> int:
        """Joint targets (L,7) or (7,) rad; point k is due at stamp + (k+1)*dt (stamp defaults to
        now). Raises InvalidInputError / LimitViolationError when rejected. Returns its sequence number."""
        pts = np.ascontiguousarray(np.asarray(q, dtype=np.float64).reshape(-1, 7))
        seq = next(self._seq)
        st = self._loop.push_target(pts, 0, float(dt), self.now() if stamp is None else float(stamp), seq)
        _raise_for(st, "q")
        return seq

    def send_pose_chunk(self, poses: np.ndarray, dt: float = 0.1, stamp: float | None = None) -> int:
        """TCP pose targets in the base frame: (L,4,4)/(4,4) matrices or (L,7) rows
        x, y, z, qw, qx, qy, qz (Cartesian impedance mode)."""
        pts = poses_to_points(poses)
        seq = next(self._seq)
        st = self._loop.push_target(pts, 1, float(dt), self.now() if stamp is None else float(stamp), seq)
        _raise_for(st, "poses")
        return seq

    # -- gripper (non-real-time channel) --------------------------------------------------------
    def send_gripper(self, action: GripperAction | str, width: float = 0.08, speed: float = 0.1,
                     force: float = 30.0, epsilon_inner: float = 0.005, epsilon_outer: float = 0.005) -> int:
        """Queue a gripper command (Franka Hand semantics) on the backend's gripper channel, which
        runs outside the 1 kHz tick; returns at once with its sequence number (``LoopState.gripper_seq``
        / ``gripper_busy`` report its progress). ``action``: ``"move"`` (to ``width`` m at ``speed``
        m/s), ``"grasp"`` (close towards ``width`` and squeeze with ``force`` N per finger; grasped if
        the final width is within ``width - epsilon_inner .. width + epsilon_outer``) or ``"stop"``.
        Non-finite values raise InvalidInputError, values beyond ``ControllerConfig.gripper_max_*``
        LimitViolationError (the gripper keeps its last command); ControlError without a gripper."""
        if isinstance(action, str):
            names = {"move": GripperAction.MOVE, "grasp": GripperAction.GRASP, "stop": GripperAction.STOP}
            if action not in names:
                raise InvalidInputError(f"action: expected one of {sorted(names)}, got {action!r}")
            action = names[action]
        seq = next(self._gripper_seq)
        st = self._loop.push_gripper(action, float(width), float(speed), float(force), float(epsilon_inner),
                                     float(epsilon_outer), seq)
        if st == -1:
            raise InvalidInputError(f"gripper: {action.name.lower()} rejected: non-finite width/speed/force/epsilon, "
                                    "speed <= 0 or a negative epsilon (the gripper keeps its last command)")
        if st == -2:
            c = self.controller_config
            raise LimitViolationError(f"gripper: {action.name.lower()} rejected: width {width} m, speed {speed} m/s or "
                                      f"force {force} N outside [0, {c.gripper_max_width}] m, (0, "
                                      f"{c.gripper_max_speed}] m/s, [0, {c.gripper_max_force}] N "
                                      "(ControllerConfig.gripper_max_*); the gripper keeps its last command")
        _raise_for(st, "gripper")
        return seq

    def open_gripper(self, width: float = 0.08, speed: float = 0.1) -> int:
        """Move the fingers apart to ``width`` (m) at ``speed`` (m/s)."""
        return self.send_gripper("move", width=width, speed=speed)

    def grasp(self, width: float = 0.0, speed: float = 0.1, force: float = 30.0, epsilon_inner: float = 0.005,
              epsilon_outer: float = 0.08) -> int:
        """Close towards ``width`` (m) and hold with ``force`` (N); GraspVLA grasps at 30 N."""
        return self.send_gripper("grasp", width=width, speed=speed, force=force, epsilon_inner=epsilon_inner,
                                 epsilon_outer=epsilon_outer)

    # -- state -----------------------------------------------------------------------------------
    def state(self) -> LoopState | None:
        d = self._loop.snapshot()
        if d is None:
            return None
        return LoopState(time=d["time"], tick=d["tick"], q=d["q"], dq=d["dq"], tau_ext=d["tau_ext"], q_d=d["q_d"],
                         dq_d=d["dq_d"], command=d["q_cmd"] if self.controller_config.mode == "joint_position"
                         else d["tau"], x=d["x"], x_d=d["x_d"], f_ext=d["f_ext"], stop_reason=d["stop_reason"],
                         flags=d["flags"], seq=d["seq"], gripper_width=d["gripper_width"],
                         gripper_busy=d["gripper_busy"], gripper_grasped=d["gripper_grasped"],
                         gripper_seq=d["gripper_seq"])

    def read_records(self) -> Trace:
        """Drain the ring buffer: every tick recorded since the last call (oldest first)."""
        return Trace.from_array(self._loop.read_records())

    def stats(self) -> dict[str, Any]:
        """ticks, missed_deadlines, max_lateness_us, targets received/rejected, gripper commands
        accepted/rejected, records_dropped,
        stop_reason and its message, realtime / memory_locked with rt_message explaining why."""
        return dict(self._loop.stats())

    @property
    def stop_reason(self) -> StopReason:
        return self._loop.stats()["stop_reason"]

    def raise_if_stopped(self) -> None:
        s = self._loop.stats()
        if s["stop_reason"] != StopReason.NONE:
            raise ControlError(f"control loop stopped: {s['stop_message']}")
