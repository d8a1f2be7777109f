#include "graspvla/control/resync.hpp"

#include <algorithm>
#include <cmath>

namespace graspvla::control {

Resync::Resync(double dt) noexcept : otg_(dt), dt_(dt) {
  // each joint corrects as fast as its own limits allow: no reason to stretch one to another
  in_.synchronization = trajectory::Synchronization::None;
}

void Resync::set_limits(const Vector7& max_velocity, const Vector7& max_acceleration, const Vector7& max_jerk,
                        const Vector7& jerk_cap, double horizon) noexcept {
  vmax_ = max_velocity;
  amax_ = max_acceleration;
  jmax_ = max_jerk;
  jcap_ = jerk_cap.cwiseMax(max_jerk);
  horizon_ = horizon > 0.0 ? horizon : 0.02;
}

bool Resync::start(const Vector7& dp, const Vector7& dv, const Vector7& da) noexcept {
  active_ = false;
  if (!dp.allFinite() || !dv.allFinite() || !da.allFinite()) return false;
  for (int i = 0; i < kDof; ++i) {
    // the generator's velocity at the last cycle: a backward difference lags it by half a cycle
    const double v = dv[i] + 0.5 * dt_ * da[i];
    const double a = da[i];
    // admit the initial state: it is what the robot already does, so no limit is broken by it
    const double A = std::max(amax_[i], std::abs(a));
    // jerk to undo each part alone within the horizon T: jerk pulses of +-J move J T^3 / 32 from rest
    // to rest, change the velocity by J T^2 / 4, the acceleration by J T / 2. Their sum, at least
    // the configured jerk (the robot's own extrapolation leaves less than that needs), at most the cap.
    const double T = horizon_;
    const double need = 32.0 * std::abs(dp[i]) / (T * T * T) + 4.0 * std::abs(v) / (T * T) + 2.0 * std::abs(a) / T;
    const double J = std::clamp(need, jmax_[i], jcap_[i]);
    in_.current_position[i] = dp[i];
    in_.current_velocity[i] = v;
    in_.current_acceleration[i] = a;
    in_.target_position[i] = in_.target_velocity[i] = in_.target_acceleration[i] = 0.0;
    in_.max_velocity[i] = std::max(vmax_[i], std::abs(v) + a * a / (2.0 * J));
    in_.max_acceleration[i] = A;
    in_.max_jerk[i] = J;
  }
  in_.min_duration = 0.0;
  otg_.reset();
  c_ = dp;
  active_ = trajectory::validate(in_) == Status::Ok;
  return active_;
}

Vector7 Resync::step() noexcept {
  if (!active_) return Vector7::Zero();
  const Status s = otg_.update(in_, out_);
  if (static_cast<int>(s) < 0) {
    // not expected: hold the last value once; the caller's filter continues from the command after
    active_ = false;
    return c_;
  }
  out_.pass_to_input(in_);
  for (int i = 0; i < kDof; ++i) c_[i] = out_.new_position[i];
  if (s == Status::Finished) active_ = false;  // at rest at zero: this cycle's value is the last
  return c_;
}

}  // namespace graspvla::control
