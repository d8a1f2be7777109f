#pragma once
// The pure controller core: no I/O, no allocation, no Python, no exceptions. Shaped like ruckig:
// a Config fixed at construction, set_target() for new policy targets, and one update(Input,
// Output) per 1 kHz tick returning a Status.
//
// Per tick:  state check -> target/watchdog/external-force logic -> online jerk-limited
// trajectory (graspvla::trajectory::OTG) from the current desired motion towards the chunk point
// due at now + latency_compensation -> control law (joint impedance, Cartesian impedance, or joint
// position) -> libfranka-style low-pass filter and limitRate (position) / torque-rate saturation.
// Position mode after lost packets: the command continues from the robot's extrapolated reference
// and a planned correction (resync.hpp) brings it back onto the filtered desired motion.
#include <cstdint>

#include "graspvla/control/filters.hpp"
#include "graspvla/control/resync.hpp"
#include "graspvla/control/types.hpp"
#include "graspvla/robot/dynamics.hpp"
#include "graspvla/trajectory/otg.hpp"

namespace graspvla::control {

struct ControllerConfig {
  ControlMode mode = ControlMode::JointImpedance;
  double dt = 0.001;  ///< tick period (s)

  // joint impedance gains (Nm/rad, Nm s/rad); defaults from libfranka's examples
  Vector7 joint_stiffness = (Vector7() << 600, 600, 600, 600, 250, 150, 50).finished();
  Vector7 joint_damping = (Vector7() << 50, 50, 50, 50, 30, 25, 15).finished();
  // Cartesian impedance (serl_franka_controllers defaults as used by GraspVLA)
  double translational_stiffness = 2000.0;  ///< N/m
  double translational_damping = 89.0;      ///< N s/m
  double rotational_stiffness = 150.0;      ///< Nm/rad
  double rotational_damping = 7.0;          ///< Nm s/rad
  double nullspace_stiffness = 10.0;        ///< Nm/rad towards the start configuration
  double translational_error_clip = 0.01;   ///< m, per axis (serl: 1 cm)
  double rotational_error_clip = 0.05;      ///< rad, per axis
  bool coriolis_feedforward = true;         ///< add the backend's C(q,dq)dq

  // trajectory generation (fractions of the robot's joint limits; absolute Cartesian limits)
  double velocity_scale = 0.3, acceleration_scale = 0.3, jerk_scale = 0.05;
  double cartesian_velocity = 0.3, cartesian_acceleration = 1.5, cartesian_jerk = 15.0;  ///< m/s, m/s^2, m/s^3
  double rotational_velocity = 0.8, rotational_acceleration = 3.0, rotational_jerk = 30.0;  ///< rad/s...
  double latency_compensation = 0.0;  ///< s: follow the chunk point due at now + this

  // command shaping
  double cutoff_frequency = 100.0;  ///< Hz low-pass on the command (>= 1000 disables)
  bool limit_rate = true;           ///< libfranka limitRate on the command
  /// Fraction of the robot's acceleration and jerk limits the rate limiter aims at (position mode).
  /// The margin absorbs the float32 rounding of the reference the robot echoes back (q_d is a float
  /// on the wire: ~1e-7 rad, i.e. ~100 rad/s^3 of jerk at 1 kHz) and the correction after lost
  /// packets, so neither reads as a discontinuity at the robot. (0, 1].
  double rate_limit_scale = 0.9;

  // safety
  double joint_limit_margin = 0.01;  ///< rad: targets must lie this far inside the joint limits
  Eigen::Vector3d workspace_min{-0.9, -0.9, -0.05};  ///< m: Cartesian targets inside this box
  Eigen::Vector3d workspace_max{0.9, 0.9, 1.2};
  double watchdog_hold = 0.5;   ///< s after the last target's final point before holding
  double watchdog_stop = 2.0;   ///< s after the last target's final point before stopping
  double force_threshold = 15.0;  ///< N at the TCP (<= 0 disables)
  int force_debounce = 5;         ///< ticks above the threshold before reacting
  double retreat_distance = 0.05; ///< m along base +z

  // gripper command limits (Franka Hand): commands outside are rejected, the gripper keeps the last one
  double gripper_max_width = 0.08;  ///< m
  double gripper_max_speed = 0.2;   ///< m/s
  double gripper_max_force = 70.0;  ///< N (the Hand's continuous force)
};

/// Validates a gripper command against the config: Ok, InvalidInput (non-finite values, unknown
/// action, speed <= 0, negative epsilons) or LimitViolation (width outside [0, gripper_max_width],
/// speed or force above the limits, negative force). Thread-safe, allocation free.
Status check_gripper_command(const GripperCommand& c, const ControllerConfig& cfg) noexcept;

struct Input {
  RobotState state;
  double time = 0.0;  ///< loop time (s), the time base of Target::stamp
};

struct Output {
  Command command;
  Vector7 q_d = Vector7::Zero(), dq_d = Vector7::Zero(), ddq_d = Vector7::Zero();  ///< desired joint motion
  Eigen::Vector3d x = Eigen::Vector3d::Zero();    ///< measured TCP position
  Eigen::Vector3d x_d = Eigen::Vector3d::Zero();  ///< desired TCP position
  double f_ext = 0.0;                             ///< estimated external force norm (N)
  StopReason stop_reason = StopReason::None;
  std::uint32_t flags = 0;
  std::uint64_t seq = 0;  ///< target being followed
};

class Controller {
 public:
  Controller(const robot::RobotModel& model, const ControllerConfig& config) noexcept;

