"""graspvla.grasp: analytic oracles (box, cylinder, sphere widths / axes / centres), limits of the
opening, table / neighbour collisions checked independently in numpy, determinism, mesh defects
(repaired or rejected by name), the antipodal kernel vs a numpy/trimesh reference, Ferrari-Canny
sanity, the hand model vs the MuJoCo hand, and physics validation (MuJoCo lift and shake)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

trimesh = pytest.importorskip("trimesh")

from graspvla._core import grasp as _core_grasp  # noqa: E402
from graspvla.errors import InvalidInputError, InvalidMeshError  # noqa: E402
from graspvla.grasp import (  # noqa: E402
    HandConfig, SceneCollision, SynthesisConfig, ValidationConfig, antipodal_test, ferrari_canny_epsilon,
    prepare_mesh, synthesize, synthesize_batch, synthesize_detailed, validate_grasps,
)

CFG = SynthesisConfig(num_samples=200, num_approaches=6, max_grasps=16)
MAXW = HandConfig().max_width - CFG.width_margin


def box(ext):
    m = trimesh.creation.box(ext)
    return np.asarray(m.vertices), np.asarray(m.faces)


def cylinder(r, h, sections=64):
    m = trimesh.creation.cylinder(radius=r, height=h, sections=sections)
    return np.asarray(m.vertices), np.asarray(m.faces)


def sphere(r):
    m = trimesh.creation.icosphere(4, radius=r)
    return np.asarray(m.vertices), np.asarray(m.faces)


def line_distance(p, origin, axis):
    d = p - origin
    return np.linalg.norm(d - (d @ axis) * axis)


def assert_frame(T):
    R = T[:3, :3]
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-9)
    assert np.linalg.det(R) > 0
    np.testing.assert_allclose(T[3], [0, 0, 0, 1])


# ---- analytic oracles ---------------------------------------------------------------------
def closing_extent(points, pose, hand=HandConfig()):
    """Oracle: the object's extent along TCP y within the fingers' face (what the closing
    fingers stop on), from dense surface samples: (y_max, y_min) in the TCP frame."""
    p = (points - pose[:3, 3]) @ pose[:3, :3]
    inside = (np.abs(p[:, 0]) <= hand.pad_half_x) & (p[:, 2] >= hand.pad_z_min) & (p[:, 2] <= hand.pad_z_max)
    return p[inside, 1].max(), p[inside, 1].min()


def test_box_widths_axes_centres():
    ext = np.array([0.05, 0.03, 0.10])
    v, f = box(ext)
    res = synthesize_detailed(v, f, config=CFG, seed=1)
    surface = trimesh.sample.sample_surface_even(trimesh.Trimesh(v, f), 40000, seed=0)[0]
    assert len(res.grasps) >= 5
    scores = [g.score for g in res.grasps]
    assert scores == sorted(scores, reverse=True)
    aligned = 0
    for g in res.grasps:
        assert_frame(g.pose)
        assert 0.0 < g.width <= MAXW
        y = g.pose[:3, 1]
        k = int(np.argmax(np.abs(y)))
        assert k != 2, "nothing fits across the 0.10 m side"
        # the fingers stop where the box protrudes most within the pads, centred on the TCP
        hi, lo = closing_extent(surface, g.pose)
        assert g.width == pytest.approx(hi - lo, abs=1e-3)
        assert abs(hi + lo) / 2 < 1e-3
        if np.all(np.abs(g.normals[:, k]) > 0.999):  # pads on two opposite faces
            aligned += 1
            np.testing.assert_allclose(g.normals[0], -g.normals[1], atol=1e-9)
            np.testing.assert_allclose(np.sort(np.abs(g.contacts[:, k])), [ext[k] / 2] * 2, atol=1e-3)
            assert g.width >= ext[k] - 1e-3
    assert aligned >= len(res.grasps) // 2


def test_cylinder_grasps_through_the_axis():
    r, h = 0.025, 0.12
    grasps = synthesize(*cylinder(r, h), config=CFG, seed=2)
    assert grasps
    for g in grasps:
        y, c = g.pose[:3, 1], g.pose[:3, 3]
        assert g.width <= MAXW
        if abs(y[2]) < 0.2:  # across the round side: the grasp axis passes through the cylinder axis
            assert g.width == pytest.approx(2 * r, abs=2e-3)
            # the pads touch where the cylinder protrudes most: the contact line crosses the axis
            a, b = g.contacts
            u = (b - a)[:2] / np.linalg.norm((b - a)[:2])
            assert abs(u[0] * a[1] - u[1] * a[0]) < 2e-3
            assert np.linalg.norm(b - a) == pytest.approx(2 * r, abs=2e-3)
        else:  # only the round side fits; caps are 0.12 apart
            pytest.fail(f"grasp across the 0.12 m height: axis {y}")


def test_sphere_width_and_centre():
    r = 0.03
    grasps = synthesize(*sphere(r), config=CFG, seed=3)
    assert len(grasps) >= 5
    for g in grasps:
        assert g.width == pytest.approx(2 * r, abs=2e-3)
        a, b = g.contacts
        assert line_distance(np.zeros(3), a, (b - a) / np.linalg.norm(b - a)) < 2e-3
        assert np.linalg.norm(b - a) == pytest.approx(2 * r, abs=2e-3)
        assert g.quality["antipodal"] > 0.9


@pytest.mark.parametrize("mesh", [sphere(0.05), box([0.1, 0.1, 0.1]), cylinder(0.045, 0.09)])
def test_nothing_wider_than_the_opening(mesh):
    res = synthesize_detailed(*mesh, config=CFG, seed=0)
    assert res.grasps == []
    assert res.stats["valid"] == 0


def test_nms_and_max_grasps():
    res = synthesize_detailed(*sphere(0.03), config=replace(CFG, max_grasps=8), seed=0)
    assert len(res.grasps) == 8
    P = np.array([g.pose for g in res.grasps])
    flip = np.diag([-1.0, -1.0, 1.0])
    for i in range(len(P)):
        for j in range(i):
            dt = np.linalg.norm(P[i, :3, 3] - P[j, :3, 3])
            ang = min(np.arccos(np.clip((np.trace(P[i, :3, :3].T @ P[j, :3, :3] @ f) - 1) / 2, -1, 1))
                      for f in (np.eye(3), flip))
            assert dt >= CFG.nms_distance or ang >= CFG.nms_angle
    everything = synthesize_detailed(*sphere(0.03), config=replace(CFG, max_grasps=0), seed=0)
    assert len(everything.grasps) == everything.stats["valid"] > 8


# ---- scene collision, checked by an independent numpy oracle --------------------------------
def hand_points_world(g, sweep, clearance=0.0, n=6):
    centres, halves = _core_grasp.hand_boxes(CFG.hand.to_core(), CFG.hand.max_width, sweep, clearance)
    u = np.linspace(-1, 1, n)
    grid = np.stack(np.meshgrid(u, u, u), -1).reshape(-1, 3)
    pts = np.concatenate([c + grid * h for c, h in zip(centres, halves)])
    return pts @ g.pose_world[:3, :3].T + g.pose_world[:3, 3]


def test_table_and_neighbour_collisions():
    ext = np.array([0.04, 0.04, 0.06])
    v, f = box(ext)
    obj_pose = np.eye(4)
    obj_pose[:3, 3] = [0.5, 0.0, 0.03]  # resting on a table at z = 0
    free = synthesize(v, f, config=replace(CFG, max_grasps=0), seed=4,
                      scene_collision=SceneCollision(object_pose=obj_pose))
    low = [g for g in free if hand_points_world(g, CFG.approach_distance)[:, 2].min() < -1e-9]
    assert low, "without a table some hands reach below z = 0 (else the table test proves nothing)"
    nb_pose = np.eye(4)
    nb_pose[:3, 3] = [0.5, 0.07, 0.03]
    scene = SceneCollision(object_pose=obj_pose, table_z=0.0, meshes=[(nb_pose, box([0.04, 0.04, 0.06]))],
                           boxes=[(np.eye(4) @ np.diag([1, 1, 1, 1.0]) + np.pad(np.array([[0.5], [-0.08], [0.03]]),
                                                                                   ((0, 1), (3, 0))), [0.02, 0.02, 0.03])])
    grasps = synthesize(v, f, config=replace(CFG, max_grasps=0), seed=4, scene_collision=scene)
    assert grasps and len(grasps) < len(free)
    for g in grasps:
        np.testing.assert_allclose(g.pose_world, obj_pose @ g.pose)
        pts = hand_points_world(g, CFG.approach_distance)
        assert pts[:, 2].min() >= -1e-9
        for c in ([0.5, 0.07, 0.03], [0.5, -0.08, 0.03]):
            inside = np.all(np.abs(pts - c) < [0.02, 0.02, 0.03], axis=1)
            assert not inside.any()


def test_from_scene_and_batch_match_single():
    meshes = [box([0.05, 0.03, 0.1]), sphere(0.03), cylinder(0.02, 0.1)]
    batch = synthesize_batch(meshes, config=CFG, seeds=[5, 6, 7])
    for (v, f), s, b in zip(meshes, [5, 6, 7], batch):
        single = synthesize(v, f, config=CFG, seed=s)
        np.testing.assert_array_equal([g.pose for g in single], [g.pose for g in b.grasps])


def test_deterministic_and_thread_independent():
    v, f = cylinder(0.02, 0.1)
    a = synthesize(v, f, config=replace(CFG, threads=1), seed=9)
    b = synthesize(v, f, config=replace(CFG, threads=2), seed=9)
    c = synthesize(v, f, config=replace(CFG, threads=2), seed=10)
    np.testing.assert_array_equal([g.pose for g in a], [g.pose for g in b])
    assert [g.score for g in a] == [g.score for g in b]
    assert not np.array_equal([g.pose for g in a][:3], [g.pose for g in c][:3])


# ---- mesh defects: repaired or rejected by name ---------------------------------------------
def test_repairs_flipped_duplicate_degenerate_and_holes():
    v, f = box([0.04, 0.05, 0.06])
    ref = prepare_mesh(v, f)
    assert not any(ref.report[k] for k in ("welded_vertices", "degenerate_faces", "flipped_faces", "holes_filled"))
    # all faces flipped (inward normals) and some flipped (inconsistent winding)
    for flip in (np.arange(len(f)), np.array([0, 3, 7])):
        g = f.copy()
        g[flip] = g[flip][:, ::-1]
        m = prepare_mesh(v, g)
        assert m.report["flipped_faces"] == len(flip)
        assert m.volume == pytest.approx(0.04 * 0.05 * 0.06)
        np.testing.assert_allclose(np.sort(m.normals, axis=0), np.sort(ref.normals, axis=0), atol=1e-12)
    # duplicate vertices (unwelded triangle soup) and zero-area faces
    soup_v = v[f].reshape(-1, 3)
    soup_f = np.arange(len(soup_v)).reshape(-1, 3)
    soup_f = np.vstack([soup_f, [[0, 0, 1], [0, 1, 1]], soup_f[:1]])
    m = prepare_mesh(soup_v, soup_f)
    assert m.report["welded_vertices"] == len(soup_v) - 8
    assert m.report["degenerate_faces"] == 2 and m.report["duplicate_faces"] == 1
    assert m.volume == pytest.approx(0.04 * 0.05 * 0.06)
    # holes: two faces sharing an edge (one hole), and two faces touching at a vertex only
    sv, sf = sphere(0.03)
    adj = trimesh.Trimesh(sv, sf).face_adjacency
    pair = adj[0]
    m = prepare_mesh(sv, np.delete(sf, pair, axis=0))
    assert m.report["holes_filled"] == 1
    share_vertex = next(j for j in range(1, len(sf)) if len(set(sf[0]) & set(sf[j])) == 1)
    assert prepare_mesh(sv, np.delete(sf, [0, share_vertex], axis=0)).report["holes_filled"] == 2
    assert m.volume == pytest.approx(trimesh.Trimesh(sv, sf).volume, rel=1e-3)
    grasps = synthesize(m, config=CFG, seed=0)
    assert grasps and all(g.width == pytest.approx(0.06, abs=2.5e-3) for g in grasps)


@pytest.mark.parametrize("make, words", [
    (lambda v, f: (v * 1000.0, f), "absurd scale"),
    (lambda v, f: (v * 1e-4, f), "absurd scale"),
    (lambda v, f: (np.where(np.arange(len(v))[:, None] == 0, np.nan, v), f), "NaN"),
    (lambda v, f: (v, np.vstack([f, [[0, 1, 99]]])), "outside"),
    (lambda v, f: (v * 0.0 + v[:, :1] * [1.0, 0.0, 0.0], f), "zero volume|degenerate"),
    (lambda v, f: (v[:, :2], f), "shape"),
])
def test_rejects_unrepairable(make, words):
    v, f = box([0.04, 0.05, 0.06])
    with pytest.raises(InvalidMeshError, match=words):
        prepare_mesh(*make(v, f))


def test_repair_false_names_each_defect():
    v, f = box([0.04, 0.05, 0.06])
    cases = {"flipped": (v, f[:, ::-1].copy()), "duplicate vertices": (v[f].reshape(-1, 3), np.arange(36).reshape(-1, 3)),
             "zero-area": (v, np.vstack([f, [[0, 0, 1]]])), "holes": (v, f[1:]),
             "non-manifold": (np.vstack([v, v[:1] + 1e-3]), np.vstack([f, [[f[0, 0], f[0, 1], len(v)]]]))}
    for words, (vv, ff) in cases.items():
        with pytest.raises(InvalidMeshError, match=words):
            prepare_mesh(vv, ff, repair=False)


def test_bad_arguments():
    v, f = box([0.04, 0.05, 0.06])
    with pytest.raises(InvalidInputError, match="friction"):
        synthesize(v, f, config=replace(CFG, friction=-1.0))
    with pytest.raises(InvalidInputError, match="grid"):
        synthesize(v, f, config=replace(CFG, pad_grid=0))
    with pytest.raises(InvalidInputError, match="faces"):
        synthesize(v)
    with pytest.raises(InvalidInputError, match="4x4"):
        synthesize(v, f, scene_collision=SceneCollision(object_pose=np.eye(3)))


# ---- kernels against references -------------------------------------------------------------
def test_antipodal_kernel_matches_trimesh_reference():
    rng = np.random.default_rng(0)
    v, f = cylinder(0.03, 0.08, sections=32)
    mesh = prepare_mesh(v, f)
    tm = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    pts, fid = trimesh.sample.sample_surface(tm, 200, seed=1)
    nrm = tm.face_normals[fid]
    d = -nrm + 0.2 * rng.normal(size=nrm.shape)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    ours = antipodal_test(mesh, pts, nrm, d, friction=0.5, min_width=0.002, max_width=0.076)
    # reference: brute-force Moller-Trumbore over all triangles (numpy), first hit beyond 1e-7
    tri = mesh.vertices[mesh.faces]
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    width = np.full(len(pts), np.nan)
    far_n = np.full((len(pts), 3), np.nan)
    for i in range(len(pts)):
        p = np.cross(d[i], e2)
        det = np.einsum("ij,ij->i", e1, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            s_ = pts[i] - tri[:, 0]
            u = np.einsum("ij,ij->i", s_, p) / det
            q = np.cross(s_, e1)
            vv = q @ d[i] / det
            t = np.einsum("ij,ij->i", e2, q) / det
        ok = (np.abs(det) > 1e-14) & (u >= 0) & (vv >= 0) & (u + vv <= 1) & (t > 1e-7)
        if ok.any():
            k = np.flatnonzero(ok)[np.argmin(t[ok])]
            width[i], far_n[i] = t[k], mesh.normals[k]
    cos = np.cos(np.arctan(0.5))
    with np.errstate(invalid="ignore"):
        valid = (width >= 0.002) & (width <= 0.076) & (np.einsum("ij,ij->i", far_n, d) >= cos) & \
            (np.einsum("ij,ij->i", -nrm, d) >= cos)
    hit = np.isfinite(width) & (width <= 0.076)
    np.testing.assert_allclose(ours["width"][hit], width[hit], atol=1e-9)
    assert (ours["valid"] != valid).sum() <= 2  # rays grazing an edge may differ
    assert ours["valid"].sum() > 30


def test_ferrari_canny():
    pts = np.array([[0.0, 0.03, 0.0], [0.0, -0.03, 0.0]])
    inward = -pts / 0.03
    # two point contacts never resist torsion about the line through them (no soft-finger model)
    assert ferrari_canny_epsilon(pts, inward, friction=0.5, torque_scale=0.03) == 0.0
    # pad patches (4 points per side) do; more friction, more margin; no friction or one side: none
    patch = np.array([[x, s * 0.03, z] for s in (1, -1) for x in (-0.008, 0.008) for z in (-0.008, 0.008)])
    forces = -np.sign(patch[:, 1:2]) * np.array([[0.0, 1.0, 0.0]])
    e = ferrari_canny_epsilon(patch, forces, 0.5, torque_scale=0.03)
    assert e > 0.0
    assert ferrari_canny_epsilon(patch, forces, 1.0, torque_scale=0.03) > e
    assert ferrari_canny_epsilon(patch, forces, 0.0, torque_scale=0.03) == 0.0
    assert ferrari_canny_epsilon(patch[:4], forces[:4], 0.5, torque_scale=0.03) == 0.0
    # an off-centre pair (torque under load) scores lower than a centred one
    assert ferrari_canny_epsilon(patch, forces, 0.5, com=(0.0, 0.0, 0.03), torque_scale=0.03) < e


def test_hand_model_matches_mujoco_hand():
    mujoco = pytest.importorskip("mujoco")
    from graspvla.sim.robot_model import TCP_OFFSET, franka_hand_spec

    m = franka_hand_spec(mount="fixed").compile()
    d = mujoco.MjData(m)
    h = HandConfig()
    for q in (0.01, 0.04):
        d.qpos[:2] = q
        mujoco.mj_forward(m, d)
        width = 2 * q
        centres, halves = _core_grasp.hand_boxes(h.to_core(), width, 0.0, 1e-4)
        for gi in range(m.ngeom):
            if m.geom_contype[gi] == 0 and m.geom_conaffinity[gi] == 0:
                continue
            if m.geom_type[gi] == mujoco.mjtGeom.mjGEOM_MESH:
                mid = m.geom_dataid[gi]
                pts = m.mesh_vert[m.mesh_vertadr[mid]:m.mesh_vertadr[mid] + m.mesh_vertnum[mid]]
            else:
                s = m.geom_size[gi]
                pts = np.array([[a * s[0], b * s[1], c * s[2]] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)])
            w = pts @ d.geom_xmat[gi].reshape(3, 3).T + d.geom_xpos[gi]
            w[:, 2] -= TCP_OFFSET  # hand frame -> TCP frame (the fixed hand sits at the origin)
            body = m.body(m.geom_bodyid[gi]).name
            k = {"left_finger": 0, "right_finger": 1}.get(body, 2)
            assert np.all(np.abs(w - centres[k]) <= halves[k] + 1e-9), (body, gi, q)
        # the pads' inner faces are the planes y = +-width/2
        pad_y = [d.geom_xpos[gi][1] - m.geom_size[gi][1] for gi in range(m.ngeom)
                 if m.body(m.geom_bodyid[gi]).name == "left_finger" and m.geom_type[gi] == mujoco.mjtGeom.mjGEOM_BOX]
        assert min(pad_y) == pytest.approx(width / 2, abs=1e-6)


# ---- physics ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def assets():
    from graspvla.assets import generate_object

    return {c: generate_object(c, np.random.default_rng(11)) for c in ("cube", "can", "banana")}


def test_top_grasps_hold_in_physics(assets):
    for cat, a in assets.items():
        grasps = synthesize(a.vertices, a.faces, config=CFG, seed=0)[:2]
        outcomes = validate_grasps(a, grasps, ValidationConfig(shake_time=0.5))
        assert all(o.success for o in outcomes), (cat, outcomes)
        for g, o in zip(grasps, outcomes):
            assert o.closed_width == pytest.approx(g.width, abs=3e-3)  # the fingers stop on the predicted contacts
            assert o.slip < 0.01


def test_validation_fails_bad_grasps_and_squeezes_with_the_set_force(assets):
    mujoco = pytest.importorskip("mujoco")
    from graspvla.grasp import GraspValidator

    a = assets["cube"]
    g = synthesize(a.vertices, a.faces, config=CFG, seed=0)[0]
    miss = g.pose.copy()
    miss[:3, 3] += 0.08 * miss[:3, 0]  # beside the object: the fingers close on air
    edge = g.pose.copy()
    edge[:3, 3] -= 0.04 * edge[:3, 2]  # pulled back: only the fingertips' edge grazes it
    out = validate_grasps(a, [miss, edge], ValidationConfig(shake_time=0.5))
    assert not out[0].success and "no contact" in out[0].reason
    assert not out[1].success
    # world pose, gravity: object rotated and placed elsewhere, same grasp in its frame holds
    T = np.eye(4)
    T[:3, :3] = trimesh.transformations.rotation_matrix(0.7, [1, 1, 0])[:3, :3]
    T[:3, 3] = [0.4, -0.2, 0.3]
    v = GraspValidator(a, T, ValidationConfig(grasp_force=30.0, shake_time=0.3))
    o = v.validate(T @ g.pose, g.width)
    assert o.success
    m, d = v.model, v.data
    normal = 0.0
    f6 = np.zeros(6)
    for i, c in enumerate(d.contact[:d.ncon]):
        bodies = {m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2]}
        if bodies == {m.body("object").id, m.body("left_finger").id}:
            mujoco.mj_contactForce(m, d, i, f6)
            normal += f6[0]
    assert normal == pytest.approx(30.0, rel=0.25)


def test_contacts_use_the_physics_collision_hulls():
    """MuJoCo collides convex pieces as hulls: with them given, the fingers stop on the hulls."""
    v, f = box([0.03, 0.03, 0.03])
    hull_v, hull_f = box([0.05, 0.03, 0.03])  # the 'physics' piece sticks out 1 cm along x each side
    plain = synthesize(v, f, config=CFG, seed=0)
    mesh = prepare_mesh(v, f, collision=[(hull_v, hull_f[:, ::-1])])  # winding is irrelevant for hulls
    assert mesh.has_contact_surface and not prepare_mesh(v, f).has_contact_surface
    hulled = synthesize(mesh, config=CFG, seed=0)
    along_x = lambda gs: [g for g in gs if abs(g.pose[0, 1]) > 0.99]  # noqa: E731
    assert along_x(plain) and along_x(hulled)
    assert all(g.width == pytest.approx(0.03, abs=1e-3) for g in along_x(plain))
    assert all(g.width == pytest.approx(0.05, abs=1e-3) for g in along_x(hulled))
