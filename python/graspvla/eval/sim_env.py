"""The closed-loop grasping environment in MuJoCo, and a scripted expert baseline.

Action execution: each delta action of a chunk (GraspVLA convention, base frame) becomes an
absolute TCP target; damped-least-squares IK (seeded with the current joints) gives a joint
target; a jerk-limited trajectory (:func:`graspvla.trajectory.plan_motion`) from the current
joint state is streamed to the joint-position servos at the physics rate (500 Hz). The
gripper channel is quantised as the original server does (< 0.4 close, > 0.6 open).

With ``SimEnvConfig(executor="control_loop")`` the same chained waypoints instead go through the
1 kHz C++ control loop (Cartesian impedance, MuJoCo stepped from C++ in lockstep on this scene,
the gripper through the loop's non-real-time channel): see :mod:`graspvla.eval.loop_executor`.
Scene, observations and success checks are the same for both executors.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from graspvla.eval.conditions import Condition
from graspvla.geometry import apply_delta, pose_to_xyz_rpy
from graspvla.robot import Frame, Robot
from graspvla.trajectory import Limits, plan_motion

__all__ = ["ScriptedTopDownExpert", "SimEnvConfig", "SimGraspEnv"]


@dataclass
class SimEnvConfig:
    """Environment settings.

    Attributes:
        n_objects: objects on the table in the basic condition (distractor conditions add more).
        categories_pool: other categories that may share the table with the target (the target's
            category is on the table once: its instruction names one object).
        image_size: rendered (height, width) [px].
        speed_scale: fraction of the Franka joint limits used when executing actions.
        max_action_time: longest execution of one action [s].
        proprio_history: how many past TCP poses the observation carries, one per executed action (GraspVLA: 4).
        executor: ``"direct"`` (IK + jerk-limited joint trajectory on MuJoCo's position servos)
            or ``"control_loop"`` (the 1 kHz C++ loop, :mod:`graspvla.eval.loop_executor`).
        loop_mode: the loop's controller (``"cartesian_impedance"``, GraspVLA's deployment mode,
            or ``"joint_position"`` / ``"joint_impedance"`` with IK targets).
        action_dt: loop executor: seconds between consecutive waypoints of a chunk [s].
        reach_tolerance / max_settle: loop executor: after a chunk (and before a gripper change)
            wait until the TCP is this close [m] (and within 3 degrees), at most this long [s].
        grasp_force / gripper_speed: the Hand's grasp force [N] (loop executor) and closing speed [m/s].
        grasp_region: a :mod:`graspvla.grasp.filters` region of the target (e.g. ``"mug_handle"``);
            when set, :meth:`SimGraspEnv.region_status` reports whether the fingers hold the target
            by it (the harness records it at lift time: the preference success of Table 4).
    """

    n_objects: tuple[int, int] = (1, 3)
    categories_pool: tuple[str, ...] = ("cube", "can", "box", "ball", "apple", "cup", "bottle", "sponge")
    image_size: tuple[int, int] = (224, 224)
    speed_scale: float = 0.4
    max_action_time: float = 0.6
    proprio_history: int = 4
    scene_overrides: dict[str, Any] = field(default_factory=dict)
    executor: str = "direct"
    loop_mode: str = "cartesian_impedance"
    action_dt: float = 0.2
    reach_tolerance: float = 0.005
    max_settle: float = 1.0
    grasp_force: float = 30.0
    gripper_speed: float = 0.1
    grasp_region: str | None = None


class SimGraspEnv:
    """:class:`graspvla.eval.harness.GraspEnv` backed by :class:`graspvla.sim.Simulator`."""

    def __init__(self, config: SimEnvConfig | None = None) -> None:
        self.config = config or SimEnvConfig()
        if self.config.executor not in ("direct", "control_loop"):
            raise ValueError(f"executor must be 'direct' or 'control_loop', got {self.config.executor!r}")
        self.robot = Robot("fr3")
        self.executor: Any = None  # the LoopExecutor of the current scene (executor="control_loop")
        self.limits = Limits.franka("fr3", self.config.speed_scale)
        self.sim: Any = None
        self._time = 0.0

    # ---- harness protocol ---------------------------------------------------------------
    def reset(self, seed: int, condition: Condition, category: str) -> dict[str, Any]:
        from graspvla.scene import SceneConfig, generate_scene_with_target
        from graspvla.scene.appearance import AppearanceConfig
        from graspvla.sim import SimConfig, Simulator

        if self.executor is not None:
            self.executor.close()
            self.executor = None
        if self.sim is not None:
            self.sim.close()
        pool = tuple(c for c in self.config.categories_pool if c != category)
        lo, hi = self.config.n_objects
        extra = condition.distractors
        appearance = AppearanceConfig()
        if condition.lighting == "disco":
            appearance = replace(appearance, n_lights=(4, 6), headlight_prob=0.1)
        if condition.background == "random":
            appearance = replace(appearance, image_texture_prob=1.0)
        base = SceneConfig()
        cfg = replace(base, n_objects=(lo + extra, hi + extra), categories=(category,) + pool,
                      table_top_z=(base.table_top_z[0] + condition.table_raise, base.table_top_z[1] + condition.table_raise),
                      appearance=appearance, **self.config.scene_overrides)
        scene = generate_scene_with_target(cfg, seed, category)  # deterministic: seeds seed * 64 + k
        h, w = self.config.image_size
        # the direct executor's servos get the arm's gravity and Coriolis torques added, as the
        # real Franka controller does internally (Simulator.step; the control loop steps itself)
        self.sim = Simulator(scene, SimConfig(height=h, width=w, gravity_compensation=True))
        self.scene = scene
        m = self.sim.model
        self._q_range = m.jnt_range[:7].copy()
        self._rest_z = {o.id: p[2, 3] for o, p in zip(scene.objects, self.sim.object_poses().values())}
        self.sim.set_joint_positions(scene.robot_q, gripper_width=0.08)
        self._gripper_open = True
        if self.config.executor == "control_loop":
            from graspvla.eval.loop_executor import LoopExecutor

            self.executor = LoopExecutor(self.sim, self.config, scene.table_height, self.robot)
        self._history = [self._proprio()] * self.config.proprio_history
        return self._observation()

    def execute(self, actions: np.ndarray) -> dict[str, Any]:
        # Deltas chain from the pose at query time into absolute waypoints (as the original
        # clients do), so tracking errors do not accumulate within a chunk.
        pose = self.sim.tcp_pose()
        q_seed = self.sim.joint_state().q
        waypoints = []
        for a in np.asarray(actions, dtype=np.float64):
            pose = apply_delta(pose, a)
            waypoints.append((pose, float(a[6])))
        # The proprio history gets one row per executed action, as the training frames do (one
        # per action at the data's frame rate), so "the pose 3 rows ago" means the same there and
        # here. The last row is the pose the next observation is taken at.
        rows: list[np.ndarray] = []
        if self.executor is not None:  # the 1 kHz control loop
            self._gripper_open = self.executor.execute(waypoints, self._gripper_open,
                                                       on_waypoint=lambda g: rows.append(self._proprio(g)))
        else:
            for pose, g in waypoints:
                q_seed = self._execute_one(pose, g, q_seed)
                rows.append(self._proprio())
        if rows:
            rows[-1] = self._proprio()
        else:
            rows.append(self._proprio())
        self._history = (self._history + rows)[-self.config.proprio_history:]
        return self._observation()

    def lift_status(self) -> tuple[float, bool]:
        poses = self.sim.object_poses()
        target = self.scene.target.id
        lifts = {oid: T[2, 3] - self._rest_z[oid] for oid, T in poses.items()}
        other = any(v > 0.05 for oid, v in lifts.items() if oid != target)
        return float(lifts[target]), bool(other)

    def region_status(self) -> Any:
        """Where the fingers touch the target now, relative to ``config.grasp_region``: a
        :class:`graspvla.eval.preference.RegionContact`, or None when no region is configured."""
        if self.config.grasp_region is None or self.sim is None:
            return None
        from graspvla.eval.preference import region_contact

        return region_contact(self.sim, self.scene.target.id, self.config.grasp_region)

    def region_points(self) -> np.ndarray | None:
        """The target's mesh vertices inside ``config.grasp_region``, (N, 3) [m, base frame,
        current state]; None when no region is configured."""
        if self.config.grasp_region is None or self.sim is None:
            return None
        from graspvla.grasp.filters import grasp_region

        obj = self.scene.target
        v = np.asarray(obj.asset.vertices, np.float64)
        inside = v[grasp_region(self.config.grasp_region, obj.asset).contains(v)]
        T = self.sim.object_poses()[obj.id]
        return inside @ T[:3, :3].T + T[:3, 3]

    def target_boxes(self) -> list[tuple[int, int, int, int] | None]:
        """The requested object's box (x0, y0, x1, y1) [pixels] in the front and side images of
        the current state, from segmentation; None for a camera that does not see it."""
        return [target for target, _ in self.object_boxes()]

    def object_boxes(self) -> list[tuple[tuple[int, int, int, int] | None, list[tuple[int, int, int, int]]]]:
        """Per camera (front, side): the requested object's box (None when not seen) and the
        boxes of the other objects in view [pixels], from segmentation."""
        target = self.scene.target.id
        out = []
        for cam in ("front", "side"):
            boxes = self.sim.boxes(cam)
            out.append((boxes.get(target), [b for i, b in boxes.items() if i != target and b is not None]))
        return out

    def object_centres(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Centres [m, base frame] of the axis-aligned boxes of the requested object and of the
        other objects, current state."""
        poses = self.sim.object_poses()
        target, others = None, []
        for obj in self.scene.objects:
            v = _world_vertices(obj, poses[obj.id])
            c = 0.5 * (v.min(axis=0) + v.max(axis=0))
            if obj.id == self.scene.target.id:
                target = c
            else:
                others.append(c)
        return target, others

    def target_distance(self) -> float:
        """Distance [m] from the TCP to the centre of the requested object's axis-aligned box
        (base frame, current state): how close the hand came, a progress measure for policies
        that do not yet lift the object."""
        _, verts = self._target_state()
        centre = 0.5 * (verts.min(axis=0) + verts.max(axis=0))
        return float(np.linalg.norm(self.sim.tcp_pose()[:3, 3] - centre))

    @property
    def sim_time(self) -> float:
        return float(self.sim.time) if self.sim is not None else 0.0

    # ---- internals ----------------------------------------------------------------------
    def _proprio(self, gripper_open: bool | None = None) -> np.ndarray:
        """[x, y, z, roll, pitch, yaw, g] of the TCP now; g = +1 open / -1 closed (default: the
        environment's gripper state)."""
        open_ = self._gripper_open if gripper_open is None else gripper_open
        return np.r_[pose_to_xyz_rpy(self.sim.tcp_pose()), 1.0 if open_ else -1.0]

    def _target_state(self) -> tuple[np.ndarray, np.ndarray]:
        """The requested object's pose (4x4) and its mesh vertices [m], both in the base frame."""
        target = self.scene.target
        pose = self.sim.object_poses()[target.id]
        return pose, _world_vertices(target, pose)

    def _observation(self) -> dict[str, Any]:
        pose, verts = self._target_state()
        return {
            "front": self.sim.render("front"),
            "side": self.sim.render("side"),
            "instruction": self.scene.instruction,
            "proprio": np.array(self._history),
            "tcp_pose": self.sim.tcp_pose(),
            # the cameras' calibration (what a hand-eye calibrated cell knows; policies ignore it
            # unless asked, as GraspVLA's protocol has none)
            "cameras": {cam: {"intrinsics": self.sim.camera_intrinsics(cam), "pose": self.sim.camera_pose(cam),
                              "size": tuple(self.config.image_size)} for cam in ("front", "side")},
            # privileged state, for scripted baselines only (a learned policy must not read it)
            "privileged": {"target_pose": pose, "target_vertices": verts, "table_z": self.scene.table_height},
        }

    def _execute_one(self, target: np.ndarray, g: float, q_seed: np.ndarray) -> np.ndarray:
        sim = self.sim
        if g < 0.4 and self._gripper_open:
            self._gripper_open = False
            # close at gripper_speed like the Hand (and the data pipeline), not a step to 0 that
            # slams the fingers into the object
            w0, dt = min(0.08, sim.gripper_width()), sim.timestep  # fingers pushed apart can read > 0.08
            for k in range(int(w0 / self.config.gripper_speed / dt) + 1):
                sim.set_gripper(max(0.0, w0 - self.config.gripper_speed * (k + 1) * dt))
                self._step(1)
            self._step(50)
            # once in contact, command 1.5 cm below the contact width: with the width servo's
            # stiffness (2000 N/m) this squeezes with ~30 N (GraspVLA: 30 N), not the 140 N limit
            sim.set_gripper(min(0.08, max(0.0, sim.gripper_width() - 0.015)))  # fingers pushed apart can read > 0.08
            self._step(50)
        elif g > 0.6 and not self._gripper_open:
            self._gripper_open = True
            sim.set_gripper(0.08)
            self._step(150)
        state = sim.joint_state()
        res = self.robot.ik(target, q_seed=np.clip(q_seed, self.robot.q_min, self.robot.q_max), restarts=0)
        if not res.success:
            return q_seed  # unreachable: the arm holds (the policy sees no motion)
        q_goal = np.clip(res.q, self._q_range[:, 0] + 1e-6, self._q_range[:, 1] - 1e-6)
        traj = plan_motion(state.q, q_goal, self.limits, start_velocity=np.clip(state.dq, -self.limits.velocity,
                                                                                 self.limits.velocity))
        dt = sim.timestep
        n = int(min(traj.duration, self.config.max_action_time) / dt) + 1
        qs, _, _ = traj.sample(np.arange(1, n + 1) * dt)
        for q in qs:
            sim.set_joint_targets(np.clip(q, self._q_range[:, 0], self._q_range[:, 1]))
            self._step(1)
        self._step(int(0.1 / dt))  # let the servos converge onto the final target
        return q_goal

    def _step(self, n: int) -> None:
        self.sim.step(n)


