"""The MuJoCo simulation backend (stepped from C++ inside the loop)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from graspvla._core import control as _c
from graspvla.control.config import SimConfig
from graspvla.errors import ControlError


def fr3_mjcf() -> str:
    """The FR3 + Franka hand MJCF shipped with franky-sim (Menagerie model, Apache-2.0) as an XML
    string whose mesh directory is absolute (the file itself expects ``meshes/`` as ``assets/``)."""
    try:
        import franky_sim
    except ImportError as e:  # pragma: no cover - franky-sim is a test dependency
        raise ControlError("fr3_mjcf: needs franky-sim (pip install franky-sim) for its FR3 MJCF") from e
    d = Path(os.path.dirname(franky_sim.__file__)) / "assets"
    xml = (d / "fr3.xml").read_text()
    return xml.replace('meshdir="assets"', f'meshdir="{d / "meshes"}"')


class SimBackend:
    """A MuJoCo world the control loop steps once per tick (1 ms)."""

    def __init__(self, config: SimConfig | None = None) -> None:
        if not _c.HAS_MUJOCO:
            raise ControlError("SimBackend: graspvla was built without MuJoCo's C library")
        cfg = config or SimConfig(model=fr3_mjcf())
        if not cfg.model:
            cfg.model = fr3_mjcf()
        q0 = None if cfg.q0 is None else np.ascontiguousarray(cfg.q0, dtype=np.float64)
        self.config = cfg
        self._io = _c.SimIO(cfg.model, cfg.asset_dir, list(cfg.joint_names), cfg.force_body, cfg.timestep,
                            cfg.substeps, cfg.keyframe, q0, cfg.gripper_actuator, list(cfg.finger_joints))
        self._keep: tuple[Any, ...] = ()

    @classmethod
    def attach(cls, model: Any, data: Any, config: SimConfig | None = None) -> "SimBackend":
        """Step an existing ``mujoco.MjModel`` / ``mujoco.MjData`` pair (e.g. the scene of
        :class:`graspvla.sim.Simulator`) from the loop, so Python renders and observes exactly what
        the 1 kHz loop simulates. The model is modified in place: its timestep becomes
        ``config.timestep`` (1 ms), the arm's actuators are disabled (torques are applied by the
        loop) and the robot bodies are gravity compensated; the data keeps its state
        (``config.model``, ``keyframe`` and ``q0`` are ignored). Keeps references to both."""
        import mujoco

        if not _c.HAS_MUJOCO:
            raise ControlError("SimBackend: graspvla was built without MuJoCo's C library")
        if not isinstance(model, mujoco.MjModel) or not isinstance(data, mujoco.MjData):
            raise ControlError("SimBackend.attach: expected a mujoco.MjModel and a mujoco.MjData")
        if int(mujoco.mj_version()) != int(_c.SimIO.mujoco_version()):
            raise ControlError(f"SimBackend.attach: the mujoco package ({mujoco.mj_version()}) is not the MuJoCo "
                               f"graspvla was built against ({_c.SimIO.mujoco_version()}); rebuild graspvla")
        cfg = config or SimConfig()
        obj = cls.__new__(cls)
        obj.config = cfg
        obj._io = _c.SimIO.attach(int(model._address), int(data._address), list(cfg.joint_names), cfg.force_body,
                                   cfg.timestep, cfg.substeps, cfg.gripper_actuator, list(cfg.finger_joints))
        obj._keep = (model, data)
        return obj

    @property
    def has_gripper(self) -> bool:
        """True when the model has a gripper actuator the loop can drive (``ControlLoop.grasp`` ...)."""
        return bool(self._io.has_gripper)

    @classmethod
    def fr3(cls, q0: np.ndarray | None = None) -> "SimBackend":
        """franky-sim's FR3 MJCF, starting at its ``home`` keyframe (or ``q0``)."""
        return cls(SimConfig(model=fr3_mjcf(), q0=q0))

    def set_external_force(self, force: np.ndarray) -> None:
        """Constant force (N, world frame) on the hand from now on; zeros clear it."""
        f = np.asarray(force, dtype=np.float64).reshape(3)
        self._io.set_external_force(float(f[0]), float(f[1]), float(f[2]))

    def qpos(self) -> np.ndarray:
        return self._io.qpos()

    @property
    def time(self) -> float:
        return self._io.time
