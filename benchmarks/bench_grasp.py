"""Grasp synthesis: graspvla (C++ BVH ray casts, GIL released) vs a straightforward numpy
implementation of the same antipodal test, on the same rays in one run; full-pipeline
throughput (candidates evaluated and valid grasps per second per core); MuJoCo physics
validations per second; optionally (--success) the per-category lift-and-shake success rate of
the top-ranked grasps on procedural objects.

The antipodal test (both implementations): for each surface sample p with outward normal n and a
ray direction d (within the friction cone around -n), find the first surface hit q along d; the
pair is valid when 0.002 <= |q - p| <= 0.076 m and both normals lie in the friction cone
(mu = 0.5) of d. numpy reference: Moller-Trumbore of every ray against every triangle, chunked
(rays x triangles arrays). trimesh's ray module needs rtree/embree, not installed here, so the
reference is plain numpy (what trimesh's fallback intersector does, without its r-tree).

    python benchmarks/bench_grasp.py [--quick] [--success] [--objects N] [--top K]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from graspvla._core import get_num_threads, set_num_threads
from graspvla.assets import category_names, generate_object
from graspvla.errors import InvalidMeshError
from graspvla.grasp import (GraspValidator, SceneCollision, SynthesisConfig, ValidationConfig, antipodal_test,
                            prepare_mesh, synthesize_detailed)

MU, MIN_W, MAX_W = 0.5, 0.002, 0.076


def numpy_antipodal(vertices, faces, normals, points, point_normals, dirs, chunk=32):
    """Reference: first hit of every ray by brute-force Moller-Trumbore, then the same checks."""
    tri = vertices[faces]
    a, e1, e2 = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    n = len(points)
    width = np.full(n, np.inf)
    hit_tri = np.full(n, -1)
    for s in range(0, n, chunk):
        o, d = points[s:s + chunk, None, :], dirs[s:s + chunk, None, :]
        pv = np.cross(d, e2[None])
        det = np.einsum("rtk,tk->rt", pv, e1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / det
            tv = o - a[None]
            u = np.einsum("rtk,rtk->rt", tv, pv) * inv
            qv = np.cross(tv, e1[None])
            v = np.einsum("rtk,rk->rt", qv, d[:, 0]) * inv
            t = np.einsum("rtk,tk->rt", qv, e2) * inv
        ok = (np.abs(det) > 1e-14) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-7) & (t <= MAX_W)
        t = np.where(ok, t, np.inf)
        k = np.argmin(t, axis=1)
        tk = t[np.arange(len(k)), k]
        width[s:s + chunk] = tk
        hit_tri[s:s + chunk] = np.where(np.isfinite(tk), k, -1)
    cos = np.cos(np.arctan(MU))
    hit = hit_tri >= 0
    far_n = normals[np.maximum(hit_tri, 0)]
    valid = hit & (width >= MIN_W) & (np.einsum("ij,ij->i", far_n, dirs) >= cos) & \
        (np.einsum("ij,ij->i", -point_normals, dirs) >= cos)
    return valid, np.where(hit, width, np.nan)


def rays_for(mesh, n, rng):
    """n area-weighted surface samples with ray directions spread over half the friction cone."""
    V, Fc, N = mesh.vertices, mesh.faces, mesh.normals
    tri = V[Fc]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    f = rng.choice(len(Fc), n, p=area / area.sum())
    r1, r2 = np.sqrt(rng.random(n))[:, None], rng.random(n)[:, None]
    p = (1 - r1) * tri[f, 0] + r1 * (1 - r2) * tri[f, 1] + r1 * r2 * tri[f, 2]
    d = -N[f] + 0.5 * np.tan(0.5 * np.arctan(MU)) * rng.normal(size=(n, 3)) / np.sqrt(3)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return p, N[f], d


def best_of(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def table_pose(asset, rng):
    """Upright as generated, random yaw, resting on a table at z = 0, in front of the robot."""
    c, s = np.cos(a := rng.uniform(-np.pi, np.pi)), np.sin(a)
    T = np.eye(4)
    T[:3, :3] = [[c, -s, 0], [s, c, 0], [0, 0, 1]]
    T[:3, 3] = [0.5, 0.0, -asset.vertices[:, 2].min()]
    return T


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer objects and rays")
    ap.add_argument("--success", action="store_true", help="per-category physics success of the top grasps")
    ap.add_argument("--objects", type=int, default=2, help="objects per category for --success")
    ap.add_argument("--top", type=int, default=5, help="top-ranked grasps validated per object for --success")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    cats = ["mug", "banana", "bottle", "toy car", "hammer", "apple"][: 3 if args.quick else 6]
    assets = [generate_object(c, np.random.default_rng(i)) for i, c in enumerate(cats)]
    meshes = [prepare_mesh(a.vertices, a.faces, collision=a.collision) for a in assets]
    n_rays = 500 if args.quick else 2000
    threads = get_num_threads()

    # ---- 1. the antipodal test, same rays --------------------------------------------------------
    rows = []
    for cat, mesh in zip(cats, meshes):
        p, n, d = rays_for(mesh, n_rays, rng)
        set_num_threads(1)
        ours = antipodal_test(mesh, p, n, d, MU, MIN_W, MAX_W)
        t1 = best_of(lambda: antipodal_test(mesh, p, n, d, MU, MIN_W, MAX_W), 5)
        set_num_threads(0)
        tall = best_of(lambda: antipodal_test(mesh, p, n, d, MU, MIN_W, MAX_W), 5)
        ref_valid, ref_w = numpy_antipodal(mesh.vertices, mesh.faces, mesh.normals, p, n, d)
        tref = best_of(lambda: numpy_antipodal(mesh.vertices, mesh.faces, mesh.normals, p, n, d), 1)
        agree = float(np.mean(ours["valid"] == ref_valid))
        rows.append((cat, len(mesh.faces), n_rays / t1, n_rays / tall, n_rays / tref, int(ours["count"]) / t1,
                     int(ref_valid.sum()) / tref, agree))
    print(f"\nAntipodal test, same rays ({n_rays} per object, mu {MU}); per core = 1 thread; "
          f"{threads} threads for 'all'")
    print(f"| {'object':8s} | {'faces':>5s} | {'ours rays/s/core':>16s} | {'ours rays/s all':>15s} | "
          f"{'numpy rays/s':>12s} | {'ratio/core':>10s} | {'ours valid/s/core':>17s} | {'numpy valid/s':>13s} | agree |")
    print("|" + "|".join("-" * (w + 2) for w in (8, 5, 16, 15, 12, 10, 17, 13, 5)) + "|")
    for cat, nf, o1, oa, r, v1, vr, ag in rows:
        print(f"| {cat:8s} | {nf:5d} | {o1:16,.0f} | {oa:15,.0f} | {r:12,.0f} | {o1 / r:9.0f}x | {v1:17,.0f} | "
              f"{vr:13,.0f} | {100 * ag:4.1f}% |")

    # ---- 2. full synthesis -----------------------------------------------------------------------
    cfg = SynthesisConfig()
    print(f"\nFull synthesis (SynthesisConfig defaults: {cfg.num_samples} samples x {cfg.num_approaches} approaches, "
          f"finger-face rays {cfg.pad_grid}x{cfg.pad_grid} pad + {cfg.grid_x}x{cfg.grid_z} finger per side, "
          f"collision sweep, scoring, NMS top {cfg.max_grasps}), table + object pose as in a scene")
    print(f"| {'object':8s} | {'pairs':>5s} | {'candidates':>10s} | {'valid':>5s} | {'ms (1 thread)':>13s} | "
          f"{'candidates/s/core':>17s} | {'valid grasps/s/core':>19s} | {'ms (all)':>8s} |")
    print("|" + "|".join("-" * (w + 2) for w in (8, 5, 10, 5, 13, 17, 19, 8)) + "|")
    for cat, a, mesh in zip(cats, assets, meshes):
        scene = SceneCollision(object_pose=table_pose(a, np.random.default_rng(1)), table_z=0.0)
        r1 = synthesize_detailed(mesh, config=replace(cfg, threads=1), seed=0, scene_collision=scene)
        t1 = best_of(lambda: synthesize_detailed(mesh, config=replace(cfg, threads=1), seed=0, scene_collision=scene), 3)
        ta = best_of(lambda: synthesize_detailed(mesh, config=cfg, seed=0, scene_collision=scene), 3)
        st = r1.stats
        print(f"| {cat:8s} | {st['pairs']:5d} | {st['candidates']:10d} | {st['valid']:5d} | {1e3 * t1:13.1f} | "
              f"{st['candidates'] / t1:17,.0f} | {st['valid'] / t1:19,.0f} | {1e3 * ta:8.1f} |")

    # ---- 3. physics validations ------------------------------------------------------------------
    vc = ValidationConfig()
    n_val, t_val, t_build, ok = 0, 0.0, 0.0, 0
    for a, mesh in zip(assets, meshes):
        grasps = synthesize_detailed(mesh, config=cfg, seed=0).grasps[:4]
        t0 = time.perf_counter()
        v = GraspValidator(a, None, vc)
        t_build += time.perf_counter() - t0
        for g in grasps:
            t0 = time.perf_counter()
            ok += v.validate(g.pose_world, g.width).success
            t_val += time.perf_counter() - t0
            n_val += 1
    sim_s = vc.close_time + vc.lift_time + vc.shake_time + vc.hold_time
    print(f"\nPhysics validation (MuJoCo, 1 thread, {sim_s:.1f} s simulated at {1e3 * vc.timestep:.0f} ms steps per grasp): "
          f"{n_val / t_val:.1f} validations/s ({1e3 * t_val / n_val:.0f} ms each, {sim_s * n_val / t_val:.0f}x real time); "
          f"model build {1e3 * t_build / len(assets):.0f} ms per object; {ok}/{n_val} succeeded")

    if args.success:
        success_table(args.objects, args.top)


def success_table(n_objects: int, top: int) -> None:
    cfg = SynthesisConfig()
    vc = ValidationConfig()
    print(f"\nPhysics success of the top-{top} grasps, {n_objects} objects per category (upright, random yaw, "
          f"table at z = 0 for synthesis), squeeze {vc.grasp_force:.0f} N, lift {vc.lift_height} m, shake "
          f"{vc.shake_time} s at {vc.shake_frequency} Hz (+-{vc.shake_amplitude} m, +-{vc.shake_angle} rad)")
    print(f"| {'category':14s} | {'tried':>5s} | {'success':>7s} | {'rate':>6s} | {'no grasp':>8s} | failures |")
    print("|" + "|".join("-" * (w + 2) for w in (14, 5, 7, 6, 8, 8)) + "|")
    tot = good = 0
    t0 = time.perf_counter()
    for ci, cat in enumerate(category_names()):
        tried = succ = none = 0
        reasons: dict[str, int] = {}
        for k in range(n_objects):
            rng = np.random.default_rng([ci, k])
            a = generate_object(cat, rng)
            pose = table_pose(a, rng)
            try:
                res = synthesize_detailed(a, config=cfg, seed=k,
                                          scene_collision=SceneCollision(object_pose=pose, table_z=0.0))
            except InvalidMeshError as e:
                reasons[f"mesh rejected ({e})"] = reasons.get(f"mesh rejected ({e})", 0) + 1
                continue
            if not res.grasps:
                none += 1
                continue
            v = GraspValidator(a, pose, vc)
            for g in res.grasps[:top]:
                o = v.validate(g.pose_world, g.width)
                tried += 1
                succ += o.success
                if not o.success:
                    key = o.reason.split(" 0.")[0]
                    reasons[key] = reasons.get(key, 0) + 1
        tot += tried
        good += succ
        rate = f"{100 * succ / tried:5.1f}%" if tried else "   -  "
        why = ", ".join(f"{r} x{c}" for r, c in reasons.items())
        print(f"| {cat:14s} | {tried:5d} | {succ:7d} | {rate} | {none:8d} | {why} |", flush=True)
    print(f"| {'ALL':14s} | {tot:5d} | {good:7d} | {100 * good / max(tot, 1):5.1f}% | {'':8s} | |")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
