"""
Antipodal grasp synthesis for the Franka hand
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['HandGeometry', 'Mesh', 'SceneObstacles', 'SynthesisOptions', 'antipodal_test', 'ferrari_canny_epsilon', 'hand_boxes', 'synthesize', 'synthesize_batch']
class Mesh:
    """
    A validated, repaired triangle mesh with a BVH (object frame, metres). Raises InvalidMeshError naming the defect when it cannot be repaired.
    """
    def __init__(self, vertices: typing.Any, faces: typing.Any, repair: bool = True, weld_tolerance: typing.SupportsFloat | typing.SupportsIndex = 1e-09, min_extent: typing.SupportsFloat | typing.SupportsIndex = 0.005, max_extent: typing.SupportsFloat | typing.SupportsIndex = 1.0, collision: typing.Any = None) -> None:
        """
        collision: optional convex pieces [(V_i, 3), (F_i, 3)] the physics collides with (their hulls); finger contacts and hand collisions then use them.
        """
    def raycast(self, origin: typing.Any, direction: typing.Any, t_max: typing.SupportsFloat | typing.SupportsIndex = 1000000000.0) -> typing.Any:
        """
        First hit (t, face index) of origin + t * direction, t in (0, t_max], or None.
        """
    @property
    def area(self) -> float:
        """
        surface area [m^2]
        """
    @property
    def centroid(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        centre of mass of the uniform solid [m]
        """
    @property
    def faces(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def has_contact_surface(self) -> bool:
        ...
    @property
    def normals(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def radius(self) -> float:
        """
        max vertex distance from the centroid [m]
        """
    @property
    def report(self) -> dict:
        ...
    @property
    def vertices(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def volume(self) -> float:
        """
        enclosed volume [m^3]
        """
class HandGeometry:
    """
    Franka hand boxes in the TCP frame (metres); see graspvla.grasp.
    """
    def __init__(self) -> None:
        ...
    @property
    def finger_half_x(self) -> float:
        ...
    @finger_half_x.setter
    def finger_half_x(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def finger_recess(self) -> float:
        ...
    @finger_recess.setter
    def finger_recess(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def finger_thickness(self) -> float:
        ...
    @finger_thickness.setter
    def finger_thickness(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def finger_z_max(self) -> float:
        ...
    @finger_z_max.setter
    def finger_z_max(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def finger_z_min(self) -> float:
        ...
    @finger_z_min.setter
    def finger_z_min(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def max_width(self) -> float:
        ...
    @max_width.setter
    def max_width(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def pad_half_x(self) -> float:
        ...
    @pad_half_x.setter
    def pad_half_x(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def pad_z_max(self) -> float:
        ...
    @pad_z_max.setter
    def pad_z_max(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def pad_z_min(self) -> float:
        ...
    @pad_z_min.setter
    def pad_z_min(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def palm_half_x(self) -> float:
        ...
    @palm_half_x.setter
    def palm_half_x(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def palm_half_y(self) -> float:
        ...
    @palm_half_y.setter
    def palm_half_y(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def palm_z_max(self) -> float:
        ...
    @palm_z_max.setter
    def palm_z_max(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def palm_z_min(self) -> float:
        ...
    @palm_z_min.setter
    def palm_z_min(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class SynthesisOptions:
    """
    Options of synthesize(); see graspvla.grasp.SynthesisConfig.
    """
    require_pad_contact: bool
    def __init__(self) -> None:
        ...
    @property
    def approach_distance(self) -> float:
        ...
    @approach_distance.setter
    def approach_distance(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def centre_of_mass(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @centre_of_mass.setter
    def centre_of_mass(self, arg1: typing.Any) -> None:
        ...
    @property
    def clearance(self) -> float:
        ...
    @clearance.setter
    def clearance(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def contact_tolerance(self) -> float:
        ...
    @contact_tolerance.setter
    def contact_tolerance(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def epsilon_ref(self) -> float:
        ...
    @epsilon_ref.setter
    def epsilon_ref(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def friction(self) -> float:
        ...
    @friction.setter
    def friction(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def grid_x(self) -> int:
        ...
    @grid_x.setter
    def grid_x(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def grid_z(self) -> int:
        ...
    @grid_z.setter
    def grid_z(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def max_grasps(self) -> int:
        ...
    @max_grasps.setter
    def max_grasps(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def min_width(self) -> float:
        ...
    @min_width.setter
    def min_width(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def nms_angle(self) -> float:
        ...
    @nms_angle.setter
    def nms_angle(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def nms_distance(self) -> float:
        ...
    @nms_distance.setter
    def nms_distance(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def num_approaches(self) -> int:
        ...
    @num_approaches.setter
    def num_approaches(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def num_samples(self) -> int:
        ...
    @num_samples.setter
    def num_samples(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def pad_grid(self) -> int:
        ...
    @pad_grid.setter
    def pad_grid(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def preferred_approach(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @preferred_approach.setter
    def preferred_approach(self, arg1: typing.Any) -> None:
        ...
    @property
    def ray_cone_fraction(self) -> float:
        ...
    @ray_cone_fraction.setter
    def ray_cone_fraction(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def table_pullback(self) -> float:
        ...
    @table_pullback.setter
    def table_pullback(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def threads(self) -> int:
        ...
    @threads.setter
    def threads(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def weight_antipodal(self) -> float:
        ...
    @weight_antipodal.setter
    def weight_antipodal(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def weight_approach(self) -> float:
        ...
    @weight_approach.setter
    def weight_approach(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def weight_com(self) -> float:
        ...
    @weight_com.setter
    def weight_com(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def weight_contact(self) -> float:
        ...
    @weight_contact.setter
    def weight_contact(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def weight_epsilon(self) -> float:
        ...
    @weight_epsilon.setter
    def weight_epsilon(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def width_margin(self) -> float:
        ...
    @width_margin.setter
    def width_margin(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class SceneObstacles:
    """
    Obstacles in the world frame around one object.
    """
    def __init__(self, object_pose: typing.Any, table_z: typing.Any = None, boxes: list = [], meshes: list = []) -> None:
        ...
    @property
    def object_pose(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
def antipodal_test(mesh: Mesh, points: typing.Any, normals: typing.Any, directions: typing.Any, friction: typing.SupportsFloat | typing.SupportsIndex, min_width: typing.SupportsFloat | typing.SupportsIndex, max_width: typing.SupportsFloat | typing.SupportsIndex) -> dict:
    """
    The bare antipodal test on given rays (object frame): first hit along each direction, width and friction-cone checks.
    """
def ferrari_canny_epsilon(points: typing.Any, forces: typing.Any, friction: typing.SupportsFloat | typing.SupportsIndex, com: typing.Any, torque_scale: typing.SupportsFloat | typing.SupportsIndex) -> float:
    """
    Ferrari-Canny epsilon (L1) of point contacts; forces = inward normal directions.
    """
def hand_boxes(hand: HandGeometry, width: typing.SupportsFloat | typing.SupportsIndex, sweep: typing.SupportsFloat | typing.SupportsIndex = 0.0, clearance: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    Centres (3,3) and half extents (3,3) of the axis-aligned hand boxes (finger +y, finger -y, palm), TCP frame.
    """
def synthesize(mesh: Mesh, hand: HandGeometry, options: SynthesisOptions, seed: typing.SupportsInt | typing.SupportsIndex, scene: SceneObstacles = None) -> dict:
    """
    Antipodal grasps of one mesh: dict of arrays (poses (K,4,4) TCP in the object frame, widths, scores, quality (K,5), contacts/normals (K,2,3), contact_cells (K,2), sample) and stats.
    """
def synthesize_batch(meshes: collections.abc.Sequence[Mesh], hand: HandGeometry, options: SynthesisOptions, seeds: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], scenes: collections.abc.Sequence[SceneObstacles] = []) -> list:
    """
    synthesize() over many meshes, parallel over objects (GIL released).
    """
