"""Table-top scenes: table, floor, robot at a fixed base, objects dropped in clusters and settled.

Frames: everything is in the robot **base frame**, which is also the MuJoCo world frame
(robot base at the origin, z up, x pointing over the table). Metres, radians.
The same ``seed`` and config give the same scene (poses equal to the last bit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from graspvla.assets.mesh import ObjectAsset
from graspvla.assets.procedural import category_names, generate_object
from graspvla.errors import InvalidInputError, SimulationError
from graspvla.scene.appearance import Appearance, AppearanceConfig, sample_appearance

__all__ = ["SceneConfig", "TableSpec", "SceneObject", "Distractor", "Scene", "generate_scene", "HOME_Q"]

log = logging.getLogger(__name__)

#: FR3 joint configuration [rad] the scene starts in (hand above the table, out of the way).
HOME_Q = np.array([0.0, -0.785398, 0.0, -2.356194, 0.0, 1.570796, 0.785398])


@dataclass(frozen=True)
class SceneConfig:
    """Ranges for the random scene.

    Attributes:
        n_objects: inclusive range of graspable objects on the table.
        categories: procedural categories to draw from (None = all).
        catalog: optional :class:`AssetCatalog` directory to draw assets from instead.
        table_top_z: range of the table-top height in the base frame [m].
        table_near_x: range of the table edge nearest to the robot [m].
        table_size: ranges of (depth along x, width along y) [m].
        table_thickness: table-top slab thickness [m]; legs reach the floor.
        table_leg_height: floor is this far below the table top [m].
        spawn_x, spawn_y: region of cluster centres [m] (reachable workspace).
        n_clusters: inclusive range of drop clusters; cluster_sigma: spread [m].
        lying_prob: probability that an object is dropped in a random 3D orientation.
        n_distractors: static visual clutter (shelf boxes, plants...) beyond the table.
        settle_time: max simulated seconds to settle; rest_lin_vel [m/s], rest_ang_vel [rad/s].
    """

    n_objects: tuple[int, int] = (1, 5)
    categories: tuple[str, ...] | None = None
    catalog: str | None = None
    table_top_z: tuple[float, float] = (-0.04, 0.0)
    table_near_x: tuple[float, float] = (0.12, 0.2)
    table_size: tuple[tuple[float, float], tuple[float, float]] = ((0.7, 0.95), (1.0, 1.5))
    table_thickness: float = 0.04
    table_leg_height: tuple[float, float] = (0.65, 0.8)
    spawn_x: tuple[float, float] = (0.38, 0.62)
    spawn_y: tuple[float, float] = (-0.22, 0.22)
    n_clusters: tuple[int, int] = (1, 2)
    cluster_sigma: float = 0.07
    lying_prob: float = 0.3
    n_distractors: tuple[int, int] = (0, 3)
    settle_time: float = 3.0
    rest_lin_vel: float = 0.005
    rest_ang_vel: float = 0.05
    appearance: AppearanceConfig = field(default_factory=AppearanceConfig)

    def __post_init__(self) -> None:
        lo, hi = self.n_objects
        if not (1 <= lo <= hi):
            raise InvalidInputError(f"n_objects must satisfy 1 <= min <= max, got {self.n_objects}")
        if self.categories is not None:
            bad = [c for c in self.categories if c not in category_names()]
            if bad:
                raise InvalidInputError(f"categories {bad} are unknown; choose from {category_names()}")


@dataclass(frozen=True)
class TableSpec:
    """Table top: centre (x, y) [m], size (depth x, width y) [m], top surface height z [m],
    slab thickness [m], floor height z [m] (all in the base frame)."""

    centre: tuple[float, float]
    size: tuple[float, float]
    top_z: float
    thickness: float
    floor_z: float


@dataclass
class SceneObject:
    """A graspable object: ``id`` (index; MuJoCo body ``object_<id>``), category, asset, and
    ``pose`` (4x4, object frame -> base frame, origin at the object's centre of mass)."""

    id: int
    category: str
    asset: ObjectAsset
    pose: np.ndarray

    @property
    def body_name(self) -> str:
        return f"object_{self.id}"


@dataclass(frozen=True)
class Distractor:
    """Static visual clutter off the table: box or cylinder, centre [m], half-sizes [m], rgba."""

    kind: str
    pos: tuple[float, float, float]
    size: tuple[float, float, float]
    rgba: tuple[float, float, float, float]


@dataclass
class Scene:
    """One sampled, settled scene. Build MuJoCo with :meth:`build_model` or :class:`graspvla.sim.Simulator`."""

    seed: int
    config: SceneConfig
    table: TableSpec
    objects: list[SceneObject]
    target_id: int
    appearance: Appearance
    distractors: list[Distractor]
    robot_q: np.ndarray = field(default_factory=lambda: HOME_Q.copy())

    @property
    def table_height(self) -> float:
        """Height of the table top above the robot base [m] (base frame z)."""
        return self.table.top_z

    @property
    def target(self) -> SceneObject:
        return self.objects[self.target_id]

    @property
    def instruction(self) -> str:
        """A GraspVLA-style instruction naming the target's category."""
        return f"pick up the {self.target.category}"

    def object_poses(self) -> dict[int, np.ndarray]:
        return {o.id: o.pose.copy() for o in self.objects}

    def build_spec(self, robot: bool = True, decimate: bool = True, actuation: str = "position"):
        """The scene as a :class:`mujoco.MjSpec` (see :func:`graspvla.sim.build_scene_spec`)."""
        from graspvla.sim.model import build_scene_spec

        return build_scene_spec(self, robot=robot, decimate=decimate, actuation=actuation)

    def build_model(self, robot: bool = True, decimate: bool = True, actuation: str = "position"):
        """Compiled :class:`mujoco.MjModel` of the scene."""
        return self.build_spec(robot, decimate, actuation).compile()


def _random_rotation(rng: np.random.Generator, lying: bool) -> np.ndarray:
    from graspvla.geometry import quat_to_matrix

    if lying:
        q = rng.normal(size=4)
        return np.asarray(quat_to_matrix(q / np.linalg.norm(q)))
    yaw = rng.uniform(-np.pi, np.pi)
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _draw_assets(cfg: SceneConfig, rng: np.random.Generator, n: int) -> list[ObjectAsset]:
    if cfg.catalog is not None:
        from graspvla.assets.catalog import AssetCatalog

        cat = AssetCatalog(Path(cfg.catalog))
        return [cat.sample(rng) for _ in range(n)]
    names = list(cfg.categories) if cfg.categories else category_names()
    return [generate_object(names[int(rng.integers(len(names)))], rng) for _ in range(n)]


def _initial_poses(cfg: SceneConfig, rng: np.random.Generator, assets: list[ObjectAsset],
                   table: TableSpec) -> list[np.ndarray]:
    """Drop poses: objects around cluster centres, lifted so their bounding spheres do not overlap."""
    k = int(rng.integers(cfg.n_clusters[0], cfg.n_clusters[1] + 1))
    centres = np.stack([rng.uniform(*cfg.spawn_x, size=k), rng.uniform(*cfg.spawn_y, size=k)], 1)
    placed: list[tuple[np.ndarray, float]] = []
    poses = []
    for a in assets:
        R = _random_rotation(rng, rng.random() < cfg.lying_prob)
        rad = float(np.linalg.norm(a.vertices, axis=1).max())
        c = centres[int(rng.integers(k))]
        xy = c + rng.normal(0.0, cfg.cluster_sigma, 2)
        xy = np.clip(xy, [cfg.spawn_x[0] - 0.05, cfg.spawn_y[0] - 0.05], [cfg.spawn_x[1] + 0.05, cfg.spawn_y[1] + 0.05])
        # lowest point of the rotated object -> rest on the table top plus a small gap
        zmin = float((a.vertices @ R.T)[:, 2].min())
        z = table.top_z - zmin + 0.005
        for p, r in placed:  # lift above anything it would overlap
            if np.linalg.norm(p[:2] - xy) < r + rad and z < p[2] + r + rad:
                z = p[2] + r + rad + 0.005
        pos = np.array([xy[0], xy[1], z])
        placed.append((pos, rad))
        T = np.eye(4)
        T[:3, :3], T[:3, 3] = R, pos
        poses.append(T)
    return poses


def _settle(scene: Scene) -> Scene:
    """Simulate the objects (without the robot) until at rest; drop any that left the table."""
    import mujoco

    from graspvla.sim.model import build_scene_spec, object_pose

    cfg = scene.config
    model = build_scene_spec(scene, robot=False, visual=False).compile()
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    bodies = [model.body(o.body_name).id for o in scene.objects]
    check_every = max(1, int(0.1 / model.opt.timestep))
    n_steps = int(cfg.settle_time / model.opt.timestep)
    rested = False
    calm = 0
    for step in range(1, n_steps + 1):
        mujoco.mj_step(model, data)
        if step % check_every == 0 and step * model.opt.timestep >= 0.3:
            v = data.cvel[bodies]  # (n, 6) [angular; linear] at each free body's COM
            still = np.all(np.linalg.norm(v[:, 3:], axis=1) < cfg.rest_lin_vel) and \
                np.all(np.linalg.norm(v[:, :3], axis=1) < cfg.rest_ang_vel)
            calm = calm + 1 if still else 0
            if calm >= 3:  # at rest for 0.3 s, not just at a turning point
                rested = True
                break
        if not np.all(np.isfinite(data.qpos)):
            raise SimulationError(f"scene seed {scene.seed}: physics diverged while settling")
    if not rested:
        log.info("scene seed %d: objects still moving after %.1f s of settling", scene.seed, cfg.settle_time)
    kept = []
    t = scene.table
    for o, b in zip(scene.objects, bodies):
        pose = object_pose(data, b)
        on = (pose[2, 3] > t.top_z and abs(pose[0, 3] - t.centre[0]) < t.size[0] / 2
              and abs(pose[1, 3] - t.centre[1]) < t.size[1] / 2)
        if on:
            kept.append(replace(o, pose=pose))
        else:
            log.info("scene seed %d: object %d (%s) fell off the table; removed", scene.seed, o.id, o.category)
    if not kept:
        raise SimulationError(f"scene seed {scene.seed}: every object fell off the table")
    kept = [replace(o, id=i) for i, o in enumerate(kept)]
    scene.objects = kept
    scene.target_id = _named_target(kept, min(scene.target_id, len(kept) - 1))
    return scene


def _named_target(objects: list[SceneObject], target: int) -> int:
    """``target``, or, when another object shares its category (the instruction "pick up the
    <category>" would name two objects), the next object by id whose category is unique in the
    scene; ``target`` itself when no category is unique."""
    counts: dict[str, int] = {}
    for o in objects:
        counts[o.category] = counts.get(o.category, 0) + 1
    n = len(objects)
    for k in range(n):
        i = (target + k) % n
        if counts[objects[i].category] == 1:
            return i
    return target


def generate_scene(config: SceneConfig = SceneConfig(), seed: int = 0, settle: bool = True) -> Scene:
    """Sample a table, objects (dropped in clusters, settled by physics), target, appearance.

    The target is an object drawn at random or, when its category is shared, the next object
    (by id) whose category is unique in the scene, so that its instruction names one object. Deterministic: the same ``seed``
    and ``config`` give identical scenes.
    """
    rng = np.random.default_rng(seed)
    depth, width = rng.uniform(*config.table_size[0]), rng.uniform(*config.table_size[1])
    near = rng.uniform(*config.table_near_x)
    top = rng.uniform(*config.table_top_z)
    table = TableSpec((float(near + depth / 2), float(rng.uniform(-0.1, 0.1))), (float(depth), float(width)),
                      float(top), config.table_thickness, float(top - rng.uniform(*config.table_leg_height)))
    n = int(rng.integers(config.n_objects[0], config.n_objects[1] + 1))
    assets = _draw_assets(config, rng, n)
    poses = _initial_poses(config, rng, assets, table)
    objects = [SceneObject(i, a.category, a, p) for i, (a, p) in enumerate(zip(assets, poses))]
    centre = np.array([np.mean(config.spawn_x) - 0.08, 0.0, top + 0.12])  # between objects and arm
    appearance = sample_appearance(rng, config.appearance, centre, n)
    distractors = []
    for _ in range(int(rng.integers(config.n_distractors[0], config.n_distractors[1] + 1))):
        side = rng.choice([-1.0, 1.0])
        size = tuple(float(x) for x in rng.uniform(0.05, 0.2, 3))
        pos = (float(rng.uniform(0.2, 1.2)), float(table.centre[1] + side * (width / 2 + 0.3 + rng.uniform(0, 0.5))),
               float(table.floor_z + size[2]))
        distractors.append(Distractor(("box", "cylinder")[int(rng.integers(2))], pos, size,
                                      tuple(float(x) for x in np.r_[rng.uniform(0, 1, 3), 1.0])))
    target = _named_target(objects, int(rng.integers(n)))
    scene = Scene(seed, config, table, objects, target, appearance, distractors)
    if settle:
        scene = _settle(scene)
    return scene


def generate_scene_with_target(config: SceneConfig, seed: int, category: str, attempts: int = 64,
                               unique: bool = True) -> Scene:
    """A scene whose target is an object of ``category`` (the first one, by object id).

    Tries the scene seeds ``seed * attempts + k`` for k = 0, 1, ... (deterministic; the
    benchmark's scenes are drawn this way) until one holds that category; with ``unique``
    (default), exactly one object of it, so that the instruction "pick up the <category>"
    names one object (lifting another of the same kind would otherwise count as the wrong
    object). Raises :class:`InvalidInputError` if ``config.categories`` excludes it, and
    :class:`SimulationError` if no attempt holds it.
    """
    if config.categories is not None and category not in config.categories:
        raise InvalidInputError(f"target category {category!r} is not among the scene's categories {list(config.categories)}")
    if config.catalog is None and category not in category_names():
        raise InvalidInputError(f"target category {category!r} is unknown; choose from {category_names()}")
    for k in range(attempts):
        scene = generate_scene(config, seed=seed * attempts + k)
        ids = [i for i, o in enumerate(scene.objects) if o.category == category]
        if ids and (len(ids) == 1 or not unique):
            scene.target_id = ids[0]
            return scene
    what = "exactly one" if unique else "a"
    raise SimulationError(f"no scene with {what} {category!r} among {attempts} draws for seed {seed}")
