"""A thin, typed wrapper around MuJoCo for the data pipeline and closed-loop evaluation.

Frames: the robot **base frame is the MuJoCo world frame** (robot base at the origin, z up).
Joint order and limits are those of ``graspvla.robot.Robot("fr3")``. Poses are 4x4 float64.
Images: RGB uint8 (H,W,3); depth float32 (H,W) [m] along the optical axis; segmentation
int32 (H,W) with the scene object id at object pixels, -1 elsewhere (robot, table,
background: see :data:`ROBOT_ID`, :data:`TABLE_ID`). Boxes: pixels (x_min, y_min, x_max, y_max),
inclusive, from visible pixels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mujoco
import numpy as np

from graspvla.errors import InvalidInputError, LimitViolationError, SimulationError
from graspvla.sim.model import object_pose
from graspvla.sim.robot_model import ARM_JOINTS, FINGER_JOINTS, GRIPPER_MAX_WIDTH

if TYPE_CHECKING:
    from graspvla.scene.layout import Scene

__all__ = ["SimConfig", "JointState", "Simulator", "ROBOT_ID", "TABLE_ID", "BACKGROUND_ID"]

BACKGROUND_ID = -1
ROBOT_ID = -2
TABLE_ID = -3


@dataclass(frozen=True)
class SimConfig:
    """Simulator options: ``decimate`` robot visual meshes, ``actuation`` ("position" joint
    servos or "torque" motors), default render size (height, width) [px].
    ``gravity_compensation``: :meth:`Simulator.step` adds the arm's gravity and Coriolis
    torques as the real Franka controller does internally, so joint servos track without
    steady-state sag (about 1 cm at the TCP without it)."""

    decimate: bool = True
    actuation: str = "position"
    height: int = 224
    width: int = 224
    gravity_compensation: bool = False


@dataclass(frozen=True)
class JointState:
    """Arm joint positions q (7,) [rad], velocities dq (7,) [rad/s], measured torques tau (7,)
    [Nm] (actuator forces) and gripper opening width [m]."""

    q: np.ndarray
    dq: np.ndarray
    tau: np.ndarray
    gripper_width: float


class Simulator:
    """Physics + rendering of one :class:`~graspvla.scene.Scene`.

    Example::

        sim = Simulator(scene)
        sim.set_joint_targets(q)          # position actuation
        sim.set_gripper(0.0)              # close
        sim.step(50)                      # 50 x 2 ms
        rgb = sim.render("front")         # (224, 224, 3) uint8
        boxes = sim.boxes("front")        # {object id: (x0, y0, x1, y1)}
    """

    def __init__(self, scene: "Scene", config: SimConfig = SimConfig()) -> None:
        self.scene = scene
        self.config = config
        self.model = scene.build_model(robot=True, decimate=config.decimate, actuation=config.actuation)
        self.data = mujoco.MjData(self.model)
        m = self.model
        self._arm_qadr = np.array([m.jnt_qposadr[m.joint(j).id] for j in ARM_JOINTS])
        self._arm_dadr = np.array([m.jnt_dofadr[m.joint(j).id] for j in ARM_JOINTS])
        self._finger_qadr = np.array([m.jnt_qposadr[m.joint(j).id] for j in FINGER_JOINTS])
        self._arm_act = np.array([m.actuator(j).id for j in ARM_JOINTS])
        self._grip_act = m.actuator("gripper").id
        self._q_range = m.jnt_range[[m.joint(j).id for j in ARM_JOINTS]].copy()
        self._obj_bodies = np.array([m.body(o.body_name).id for o in scene.objects], dtype=int)
        # geom id -> segmentation label
        body_label = np.full(m.nbody, BACKGROUND_ID, dtype=np.int32)
        for o, b in zip(scene.objects, self._obj_bodies):
            body_label[b] = o.id
        robot_root = m.body("base").id
        for b in range(m.nbody):
            r = b
            while r != 0 and r != robot_root:
                r = m.body_parentid[r]
            if r == robot_root:
                body_label[b] = ROBOT_ID
        body_label[m.body("table").id] = TABLE_ID
        self._geom_label = body_label[m.geom_bodyid]
        self._tcp_site = m.site("tcp").id
        self._flange_site = m.site("flange").id
        self._renderers: dict[tuple[int, int], mujoco.Renderer] = {}
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Back to the scene's initial state (arm at ``scene.robot_q``, gripper open, objects settled)."""
        mujoco.mj_resetDataKeyframe(self.model, self.data, self.model.key("home").id)
        mujoco.mj_forward(self.model, self.data)

    @property
    def time(self) -> float:
        """Simulated time [s]."""
        return float(self.data.time)

    @property
    def timestep(self) -> float:
        return float(self.model.opt.timestep)

    def step(self, n: int = 1) -> None:
        """Advance ``n`` physics steps (``timestep`` = 2 ms each)."""
        if self.config.gravity_compensation:
            d = self.data
            for _ in range(int(n)):
                d.qfrc_applied[self._arm_dadr] = d.qfrc_bias[self._arm_dadr]
                mujoco.mj_step(self.model, d)
        else:
            mujoco.mj_step(self.model, self.data, nstep=int(n))
        if not np.isfinite(self.data.qacc).all():
            raise SimulationError(f"physics diverged at t={self.time:.3f} s (NaN acceleration)")

    def set_joint_targets(self, q: np.ndarray) -> None:
        """Joint position targets (7,) [rad] (position actuation); must lie inside the FR3 limits."""
        if self.config.actuation != "position":
            raise InvalidInputError("set_joint_targets needs actuation='position'; use set_joint_torques")
        q = self._vec7(q, "q")
        if np.any(q < self._q_range[:, 0] - 1e-9) or np.any(q > self._q_range[:, 1] + 1e-9):
            raise LimitViolationError(f"q={np.round(q, 4).tolist()} is outside the FR3 joint limits "
                                      f"{self._q_range.tolist()}")
        self.data.ctrl[self._arm_act] = q

    def set_joint_torques(self, tau: np.ndarray) -> None:
        """Joint torques (7,) [Nm] (torque actuation), clipped by MuJoCo to the FR3 torque limits."""
        if self.config.actuation != "torque":
            raise InvalidInputError("set_joint_torques needs actuation='torque'")
        self.data.ctrl[self._arm_act] = self._vec7(tau, "tau")

    def set_gripper(self, width: float) -> None:
        """Commanded gripper opening width [m], 0 (closed) .. 0.08 (open); force-limited to 140 N."""
        w = float(width)
        if not np.isfinite(w) or w < 0.0 or w > GRIPPER_MAX_WIDTH + 1e-9:
            raise InvalidInputError(f"gripper width must be in [0, {GRIPPER_MAX_WIDTH}] m, got {width!r}")
        self.data.ctrl[self._grip_act] = w

    def set_joint_positions(self, q: np.ndarray, gripper_width: float | None = None) -> None:
        """Teleport the arm (and optionally fingers) to ``q`` with zero velocity; targets follow."""
        q = self._vec7(q, "q")
        self.data.qpos[self._arm_qadr] = q
        self.data.qvel[self._arm_dadr] = 0.0
        if self.config.actuation == "position":
            self.data.ctrl[self._arm_act] = q
        if gripper_width is not None:
            self.data.qpos[self._finger_qadr] = float(gripper_width) / 2
            self.set_gripper(gripper_width)
        mujoco.mj_forward(self.model, self.data)

    def joint_state(self) -> JointState:
        """Current arm state and gripper width."""
        d = self.data
        return JointState(d.qpos[self._arm_qadr].copy(), d.qvel[self._arm_dadr].copy(),
                          d.actuator_force[self._arm_act].copy(), self.gripper_width())

    def gripper_width(self) -> float:
        """Measured opening width [m] (sum of the two finger joints)."""
        return float(self.data.qpos[self._finger_qadr].sum())

    def tcp_pose(self) -> np.ndarray:
        """4x4 TCP pose in the base frame (== ``Robot("fr3").fk(q, Frame.TCP)``)."""
        return self._site_pose(self._tcp_site)

    def flange_pose(self) -> np.ndarray:
        """4x4 flange pose in the base frame (== ``Robot("fr3").fk(q, Frame.FLANGE)``)."""
        return self._site_pose(self._flange_site)

    def object_poses(self) -> dict[int, np.ndarray]:
        """{object id: 4x4 pose (object frame -> base frame)} of every scene object."""
        return {o.id: object_pose(self.data, b) for o, b in zip(self.scene.objects, self._obj_bodies)}

    def set_object_pose(self, object_id: int, pose: np.ndarray) -> None:
        """Teleport object ``object_id`` to ``pose`` (4x4, base frame) with zero velocity."""
        if not 0 <= int(object_id) < len(self.scene.objects):
            raise InvalidInputError(f"object_id {object_id} is not in 0..{len(self.scene.objects) - 1}")
        T = np.asarray(pose, dtype=np.float64)
        if T.shape != (4, 4) or not np.all(np.isfinite(T)):
            raise InvalidInputError(f"pose must be a finite 4x4 matrix, got shape {T.shape}")
        m = self.model
        j = m.body_jntadr[self._obj_bodies[int(object_id)]]
        qa, da = m.jnt_qposadr[j], m.jnt_dofadr[j]
        q = np.empty(4)
        mujoco.mju_mat2Quat(q, np.ascontiguousarray(T[:3, :3]).reshape(-1))
        self.data.qpos[qa:qa + 3] = T[:3, 3]
        self.data.qpos[qa + 3:qa + 7] = q
        self.data.qvel[da:da + 6] = 0.0
        mujoco.mj_forward(m, self.data)

    def object_velocities(self) -> dict[int, np.ndarray]:
        """{object id: (6,) [angular (rad/s); linear (m/s)]} at the object COM, world axes."""
        out = {}
        for o, b in zip(self.scene.objects, self._obj_bodies):
            v = np.empty(6)
            mujoco.mj_objectVelocity(self.model, self.data, mujoco.mjtObj.mjOBJ_BODY, b, v, 0)
            out[o.id] = v
        return out

    def contacts_with_hand(self, object_id: int) -> int:
        """Number of active contacts between object ``object_id`` and the hand/fingers."""
        m, d = self.model, self.data
        b = self._obj_bodies[object_id]
        hand_bodies = {m.body(n).id for n in ("hand", "left_finger", "right_finger")}
        n = 0
        for c in d.contact[: d.ncon]:
            b1, b2 = m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2]
            if (b1 == b and b2 in hand_bodies) or (b2 == b and b1 in hand_bodies):
                n += 1
        return n

    # ------------------------------------------------------------------ cameras
    def camera_names(self) -> list[str]:
        return [self.model.camera(i).name for i in range(self.model.ncam)]

    def camera_intrinsics(self, camera: str, height: int | None = None, width: int | None = None) -> np.ndarray:
        """3x3 pinhole matrix K [px] for ``camera`` at the given image size (square pixels)."""
        h, w = height or self.config.height, width or self.config.width
        fovy = np.deg2rad(self.model.cam_fovy[self.model.camera(camera).id])
        f = 0.5 * h / np.tan(0.5 * fovy)
        return np.array([[f, 0.0, 0.5 * w], [0.0, f, 0.5 * h], [0.0, 0.0, 1.0]])

    def camera_pose(self, camera: str) -> np.ndarray:
        """4x4 camera-to-base pose in the **OpenCV** convention (z forward, x right, y down)."""
        cid = self.model.camera(camera).id
        T = np.eye(4)
        T[:3, :3] = self.data.cam_xmat[cid].reshape(3, 3) @ np.diag([1.0, -1.0, -1.0])
        T[:3, 3] = self.data.cam_xpos[cid]
        return T

    def project(self, camera: str, points: np.ndarray, height: int | None = None,
                width: int | None = None) -> np.ndarray:
        """Pixel coordinates (N,2) (u right, v down; pixel centres at +0.5) of base-frame points (N,3)."""
        T = np.linalg.inv(self.camera_pose(camera))
        p = np.asarray(points, float) @ T[:3, :3].T + T[:3, 3]
        K = self.camera_intrinsics(camera, height, width)
        uv = p @ K.T
        return uv[:, :2] / uv[:, 2:3]

    # ------------------------------------------------------------------ rendering
    def _renderer(self, height: int, width: int) -> mujoco.Renderer:
        key = (height, width)
        r = self._renderers.get(key)
        if r is None:
            if width > self.model.vis.global_.offwidth or height > self.model.vis.global_.offheight:
                self.model.vis.global_.offwidth = max(width, self.model.vis.global_.offwidth)
                self.model.vis.global_.offheight = max(height, self.model.vis.global_.offheight)
            r = mujoco.Renderer(self.model, height, width)
            self._renderers[key] = r
        return r

    def _check_camera(self, camera: str) -> None:
        if camera not in self.camera_names():
            raise InvalidInputError(f"camera {camera!r} is unknown; choose one of {self.camera_names()}")

    def render(self, camera: str, height: int | None = None, width: int | None = None) -> np.ndarray:
        """RGB image (H,W,3) uint8 from ``camera`` (``"front"`` or ``"side"``)."""
        self._check_camera(camera)
        r = self._renderer(height or self.config.height, width or self.config.width)
        r.update_scene(self.data, camera=camera)
        return r.render().copy()

    def render_depth(self, camera: str, height: int | None = None, width: int | None = None) -> np.ndarray:
        """Depth (H,W) float32 [m] along the camera's optical axis."""
        self._check_camera(camera)
        r = self._renderer(height or self.config.height, width or self.config.width)
        r.enable_depth_rendering()
        try:
            r.update_scene(self.data, camera=camera)
            return r.render().astype(np.float32)
        finally:
            r.disable_depth_rendering()

    def render_segmentation(self, camera: str, height: int | None = None, width: int | None = None) -> np.ndarray:
        """Labels (H,W) int32: object id, or ROBOT_ID / TABLE_ID / BACKGROUND_ID."""
        self._check_camera(camera)
        r = self._renderer(height or self.config.height, width or self.config.width)
        r.enable_segmentation_rendering()
        try:
            r.update_scene(self.data, camera=camera)
            seg = r.render()
        finally:
            r.disable_segmentation_rendering()
        ids, types = seg[..., 0], seg[..., 1]
        out = np.full(ids.shape, BACKGROUND_ID, dtype=np.int32)
        geom = (types == int(mujoco.mjtObj.mjOBJ_GEOM)) & (ids >= 0)
        out[geom] = self._geom_label[ids[geom]]
        return out

    def boxes(self, camera: str, height: int | None = None, width: int | None = None,
              segmentation: np.ndarray | None = None, min_pixels: int = 1) -> dict[int, tuple[int, int, int, int]]:
        """{object id: (x_min, y_min, x_max, y_max)} [px, inclusive] of each object's visible pixels.

        Objects with fewer than ``min_pixels`` visible pixels are absent.
        """
        seg = self.render_segmentation(camera, height, width) if segmentation is None else segmentation
        out = {}
        for o in self.scene.objects:
            ys, xs = np.nonzero(seg == o.id)
            if len(xs) >= min_pixels:
                out[o.id] = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
        return out

    def close(self) -> None:
        """Free the GL contexts (call before exit with OSMesa)."""
        for r in self._renderers.values():
            r.close()
        self._renderers.clear()

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ helpers
    def _site_pose(self, sid: int) -> np.ndarray:
        T = np.eye(4)
        T[:3, :3] = self.data.site_xmat[sid].reshape(3, 3)
        T[:3, 3] = self.data.site_xpos[sid]
        return T

    @staticmethod
    def _vec7(x: np.ndarray, name: str) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64)
        if a.shape != (7,):
            raise InvalidInputError(f"{name} must have shape (7,), got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise InvalidInputError(f"{name} contains NaN or infinite values: {a.tolist()}")
        return a.copy()


def default_gl_backend() -> str:
    """The MuJoCo GL backend in use (``MUJOCO_GL``; set it to ``egl`` or ``osmesa`` headless)."""
    return os.environ.get("MUJOCO_GL", "")