  /// Starts from the measured state: the desired motion is set to rest at state.q. Clears stops.
  void reset(const RobotState& state, double time) noexcept;

  /// Offers a new target. Ok: accepted (followed from the next update). InvalidInput: NaN/inf,
  /// bad length/dt/quaternion, or wrong kind for the mode. LimitViolation: joint target outside the
  /// limits (minus margin), Cartesian target outside the workspace box, or consecutive chunk points
  /// needing more than the joint/Cartesian velocity limit. A rejected target leaves the last safe
  /// one in force. While stopped, targets are ignored and Timeout is returned (reset() resumes).
  Status set_target(const Target& target, double time) noexcept;
  /// The validation part of set_target() (thread-safe: reads only the model and config).
  Status check_target(const Target& target) const noexcept;
  /// Stops for a reason detected outside the controller (e.g. a backend error).
  void fault(StopReason r) noexcept {
    if (stop_reason_ == StopReason::None) stop(r);
  }

  /// One control tick. Returns Working while following, Finished when the last point is reached,
  /// Timeout / LimitViolation / InvalidInput when stopped (see Output::stop_reason).
  Status update(const Input& in, Output& out) noexcept;

  /// Requests a stop (reason Requested): brake and hold.
  void request_stop() noexcept;

  StopReason stop_reason() const noexcept { return stop_reason_; }
  std::uint64_t rejected_targets() const noexcept { return rejected_; }
  const ControllerConfig& config() const noexcept { return cfg_; }
  const robot::RobotModel& model() const noexcept { return model_; }

 private:
  void stop(StopReason r) noexcept;
  void brake() noexcept;                       // plan to a stop from the current desired motion
  bool cart_point(const std::array<double, 7>& p, double* out6) const noexcept;
  void desired_from_otg(const Vector7& q_meas) noexcept;
  void advance_nominal(const Vector7& q_d) noexcept;  // position mode: one lost cycle's command
  void push_nominal(const Vector7& q) noexcept;
  Status control_law(const Input& in, Output& out) noexcept;

  robot::RobotModel model_;
  robot::RobotModel rate_model_;  ///< model_ with the rate limiter's scaled acceleration and jerk limits
  ControllerConfig cfg_;
  robot::Workspace ws_;
  trajectory::OTG otg_;
  trajectory::Input otg_in_{};
  trajectory::Output otg_out_{};
  int ndof_ = 7;  // 7 joint, 6 Cartesian (position + rotation vector about R_ref_; OTG DoF 7 unused)

  Target target_{};
  bool has_target_ = false;
  double target_received_ = 0.0;
  double motion_end_ = 0.0;  // last time the desired motion was still moving towards the final point
  int point_index_ = -1;
  bool holding_ = false;
  bool retreating_ = false;
  int force_count_ = 0;
  StopReason stop_reason_ = StopReason::None;
  std::uint64_t rejected_ = 0;
  std::uint32_t pending_flags_ = 0;
  bool finished_ = false;

  Eigen::Matrix3d R_ref_ = Eigen::Matrix3d::Identity();  // Cartesian: rotation-vector reference
  Vector7 q_null_ = Vector7::Zero();
  // last commands (for filters / rate limits)
  Vector7 last_tau_ = Vector7::Zero();
  Vector7 last_q_cmd_ = Vector7::Zero(), last_dq_cmd_ = Vector7::Zero(), last_ddq_cmd_ = Vector7::Zero();
  // position mode: the command without the re-synchronisation after lost packets (the low-pass
  // filter's state), and that correction
  Vector7 nom_q_ = Vector7::Zero(), nom_dq_ = Vector7::Zero(), nom_ddq_ = Vector7::Zero();
  Resync resync_;
  // desired motion (joint modes: joint space; Cartesian: TCP pose)
  Vector7 q_d_ = Vector7::Zero(), dq_d_ = Vector7::Zero(), ddq_d_ = Vector7::Zero();
  Eigen::Vector3d x_d_ = Eigen::Vector3d::Zero(), v_d_ = Eigen::Vector3d::Zero();
  Eigen::Matrix3d R_d_ = Eigen::Matrix3d::Identity();
  Eigen::Vector3d w_d_ = Eigen::Vector3d::Zero();
};

/// Rotation vector (axis * angle) of R, angle in [0, pi].
Eigen::Vector3d rotation_log(const Eigen::Matrix3d& R) noexcept;
/// Rotation matrix of a rotation vector.
Eigen::Matrix3d rotation_exp(const Eigen::Vector3d& r) noexcept;

}  // namespace graspvla::control
