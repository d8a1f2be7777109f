"""Collision world vs a brute-force numpy reference, planner outputs verified by dense sampling,
determinism, grasp motion, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla.errors import InvalidInputError, InvalidMeshError, PlanningError
from graspvla.planning import PlannerConfig, PlanStatus, make_world, plan, plan_grasp
from graspvla.robot import Frame, Robot

robot = Robot("fr3")
HOME = np.array([0, -np.pi / 4, 0, -3 * np.pi / 4, 0, np.pi / 2, np.pi / 4])


def pose(p, R=None):
    T = np.eye(4)
    T[:3, 3] = p
    if R is not None:
        T[:3, :3] = R
    return T


def rot(rng):
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.linalg.det(q))


# ---- numpy references ---------------------------------------------------------------------
def ref_box(p, h):
    q = np.abs(p) - h
    return np.linalg.norm(np.maximum(q, 0), axis=-1) + np.minimum(q.max(-1), 0)


def ref_triangle(p, a, b, c):
    """Point-triangle distance by projection + edge clamping (independent of the C++ Voronoi walk)."""
    n = np.cross(b - a, c - a)
    n = n / np.linalg.norm(n)
    proj = p - ((p - a) @ n)[:, None] * n
    M = np.stack([b - a, c - a], 1)
    uv = np.linalg.lstsq(M, (proj - a).T, rcond=None)[0].T
    inside = (uv >= 0).all(1) & (uv.sum(1) <= 1)
    d = np.where(inside, np.abs((p - a) @ n), np.inf)
    for s, e in ((a, b), (b, c), (c, a)):
        t = np.clip(((p - s) @ (e - s)) / ((e - s) @ (e - s)), 0, 1)
        d = np.minimum(d, np.linalg.norm(p - (s + t[:, None] * (e - s)), axis=1))
    return d


def build_scene(rng, world):
    """Random boxes/spheres/capsules/a mesh; returns a numpy signed-distance function (N,3)->(N,)."""
    refs = []
    for _ in range(4):
        h, T = rng.uniform(0.03, 0.15, 3), pose(rng.uniform([0.2, -0.5, 0.0], [0.8, 0.5, 0.8]), rot(rng))
        world.add_box(h, T)
        refs.append(lambda p, h=h, T=T: ref_box((p - T[:3, 3]) @ T[:3, :3], h))
    for _ in range(3):
        r, c = rng.uniform(0.03, 0.1), rng.uniform([0.2, -0.5, 0.0], [0.8, 0.5, 0.8])
        world.add_sphere(r, pose(c))
        refs.append(lambda p, r=r, c=c: np.linalg.norm(p - c, axis=1) - r)
    r, hl, T = 0.05, 0.1, pose(rng.uniform([0.2, -0.5, 0.2], [0.8, 0.5, 0.8]), rot(rng))
    world.add_capsule(r, hl, T)

    def capsule(p, r=r, hl=hl, T=T):
        lp = (p - T[:3, 3]) @ T[:3, :3]
        z = np.clip(lp[:, 2], -hl, hl)
        return np.linalg.norm(lp - np.stack([0 * z, 0 * z, z], 1), axis=1) - r

    refs.append(capsule)
    # mesh: a tetrahedron
    V = rng.uniform(-0.1, 0.1, (4, 3))
    Fc = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]])
    T = pose(rng.uniform([0.3, -0.3, 0.2], [0.7, 0.3, 0.6]))
    world.add_mesh(V, Fc, T)
    refs.append(lambda p, T=T: np.min([ref_triangle(p - T[:3, 3], *V[f]) for f in Fc], axis=0))
    return lambda p: np.min([f(p) for f in refs], axis=0)


def test_collision_matches_bruteforce_reference():
    rng = np.random.default_rng(0)
    world = make_world(robot)
    sdf = build_scene(rng, world)
    world.check_self = False
    qs = robot.random_configurations(3000, 1)
    hit = world.in_collision_batch(qs)
    dist = world.distance_batch(qs)
    spheres = robot.collision_spheres(qs, world.gripper_width)  # (N, S, 4), independent of the world
    flat = spheres.reshape(-1, 4)
    ref = (sdf(flat[:, :3]) - flat[:, 3]).reshape(len(qs), -1).min(1)
    np.testing.assert_allclose(dist, ref, atol=1e-9)
    np.testing.assert_array_equal(hit, ref < 0)
    assert 0.05 < hit.mean() < 0.95
    # with self collision on: union with the robot model's own self-collision check
    world.check_self = True
    hit = world.in_collision_batch(qs)
    np.testing.assert_array_equal(hit, (ref < 0) | robot.self_collision(qs, 0.08))
    # single-configuration query = batch, thread count does not matter
    assert all(world.in_collision(q) == h for q, h in zip(qs[:50], hit[:50]))
    np.testing.assert_array_equal(world.in_collision_batch(qs, threads=1), world.in_collision_batch(qs, threads=2))
    # margins: the checker prunes whole bodies by box before testing spheres; padding must
    # still count exactly (world margin vs the world, self margin vs the arm itself)
    world.check_self = False
    for m in (0.01, 0.05):
        world.margin = m
        np.testing.assert_array_equal(world.in_collision_batch(qs), ref < m)
    world.margin = 0.0
    world.check_self = True
    for m in (0.01, 0.05):
        world.self_margin = m
        self_d = robot.self_collision_distance(qs, world.gripper_width)
        np.testing.assert_array_equal(world.in_collision_batch(qs), (ref < 0) | (self_d < m))


def test_shape_distances_point_cloud_cylinder_and_moves():
    rng = np.random.default_rng(3)
    world = make_world(robot)
    pts = rng.uniform(-0.1, 0.1, (500, 3))
    pc = world.add_point_cloud(pts, 0.01, pose([0.5, 0, 0.3]))
    cy = world.add_cylinder(0.05, 0.1, pose([0.2, 0.2, 0.2]))
    P = rng.uniform(-0.3, 0.8, (2000, 3))
    ref_pc = np.linalg.norm((P - [0.5, 0, 0.3])[:, None] - pts[None], axis=-1).min(1) - 0.01
    np.testing.assert_allclose(world.object_distance(pc, P), ref_pc, atol=1e-12)
    lp = P - [0.2, 0.2, 0.2]
    d = np.stack([np.linalg.norm(lp[:, :2], axis=1) - 0.05, np.abs(lp[:, 2]) - 0.1], 1)
    ref_cy = np.minimum(d.max(1), 0) + np.linalg.norm(np.maximum(d, 0), axis=1)
    np.testing.assert_allclose(world.object_distance(cy, P), ref_cy, atol=1e-12)
    # move / disable / remove change the answer without rebuilding anything else
    q = HOME
    spheres = world.robot_spheres(q)
    c = spheres[-1, :3]
    world.set_pose(cy, pose(c))
    assert world.in_collision(q)
    assert not world.in_collision(q, ignore=cy)
    world.set_enabled(cy, False)
    assert not world.in_collision(q)
    world.set_enabled(cy, True)
    world.remove(cy)
    assert not world.in_collision(q) and world.object_ids == [pc]
    with pytest.raises(InvalidInputError, match="object_id"):
        world.set_pose(cy, np.eye(4))


def test_attached_object_moves_with_hand():
    world = make_world(robot)
    world.add_box(np.array([0.3, 0.3, 0.01]), pose([0.5, 0, 0.0]))  # thin table
    q = HOME
    assert not world.in_collision(q)
    world.attach(np.array([[0.0, 0.0, 0.1034 + 0.05, 0.5]]))  # a big sphere below the fingers reaches the table
    assert world.in_collision(q)
    world.detach()
    assert not world.in_collision(q)


def test_segment_check_agrees_with_dense_sampling():
    rng = np.random.default_rng(5)
    world = make_world(robot)
    build_scene(rng, world)
    qs = robot.random_configurations(400, 6)
    for a, b in zip(qs[::2], qs[1::2]):
        n = int(np.ceil(np.abs(b - a).max() / 0.02))
        states = a + (b - a) * (np.arange(n + 1) / n)[:, None]
        assert world.segment_free(a, b, 0.02) == (not world.in_collision_batch(np.ascontiguousarray(states)).any())


def table_scene(seed):
    rng = np.random.default_rng(seed)
    world = make_world(robot)
    world.add_box(np.array([0.4, 0.6, 0.02]), pose([0.5, 0, -0.02]))
    ids = []
    for _ in range(8):
        ids.append(world.add_box(rng.uniform(0.02, 0.05, 3) * [1, 1, 2], pose([rng.uniform(0.35, 0.7), rng.uniform(-0.4, 0.4), 0.08])))
    return world, ids


def check_trajectory(world, traj, start, goal, ignore_from=None, ignore=-1):
    t = np.linspace(0, traj.duration, max(2, int(traj.duration / 0.001)))
    q, dq, ddq = traj.sample(t)
    assert np.all(q >= robot.q_min - 1e-12) and np.all(q <= robot.q_max + 1e-12)
    assert np.all(np.abs(dq) <= robot.dq_max * (1 + 1e-6))
    hit = world.in_collision_batch(np.ascontiguousarray(q))
    if ignore_from is not None:
        late = t >= ignore_from
        hit[late] = world.in_collision_batch(np.ascontiguousarray(q[late]), ignore=ignore)
    assert not hit.any()
    np.testing.assert_allclose(q[0], start, atol=1e-9)
    np.testing.assert_allclose(q[-1], goal, atol=1e-9)


def test_plans_are_collision_free_within_limits_and_reproducible():
    world, _ = table_scene(1)
    qs = robot.random_configurations(200, 2)
    free = qs[~world.in_collision_batch(qs)]
    n_ok = 0
    for k in range(8):
        goals = free[[k, k + 20]]
        cfg = PlannerConfig(seed=k, time_limit=5.0)
        res = plan(world, HOME, goals, cfg)
        if not res.success:
            continue
        n_ok += 1
        goal = goals[res.goal_index]
        check_trajectory(world, res.trajectory, HOME, goal)
        again = plan(world, HOME, goals, cfg)
        np.testing.assert_array_equal(res.path, again.path)
        assert res.trajectory.duration == again.trajectory.duration
    assert n_ok >= 6


def test_grasp_plan_does_not_stop_at_pregrasp():
    world, ids = table_scene(2)
    res = None
    for target in ids:  # top-down grasps 3 cm below each object's top face region
        grasp = pose(world.object_pose(target)[:3, 3] + [0, 0, 0.03], np.diag([1.0, -1.0, -1.0]))
        res = plan_grasp(world, HOME, grasp, PlannerConfig(seed=0, time_limit=5.0), target_id=target)
        if res.success:
            break
    assert res is not None and res.success, res.message
    traj = res.approach
    knots = np.asarray(traj.knot_times)
    t_pre = knots[res.pregrasp_index]
    check_trajectory(world, traj, HOME, res.approach_path[-1], ignore_from=t_pre, ignore=target)
    _, v, _, _ = traj.at(t_pre)
    assert np.linalg.norm(v) > 1e-3  # passes through the pre-grasp moving
    np.testing.assert_allclose(robot.fk(res.approach_path[-1], Frame.TCP)[:3, 3], grasp[:3, 3], atol=1e-4)
    q_lift = res.lift_path[-1]
    np.testing.assert_allclose(robot.fk(q_lift, Frame.TCP)[:3, 3], grasp[:3, 3] + [0, 0, 0.1], atol=1e-4)


def test_failure_reasons_and_bad_input():
    world, _ = table_scene(3)
    inside = robot.random_configurations(500, 9)
    coll = inside[world.in_collision_batch(inside)][0]
    res = plan(world, coll, HOME)
    assert res.status == PlanStatus.START_INVALID
    with pytest.raises(PlanningError, match="start"):
        res.raise_for_status()
    assert plan(world, HOME, coll).status == PlanStatus.GOAL_INVALID
    beyond = HOME.copy()
    beyond[0] = 4.0
    assert plan(world, beyond, HOME).status == PlanStatus.START_INVALID
    assert plan(world, HOME, beyond).status == PlanStatus.GOAL_INVALID
    nan = HOME.copy()
    nan[2] = np.nan
    assert plan(world, nan, HOME).status == PlanStatus.START_INVALID
    # a goal boxed in by a cage -> timeout with a tiny budget
    cage = make_world(robot)
    g = robot.fk(HOME, Frame.TCP)[:3, 3]
    for axis in range(3):
        for s in (-1, 1):
            off = np.zeros(3)
            off[axis] = s * 0.25
            half = np.full(3, 0.26)
            half[axis] = 0.01
            cage.add_box(half, pose(g + off))
    start = HOME.copy()
    start[0] = 2.0
    if not cage.in_collision(start) and not cage.in_collision(HOME):
        assert plan(cage, start, HOME, PlannerConfig(time_limit=0.05)).status == PlanStatus.TIMEOUT
    with pytest.raises(InvalidInputError, match="goals"):
        plan(world, HOME, np.zeros((2, 6)))
    with pytest.raises(InvalidInputError, match="q"):
        world.in_collision(np.full(7, np.nan))
    with pytest.raises(InvalidInputError, match="config"):
        plan(world, HOME, HOME, PlannerConfig(resolution=0))
    with pytest.raises(InvalidInputError, match="pose"):
        world.add_box(np.ones(3), np.ones((4, 4)))
    with pytest.raises(InvalidMeshError, match="degenerate"):
        world.add_mesh(np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0.0]]), np.array([[0, 1, 2]]), np.eye(4))
    with pytest.raises(InvalidMeshError, match="outside"):
        world.add_mesh(np.eye(3), np.array([[0, 1, 5]]), np.eye(4))
    with pytest.raises(InvalidInputError, match="half_extents"):
        world.add_box(np.array([0.1, -0.1, 0.1]), np.eye(4))
