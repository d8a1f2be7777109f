"""Grasp regions and filters: the mug handle against a geometric oracle (the generator's own
convex pieces), and the data pipeline's ``grasp_filter`` hook."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from graspvla.assets.procedural import generate_object
from graspvla.errors import InvalidInputError
from graspvla.grasp.filters import filter_grasps, grasp_in_region, grasp_region, mug_geometry, region_names

# the procedural mug's collision pieces: base disc + 10 wall sectors, then 6 handle capsules (outer
# bar in the middle), see graspvla.assets.procedural._mug
N_BODY, N_HANDLE = 11, 6


def _hull_distance(points: np.ndarray, parts: list) -> np.ndarray:
    """Distance-like value of points to the nearest convex piece (max over face planes; <= 0 inside)."""
    from scipy.spatial import ConvexHull

    best = np.full(len(points), np.inf)
    for pv, _ in parts:
        eq = ConvexHull(pv).equations
        best = np.minimum(best, (points @ eq[:, :3].T + eq[:, 3]).max(axis=1))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_mug_handle_region_matches_the_generators_pieces(seed):
    mug = generate_object("mug", seed)
    assert len(mug.collision) == N_BODY + N_HANDLE
    body, handle = mug.collision[:N_BODY], mug.collision[N_BODY:]
    region = grasp_region("mug_handle", mug)
    # every vertex of the body (wall, rim, inside, base) is outside the region ...
    for pv, _ in body:
        assert not region.contains(pv).any()
    # ... and the handle's outer bar (the two middle capsules) is inside it
    for pv, _ in handle[2:4]:
        assert region.contains(pv).all()
    g = mug_geometry(mug)
    top = g.z_range[1]
    ax = np.r_[g.axis_xy, 0.0]
    points = {  # hand-placed probes
        "outer wall": ax + [0.0, g.radius, 0.5 * top],
        "rim": ax + [0.0, -(g.radius - 0.002), top - 0.001],
        "inside": ax + [0.5 * g.radius, 0.0, top - 0.01],
        "bottom": ax + [0.0, 0.0, g.z_range[0]],
        "handle": ax + [g.radius + g.handle_reach - 0.002, 0.0, 0.5 * (g.z_range[0] + top)],
    }
    got = {k: bool(region.contains(p)[0]) for k, p in points.items()}
    assert got == {"outer wall": False, "rim": False, "inside": False, "bottom": False, "handle": True}
    body_region = grasp_region("mug_body", mug)
    assert [bool(body_region.contains(p)[0]) for p in points.values()] == [True, True, True, True, False]


def test_filter_keeps_handle_grasps_and_rejects_body_and_rim_grasps():
    from graspvla.grasp import SynthesisConfig, synthesize

    accepted = rejected = 0
    for seed in range(6):
        mug = generate_object("mug", seed)
        grasps = synthesize(mug, SynthesisConfig(threads=1), seed=seed)
        kept = filter_grasps(grasps, mug, "mug_handle")
        assert kept == [g for g in grasps if grasp_in_region(g, grasp_region("mug_handle", mug))]  # order kept
        body, handle = mug.collision[:N_BODY], mug.collision[N_BODY:]
        for g in grasps:
            c = np.asarray(g.contacts)
            # contacts are pad means on a curved surface: within 2 mm of the touched piece
            on_handle = _hull_distance(c, handle) < 2e-3
            on_body = _hull_distance(c, body) < 2e-3
            if any(g is k for k in kept):
                accepted += 1
                assert on_handle.all() and not on_body.any(), "accepted grasp touches the body"
            else:
                rejected += 1
                assert on_body.any() or not on_handle.all() or (
                    np.linalg.norm(c[:, :2] - mug_geometry(mug).axis_xy, axis=1).min()
                    < mug_geometry(mug).radius + 0.003), "rejected a grasp of the handle bar"
    assert accepted > 0 and rejected > 0


def test_filter_on_explicit_contacts_and_errors():
    mug = generate_object("mug", 0)
    g = mug_geometry(mug)
    ax = np.r_[g.axis_xy, 0.0]
    zc = 0.5 * sum(g.z_range)
    bar = ax + [g.radius + 0.6 * g.handle_reach, 0.0, zc]
    handle = SimpleNamespace(contacts=np.stack([bar + [0, 0.005, 0], bar - [0, 0.005, 0]]))
    across_body = SimpleNamespace(contacts=np.stack([ax + [0, g.radius, zc], ax - [0, g.radius, zc - 2 * zc]]))
    mixed = SimpleNamespace(contacts=np.stack([bar, ax + [0, g.radius, zc]]))  # one finger on the wall
    assert filter_grasps([across_body, handle, mixed], mug, "mug_handle") == [handle]
    assert "mug_handle" in region_names()
    with pytest.raises(InvalidInputError, match="unknown"):
        grasp_region("spout", mug)
    with pytest.raises(InvalidInputError, match="procedural mug"):
        grasp_region("mug_handle", generate_object("can", 0))


def _core_with_trajectory():
    core = pytest.importorskip("graspvla._core")
    pytest.importorskip("mujoco")
    if not hasattr(core, "trajectory"):
        pytest.skip("graspvla._core was built without the trajectory domain")


MUG_SCENES = {"categories": ["mug"], "n_objects": [1, 2], "lying_prob": 0.0}


def test_pipeline_grasp_filter_gives_handle_demonstrations():
    _core_with_trajectory()
    from graspvla.data.pipeline import SynGraspSource

    src = SynGraspSource(image_size=32, grasp_filter="mug_handle", scene_options=MUG_SCENES)
    ep = src(1)
    assert ep.meta.category == "mug" and ep.meta.params["grasp_filter"] == "mug_handle"
    # the executed grasp's TCP sits beyond the body wall, on the handle side (target frame)
    target = next(o for o in ep.meta.params["objects"] if o["id"] == ep.meta.params["target_id"])
    T = np.asarray(target["pose"]).reshape(4, 4)
    from graspvla.scene import SceneConfig, generate_scene

    asset = generate_scene(SceneConfig(categories=("mug",), n_objects=(1, 2), lying_prob=0.0), seed=1).target.asset
    tcp_obj = np.linalg.solve(T, ep.meta.grasp_pose[:, 3])[:3]
    g = mug_geometry(asset)
    assert np.linalg.norm(tcp_obj[:2] - g.axis_xy) > g.radius and tcp_obj[0] > g.axis_xy[0]


def test_pipeline_grasp_filter_needs_synthesis():
    _core_with_trajectory()
    from graspvla.data.pipeline import SynGraspSource

    with pytest.raises(InvalidInputError, match="grasp_filter"):
        SynGraspSource(image_size=32, grasp_method="topdown", grasp_filter="mug_handle", scene_options=MUG_SCENES)(1)
