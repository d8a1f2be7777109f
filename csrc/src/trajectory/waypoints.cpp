#include "graspvla/trajectory/waypoints.hpp"

#include <algorithm>
#include <cmath>

namespace graspvla::trajectory {

Status WaypointTrajectory::plan(const RowMatrix& vel, const RowMatrix& acc, std::vector<DynamicTrajectory>& segs,
                                double& total) const {
  const int m = static_cast<int>(q_.rows()), n = dof_;
  DynamicInput in(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    in.max_velocity[i] = vmax_[i];
    in.max_acceleration[i] = amax_[i];
    in.max_jerk[i] = jmax_[i];
  }
  total = 0.0;
  for (int k = 0; k + 1 < m; ++k) {
    for (int i = 0; i < n; ++i) {
      in.current_position[i] = q_(k, i);
      in.current_velocity[i] = vel(k, i);
      in.current_acceleration[i] = acc(k, i);
      in.target_position[i] = q_(k + 1, i);
      in.target_velocity[i] = vel(k + 1, i);
      in.target_acceleration[i] = acc(k + 1, i);
    }
    const Status s = calculate(in, segs[k]);
    if (s != Status::Ok) return s;
    total += segs[k].duration;
  }
  return Status::Ok;
}

Status WaypointTrajectory::build(const RowMatrix& waypoints, const Eigen::VectorXd& v_max,
                                 const Eigen::VectorXd& a_max, const Eigen::VectorXd& j_max,
                                 const WaypointOptions& opt) {
  const int M = static_cast<int>(waypoints.rows()), N = static_cast<int>(waypoints.cols());
  if (M < 1 || N < 1 || v_max.size() != N || a_max.size() != N || j_max.size() != N || !waypoints.allFinite() ||
      !v_max.allFinite() || !a_max.allFinite() || !j_max.allFinite() || (v_max.array() <= 0).any() ||
      (a_max.array() <= 0).any() || (j_max.array() <= 0).any() || opt.iterations < 0 ||
      !(opt.velocity_fraction > 0 && opt.velocity_fraction <= 1)) {
    return Status::InvalidInput;
  }
  // Drop repeated waypoints: a zero-length segment has no direction.
  RowMatrix q(M, N);
  int m = 0;
  for (int k = 0; k < M; ++k) {
    if (m == 0 || (waypoints.row(k) - q.row(m - 1)).cwiseAbs().maxCoeff() > 1e-12) q.row(m++) = waypoints.row(k);
  }
  q_ = q.topRows(m);
  dof_ = N;
  vmax_ = v_max;
  amax_ = a_max;
  jmax_ = j_max;
  segs_.assign(std::max(0, m - 1), DynamicTrajectory(static_cast<std::size_t>(N)));
  knots_.assign(m, 0.0);
  if (m < 2) return Status::Ok;  // a single point, held for no time

  RowMatrix vel = RowMatrix::Zero(m, N), acc = RowMatrix::Zero(m, N);
  double best = 0.0;
  Status s = plan(vel, acc, segs_, best);  // rest at every waypoint: always feasible
  if (s != Status::Ok) return s;
  std::vector<DynamicTrajectory> trial = segs_;
  std::vector<double> T(m - 1);
  for (int k = 0; k + 1 < m; ++k) T[k] = segs_[k].duration;
  const double frac = opt.velocity_fraction;
  if (m > 2 && opt.iterations > 0) {
    // Start from a path-speed profile along the polyline (a forward-backward pass, as in
    // feed-rate planning): the speed at each waypoint is capped by the velocity limits along
    // the blended tangent and by the acceleration a corner needs, and changes between
    // waypoints by at most what the acceleration limits allow over the segment length. The
    // fixed-point passes below refine it; dense paths would otherwise speed up only slowly.
    std::vector<double> len(m - 1), speed(m, 0.0), acc_seg(m - 1);
    RowMatrix U(m - 1, N), tangent = RowMatrix::Zero(m, N);
    for (int k = 0; k + 1 < m; ++k) {
      const Eigen::RowVectorXd d = q_.row(k + 1) - q_.row(k);
      len[k] = d.norm();
      U.row(k) = d / len[k];
      acc_seg[k] = 1e300;
      for (int i = 0; i < N; ++i) {
        if (U(k, i) != 0.0) acc_seg[k] = std::min(acc_seg[k], amax_[i] / std::abs(U(k, i)));
      }
    }
    for (int k = 1; k + 1 < m; ++k) {
      Eigen::RowVectorXd t = U.row(k - 1) + U.row(k);
      const double nt = t.norm();
      if (nt < 1e-9) continue;  // a cusp: stop there
      t /= nt;
      double cap = 1e300;
      for (int i = 0; i < N; ++i) {
        if (t[i] != 0.0) cap = std::min(cap, frac * vmax_[i] / std::abs(t[i]));
      }
      const double turn = (U.row(k) - U.row(k - 1)).norm();  // 2 sin(angle / 2)
      const double a_corner = std::min(acc_seg[k - 1], acc_seg[k]);
      if (turn > 1e-12) cap = std::min(cap, std::sqrt(a_corner * std::min(len[k - 1], len[k]) / turn));
      speed[k] = cap;
      tangent.row(k) = t;
    }
    for (int k = 0; k + 1 < m; ++k) {
      speed[k + 1] = std::min(speed[k + 1], std::sqrt(speed[k] * speed[k] + 2.0 * acc_seg[k] * len[k]));
    }
    for (int k = m - 2; k >= 0; --k) {
      speed[k] = std::min(speed[k], std::sqrt(speed[k + 1] * speed[k + 1] + 2.0 * acc_seg[k] * len[k]));
    }
    // The pass ignores the jerk limit, so also try slower versions of it; keep the fastest.
    for (double scale : {1.0, 0.7, 0.5, 0.3}) {
      for (int k = 1; k + 1 < m; ++k) {
        // tangential acceleration of the speed profile (d(speed^2)/ds / 2)
        const double as = opt.knot_acceleration ? scale * scale *
                                                      (speed[k + 1] * speed[k + 1] - speed[k - 1] * speed[k - 1]) /
                                                      (2.0 * (len[k - 1] + len[k]))
                                                : 0.0;
        for (int i = 0; i < N; ++i) {
          const double v = std::clamp(scale * speed[k] * tangent(k, i), -frac * vmax_[i], frac * vmax_[i]);
          double a = std::clamp(as * tangent(k, i), -0.5 * amax_[i], 0.5 * amax_[i]);
          const double shift = a * std::abs(a) / (2.0 * jmax_[i]);
          if (std::abs(v - shift) > frac * vmax_[i] || std::abs(v + shift) > frac * vmax_[i]) a = 0.0;
          vel(k, i) = v;
          acc(k, i) = a;
        }
      }
      double total;
      if (plan(vel, acc, trial, total) == Status::Ok && total < best) {
        best = total;
        segs_.swap(trial);
        for (int k = 0; k + 1 < m; ++k) T[k] = segs_[k].duration;
      }
    }
  }
  for (int it = 0; it < opt.iterations; ++it) {
    for (int k = 1; k + 1 < m; ++k) {
      const double h0 = std::max(T[k - 1], 1e-9), h1 = std::max(T[k], 1e-9);
      for (int i = 0; i < N; ++i) {
        const double s0 = (q_(k, i) - q_(k - 1, i)) / h0, s1 = (q_(k + 1, i) - q_(k, i)) / h1;
        double v = (s0 * s1 <= 0) ? 0.0 : (s0 * h1 + s1 * h0) / (h0 + h1);
        v = std::clamp(v, -frac * vmax_[i], frac * vmax_[i]);
        double a = 0.0;
        if (opt.knot_acceleration && v != 0.0) {
          a = std::clamp(2.0 * (s1 - s0) / (h0 + h1), -0.5 * amax_[i], 0.5 * amax_[i]);
          // The velocity must stay within the limit just before and after the knot.
          const double shift = a * std::abs(a) / (2.0 * jmax_[i]);
          if (std::abs(v - shift) > frac * vmax_[i] || std::abs(v + shift) > frac * vmax_[i]) a = 0.0;
        }
        vel(k, i) = v;
        acc(k, i) = a;
      }
    }
    double total;
    s = plan(vel, acc, trial, total);
    if (s != Status::Ok) break;
    for (int k = 0; k + 1 < m; ++k) T[k] = trial[k].duration;
    if (total < best) {
      best = total;
      segs_.swap(trial);
    }
  }
  for (int k = 1; k < m; ++k) knots_[k] = knots_[k - 1] + segs_[k - 1].duration;
  return Status::Ok;
}

void WaypointTrajectory::at(double t, double* p, double* v, double* a, double* j) const noexcept {
  const int m = static_cast<int>(knots_.size());
  if (m == 0) return;
  if (m == 1) {
    for (int i = 0; i < dof_; ++i) {
      if (p) p[i] = q_(0, i);
      if (v) v[i] = 0.0;
      if (a) a[i] = 0.0;
      if (j) j[i] = 0.0;
    }
    return;
  }
  t = std::clamp(t, 0.0, knots_.back());
  int k = static_cast<int>(std::upper_bound(knots_.begin(), knots_.end(), t) - knots_.begin()) - 1;
  k = std::clamp(k, 0, m - 2);
  const DynamicTrajectory& seg = segs_[k];
  const double tau = std::min(t - knots_[k], seg.duration);
  seg.at_time(tau, p, v, a);
  if (j) {
    for (int i = 0; i < dof_; ++i) j[i] = seg.profiles[i].jerk_at(tau);
  }
}

void WaypointTrajectory::sample(double t0, double dt, std::size_t count, double* P, double* V,
                                double* A) const noexcept {
  const std::size_t n = static_cast<std::size_t>(dof_);
  for (std::size_t k = 0; k < count; ++k) {
    at(t0 + static_cast<double>(k) * dt, P ? P + k * n : nullptr, V ? V + k * n : nullptr, A ? A + k * n : nullptr);
  }
}

}  // namespace graspvla::trajectory
