#pragma once
// A smooth trajectory through joint-space waypoints that does not stop at intermediate ones:
// quintic Hermite segments (C2: position, velocity and acceleration continuous), starting and
// ending at rest with zero acceleration, with segment durations tuned so velocity,
// acceleration and jerk limits hold everywhere and the motion is as fast as the heuristic
// allows. Built once (allocates); evaluation is allocation free.
#include <Eigen/Core>
#include <vector>

#include "graspvla/core/status.hpp"

namespace graspvla::trajectory {

struct WaypointOptions {
  int iterations = 40;          ///< duration-tuning passes
  int samples_per_segment = 24; ///< limit checks per segment during tuning (the final pass is exact-ish)
};

class WaypointTrajectory {
 public:
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// waypoints: (M, N) with M >= 2; limits: (N,) each > 0. Returns InvalidInput on bad input.
  Status build(const RowMatrix& waypoints, const Eigen::VectorXd& v_max, const Eigen::VectorXd& a_max,
               const Eigen::VectorXd& j_max, const WaypointOptions& opt = {});

  double duration() const noexcept { return knots_.empty() ? 0.0 : knots_.back(); }
  int dof() const noexcept { return dof_; }
  const std::vector<double>& knot_times() const noexcept { return knots_; }

  /// Position, velocity, acceleration, jerk at time t (clamped to [0, duration]).
  void at(double t, double* p, double* v, double* a, double* j = nullptr) const noexcept;

 private:
  void fit(const std::vector<double>& T);
  double segment_ratio(int k) const;  // max over joints/samples of normalised limit usage
  int dof_ = 0;
  int samples_ = 24;
  RowMatrix q_;                        // waypoints
  Eigen::VectorXd vmax_, amax_, jmax_;
  std::vector<double> knots_;          // M knot times
  std::vector<double> T_;              // M-1 durations
  RowMatrix coef_;                     // ((M-1)*dof, 6) quintic coefficients in local time
};

}  // namespace graspvla::trajectory
