"""Rendering and physics throughput of graspvla.sim, per core, in one run.

Prints one table. Rendering rows: frames/s of ``Simulator.render`` (RGB readback) from the
front camera of a scene with 3 objects and the arm in view, with per-frame randomisation on
(light positions/colours, camera pose jitter, object colours: the fields a randomiser changes
between frames). "ours" uses the cached decimated robot visual meshes; the peer is the same
scene with franky-sim's original meshes (~240k triangles). Physics rows: ``mj_step``/s of the
scene (arm tracking a moving target, objects resting) versus franky-sim's bare fr3.xml.

One render process per core: ``LP_NUM_THREADS=1`` is set for llvmpipe unless already set.

    MUJOCO_GL=egl python benchmarks/bench_render.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("LP_NUM_THREADS", "1")

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

from graspvla.scene import SceneConfig, generate_scene  # noqa: E402
from graspvla.sim import SimConfig, Simulator  # noqa: E402
from graspvla.sim.robot_model import franky_assets_dir  # noqa: E402


def _randomise(sim: Simulator, rng: np.random.Generator, cam0: np.ndarray, light0: np.ndarray) -> None:
    m = sim.model
    m.light_pos[:] = light0 + rng.uniform(-0.3, 0.3, light0.shape)
    m.light_diffuse[:] = rng.uniform(0.3, 0.8, m.light_diffuse.shape)
    m.cam_pos[:] = cam0 + rng.uniform(-0.02, 0.02, cam0.shape)
    m.mat_rgba[-len(sim.scene.objects):, :3] = rng.uniform(0, 1, (len(sim.scene.objects), 3))


def render_fps(sim: Simulator, h: int, w: int, n: int) -> float:
    rng = np.random.default_rng(0)
    cam0, light0 = sim.model.cam_pos.copy(), sim.model.light_pos.copy()
    sim.render("front", h, w)  # warm-up: context + texture upload
    best = 0.0
    for _ in range(2):
        t0 = time.perf_counter()
        for _ in range(n):
            _randomise(sim, rng, cam0, light0)
            sim.render("front", h, w)
        best = max(best, n / (time.perf_counter() - t0))
    return best


def physics_sps(model: mujoco.MjModel, n: int, arm_ctrl: bool = True) -> float:
    d = mujoco.MjData(model)
    if model.nkey:
        mujoco.mj_resetDataKeyframe(model, d, 0)
    q0 = d.qpos[:7].copy()
    t0 = time.perf_counter()
    block = 50
    for k in range(n // block):
        if arm_ctrl:
            d.ctrl[:7] = q0 + 0.2 * np.sin(0.05 * k)
        mujoco.mj_step(model, d, nstep=block)
    return (n // block) * block / (time.perf_counter() - t0)


def save_examples(directory: str, seeds: tuple[int, ...] = (0, 1, 2, 3), size: int = 224) -> None:
    """Front|side PNG (one per seed) showing the per-episode randomisation."""
    from pathlib import Path

    from PIL import Image

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        scene = generate_scene(SceneConfig(n_objects=(2, 5)), seed=seed)
        with Simulator(scene, SimConfig(height=size, width=size)) as sim:
            img = np.concatenate([sim.render("front"), sim.render("side")], axis=1)
        Image.fromarray(img).save(out / f"scene_seed{seed}_front_side.png", optimize=True)
        print(f"{out / f'scene_seed{seed}_front_side.png'}: {scene.instruction!r}, "
              f"objects {[o.category for o in scene.objects]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer frames/steps (smoke run)")
    ap.add_argument("--save-images", metavar="DIR", help="also write front+side PNGs of 4 random scenes")
    args = ap.parse_args()
    if args.save_images:
        save_examples(args.save_images)
    n224, n640, nphys = (20, 8, 4000) if args.quick else (200, 60, 40000)

    scene = generate_scene(SceneConfig(n_objects=(3, 3)), seed=0)
    ours = Simulator(scene, SimConfig(decimate=True))
    peer = Simulator(scene, SimConfig(decimate=False))

    def tris(model: mujoco.MjModel) -> int:
        return int(sum(model.mesh_facenum[model.geom_dataid[g]] for g in range(model.ngeom)
                       if model.geom_type[g] == mujoco.mjtGeom.mjGEOM_MESH and model.geom_group[g] == 2))

    rows = []
    for (h, w), n in (((224, 224), n224), ((480, 640), n640)):
        a = render_fps(ours, h, w, n)
        b = render_fps(peer, h, w, n)
        rows.append((f"render RGB {w}x{h} fps (front, randomised)", a, b))
    t0 = time.perf_counter()
    for _ in range(max(5, n224 // 4)):
        ours.render_segmentation("front")
    seg_fps = max(5, n224 // 4) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(max(5, n224 // 4)):
        ours.render_depth("front")
    depth_fps = max(5, n224 // 4) / (time.perf_counter() - t0)

    bare = mujoco.MjSpec.from_file(str(franky_assets_dir() / "fr3.xml"))
    bare.meshdir = str(franky_assets_dir() / "meshes")
    bare_model = bare.compile()
    rows.append(("physics steps/s (scene vs bare fr3.xml)", physics_sps(ours.model, nphys), physics_sps(bare_model, nphys)))

    print(f"robot visual triangles: decimated {tris(ours.model):,} / original {tris(peer.model):,}; "
          f"{len(scene.objects)} objects, LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS')}, "
          f"MUJOCO_GL={os.environ.get('MUJOCO_GL')}, mujoco {mujoco.__version__}")
    print(f"{'measure':46s} {'ours':>10s} {'peer':>10s} {'ours/peer':>10s}")
    for name, a, b in rows:
        print(f"{name:46s} {a:10.1f} {b:10.1f} {a / b:10.2f}")
    print(f"{'segmentation 224x224 fps (ours)':46s} {seg_fps:10.1f}")
    print(f"{'depth 224x224 fps (ours)':46s} {depth_fps:10.1f}")
    ours.close()
    peer.close()


if __name__ == "__main__":
    main()
