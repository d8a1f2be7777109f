"""
Collision world: obstacles and the Franka sphere model
"""
from __future__ import annotations
import graspvla._core.robot
import numpy
import numpy.typing
import typing
__all__: list[str] = ['CollisionWorld', 'ShapeType']
class ShapeType:
    """
    Members:
    
      BOX
    
      SPHERE
    
      CAPSULE
    
      CYLINDER
    
      MESH
    
      POINT_CLOUD
    """
    BOX: typing.ClassVar[ShapeType]
    CAPSULE: typing.ClassVar[ShapeType]
    CYLINDER: typing.ClassVar[ShapeType]
    MESH: typing.ClassVar[ShapeType]
    POINT_CLOUD: typing.ClassVar[ShapeType]
    SPHERE: typing.ClassVar[ShapeType]
    __members__: typing.ClassVar[dict[str, ShapeType]]
    @typing.overload
    def __eq__(self, other: ShapeType) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: ShapeType) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class CollisionWorld:
    """
    Obstacles in the robot base frame plus the arm's sphere model. Units: metres, radians.
    """
    check_self: bool
    def __init__(self, model: graspvla._core.robot.RobotModel) -> None:
        ...
    def add_box(self, half_extents: typing.Any, pose: typing.Any) -> int:
        ...
    def add_capsule(self, radius: typing.SupportsFloat | typing.SupportsIndex, half_length: typing.SupportsFloat | typing.SupportsIndex, pose: typing.Any) -> int:
        ...
    def add_cylinder(self, radius: typing.SupportsFloat | typing.SupportsIndex, half_length: typing.SupportsFloat | typing.SupportsIndex, pose: typing.Any) -> int:
        ...
    def add_mesh(self, vertices: typing.Any, faces: typing.Any, pose: typing.Any) -> int:
        """
        Triangle surface (vertices (N,3) float64 in the object frame, faces (M,3) int). Zero-area faces are dropped; a mesh with no valid face raises InvalidMeshError.
        """
    def add_point_cloud(self, points: typing.Any, radius: typing.SupportsFloat | typing.SupportsIndex, pose: typing.Any) -> int:
        ...
    def add_sphere(self, radius: typing.SupportsFloat | typing.SupportsIndex, pose: typing.Any) -> int:
        ...
    def attach(self, spheres: typing.Any) -> None:
        """
        Attach spheres (K,4) [x, y, z, r] given in the hand frame; they move with the hand.
        """
    def clear(self) -> None:
        ...
    def detach(self) -> None:
        ...
    def distance(self, q: typing.Any, ignore: typing.SupportsInt | typing.SupportsIndex = -1) -> float:
        ...
    def distance_batch(self, q: typing.Any, ignore: typing.SupportsInt | typing.SupportsIndex = -1, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
        ...
    def in_collision(self, q: typing.Any, ignore: typing.SupportsInt | typing.SupportsIndex = -1) -> bool:
        ...
    def in_collision_batch(self, q: typing.Any, ignore: typing.SupportsInt | typing.SupportsIndex = -1, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.bool]:
        ...
    def object_distance(self, object_id: typing.SupportsInt | typing.SupportsIndex, points: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        Signed distance (m) from base-frame points to one object's surface.
        """
    def object_pose(self, object_id: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[4, 4]"]:
        ...
    def remove(self, object_id: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def robot_spheres(self, q: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        Robot spheres (S,4) [x, y, z, r] in the base frame at q, current gripper_width.
        """
    def segment_free(self, q0: typing.Any, q1: typing.Any, resolution: typing.SupportsFloat | typing.SupportsIndex, ignore: typing.SupportsInt | typing.SupportsIndex = -1) -> bool:
        ...
    def set_enabled(self, object_id: typing.SupportsInt | typing.SupportsIndex, enabled: bool) -> None:
        ...
    def set_pose(self, object_id: typing.SupportsInt | typing.SupportsIndex, pose: typing.Any) -> None:
        ...
    @property
    def attached(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def gripper_width(self) -> float:
        ...
    @gripper_width.setter
    def gripper_width(self, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def margin(self) -> float:
        ...
    @margin.setter
    def margin(self, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def object_ids(self) -> list[int]:
        ...
    @property
    def self_margin(self) -> float:
        ...
    @self_margin.setter
    def self_margin(self, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
