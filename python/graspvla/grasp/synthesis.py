"""Antipodal grasp synthesis for the Franka hand (C++ kernel ``graspvla._core.grasp``).

Frames and units (metres, radians):

* **object frame**: the frame of the mesh vertices (for :class:`~graspvla.assets.ObjectAsset`,
  origin at the centre of mass). :attr:`Grasp.pose` is the TCP pose in this frame.
* **world frame** (= robot base frame in this repo): ``object_pose`` maps object -> world;
  the table plane and neighbouring objects are given in it; :attr:`Grasp.pose_world` =
  ``object_pose @ pose``.
* **TCP frame** (as ``graspvla.sim`` site ``tcp`` and ``graspvla.robot.Frame.TCP``): origin
  between the finger pads, **z = approach direction** (palm -> fingertips), **y = finger
  closing axis**, x = y x z. The hand frame is the TCP frame shifted by
  :data:`graspvla.sim.robot_model.TCP_OFFSET` (0.1034 m) back along z. A grasp and the same
  grasp rotated by pi about z are physically identical (the fingers are symmetric).

Algorithm (see ``csrc/include/graspvla/grasp/synthesis.hpp``): area-weighted surface samples,
inward ray casts to the opposite surface (BVH), friction-cone and width tests, approach
directions around each grasp axis, finger-face ray grids that find the real first contacts
(pads vs finger body), re-centring between them, collision of the open hand swept along the
approach with the object, the table and the neighbours, scoring and pose-space NMS.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graspvla._core import grasp as _grasp
from graspvla.errors import InvalidInputError, InvalidMeshError

__all__ = [
    "HandConfig", "SynthesisConfig", "SceneCollision", "Grasp", "SynthesisResult", "Mesh", "prepare_mesh",
    "synthesize", "synthesize_detailed", "synthesize_batch", "antipodal_test", "ferrari_canny_epsilon",
    "QUALITY_NAMES",
]

F = NDArray[np.float64]
Mesh = _grasp.Mesh
QUALITY_NAMES = ("antipodal", "contact", "com", "epsilon", "approach")


@dataclass(frozen=True)
class HandConfig:
    """Franka hand boxes in the TCP frame [m] (defaults: the ``graspvla.sim`` MuJoCo hand).

    Each finger's inner face is the plane y = +-width/2. ``pad_*``: the contact pad (the four
    ridge boxes of the MuJoCo finger) on that face; the rest of the inner face is recessed by
    ``finger_recess``. ``finger_*``/``palm_*``: collision extents; ``max_width``: full opening.
    """

    max_width: float = 0.08
    finger_half_x: float = 0.0105
    finger_thickness: float = 0.0265
    finger_z_min: float = -0.045
    finger_z_max: float = 0.009
    pad_half_x: float = 0.0085
    pad_z_min: float = -0.009
    pad_z_max: float = 0.008
    finger_recess: float = 0.0025
    palm_half_x: float = 0.0316
    palm_half_y: float = 0.104
    palm_z_min: float = -0.1293
    palm_z_max: float = -0.0374

    def to_core(self) -> Any:
        h = _grasp.HandGeometry()
        for f in fields(self):
            setattr(h, f.name, float(getattr(self, f.name)))
        return h


@dataclass(frozen=True)
class SynthesisConfig:
    """Grasp synthesis settings.

    Attributes:
        num_samples: surface points sampled (one inward ray cast each).
        num_approaches: approach directions tried around each antipodal grasp axis.
        friction: Coulomb coefficient used by the friction-cone tests (conservative: MuJoCo
            objects use 1.0, see ``graspvla.sim.model.OBJECT_FRICTION``).
        ray_cone_fraction: the inward rays spread over this fraction of the friction cone.
        min_width: thinnest graspable object width [m].
        width_margin: the object width must be <= ``hand.max_width - width_margin`` [m].
        clearance: collision padding of the hand [m].
        approach_distance: the open hand's straight approach along TCP -z over this distance
            [m] must be collision free too (the pre-grasp offset of the data pipeline).
        contact_tolerance: finger-face ray cells within this distance of the first contact
            count as touching [m].
        pad_grid: pad_grid x pad_grid rays on each pad; grid_x, grid_z: coarse rays on the rest
            of the finger face.
        require_pad_contact: reject grasps whose first contact is on the finger body.
        table_pullback: a hand pose whose fingertips hit the table is retried this far back
            along the approach [m] (low objects then meet the pads' lower half).
        weight_*: score = sum of weight x quality (qualities in [0, 1], see ``QUALITY_NAMES``):
            antipodal (1 - net push of the squeeze |n+ + n-|/2 relative to the friction cone,
            times the coherence of each pad's contact normals), contact (half pad coverage, half how
            central the contacts sit on the pads along the approach), com (grasp axis
            distance from the centre of mass vs object radius), epsilon (Ferrari-Canny /
            ``epsilon_ref``), approach (alignment of TCP z with ``preferred_approach``, world frame).
        centre_of_mass: object frame [m]; None = centroid of the uniform solid.
        max_grasps: top K returned after non-maximum suppression (0 = every valid grasp, no NMS).
        nms_distance [m], nms_angle [rad]: grasps closer than both to a better one are dropped.
        threads: 0 = ``graspvla._core.get_num_threads()``.
    """

    num_samples: int = 400
    num_approaches: int = 8
    friction: float = 0.5
    ray_cone_fraction: float = 0.5
    min_width: float = 0.002
    width_margin: float = 0.004
    clearance: float = 0.002
    approach_distance: float = 0.10
    contact_tolerance: float = 0.0005
    pad_grid: int = 5
    grid_x: int = 4
    grid_z: int = 8
    require_pad_contact: bool = True
    table_pullback: float = 0.006
    weight_antipodal: float = 2.0
    weight_contact: float = 1.0
    weight_com: float = 1.0
    weight_epsilon: float = 1.0
    weight_approach: float = 0.0
    epsilon_ref: float = 0.2
    preferred_approach: tuple[float, float, float] = (0.0, 0.0, -1.0)
    centre_of_mass: tuple[float, float, float] | None = None
    max_grasps: int = 32
    nms_distance: float = 0.01
    nms_angle: float = 0.35
    threads: int = 0
    hand: HandConfig = field(default_factory=HandConfig)

    def to_core(self) -> Any:
        o = _grasp.SynthesisOptions()
        for f in fields(self):
            if f.name in ("hand", "preferred_approach", "centre_of_mass"):
                continue
            setattr(o, f.name, getattr(self, f.name))
        o.preferred_approach = np.asarray(self.preferred_approach, np.float64)
        o.centre_of_mass = (np.full(3, np.nan) if self.centre_of_mass is None
                            else np.asarray(self.centre_of_mass, np.float64))
        return o


@dataclass
class SceneCollision:
    """What the hand must not touch, in the **world frame**.

    Attributes:
        object_pose: 4x4 object -> world pose of the object being grasped.
        table_z: height of the table plane (everything below is solid), or None.
        boxes: [(4x4 world pose of the box centre, half extents (3,))].
        meshes: [(4x4 mesh -> world pose, (vertices (V,3), faces (F,3)), a prepared :class:`Mesh`
            or an ObjectAsset)], e.g. the neighbouring objects of a scene.
    """

    object_pose: ArrayLike = field(default_factory=lambda: np.eye(4))
    table_z: float | None = None
    boxes: list[tuple[ArrayLike, ArrayLike]] = field(default_factory=list)
    meshes: list[tuple[ArrayLike, Any]] = field(default_factory=list)

    @classmethod
    def from_scene(cls, scene: Any, target_id: int | None = None) -> "SceneCollision":
        """Obstacles of a :class:`graspvla.scene.Scene` around object ``target_id`` (default the
        scene's target): the table top and the other objects' meshes at their poses."""
        tid = scene.target.id if target_id is None else target_id
        target = next(o for o in scene.objects if o.id == tid)
        meshes = [(np.asarray(o.pose, np.float64), o.asset) for o in scene.objects if o.id != tid]
        return cls(object_pose=np.asarray(target.pose, np.float64), table_z=float(scene.table.top_z), meshes=meshes)

    def to_core(self) -> Any:
        meshes = [(_pose(p, "meshes[i] pose"), _as_mesh(m, None) if isinstance(m, Mesh) or hasattr(m, "faces")
                   else prepare_mesh(*m)) for p, m in self.meshes]
        boxes = [(_pose(p, "boxes[i] pose"), np.asarray(h, np.float64)) for p, h in self.boxes]
        return _grasp.SceneObstacles(_pose(self.object_pose, "object_pose"), self.table_z, boxes, meshes)


@dataclass(frozen=True)
class Grasp:
    """One grasp of the Franka hand.

    Attributes:
        pose: 4x4 TCP pose in the **object frame** (z approach, y closing axis).
        pose_world: 4x4 TCP pose in the **world frame** (= object_pose @ pose; equals ``pose``
            when no object pose was given).
        width: object width between the pads at the contacts [m] (the gripper closes to about this).
        score: weighted sum of the qualities (higher is better).
        quality: {"antipodal", "contact", "com", "approach"} in [0, 1] and "epsilon" (raw
            Ferrari-Canny epsilon, torques divided by the object radius).
        contacts: (2,3) mean contact point on the +y / -y finger pad, object frame [m].
        normals: (2,3) outward object surface normals there (object frame).
    """

    pose: F
    pose_world: F
    width: float
    score: float
    quality: dict[str, float]
    contacts: F
    normals: F

    @property
    def approach(self) -> F:
        """Approach direction (TCP z) in the world frame."""
        return self.pose_world[:3, 2]

    @property
    def closing_axis(self) -> F:
        """Finger closing axis (TCP y) in the world frame."""
        return self.pose_world[:3, 1]


@dataclass(frozen=True)
class SynthesisResult:
    """Grasps (best first), counters (``samples``, ``pairs``, ``candidates``, ``valid``,
    ``rejected`` per reason, ``seconds``) and the mesh repairs that were applied."""

    grasps: list[Grasp]
    stats: dict[str, Any]
    repairs: dict[str, int]


def _pose(T: ArrayLike, name: str) -> F:
    a = np.ascontiguousarray(T, dtype=np.float64)
    if a.shape != (4, 4):
        raise InvalidInputError(f"{name}: expected a 4x4 pose, got shape {a.shape}")
    return a


def prepare_mesh(vertices: ArrayLike, faces: ArrayLike, repair: bool = True, min_extent: float = 0.005,
                 max_extent: float = 1.0, collision: Sequence[tuple[ArrayLike, ArrayLike]] | None = None) -> Any:
    """Validate (and by default repair) a triangle mesh for synthesis; returns a :class:`Mesh`.

    Repairs: duplicate vertices welded, zero-area and duplicate faces dropped, inconsistent or
    inward winding re-oriented, small holes closed by fans (``mesh.report`` counts each).
    Edges shared by more than two faces are kept and counted (``nonmanifold_edges``).
    Rejects with :class:`~graspvla.errors.InvalidMeshError` naming the problem: non-finite
    values or out-of-range indices, absurd scale (largest extent outside [min_extent,
    max_extent] m, e.g. millimetres), unfillable holes, non-orientable or zero-volume surfaces.
    With ``repair=False`` any defect (including non-manifold edges) is rejected.

    ``collision``: the object's convex collision pieces [(V_i,3), (F_i,3)] (e.g.
    ``ObjectAsset.collision``). MuJoCo collides each as its convex hull, which can cover
    concave regions of the mesh (under a mushroom's cap); with them, finger contacts and hand
    collisions are computed on what the physics sees, and sampling on the mesh.
    """
    v = np.ascontiguousarray(vertices, dtype=np.float64)
    f = np.asarray(faces)
    if v.ndim != 2 or v.shape[1] != 3:
        raise InvalidMeshError(f"vertices: expected shape (N, 3), got {v.shape}")
    if f.ndim != 2 or f.shape[1] != 3 or not np.issubdtype(f.dtype, np.integer):
        raise InvalidMeshError(f"faces: expected integer array of shape (M, 3), got {f.dtype} {f.shape}")
    if not np.isfinite(v).all():
        raise InvalidMeshError("mesh: vertices contain NaN or infinite values")
    parts = None if collision is None else [(np.ascontiguousarray(pv, np.float64), np.ascontiguousarray(pf, np.int64))
                                            for pv, pf in collision]
    return Mesh(v, np.ascontiguousarray(f, dtype=np.int64), repair=repair, min_extent=min_extent,
                max_extent=max_extent, collision=parts)


def _as_mesh(mesh: Any, faces: ArrayLike | None) -> Any:
    if isinstance(mesh, Mesh):
        return mesh
    if hasattr(mesh, "vertices") and hasattr(mesh, "faces"):  # ObjectAsset (with its collision pieces)
        return prepare_mesh(mesh.vertices, mesh.faces, collision=getattr(mesh, "collision", None))
    if faces is None:
        raise InvalidInputError("faces: required when vertices are given (or pass a prepared Mesh)")
    return prepare_mesh(mesh, faces)


def _grasps(d: dict[str, Any], object_pose: F) -> list[Grasp]:
    out = []
    for i in range(len(d["scores"])):
        P = d["poses"][i]
        out.append(Grasp(pose=P, pose_world=object_pose @ P, width=float(d["widths"][i]), score=float(d["scores"][i]),
                         quality={k: float(v) for k, v in zip(QUALITY_NAMES, d["quality"][i])},
                         contacts=d["contacts"][i], normals=d["normals"][i]))
    return out


def synthesize_detailed(vertices: ArrayLike | Any, faces: ArrayLike | None = None,
                        config: SynthesisConfig = SynthesisConfig(), seed: int = 0,
                        scene_collision: SceneCollision | None = None) -> SynthesisResult:
    """:func:`synthesize` returning the statistics and mesh repairs as well."""
    mesh = _as_mesh(vertices, faces)
    scene = scene_collision.to_core() if scene_collision is not None else None
    object_pose = np.asarray(scene_collision.object_pose, np.float64) if scene_collision is not None else np.eye(4)
    d = _grasp.synthesize(mesh, config.hand.to_core(), config.to_core(), int(seed), scene)
    return SynthesisResult(_grasps(d, object_pose), d["stats"], dict(mesh.report))


def synthesize(vertices: ArrayLike | Any, faces: ArrayLike | None = None, config: SynthesisConfig = SynthesisConfig(),
               seed: int = 0, scene_collision: SceneCollision | None = None) -> list[Grasp]:
    """Top-K antipodal Franka-hand grasps of one object, best first.

    Args:
        vertices: (V,3) [m] in the object frame, or a prepared :class:`Mesh`, or an
            :class:`~graspvla.assets.ObjectAsset` (then ``faces=None``; its convex collision
            pieces are used for contacts and collisions, see :func:`prepare_mesh`).
        faces: (F,3) vertex indices.
        config: :class:`SynthesisConfig`.
        seed: the same seed gives the same grasps (independent of the thread count).
        scene_collision: object pose in the world plus table / neighbours to avoid
            (:meth:`SceneCollision.from_scene` builds it from a generated scene).

    Returns:
        grasps with ``pose`` (object frame) and ``pose_world`` (world frame) TCP poses; empty
        when the object admits none (e.g. wider than the opening everywhere).
    """
    return synthesize_detailed(vertices, faces, config, seed, scene_collision).grasps


def synthesize_batch(meshes: Sequence[Any], config: SynthesisConfig = SynthesisConfig(),
                     seeds: Sequence[int] | None = None,
                     scene_collisions: Sequence[SceneCollision | None] | None = None) -> list[SynthesisResult]:
    """Many objects at once (parallel over objects, GIL released). ``meshes``: prepared
    :class:`Mesh` objects, ObjectAssets or (vertices, faces) pairs; ``seeds`` default 0..N-1."""
    ms = [_as_mesh(m, None) if isinstance(m, Mesh) or hasattr(m, "faces") else prepare_mesh(*m) for m in meshes]
    seeds = list(range(len(ms))) if seeds is None else [int(s) for s in seeds]
    if len(seeds) != len(ms):
        raise InvalidInputError(f"seeds: expected {len(ms)} seeds, got {len(seeds)}")
    scs = list(scene_collisions) if scene_collisions is not None else [None] * len(ms)
    if len(scs) != len(ms):
        raise InvalidInputError(f"scene_collisions: expected {len(ms)} entries, got {len(scs)}")
    core = [s.to_core() if s is not None else None for s in scs]
    ds = _grasp.synthesize_batch(ms, config.hand.to_core(), config.to_core(), seeds, [c for c in core] if any(
        c is not None for c in core) else [])
    out = []
    for m, s, d in zip(ms, scs, ds):
        pose = np.asarray(s.object_pose, np.float64) if s is not None else np.eye(4)
        out.append(SynthesisResult(_grasps(d, pose), d["stats"], dict(m.report)))
    return out


def antipodal_test(mesh: Any, points: ArrayLike, normals: ArrayLike, directions: ArrayLike, friction: float = 0.5,
                   min_width: float = 0.002, max_width: float = 0.076) -> dict[str, Any]:
    """The bare antipodal test on given rays (object frame): ``valid`` (N,) bool, ``width`` (N,)
    [m] (NaN on a miss), ``far_points`` / ``far_normals`` (N,3)."""
    return _grasp.antipodal_test(mesh, np.ascontiguousarray(points, np.float64), np.ascontiguousarray(normals, np.float64),
                                 np.ascontiguousarray(directions, np.float64), float(friction), float(min_width),
                                 float(max_width))


def ferrari_canny_epsilon(points: ArrayLike, forces: ArrayLike, friction: float, com: ArrayLike = (0.0, 0.0, 0.0),
                          torque_scale: float = 1.0) -> float:
    """Ferrari-Canny L1 epsilon of point contacts with Coulomb friction (``forces``: inward
    normal directions; torques about ``com`` divided by ``torque_scale`` [m]). 0 = no force closure."""
    return float(_grasp.ferrari_canny_epsilon(np.ascontiguousarray(points, np.float64),
                                              np.ascontiguousarray(forces, np.float64), float(friction),
                                              np.asarray(com, np.float64), float(torque_scale)))
