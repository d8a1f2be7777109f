"""Collision spheres: they cover the real collision meshes, and self-collision equals a
brute-force check over the same spheres."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

from graspvla.errors import InvalidInputError
from graspvla.robot import Robot

robot = Robot("fr3")


def test_self_collision_matches_brute_force() -> None:
    qs = robot.random_configurations(2000, 0)
    spheres = robot.collision_spheres(qs, 0.05)
    bodies = robot.sphere_bodies()
    pairs = robot.self_collision_pairs()
    assert np.array_equal(pairs, pairs.T) and not pairs.diagonal().any()
    idx = [(i, j) for i, j in itertools.combinations(range(len(bodies)), 2) if pairs[bodies[i], bodies[j]]]
    a, b = np.array(idx).T
    d = np.linalg.norm(spheres[:, a, :3] - spheres[:, b, :3], axis=-1) - spheres[:, a, 3] - spheres[:, b, 3]
    ref = d.min(axis=1)
    np.testing.assert_allclose(robot.self_collision_distance(qs, 0.05), ref, atol=1e-12)
    hit = robot.self_collision(qs, 0.05)
    np.testing.assert_array_equal(hit, ref < 0)
    assert 0.01 < hit.mean() < 0.5  # random configurations do fold into themselves sometimes
    home = np.array([0, -np.pi / 4, 0, -3 * np.pi / 4, 0, np.pi / 2, np.pi / 4])
    assert not robot.self_collision(home)


def test_spheres_cover_collision_meshes() -> None:
    trimesh = pytest.importorskip("trimesh")
    pin = pytest.importorskip("pinocchio")
    franky_sim = pytest.importorskip("franky_sim")
    assets = os.path.join(os.path.dirname(franky_sim.__file__), "assets")
    model = pin.buildModelFromUrdf(os.path.join(assets, "fr3.urdf"))
    data = model.createData()
    links = {f"link{i}": f"fr3_link{i}" for i in range(1, 8)} | {"hand": "fr3_hand"}
    points = {}
    for mesh_name in links:
        mesh = trimesh.load(os.path.join(assets, "meshes", f"{mesh_name}_coll.stl"), force="mesh")
        points[mesh_name] = trimesh.sample.sample_surface(mesh, 800, seed=5)[0]
    worst = 0.0
    for q in robot.random_configurations(30, 1):
        qp = np.zeros(model.nq)
        qp[:7] = q
        pin.framesForwardKinematics(model, data, qp)
        spheres = robot.collision_spheres(q, 0.08)
        for mesh_name, frame in links.items():
            M = data.oMf[model.getFrameId(frame)]
            world = points[mesh_name] @ M.rotation.T + M.translation
            inside = np.linalg.norm(world[:, None] - spheres[None, :, :3], axis=-1) - spheres[None, :, 3]
            worst = max(worst, float(inside.min(axis=1).max()))
    assert worst <= 1e-9, f"a collision-mesh point lies {worst * 1000:.2f} mm outside every sphere"


def test_fingers_follow_width_and_bad_width() -> None:
    q = robot.random_configurations(1, 2)[0]
    bodies = robot.sphere_bodies()
    open_, closed = robot.collision_spheres(q, 0.08), robot.collision_spheres(q, 0.0)
    left, right = bodies == 8, bodies == 9
    gap_open = np.linalg.norm(open_[left, :3] - open_[right, :3], axis=1)
    gap_closed = np.linalg.norm(closed[left, :3] - closed[right, :3], axis=1)
    np.testing.assert_allclose(gap_open - gap_closed, 0.08, atol=1e-12)
    np.testing.assert_array_equal(open_[bodies < 8], closed[bodies < 8])
    with pytest.raises(InvalidInputError, match="width"):
        robot.collision_spheres(q, 0.2)
