"""FR3 arm + Franka hand MJCF from the ``franky-sim`` package, as :class:`mujoco.MjSpec`.

Source: ``franky_sim/assets/fr3.xml`` (MuJoCo Menagerie FR3 with the Panda hand added;
Apache-2.0, see ``graspvla/sim/robot/NOTICE``). Nothing is vendored: the XML and meshes are
read from the installed package; decimated visual meshes are cached in the user cache.

Frames (all checked against :class:`graspvla.robot.Robot` by ``tests/python/sim``):

* the robot **base frame** is body ``base`` (= ``fr3_link0``); in every model built here it
  coincides with the MuJoCo **world frame** (robot base at the origin, z up);
* site ``flange`` on ``fr3_link7`` at z = 0.107 m  == ``Frame.FLANGE``;
* body ``hand`` is the flange rotated by -pi/4 about z  == ``Frame.HAND``;
* site ``tcp`` on ``hand`` at z = 0.1034 m (between the fingertips)  == ``Frame.TCP``.
  franky-sim defines no TCP; we add it at the standard Franka hand TCP offset.

Joint order: ``fr3_joint1`` ... ``fr3_joint7`` then ``finger_joint1``, ``finger_joint2``
(each finger 0..0.04 m; opening width = sum). Gripper actuator ``gripper``: control is the
commanded **opening width in metres** (0..0.08), a position servo on the finger tendon.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import mujoco
import numpy as np

from graspvla.assets.cache import cache_dir, cached_npz, content_hash

__all__ = [
    "ARM_JOINTS",
    "FINGER_JOINTS",
    "FLANGE_OFFSET",
    "TCP_OFFSET",
    "GRIPPER_MAX_WIDTH",
    "franky_assets_dir",
    "decimated_mesh",
    "fr3_spec",
    "franka_hand_spec",
]

log = logging.getLogger(__name__)
# franka_hand_spec attaches the hand subtree without a name prefix on purpose (same names as in
# the arm model); MuJoCo then warns at every compile that saving to XML may be ambiguous.
warnings.filterwarnings("ignore", message="Attaching a spec with an empty prefix")


@contextlib.contextmanager
def _quiet_empty_prefix() -> Iterator[None]:
    """MuJoCo prints the same warning from C (mju_warning) at attach time, once per process per
    hand; route C warnings through logging meanwhile and drop that one."""
    previous = mujoco.get_mju_user_warning()

    def handler(msg: str) -> None:
        if "empty prefix" not in msg:
            log.warning("MuJoCo: %s", msg)

    mujoco.set_mju_user_warning(handler)
    try:
        yield
    finally:
        mujoco.set_mju_user_warning(previous)

ARM_JOINTS: tuple[str, ...] = tuple(f"fr3_joint{i}" for i in range(1, 8))
FINGER_JOINTS: tuple[str, str] = ("finger_joint1", "finger_joint2")
FLANGE_OFFSET = 0.107  # link7 -> flange along z [m]
TCP_OFFSET = 0.1034  # hand -> TCP along z [m]
GRIPPER_MAX_WIDTH = 0.08  # [m]
_DECIMATE_VERSION = "v3"
_GRIP_KP = 2000.0  # [N/m] on the finger tendon
_GRIP_KV = 100.0  # [N s/m]

Actuation = Literal["position", "torque"]
Mount = Literal["free", "mocap", "fixed"]


def franky_assets_dir() -> Path:
    """Folder holding ``fr3.xml`` and ``meshes/`` of the installed ``franky-sim`` package."""
    try:
        import franky_sim
    except ImportError as e:  # pragma: no cover - franky-sim is a declared dependency
        raise ImportError("graspvla.sim needs the 'franky-sim' package for the FR3 MJCF "
                          "(pip install franky-sim)") from e
    return Path(franky_sim.__file__).resolve().parent / "assets"


def _decimate(vertices: np.ndarray, faces: np.ndarray, target_faces: int) -> tuple[np.ndarray, np.ndarray]:
    """Quadric-error decimation (fast-simplification if installed, else vertex clustering)."""
    try:
        import fast_simplification

        v, f = fast_simplification.simplify(vertices.astype(np.float32), faces.astype(np.int64),
                                            target_count=int(target_faces))
        v, f = np.asarray(v, np.float64), np.asarray(f, np.int64)
    except ImportError:
        v, f = vertices, faces
    # edge collapse stalls on the Menagerie meshes' non-manifold sheets; finish by clustering
    if len(f) > 1.5 * target_faces:
        v, f = _cluster_decimate(v, f, target_faces)
    return v, f


def _cluster_decimate(vertices: np.ndarray, faces: np.ndarray, target_faces: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertex-clustering decimation: snap vertices to a grid whose cell size is searched
    (bisection on log cell size) so that about ``target_faces`` faces remain."""
    ext = float(np.ptp(vertices, axis=0).max())
    lo, hi = ext / 2000.0, ext / 4.0  # fine (many faces) .. coarse (few faces)
    best = (vertices, faces)
    for _ in range(12):
        cell = np.sqrt(lo * hi)
        v, f = _cluster_once(vertices, faces, cell)
        if len(f) >= target_faces:
            best, lo = (v, f), cell
        else:
            hi = cell
        if abs(len(f) - target_faces) < 0.1 * target_faces:
            return v, f
    return best


