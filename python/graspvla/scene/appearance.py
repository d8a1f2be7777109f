"""Per-episode visual randomisation: lights, textures, materials, cameras.

Everything here is plain data drawn from a ``numpy.random.Generator``; ``graspvla.sim``
turns it into MuJoCo elements. Frames: positions in the robot base frame [m].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ["AppearanceConfig", "Appearance", "LightSpec", "TextureSpec", "CameraSpec", "sample_appearance",
           "look_at_quat", "CAMERA_NAMES"]

CAMERA_NAMES = ("front", "side")
LightType = Literal["point", "directional", "spot"]


@dataclass(frozen=True)
class LightSpec:
    """A light: type, position [m], direction (unit), diffuse/specular/ambient RGB, spot cutoff [deg]."""

    type: LightType
    pos: tuple[float, float, float]
    dir: tuple[float, float, float]
    diffuse: tuple[float, float, float]
    specular: tuple[float, float, float]
    ambient: tuple[float, float, float]
    cutoff: float = 45.0


@dataclass(frozen=True)
class TextureSpec:
    """A 2D texture: MuJoCo builtin (``checker``/``gradient``/``flat``) or a procedural image.

    ``image`` is an (H,W,3) uint8 array for kind ``"image"`` (wood/marble/noise patterns).
    """

    kind: Literal["checker", "gradient", "flat", "image"]
    rgb1: tuple[float, float, float]
    rgb2: tuple[float, float, float]
    repeat: tuple[float, float] = (1.0, 1.0)
    image: np.ndarray | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CameraSpec:
    """A camera: position [m], quaternion (w,x,y,z) of the MuJoCo camera frame (looks along -z,
    y up), vertical field of view [deg], and the look-at target [m], all in the base frame."""

    name: str
    pos: tuple[float, float, float]
    quat: tuple[float, float, float, float]
    fovy: float
    target: tuple[float, float, float]


@dataclass(frozen=True)
class AppearanceConfig:
    """Ranges of the per-episode randomisation."""

    n_lights: tuple[int, int] = (1, 4)
    headlight_prob: float = 0.7
    image_texture_prob: float = 0.5
    object_texture_prob: float = 0.35
    camera_distance: dict[str, tuple[float, float]] = field(default_factory=lambda: {
        "front": (0.85, 1.15), "side": (0.8, 1.05)})
    camera_azimuth_deg: dict[str, tuple[float, float]] = field(default_factory=lambda: {
        "front": (-15.0, 15.0), "side": (-110.0, -70.0)})
    camera_elevation_deg: dict[str, tuple[float, float]] = field(default_factory=lambda: {
        "front": (30.0, 50.0), "side": (25.0, 45.0)})
    fovy_deg: tuple[float, float] = (40.0, 55.0)
    target_jitter: float = 0.03
    randomize: bool = True


@dataclass(frozen=True)
class Appearance:
    """The sampled look of one scene."""

    lights: tuple[LightSpec, ...]
    headlight: tuple[float, float]  # (ambient, diffuse) intensity; 0 = off
    table_texture: TextureSpec
    floor_texture: TextureSpec
    wall_texture: TextureSpec
    skybox: tuple[tuple[float, float, float], tuple[float, float, float]]
    object_specular: tuple[float, ...]
    object_shininess: tuple[float, ...]
    cameras: tuple[CameraSpec, ...]
    #: per object: None (plain colour) or a texture; builtin kinds are recoloured around the
    #: object's own colour by the model builder, so the category palette still shows.
    object_textures: tuple[TextureSpec | None, ...] = ()


def look_at_quat(pos: np.ndarray, target: np.ndarray, up: np.ndarray = np.array([0.0, 0.0, 1.0])) -> np.ndarray:
    """Quaternion (w,x,y,z) of a MuJoCo camera at ``pos`` looking at ``target`` (-z forward, y up)."""
    from graspvla.geometry import matrix_to_quat

    fwd = np.asarray(target, float) - np.asarray(pos, float)
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, up)
    right /= np.linalg.norm(right)
    upv = np.cross(right, fwd)
    R = np.stack([right, upv, -fwd], axis=1)
    return np.asarray(matrix_to_quat(R), float)


def _rgb(rng: np.random.Generator, lo: float = 0.0, hi: float = 1.0) -> tuple[float, float, float]:
    return tuple(float(x) for x in rng.uniform(lo, hi, 3))  # type: ignore[return-value]


def _image_texture(rng: np.random.Generator, size: int = 128) -> np.ndarray:
    """Procedural image: wood grain, marble veins or value noise, in two random colours."""
    kind = int(rng.integers(3))
    y, x = np.mgrid[0:size, 0:size] / size
    # smooth value noise from a coarse random grid, bilinearly upsampled (tileable)
    g = int(rng.integers(4, 9))
    coarse = rng.random((g, g))
    xi, yi = x * g, y * g
    x0, y0 = np.floor(xi).astype(int) % g, np.floor(yi).astype(int) % g
    fx, fy = xi - np.floor(xi), yi - np.floor(yi)
    x1, y1 = (x0 + 1) % g, (y0 + 1) % g
    noise = (coarse[y0, x0] * (1 - fx) * (1 - fy) + coarse[y0, x1] * fx * (1 - fy)
             + coarse[y1, x0] * (1 - fx) * fy + coarse[y1, x1] * fx * fy)
    if kind == 0:  # wood
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (y * rng.uniform(8, 20) + 2.0 * noise))
    elif kind == 1:  # marble
        t = 0.5 + 0.5 * np.sin(2 * np.pi * ((x + y) * rng.uniform(2, 5) + 4.0 * noise)) ** 3
    else:  # blotchy noise
        t = noise
    c1, c2 = _colour_pair(rng)
    img = c1[None, None] * (1 - t[..., None]) + c2[None, None] * t[..., None]
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _texture(rng: np.random.Generator, image_prob: float) -> TextureSpec:
    if rng.random() < image_prob:
        return TextureSpec("image", (0, 0, 0), (0, 0, 0), (float(rng.uniform(1, 4)),) * 2, _image_texture(rng))
    kind = ("checker", "gradient", "flat")[int(rng.integers(3))]
    rep = float(rng.uniform(2, 12))
    c1, c2 = _colour_pair(rng)
    return TextureSpec(kind, tuple(map(float, c1)), tuple(map(float, c2)), (rep, rep))  # type: ignore[arg-type]


def _colour_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two texture colours: mostly a muted base colour with a darker/lighter shade of it
    (wood, stone, cloth-like), sometimes two unrelated colours (strong distraction)."""
    base = rng.uniform(0.15, 0.9, 3)
    grey = base.mean()
    base = grey + (base - grey) * rng.uniform(0.2, 1.0)  # desaturate
    if rng.random() < 0.75:
        other = np.clip(base * rng.uniform(0.55, 0.9) + rng.normal(0, 0.03, 3), 0, 1)
    else:
        other = rng.uniform(0.1, 0.9, 3)
    return np.clip(base, 0, 1), other


