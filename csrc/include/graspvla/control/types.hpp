#pragma once
// Plain data shared by the controller core, the loop and the robot backends.
// Units: radians, rad/s, Nm, metres, seconds; poses in the robot base frame; quaternions (w,x,y,z).
#include <Eigen/Core>
#include <array>
#include <cstdint>

#include "graspvla/robot/robot_model.hpp"

namespace graspvla::control {

using robot::kDof;
using robot::Vector7;
using Vector6 = Eigen::Matrix<double, 6, 1>;

/// What the controller sends to the backend each tick.
enum class ControlMode : int {
  JointImpedance = 0,      ///< torque command tracking joint targets
  CartesianImpedance = 1,  ///< torque command tracking end-effector pose targets (GraspVLA deployment)
  JointPosition = 2,       ///< joint position command (libfranka joint motion generator)
};

/// Why the controller stopped following targets. Every stop carries one.
enum class StopReason : int {
  None = 0,
  Requested = 1,       ///< stop() was called
  Watchdog = 2,        ///< the policy stopped sending targets
  ExternalForce = 3,   ///< external force above the threshold: retreated, then stopped
  InvalidState = 4,    ///< NaN/inf in the measured state
  StateLimit = 5,      ///< measured joint position outside the robot limits
  BackendError = 6,    ///< the RobotIO backend reported an error (e.g. libfranka reflex)
  ControllerError = 7, ///< the trajectory generator failed (should not happen)
};

inline const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::None: return "none";
    case StopReason::Requested: return "requested";
    case StopReason::Watchdog: return "watchdog: no target from the policy";
    case StopReason::ExternalForce: return "external force above threshold (retreated)";
    case StopReason::InvalidState: return "invalid (non-finite) robot state";
    case StopReason::StateLimit: return "measured joint position outside limits";
    case StopReason::BackendError: return "backend error";
    case StopReason::ControllerError: return "controller error";
  }
  return "unknown";
}

/// Measured robot state, as the backend reports it once per tick.
/// The FCI aborts a motion after 20 consecutive lost packets, so a state never stands for more
/// cycles than that; larger readings are clamped (and catching up further would be a jump).
constexpr int kMaxLostCycles = 20;

struct RobotState {
  Vector7 q = Vector7::Zero();        ///< joint positions (rad)
  Vector7 dq = Vector7::Zero();       ///< joint velocities (rad/s)
  Vector7 tau_ext = Vector7::Zero();  ///< estimated external joint torques (Nm), robot's sign convention: torque the environment applies
  Vector7 coriolis = Vector7::Zero(); ///< C(q,dq) dq (Nm), from the backend's model
  double time = 0.0;                  ///< backend time (s)
  double gripper_width = 0.0;         ///< measured opening width (m; 0 when the backend has no gripper)
  bool gripper_busy = false;          ///< the gripper is executing a command
  bool gripper_grasped = false;       ///< the last grasp ended with the width inside its epsilons
  std::uint64_t gripper_seq = 0;      ///< sequence number of the gripper command executing / last executed
  /// Control cycles since the previous state (libfranka's readOnce duration / period): > 1 when
  /// command packets were lost, and the robot extrapolated the joint position reference meanwhile.
  int cycles = 1;  ///< 1..kMaxLostCycles
  /// The joint position reference as the robot applied it (libfranka q_d / dq_d / ddq_d), including
  /// its extrapolation over lost cycles. A position command must continue from this, as libfranka's
  /// limitRate does, or the robot sees a velocity/acceleration discontinuity after a lost packet.
  bool has_commanded = false;
  Vector7 q_c = Vector7::Zero();    ///< rad
  Vector7 dq_c = Vector7::Zero();   ///< rad/s
  Vector7 ddq_c = Vector7::Zero();  ///< rad/s^2
};

