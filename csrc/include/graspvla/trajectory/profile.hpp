#pragma once
// One degree of freedom moving under symmetric velocity, acceleration and jerk limits: a
// piecewise constant-jerk profile of 7 segments,
//   [0-2] change from (v0, a0) to a peak velocity vp with zero acceleration (ramp, hold, ramp),
//   [3]   cruise at vp,
//   [4-6] change from (vp, 0) to the target (vf, af) (ramp, hold, ramp),
// where each change is the time-optimal two-ramp acceleration profile; or, when faster, a
// single ramp [0] to some acceleration followed by a change [4-6] (profiles whose acceleration
// never passes through zero). Allocation free;
// returns Status, never throws.
#include <array>

#include "graspvla/core/status.hpp"

namespace graspvla::trajectory {

struct Profile {
  static constexpr int kSegments = 7;
  std::array<double, kSegments> t{};  ///< segment durations (s)
  std::array<double, kSegments> j{};  ///< constant jerk per segment (units/s^3)
  /// Start time and state of every segment; index kSegments is the end state.
  std::array<double, kSegments + 1> tb{}, pb{}, vb{}, ab{};
  double duration = 0;  ///< sum of t (s)
  /// True for the peak-velocity family (vb[3] is the peak velocity); false for a profile whose
  /// acceleration keeps one sign (a ramp then a change, used when it is faster).
  bool has_peak = true;

  /// State at `time` (s). Before 0: the start state. After the end: the final state moving on
  /// with constant acceleration.
  void at(double time, double& p, double& v, double& a) const noexcept;
  /// Jerk at `time` (0 outside [0, duration]).
  double jerk_at(double time) const noexcept {
    if (!(time >= 0.0) || time >= duration) return 0.0;
    int k = 0;
    while (k < kSegments - 1 && time >= tb[k + 1]) ++k;
    return j[k];
  }
  /// Fills tb/pb/vb/ab/duration from t, j and the start state.
  void finalize(double p0, double v0, double a0) noexcept;
};

/// Limits of one DoF (all > 0): velocity, acceleration, jerk.
struct DofLimits {
  double v, a, j;
};

/// Minimum-time profile from (p0, v0, a0) to (pf, vf, af). Needs |a0| <= a, |vf| <= v, |af| <= a.
Status min_time_profile(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& lim,
                        Profile& out) noexcept;

/// A profile of exactly `duration` (s). Status::Infeasible if `duration` is below the minimum or
/// inside a duration interval the profile family cannot realise. `min_time` (optional) is this
/// problem's min_time_profile() result, which saves recomputing it.
Status fixed_time_profile(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& lim,
                          double duration, Profile& out, const Profile* min_time = nullptr) noexcept;

/// The family's extremal profiles: the zero-cruise profile at every root of D(vp) = distance,
/// and the cruise at the velocity limit when the distance needs it; sorted by duration, at
/// most `max_count`; returns how many. A duration gap of the family ends at one of them (used
/// to step past gaps during time synchronisation).
int candidate_profiles(double p0, double v0, double a0, double pf, double vf, double af, const DofLimits& lim,
                       Profile* out, int max_count) noexcept;

}  // namespace graspvla::trajectory
