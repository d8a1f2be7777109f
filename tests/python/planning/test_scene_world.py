"""The planning world built from a generated scene agrees with the scene's geometry (trimesh as oracle)."""

from __future__ import annotations

import numpy as np
import pytest

trimesh = pytest.importorskip("trimesh")
pytest.importorskip("mujoco")

from graspvla.planning import PlannerConfig, plan_grasp  # noqa: E402
from graspvla.planning.scene_world import world_from_scene  # noqa: E402
from graspvla.robot import Robot  # noqa: E402
from graspvla.scene import SceneConfig, generate_scene  # noqa: E402


@pytest.fixture(scope="module")
def scene():
    return generate_scene(SceneConfig(), seed=3)


def test_objects_and_table_in_place(scene) -> None:
    sw = world_from_scene(scene)
    assert set(sw.objects) == {o.id for o in scene.objects} and len(sw.clutter) == len(scene.distractors)
    for o in scene.objects:
        mesh = trimesh.Trimesh(o.asset.vertices, o.asset.faces, process=False)
        surf, fi = trimesh.sample.sample_surface(mesh, 300, seed=0)
        n = mesh.face_normals[fi]
        for delta in (0.004, -0.001):
            pts = (surf + delta * n) @ o.pose[:3, :3].T + o.pose[:3, 3]
            d = sw.world.object_distance(sw.objects[o.id], np.ascontiguousarray(pts))
            # oracle: a point delta off a face along its normal lies |delta| from the surface
            # (closer only where another face is nearer); meshes are surfaces: unsigned distance
            assert np.all(np.abs(d) <= abs(delta) + 1e-9)
            assert np.mean(np.abs(np.abs(d) - abs(delta)) < 1e-6) > 0.8
    top = scene.table.top_z
    c = np.array([[scene.table.centre[0], scene.table.centre[1], top + 0.01],
                  [scene.table.centre[0], scene.table.centre[1], top - 0.01]])
    np.testing.assert_allclose(sw.world.object_distance(sw.table, c), [0.01, -0.01], atol=1e-9)


def test_grasp_plan_avoids_neighbours(scene) -> None:
    from graspvla.data.pipeline import topdown_grasp

    robot = Robot("fr3", finger_extension=0.0)
    sw = world_from_scene(scene, robot)
    t = scene.target
    g = topdown_grasp(t.asset.vertices @ t.pose[:3, :3].T + t.pose[:3, 3])
    assert g is not None
    sw.world.gripper_width = min(0.08, g[1] + 0.03)
    res = plan_grasp(sw.world, scene.robot_q, g[0], PlannerConfig(seed=1), target_id=sw.objects[t.id])
    assert res.success, res.message
    q, _, _ = res.approach.sample(np.linspace(0, res.approach.duration, 400))
    # the motion to the pre-grasp clears everything; only the target may be touched on the way in
    free = sw.world.in_collision_batch(np.ascontiguousarray(q[: len(q) // 2]))
    assert not free.any()
    assert not sw.world.in_collision_batch(np.ascontiguousarray(q), ignore=sw.objects[t.id]).any()
