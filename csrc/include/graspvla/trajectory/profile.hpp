#pragma once
// One degree of freedom moving under velocity, acceleration and jerk limits: a piecewise
// constant-jerk profile of at most 7 segments, from any (p, v, a) to a target (p, v) at rest
// acceleration. Allocation free; returns Status, never throws.
#include <array>

#include "graspvla/core/status.hpp"

namespace graspvla::trajectory {

struct Profile {
  static constexpr int kSegments = 7;
  std::array<double, kSegments> t{};  ///< segment durations (s)
  std::array<double, kSegments> j{};  ///< constant jerk per segment (units/s^3)
  double p0 = 0, v0 = 0, a0 = 0;      ///< start state
  double duration = 0;                ///< sum of t (s)

  /// State at time t (clamped to [0, duration]; beyond the end it extrapolates at constant
  /// final velocity, i.e. the target state moving on).
  void at(double time, double& p, double& v, double& a) const noexcept;
};

/// Limits of one DoF (all > 0).
struct DofLimits {
  double v, a, j;
};

/// Time-optimal profile (within the peak-velocity family: accelerate to a peak velocity with
/// zero acceleration, cruise, change to the target velocity). Needs |a0| <= a (+1e-9).
Status min_time_profile(double p0, double v0, double a0, double pf, double vf, const DofLimits& lim,
                        Profile& out) noexcept;

/// A profile of exactly `duration` (>= the minimum time) for time synchronisation.
Status fixed_time_profile(double p0, double v0, double a0, double pf, double vf, const DofLimits& lim,
                          double duration, Profile& out) noexcept;

}  // namespace graspvla::trajectory
