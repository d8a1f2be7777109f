#pragma once
// MuJoCo simulation backend, stepped from the loop thread (one mj_step per 1 ms tick by default).
// The arm's position actuators (if the MJCF has any) are disabled; torques go to qfrc_applied:
//   torque modes:   tau_cmd, with the robot bodies' gravity compensated by MuJoCo (gravcomp),
//                   as the real robot adds g(q) itself
//   JointPosition:  K (q_c - q) + D (dq_c - dq) + C(q,dq)dq (+ gravcomp), a stand-in for
//                   Franka's internal joint impedance controller
// tau_ext reports contact forces on the robot (constraint forces of contact rows only) plus any
// disturbance set with set_external_force(); C(q,dq)dq comes from MuJoCo's bias forces.
// Gripper: the actuator `gripper_actuator` (a position servo on the finger tendon, e.g. graspvla.sim's
// "gripper" or franky-sim's "hand") is driven by a small model of the Franka Hand firmware, updated
// once per tick from the last command received through gripper_command() (a lock-free slot): Move
// ramps the width reference at `speed`; Grasp ramps it too but never asks for more than `force` per
// finger, so once the fingers are blocked it squeezes with that force (up to the actuator limits).
// The width is the sum of the two finger joints.
// Only compiled when MuJoCo's C library was found (GRASPVLA_HAS_MUJOCO).
#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "graspvla/control/exchange.hpp"
#include "graspvla/control/robot_io.hpp"

struct mjModel_;
struct mjData_;

namespace graspvla::control {

struct SimConfig {
  std::string model;            ///< MJCF/MJB file path, or an MJCF XML string (starts with '<')
  std::string asset_dir;        ///< for XML strings: directory that relative mesh paths resolve against
  std::array<std::string, 7> joint_names{};  ///< empty: the first 7 hinge joints of the model
  std::string force_body = "hand";  ///< body that set_external_force() pushes (falls back to the 7th link)
  double timestep = 0.001;      ///< s per tick (the model's timestep is replaced)
  int substeps = 1;             ///< mj_step calls per tick (timestep / substeps each)
  std::string keyframe = "home";  ///< initial keyframe if present (else qpos0), before q0
  bool has_q0 = false;
  Vector7 q0 = Vector7::Zero();
  Vector7 internal_stiffness = (Vector7() << 3000, 3000, 3000, 2500, 2500, 2000, 2000).finished();
  Vector7 internal_damping = (Vector7() << 60, 60, 60, 50, 30, 25, 15).finished();
  /// Gripper actuator (a fixed-gain, affine-bias servo on a tendon over the finger joints); when
  /// absent, "hand" is tried; when neither exists the backend has no gripper.
  std::string gripper_actuator = "gripper";
  std::array<std::string, 2> finger_joints{"finger_joint1", "finger_joint2"};
};

class SimIO final : public RobotIO {
 public:
  explicit SimIO(const SimConfig& cfg);  // throws InvalidArgument when the model cannot be loaded
  /// Steps an existing model/data pair it does not own (e.g. the MuJoCo Python bindings' MjModel /
  /// MjData of an evaluation scene, which then renders what the loop simulates). The model is
  /// modified as for an owned one (timestep, arm actuators off, robot gravity compensation); the
  /// data keeps its state (cfg.model, keyframe and q0 are ignored). Both must outlive this object.
  SimIO(mjModel_* model, mjData_* data, const SimConfig& cfg);
  ~SimIO() override;
  bool start(ControlMode mode) override;
  Status read(RobotState& state, double& dt) noexcept override;
  Status write(const Command& cmd) noexcept override;
  void stop() noexcept override {}
  std::string name() const override { return "mujoco"; }
  bool has_gripper() const noexcept override { return grip_act_ >= 0; }
  Status gripper_command(const GripperCommand& cmd) noexcept override;

  /// Constant force (N, base/world frame) on force_body's origin from now on; zero to clear.
  /// Safe to call from any thread.
  void set_external_force(double fx, double fy, double fz) noexcept;
  /// Joint positions of the whole model (nq values); not for the hot path.
  int nq() const noexcept;
  void qpos(double* out) const noexcept;
  double sim_time() const noexcept;
  /// mj_version() of the MuJoCo library this backend is linked against.
  static int mujoco_version() noexcept;
  /// Sets the arm configuration (rad) with zero velocity (only before start / between runs).
  void set_arm_configuration(const Vector7& q) noexcept;

 private:
  void init();
  void gripper_tick() noexcept;
  double gripper_width() const noexcept;

  SimConfig cfg_;
  mjModel_* m_ = nullptr;
  mjData_* d_ = nullptr;
  bool owned_ = true;
  std::array<int, 7> qadr_{}, vadr_{};
  int force_body_ = -1;
  ControlMode mode_ = ControlMode::JointImpedance;
  Vector7 coriolis_ = Vector7::Zero(), tau_contact_ = Vector7::Zero();
  double last_time_ = 0.0;
  std::atomic<double> fx_{0.0}, fy_{0.0}, fz_{0.0};
  double* qfrc_tmp_ = nullptr;  // nv, allocated at construction

  // gripper model (see the file comment); grip_cmds_ is written by gripper_command(), read in write()
  int grip_act_ = -1;
  std::array<int, 2> finger_qadr_{}, finger_vadr_{};
  double grip_moment_ = 0.5;  // d(actuator length) / d(finger joint)
  TripleBuffer<GripperCommand> grip_cmds_;
  GripperCommand grip_cmd_{};
  bool grip_active_ = false, grip_busy_ = false, grip_grasped_ = false;
  double grip_ref_ = 0.0, grip_elapsed_ = 0.0, grip_timeout_ = 0.0;
  int grip_still_ = 0;
  std::uint64_t grip_seq_ = 0;
};

}  // namespace graspvla::control
