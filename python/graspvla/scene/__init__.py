"""Table-top scenes: table, floor, FR3 at a fixed base, settled objects, target, appearance.

All poses are in the robot base frame (= MuJoCo world frame; robot base at the origin, z up).
"""

from __future__ import annotations

from graspvla.scene.appearance import Appearance, AppearanceConfig, CameraSpec, LightSpec, TextureSpec
from graspvla.scene.layout import (HOME_Q, Distractor, Scene, SceneConfig, SceneObject, TableSpec, generate_scene,
                                   generate_scene_with_target)

__all__ = [
    "Appearance", "AppearanceConfig", "CameraSpec", "LightSpec", "TextureSpec", "HOME_Q", "Distractor",
    "Scene", "SceneConfig", "SceneObject", "TableSpec", "generate_scene",
    "generate_scene_with_target",
]
