"""pylibfranka bridge: the same C++ loop and controller, driven by pylibfranka's ActiveControl.

The loop thread is paced by ``readOnce()`` (it blocks until the robot's next state); it holds the
GIL only for ``readOnce()`` and ``writeOnce()`` and runs the controller, the safety layer, the
target exchange and the recording without it. Torque modes use ``start_torque_control()`` (the
robot adds gravity), joint_position uses ``start_joint_position_control(JointImpedance)``.

Works against a real robot or the registry simulators (franky-sim, franka-sim) on 127.0.0.1.
"""

from __future__ import annotations

import os
from typing import Any

from graspvla._core import control as _c
from graspvla.errors import ControlError


class PylibfrankaBridge:
    """A backend for ``ControlLoop`` speaking the libfranka protocol through pylibfranka.

    libfranka >= 0.18 switches the thread constructing ``Robot`` to SCHED_FIFO (even with
    ``kIgnore``); the caller's scheduling policy is restored right after construction so the
    interpreter (and the policy) does not run at real-time priority.
    """

    def __init__(self, hostname: str, robot: str = "fr3", finger_extension: float = 0.0,
                 realtime_enforce: bool = False) -> None:
        try:
            import pylibfranka as pf
        except ImportError as e:
            raise ControlError("PylibfrankaBridge: needs pylibfranka (pip install 'graspvla[franka]')") from e
        policy = os.sched_getscheduler(0)
        param = os.sched_getparam(0)
        cfg = pf.RealtimeConfig.kEnforce if realtime_enforce else pf.RealtimeConfig.kIgnore
        try:
            self.robot: Any = pf.Robot(hostname, cfg)
        except Exception as e:  # pylibfranka raises NetworkException, IncompatibleVersion...
            raise ControlError(f"hostname: cannot connect to a Franka at {hostname!r}: {e}") from e
        finally:
            try:
                if os.sched_getscheduler(0) != policy:
                    os.sched_setscheduler(0, policy, param)
            except PermissionError:  # pragma: no cover
                pass
        self._io = _c.PyFrankaIO(self.robot, robot, finger_extension)

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
