#include "graspvla/trajectory/waypoints.hpp"

#include <algorithm>
#include <cmath>

namespace graspvla::trajectory {

Status WaypointTrajectory::build(const RowMatrix& waypoints, const Eigen::VectorXd& v_max,
                                 const Eigen::VectorXd& a_max, const Eigen::VectorXd& j_max,
                                 const WaypointOptions& opt) {
  const int M = static_cast<int>(waypoints.rows()), N = static_cast<int>(waypoints.cols());
  if (M < 2 || N < 1 || v_max.size() != N || a_max.size() != N || j_max.size() != N || !waypoints.allFinite() ||
      !v_max.allFinite() || !a_max.allFinite() || !j_max.allFinite() || (v_max.array() <= 0).any() ||
      (a_max.array() <= 0).any() || (j_max.array() <= 0).any() || opt.iterations < 0 || opt.samples_per_segment < 4) {
    return Status::InvalidInput;
  }
  // Drop repeated waypoints: a zero-length segment has no direction.
  RowMatrix q(M, N);
  int m = 0;
  for (int k = 0; k < M; ++k) {
    if (m == 0 || (waypoints.row(k) - q.row(m - 1)).cwiseAbs().maxCoeff() > 1e-12) q.row(m++) = waypoints.row(k);
  }
  if (m < 2) {  // all identical: a single point held for no time
    q.row(1) = q.row(0);
    m = 2;
  }
  q_ = q.topRows(m);
  dof_ = N;
  samples_ = opt.samples_per_segment;
  vmax_ = v_max;
  amax_ = a_max;
  jmax_ = j_max;

  // Initial durations: each joint's rest-to-rest jerk-limited time as a lower bound.
  std::vector<double> T(m - 1);
  for (int k = 0; k + 1 < m; ++k) {
    double t = 1e-3;
    for (int i = 0; i < N; ++i) {
      const double d = std::abs(q_(k + 1, i) - q_(k, i));
      t = std::max({t, d / vmax_[i], 2.0 * std::sqrt(d / amax_[i]), std::cbrt(4.0 * d / jmax_[i])});
    }
    T[k] = t;
  }
  // Tune: stretch segments that break a limit, shrink those with slack. Durations change the
  // knot velocities, so iterate; a final uniform scaling guarantees every limit.
  for (int it = 0; it < opt.iterations; ++it) {
    fit(T);
    for (int k = 0; k + 1 < m; ++k) {
      const double r = segment_ratio(k);
      T[k] *= std::pow(r, 0.5);
    }
  }
  fit(T);
  samples_ = std::max(samples_, 256);  // dense final check: between samples limits move by < 0.1%
  double worst = 0.0;
  for (int k = 0; k + 1 < m; ++k) worst = std::max(worst, segment_ratio(k));
  // segment_ratio samples; inflate slightly so limits hold between samples too.
  const double scale = worst * 1.002;
  for (double& t : T) t *= scale;
  fit(T);
  return Status::Ok;
}

void WaypointTrajectory::fit(const std::vector<double>& T) {
  const int m = static_cast<int>(q_.rows()), N = dof_;
  T_ = T;
  knots_.assign(m, 0.0);
  for (int k = 1; k < m; ++k) knots_[k] = knots_[k - 1] + T[k - 1];
  RowMatrix V = RowMatrix::Zero(m, N), A = RowMatrix::Zero(m, N);
  for (int k = 1; k + 1 < m; ++k) {
    for (int i = 0; i < N; ++i) {
      const double s0 = (q_(k, i) - q_(k - 1, i)) / T[k - 1], s1 = (q_(k + 1, i) - q_(k, i)) / T[k];
      // Weighted slope average; zero at a reversal so the joint does not overshoot the waypoint.
      V(k, i) = (s0 * s1 <= 0) ? 0.0 : (s0 * T[k] + s1 * T[k - 1]) / (T[k - 1] + T[k]);
      A(k, i) = 2.0 * (s1 - s0) / (T[k - 1] + T[k]);
    }
  }
  coef_.resize((m - 1) * N, 6);
  for (int k = 0; k + 1 < m; ++k) {
    const double h = T[k];
    for (int i = 0; i < N; ++i) {
      const double p0 = q_(k, i), p1 = q_(k + 1, i), v0 = V(k, i), v1 = V(k + 1, i), a0 = A(k, i), a1 = A(k + 1, i);
      // Quintic Hermite in local time tau in [0, h].
      const double d = p1 - p0 - v0 * h - 0.5 * a0 * h * h;
      const double dv = v1 - v0 - a0 * h;
      const double da = a1 - a0;
      const double h3 = h * h * h, h4 = h3 * h, h5 = h4 * h;
      auto c = coef_.row(k * N + i);
      c[0] = p0;
      c[1] = v0;
      c[2] = 0.5 * a0;
      c[3] = (10 * d - 4 * dv * h + 0.5 * da * h * h) / h3;
      c[4] = (-15 * d + 7 * dv * h - da * h * h) / h4;
      c[5] = (6 * d - 3 * dv * h + 0.5 * da * h * h) / h5;
    }
  }
}

double WaypointTrajectory::segment_ratio(int k) const {
  double r = 1e-9;
  const double h = T_[k];
  for (int s = 0; s <= samples_; ++s) {
    const double tau = h * s / samples_;
    for (int i = 0; i < dof_; ++i) {
      auto c = coef_.row(k * dof_ + i);
      const double v = c[1] + tau * (2 * c[2] + tau * (3 * c[3] + tau * (4 * c[4] + tau * 5 * c[5])));
      const double a = 2 * c[2] + tau * (6 * c[3] + tau * (12 * c[4] + tau * 20 * c[5]));
      const double j = 6 * c[3] + tau * (24 * c[4] + tau * 60 * c[5]);
      r = std::max({r, std::abs(v) / vmax_[i], std::sqrt(std::abs(a) / amax_[i]), std::cbrt(std::abs(j) / jmax_[i])});
    }
  }
  return r;
}

void WaypointTrajectory::at(double t, double* p, double* v, double* a, double* j) const noexcept {
  const int m = static_cast<int>(knots_.size());
  if (m < 2) return;
  t = std::clamp(t, 0.0, knots_.back());
  int k = static_cast<int>(std::upper_bound(knots_.begin(), knots_.end(), t) - knots_.begin()) - 1;
  k = std::clamp(k, 0, m - 2);
  const double tau = t - knots_[k];
  for (int i = 0; i < dof_; ++i) {
    auto c = coef_.row(k * dof_ + i);
    p[i] = c[0] + tau * (c[1] + tau * (c[2] + tau * (c[3] + tau * (c[4] + tau * c[5]))));
    if (v) v[i] = c[1] + tau * (2 * c[2] + tau * (3 * c[3] + tau * (4 * c[4] + tau * 5 * c[5])));
    if (a) a[i] = 2 * c[2] + tau * (6 * c[3] + tau * (12 * c[4] + tau * 20 * c[5]));
    if (j) j[i] = 6 * c[3] + tau * (24 * c[4] + tau * 60 * c[5]);
  }
}

}  // namespace graspvla::trajectory
