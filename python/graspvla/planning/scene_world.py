"""A planning collision world from a table-top :class:`graspvla.scene.Scene` (base frame, metres).

The table slab becomes a box, each graspable object its visual triangle mesh (BVH, exact
surface rather than the convex decomposition MuJoCo uses; distances to a mesh are unsigned, to
its surface), and the off-table clutter boxes and cylinders. The returned map gives each scene object's id in the world, so a planner can ignore
the target during the final approach and lift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from graspvla.robot import Robot

if TYPE_CHECKING:
    from graspvla.planning import CollisionWorld
    from graspvla.scene import Scene

__all__ = ["SceneWorld", "world_from_scene"]


@dataclass
class SceneWorld:
    """``world``: the collision world; ``objects``: scene object id -> world object id;
    ``table``: the table's world id; ``clutter``: world ids of the off-table distractors."""

    world: "CollisionWorld"
    objects: dict[int, int]
    table: int
    clutter: list[int] = field(default_factory=list)

    def update_object_poses(self, poses: dict[int, np.ndarray]) -> None:
        """Move objects to new poses (scene id -> 4x4 object-to-base), e.g. after physics ran."""
        for sid, T in poses.items():
            self.world.set_pose(self.objects[sid], np.ascontiguousarray(T, dtype=np.float64))


def _pose(pos: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    T = np.eye(4)
    T[:3, 3] = pos
    return T


def world_from_scene(scene: "Scene", robot: Robot | str = "fr3") -> SceneWorld:
    """Builds the collision world of ``scene`` for ``robot`` (a Robot or a model name)."""
    from graspvla.planning import make_world

    world = make_world(robot)
    t = scene.table
    table = world.add_box(np.array([t.size[0] / 2, t.size[1] / 2, t.thickness / 2]),
                          _pose((t.centre[0], t.centre[1], t.top_z - t.thickness / 2)))
    objects = {}
    for o in scene.objects:
        objects[o.id] = world.add_mesh(np.ascontiguousarray(o.asset.vertices, dtype=np.float64),
                                       np.ascontiguousarray(o.asset.faces, dtype=np.int32),
                                       np.ascontiguousarray(o.pose, dtype=np.float64))
    clutter = []
    for d in scene.distractors:
        if d.kind == "cylinder":
            # MuJoCo cylinder size: (radius, half-height, unused), as the simulator renders it
            clutter.append(world.add_cylinder(float(d.size[0]), float(d.size[1]), _pose(d.pos)))
        else:
            clutter.append(world.add_box(np.asarray(d.size, dtype=np.float64), _pose(d.pos)))
    return SceneWorld(world, objects, table, clutter)
