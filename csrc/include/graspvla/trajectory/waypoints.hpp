#pragma once
// A smooth trajectory through joint-space waypoints that does not stop at intermediate ones.
//
// Method: between consecutive waypoints, a time-synchronised jerk-limited OTG segment (see
// otg.hpp) from (q_k, v_k, a_k) to (q_k+1, v_k+1, a_k+1). The knot velocities (and optionally
// accelerations) start from the best of: rest at every waypoint, and a path-speed profile from
// a forward-backward pass along the polyline (velocity caps along the blended tangent, corner
// and segment acceleration caps; tried at a few scales since it ignores jerk); then a few
// fixed-point passes of a Hermite-style heuristic refine them: each joint passes a waypoint at
// the duration-weighted mean of its neighbouring segments' average velocities (zero where that
// joint reverses), its acceleration the corresponding finite difference, scaled into the
// limits. The fastest candidate seen is kept. So the trajectory
//  * passes exactly through every waypoint (at knot_times()), tolerance 0;
//  * is C2 (position, velocity, acceleration continuous) with bounded jerk;
//  * respects the velocity, acceleration and jerk limits everywhere (each segment does);
//  * starts and ends at rest, and does not stop at intermediate waypoints unless every joint
//    reverses there (a cusp, which any exact pass must stop at).
// Built once (allocates); evaluation is allocation free.
#include <Eigen/Core>
#include <vector>

#include "graspvla/core/status.hpp"
#include "graspvla/trajectory/otg.hpp"

namespace graspvla::trajectory {

struct WaypointOptions {
  int iterations = 4;               ///< knot-velocity fixed-point passes (0: rest at every waypoint)
  bool knot_acceleration = true;    ///< also pass waypoints with a non-zero (heuristic) acceleration
  double velocity_fraction = 0.98;  ///< knot velocities are kept below this fraction of the limit
};

class WaypointTrajectory {
 public:
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// waypoints: (M, N) with M >= 1; limits: (N,) each > 0. Returns InvalidInput on bad input.
  Status build(const RowMatrix& waypoints, const Eigen::VectorXd& v_max, const Eigen::VectorXd& a_max,
               const Eigen::VectorXd& j_max, const WaypointOptions& opt = {});

  double duration() const noexcept { return knots_.empty() ? 0.0 : knots_.back(); }
  int dof() const noexcept { return dof_; }
  /// Time at which each (de-duplicated) waypoint is passed (s).
  const std::vector<double>& knot_times() const noexcept { return knots_; }
  /// The waypoints actually used (consecutive duplicates removed), (K, N).
  const RowMatrix& waypoints() const noexcept { return q_; }

  /// Position, velocity, acceleration (and jerk if non-null) at time t (clamped to [0, duration]).
  void at(double t, double* p, double* v, double* a, double* j = nullptr) const noexcept;
  /// Dense sampling at t0 + k dt into row-major (count, dof) arrays (any may be null).
  void sample(double t0, double dt, std::size_t count, double* P, double* V, double* A) const noexcept;

 private:
  Status plan(const RowMatrix& vel, const RowMatrix& acc, std::vector<DynamicTrajectory>& segs,
              double& total) const;
  int dof_ = 0;
  RowMatrix q_;
  Eigen::VectorXd vmax_, amax_, jmax_;
  std::vector<DynamicTrajectory> segs_;
  std::vector<double> knots_;
};

}  // namespace graspvla::trajectory
