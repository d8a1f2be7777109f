#pragma once
// Grasp motion: start -> pre-grasp (planned, collision free) -> straight Cartesian approach to
// the grasp, as ONE smooth trajectory that does not stop at the pre-grasp; then a straight lift.
//
// The pre-grasp is the grasp's TCP pose moved `pregrasp_distance` back along the approach axis
// (the TCP's +z, pointing from the hand towards the object). Its goal set comes from the
// closed-form IK (robot/ik_analytic.hpp) over sampled q7 values, filtered for collision, each
// with a feasible Cartesian approach (DLS IK, robot/ik.hpp, continued step by step).
// During approach and lift the target object (`target_id`) is excluded from collision checks.
#include <vector>

#include "graspvla/planning/rrt_connect.hpp"

namespace graspvla::planning {

struct GraspRequest {
  robot::Transform grasp = robot::Transform::Identity();  ///< TCP pose at the grasp, base frame
  double pregrasp_distance = 0.10;  ///< m, back along the TCP's z axis
  double lift_height = 0.10;        ///< m, along the base +z axis (0 = no lift)
  double cartesian_step = 0.01;     ///< m between Cartesian waypoints
  int target_id = -1;               ///< object ignored during approach and lift (-1: none)
  int q7_samples = 16;              ///< analytic-IK q7 samples for the pre-grasp goal set
  int max_goals = 8;                ///< goals kept (closest to the start first)
  double max_joint_step = 0.25;     ///< rad: larger IK jumps between Cartesian waypoints fail
};

struct GraspPlanOutput {
  PlanStatus status = PlanStatus::InvalidInput;
  std::string message;
  PlanOutput motion;                       ///< the start -> pre-grasp plan (its path, timing)
  std::vector<Vector7> approach_path;      ///< waypoints start .. pre-grasp .. grasp
  int pregrasp_index = -1;                 ///< index of the pre-grasp in approach_path
  trajectory::WaypointTrajectory approach; ///< one trajectory through approach_path
  std::vector<Vector7> lift_path;          ///< grasp .. lifted
  trajectory::WaypointTrajectory lift;
  bool has_lift = false;
  int num_goals = 0;                       ///< valid pre-grasp IK solutions found
  double total_time = 0.0;                 ///< s
  bool success() const noexcept { return status == PlanStatus::Success; }
};

/// Straight-line TCP motion from the pose at q0 by `offset` (base frame, m), orientation kept.
/// Appends the joint waypoints (excluding q0) to `out`; false when IK fails, jumps, or a state
/// collides (object `ignore_id` excluded).
bool cartesian_path(const geometry::CollisionWorld& world, const Vector7& q0, const Eigen::Vector3d& offset, double step,
                    double max_joint_step, double resolution, int ignore_id, std::vector<Vector7>& out);

void plan_grasp(const geometry::CollisionWorld& world, const Vector7& start, const GraspRequest& request,
                const PlannerOptions& options, GraspPlanOutput& out);

}  // namespace graspvla::planning
