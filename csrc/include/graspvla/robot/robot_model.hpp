#pragma once
// The Franka arm (Panda / FER and FR3) as a const kinematic + dynamic model, and the
// preallocated Workspace that hot functions write into.
//
// Frames (all poses in the robot `base` frame = link0, metres / radians):
//   Link1..Link7 : Craig (modified) DH frames, identical to the URDF link frames
//   Flange       : link8, 0.107 m along link7's z
//   Hand         : flange rotated -pi/4 about z (the Franka hand's mounting)
//   Tcp          : hand + (0.1034 + finger_extension) m along z, between the fingertips
#include <Eigen/Core>
#include <Eigen/Geometry>
#include <array>
#include <cmath>
#include <string>

#include "graspvla/core/status.hpp"

namespace graspvla::robot {

constexpr int kDof = 7;
using Vector7 = Eigen::Matrix<double, kDof, 1>;
using Jacobian = Eigen::Matrix<double, 6, kDof>;  ///< rows: [linear v (3); angular w (3)], base frame
using Transform = Eigen::Isometry3d;

enum Frame : int { Link1 = 0, Link2, Link3, Link4, Link5, Link6, Link7, Flange, Hand, Tcp, kNumFrames };

enum class RobotType : int { Panda = 0, FR3 = 1 };

/// Craig / modified DH: T = RotX(alpha) * TransX(a) * RotZ(q) * TransZ(d).
struct DHParam {
  double a, d, alpha;
};

/// Per-joint limits from Franka's published tables (rad, rad/s, rad/s^2, rad/s^3, Nm, Nm/s).
struct JointLimits {
  Vector7 q_min, q_max, dq_max, ddq_max, dddq_max, tau_max, dtau_max;
};

/// Rigid-body inertial parameters of one link, expressed in that link's frame.
struct LinkInertia {
  double mass = 0.0;
  Eigen::Vector3d com = Eigen::Vector3d::Zero();      ///< centre of mass (m), link frame
  Eigen::Matrix3d inertia = Eigen::Matrix3d::Zero();  ///< about the COM (kg m^2), link frame axes
};

struct RobotModel {
  RobotType type = RobotType::Panda;
  std::array<DHParam, kDof> dh{};
  double flange_offset = 0.107;       ///< link7 -> flange along z (m)
  double hand_yaw = -0.7853981633974483;  ///< flange -> hand rotation about z (rad)
  double tcp_offset = 0.1034;         ///< hand -> TCP along z (m), includes finger_extension
  double finger_extension = 0.0;      ///< extra finger length (m); GraspVLA used 0.02-0.03
  double gripper_max_width = 0.08;    ///< m
  JointLimits limits{};
  std::array<LinkInertia, kDof> links{};  ///< link1..link7 inertials (Panda: hand lumped into link7; FR3: arm only, see add_load)
  Eigen::Vector3d gravity{0.0, 0.0, -9.81};

  /// Franka Emika Panda (FER) with the Franka hand.
  static RobotModel panda(double finger_extension = 0.0);
  /// Franka Research 3 with the Franka hand.
  static RobotModel fr3(double finger_extension = 0.0);
  std::string name() const { return type == RobotType::Panda ? "panda" : "fr3"; }
};

/// Scratch memory for one thread. Allocate once; reuse for every call.
struct Workspace {
  std::array<Transform, kNumFrames> frames;  ///< written by forward_kinematics()
  Vector7 q = Vector7::Zero();               ///< configuration the frames belong to
};

// ---- kinematics (noexcept, allocation free) ---------------------------------------------
/// Fills ws.frames with every frame's pose in the base frame.
void forward_kinematics(const RobotModel& model, const Vector7& q, Workspace& ws) noexcept;

/// Geometric Jacobian of `frame`'s origin in the base frame, using ws.frames from a prior
/// forward_kinematics() call at the same q. Columns beyond the frame's parent joint are zero.
void frame_jacobian(const RobotModel& model, const Workspace& ws, Frame frame, Jacobian& J) noexcept;

/// True when every q_i lies in [q_min_i, q_max_i] (no tolerance) and is finite.
bool within_limits(const RobotModel& model, const Vector7& q) noexcept;

/// cos/sin of a DH twist angle: exact for the 0 and +-pi/2 twists of the Franka table (no libm
/// call on the hot path), std::cos/std::sin otherwise.
inline void dh_twist_trig(double alpha, double& c, double& s) noexcept {
  constexpr double kHalfPi = 1.5707963267948966;
  if (alpha == 0.0) {
    c = 1.0, s = 0.0;
  } else if (alpha == kHalfPi) {
    c = 0.0, s = 1.0;
  } else if (alpha == -kHalfPi) {
    c = 0.0, s = -1.0;
  } else {
    c = std::cos(alpha), s = std::sin(alpha);
  }
}

/// Parent joint index (0-based) of a frame: Link1 -> 0 ... Link7/Flange/Hand/Tcp -> 6.
inline int frame_parent_joint(Frame f) noexcept { return f < Link7 ? static_cast<int>(f) : kDof - 1; }

}  // namespace graspvla::robot