/// A gripper command (Franka Hand semantics, libfranka franka::Gripper). The gripper is NOT part of
/// the 1 kHz exchange: commands go through ControlLoop::push_gripper() on the caller's thread to the
/// backend's own non-real-time channel (a MuJoCo actuator model in SimIO, a worker around
/// pylibfranka's blocking Gripper calls in the bridge); the tick only reports the gripper state.
enum class GripperAction : int {
  Move = 0,   ///< move to `width` at `speed` (no force control): opening
  Grasp = 1,  ///< close towards `width` at `speed` and squeeze with `force` once blocked
  Stop = 2,   ///< stop the current motion (hold the current width)
};
struct GripperCommand {
  std::uint64_t seq = 0;
  GripperAction action = GripperAction::Move;
  double width = 0.08;          ///< m, target opening width
  double speed = 0.1;           ///< m/s, > 0
  double force = 30.0;          ///< N, grasp force per finger (Grasp only)
  double epsilon_inner = 0.005; ///< m: a grasp succeeded if width - epsilon_inner <= w <= width + epsilon_outer
  double epsilon_outer = 0.005;
};

/// What the controller asks the backend to apply.
struct Command {
  ControlMode mode = ControlMode::JointImpedance;
  Vector7 tau = Vector7::Zero();  ///< torque modes: desired torque WITHOUT gravity (the backend adds it, as libfranka does)
  Vector7 q = Vector7::Zero();    ///< JointPosition mode: commanded joint positions (rad)
  Vector7 dq = Vector7::Zero();   ///< JointPosition mode: commanded joint velocities (rad/s)
  bool finished = false;          ///< the last command of a motion (libfranka motion_finished)
};

/// Bit flags describing a tick (Output::flags, recorded in the ring buffer).
enum Flags : std::uint32_t {
  kFlagNewTarget = 1u << 0,       ///< a target was accepted this tick
  kFlagTargetRejected = 1u << 1,  ///< a target was rejected this tick (NaN / limits / wrong kind)
  kFlagHolding = 1u << 2,         ///< watchdog hold (braking to a stop at the current motion)
  kFlagRetreating = 1u << 3,      ///< retreating after an external-force event
  kFlagStopped = 1u << 4,         ///< stopped (holding position, ignoring targets)
  kFlagTorqueRateLimited = 1u << 5,
  kFlagRateLimited = 1u << 6,     ///< limitRate changed the position command
  kFlagReplanned = 1u << 7,       ///< the trajectory generator re-planned
  kFlagOtgFallback = 1u << 8,     ///< the generator rejected the chunk point's velocity; planned to rest there
  kFlagGripperBusy = 1u << 9,     ///< the gripper is executing a command (reported by the backend)
  kFlagGripperGrasped = 1u << 10, ///< the gripper holds an object (last grasp within its epsilons)
};

/// A target or an action chunk from the policy.
///   Joint kind:     points[k] = q (7 values, rad)
///   Cartesian kind: points[k] = x, y, z (m), qw, qx, qy, qz  (TCP pose in the base frame)
/// Point k is due at stamp + (k + 1) * dt (loop time base): stamp is when the policy's observation
/// was taken, so the elapsed inference time is compensated automatically.
constexpr int kMaxChunk = 64;
enum class TargetKind : int { Joint = 0, Cartesian = 1 };
struct Target {
  std::uint64_t seq = 0;
  double stamp = 0.0;  ///< loop time (s) of the observation the chunk was computed from
  double dt = 0.1;     ///< spacing of chunk points (s), > 0
  TargetKind kind = TargetKind::Joint;
  int length = 0;      ///< number of valid points, 1..kMaxChunk
  std::array<std::array<double, 7>, kMaxChunk> points{};
};

/// One row of the recorded 1 kHz trace (all doubles so it maps onto a numpy array).
struct Record {
  double t;           ///< loop time (s)
  double q[7], dq[7]; ///< measured
  double q_d[7], dq_d[7], ddq_d[7];  ///< desired joint motion (joint modes) / joint command (position mode)
  double tau[7];      ///< commanded torque without gravity (torque modes)
  double x[3];        ///< measured TCP position (m)
  double x_d[3];      ///< desired TCP position (m)
  double f_ext;       ///< estimated external force norm at the TCP (N)
  double status;      ///< StopReason as double
  double flags;       ///< Flags as double
  double compute_us;  ///< time spent in the tick (us): read (a simulation's forward pass) + control + write; for a self-paced backend from the end of the blocking read
  double period_us;   ///< time since the previous tick started (us)
  double seq;         ///< sequence number of the target being followed
  double gripper_width;  ///< measured gripper opening width (m)
  double cycles;      ///< control cycles this tick stands for (> 1: the robot reported lost cycles)
};
constexpr int kRecordWidth = static_cast<int>(sizeof(Record) / sizeof(double));

}  // namespace graspvla::control
