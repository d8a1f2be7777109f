"""
Franka Panda / FR3 kinematics (base frame, metres, radians)
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['DOF', 'Frame', 'NUM_BODIES', 'NUM_FRAMES', 'NUM_SPHERES', 'RobotModel', 'RobotType', 'Status', 'add_load', 'collision_spheres_batch', 'coriolis_torques', 'forward_kinematics', 'forward_kinematics_batch', 'frame_pose', 'franka_hand_load', 'gravity_torques', 'gravity_torques_batch', 'ik', 'ik_analytic', 'ik_analytic_batch', 'ik_batch', 'inverse_dynamics', 'inverse_dynamics_batch', 'jacobian', 'jacobian_batch', 'link_inertia', 'mass_matrix', 'mass_matrix_batch', 'self_collision_batch', 'self_collision_pairs', 'set_link_inertia', 'sphere_bodies', 'within_limits']
class Frame:
    """
    Members:
    
      LINK1
    
      LINK2
    
      LINK3
    
      LINK4
    
      LINK5
    
      LINK6
    
      LINK7
    
      FLANGE
    
      HAND
    
      TCP
    """
    FLANGE: typing.ClassVar[Frame]
    HAND: typing.ClassVar[Frame]
    LINK1: typing.ClassVar[Frame]
    LINK2: typing.ClassVar[Frame]
    LINK3: typing.ClassVar[Frame]
    LINK4: typing.ClassVar[Frame]
    LINK5: typing.ClassVar[Frame]
    LINK6: typing.ClassVar[Frame]
    LINK7: typing.ClassVar[Frame]
    TCP: typing.ClassVar[Frame]
    __members__: typing.ClassVar[dict[str, Frame]]
    @typing.overload
    def __eq__(self, other: Frame) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.SupportsInt | typing.SupportsIndex) -> bool:
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
    def __ne__(self, other: Frame) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.SupportsInt | typing.SupportsIndex) -> bool:
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
class RobotType:
    """
    Members:
    
      PANDA
    
      FR3
    """
    FR3: typing.ClassVar[RobotType]
    PANDA: typing.ClassVar[RobotType]
    __members__: typing.ClassVar[dict[str, RobotType]]
    @typing.overload
    def __eq__(self, other: RobotType) -> bool:
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
    def __ne__(self, other: RobotType) -> bool:
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
class RobotModel:
    @staticmethod
    def fr3(finger_extension: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> RobotModel:
        ...
    @staticmethod
    def panda(finger_extension: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> RobotModel:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def dddq_max(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"]:
        ...
    @property
    def ddq_max(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"]:
        ...
    @property
    def dq_max(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"]:
        ...
    @property
    def dtau_max(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"]:
        ...
    @property
    def finger_extension(self) -> float:
        ...
    @property
    def flange_offset(self) -> float:
        ...
    @property
    def gripper_max_width(self) -> float:
        ...
    @property
    def hand_yaw(self) -> float:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def q_max(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"]:
        ...
    @property
    def q_min(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"]:
        ...
    @property
    def tau_max(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"]:
        ...
    @property
    def tcp_offset(self) -> float:
        ...
    @property
    def type(self) -> RobotType:
        ...
class Status:
    """
    Members:
    
      OK
    
      INVALID_INPUT
    
      NOT_CONVERGED
    
      NO_SOLUTION
    """
    INVALID_INPUT: typing.ClassVar[Status]
    NOT_CONVERGED: typing.ClassVar[Status]
    NO_SOLUTION: typing.ClassVar[Status]
    OK: typing.ClassVar[Status]
    __members__: typing.ClassVar[dict[str, Status]]
    @typing.overload
    def __eq__(self, other: Status) -> bool:
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
    def __ne__(self, other: Status) -> bool:
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
def add_load(model: RobotModel, mass: typing.SupportsFloat | typing.SupportsIndex, com: typing.Any, inertia: typing.Any) -> None:
    """
    Attaches a rigid load to the flange: mass [kg], COM [m] in the flange frame, inertia about the COM [kg m^2] in flange axes (lumped into link7).
    """
def collision_spheres_batch(model: RobotModel, q: typing.Any, width: typing.SupportsFloat | typing.SupportsIndex = 0.08, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Sphere centres and radii (N, NUM_SPHERES, 4) [x, y, z, r] in the base frame [m].
    """
def coriolis_torques(model: RobotModel, q: typing.Any, dq: typing.Any) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"]:
    """
    Coriolis/centrifugal torques C(q, dq) dq (7,) [Nm].
    """
