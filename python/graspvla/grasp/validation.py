"""Physics validation of grasps in MuJoCo: a free-floating Franka hand closes on the object,
lifts it and shakes it; the grasp succeeds when the object is still held between both fingers.

The scene is built from the repo's hand model (:func:`graspvla.sim.robot_model.franka_hand_spec`,
mocap-welded, gravity-compensated hand) and the object's convex collision pieces with the same
contact settings as the data pipeline's scenes (``graspvla.sim.model``: friction
``OBJECT_FRICTION``, condim 6, pyramidal cones, impratio 10). There is no table: the grasp's
collisions with the scene were checked during synthesis. Protocol (world frame; the object
starts at ``object_pose``):

1. gravity off; the hand is placed at the grasp (TCP pose), fingers open (0.08 m, or
   ``pre_gap`` outside the object on each side when the grasp width is known);
2. the fingers close at ``closing_speed`` until both touch, then squeeze with ``grasp_force``
   (N, normal force of each pad on the object, ramped over 50 ms; the Franka hand's continuous
   grasp force is 70 N) - a stiff width servo ramped into the object chattered on flat faces;
3. gravity on; the hand lifts by ``lift_height`` (minimum-jerk) and shakes: sinusoidal
   translations of ``shake_amplitude`` along world x and z and a rotation of ``shake_angle``
   about the closing axis, at ``shake_frequency``; then holds still;
4. success: both fingers still touch the object and it slipped less than ``max_slip`` relative
   to the hand (measured from the end of closing).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any, Sequence

import mujoco
import numpy as np
from numpy.typing import ArrayLike, NDArray

from graspvla.errors import InvalidInputError, SimulationError

__all__ = ["ValidationConfig", "GraspOutcome", "GraspValidator", "validate_grasps"]

F = NDArray[np.float64]


@dataclass(frozen=True)
class ValidationConfig:
    """Lift-and-shake protocol (SI units; see the module docstring).

    Attributes:
        grasp_force: squeeze of each pad on the object [N].
        close_time: closing duration [s] (gravity off).
        lift_height [m], lift_time [s]: straight lift along world +z.
        shake_time [s], shake_frequency [Hz], shake_amplitude [m], shake_angle [rad].
        hold_time: still phase at the end [s].
        max_slip: largest object displacement relative to the hand counted as held [m].
        closing_speed: finger closing speed before contact [m/s per finger] (the Franka hand
            moves its fingers at up to 0.1 m/s).
        pre_gap: when the grasp width is known, the fingers start this far outside the object
            on each side instead of fully open [m] (shortens the closing phase).
        finger_friction: sliding friction of the finger geoms (None: keep the hand model's).
        timestep: physics step [s].
    """

    grasp_force: float = 40.0
    close_time: float = 0.4
    lift_height: float = 0.10
    lift_time: float = 0.5
    shake_time: float = 1.0
    shake_frequency: float = 2.0
    shake_amplitude: float = 0.02
    shake_angle: float = 0.3
    hold_time: float = 0.3
    max_slip: float = 0.03
    closing_speed: float = 0.05
    pre_gap: float = 0.006
    finger_friction: float | None = None
    timestep: float = 0.002


@dataclass(frozen=True)
class GraspOutcome:
    """Result of one physics check: ``success``; ``closed_width``: finger opening after closing
    [m]; ``slip``: object displacement in the hand frame from the end of closing to the end [m];
    ``contacts``: whether the (+y, -y) fingers touch the object at the end; ``sim_time`` [s] and
    ``wall_time`` [s]; ``reason``: why it failed ("" on success)."""

    success: bool
    closed_width: float
    slip: float
    contacts: tuple[bool, bool]
    sim_time: float
    wall_time: float
    reason: str


@functools.lru_cache(maxsize=1)
def _hand_spec() -> mujoco.MjSpec:
    from graspvla.sim.robot_model import franka_hand_spec

    return franka_hand_spec(decimate=True, mount="mocap")


def _quat(R: F) -> F:
    q = np.empty(4)
    mujoco.mju_mat2Quat(q, np.ascontiguousarray(R, np.float64).reshape(-1))
    return q


def _object_parts(obj: Any) -> tuple[list[tuple[F, F]], float, F]:
    """(convex pieces, mass [kg], inertia about the COM (3,3)) of an ObjectAsset or (V, F)."""
    if hasattr(obj, "collision") and hasattr(obj, "mass"):
        return [(np.asarray(v, np.float64), np.asarray(f, np.int32)) for v, f in obj.collision], float(obj.mass), \
            np.asarray(obj.inertia, np.float64)
    try:
        v, f = obj
    except (TypeError, ValueError) as e:
        raise InvalidInputError("obj: expected an ObjectAsset or a (vertices, faces) pair") from e
    import trimesh

    from graspvla.assets.mesh import mass_properties

    m = trimesh.Trimesh(np.asarray(v, np.float64), np.asarray(f), process=True)
    mass, com, inertia = mass_properties(m.vertices, m.faces, 500.0)
    if np.linalg.norm(com) > 1e-3:
        raise InvalidInputError(f"obj: the mesh's centre of mass {com.round(4)} is not at the object-frame origin; "
                                "pass an ObjectAsset or recentre the vertices")
    hull = m.convex_hull  # MuJoCo collides meshes as convex hulls anyway
    return [(np.asarray(hull.vertices), np.asarray(hull.faces, np.int32))], mass, inertia


class GraspValidator:
    """MuJoCo model of the free-floating hand and one object, reused for many grasps.

    Args:
        obj: :class:`graspvla.assets.ObjectAsset` (its convex collision pieces, mass, inertia)
            or (vertices, faces) with the centre of mass at the origin (convex hull, 500 kg/m^3).
        object_pose: 4x4 object -> world pose (gravity is world -z).
        config: :class:`ValidationConfig`.
    """

    def __init__(self, obj: Any, object_pose: ArrayLike | None = None, config: ValidationConfig = ValidationConfig()) -> None:
        from graspvla.sim.model import OBJECT_FRICTION
        from graspvla.sim.robot_model import TCP_OFFSET

        self.config = config
        self.object_pose = np.eye(4) if object_pose is None else np.asarray(object_pose, np.float64)
        if self.object_pose.shape != (4, 4):
            raise InvalidInputError(f"object_pose: expected 4x4, got {self.object_pose.shape}")
        parts, mass, inertia = _object_parts(obj)
        spec = _hand_spec().copy()
        spec.option.timestep = config.timestep
        spec.option.cone = mujoco.mjtCone.mjCONE_PYRAMIDAL
        spec.option.impratio = 10.0
        # Closing like the Franka hand's grasp(speed, force): the fingers move at closing_speed
        # until both touch the object, then squeeze with a constant force. A motor on the finger
        # tendon (replacing the width servo): tendon force 2 x grasp_force gives each finger
        # (moment arm 1/2) a normal force of grasp_force on the object. (A stiff position servo
        # ramped into the object chatters on flat faces; a constant force does not.)
        for act in list(spec.actuators):
            spec.delete(act)
        act = spec.add_actuator()
        act.name = "squeeze"
        act.trntype = mujoco.mjtTrn.mjTRN_TENDON
        act.target = "split"
        act.gaintype = mujoco.mjtGain.mjGAIN_FIXED
        act.gainprm[0] = 1.0
        act.biastype = mujoco.mjtBias.mjBIAS_NONE
        body = spec.worldbody.add_body()
        body.name = "object"
        body.pos = self.object_pose[:3, 3].tolist()
        body.quat = _quat(self.object_pose[:3, :3]).tolist()
        body.explicitinertial = True
        body.mass = mass
        body.ipos = [0.0, 0.0, 0.0]
        I = inertia
        body.fullinertia = [I[0, 0], I[1, 1], I[2, 2], I[0, 1], I[0, 2], I[1, 2]]
        body.add_freejoint().name = "object_free"
        for k, (pv, pf) in enumerate(parts):
            mesh = spec.add_mesh()
            mesh.name = f"object_col{k}"
            mesh.uservert = np.asarray(pv, np.float32).reshape(-1).tolist()
            mesh.userface = np.asarray(pf, np.int32).reshape(-1).tolist()
            g = body.add_geom()
            g.name, g.type, g.meshname = f"object_col{k}", mujoco.mjtGeom.mjGEOM_MESH, mesh.name
            g.condim = 6
            g.friction = list(OBJECT_FRICTION)
            g.mass = 0.0
            g.density = 0.0
        self.model = spec.compile()
        m = self.model
        if config.finger_friction is not None:
            for b in ("left_finger", "right_finger"):
                bid = m.body(b).id
                m.geom_friction[m.geom_bodyid == bid, 0] = float(config.finger_friction)
        self.data = mujoco.MjData(m)
        self._obj_body = m.body("object").id
        self._fingers = (m.body("left_finger").id, m.body("right_finger").id)
        self._hand_body = m.body("hand").id
        self._hand_q = m.jnt_qposadr[m.joint("hand_free").id]
        self._obj_q = m.jnt_qposadr[m.joint("object_free").id]
        self._finger_q = [m.jnt_qposadr[m.joint(j).id] for j in ("finger_joint1", "finger_joint2")]
        self._mocap = m.body_mocapid[m.body("hand_target").id]
        self._act = m.actuator("squeeze").id
        self._T_tcp_hand = np.eye(4)
        self._T_tcp_hand[2, 3] = -TCP_OFFSET

    # ------------------------------------------------------------------------------------
    def _body_pose(self, b: int) -> F:
        T = np.eye(4)
        T[:3, :3] = self.data.xmat[b].reshape(3, 3)
        T[:3, 3] = self.data.xpos[b]
        return T

    def _set_mocap(self, T: F) -> None:
        self.data.mocap_pos[self._mocap] = T[:3, 3]
        self.data.mocap_quat[self._mocap] = _quat(T[:3, :3])

    def _finger_contacts(self) -> tuple[bool, bool]:
        m, d = self.model, self.data
        touch = [False, False]
        for c in d.contact[: d.ncon]:
            b1, b2 = m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2]
            if self._obj_body not in (b1, b2):
                continue
            other = b2 if b1 == self._obj_body else b1
            for s in range(2):
                if other == self._fingers[s]:
                    touch[s] = True
        return touch[0], touch[1]

    def validate(self, grasp_pose_world: ArrayLike, width: float | None = None) -> GraspOutcome:
        """Run the protocol for one TCP pose in the world frame (e.g. ``Grasp.pose_world``);
        ``width``: the expected object width [m] (fingers then start ``pre_gap`` outside it)."""
        t_wall = time.perf_counter()
        cfg = self.config
        m, d = self.model, self.data
        T_tcp = np.asarray(grasp_pose_world, np.float64)
        if T_tcp.shape != (4, 4) or not np.isfinite(T_tcp).all():
            raise InvalidInputError("grasp pose: expected a finite 4x4 matrix")
        T_hand = T_tcp @ self._T_tcp_hand
        mujoco.mj_resetData(m, d)
        d.qpos[self._hand_q:self._hand_q + 3] = T_hand[:3, 3]
        d.qpos[self._hand_q + 3:self._hand_q + 7] = _quat(T_hand[:3, :3])
        d.qpos[self._obj_q:self._obj_q + 3] = self.object_pose[:3, 3]
        d.qpos[self._obj_q + 3:self._obj_q + 7] = _quat(self.object_pose[:3, :3])
        q_open = 0.04 if width is None else float(np.clip(0.5 * width + cfg.pre_gap, 0.0, 0.04))
        for a in self._finger_q:
            d.qpos[a] = q_open
        self._set_mocap(T_hand)
        dt = m.opt.timestep
        gravity = m.opt.gravity.copy()
        try:
            m.opt.gravity[:] = 0.0
            mujoco.mj_forward(m, d)
            squeeze = 2.0 * cfg.grasp_force
            n_close = int(round(cfg.close_time / dt))
            n_ramp = max(1, int(round(0.05 / dt)))
            k_touch = None
            for k in range(n_close):
                if k_touch is None:
                    # speed phase: a weak explicit velocity loop (stable for the light fingers)
                    v = float(d.ten_velocity[0])
                    d.ctrl[self._act] = float(np.clip(4.0 * (-cfg.closing_speed - v), -2.0, 2.0))
                    if k % 5 == 0 and all(self._finger_contacts()):
                        k_touch = k
                else:
                    d.ctrl[self._act] = -squeeze * min(1.0, (k - k_touch) / n_ramp)
                mujoco.mj_step(m, d)
            if k_touch is None or n_close - k_touch < n_ramp:
                closed = float(sum(d.qpos[a] for a in self._finger_q))
                return self._outcome(False, closed, 0.0, self._finger_contacts(), t_wall,
                                     "no contact on both fingers after closing")
            closed = float(sum(d.qpos[a] for a in self._finger_q))
            T_rel0 = np.linalg.inv(self._body_pose(self._hand_body)) @ self._body_pose(self._obj_body)
            touch0 = self._finger_contacts()
            if not all(touch0):
                return self._outcome(False, closed, 0.0, touch0, t_wall, "no contact on both fingers after closing")
            m.opt.gravity[:] = gravity
            # lift (minimum jerk), shake, hold
            n_lift = int(round(cfg.lift_time / dt))
            for k in range(n_lift):
                s = (k + 1) / n_lift
                T = T_hand.copy()
                T[2, 3] += cfg.lift_height * (10 * s**3 - 15 * s**4 + 6 * s**5)
                self._set_mocap(T)
                mujoco.mj_step(m, d)
            T_top = T_hand.copy()
            T_top[2, 3] += cfg.lift_height
            axis = T_tcp[:3, 1]
            n_shake = int(round(cfg.shake_time / dt))
            for k in range(n_shake):
                t = (k + 1) * dt
                w = 2 * np.pi * cfg.shake_frequency
                ramp = min(1.0, t / 0.2, (cfg.shake_time - t) / 0.2 + 1e-9)
                T = T_top.copy()
                T[0, 3] += ramp * cfg.shake_amplitude * np.sin(w * t)
                T[2, 3] += ramp * cfg.shake_amplitude * np.sin(w * t + np.pi / 2)
                ang = ramp * cfg.shake_angle * np.sin(0.5 * w * t)
                Rm = np.empty(9)
                q = np.r_[np.cos(ang / 2), np.sin(ang / 2) * axis]
                mujoco.mju_quat2Mat(Rm, q)
                # rotate about the TCP (the grasp centre), not the hand origin
                tcp = T_top @ np.linalg.inv(self._T_tcp_hand)
                R = Rm.reshape(3, 3)
                T[:3, :3] = R @ T_top[:3, :3]
                T[:3, 3] = tcp[:3, 3] + R @ (T_top[:3, 3] - tcp[:3, 3]) + (T[:3, 3] - T_top[:3, 3])
                self._set_mocap(T)
                mujoco.mj_step(m, d)
            self._set_mocap(T_top)
            mujoco.mj_step(m, d, nstep=int(round(cfg.hold_time / dt)))
            if not np.isfinite(d.qacc).all():
                raise SimulationError("grasp validation: physics diverged (NaN acceleration)")
            T_rel = np.linalg.inv(self._body_pose(self._hand_body)) @ self._body_pose(self._obj_body)
            slip = float(np.linalg.norm(T_rel[:3, 3] - T_rel0[:3, 3]))
            touch = self._finger_contacts()
            ok = all(touch) and slip < cfg.max_slip
            reason = "" if ok else ("dropped" if not any(touch) else
                                    "lost contact with one finger" if not all(touch) else f"slipped {slip:.3f} m")
            return self._outcome(ok, closed, slip, touch, t_wall, reason)
        finally:
            m.opt.gravity[:] = gravity

    def _outcome(self, ok: bool, closed: float, slip: float, touch: tuple[bool, bool], t_wall: float,
                 reason: str) -> GraspOutcome:
        return GraspOutcome(success=bool(ok), closed_width=closed, slip=slip, contacts=(bool(touch[0]), bool(touch[1])),
                            sim_time=float(self.data.time), wall_time=time.perf_counter() - t_wall, reason=reason)


def validate_grasps(obj: Any, grasps: Sequence[Any], config: ValidationConfig = ValidationConfig(),
                    object_pose: ArrayLike | None = None) -> list[GraspOutcome]:
    """Lift-and-shake check of each grasp (see the module docstring).

    Args:
        obj: :class:`graspvla.assets.ObjectAsset` or (vertices, faces) (COM at the origin).
        grasps: :class:`graspvla.grasp.Grasp` objects (their ``pose`` is mapped by
            ``object_pose``) or 4x4 TCP poses in the object frame.
        object_pose: 4x4 object -> world pose (default identity: object frame = world frame).

    Returns:
        one :class:`GraspOutcome` per grasp, in order.
    """
    v = GraspValidator(obj, object_pose, config)
    out = []
    for g in grasps:
        P = g.pose if hasattr(g, "pose") else np.asarray(g, np.float64)
        out.append(v.validate(v.object_pose @ P, getattr(g, "width", None)))
    return out
