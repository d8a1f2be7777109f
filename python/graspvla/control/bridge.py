"""pylibfranka bridge: the same C++ loop and controller, driven by pylibfranka's ActiveControl.

The loop thread is paced by ``readOnce()`` (it blocks until the robot's next state); it holds the
GIL only for ``readOnce()`` and ``writeOnce()`` and runs the controller, the safety layer, the
target exchange and the recording without it. Torque modes use ``start_torque_control()`` (the
robot adds gravity), joint_position uses ``start_joint_position_control(JointImpedance)``.

Works against a real robot or the registry simulators (franky-sim, franka-sim) on 127.0.0.1.

The Franka Hand is a separate, non-real-time channel: its calls (``move``, ``grasp``, ``stop``)
block on TCP for up to seconds, and pylibfranka does not release the GIL inside them (its
``Gripper`` binding has no ``gil_scoped_release``), which would starve the loop thread's
``readOnce``/``writeOnce``. So ``ControlLoop.send_gripper`` only queues the command
(``GripperWorker.submit``); a worker thread runs it, and with a real Hand the blocking call itself
runs in a child process (``GripperProcess``) so the waiting thread holds no GIL.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from graspvla._core import control as _c
from graspvla.errors import ControlError


_MOVE, _GRASP, _STOP = int(_c.GripperAction.MOVE), int(_c.GripperAction.GRASP), int(_c.GripperAction.STOP)


class GripperWorker:
    """Runs gripper commands off the loop thread on any object with pylibfranka's ``Gripper``
    methods (``move(width, speed)``, ``grasp(width, speed, force, epsilon_inner, epsilon_outer)``,
    ``stop()``, ``read_once()`` returning ``.width`` / ``.is_grasped``): a real Hand behind
    :class:`GripperProcess`, or a test double.

    ``submit`` is the sink ``ControlLoop.send_gripper`` reaches (through the C++ bridge backend): it
    queues and returns at once; commands queued while one runs are collapsed to the newest. The
    Hand's state (width, busy, grasped, sequence number) is reported to ``report(width, busy,
    grasped, seq)`` after every command and every ``poll_period`` seconds while idle.
    """

    def __init__(self, gripper: Any, poll_period: float = 0.05) -> None:
        self.gripper = gripper
        self.poll_period = float(poll_period)
        self.report: Callable[[float, bool, bool, int], None] | None = None
        self.errors: list[str] = []
        self._queue: queue.Queue[tuple[int, float, float, float, float, float, int] | None] = queue.Queue()
        self._seq = 0
        self._grasped = False
        self._thread = threading.Thread(target=self._run, name="graspvla-gripper", daemon=True)
        self._started = False

    def start(self, report: Callable[[float, bool, bool, int], None]) -> None:
        self.report = report
        if not self._started:
            self._started = True
            self._thread.start()

    def submit(self, action: int, width: float, speed: float, force: float, epsilon_inner: float,
               epsilon_outer: float, seq: int) -> None:
        self._queue.put((int(action), float(width), float(speed), float(force), float(epsilon_inner),
                         float(epsilon_outer), int(seq)))

    def close(self, timeout: float = 5.0) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join(timeout)

    def _publish(self, busy: bool) -> None:
        try:
            st = self.gripper.read_once()
            width = float(st.width)
        except Exception as e:  # network loss: report, keep serving
            self.errors.append(f"read_once: {e}")
            return
        if self.report is not None:
            self.report(width, busy, self._grasped and bool(getattr(st, "is_grasped", True)), self._seq)

    def _run(self) -> None:
        while True:
            try:
                cmd = self._queue.get(timeout=self.poll_period)
            except queue.Empty:
                self._publish(False)
                continue
            while cmd is not None:  # collapse a backlog to the newest command
                try:
                    newer = self._queue.get_nowait()
                except queue.Empty:
                    break
                cmd = newer
            if cmd is None:
                return
            action, width, speed, force, eps_in, eps_out, seq = cmd
            self._seq, self._grasped = seq, False
            self._publish(True)
            try:
                if action == _MOVE:
                    self.gripper.move(width, speed)
                elif action == _GRASP:
                    self._grasped = bool(self.gripper.grasp(width, speed, force, eps_in, eps_out))
                else:
                    self.gripper.stop()
            except Exception as e:  # a failed grasp raises CommandException: reported, not fatal
                self.errors.append(f"gripper command {seq}: {e}")
            self._publish(False)


def _gripper_server(conn: Any, hostname: str) -> None:  # pragma: no cover - runs in the child
    import pylibfranka as pf

    g = pf.Gripper(hostname)
    while True:
        msg = conn.recv()
        if msg is None:
            return
        name, args = msg
        try:
            r = getattr(g, name)(*args)
            if name == "read_once":
                r = (float(r.width), bool(r.is_grasped))
            conn.send((True, r))
        except Exception as e:
            conn.send((False, repr(e)))


class _State:
    def __init__(self, width: float, is_grasped: bool) -> None:
        self.width, self.is_grasped = width, is_grasped


class GripperProcess:
    """pylibfranka's ``Gripper`` in a child process (its own interpreter and GIL): the calling
    thread waits on a pipe, GIL released, while the Hand's blocking TCP call runs there."""

    def __init__(self, hostname: str) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_gripper_server, args=(child, hostname), daemon=True)
        self._proc.start()
        self._lock = threading.Lock()

    def _call(self, name: str, *args: Any) -> Any:
        with self._lock:
            self._conn.send((name, args))
            ok, r = self._conn.recv()
        if not ok:
            raise ControlError(f"gripper.{name}: {r}")
        return r

    def move(self, width: float, speed: float) -> bool:
        return bool(self._call("move", width, speed))

    def grasp(self, width: float, speed: float, force: float, epsilon_inner: float = 0.005,
              epsilon_outer: float = 0.005) -> bool:
        return bool(self._call("grasp", width, speed, force, epsilon_inner, epsilon_outer))

    def stop(self) -> bool:
        return bool(self._call("stop"))

    def read_once(self) -> _State:
        return _State(*self._call("read_once"))

    def close(self) -> None:
        try:
            self._conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self._proc.join(2.0)
        if self._proc.is_alive():
            self._proc.terminate()


