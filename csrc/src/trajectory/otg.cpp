#include "graspvla/trajectory/otg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace graspvla::trajectory {
namespace {

bool finite(double x) { return std::isfinite(x); }
constexpr double kInfinity = std::numeric_limits<double>::infinity();

template <class In>
DofLimits limits_of(const In& in, std::size_t i) {
  return {in.max_velocity[i], in.max_acceleration[i], in.max_jerk[i]};
}

template <class In>
Status fixed(const In& in, std::size_t i, double T, Profile& out, const Profile& min_time) noexcept {
  return fixed_time_profile(in.current_position[i], in.current_velocity[i], in.current_acceleration[i],
                            in.target_position[i], in.target_velocity[i], in.target_acceleration[i],
                            limits_of(in, i), T, out, &min_time);
}

template <class In>
Status min_time(const In& in, std::size_t i, Profile& out) noexcept {
  return min_time_profile(in.current_position[i], in.current_velocity[i], in.current_acceleration[i],
                          in.target_position[i], in.target_velocity[i], in.target_acceleration[i],
                          limits_of(in, i), out);
}

// Time synchronisation: `profiles` hold each DoF's minimum-time profile; rewrite them all to
// the smallest common duration T >= T0 that every DoF can realise.
template <class Profiles, class In>
Status synchronise(const In& in, double T0, Profiles& profiles, double& T_out) noexcept {
  const std::size_t n = in.dof();
  double T = T0;
  std::size_t fixed_dof = n;  // a DoF whose profile for T is already set (a gap's end)
  // What fixed_time_profile() needs of each minimum-time profile (peak velocity, duration),
  // kept so that later rounds need not recompute them (up to kCache DoF; more are recomputed).
  constexpr std::size_t kCache = 32;
  double hint_v[kCache], hint_t[kCache];
  bool hint_peak[kCache];
  const bool cached = n <= kCache;
  if (cached) {
    for (std::size_t i = 0; i < n; ++i) {
      hint_v[i] = profiles[i].vb[3];
      hint_t[i] = profiles[i].duration;
      hint_peak[i] = profiles[i].has_peak;
    }
  }
  for (int round = 0; round < 16; ++round) {
    std::size_t failed = n;
    Profile m;
    for (std::size_t i = 0; i < n; ++i) {
      if (i == fixed_dof) continue;
      if (round > 0 && cached) {  // T grew past every minimum time: rebuild the hint
        m.vb[3] = hint_v[i];
        m.duration = hint_t[i];
        m.has_peak = hint_peak[i];
      } else {
        if (round > 0 && min_time(in, i, profiles[i]) != Status::Ok) return Status::Infeasible;
        if (profiles[i].duration >= T - 1e-12 && profiles[i].duration <= T + 1e-12) continue;
        m = profiles[i];
      }
      if (fixed(in, i, T, profiles[i], m) != Status::Ok) {
        failed = i;
        break;
      }
    }
    if (failed == n) {
      T_out = T;
      return Status::Ok;
    }
    // T falls into a duration gap of DoF `failed` (m holds its minimum-time profile). The gap
    // ends at one of the family's extremal profiles: take the first one longer than T.
    Profile cands[8];
    const int nc = candidate_profiles(in.current_position[failed], in.current_velocity[failed],
                                      in.current_acceleration[failed], in.target_position[failed],
                                      in.target_velocity[failed], in.target_acceleration[failed],
                                      limits_of(in, failed), cands, 8);
    int c = 0;
    while (c < nc && !(cands[c].duration > T)) ++c;
    if (c < nc) {
      T = cands[c].duration;
      profiles[failed] = cands[c];
      fixed_dof = failed;
      continue;
    }
    // No candidate (not expected): grow geometrically, then bisect back to the gap's end.
    fixed_dof = n;
    Profile probe;
    auto ok = [&](double t) { return fixed(in, failed, t, probe, m) == Status::Ok; };
    double lo = T, step = std::max(1e-6, 1e-3 * T), hi = T + step;
    int k = 0;
    while (!ok(hi) && k < 60) {
      lo = hi;
      step *= 2.0;
      hi = T + step;
      ++k;
    }
    if (k == 60) return Status::Infeasible;
    for (int b = 0; b < 60 && hi - lo > 1e-12 * std::max(1.0, hi); ++b) {
      const double mid = 0.5 * (lo + hi);
      (ok(mid) ? hi : lo) = mid;
    }
    T = hi;
  }
  return Status::Infeasible;
}

// Phase synchronisation: if every boundary velocity/acceleration is parallel to the
// displacement d (x_i = u_i x_r with u_i = d_i / d_r for the DoF r of largest |d|), plan the
// path coordinate of DoF r under the tightest scaled limits and scale it onto every DoF: a
// straight line in joint space, each DoF within its own limits. Returns false (nothing
// written) when the problem is not collinear or the scaled problem is not valid. `T_time` is
// the time-synchronised duration (a lower bound: a straight line is never faster).
template <class In, class Out>
bool phase_synchronise(const In& in, double T_time, Out& out) noexcept {
  const std::size_t n = in.dof();
  std::size_t r = 0;
  double dmax = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = std::abs(in.target_position[i] - in.current_position[i]);
    if (d > dmax) dmax = d, r = i;
  }
  if (!(dmax > 0.0)) return false;
  const double dr = in.target_position[r] - in.current_position[r];
  double V = kInfinity, A = kInfinity, J = kInfinity;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = (in.target_position[i] - in.current_position[i]) / dr;
    const auto parallel = [&](double xi, double xr, double scale) {
      return std::abs(xi - u * xr) <= 1e-9 * scale;
    };
    if (!parallel(in.current_velocity[i], in.current_velocity[r], in.max_velocity[i]) ||
        !parallel(in.target_velocity[i], in.target_velocity[r], in.max_velocity[i]) ||
        !parallel(in.current_acceleration[i], in.current_acceleration[r], in.max_acceleration[i]) ||
        !parallel(in.target_acceleration[i], in.target_acceleration[r], in.max_acceleration[i])) {
      return false;
    }
    if (u != 0.0) {
      V = std::min(V, in.max_velocity[i] / std::abs(u));
      A = std::min(A, in.max_acceleration[i] / std::abs(u));
      J = std::min(J, in.max_jerk[i] / std::abs(u));
    }
  }
  const DofLimits L{V, A, J};
  const double p0 = in.current_position[r], v0 = in.current_velocity[r], a0 = in.current_acceleration[r];
  const double pf = in.target_position[r], vf = in.target_velocity[r], af = in.target_acceleration[r];
  if (std::abs(a0) > A * (1 + 1e-9) || std::abs(vf) > V || std::abs(af) > A ||
      std::abs(vf - af * std::abs(af) / (2.0 * J)) > V) {
    return false;
  }
  Profile ref, m;
  if (min_time_profile(p0, v0, a0, pf, vf, af, L, ref) != Status::Ok) return false;
  const double T = std::max(ref.duration, std::max(in.min_duration, 0.0));
  if (T > ref.duration) {
    m = ref;
    if (fixed_time_profile(p0, v0, a0, pf, vf, af, L, T, ref, &m) != Status::Ok) return false;
  }
  (void)T_time;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = (in.target_position[i] - in.current_position[i]) / dr;
    Profile& P = out.profiles[i];
    P.t = ref.t;
    for (int k = 0; k < Profile::kSegments; ++k) P.j[k] = u * ref.j[k];
    P.has_peak = false;
    P.finalize(in.current_position[i], u * v0, u * a0);
    // exact end position despite rounding in u: the last segment absorbs it
    P.pb[Profile::kSegments] = in.target_position[i];
  }
  out.duration = ref.duration;
  return true;
}

}  // namespace