def _cluster_once(vertices: np.ndarray, faces: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    keys = np.floor(vertices / cell).astype(np.int64)
    _, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    sums = np.zeros((inv.max() + 1, 3))
    np.add.at(sums, inv, vertices)
    v = sums / np.bincount(inv).astype(np.float64)[:, None]
    f = inv[faces]
    keep = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
    f = f[keep]
    first = np.unique(np.sort(f, axis=1), axis=0, return_index=True)[1]
    f = f[np.sort(first)]
    used, f = np.unique(f, return_inverse=True)
    return v[used], f.reshape(-1, 3)


def decimated_mesh(path: str | os.PathLike[str], ratio: float = 0.15, min_faces: int = 300
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (V,3) and faces (F,3) of a decimated copy of a mesh file, cached on disk.

    Seams are welded first (``merge_vertices``), otherwise the decimator shreds them. The cache
    key is the file content hash + parameters; entries are written atomically.
    """
    import trimesh

    path = Path(path)
    data = path.read_bytes()
    key = content_hash(data, f"{ratio}:{min_faces}:{_DECIMATE_VERSION}")
    out = cache_dir("decimated") / f"{path.stem}-{key}.npz"

    def compute() -> dict[str, np.ndarray]:
        m = trimesh.load(path, force="mesh", process=False)
        m.merge_vertices(merge_tex=True, merge_norm=True)
        target = max(min_faces, int(len(m.faces) * ratio))
        if len(m.faces) <= target:
            return {"vertices": np.asarray(m.vertices, np.float32), "faces": np.asarray(m.faces, np.int32)}
        v, f = _decimate(np.asarray(m.vertices), np.asarray(m.faces), target)
        return {"vertices": v.astype(np.float32), "faces": f.astype(np.int32)}

    arrays = cached_npz(out, compute)
    return arrays["vertices"], arrays["faces"]


def _apply_decimation(spec: mujoco.MjSpec, assets: Path, ratio: float) -> None:
    for mesh in spec.meshes:
        if not mesh.file.endswith("_vis.obj"):
            continue
        v, f = decimated_mesh(assets / "meshes" / mesh.file, ratio=ratio)
        mesh.file = ""
        mesh.uservert = v.reshape(-1).astype(np.float32).tolist()
        mesh.userface = f.reshape(-1).astype(np.int32).tolist()


def _configure_gripper(spec: mujoco.MjSpec) -> None:
    """Replace franky-sim's 0..255 gripper actuator by one commanding the width in metres."""
    for act in list(spec.actuators):
        if act.name == "hand":
            spec.delete(act)
    act = spec.add_actuator()
    act.name = "gripper"
    act.trntype = mujoco.mjtTrn.mjTRN_TENDON
    act.target = "split"
    act.gaintype = mujoco.mjtGain.mjGAIN_FIXED
    act.biastype = mujoco.mjtBias.mjBIAS_AFFINE
    # tendon length L = (f1 + f2)/2 = width/2; force = kp*(width/2 - L) - kv*dL, |force| <= 140 N
    act.gainprm[0] = 0.5 * _GRIP_KP
    act.biasprm[:3] = [0.0, -_GRIP_KP, -_GRIP_KV]
    act.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
    act.ctrlrange = [0.0, GRIPPER_MAX_WIDTH]
    act.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
    act.forcerange = [-140.0, 140.0]


def _configure_fingers(spec: mujoco.MjSpec) -> None:
    """franky-sim's fingers inherit the arm's joint friction (frictionloss 1.137 N), which
    stalls the tendon servo; give them light damping and no dry friction instead."""
    for name in FINGER_JOINTS:
        j = spec.joint(name)
        j.frictionloss = 0.0
        j.damping = [2.0, 0.0, 0.0]  # MuJoCo 4: (linear, quadratic, cubic) damping
        j.armature = 0.01


def _add_sites(spec: mujoco.MjSpec) -> None:
    link7 = spec.body("fr3_link7")
    s = link7.add_site()
    s.name, s.pos, s.group = "flange", [0.0, 0.0, FLANGE_OFFSET], 4
    hand = spec.body("hand")
    s = hand.add_site()
    s.name, s.pos, s.group = "tcp", [0.0, 0.0, TCP_OFFSET], 4


def _load_raw(decimate: bool, ratio: float) -> mujoco.MjSpec:
    assets = franky_assets_dir()
    spec = mujoco.MjSpec.from_file(str(assets / "fr3.xml"))
    # franky-sim's fr3.xml says meshdir="assets" but the files live in meshes/
    spec.meshdir = str(assets / "meshes")
    if decimate:
        _apply_decimation(spec, assets, ratio)
    spec.option.timestep = 0.002
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    for k in list(spec.keys):
        spec.delete(k)  # keyframes refer to franky's actuators; callers set their own state
    _configure_gripper(spec)
    _configure_fingers(spec)
    _add_sites(spec)
    _sync_joint_limits(spec)
    return spec


def _sync_joint_limits(spec: mujoco.MjSpec) -> None:
    """Use graspvla.robot's FR3 limits (franka_description) instead of the Menagerie ones.

    franky-sim/Menagerie use the older, tighter FR3 datasheet ranges (e.g. q1 +-2.7437);
    graspvla.robot uses franka_description's (q1 +-2.9007). One set of limits everywhere.
    Position actuators have ``inheritrange`` so their ctrlrange follows at compile time.
    """
    from graspvla.robot import Robot

    robot = Robot("fr3")
    for name, lo, hi in zip(ARM_JOINTS, robot.q_min, robot.q_max):
        spec.joint(name).range = [float(lo), float(hi)]


def fr3_spec(decimate: bool = True, actuation: Actuation = "position",
             decimate_ratio: float = 0.15) -> mujoco.MjSpec:
    """The FR3 arm with Franka hand; robot base at the world origin.

    Args:
        decimate: use cached decimated visual meshes (~240k -> ~40k triangles).
        actuation: ``"position"`` keeps franky-sim's joint position servos (kp 4500..2000,
            kv = kp/10; ``ctrl`` = joint target [rad]); ``"torque"`` uses motors whose ``ctrl``
            is the joint torque [Nm] limited to the FR3 torque limits (87/12 Nm).
        decimate_ratio: fraction of triangles kept per large visual mesh.

    Actuator order: the 7 arm joints, then ``gripper`` (width [m]).
    """
    if actuation not in ("position", "torque"):
        raise ValueError(f"actuation must be 'position' or 'torque', got {actuation!r}")
    spec = _load_raw(decimate, decimate_ratio)
    if actuation == "torque":
        arm = [a for a in spec.actuators if a.name in ARM_JOINTS]
        for a in arm:
            spec.delete(a)
        grip = spec.actuator("gripper")
        spec.delete(grip)
        for name in ARM_JOINTS:
            j = spec.joint(name)
            a = spec.add_actuator()
            a.name, a.trntype, a.target = name, mujoco.mjtTrn.mjTRN_JOINT, name
            a.gaintype = mujoco.mjtGain.mjGAIN_FIXED
            a.gainprm[0] = 1.0
            a.biastype = mujoco.mjtBias.mjBIAS_NONE
            lim = float(j.actfrcrange[1])
            a.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
            a.ctrlrange = [-lim, lim]
        _configure_gripper(spec)
    return spec


def franka_hand_spec(decimate: bool = True, mount: Mount = "mocap") -> mujoco.MjSpec:
    """A free-floating Franka hand (no arm) for grasp validation.

    Bodies/names: ``hand`` (hand frame == ``Frame.HAND`` of the arm model), fingers
    ``left_finger``/``right_finger`` with joints ``finger_joint1/2``, site ``tcp`` at
    z = 0.1034 m in the hand frame, actuator ``gripper`` (ctrl = opening width [m]).

    Args:
        mount: ``"mocap"`` - the hand has a free joint and is welded to the mocap body
            ``hand_target`` (move it via ``data.mocap_pos/mocap_quat``; soft, collision-aware);
            ``"free"`` - free joint only (falls under gravity unless ``option.gravity`` is 0);
            with ``"mocap"`` the hand bodies are gravity-compensated;
            ``"fixed"`` - the hand is rigidly attached to the world at its body pose.
    """
    if mount not in ("free", "mocap", "fixed"):
        raise ValueError(f"mount must be 'free', 'mocap' or 'fixed', got {mount!r}")
    src = _load_raw(decimate, 0.15)
    spec = mujoco.MjSpec()
    spec.modelname = "franka_hand"
    spec.option.timestep = 0.002
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    frame = spec.worldbody.add_frame()
    with _quiet_empty_prefix():
        hand = frame.attach_body(src.body("hand"), "", "")
    hand.pos = [0.0, 0.0, 0.0]
    hand.quat = [1.0, 0.0, 0.0, 0.0]
    if mount in ("free", "mocap"):
        hand.add_freejoint().name = "hand_free"
    if mount == "mocap":
        # gravity compensation: the weld then only fights contacts, not the hand's own weight
        for body in (hand, spec.body("left_finger"), spec.body("right_finger")):
            body.gravcomp = 1.0
        target = spec.worldbody.add_body()
        target.name = "hand_target"
        target.mocap = True
        eq = spec.add_equality()
        eq.type = mujoco.mjtEq.mjEQ_WELD
        eq.objtype = mujoco.mjtObj.mjOBJ_BODY
        eq.name1, eq.name2 = "hand_target", "hand"
        eq.solref = [0.005, 1.0]
        # weld data: anchor (3), relative pos (3), relative quat (4; zeros = pose at qpos0),
        # torque scale. MjSpec's default anchor is (0, 1, 0): a 1 m lever arm that makes the
        # weld wobble, so set it explicitly.
        data = np.zeros(len(eq.data))
        data[10] = 1.0
        eq.data = data.tolist()
    return spec
