#pragma once
// libfranka-equivalent command shaping: first-order low-pass filter, limitRate for joint motion
// and torque commands, the FR3 position-based velocity envelope. Allocation and exception free.
#include "graspvla/control/types.hpp"

namespace graspvla::control {

constexpr double kLimitEps = 1e-3;        ///< libfranka's margin below each limit
constexpr double kMaxCutoffFrequency = 1000.0;  ///< cutoff at or above this disables the filter

/// alpha = dt / (dt + 1 / (2 pi fc)); 1 when the filter is disabled (fc >= 1000 Hz).
double lowpass_alpha(double dt, double cutoff_hz) noexcept;

/// y = alpha x + (1 - alpha) y_prev, per element.
Vector7 lowpass(double dt, const Vector7& x, const Vector7& y_prev, double cutoff_hz) noexcept;

/// Velocity bounds at q: FR3 uses the published position-based envelope
/// dq_max(q) = min(dq_max, max(0, -off + sqrt(max(0, 2 dec (q_max - q))))), mirrored below;
/// Panda uses +-dq_max. Both shrunk by kLimitEps.
void velocity_bounds(const robot::RobotModel& model, const Vector7& q, Vector7& lower, Vector7& upper) noexcept;

/// libfranka limitRate for joint velocities: saturates jerk, then acceleration, then velocity.
/// Returns the limited velocity; `last_dq`, `last_ddq` are the previous commanded velocity and
/// acceleration.
Vector7 limit_rate_velocity(const Vector7& lower_v, const Vector7& upper_v, const Vector7& max_acc,
                            const Vector7& max_jerk, const Vector7& dq_cmd, const Vector7& last_dq,
                            const Vector7& last_ddq, double dt) noexcept;

/// libfranka limitRate for joint positions: the commanded position is turned into a velocity,
/// limited as above, and integrated from the last commanded position.
Vector7 limit_rate_position(const robot::RobotModel& model, const Vector7& q_cmd, const Vector7& last_q,
                            const Vector7& last_dq, const Vector7& last_ddq, double dt) noexcept;

/// Torque-rate saturation: |tau - last| <= (dtau_max - eps) dt, then |tau| <= tau_max.
Vector7 limit_rate_torque(const robot::RobotModel& model, const Vector7& tau_cmd, const Vector7& last_tau,
                          double dt) noexcept;

}  // namespace graspvla::control