def _world_vertices(obj: Any, pose: np.ndarray) -> np.ndarray:
    """A scene object's mesh vertices [m] at ``pose`` (4x4, base frame)."""
    return obj.asset.vertices @ pose[:3, :3].T + pose[:3, 3]


class ScriptedTopDownExpert:
    """Upper-bound baseline with privileged state: a closed-loop top-down grasp across the
    target's narrowest horizontal extent: above it (10 cm), down, close, lift 15 cm. Each
    query returns steps of at most ``step`` metres toward the current phase's goal."""

    name = "expert"

    def __init__(self, step: float = 0.04) -> None:
        self.step = step

    def reset(self, seed: int | None = None) -> None:  # deterministic: the seed is not needed
        self.phase = "above"
        self.goal: np.ndarray | None = None
        self.closed_steps = 0

    def _grasp_frame(self, obs: dict[str, Any]) -> tuple[np.ndarray, float, float]:
        V = obs["privileged"]["target_vertices"]
        xy = V[:, :2] - V[:, :2].mean(axis=0)
        _, evecs = np.linalg.eigh(xy.T @ xy)
        minor = evecs[:, 0]  # the fingers close along the narrowest direction (TCP y axis)
        y = np.r_[minor, 0.0]
        z = np.array([0.0, 0.0, -1.0])
        x = np.cross(y, z)
        R = np.column_stack([x, y, z])
        T0 = obs["tcp_pose"]
        flip = R @ np.diag([-1.0, -1.0, 1.0])
        if np.trace(flip.T @ T0[:3, :3]) > np.trace(R.T @ T0[:3, :3]):
            R = flip  # the symmetric grasp nearer to the current wrist angle
        G = np.eye(4)
        G[:3, :3] = R
        G[:3, 3] = np.r_[0.5 * (V[:, :2].min(0) + V[:, :2].max(0)), 0.0]
        top, bottom = float(V[:, 2].max()), float(V[:, 2].min())
        return G, top, bottom

    def grasp_pose(self, obs: dict[str, Any]) -> np.ndarray:
        """The TCP pose [4x4, base frame] this expert grasps at: across the narrowest horizontal
        extent, 3 cm below the object's top (at least 1.2 cm above its bottom)."""
        G, top, bottom = self._grasp_frame(obs)
        G[2, 3] = max(top - 0.03, bottom + 0.012)
        return G

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        from graspvla.geometry import delta_between

        T = obs["tcp_pose"]
        if self.goal is None:
            G, top, bottom = self._grasp_frame(obs)
            self.above = G.copy()
            self.above[2, 3] = top + 0.10
            self.grasp = self.grasp_pose(obs)
            self.goal = self.above
        if self.phase == "above" and np.linalg.norm(T[:3, 3] - self.above[:3, 3]) < 0.01:
            self.phase, self.goal = "down", self.grasp
        elif self.phase == "down" and np.linalg.norm(T[:3, 3] - self.grasp[:3, 3]) < 0.008:
            self.phase = "close"
        if self.phase == "close":
            self.phase = "lift"
            return np.array([np.r_[np.zeros(6), 0.0]])
        if self.phase == "lift":
            return np.array([np.r_[0, 0, 0.04, 0, 0, 0, 0.0]] * 2)
        out = []
        pose = T.copy()
        for _ in range(4):
            d = delta_between(pose, self.goal)
            n = max(1.0, np.linalg.norm(d[:3]) / self.step, np.linalg.norm(d[3:]) / 0.3)
            a = np.r_[d / n, 1.0]
            out.append(a)
            from graspvla.geometry import apply_delta as _apply

            pose = _apply(pose, a)
            if n == 1.0:
                break
        return np.array(out)