template <std::size_t N>
Status validate(const InputT<N>& in) noexcept {
  const std::size_t n = in.dof();
  if (n == 0) return Status::InvalidInput;
  if constexpr (N == kDynamic) {
    for (const auto* v : {&in.current_velocity, &in.current_acceleration, &in.target_position, &in.target_velocity,
                          &in.target_acceleration, &in.max_velocity, &in.max_acceleration, &in.max_jerk,
                          &in.min_position, &in.max_position}) {
      if (v->size() != n) return Status::InvalidInput;
    }
  }
  if (!finite(in.min_duration) || in.min_duration < 0) return Status::InvalidInput;
  for (std::size_t i = 0; i < n; ++i) {
    const double vals[] = {in.current_position[i], in.current_velocity[i], in.current_acceleration[i],
                           in.target_position[i],  in.target_velocity[i],  in.target_acceleration[i],
                           in.max_velocity[i],     in.max_acceleration[i], in.max_jerk[i]};
    for (double x : vals)
      if (!finite(x)) return Status::InvalidInput;
    if (std::isnan(in.min_position[i]) || std::isnan(in.max_position[i])) return Status::InvalidInput;
    const double V = in.max_velocity[i], A = in.max_acceleration[i], J = in.max_jerk[i];
    if (!(V > 0) || !(A > 0) || !(J > 0)) return Status::InvalidInput;
    const double vf = in.target_velocity[i], af = in.target_acceleration[i];
    if (std::abs(vf) > V * (1 + 1e-12) || std::abs(af) > A * (1 + 1e-12)) return Status::LimitViolation;
    // Arriving at vf with acceleration af means the velocity just before was vf - af|af|/(2J) at
    // least: it must lie within the limit too.
    if (std::abs(vf - af * std::abs(af) / (2.0 * J)) > V * (1 + 1e-12)) return Status::LimitViolation;
    if (std::abs(in.current_acceleration[i]) > A * (1 + 1e-9) + 1e-12) return Status::LimitViolation;
    if (in.target_position[i] < in.min_position[i] || in.target_position[i] > in.max_position[i]) {
      return Status::LimitViolation;
    }
  }
  return Status::Ok;
}

