#include "graspvla/trajectory/otg.hpp"

#include <algorithm>
#include <cmath>

namespace graspvla::trajectory {

void Trajectory::at(double t, double* p, double* v, double* a) const noexcept {
  for (int i = 0; i < dof; ++i) profiles[i].at(t, p[i], v[i], a[i]);
}

Status validate(const Input& in) noexcept {
  if (in.dof <= 0 || in.dof > kMaxDof || !std::isfinite(in.min_duration) || in.min_duration < 0) {
    return Status::InvalidInput;
  }
  for (int i = 0; i < in.dof; ++i) {
    const double vals[] = {in.current_position[i], in.current_velocity[i], in.current_acceleration[i],
                           in.target_position[i], in.target_velocity[i], in.max_velocity[i],
                           in.max_acceleration[i], in.max_jerk[i]};
    for (double x : vals)
      if (!std::isfinite(x)) return Status::InvalidInput;
    if (in.max_velocity[i] <= 0 || in.max_acceleration[i] <= 0 || in.max_jerk[i] <= 0) return Status::InvalidInput;
    if (std::abs(in.target_velocity[i]) > in.max_velocity[i] * (1 + 1e-12)) return Status::LimitViolation;
    if (std::abs(in.current_acceleration[i]) > in.max_acceleration[i] * (1 + 1e-9) + 1e-12) {
      return Status::LimitViolation;
    }
  }
  return Status::Ok;
}

Status calculate(const Input& in, Trajectory& out) noexcept {
  const Status valid = validate(in);
  if (valid != Status::Ok) return valid;
  out.dof = in.dof;
  double T = in.min_duration;
  for (int i = 0; i < in.dof; ++i) {
    const DofLimits L{in.max_velocity[i], in.max_acceleration[i], in.max_jerk[i]};
    const Status s = min_time_profile(in.current_position[i], in.current_velocity[i], in.current_acceleration[i],
                                      in.target_position[i], in.target_velocity[i], L, out.profiles[i]);
    if (s != Status::Ok) return s;
    T = std::max(T, out.profiles[i].duration);
  }
  for (int i = 0; i < in.dof; ++i) {
    if (out.profiles[i].duration >= T - 1e-12) continue;
    const DofLimits L{in.max_velocity[i], in.max_acceleration[i], in.max_jerk[i]};
    const Status s = fixed_time_profile(in.current_position[i], in.current_velocity[i], in.current_acceleration[i],
                                        in.target_position[i], in.target_velocity[i], L, T, out.profiles[i]);
    if (s != Status::Ok) return s;
  }
  out.duration = T;
  return Status::Ok;
}

bool OTG::same_target(const Input& in) const noexcept {
  if (in.dof != last_.dof || in.min_duration != last_.min_duration) return false;
  for (int i = 0; i < in.dof; ++i) {
    if (in.target_position[i] != last_.target_position[i] || in.target_velocity[i] != last_.target_velocity[i] ||
        in.max_velocity[i] != last_.max_velocity[i] || in.max_acceleration[i] != last_.max_acceleration[i] ||
        in.max_jerk[i] != last_.max_jerk[i]) {
      return false;
    }
  }
  return true;
}

Status OTG::update(const Input& in, Output& out) noexcept {
  out.new_calculation = false;
  if (!has_trajectory_ || !same_target(in)) {
    const Status s = calculate(in, trajectory_);
    if (s != Status::Ok) {
      has_trajectory_ = false;
      return s;
    }
    last_ = in;
    has_trajectory_ = true;
    time_ = 0.0;
    out.new_calculation = true;
  }
  time_ += dt_;
  out.time = time_;
  out.duration = trajectory_.duration;
  trajectory_.at(time_, out.new_position.data(), out.new_velocity.data(), out.new_acceleration.data());
  return time_ >= trajectory_.duration ? Status::Finished : Status::Working;
}

void OTG::pass_to_input(const Output& out, Input& in) noexcept {
  in.current_position = out.new_position;
  in.current_velocity = out.new_velocity;
  in.current_acceleration = out.new_acceleration;
}

}  // namespace graspvla::trajectory
