#pragma once
// Re-synchronisation after lost command packets (joint position mode). For a lost cycle the robot
// extrapolates its reference with the acceleration frozen, while the command the controller would
// have sent kept the planned jerk; the two part by (dp, dv, da). Continuing from the reference and
// letting limitRate pull the command back is greedy: it overshoots and rings for ~10 cycles at up to
// the acceleration limit. Here the departure is planned away instead: a jerk-limited trajectory from
// (dp, dv, da) to rest at zero, added to the nominal command, so the stream continues from where the
// robot is and rejoins the plan with the plan's own jerk (more only if that would take longer than
// a set horizon). Allocation and exception free.
#include "graspvla/control/types.hpp"
#include "graspvla/trajectory/otg.hpp"

namespace graspvla::control {

class Resync {
 public:
  explicit Resync(double dt) noexcept;

  /// Limits of the correction (each > 0), raised per joint at start() to admit the initial state;
  /// the jerk is raised, up to `jerk_cap`, as far as it takes to undo the departure within
  /// `horizon` s (a departure larger than the robot's extrapolation makes, e.g. a simulator that
  /// holds instead, is not dragged out).
  void set_limits(const Vector7& max_velocity, const Vector7& max_acceleration, const Vector7& max_jerk,
                  const Vector7& jerk_cap, double horizon) noexcept;

  /// Plans the correction from the departure at the last cycle: position, and velocity and
  /// acceleration as backward differences (as the robot reports them). Replaces any correction in
  /// progress. False (none active) when the departure is unusable (non-finite) or cannot be planned.
  bool start(const Vector7& dp, const Vector7& dv, const Vector7& da) noexcept;

  /// Advances and returns the correction for this cycle; zero when none is active. The cycle it
  /// ends (at zero, or held at its last value should the generator fail) active() turns false.
  Vector7 step() noexcept;

  bool active() const noexcept { return active_; }
  void clear() noexcept {
    active_ = false;
    c_.setZero();
  }

 private:
  trajectory::OTG otg_;
  trajectory::Input in_{};
  trajectory::Output out_{};
  Vector7 c_ = Vector7::Zero();  // the last correction returned
  Vector7 vmax_ = Vector7::Ones(), amax_ = Vector7::Ones(), jmax_ = Vector7::Ones(), jcap_ = Vector7::Ones();
  double dt_;
  double horizon_ = 0.02;
  bool active_ = false;
};

}  // namespace graspvla::control