template <std::size_t N>
Status calculate(const InputT<N>& in, TrajectoryT<N>& out) noexcept {
  const Status valid = validate(in);
  if (valid != Status::Ok) return valid;
  if (out.dof() != in.dof()) return Status::InvalidInput;
  const std::size_t n = in.dof();
  double T = in.min_duration;
  for (std::size_t i = 0; i < n; ++i) {
    const Status s = min_time(in, i, out.profiles[i]);
    if (s != Status::Ok) return s;
    T = std::max(T, out.profiles[i].duration);
  }
  if (in.synchronization == Synchronization::None) {
    out.duration = T;
    return Status::Ok;
  }
  if (in.synchronization == Synchronization::Phase && phase_synchronise(in, T, out)) return Status::Ok;
  double Ts = T;
  const Status s = synchronise(in, T, out.profiles, Ts);
  if (s != Status::Ok) return s;
  out.duration = Ts;
  return Status::Ok;
}

namespace {
template <class In>
bool same_input(const In& a, const In& b) noexcept {
  if (a.dof() != b.dof() || a.min_duration != b.min_duration || a.synchronization != b.synchronization) return false;
  for (std::size_t i = 0; i < a.dof(); ++i) {
    if (a.current_position[i] != b.current_position[i] || a.current_velocity[i] != b.current_velocity[i] ||
        a.current_acceleration[i] != b.current_acceleration[i] || a.target_position[i] != b.target_position[i] ||
        a.target_velocity[i] != b.target_velocity[i] || a.target_acceleration[i] != b.target_acceleration[i] ||
        a.max_velocity[i] != b.max_velocity[i] || a.max_acceleration[i] != b.max_acceleration[i] ||
        a.max_jerk[i] != b.max_jerk[i] || a.min_position[i] != b.min_position[i] ||
        a.max_position[i] != b.max_position[i]) {
      return false;
    }
  }
  return true;
}

template <class Dst, class Src>
void copy_input(Dst& d, const Src& s) noexcept {  // element-wise: never reallocates
  d.min_duration = s.min_duration;
  d.synchronization = s.synchronization;
  for (std::size_t i = 0; i < s.dof(); ++i) {
    d.current_position[i] = s.current_position[i];
    d.current_velocity[i] = s.current_velocity[i];
    d.current_acceleration[i] = s.current_acceleration[i];
    d.target_position[i] = s.target_position[i];
    d.target_velocity[i] = s.target_velocity[i];
    d.target_acceleration[i] = s.target_acceleration[i];
    d.max_velocity[i] = s.max_velocity[i];
    d.max_acceleration[i] = s.max_acceleration[i];
    d.max_jerk[i] = s.max_jerk[i];
    d.min_position[i] = s.min_position[i];
    d.max_position[i] = s.max_position[i];
  }
}
}  // namespace

template <std::size_t N>
Status OTGT<N>::update(const InputT<N>& in, OutputT<N>& out) noexcept {
  if (in.dof() != dof() || out.new_position.size() != dof() || out.new_velocity.size() != dof() ||
      out.new_acceleration.size() != dof()) {
    return Status::InvalidInput;
  }
  out.new_calculation = false;
  if (!has_trajectory_ || !same_input(in, last_)) {
    const Status s = trajectory::calculate(in, trajectory_);
    if (s != Status::Ok) {
      has_trajectory_ = false;
      return s;
    }
    copy_input(last_, in);
    has_trajectory_ = true;
    time_ = 0.0;
    out.new_calculation = true;
  }
  time_ += dt_;
  out.time = time_;
  out.duration = trajectory_.duration;
  trajectory_.at_time(time_, out.new_position.data(), out.new_velocity.data(), out.new_acceleration.data());
  // Following the plan: the output state is the next cycle's expected current state.
  for (std::size_t i = 0; i < dof(); ++i) {
    last_.current_position[i] = out.new_position[i];
    last_.current_velocity[i] = out.new_velocity[i];
    last_.current_acceleration[i] = out.new_acceleration[i];
  }
  return time_ >= trajectory_.duration ? Status::Finished : Status::Working;
}

template Status validate<7>(const InputT<7>&) noexcept;
template Status validate<kDynamic>(const InputT<kDynamic>&) noexcept;
template Status calculate<7>(const InputT<7>&, TrajectoryT<7>&) noexcept;
template Status calculate<kDynamic>(const InputT<kDynamic>&, TrajectoryT<kDynamic>&) noexcept;
template class OTGT<7>;
template class OTGT<kDynamic>;

}  // namespace graspvla::trajectory