def forward_kinematics(model: RobotModel, q: typing.Any, out: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Poses of all frames (NUM_FRAMES, 4, 4) in the base frame for joint angles q (7,) [rad].
    """
def forward_kinematics_batch(model: RobotModel, q: typing.Any, frame: typing.SupportsInt | typing.SupportsIndex = -1, out: typing.Any = None, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Batched FK for q (N, 7): (N, NUM_FRAMES, 4, 4) when frame < 0, else (N, 4, 4) for that frame.
    """
def frame_pose(model: RobotModel, q: typing.Any, frame: Frame = ..., out: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Pose (4, 4) of one frame in the base frame for joint angles q (7,) [rad].
    """
def franka_hand_load() -> tuple[float, typing.Annotated[numpy.typing.NDArray[numpy.float64], "[3, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[3, 3]"]]:
    """
    The Franka Hand (fingers closed) as a flange load: (mass [kg], com (3,) [m], inertia (3, 3) [kg m^2]).
    """
def gravity_torques(model: RobotModel, q: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
    """
    Gravity torques g(q) (7,) [Nm].
    """
def gravity_torques_batch(model: RobotModel, q: typing.Any, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    ...
def ik(model: RobotModel, target: typing.Any, q_seed: typing.Any, frame: typing.SupportsInt | typing.SupportsIndex = 9, max_iterations: typing.SupportsInt | typing.SupportsIndex = 150, restarts: typing.SupportsInt | typing.SupportsIndex = 8, tol_position: typing.SupportsFloat | typing.SupportsIndex = 1e-06, tol_orientation: typing.SupportsFloat | typing.SupportsIndex = 1e-06, damping: typing.SupportsFloat | typing.SupportsIndex = 0.001, posture_gain: typing.SupportsFloat | typing.SupportsIndex = 0.1, q_rest: typing.Any = None, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[7, 1]"], Status, int, float, float]:
    """
    DLS IK: (q, status, iterations, position_error [m], orientation_error [rad]).
    """
def ik_analytic(model: RobotModel, target: typing.Any, q7: typing.SupportsFloat | typing.SupportsIndex, frame: typing.SupportsInt | typing.SupportsIndex = 9) -> numpy.typing.NDArray[numpy.float64]:
    """
    Closed-form IK with joint 7 fixed at q7: all in-limit solutions (K, 7), K <= 8 (0 if unreachable).
    """
def ik_analytic_batch(model: RobotModel, targets: typing.Any, q7: typing.Any, frame: typing.SupportsInt | typing.SupportsIndex = 9, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.int32]]:
    """
    Batched closed-form IK: targets (N, 4, 4), q7 (N,) -> (solutions (N, 8, 7) NaN-padded, counts (N,)).
    """
def ik_batch(model: RobotModel, targets: typing.Any, q_seeds: typing.Any, frame: typing.SupportsInt | typing.SupportsIndex = 9, max_iterations: typing.SupportsInt | typing.SupportsIndex = 150, restarts: typing.SupportsInt | typing.SupportsIndex = 8, tol_position: typing.SupportsFloat | typing.SupportsIndex = 1e-06, tol_orientation: typing.SupportsFloat | typing.SupportsIndex = 1e-06, damping: typing.SupportsFloat | typing.SupportsIndex = 0.001, posture_gain: typing.SupportsFloat | typing.SupportsIndex = 0.1, q_rest: typing.Any = None, seed: typing.SupportsInt | typing.SupportsIndex = 0, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.bool], numpy.typing.NDArray[numpy.float64]]:
    """
    Batched DLS IK for N poses (N, 4, 4) from seeds (N, 7): (q (N, 7), success (N,), errors (N, 2)).
    """
def inverse_dynamics(model: RobotModel, q: typing.Any, dq: typing.Any, ddq: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
    """
    RNEA: tau = M ddq + C dq + g (7,) [Nm].
    """
def inverse_dynamics_batch(model: RobotModel, q: typing.Any, dq: typing.Any, ddq: typing.Any, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Batched RNEA (N, 7) [Nm] for q, dq, ddq (N, 7).
    """
def jacobian(model: RobotModel, q: typing.Any, frame: Frame = ..., out: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Geometric Jacobian (6, 7) of a frame's origin in the base frame: rows [v; w].
    """
def jacobian_batch(model: RobotModel, q: typing.Any, frame: typing.SupportsInt | typing.SupportsIndex = 9, out: typing.Any = None, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Batched Jacobians (N, 6, 7) for q (N, 7).
    """
def link_inertia(model: RobotModel, index: typing.SupportsInt | typing.SupportsIndex) -> tuple[float, typing.Annotated[numpy.typing.NDArray[numpy.float64], "[3, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[3, 3]"]]:
    ...
def mass_matrix(model: RobotModel, q: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
    """
    Joint-space inertia matrix M(q) (7, 7) [kg m^2].
    """
def mass_matrix_batch(model: RobotModel, q: typing.Any, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Batched mass matrices (N, 7, 7) [kg m^2].
    """
def self_collision_batch(model: RobotModel, q: typing.Any, width: typing.SupportsFloat | typing.SupportsIndex = 0.08, margin: typing.SupportsFloat | typing.SupportsIndex = 0.0, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple[numpy.typing.NDArray[numpy.bool], numpy.typing.NDArray[numpy.float64]]:
    """
    Self-collision of N configurations: (in_collision (N,), min signed distance (N,) [m]).
    """
def self_collision_pairs() -> numpy.typing.NDArray[numpy.bool]:
    """
    (NUM_BODIES, NUM_BODIES) matrix of body pairs checked for self-collision.
    """
def set_link_inertia(model: RobotModel, index: typing.SupportsInt | typing.SupportsIndex, mass: typing.SupportsFloat | typing.SupportsIndex, com: typing.Any, inertia: typing.Any) -> None:
    """
    Sets link (index 0 = link1) mass [kg], COM [m] and inertia about the COM [kg m^2] in the link frame.
    """
def sphere_bodies() -> numpy.typing.NDArray[numpy.int32]:
    """
    Body index of each sphere: link1..7 = 0..6, hand = 7, left finger = 8, right finger = 9.
    """
def within_limits(model: RobotModel, q: typing.Any) -> bool:
    ...
DOF: int = 7
NUM_BODIES: int = 10
NUM_FRAMES: int = 10
NUM_SPHERES: int = 40