def _camera(name: str, cfg: AppearanceConfig, rng: np.random.Generator, centre: np.ndarray) -> CameraSpec:
    if cfg.randomize:
        d = rng.uniform(*cfg.camera_distance[name])
        az = np.deg2rad(rng.uniform(*cfg.camera_azimuth_deg[name]))
        el = np.deg2rad(rng.uniform(*cfg.camera_elevation_deg[name]))
        fovy = rng.uniform(*cfg.fovy_deg)
        target = centre + rng.uniform(-cfg.target_jitter, cfg.target_jitter, 3)
    else:
        d = np.mean(cfg.camera_distance[name])
        az = np.deg2rad(np.mean(cfg.camera_azimuth_deg[name]))
        el = np.deg2rad(np.mean(cfg.camera_elevation_deg[name]))
        fovy, target = np.mean(cfg.fovy_deg), centre
    # azimuth 0 = camera in front of the table (+x), looking back towards the robot
    pos = target + d * np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    return CameraSpec(name, tuple(map(float, pos)), tuple(map(float, look_at_quat(pos, target))),
                      float(fovy), tuple(map(float, target)))


def sample_appearance(rng: np.random.Generator, cfg: AppearanceConfig, workspace_centre: np.ndarray,
                      n_objects: int) -> Appearance:
    """Draw lights, textures, materials and the two cameras around ``workspace_centre`` [m]."""
    lights = []
    n = int(rng.integers(cfg.n_lights[0], cfg.n_lights[1] + 1)) if cfg.randomize else 2
    for i in range(n):
        kind: LightType = ("point", "directional", "spot")[int(rng.integers(3))] if cfg.randomize else "directional"
        pos = workspace_centre + np.array([rng.uniform(-1.0, 1.5), rng.uniform(-1.2, 1.2), rng.uniform(0.8, 2.0)])
        d = workspace_centre + rng.uniform(-0.2, 0.2, 3) - pos
        d /= np.linalg.norm(d)
        inten = rng.uniform(0.3, 0.9) / max(1.0, 0.7 * n)
        tint = rng.uniform(0.8, 1.0, 3)
        lights.append(LightSpec(kind, tuple(map(float, pos)), tuple(map(float, d)),
                                tuple(float(x) for x in inten * tint), (0.2, 0.2, 0.2),
                                tuple(float(x) for x in rng.uniform(0.0, 0.15, 3)), float(rng.uniform(30, 70))))
    head = (float(rng.uniform(0.05, 0.3)), float(rng.uniform(0.1, 0.5))) if rng.random() < cfg.headlight_prob \
        else (0.0, 0.0)
    table_tex = _texture(rng, cfg.image_texture_prob)
    floor_tex = _texture(rng, cfg.image_texture_prob)
    wall_tex = _texture(rng, cfg.image_texture_prob)
    sky = (_rgb(rng, 0.2, 1.0), _rgb(rng, 0.0, 0.6))
    spec = tuple(float(x) for x in rng.uniform(0.0, 0.8, n_objects))
    shin = tuple(float(x) for x in rng.uniform(0.0, 0.9, n_objects))
    cams = tuple(_camera(c, cfg, rng, workspace_centre) for c in CAMERA_NAMES)
    obj_tex = []
    for _ in range(n_objects):
        if cfg.randomize and rng.random() < cfg.object_texture_prob:
            t = _texture(rng, 0.3)
            rep = float(rng.uniform(15.0, 40.0))  # tiles per metre: 2.5 - 7 cm pattern
            obj_tex.append(TextureSpec(t.kind if t.kind != "flat" else "checker", t.rgb1, t.rgb2, (rep, rep), t.image))
        else:
            obj_tex.append(None)
    return Appearance(tuple(lights), head, table_tex, floor_tex, wall_tex, sky, spec, shin, cams, tuple(obj_tex))
