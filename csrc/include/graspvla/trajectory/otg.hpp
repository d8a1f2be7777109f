#pragma once
// Online trajectory generation (OTG), shaped like ruckig: an Input and an Output struct and one
// update() per control cycle (dt = 1 ms by default).
//
//   graspvla::trajectory::OTG otg(0.001);          // 7 DoF, fixed size (the fast path)
//   graspvla::trajectory::Input in;                // limits: set_robot_limits(in, model, 0.8)
//   graspvla::trajectory::Output out;
//   in.current_position = ...; in.target_position = ...;
//   while (otg.update(in, out) == Status::Working) { send(out.new_position); out.pass_to_input(in); }
//
// Semantics:
//  * From any current (position, velocity, acceleration) to any target (position, velocity,
//    acceleration) under per-DoF velocity, acceleration and jerk limits (symmetric, > 0).
//  * Time synchronisation: every DoF starts now and finishes exactly at the trajectory's duration,
//    which is the smallest duration feasible for all DoF.
//  * update() re-plans whenever the input differs from the previous one (any field, including the
//    current state). After each step the generator stores the output state as its own current
//    state, so feeding the output back (Output::pass_to_input) follows the planned trajectory and
//    does not re-plan; feeding a measured state re-plans from it.
//  * Never allocates, never throws (the dynamic-DoF variant allocates only in its constructor
//    and in Input's/Output's sizing constructors).
//  * Statuses: Working (moving), Finished (the target state was reached in this cycle or
//    earlier; the output then holds the target moving on at its velocity/acceleration),
//    InvalidInput (NaN/inf, non-positive limits, mismatched sizes), LimitViolation (target
//    velocity/acceleration above the limits, target position outside [min_position, max_position],
//    current acceleration above its limit), Infeasible (no trajectory found; not expected).
//  * Units: joint space, rad, rad/s, rad/s^2, rad/s^3, seconds (any consistent units work).
#include <array>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "graspvla/core/status.hpp"
#include "graspvla/trajectory/profile.hpp"

namespace graspvla::trajectory {

/// Template argument for a number of DoF chosen at run time (sized by constructors).
inline constexpr std::size_t kDynamic = 0;

template <std::size_t N>
using DofVector = std::conditional_t<N == kDynamic, std::vector<double>, std::array<double, N>>;

template <std::size_t N>
using ProfileVector = std::conditional_t<N == kDynamic, std::vector<Profile>, std::array<Profile, N>>;

enum class Synchronization : int {
  Time = 0,   ///< all DoF finish together (default)
  None = 1,   ///< each DoF as fast as it can; the trajectory lasts as long as the slowest
  Phase = 2,  ///< a straight line in joint space (every DoF a scaled copy of one profile) when the
              ///< start and target velocities/accelerations are parallel to the displacement
              ///< (e.g. rest to rest); otherwise falls back to Time
};

template <std::size_t N = 7>
struct InputT {
  InputT() { resize(N); }
  /// Dynamic DoF: sizes every vector to `dof` (limits 1, position bounds infinite).
  explicit InputT(std::size_t dof) { resize(dof); }

  DofVector<N> current_position, current_velocity, current_acceleration;
  DofVector<N> target_position, target_velocity, target_acceleration;
  DofVector<N> max_velocity, max_acceleration, max_jerk;  ///< each > 0
  DofVector<N> min_position, max_position;  ///< the target must lie inside (default: unbounded)
  double min_duration = 0.0;                ///< stretch the motion to at least this long (s)
  Synchronization synchronization = Synchronization::Time;

  std::size_t dof() const noexcept { return current_position.size(); }

  void resize(std::size_t dof) {
    if constexpr (N == kDynamic) {
      for (auto* v : {&current_position, &current_velocity, &current_acceleration, &target_position,
                      &target_velocity, &target_acceleration, &max_velocity, &max_acceleration, &max_jerk,
                      &min_position, &max_position}) {
        v->assign(dof, 0.0);
      }
    }
    (void)dof;
    for (std::size_t i = 0; i < current_position.size(); ++i) {
      current_position[i] = current_velocity[i] = current_acceleration[i] = 0.0;
      target_position[i] = target_velocity[i] = target_acceleration[i] = 0.0;
      max_velocity[i] = max_acceleration[i] = max_jerk[i] = 1.0;
      min_position[i] = -std::numeric_limits<double>::infinity();
      max_position[i] = std::numeric_limits<double>::infinity();
    }
  }
};

/// A time-synchronised multi-DoF trajectory: one jerk profile per DoF, all of `duration`.
template <std::size_t N = 7>
struct TrajectoryT {
  TrajectoryT() { resize(N); }
  explicit TrajectoryT(std::size_t dof) { resize(dof); }
  void resize(std::size_t dof) {
    if constexpr (N == kDynamic) profiles.assign(dof, Profile{});
    (void)dof;
  }

  double duration = 0.0;  ///< s
  ProfileVector<N> profiles{};