class PylibfrankaBridge:
    """A backend for ``ControlLoop`` speaking the libfranka protocol through pylibfranka.

    libfranka >= 0.18 switches the thread constructing ``Robot`` to SCHED_FIFO (even with
    ``kIgnore``); the caller's scheduling policy is restored right after construction so the
    interpreter (and the policy) does not run at real-time priority.

    ``gripper``: ``None`` (no Hand), ``True`` (pylibfranka's ``Gripper(hostname)`` in a
    :class:`GripperProcess`) or an object with the ``Gripper`` methods (e.g. a test double; note
    that a real in-process ``pylibfranka.Gripper`` would hold the GIL during its blocking calls).
    """

    def __init__(self, hostname: str, robot: str = "fr3", finger_extension: float = 0.0,
                 realtime_enforce: bool = False, gripper: Any = None, robot_handle: Any = None) -> None:
        try:
            import pylibfranka as pf
        except ImportError as e:
            raise ControlError("PylibfrankaBridge: needs pylibfranka (pip install 'graspvla[franka]')") from e
        if robot_handle is not None:  # an already connected Robot (or a test double)
            self.robot: Any = robot_handle
        else:
            policy = os.sched_getscheduler(0)
            param = os.sched_getparam(0)
            cfg = pf.RealtimeConfig.kEnforce if realtime_enforce else pf.RealtimeConfig.kIgnore
            try:
                self.robot = pf.Robot(hostname, cfg)
            except Exception as e:  # pylibfranka raises NetworkException, IncompatibleVersion...
                raise ControlError(f"hostname: cannot connect to a Franka at {hostname!r}: {e}") from e
            finally:
                try:
                    if os.sched_getscheduler(0) != policy:
                        os.sched_setscheduler(0, policy, param)
                except PermissionError:  # pragma: no cover
                    pass
        self.gripper_worker: GripperWorker | None = None
        if gripper is True:
            gripper = GripperProcess(hostname)
        if gripper is not None and gripper is not False:
            self.gripper_worker = GripperWorker(gripper)
        sink = self.gripper_worker.submit if self.gripper_worker is not None else None
        self._io = _c.PyFrankaIO(self.robot, robot, finger_extension, sink)
        if self.gripper_worker is not None:
            self.gripper_worker.start(self._io.set_gripper_state)

    def close(self) -> None:
        """Stop the gripper worker (and its process)."""
        if self.gripper_worker is not None:
            self.gripper_worker.close()
            close = getattr(self.gripper_worker.gripper, "close", None)
            if callable(close):
                close()

    @property
    def error(self) -> str:
        """The last pylibfranka error message (e.g. a reflex), empty if none."""
        return str(self._io.error)


class LibfrankaBackend:
    """The native libfranka backend (C++ ActiveControl on the loop thread, no Python in the
    loop). Available only when graspvla was built against libfranka (GRASPVLA_WITH_FRANKA);
    PyPI offers no libfranka headers, so default builds do not include it: use
    ``PylibfrankaBridge`` instead."""

    def __init__(self, hostname: str, enforce_realtime: bool = False) -> None:
        if not _c.HAS_LIBFRANKA:
            raise ControlError("LibfrankaBackend: graspvla was built without libfranka "
                               "(configure with -DGRASPVLA_WITH_FRANKA=ON and libfranka installed)")
        self._io = _c.LibfrankaIO(hostname, enforce_realtime)  # type: ignore[attr-defined]
