#pragma once
// Damped-least-squares inverse kinematics with joint limits, a null-space posture term and
// seeded random restarts. Allocation free; never throws.
#include <cstdint>

#include "graspvla/robot/robot_model.hpp"

namespace graspvla::robot {

struct IkOptions {
  Frame frame = Tcp;                  ///< frame whose pose is constrained
  int max_iterations = 150;           ///< per attempt
  int restarts = 8;                   ///< extra attempts from random configurations
  double tol_position = 1e-6;         ///< m
  double tol_orientation = 1e-6;      ///< rad
  double damping = 1e-3;              ///< lambda of (J J^T + lambda^2 I)^-1
  double max_step = 0.4;              ///< largest joint step per iteration (rad, inf-norm)
  double posture_gain = 0.1;          ///< null-space pull towards q_rest (0 disables)
  bool use_rest = false;              ///< use q_rest below instead of the middle of the limits
  Vector7 q_rest = Vector7::Zero();
  double limit_margin = 1e-6;         ///< solutions stay this far inside the position limits (rad)
  std::uint64_t seed = 0;             ///< restarts are drawn from this seed: same seed, same answer
};

struct IkResult {
  Vector7 q = Vector7::Zero();
  Status status = Status::NotConverged;
  int iterations = 0;                 ///< total over all attempts
  int attempts = 0;
  double position_error = 0.0;        ///< m, at the returned q
  double orientation_error = 0.0;     ///< rad, at the returned q
  bool success() const { return status == Status::Ok; }
};

/// Solves FK(q)[options.frame] = target (base frame) starting from q_seed. Returns the best
/// configuration found; status Ok when within tolerance, NotConverged otherwise,
/// InvalidInput for non-finite input.
Status ik_dls(const RobotModel& model, const Transform& target, const Vector7& q_seed, const IkOptions& options,
              Workspace& ws, IkResult& result) noexcept;

/// Position [m] and orientation [rad] error of `frame` at q relative to target.
void pose_error(const Transform& current, const Transform& target, Eigen::Matrix<double, 6, 1>& err) noexcept;

}  // namespace graspvla::robot
