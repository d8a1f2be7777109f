#pragma once
// MuJoCo simulation backend, stepped from the loop thread (one mj_step per 1 ms tick by default).
// The arm's position actuators (if the MJCF has any) are disabled; torques go to qfrc_applied:
//   torque modes:   tau_cmd, with the robot bodies' gravity compensated by MuJoCo (gravcomp),
//                   as the real robot adds g(q) itself
//   JointPosition:  K (q_c - q) + D (dq_c - dq) + C(q,dq)dq (+ gravcomp), a stand-in for
//                   Franka's internal joint impedance controller
// tau_ext reports contact forces on the robot (constraint forces of contact rows only) plus any
// disturbance set with set_external_force(); C(q,dq)dq comes from MuJoCo's bias forces.
// Only compiled when MuJoCo's C library was found (GRASPVLA_HAS_MUJOCO).
#include <array>
#include <atomic>
#include <memory>
#include <string>

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
};

class SimIO final : public RobotIO {
 public:
  explicit SimIO(const SimConfig& cfg);  // throws InvalidArgument when the model cannot be loaded
  ~SimIO() override;
  bool start(ControlMode mode) override;
  Status read(RobotState& state, double& dt) noexcept override;
  Status write(const Command& cmd) noexcept override;
  void stop() noexcept override {}
  std::string name() const override { return "mujoco"; }

  /// Constant force (N, base/world frame) on force_body's origin from now on; zero to clear.
  /// Safe to call from any thread.
  void set_external_force(double fx, double fy, double fz) noexcept;
  /// Joint positions of the whole model (nq values); not for the hot path.
  int nq() const noexcept;
  void qpos(double* out) const noexcept;
  double sim_time() const noexcept;
  /// Sets the arm configuration (rad) with zero velocity (only before start / between runs).
  void set_arm_configuration(const Vector7& q) noexcept;

 private:
  SimConfig cfg_;
  mjModel_* m_ = nullptr;
  mjData_* d_ = nullptr;
  std::array<int, 7> qadr_{}, vadr_{};
  int force_body_ = -1;
  ControlMode mode_ = ControlMode::JointImpedance;
  Vector7 coriolis_ = Vector7::Zero(), tau_contact_ = Vector7::Zero();
  double last_time_ = 0.0;
  std::atomic<double> fx_{0.0}, fy_{0.0}, fz_{0.0};
  double* qfrc_tmp_ = nullptr;  // nv, allocated at construction
};

}  // namespace graspvla::control
