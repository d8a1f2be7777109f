"""Grasp synthesis for the Franka hand and physics validation in MuJoCo.

Stage 3 of the data flow (assets -> scene -> **grasp** -> planning -> ...)::

    from graspvla.grasp import SceneCollision, synthesize, validate_grasps
    grasps = synthesize(asset.vertices, asset.faces, seed=0,
                        scene_collision=SceneCollision.from_scene(scene))   # best first
    outcomes = validate_grasps(asset, grasps[:5], object_pose=target.pose)  # lift + shake
    good = [g for g, o in zip(grasps, outcomes) if o.success]

Poses are 4x4 TCP poses (z = approach, y = finger closing axis): ``Grasp.pose`` in the object
frame, ``Grasp.pose_world`` in the world (= robot base) frame. Metres, radians, newtons.
"""

from __future__ import annotations

from graspvla.grasp.synthesis import (
    QUALITY_NAMES, Grasp, HandConfig, Mesh, SceneCollision, SynthesisConfig, SynthesisResult, antipodal_test,
    ferrari_canny_epsilon, prepare_mesh, synthesize, synthesize_batch, synthesize_detailed,
)
from graspvla.grasp.validation import GraspOutcome, ValidationConfig, GraspValidator, validate_grasps

__all__ = [
    "QUALITY_NAMES", "Grasp", "HandConfig", "Mesh", "SceneCollision", "SynthesisConfig", "SynthesisResult",
    "antipodal_test", "ferrari_canny_epsilon", "prepare_mesh", "synthesize", "synthesize_batch",
    "synthesize_detailed", "GraspOutcome", "ValidationConfig", "GraspValidator", "validate_grasps",
]
