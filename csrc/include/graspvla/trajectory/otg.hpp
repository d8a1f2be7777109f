#pragma once
// Online trajectory generation for N DoF (N <= kMaxDof), shaped like ruckig: an Input and an
// Output struct, one update() per control cycle. All DoF start together and finish together
// (time synchronisation); every DoF respects its velocity, acceleration and jerk limits.
// Allocation free and exception free: call it from a 1 kHz real-time thread.
#include <array>
#include <cstddef>

#include "graspvla/core/status.hpp"
#include "graspvla/trajectory/profile.hpp"

namespace graspvla::trajectory {

constexpr int kMaxDof = 16;
using DofArray = std::array<double, kMaxDof>;

struct Input {
  int dof = 7;
  DofArray current_position{}, current_velocity{}, current_acceleration{};
  DofArray target_position{}, target_velocity{};  ///< the target acceleration is zero
  DofArray max_velocity{}, max_acceleration{}, max_jerk{};
  double min_duration = 0.0;  ///< stretch the motion to at least this long (s)
};

/// A synchronised multi-DoF trajectory.
struct Trajectory {
  int dof = 0;
  double duration = 0.0;
  std::array<Profile, kMaxDof> profiles{};
  /// Position, velocity and acceleration of every DoF at time t (s), into caller arrays.
  void at(double t, double* p, double* v, double* a) const noexcept;
};

/// Computes the time-synchronised trajectory: duration = the slowest DoF's minimum time.
Status calculate(const Input& in, Trajectory& out) noexcept;

/// Checks an input: finite values, positive limits, |a0| <= a_max, |v_target| <= v_max.
Status validate(const Input& in) noexcept;

struct Output {
  DofArray new_position{}, new_velocity{}, new_acceleration{};
  double time = 0.0;            ///< time since the last calculation (s)
  double duration = 0.0;        ///< duration of the current trajectory (s)
  bool new_calculation = false; ///< this update re-planned
};

/// The online generator. Each update() advances by `dt`; when the input differs from the one
/// of the last calculation, it re-plans from the input's current state.
class OTG {
 public:
  explicit OTG(double dt = 0.001) noexcept : dt_(dt) {}
  Status update(const Input& in, Output& out) noexcept;
  /// Copy the output's new state into the input's current state (the usual loop step).
  static void pass_to_input(const Output& out, Input& in) noexcept;
  double dt() const noexcept { return dt_; }
  void reset() noexcept { has_trajectory_ = false; }
  /// The trajectory being followed (valid after a successful update()).
  const Trajectory& trajectory() const noexcept { return trajectory_; }

 private:
  bool same_target(const Input& in) const noexcept;
  double dt_;
  Input last_{};
  Trajectory trajectory_{};
  double time_ = 0.0;
  bool has_trajectory_ = false;
};

}  // namespace graspvla::trajectory
