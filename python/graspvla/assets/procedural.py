"""Procedural object library: >= 30 categories with instruction names and random shapes.

Every generator builds its object from **convex pieces** (hulls of points, frusta, boxes,
sphere-swept segments); the visual mesh is their exact CSG union (manifold3d, watertight by
construction) or, for solids of revolution, the revolved profile. The pieces double as the
collision decomposition, so procedural objects never need CoACD.

All sizes are metres. Every object fits a 0.08 m Franka gripper opening in at least one
direction (the smallest extent of its oriented bounding box is <= :data:`GRASPABLE_WIDTH`),
enforced by rescaling after generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import manifold3d as mf
import numpy as np

from graspvla.assets.mesh import ObjectAsset, asset_from_parts

__all__ = ["CATEGORIES", "GRASPABLE_WIDTH", "ProceduralCategory", "generate_object", "category_names"]

GRASPABLE_WIDTH = 0.07  # smallest OBB extent bound [m], leaves 1 cm margin in a 0.08 m opening

Parts = list[mf.Manifold]


@dataclass(frozen=True)
class ProceduralCategory:
    """A category: its instruction name(s), generator, colour palette and density [kg/m^3]."""

    name: str
    synonyms: tuple[str, ...]
    build: Callable[[np.random.Generator], tuple[mf.Manifold | None, Parts]]
    palette: tuple[tuple[float, float, float], ...]
    density: float = 500.0


# --------------------------------------------------------------------------- primitives
_SEG = 24


def _hull(points: np.ndarray) -> mf.Manifold:
    return mf.Manifold.hull_points(np.asarray(points, np.float64))


def _circle(r: float, z: float, n: int = _SEG, cx: float = 0.0, cy: float = 0.0) -> np.ndarray:
    a = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + r * np.cos(a), cy + r * np.sin(a), np.full(n, z)], axis=1)


def _frustum(r0: float, r1: float, z0: float, z1: float, n: int = _SEG) -> mf.Manifold:
    return _hull(np.vstack([_circle(max(r0, 1e-4), z0, n), _circle(max(r1, 1e-4), z1, n)]))


def _box(ext, center=(0.0, 0.0, 0.0)) -> mf.Manifold:
    return mf.Manifold.cube(list(map(float, ext)), center=True).translate(list(map(float, center)))


def _sphere(r: float, center=(0.0, 0.0, 0.0), n: int = _SEG) -> mf.Manifold:
    return mf.Manifold.sphere(float(r), n).translate(list(map(float, center)))


def _ellipsoid(radii, center=(0.0, 0.0, 0.0)) -> mf.Manifold:
    return mf.Manifold.sphere(1.0, _SEG).scale(list(map(float, radii))).translate(list(map(float, center)))


def _cyl_x(r: float, length: float, center) -> mf.Manifold:
    """Cylinder along x."""
    return mf.Manifold.cylinder(float(length), float(r), float(r), _SEG, True).rotate([0.0, 90.0, 0.0]) \
        .translate(list(map(float, center)))


def _capsule_chain(points: np.ndarray, radius: float | np.ndarray) -> Parts:
    """Convex hulls of consecutive spheres along a polyline (a swept tube)."""
    radius = np.broadcast_to(np.asarray(radius, np.float64), (len(points),))
    spheres = [mf.Manifold.sphere(float(r), 16).translate(list(map(float, p))) for p, r in zip(points, radius)]
    return [mf.Manifold.batch_hull([a, b]) for a, b in zip(spheres[:-1], spheres[1:])]


def _revolve_stack(profile: list[tuple[float, float]], n: int = _SEG) -> tuple[mf.Manifold, Parts]:
    """Solid of revolution of a radius(z) profile [(r, z), ...] (z increasing), as frusta."""
    parts = [_frustum(r0, r1, z0, z1, n) for (r0, z0), (r1, z1) in zip(profile[:-1], profile[1:])]
    poly = [(0.0, profile[0][1])] + [(max(r, 1e-4), z) for r, z in profile] + [(0.0, profile[-1][1])]
    visual = mf.CrossSection([poly]).revolve(n * 2)
    return visual, _merge_convex(parts)


def _shell_revolve(outer: list[tuple[float, float]], thickness: float, bottom: float,
                   sectors: int = 10) -> tuple[mf.Manifold, Parts]:
    """Open-top hollow solid of revolution (cup, bowl, vase) with a base of thickness ``bottom``."""
    z_base = outer[0][1]
    inner = [(max(r - thickness, 1e-3), z) for r, z in outer if z >= z_base + bottom]
    inner = [(max(outer[0][0] - thickness, 1e-3), z_base + bottom)] + inner
    poly = [(0.0, z_base)] + list(outer) + list(reversed(inner)) + [(0.0, z_base + bottom)]
    visual = mf.CrossSection([poly]).revolve(4 * sectors)
    parts: Parts = [_frustum(outer[0][0], _interp_r(outer, z_base + bottom), z_base, z_base + bottom)]
    angles = np.linspace(0.0, 2 * np.pi, sectors + 1)
    zs = [z for _, z in outer if z > z_base + bottom]
    zs = [z_base + bottom] + zs
    for z0, z1 in zip(zs[:-1], zs[1:]):
        ro0, ro1 = _interp_r(outer, z0), _interp_r(outer, z1)
        ri0, ri1 = max(ro0 - thickness, 1e-3), max(ro1 - thickness, 1e-3)
        for a0, a1 in zip(angles[:-1], angles[1:]):
            a = np.linspace(a0, a1, 3)
            pts = []
            for r, z in ((ro0, z0), (ro1, z1), (ri0, z0), (ri1, z1)):
                pts.append(np.stack([r * np.cos(a), r * np.sin(a), np.full(3, z)], 1))
            parts.append(_hull(np.vstack(pts)))
    return visual, parts


def _interp_r(profile: list[tuple[float, float]], z: float) -> float:
    rs, zs = zip(*profile)
    return float(np.interp(z, zs, rs))


def _merge_convex(parts: Parts, tol: float = 0.02) -> Parts:
    """Greedily merge consecutive convex parts whose union is (nearly) convex."""
    out: Parts = []
    for p in parts:
        if out:
            h = mf.Manifold.batch_hull([out[-1], p])
            u = mf.Manifold.batch_boolean([out[-1], p], mf.OpType.Add)
            if h.volume() <= (1.0 + tol) * u.volume():
                out[-1] = h
                continue
        out.append(p)
    return out


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


# --------------------------------------------------------------------------- generators
def _mug(rng):
    r, h, t = _u(rng, 0.03, 0.042), _u(rng, 0.07, 0.11), _u(rng, 0.004, 0.007)
    vis, parts = _shell_revolve([(r, 0.0), (r, h)], t, 0.008)
    hr, hw = _u(rng, 0.022, 0.032), _u(rng, 0.005, 0.008)
    a = np.linspace(-np.pi / 2, np.pi / 2, 7)
    pts = np.stack([r - 0.004 + hr * np.cos(a), np.zeros_like(a), h / 2 + hr * np.sin(a) * 0.9], 1)
    handle = _capsule_chain(pts, hw)
    return mf.Manifold.batch_boolean([vis, *handle], mf.OpType.Add), parts + handle


def _cup(rng):
    r0, r1, h = _u(rng, 0.022, 0.03), _u(rng, 0.03, 0.04), _u(rng, 0.06, 0.1)
    return _shell_revolve([(r0, 0.0), (r1, h)], _u(rng, 0.002, 0.004), 0.005)


def _bowl(rng):
    R, h = _u(rng, 0.05, 0.075), _u(rng, 0.035, 0.055)
    rb = _u(rng, 0.02, 0.035)
    zs = np.linspace(0.0, h, 5)
    prof = [(rb + (R - rb) * np.sin(0.5 * np.pi * z / h), float(z)) for z in zs]
    return _shell_revolve(prof, _u(rng, 0.004, 0.007), 0.006, sectors=10)


def _bottle(rng):
    r, h, rn = _u(rng, 0.025, 0.035), _u(rng, 0.14, 0.2), _u(rng, 0.009, 0.013)
    hb = h * _u(rng, 0.55, 0.68)
    prof = [(r * 0.95, 0.0), (r, 0.01), (r, hb), (0.5 * (r + rn), hb + 0.03), (rn, hb + 0.05), (rn, h)]
    return _revolve_stack(prof)


def _can(rng):
    r, h = _u(rng, 0.028, 0.035), _u(rng, 0.08, 0.12)
    return _revolve_stack([(r * 0.9, 0.0), (r, 0.006), (r, h - 0.006), (r * 0.9, h)])


def _box_obj(rng):
    e = [_u(rng, 0.04, 0.06), _u(rng, 0.06, 0.12), _u(rng, 0.04, 0.12)]
    b = _box(e)
    return b, [b]


def _cube(rng):
    s = _u(rng, 0.035, 0.06)
    b = _box([s, s, s])
    return b, [b]


def _ball(rng):
    s = _sphere(_u(rng, 0.025, 0.035), n=32)
    return s, [s]


def _banana(rng):
    R, arc = _u(rng, 0.1, 0.14), _u(rng, 0.9, 1.3)
    a = np.linspace(-arc / 2, arc / 2, 9)
    pts = np.stack([R * np.sin(a), np.zeros_like(a), R * (1 - np.cos(a))], 1)
    rad = _u(rng, 0.015, 0.02) * np.sin(np.linspace(0.35, np.pi - 0.35, 9)) ** 0.6
    parts = _capsule_chain(pts, rad)
    return mf.Manifold.batch_boolean(parts, mf.OpType.Add), parts


def _toy_car(rng):
    L, W, H = _u(rng, 0.09, 0.13), _u(rng, 0.045, 0.06), _u(rng, 0.02, 0.03)
    wr = _u(rng, 0.011, 0.015)
    body = _box([L, W * 0.9, H], [0, 0, wr + H / 2])
    cabin = _hull(np.array([[sx * L * 0.25, sy * W * 0.4, wr + H + sz * H * 0.8]
                            for sx in (-1, 1) for sy in (-1, 1) for sz in (0, 1)])
                  * np.array([1, 1, 1]) + np.array([[-L * 0.05, 0, 0]]))
    wheels = [_cyl_x(wr, W * 0.2, [0, 0, 0]).rotate([0, 0, 90]).translate([sx * L * 0.32, sy * W * 0.45, wr])
              for sx in (-1, 1) for sy in (-1, 1)]
    parts = [body, cabin, *wheels]
    return mf.Manifold.batch_boolean(parts, mf.OpType.Add), parts


def _apple(rng):
    r = _u(rng, 0.032, 0.04)
    prof = [(r * 0.3, 0.0), (r * 0.85, r * 0.3), (r, r * 0.9), (r * 0.9, r * 1.45), (r * 0.45, r * 1.7)]
    vis, parts = _revolve_stack(prof)
    stem = _frustum(0.003, 0.002, r * 1.6, r * 1.6 + 0.015, 8)
    return mf.Manifold.batch_boolean([vis, stem], mf.OpType.Add), parts + [stem]


def _orange(rng):
    r = _u(rng, 0.033, 0.04)
    e = _ellipsoid([r, r, r * _u(rng, 0.85, 0.95)])
    return e, [e]


def _lemon(rng):
    r, L = _u(rng, 0.022, 0.028), _u(rng, 0.035, 0.045)
    z = np.linspace(-L, L, 9)
    prof = [(max(r * np.sqrt(max(1 - (zz / L) ** 2, 0.0)) ** 0.8, 0.003), float(zz + L)) for zz in z]
    vis, parts = _revolve_stack(prof)
    return vis.rotate([0, 90, 0]), [p.rotate([0, 90, 0]) for p in parts]


def _pear(rng):
    r = _u(rng, 0.03, 0.038)
    prof = [(r * 0.4, 0), (r * 0.9, r * 0.4), (r, r * 0.9), (r * 0.7, r * 1.6), (r * 0.45, r * 2.1), (r * 0.2, r * 2.4)]
    return _revolve_stack(prof)


def _egg(rng):
    r = _u(rng, 0.02, 0.025)
    t = np.linspace(0, np.pi, 9)
    prof = [(max(r * np.sin(tt) * (1 - 0.15 * np.cos(tt)), 0.002), float(r * 1.35 * (1 - np.cos(tt)))) for tt in t]
    return _revolve_stack(prof)


def _carrot(rng):
    r, L = _u(rng, 0.013, 0.02), _u(rng, 0.12, 0.17)
    vis, parts = _revolve_stack([(0.002, 0.0), (r * 0.6, L * 0.4), (r, L * 0.9), (r * 0.8, L)])
    return vis.rotate([0, 90, 0]), [p.rotate([0, 90, 0]) for p in parts]


def _cucumber(rng):
    r, L = _u(rng, 0.017, 0.024), _u(rng, 0.12, 0.18)
    parts = _capsule_chain(np.array([[-L / 2, 0, 0], [L / 2, 0, 0]]), r)
    return parts[0], parts


def _superellipsoid(radii, e1: float, e2: float, n: int = 20) -> mf.Manifold:
    """Convex superellipsoid (e1, e2 <= 1 gives convex 'rounded box' shapes)."""
    def f(w, m):
        return np.sign(np.cos(w)) * np.abs(np.cos(w)) ** m, np.sign(np.sin(w)) * np.abs(np.sin(w)) ** m
    eta, om = np.meshgrid(np.linspace(-np.pi / 2, np.pi / 2, n), np.linspace(-np.pi, np.pi, 2 * n))
    ce, se = f(eta, e1)
    co, so = f(om, e2)
    pts = np.stack([radii[0] * ce * co, radii[1] * ce * so, radii[2] * se], -1).reshape(-1, 3)
    return _hull(pts)


def _sponge(rng):
    s = _superellipsoid([_u(rng, 0.03, 0.05), _u(rng, 0.02, 0.03), _u(rng, 0.015, 0.025)], 0.2, 0.2)
    return s, [s]


def _soap(rng):
    s = _superellipsoid([_u(rng, 0.035, 0.045), _u(rng, 0.022, 0.03), _u(rng, 0.012, 0.018)], 0.5, 0.5)
    return s, [s]


def _remote(rng):
    s = _superellipsoid([_u(rng, 0.07, 0.1), _u(rng, 0.02, 0.027), _u(rng, 0.009, 0.013)], 0.3, 0.25)
    return s, [s]


def _book(rng):
    b = _box([_u(rng, 0.12, 0.18), _u(rng, 0.09, 0.13), _u(rng, 0.015, 0.04)])
    return b, [b]


def _marker(rng):
    r, L = _u(rng, 0.007, 0.011), _u(rng, 0.11, 0.15)
    body = _cyl_x(r, L * 0.75, [-L * 0.125, 0, 0])
    cap = _cyl_x(r * 1.15, L * 0.25, [L * 0.375, 0, 0])
    return mf.Manifold.batch_boolean([body, cap], mf.OpType.Add), [body, cap]


def _screwdriver(rng):
    rh, Lh, Ls = _u(rng, 0.012, 0.016), _u(rng, 0.08, 0.11), _u(rng, 0.07, 0.11)
    handle = _cyl_x(rh, Lh, [-Lh / 2, 0, 0])
    shaft = _cyl_x(0.003, Ls, [Ls / 2, 0, 0])
    return mf.Manifold.batch_boolean([handle, shaft], mf.OpType.Add), [handle, shaft]


def _hammer(rng):
    L, hh = _u(rng, 0.2, 0.26), _u(rng, 0.08, 0.11)
    handle = _box([L, 0.022, 0.016], [0, 0, 0])
    head = _box([0.03, hh, 0.026], [L / 2, 0, 0])
    return mf.Manifold.batch_boolean([handle, head], mf.OpType.Add), [handle, head]


def _dumbbell(rng):
    L, R, rb = _u(rng, 0.1, 0.14), _u(rng, 0.025, 0.032), _u(rng, 0.008, 0.011)
    bar = _cyl_x(rb, L, [0, 0, 0])
    ends = [_cyl_x(R, 0.025, [s * (L / 2 - 0.0125), 0, 0]) for s in (-1, 1)]
    parts = [bar, *ends]
    return mf.Manifold.batch_boolean(parts, mf.OpType.Add), parts


def _mushroom(rng):
    rs, hs, rc = _u(rng, 0.008, 0.013), _u(rng, 0.03, 0.05), _u(rng, 0.025, 0.035)
    stem = _frustum(rs * 1.2, rs, 0.0, hs)
    a = np.linspace(0, np.pi / 2, 6)
    cap_vis, cap_parts = _revolve_stack([(rc * np.cos(x), hs - 0.005 + rc * 0.8 * np.sin(x)) for x in a])
    return mf.Manifold.batch_boolean([stem, cap_vis], mf.OpType.Add), [stem] + cap_parts


def _pawn(rng):
    r = _u(rng, 0.016, 0.022)
    vis, parts = _revolve_stack([(r, 0), (r, r * 0.3), (r * 0.55, r * 0.6), (r * 0.35, r * 1.8), (r * 0.6, r * 2.0)])
    head = _sphere(r * 0.55, [0, 0, r * 2.4])
    return mf.Manifold.batch_boolean([vis, head], mf.OpType.Add), parts + [head]


def _vase(rng):
    r0, rm, rn, h = _u(rng, 0.025, 0.03), _u(rng, 0.03, 0.035), _u(rng, 0.015, 0.022), _u(rng, 0.12, 0.17)
    return _shell_revolve([(r0, 0), (rm, h * 0.35), (rn, h * 0.8), (rn * 1.3, h)], 0.004, 0.01, sectors=8)


def _jar(rng):
    r, h = _u(rng, 0.028, 0.036), _u(rng, 0.07, 0.1)
    body = _frustum(r, r, 0.0, h)
    lid = _frustum(r * 1.05, r * 1.05, h, h + 0.015)
    return mf.Manifold.batch_boolean([body, lid], mf.OpType.Add), [body, lid]


def _lego(rng):
    nx, ny = int(rng.integers(2, 5)), 2
    p = 0.016
    base = _box([nx * p, ny * p, 0.019], [0, 0, 0.0095])
    studs = [_frustum(0.0048, 0.0048, 0.019, 0.0207, 12).translate([(i - (nx - 1) / 2) * p, (j - 0.5) * p, 0])
             for i in range(nx) for j in range(ny)]
    parts = [base, *studs]
    return mf.Manifold.batch_boolean(parts, mf.OpType.Add), parts


def _hex_nut(rng):
    R, h, ri = _u(rng, 0.018, 0.026), _u(rng, 0.01, 0.016), 0.0
    ri = R * _u(rng, 0.4, 0.55)
    vis = mf.Manifold.batch_boolean([_frustum(R, R, 0, h, 6), _frustum(ri, ri, -0.01, h + 0.01, 24)], mf.OpType.Subtract)
    a = np.linspace(0, 2 * np.pi, 7)
    parts = []
    for a0, a1 in zip(a[:-1], a[1:]):
        aa = np.linspace(a0, a1, 4)
        pts = [np.stack([R * np.cos(aa[[0, -1]]), R * np.sin(aa[[0, -1]]), np.full(2, z)], 1) for z in (0, h)]
        pts += [np.stack([ri * np.cos(aa), ri * np.sin(aa), np.full(4, z)], 1) for z in (0, h)]
        parts.append(_hull(np.vstack(pts)))
    return vis, parts


def _donut(rng):
    R, r = _u(rng, 0.03, 0.04), _u(rng, 0.012, 0.017)
    a = np.linspace(0, 2 * np.pi, 13)
    pts = np.stack([R * np.cos(a), R * np.sin(a), np.zeros_like(a)], 1)
    parts = _capsule_chain(pts, r)
    return mf.Manifold.batch_boolean(parts, mf.OpType.Add), parts


def _traffic_cone(rng):
    b, h = _u(rng, 0.05, 0.07), _u(rng, 0.08, 0.12)
    base = _box([b, b, 0.008], [0, 0, 0.004])
    cone = _frustum(b * 0.4, 0.006, 0.008, h)
    return mf.Manifold.batch_boolean([base, cone], mf.OpType.Add), [base, cone]


def _pyramid(rng):
    b, h = _u(rng, 0.05, 0.065), _u(rng, 0.045, 0.07)
    p = _hull(np.array([[-b / 2, -b / 2, 0], [b / 2, -b / 2, 0], [b / 2, b / 2, 0], [-b / 2, b / 2, 0], [0, 0, h]]))
    return p, [p]


def _prism(rng):
    s, L = _u(rng, 0.04, 0.06), _u(rng, 0.06, 0.1)
    tri = np.array([[0, -s / 2, 0], [0, s / 2, 0], [0, 0, s * 0.866]])
    p = _hull(np.vstack([tri + [-L / 2, 0, 0], tri + [L / 2, 0, 0]]))
    return p, [p]


def _cheese(rng):
    r, h, ang = _u(rng, 0.06, 0.08), _u(rng, 0.03, 0.045), _u(rng, 0.5, 0.8)
    a = np.linspace(-ang / 2, ang / 2, 6)
    pts = np.vstack([[0, 0, 0], [0, 0, h]] + [[r * np.cos(x), r * np.sin(x), z] for x in a for z in (0, h)])
    p = _hull(pts)
    return p, [p]


def _spool(rng):
    R, rc, h = _u(rng, 0.025, 0.032), _u(rng, 0.01, 0.015), _u(rng, 0.05, 0.07)
    parts = [_frustum(R, R, 0, 0.006), _frustum(rc, rc, 0.006, h - 0.006), _frustum(R, R, h - 0.006, h)]
    return mf.Manifold.batch_boolean(parts, mf.OpType.Add), parts


def _flashlight(rng):
    r, L = _u(rng, 0.012, 0.016), _u(rng, 0.12, 0.16)
    body = _cyl_x(r, L * 0.7, [-L * 0.15, 0, 0])
    head = _hull(np.vstack([_circle(r, 0), _circle(r * 1.5, L * 0.3)])).rotate([0, 90, 0]).translate([L * 0.2, 0, 0])
    return mf.Manifold.batch_boolean([body, head], mf.OpType.Add), [body, head]


def _tube(rng):
    L, w, r = _u(rng, 0.12, 0.17), _u(rng, 0.04, 0.05), _u(rng, 0.013, 0.018)
    end = np.array([[-L / 2, y, z] for y in (-w / 2, w / 2) for z in (-0.002, 0.002)])
    body = _hull(np.vstack([end, _circle(r, 0, 16).dot(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])) + [L / 2 - 0.01, 0, 0]]))
    cap = _cyl_x(r * 0.7, 0.02, [L / 2, 0, 0])
    return mf.Manifold.batch_boolean([body, cap], mf.OpType.Add), [body, cap]


def _tape(rng):
    R, h = _u(rng, 0.04, 0.055), _u(rng, 0.02, 0.03)
    vis, parts = _shell_revolve([(R, 0.0), (R, h)], _u(rng, 0.012, 0.02), 0.0, sectors=10)
    return vis, parts[1:]  # no bottom: a ring


def _star(rng):
    R, r, h = _u(rng, 0.035, 0.045), _u(rng, 0.015, 0.02), _u(rng, 0.015, 0.025)
    a = np.arange(10) * np.pi / 5
    rad = np.where(np.arange(10) % 2 == 0, R, r)
    poly = np.stack([rad * np.cos(a), rad * np.sin(a)], 1)
    vis = mf.CrossSection([poly.tolist()]).extrude(h)
    parts = []
    for i in range(0, 10, 2):
        tri = np.array([[0, 0], poly[i - 1], poly[i], poly[(i + 1) % 10]])
        parts.append(_hull(np.vstack([np.c_[tri, np.zeros(4)], np.c_[tri, np.full(4, h)]])))
    return vis, parts


def _pill_bottle(rng):
    r, h = _u(rng, 0.016, 0.022), _u(rng, 0.06, 0.085)
    body = _frustum(r, r, 0, h)
    cap = _frustum(r * 1.1, r * 1.1, h, h + 0.014)
    return mf.Manifold.batch_boolean([body, cap], mf.OpType.Add), [body, cap]


def _spray_bottle(rng):
    r, h = _u(rng, 0.022, 0.03), _u(rng, 0.12, 0.16)
    body = _frustum(r, r, 0, h)
    neck = _frustum(r * 0.45, r * 0.45, h, h + 0.02)
    head = _box([0.05, 0.02, 0.03], [0.012, 0, h + 0.035])
    parts = [body, neck, head]
    return mf.Manifold.batch_boolean(parts, mf.OpType.Add), parts


def _block_l(rng):
    a, b, t = _u(rng, 0.05, 0.07), _u(rng, 0.04, 0.06), _u(rng, 0.02, 0.03)
    p1 = _box([a, t, t], [a / 2, t / 2, t / 2])
    p2 = _box([t, b, t], [t / 2, b / 2 + t / 2, t / 2])
    return mf.Manifold.batch_boolean([p1, p2], mf.OpType.Add), [p1, p2]


def _cylinder_block(rng):
    r, h = _u(rng, 0.015, 0.03), _u(rng, 0.04, 0.09)
    c = _frustum(r, r, 0, h, 32)
    return c, [c]


def _peach(rng):
    r = _u(rng, 0.03, 0.036)
    e = _ellipsoid([r, r * 0.95, r * 0.95])
    return e, [e]


_C = ProceduralCategory
_RED, _GRN, _YEL, _ORA, _BRN, _WHT, _BLU, _BLK = (
    (0.8, 0.1, 0.1), (0.2, 0.6, 0.2), (0.95, 0.85, 0.2), (1.0, 0.55, 0.1),
    (0.5, 0.3, 0.15), (0.92, 0.92, 0.9), (0.15, 0.3, 0.8), (0.12, 0.12, 0.12))
_ANY = (_RED, _GRN, _YEL, _ORA, _BLU, _WHT, _BLK, (0.6, 0.2, 0.7), (0.1, 0.7, 0.7))

CATEGORIES: dict[str, ProceduralCategory] = {c.name: c for c in [
    _C("mug", ("coffee mug", "cup with a handle"), _mug, _ANY, 900),
    _C("cup", ("paper cup", "tumbler"), _cup, _ANY, 700),
    _C("bowl", ("small bowl",), _bowl, _ANY, 900),
    _C("bottle", ("water bottle",), _bottle, _ANY, 400),
    _C("can", ("soda can", "tin can"), _can, _ANY, 500),
    _C("box", ("carton", "small box"), _box_obj, _ANY, 300),
    _C("cube", ("block", "toy block"), _cube, _ANY, 600),
    _C("ball", ("toy ball",), _ball, _ANY, 300),
    _C("banana", ("banana-like fruit",), _banana, (_YEL, (0.85, 0.8, 0.3)), 900),
    _C("toy car", ("car", "model car"), _toy_car, _ANY, 600),
    _C("apple", (), _apple, (_RED, _GRN, (0.9, 0.3, 0.1)), 800),
    _C("orange", (), _orange, (_ORA,), 850),
    _C("lemon", (), _lemon, (_YEL,), 850),
    _C("pear", (), _pear, (_GRN, _YEL), 800),
    _C("egg", (), _egg, (_WHT, (0.9, 0.8, 0.65)), 1000),
    _C("carrot", (), _carrot, (_ORA,), 900),
    _C("cucumber", (), _cucumber, (_GRN, (0.1, 0.4, 0.1)), 900),
    _C("sponge", (), _sponge, (_YEL, _GRN, _BLU), 150),
    _C("soap", ("soap bar",), _soap, (_WHT, (0.9, 0.7, 0.8), (0.7, 0.9, 0.8)), 900),
    _C("remote control", ("remote",), _remote, (_BLK, (0.3, 0.3, 0.3), _WHT), 700),
    _C("book", ("notebook",), _book, _ANY, 600),
    _C("marker", ("pen", "marker pen"), _marker, _ANY, 800),
    _C("screwdriver", (), _screwdriver, (_RED, _YEL, _BLU, _BLK), 900),
    _C("hammer", ("toy hammer",), _hammer, (_BRN, _RED, _BLK), 700),
    _C("dumbbell", (), _dumbbell, (_BLK, _BLU, _RED), 1500),
    _C("mushroom", (), _mushroom, (_WHT, _BRN, _RED), 600),
    _C("chess pawn", ("pawn",), _pawn, (_WHT, _BLK), 800),
    _C("vase", (), _vase, _ANY, 1000),
    _C("jar", (), _jar, _ANY, 700),
    _C("lego brick", ("brick",), _lego, _ANY, 900),
    _C("hex nut", ("nut",), _hex_nut, ((0.7, 0.7, 0.72), (0.8, 0.7, 0.3)), 2500),
    _C("donut", ("ring", "torus"), _donut, (_BRN, (0.95, 0.6, 0.7), _ANY[0]), 400),
    _C("traffic cone", ("cone",), _traffic_cone, (_ORA, _RED), 600),
    _C("pyramid", (), _pyramid, _ANY, 600),
    _C("prism", ("wedge", "triangular block"), _prism, _ANY, 600),
    _C("cheese", ("cheese wedge",), _cheese, (_YEL, (1.0, 0.75, 0.3)), 900),
    _C("spool", ("thread spool",), _spool, _ANY, 700),
    _C("flashlight", ("torch",), _flashlight, (_BLK, _RED, _BLU, (0.7, 0.7, 0.72)), 900),
    _C("toothpaste", ("tube",), _tube, (_WHT, _BLU, _RED), 500),
    _C("tape", ("tape roll",), _tape, (_WHT, _BRN, (0.7, 0.7, 0.7)), 700),
    _C("star", ("toy star",), _star, _ANY, 600),
    _C("pill bottle", ("medicine bottle",), _pill_bottle, (_ORA, _WHT), 500),
    _C("spray bottle", (), _spray_bottle, _ANY, 400),
    _C("l-block", ("angle block",), _block_l, _ANY, 600),
    _C("cylinder", ("round block",), _cylinder_block, _ANY, 600),
    _C("peach", (), _peach, ((1.0, 0.6, 0.4), (0.95, 0.5, 0.3)), 850),
]}


def category_names() -> list[str]:
    """All procedural category names (usable verbatim in instructions)."""
    return sorted(CATEGORIES)


def generate_object(category: str, rng: np.random.Generator | int | None = None,
                    name: str | None = None) -> ObjectAsset:
    """Generate one random instance of ``category``.

    Returns an :class:`ObjectAsset` in its own frame (origin at the centre of mass), with a
    watertight visual mesh, convex collision pieces, mass/inertia from the category density,
    and a colour drawn from the category palette (jittered).
    """
    if category not in CATEGORIES:
        from graspvla.errors import InvalidInputError

        raise InvalidInputError(f"category {category!r} is unknown; choose one of {category_names()}")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    cat = CATEGORIES[category]
    visual, parts = cat.build(rng)
    if visual is None:
        visual = mf.Manifold.batch_boolean(parts, mf.OpType.Add)
    # random yaw-free orientation variation is left to the scene; here only colour and scale
    base = np.array(cat.palette[int(rng.integers(len(cat.palette)))])
    rgba = np.r_[np.clip(base + rng.normal(0.0, 0.05, 3), 0.0, 1.0), 1.0]
    return asset_from_parts(
        name=name or f"{category.replace(' ', '_')}_{int(rng.integers(1 << 31)):08x}",
        category=category,
        visual=_to_arrays(visual),
        parts=[_to_arrays(p) for p in parts if not p.is_empty()],
        density=cat.density,
        rgba=rgba,
        max_width=GRASPABLE_WIDTH,
    )


def _to_arrays(m: mf.Manifold) -> tuple[np.ndarray, np.ndarray]:
    mesh = m.to_mesh()
    return np.asarray(mesh.vert_properties[:, :3], np.float64), np.asarray(mesh.tri_verts, np.int64)