  std::size_t dof() const noexcept { return profiles.size(); }
  /// Position, velocity, acceleration of every DoF at time t (s) into caller arrays of dof()
  /// doubles (any may be null). t < 0 gives the start state; t > duration continues from the
  /// final state with constant acceleration.
  void at_time(double t, double* p, double* v, double* a) const noexcept {
    for (std::size_t i = 0; i < profiles.size(); ++i) {
      double pi, vi, ai;
      profiles[i].at(t, pi, vi, ai);
      if (p) p[i] = pi;
      if (v) v[i] = vi;
      if (a) a[i] = ai;
    }
  }
  /// Dense sampling: `count` samples at t0 + k*dt into row-major (count, dof) arrays (any may
  /// be null). Allocation free.
  void sample(double t0, double dt, std::size_t count, double* P, double* V, double* A) const noexcept {
    const std::size_t n = profiles.size();
    for (std::size_t k = 0; k < count; ++k) {
      const double t = t0 + static_cast<double>(k) * dt;
      at_time(t, P ? P + k * n : nullptr, V ? V + k * n : nullptr, A ? A + k * n : nullptr);
    }
  }
};

template <std::size_t N = 7>
struct OutputT {
  OutputT() { resize(N); }
  explicit OutputT(std::size_t dof) { resize(dof); }
  void resize(std::size_t dof) {
    if constexpr (N == kDynamic) {
      new_position.assign(dof, 0.0);
      new_velocity.assign(dof, 0.0);
      new_acceleration.assign(dof, 0.0);
    } else {
      new_position.fill(0.0);
      new_velocity.fill(0.0);
      new_acceleration.fill(0.0);
    }
    (void)dof;
  }

  DofVector<N> new_position, new_velocity, new_acceleration;  ///< the state for this cycle
  double time = 0.0;             ///< time on the current trajectory after this cycle (s)
  double duration = 0.0;         ///< duration of the current trajectory (s)
  bool new_calculation = false;  ///< this update re-planned

  /// Copies the new state into the input's current state (the usual loop step).
  void pass_to_input(InputT<N>& in) const noexcept {
    for (std::size_t i = 0; i < new_position.size(); ++i) {
      in.current_position[i] = new_position[i];
      in.current_velocity[i] = new_velocity[i];
      in.current_acceleration[i] = new_acceleration[i];
    }
  }
};

/// Checks an input: sizes, finiteness, positive limits (InvalidInput); target velocity and
/// acceleration within the limits, target position within its bounds, current acceleration
/// within its limit (LimitViolation). Status::Ok if usable.
template <std::size_t N>
Status validate(const InputT<N>& in) noexcept;

/// Offline: the time-optimal synchronised trajectory for `in` into `out` (out must have
/// in.dof() profiles). Status::Ok on success.
template <std::size_t N>
Status calculate(const InputT<N>& in, TrajectoryT<N>& out) noexcept;

/// The online generator: one update() per control cycle of `dt` seconds.
template <std::size_t N = 7>
class OTGT {
 public:
  /// Fixed-size DoF.
  explicit OTGT(double dt = 0.001) : OTGT(N, dt) {}
  /// Dynamic DoF (N == kDynamic): allocates here once, never in update().
  OTGT(std::size_t dof, double dt) : dt_(dt), last_(dof), trajectory_(dof) {}

  /// One control cycle: re-plans if the input changed, then advances by dt and writes the
  /// state for this cycle into `out`. Returns Working, Finished or an error status (then
  /// `out` is left unchanged and the next update() re-plans).
  Status update(const InputT<N>& in, OutputT<N>& out) noexcept;
  /// Offline calculation with this generator's DoF (does not change the online state).
  Status calculate(const InputT<N>& in, TrajectoryT<N>& out) const noexcept {
    return trajectory::calculate(in, out);
  }
  /// Forget the current trajectory: the next update() re-plans.
  void reset() noexcept { has_trajectory_ = false; }
  double dt() const noexcept { return dt_; }
  std::size_t dof() const noexcept { return trajectory_.dof(); }
  /// The trajectory being followed (valid after a successful update()).
  const TrajectoryT<N>& trajectory() const noexcept { return trajectory_; }
  /// Time on that trajectory (s).
  double time() const noexcept { return time_; }

 private:
  double dt_;
  InputT<N> last_;
  TrajectoryT<N> trajectory_;
  double time_ = 0.0;
  bool has_trajectory_ = false;
};

// 7 DoF (the Franka arm): the fast path.
using Input = InputT<7>;
using Output = OutputT<7>;
using Trajectory = TrajectoryT<7>;
using OTG = OTGT<7>;
// Any number of DoF chosen at run time.
using DynamicInput = InputT<kDynamic>;
using DynamicOutput = OutputT<kDynamic>;
using DynamicTrajectory = TrajectoryT<kDynamic>;
using DynamicOTG = OTGT<kDynamic>;

extern template Status validate<7>(const InputT<7>&) noexcept;
extern template Status validate<kDynamic>(const InputT<kDynamic>&) noexcept;
extern template Status calculate<7>(const InputT<7>&, TrajectoryT<7>&) noexcept;
extern template Status calculate<kDynamic>(const InputT<kDynamic>&, TrajectoryT<kDynamic>&) noexcept;
extern template class OTGT<7>;
extern template class OTGT<kDynamic>;

}  // namespace graspvla::trajectory
