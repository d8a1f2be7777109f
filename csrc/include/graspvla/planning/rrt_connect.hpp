#pragma once
// Joint-space motion planning for the Franka arm in a geometry::CollisionWorld:
//   RRT-Connect (Kuffner & LaValle 2000) with a goal set (the goal tree has one root per goal,
//   e.g. several IK solutions of a pre-grasp), then shortcutting, then smoothing into a
//   time-parameterised trajectory (graspvla::trajectory::WaypointTrajectory) whose densely
//   sampled states are verified collision free and inside the joint limits.
// Deterministic for a given seed (unless the time budget runs out first).
#include <cstdint>
#include <string>
#include <vector>

#include "graspvla/core/status.hpp"
#include "graspvla/geometry/collision_world.hpp"
#include "graspvla/trajectory/waypoints.hpp"

namespace graspvla::planning {

using robot::Vector7;

enum class PlanStatus : int {
  Success = 0,
  StartInvalid = 1,    ///< start outside limits, non-finite, or in collision
  GoalInvalid = 2,     ///< every goal outside limits / in collision / none given / IK failed
  Timeout = 3,         ///< time budget or iteration budget exhausted
  SmoothingFailed = 4, ///< a path was found but no smooth trajectory along it verified free
  InvalidInput = 5,
};

const char* to_string(PlanStatus s) noexcept;

struct PlannerOptions {
  double range = 0.6;              ///< rad: longest tree extension (L2 in joint space)
  double resolution = 0.01;        ///< rad: edge collision-check step (max-norm)
  double time_limit = 1.0;         ///< s: planning budget (RRT-Connect only)
  long max_iterations = 200000;    ///< RRT-Connect iterations
  int shortcut_iterations = 150;   ///< random shortcut attempts
  bool smooth = true;              ///< build the time-parameterised trajectory
  double velocity_scale = 1.0;     ///< fraction of the robot's velocity/acceleration/jerk limits
  double acceleration_scale = 1.0;
  double jerk_scale = 1.0;
  double verify_dt = 0.002;        ///< s: trajectory verification step (also capped so consecutive samples differ by < resolution)
  int smoothing_rounds = 12;       ///< waypoint-insertion rounds when the smoothed curve collides
  std::uint64_t seed = 0;
};

struct PlanTiming {
  double planning = 0.0;    ///< s, RRT-Connect
  double shortcutting = 0.0;
  double smoothing = 0.0;   ///< s, trajectory fitting + verification
  double total = 0.0;
};

struct PlanOutput {
  PlanStatus status = PlanStatus::InvalidInput;
  std::string message;
  std::vector<Vector7> raw_path;       ///< RRT-Connect solution, start .. goal
  std::vector<Vector7> path;           ///< after shortcutting (the waypoints of the trajectory)
  trajectory::WaypointTrajectory trajectory;  ///< valid when status == Success and smooth
  bool has_trajectory = false;
  int goal_index = -1;                 ///< which goal of the set was reached
  long iterations = 0;
  long tree_nodes = 0;
  PlanTiming timing;
  bool success() const noexcept { return status == PlanStatus::Success; }
};

/// Joint-space path length (sum of L2 norms of consecutive differences, rad).
double path_length(const std::vector<Vector7>& path) noexcept;

/// Plans from `start` to any configuration in `goals`. `ignore_id` (an object id or -1) is
/// excluded from every collision check.
void plan(const geometry::CollisionWorld& world, const Vector7& start, const std::vector<Vector7>& goals,
          const PlannerOptions& options, PlanOutput& out, int ignore_id = -1);

/// Shortcutting of a collision-free path (keeps it collision free): greedy vertex reduction,
/// `iterations` random shortcuts (each must save at least `resolution` of length), then
/// vertex reduction again. Deterministic per rng seed.
void shortcut(const geometry::CollisionWorld& world, std::vector<Vector7>& path, int iterations, double resolution,
              std::uint64_t seed, int ignore_id = -1);

/// Fits a WaypointTrajectory through `path` and verifies it (densely sampled) against the world
/// and the joint limits, inserting waypoints along the (collision-free) polyline where it fails.
/// `ignore_after_waypoint`: from that waypoint on, object `ignore_id` is excluded (the grasp
/// approach may touch the target object); -1 = never. Returns false if no round verified.
bool smooth_and_verify(const geometry::CollisionWorld& world, std::vector<Vector7>& path, const PlannerOptions& options,
                       trajectory::WaypointTrajectory& traj, int ignore_id = -1, int ignore_after_waypoint = -1,
                       std::vector<int>* waypoint_origin = nullptr);

}  // namespace graspvla::planning
