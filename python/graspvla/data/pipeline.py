"""The real SynGrasp episode source: scene -> target/instruction -> grasp -> plan -> execute -> render -> annotate.

Stages and where they come from (all poses in the robot base frame, metres, radians):

* scene: :func:`graspvla.scene.generate_scene` (objects dropped and settled, randomised table,
  lights, textures and the two cameras).
* target / instruction: the scene's target object, ``"pick up the <category>"``.
* grasp: :mod:`graspvla.grasp` synthesis + physics validation when that package is present;
  otherwise a **provisional** top-down antipodal grasp across the object's narrowest
  horizontal axis (recorded as ``params["grasp_stage"] = "provisional-topdown"``).
* plan: :func:`graspvla.planning.plan_grasp` in the scene's collision world
  (:func:`graspvla.planning.scene_world.world_from_scene`: table, object meshes, clutter) from a
  random initial configuration: RRT-Connect to a pre-grasp, straight approach as one smooth
  jerk-limited trajectory that does not stop at the pre-grasp, then a straight lift; the hand is
  pre-shaped to the object width plus ``preshape_clearance``. Each grasp candidate is tried in
  turn; none reachable without collision -> a counted planning failure.
* execute: :class:`graspvla.sim.Simulator` (MuJoCo, position servos) tracks the trajectory,
  closes the gripper, lifts; success = the target rose by ``success_lift`` and touches the hand.
* render: both cameras at ``fps`` of the executed motion; annotate: the target's 2D boxes from
  segmentation, proprio/actions/PAG goals by :func:`graspvla.data.episode.build_episode_arrays`.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graspvla.data.episode import Episode, EpisodeMeta, build_episode_arrays, instruction_for
from graspvla.data.sources import register_source
from graspvla.errors import InvalidInputError, PlanningError
from graspvla.geometry.calibration import CameraCalibration

__all__ = ["SynGraspSource", "topdown_grasp"]


def _jsonable(x: Any) -> Any:
    """Dataclasses, tuples and arrays -> JSON-compatible values (randomisation records)."""
    import dataclasses

    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist() if x.size <= 64 else f"<array {x.shape} {x.dtype}>"
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return repr(x)


def _flip_about_approach(g: tuple[np.ndarray, float]) -> tuple[np.ndarray, float]:
    """The same parallel-jaw grasp with the hand turned 180 degrees about its approach (TCP z)."""
    T = g[0].copy()
    T[:3, :2] *= -1
    return T, g[1]


def topdown_grasp(vertices_base: np.ndarray, max_width: float = 0.08, depth: float = 0.03) -> tuple[np.ndarray, float] | None:
    """Provisional top-down antipodal grasp of a point set (N, 3) in the base frame.

    The fingers close along the narrowest horizontal axis (PCA of the xy footprint); the TCP
    sits ``depth`` below the top (or at mid-height for short objects), pointing down.
    Returns (4x4 TCP pose, object width along the closing axis [m]) or None if too wide.
    """
    v = np.asarray(vertices_base, dtype=np.float64)
    xy = v[:, :2] - v[:, :2].mean(0)
    w, vecs = np.linalg.eigh(xy.T @ xy)
    close_axis = vecs[:, 0]  # smallest spread
    width = float(np.ptp(xy @ close_axis))
    if width > max_width - 0.005:
        return None
    zmin, zmax = float(v[:, 2].min()), float(v[:, 2].max())
    z = max(zmax - depth, 0.5 * (zmin + zmax))
    centre = np.array([*(v[:, :2].mean(0)), z])
    y = np.array([close_axis[0], close_axis[1], 0.0])  # Franka hand: fingers move along TCP y
    zax = np.array([0.0, 0.0, -1.0])
    x = np.cross(y, zax)
    T = np.eye(4)
    T[:3, :3] = np.stack([x, y, zax], axis=1)
    if T[0, 0] < 0:  # prefer the hand's x pointing away from the robot (symmetric grasp)
        T[:3, :2] *= -1
    T[:3, 3] = centre
    return T, width


@dataclass
class SynGraspSource:
    """The real data-generation pipeline as an episode source (see the module docstring).

    image_size: square render size [px]; fps: recorded frame rate [Hz]; lift: lift height
    [m]; success_lift: object rise counted as a success [m]; pregrasp: approach distance
    above the grasp [m]; init_noise: std of the random initial joint offset [rad];
    preshape_clearance: open width beyond the object's width [m]; plan_time_limit: planner
    budget per grasp candidate [s]; settle_time: wait at the grasp before closing [s];
    close_speed: rate at which the commanded width closes [m/s];
    grasp_method: "synthesis" (:mod:`graspvla.grasp`: the best ``grasp_candidates`` grasps whose
    approach is within ``grasp_max_tilt`` [rad] of straight down, tried in rank order; each
    reachable one is checked in physics, at most ``grasp_validate`` times) or "topdown"
    (heuristic, no physics check);
    speed_scale: fraction of the Franka velocity, acceleration
    and jerk limits;
    grasp_filter: name of a :mod:`graspvla.grasp.filters` region (e.g. ``"mug_handle"``): only
    synthesised grasps with both finger contacts in it are tried (constrained demonstrations);
    target_category: make an object of this category the target of every scene (e.g. the
    user's own object among others; the scene seeds are searched as the benchmark does, see
    :func:`graspvla.scene.generate_scene_with_target`); None = a random object is the target;
    scene_options: keyword overrides of :class:`graspvla.scene.SceneConfig`.
    """

    name: str = "syngrasp"
    image_size: int = 224
    fps: int = 10
    cameras: tuple[str, ...] = ("front", "side")
    lift: float = 0.15
    success_lift: float = 0.1
    pregrasp: float = 0.10
    init_noise: float = 0.15
    close_time: float = 0.6
    settle_time: float = 0.2
    close_speed: float = 0.2
    grasp_method: str = "synthesis"
    grasp_candidates: int = 12
    grasp_validate: int = 3
    grasp_max_tilt: float = 1.5
    preshape_clearance: float = 0.03
    plan_time_limit: float = 1.0
    speed_scale: float = 0.9
    robot: str = "fr3"
    grasp_filter: str | None = None
    target_category: str | None = None
    scene_options: dict[str, Any] = field(default_factory=dict)

    def stages_available(self) -> dict[str, str]:
        """Which implementation each stage uses in this installation."""
        grasp = {"synthesis": "graspvla.grasp (antipodal synthesis + MuJoCo lift-and-shake check)",
                 "topdown": "top-down heuristic (no physics check)"}.get(self.grasp_method, self.grasp_method)
        return {"scene": "graspvla.scene", "grasp": grasp,
                "plan": "graspvla.planning (RRT-Connect + graspvla.trajectory)",
                "execute": "graspvla.sim", "render": "graspvla.sim"}

    def _grasp_candidates(self, scene: Any, seed: int, params: dict[str, Any]) -> list[tuple[np.ndarray, float]]:
        """Grasp candidates (4x4 TCP pose in the base frame, object width [m]), best first."""
        target = scene.target
        if self.grasp_method == "topdown":
            if self.grasp_filter:
                raise InvalidInputError("grasp_filter needs grasp_method='synthesis' (contacts come from synthesis)")
            g = topdown_grasp(target.asset.vertices @ target.pose[:3, :3].T + target.pose[:3, 3])
            return [] if g is None else [g, _flip_about_approach(g)]
        if self.grasp_method != "synthesis":
            raise InvalidInputError(f"grasp_method: 'synthesis' or 'topdown', got {self.grasp_method!r}")
        from graspvla.grasp import SceneCollision, SynthesisConfig, synthesize

        # prefer grasps from above (what the arm reaches best over a table), within grasp_max_tilt
        grasps = synthesize(target.asset, SynthesisConfig(weight_approach=1.0, threads=1), seed=seed,
                            scene_collision=SceneCollision.from_scene(scene))
        grasps = [g for g in grasps if g.pose_world[2, 2] <= -np.cos(self.grasp_max_tilt)]
        if self.grasp_filter:  # user constraint on where the fingers may touch
            from graspvla.grasp.filters import filter_grasps

            params["grasp_filter"] = self.grasp_filter
            grasps = filter_grasps(grasps, target.asset, self.grasp_filter)
        params["grasps_synthesised"] = len(grasps)
        # A parallel-jaw grasp and its twin turned 180 degrees about the approach are the same
        # grasp; always take the twin with the hand's x axis pointing away from the robot (as
        # topdown_grasp does, and as the home pose holds it), so the wrist turns by at most 90
        # degrees and the grasp yaw in the labels has one mode instead of two.
        out = []
        for g in grasps[: self.grasp_candidates]:
            pair = (np.asarray(g.pose_world, dtype=np.float64), float(g.width))
            out.append(_flip_about_approach(pair) if pair[0][0, 0] < 0 else pair)
        return out

    def __call__(self, seed: int) -> Episode:
        from graspvla.robot import Robot
        from graspvla.scene import HOME_Q, SceneConfig, generate_scene, generate_scene_with_target
        from graspvla.sim import GRIPPER_MAX_WIDTH, SimConfig, Simulator
        from graspvla.planning import PlannerConfig, plan_grasp
        from graspvla.planning.scene_world import world_from_scene
        from graspvla.trajectory import sample_uniform

        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        rng = np.random.default_rng([int(seed), 0x5947])
        scene_cfg = SceneConfig(**self.scene_options)
        scene = (generate_scene_with_target(scene_cfg, int(seed), self.target_category) if self.target_category
                 else generate_scene(scene_cfg, seed=int(seed)))
        target = scene.target
        timings["scene"] = time.perf_counter() - t0

        # ---- grasp
        t0 = time.perf_counter()
        params: dict[str, Any] = {"scene_seed": int(scene.seed), "n_objects": len(scene.objects), "target_id": int(target.id),
                                  "table_top_z": float(scene.table.top_z), "grasp_stage": self.grasp_method,
                                  "table": _jsonable(scene.table), "appearance": _jsonable(scene.appearance),
                                  "objects": [{"id": o.id, "category": o.category, "asset": o.asset.name,
                                               "pose": np.asarray(o.pose).reshape(16).tolist()} for o in scene.objects]}
        meta = EpisodeMeta(seed=int(seed), category=target.category, object_id=target.asset.name,
                           instruction=instruction_for(target.category), success=False, source=self.name,
                           params=params, timings=timings)
        candidates = self._grasp_candidates(scene, int(seed), params)
        timings["grasp"] = time.perf_counter() - t0
        if not candidates:
            err = PlanningError(f"seed {seed}: no valid grasp on target {target.asset.name} ({self.grasp_method})")
            err.episode_meta = meta  # type: ignore[attr-defined]  # counted as a failed episode of its category
            raise err

        # ---- plan: collision-free motion to the pre-grasp, straight approach, straight lift
        t0 = time.perf_counter()
        robot = Robot(self.robot, finger_extension=0.0)
        q0 = np.clip(HOME_Q + rng.normal(0.0, self.init_noise, 7), robot.q_min + 0.05, robot.q_max - 0.05)
        params["q_init"] = q0.tolist()
        sw = world_from_scene(scene, robot)
        cfg = PlannerConfig(time_limit=self.plan_time_limit, seed=int(seed), velocity_scale=self.speed_scale,
                            acceleration_scale=self.speed_scale, jerk_scale=self.speed_scale)
        # candidates in rank order: plan (ms), then check the reachable ones in physics (~0.1 s each)
        validator, validated, t_validate = None, [], 0.0
        plan, reason = None, "no candidates"
        for k, (T, width) in enumerate(candidates):
            # pre-shape the hand a little wider than the object so open fingers clear neighbours
            preshape = float(min(GRIPPER_MAX_WIDTH, width + self.preshape_clearance))
            sw.world.gripper_width = preshape
            plan = plan_grasp(sw.world, q0, T, cfg, pregrasp_distance=self.pregrasp, lift_height=self.lift,
                              target_id=sw.objects[target.id])
            if not plan.success:
                reason = plan.message
                continue
            if self.grasp_method == "synthesis" and self.grasp_validate > 0:
                if len(validated) >= self.grasp_validate:
                    plan, reason = None, f"{len(validated)} reachable grasps failed the physics check"
                    break
                from graspvla.grasp import GraspValidator

                tv = time.perf_counter()
                validator = validator or GraspValidator(target.asset, target.pose)
                held = bool(validator.validate(T, width).success)
                t_validate += time.perf_counter() - tv
                validated.append(held)
                if not held:
                    plan, reason = None, "reachable grasps failed the physics check"
                    continue
            grasp, obj_width = candidates[k]
            params["grasp_candidate"] = k
            break
        params["grasps_validated"] = validated
        timings["grasp"] += t_validate
        timings["plan"] = time.perf_counter() - t0 - t_validate
        if plan is None or not plan.success:
            err = PlanningError(f"seed {seed}: no reachable, physically valid grasp among {len(candidates)}: {reason}")
            err.episode_meta = meta  # type: ignore[attr-defined]
            raise err
        meta.grasp_pose = grasp
        params["grasp_width"] = obj_width
        params["preshape_width"] = preshape
        params["plan_iterations"] = int(plan.motion.iterations)
        approach, lifting = plan.approach, plan.lift

        # ---- execute (physics) + render (cameras at fps)
        sim = Simulator(scene, SimConfig(height=self.image_size, width=self.image_size, gravity_compensation=True))
        try:
            t_exec = t_render = 0.0
            dt = float(sim.model.opt.timestep)
            per_frame = max(1, int(round(1.0 / (self.fps * dt))))
            _, qa, _, _ = sample_uniform(approach, dt)
            _, ql, _, _ = sample_uniform(lifting, dt)
            n_close = int(round(self.close_time / dt))
            n_settle = int(round(self.settle_time / dt))  # servos catch up with the trajectory's end
            q_cmd = np.concatenate([qa, np.repeat(qa[-1:], n_settle + n_close, 0), ql, np.repeat(ql[-1:], per_frame * 3, 0)])
            g_cmd = np.concatenate([np.ones(len(qa) + n_settle), np.zeros(n_close + len(ql) + per_frame * 3)])  # 1 open, 0 close
            # width servo target: open at the pre-shape, then closing at ``close_speed`` (a step to 0
            # slams the light fingers through thin objects); once touching, the servo's remaining
            # error sets the squeeze (about 1000 N/m x object width, ~40 N for 4 cm)
            t_closed = (np.arange(len(g_cmd)) - (len(qa) + n_settle)) * dt
            w_cmd = np.where(g_cmd > 0.5, preshape, np.clip(preshape - self.close_speed * t_closed, 0.0, preshape))
            sim.set_joint_positions(q0, gripper_width=preshape)
            z0 = sim.object_poses()[target.id][2, 3]
            rec: dict[str, list[Any]] = {"pose": [], "width": [], "q": [], "cmd": [], "img": [], "box": []}
            for k in range(len(q_cmd)):
                if k % per_frame == 0:
                    ts = time.perf_counter()
                    js = sim.joint_state()
                    rec["pose"].append(sim.tcp_pose())
                    rec["width"].append(js.gripper_width)
                    rec["q"].append(js.q)
                    rec["cmd"].append(g_cmd[k])
                    imgs, boxes = {}, {}
                    for cam in self.cameras:
                        imgs[cam] = sim.render(cam)
                        b = sim.boxes(cam).get(target.id)
                        boxes[cam] = np.asarray(b if b is not None else (-1, -1, -1, -1), dtype=np.float32)
                    rec["img"].append(imgs)
                    rec["box"].append(boxes)
                    if k == 0:  # the cameras are fixed in the world: one calibration per episode
                        params["cameras"] = {cam: CameraCalibration(sim.camera_intrinsics(cam), sim.camera_pose(cam),
                                                                    (self.image_size, self.image_size)).to_dict()
                                             for cam in self.cameras}
                    t_render += time.perf_counter() - ts
                ts = time.perf_counter()
                sim.set_joint_targets(q_cmd[k])
                sim.set_gripper(float(w_cmd[k]))
                sim.step(1)
                t_exec += time.perf_counter() - ts
            z1 = sim.object_poses()[target.id][2, 3]
            touching = sim.contacts_with_hand(target.id) > 0
        finally:
            sim.close()
        timings["execute"] = t_exec
        timings["render"] = t_render
        meta.success = bool(z1 - z0 >= self.success_lift and touching)
        params["object_rise"] = float(z1 - z0)

        # ---- annotate
        t0 = time.perf_counter()
        # proprio gripper = the state the previous command left it in (1 open, 0 closed), as the
        # evaluation environment and GraspVLA's clients report it; the measured width is in params
        cmd = np.array(rec["cmd"])
        arrays = build_episode_arrays(np.stack(rec["pose"]), np.r_[1.0, cmd[:-1]], cmd, grasp)
        params["gripper_width"] = np.round(np.array(rec["width"]), 5).tolist()
        ep = Episode(meta=meta, fps=float(self.fps),
                     images={c: np.stack([f[c] for f in rec["img"]]) for c in self.cameras},
                     state=arrays["state"], joints=np.stack(rec["q"]).astype(np.float32), action=arrays["action"],
                     action_abs=arrays["action_abs"], goal=arrays["goal"],
                     boxes={c: np.stack([f[c] for f in rec["box"]]) for c in self.cameras})
        timings["annotate"] = time.perf_counter() - t0
        return ep


register_source("syngrasp", SynGraspSource)
