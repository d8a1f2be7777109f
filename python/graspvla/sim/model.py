"""Build the MuJoCo model of a :class:`graspvla.scene.Scene` with :class:`mujoco.MjSpec`.

World frame = robot base frame (robot base at the origin). Names:

* robot: see :mod:`graspvla.sim.robot_model` (``fr3_joint1..7``, ``finger_joint1/2``,
  sites ``flange``/``tcp``, actuators ``fr3_joint1..7`` + ``gripper``);
* objects: body ``object_<id>`` with a free joint ``object_<id>_free``, visual geom
  ``object_<id>_visual`` (group 2), collision geoms ``object_<id>_col<k>`` (group 3);
* ``table``, ``floor``, ``pedestal``, ``wall``, ``distractor_<k>``; cameras ``front``, ``side``.

Rendering settings favour speed on CPU rasterisers: no shadows, no reflections, no MSAA.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import mujoco
import numpy as np

if TYPE_CHECKING:
    from graspvla.scene.appearance import TextureSpec
    from graspvla.scene.layout import Scene

__all__ = ["build_scene_spec", "object_pose", "OBJECT_FRICTION"]

OBJECT_FRICTION = (1.0, 0.005, 0.0005)  # sliding, torsional [m], rolling [m] (condim 6)


def object_pose(data: mujoco.MjData, body_id: int) -> np.ndarray:
    """4x4 pose (body frame -> world/base frame) of body ``body_id``."""
    T = np.eye(4)
    T[:3, :3] = data.xmat[body_id].reshape(3, 3)
    T[:3, 3] = data.xpos[body_id]
    return T


def _quat(R: np.ndarray) -> list[float]:
    q = np.empty(4)
    mujoco.mju_mat2Quat(q, np.ascontiguousarray(R, np.float64).reshape(-1))
    return q.tolist()


def _add_texture(spec: mujoco.MjSpec, name: str, tex: "TextureSpec") -> str:
    t = spec.add_texture()
    t.name = name
    t.type = mujoco.mjtTexture.mjTEXTURE_2D
    if tex.kind == "image" and tex.image is not None:
        h, w, _ = tex.image.shape
        t.width, t.height, t.nchannel = w, h, 3
        t.data = tex.image.tobytes()
    else:
        t.builtin = {"checker": mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
                     "gradient": mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
                     "flat": mujoco.mjtBuiltin.mjBUILTIN_FLAT}[tex.kind]
        t.width = t.height = 64
        t.rgb1, t.rgb2 = list(tex.rgb1), list(tex.rgb2)
    m = spec.add_material()
    m.name = name
    m.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = name
    m.texrepeat = list(tex.repeat)
    m.texuniform = True
    m.reflectance = 0.0
    m.specular = 0.2
    return name


def _static_box(body, name: str, half, pos, material: str | None = None, rgba=None, collide: bool = True):
    g = body.add_geom()
    g.name, g.type, g.size, g.pos = name, mujoco.mjtGeom.mjGEOM_BOX, list(half), list(pos)
    if material:
        g.material = name if material is True else material
    if rgba is not None:
        g.rgba = list(rgba)
    if not collide:
        g.contype = g.conaffinity = 0
    return g


def build_scene_spec(scene: "Scene", robot: bool = True, decimate: bool = True, actuation: str = "position",
                     visual: bool = True) -> mujoco.MjSpec:
    """MjSpec of ``scene``: table, floor, wall, pedestal, objects at ``scene.objects[i].pose``,
    robot at ``scene.robot_q`` (if ``robot``), lights/textures/cameras from ``scene.appearance``.

    ``visual=False`` builds a physics-only model (no textures, lights, cameras, visual meshes)
    used to settle objects quickly.
    """
    from graspvla.sim.robot_model import fr3_spec

    spec = fr3_spec(decimate=decimate, actuation=actuation) if robot else mujoco.MjSpec()
    spec.modelname = f"graspvla_scene_{scene.seed}"
    spec.option.timestep = 0.002
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    # elliptic + impratio 10 (MuJoCo's advice for grasping): with pyramidal cones, objects
    # slipped out of a 34 N grasp during the lift (scripted expert 10/24 vs 22/24 lifted)
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    spec.option.impratio = 10.0
    spec.option.noslip_iterations = 0
    wb = spec.worldbody
    app = scene.appearance
    t = scene.table

    # ---- visual settings
    spec.visual.quality.offsamples = 0
    spec.visual.quality.shadowsize = 0
    spec.visual.headlight.ambient = [app.headlight[0]] * 3
    spec.visual.headlight.diffuse = [app.headlight[1]] * 3
    spec.visual.headlight.specular = [0.1, 0.1, 0.1] if app.headlight[1] > 0 else [0.0, 0.0, 0.0]
    spec.visual.map.znear = 0.01
    spec.visual.map.zfar = 50.0
    spec.stat.extent = 2.0
    spec.stat.center = [0.5, 0.0, 0.3]

    if visual:
        _add_texture(spec, "table_mat", app.table_texture)
        _add_texture(spec, "floor_mat", app.floor_texture)
        _add_texture(spec, "wall_mat", app.wall_texture)
        sky = spec.add_texture()
        sky.name, sky.type, sky.builtin = "skybox", mujoco.mjtTexture.mjTEXTURE_SKYBOX, mujoco.mjtBuiltin.mjBUILTIN_GRADIENT
        sky.rgb1, sky.rgb2, sky.width, sky.height = list(app.skybox[0]), list(app.skybox[1]), 64, 64
        for i, L in enumerate(app.lights):
            light = wb.add_light()
            light.name = f"light_{i}"
            # MuJoCo 4.0's classic OpenGL renderer draws everything black with mjLIGHT_POINT
            # (measured), so a point light is a spot light with a 180 degree cutoff.
            light.type = mujoco.mjtLightType.mjLIGHT_DIRECTIONAL if L.type == "directional" \
                else mujoco.mjtLightType.mjLIGHT_SPOT
            light.pos, light.dir = list(L.pos), list(L.dir)
            light.diffuse, light.specular, light.ambient = list(L.diffuse), list(L.specular), list(L.ambient)
            light.cutoff = 180.0 if L.type == "point" else L.cutoff
            light.castshadow = False
        for c in app.cameras:
            cam = wb.add_camera()
            cam.name, cam.pos, cam.quat, cam.fovy = c.name, list(c.pos), list(c.quat), c.fovy

    # ---- static environment
    floor = wb.add_geom()
    floor.name, floor.type = "floor", mujoco.mjtGeom.mjGEOM_PLANE
    floor.size, floor.pos = [5.0, 5.0, 0.05], [0.0, 0.0, t.floor_z]
    if visual:
        floor.material = "floor_mat"
    table = wb.add_body()
    table.name, table.pos = "table", [t.centre[0], t.centre[1], t.top_z - t.thickness / 2]
    _static_box(table, "table_top", [t.size[0] / 2, t.size[1] / 2, t.thickness / 2], [0, 0, 0],
                material="table_mat" if visual else None)
    if visual:
        leg_h = (t.top_z - t.thickness - t.floor_z) / 2
        for k, (sx, sy) in enumerate(((1, 1), (1, -1), (-1, 1), (-1, -1))):
            _static_box(table, f"table_leg_{k}", [0.025, 0.025, leg_h],
                        [sx * (t.size[0] / 2 - 0.04), sy * (t.size[1] / 2 - 0.04), -t.thickness / 2 - leg_h],
                        rgba=[0.3, 0.3, 0.3, 1.0], collide=False)
        ped_h = (0.0 - t.floor_z) / 2
        _static_box(wb, "pedestal", [0.12, 0.12, ped_h], [-0.02, 0.0, -ped_h - 0.001], rgba=[0.25, 0.25, 0.27, 1.0],
                    collide=False)
        _static_box(wb, "wall", [0.02, 3.0, 1.5], [-1.2, 0.0, t.floor_z + 1.5], material="wall_mat", collide=False)
        for k, d in enumerate(scene.distractors):
            g = wb.add_geom()
            g.name = f"distractor_{k}"
            g.type = mujoco.mjtGeom.mjGEOM_BOX if d.kind == "box" else mujoco.mjtGeom.mjGEOM_CYLINDER
            g.size, g.pos, g.rgba = list(d.size), list(d.pos), list(d.rgba)
            g.contype = g.conaffinity = 0

    # ---- objects
    for o in scene.objects:
        a = o.asset
        body = wb.add_body()
        body.name = o.body_name
        body.pos = o.pose[:3, 3].tolist()
        body.quat = _quat(o.pose[:3, :3])
        body.explicitinertial = True
        body.mass = float(a.mass)
        body.ipos = [0.0, 0.0, 0.0]
        I = a.inertia
        body.fullinertia = [I[0, 0], I[1, 1], I[2, 2], I[0, 1], I[0, 2], I[1, 2]]
        body.add_freejoint().name = f"{o.body_name}_free"
        if visual:
            mname = f"{o.body_name}_vis"
            mesh = spec.add_mesh()
            mesh.name = mname
            mesh.uservert = np.asarray(a.vertices, np.float32).reshape(-1).tolist()
            mesh.userface = np.asarray(a.faces, np.int32).reshape(-1).tolist()
            i = o.id
            tex = app.object_textures[i] if i < len(app.object_textures) else None
            if tex is not None:
                if tex.kind != "image":  # recolour around the object's own colour
                    base = np.asarray(a.rgba[:3], float)
                    tex = replace(tex, rgb1=tuple(map(float, base)),
                                  rgb2=tuple(map(float, np.clip(0.5 * base + 0.5 * np.asarray(tex.rgb2), 0, 1))))
                _add_texture(spec, mname, tex)
                mat = spec.material(mname)
            else:
                mat = spec.add_material()
                mat.name = mname
                mat.rgba = list(map(float, a.rgba))
            mat.specular = app.object_specular[i % len(app.object_specular)] if app.object_specular else 0.3
            mat.shininess = app.object_shininess[i % len(app.object_shininess)] if app.object_shininess else 0.3
            mat.reflectance = 0.0
            g = body.add_geom()
            g.name, g.type, g.meshname, g.material = f"{o.body_name}_visual", mujoco.mjtGeom.mjGEOM_MESH, mname, mname
            g.group, g.contype, g.conaffinity = 2, 0, 0
            g.mass = 0.0
            g.density = 0.0
        for k, (pv, pf) in enumerate(a.collision):
            cname = f"{o.body_name}_col{k}"
            mesh = spec.add_mesh()
            mesh.name = cname
            mesh.uservert = np.asarray(pv, np.float32).reshape(-1).tolist()
            mesh.userface = np.asarray(pf, np.int32).reshape(-1).tolist()
            g = body.add_geom()
            g.name, g.type, g.meshname = cname, mujoco.mjtGeom.mjGEOM_MESH, cname
            g.group, g.condim = 3, 6  # rolling resistance: balls/cans stop rolling
            g.friction = list(OBJECT_FRICTION)
            g.mass = 0.0
            g.density = 0.0
            g.rgba = [0.5, 0.5, 0.5, 1.0]

    if robot:
        # start at the scene's arm configuration with the gripper open
        key = spec.add_key()
        key.name = "home"
        qpos = list(map(float, scene.robot_q)) + [0.04, 0.04]
        for o in scene.objects:
            qpos += o.pose[:3, 3].tolist() + _quat(o.pose[:3, :3])
        key.qpos = qpos
        if actuation == "position":
            key.ctrl = list(map(float, scene.robot_q)) + [0.08]
        else:
            key.ctrl = [0.0] * 7 + [0.08]
    return spec
