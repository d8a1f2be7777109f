#include "graspvla/control/filters.hpp"

#include <algorithm>
#include <cmath>

namespace graspvla::control {

namespace {
// FR3 velocity envelope parameters (Franka docs).
constexpr double kFr3Off[7] = {0.6599, 0.2517, 0.2000, 0.3533, 0.5757, 0.4878, 0.4628};
constexpr double kFr3Dec[7] = {6.0, 2.585, 3.5, 4.0, 17.0, 5.5, 17.0};
}  // namespace

double lowpass_alpha(double dt, double cutoff_hz) noexcept {
  if (!(cutoff_hz < kMaxCutoffFrequency) || !(cutoff_hz > 0.0) || !(dt > 0.0)) return 1.0;
  const double tau = 1.0 / (2.0 * M_PI * cutoff_hz);
  return dt / (dt + tau);
}

Vector7 lowpass(double dt, const Vector7& x, const Vector7& y_prev, double cutoff_hz) noexcept {
  const double a = lowpass_alpha(dt, cutoff_hz);
  if (a >= 1.0) return x;
  return a * x + (1.0 - a) * y_prev;
}

void velocity_bounds(const robot::RobotModel& model, const Vector7& q, Vector7& lower, Vector7& upper) noexcept {
  const auto& L = model.limits;
  for (int i = 0; i < kDof; ++i) {
    const double vmax = L.dq_max[i] - kLimitEps;
    if (model.type == robot::RobotType::FR3) {
      const double up = -kFr3Off[i] + std::sqrt(std::max(0.0, 2.0 * kFr3Dec[i] * (L.q_max[i] - q[i])));
      const double lo = -kFr3Off[i] + std::sqrt(std::max(0.0, 2.0 * kFr3Dec[i] * (q[i] - L.q_min[i])));
      upper[i] = std::min(vmax, std::max(0.0, up));
      lower[i] = -std::min(vmax, std::max(0.0, lo));
    } else {
      upper[i] = vmax;
      lower[i] = -vmax;
    }
  }
}

Vector7 limit_rate_velocity(const Vector7& lower_v, const Vector7& upper_v, const Vector7& max_acc,
                            const Vector7& max_jerk, const Vector7& dq_cmd, const Vector7& last_dq,
                            const Vector7& last_ddq, double dt) noexcept {
  Vector7 out;
  for (int i = 0; i < kDof; ++i) {
    const double jmax = max_jerk[i] - kLimitEps;
    const double amax = max_acc[i] - kLimitEps;
    const double ddq = (dq_cmd[i] - last_dq[i]) / dt;
    const double jerk = std::clamp((ddq - last_ddq[i]) / dt, -jmax, jmax);
    const double ddq_l = std::clamp(last_ddq[i] + jerk * dt, -amax, amax);
    out[i] = std::clamp(last_dq[i] + ddq_l * dt, lower_v[i], upper_v[i]);
  }
  return out;
}

Vector7 limit_rate_position(const robot::RobotModel& model, const Vector7& q_cmd, const Vector7& last_q,
                            const Vector7& last_dq, const Vector7& last_ddq, double dt) noexcept {
  Vector7 lo, up;
  velocity_bounds(model, last_q, lo, up);
  const Vector7 dq_cmd = (q_cmd - last_q) / dt;
  const Vector7 dq = limit_rate_velocity(lo, up, model.limits.ddq_max, model.limits.dddq_max, dq_cmd, last_dq,
                                         last_ddq, dt);
  return last_q + dq * dt;
}

Vector7 limit_rate_torque(const robot::RobotModel& model, const Vector7& tau_cmd, const Vector7& last_tau,
                          double dt) noexcept {
  Vector7 out;
  for (int i = 0; i < kDof; ++i) {
    const double step = (model.limits.dtau_max[i] - kLimitEps) * dt;
    const double t = std::clamp(tau_cmd[i], last_tau[i] - step, last_tau[i] + step);
    out[i] = std::clamp(t, -model.limits.tau_max[i], model.limits.tau_max[i]);
  }
  return out;
}

}  // namespace graspvla::control
