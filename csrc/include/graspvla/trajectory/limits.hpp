#pragma once
// Default limits: the Franka joint limits from graspvla::robot::RobotModel, scaled for safety.
#include <cstddef>

#include "graspvla/robot/robot_model.hpp"
#include "graspvla/trajectory/otg.hpp"

namespace graspvla::trajectory {

/// Sets velocity, acceleration and jerk limits to the robot's published joint limits times
/// `scale` in (0, 1] (the same factor on all three, like franky's relative dynamics factor),
/// and the target-position bounds to the joint limits. Works for N == 7 and dynamic inputs of
/// 7 DoF. Returns false (and changes nothing) if `scale` is outside (0, 1] or the input does
/// not have 7 DoF.
template <std::size_t N>
bool set_robot_limits(InputT<N>& in, const robot::RobotModel& model, double scale = 1.0) noexcept {
  if (!(scale > 0.0 && scale <= 1.0) || in.dof() != static_cast<std::size_t>(robot::kDof)) return false;
  const robot::JointLimits& L = model.limits;
  for (int i = 0; i < robot::kDof; ++i) {
    in.max_velocity[i] = scale * L.dq_max[i];
    in.max_acceleration[i] = scale * L.ddq_max[i];
    in.max_jerk[i] = scale * L.dddq_max[i];
    in.min_position[i] = L.q_min[i];
    in.max_position[i] = L.q_max[i];
  }
  return true;
}

}  // namespace graspvla::trajectory
