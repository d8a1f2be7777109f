#include "graspvla/planning/grasp_motion.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "graspvla/robot/ik.hpp"
#include "graspvla/robot/ik_analytic.hpp"

namespace graspvla::planning {
namespace {
using Clock = std::chrono::steady_clock;
using geometry::CollisionWorld;
}  // namespace

bool cartesian_path(const CollisionWorld& world, const Vector7& q0, const Eigen::Vector3d& offset, double step,
                    double max_joint_step, double resolution, int ignore_id, std::vector<Vector7>& out) {
  const robot::RobotModel& model = world.model();
  robot::Workspace ws;
  robot::forward_kinematics(model, q0, ws);
  const robot::Transform T0 = ws.frames[robot::Tcp];
  const int n = std::max(1, static_cast<int>(std::ceil(offset.norm() / step)));
  robot::IkOptions opt;
  opt.frame = robot::Tcp;
  opt.restarts = 0;
  opt.max_iterations = 60;
  opt.tol_position = 1e-5;
  opt.tol_orientation = 1e-4;
  opt.posture_gain = 0.0;
  CollisionWorld::Scratch s;
  Vector7 q = q0;
  for (int k = 1; k <= n; ++k) {
    robot::Transform target = T0;
    target.translation() += offset * (static_cast<double>(k) / n);
    robot::IkResult res;
    robot::ik_dls(model, target, q, opt, ws, res);
    if (!res.success()) return false;
    if ((res.q - q).cwiseAbs().maxCoeff() > max_joint_step) return false;
    if (!world.segment_free(q, res.q, resolution, s, ignore_id)) return false;
    q = res.q;
    out.push_back(q);
  }
  return true;
}

void plan_grasp(const CollisionWorld& world, const Vector7& start, const GraspRequest& req, const PlannerOptions& opt,
                GraspPlanOutput& out) {
  const auto t0 = Clock::now();
  out = GraspPlanOutput{};
  auto finish = [&](PlanStatus st, std::string msg) {
    out.status = st;
    out.message = std::move(msg);
    out.total_time = std::chrono::duration<double>(Clock::now() - t0).count();
  };
  const robot::RobotModel& model = world.model();
  if (!(req.pregrasp_distance >= 0) || !(req.lift_height >= 0) || !(req.cartesian_step > 0) || req.q7_samples < 1 ||
      req.max_goals < 1 || !req.grasp.matrix().allFinite()) {
    return finish(PlanStatus::InvalidInput, "request: distances must be >= 0, cartesian_step > 0, grasp finite");
  }
  CollisionWorld::Scratch s;
  if (!start.allFinite() || !robot::within_limits(model, start)) {
    return finish(PlanStatus::StartInvalid, "start: outside the joint limits or non-finite");
  }
  if (world.in_collision(start, s)) return finish(PlanStatus::StartInvalid, "start: in collision");

  const Eigen::Vector3d approach_axis = req.grasp.linear().col(2);
  robot::Transform pregrasp = req.grasp;
  pregrasp.translation() -= approach_axis * req.pregrasp_distance;

  // Goal set: closed-form IK over sampled q7, kept when collision free (target included: the
  // pre-grasp must clear it) and when the approach and lift are feasible from it.
  struct Candidate {
    Vector7 q;
    double dist;
  };
  std::vector<Candidate> candidates;
  robot::AnalyticSolutions sols;
  const double lo = model.limits.q_min[6], hi = model.limits.q_max[6];
  for (int k = 0; k < req.q7_samples; ++k) {
    const double q7 = req.q7_samples == 1 ? 0.5 * (lo + hi) : lo + (hi - lo) * (k + 0.5) / req.q7_samples;
    const int n = robot::ik_analytic(model, pregrasp, q7, robot::Tcp, sols);
    for (int i = 0; i < n; ++i) {
      if (world.in_collision(sols[i], s)) continue;
      candidates.push_back({sols[i], (sols[i] - start).norm()});
    }
  }
  // Fallback (e.g. a pose the closed form misses at these q7 samples): DLS from the start.
  if (candidates.empty()) {
    robot::IkOptions ik;
    ik.restarts = 16;
    ik.seed = opt.seed;
    robot::Workspace ws;
    robot::IkResult res;
    robot::ik_dls(model, pregrasp, start, ik, ws, res);
    if (res.success() && !world.in_collision(res.q, s)) candidates.push_back({res.q, (res.q - start).norm()});
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.dist < b.dist; });
  std::vector<Vector7> goals;
  std::vector<std::vector<Vector7>> approaches, lifts;
  for (const Candidate& c : candidates) {
    if (static_cast<int>(goals.size()) >= req.max_goals) break;
    std::vector<Vector7> approach, lift;
    if (!cartesian_path(world, c.q, approach_axis * req.pregrasp_distance, req.cartesian_step, req.max_joint_step,
                        opt.resolution, req.target_id, approach)) {
      continue;
    }
    const Vector7 q_grasp = approach.empty() ? c.q : approach.back();
    if (req.lift_height > 0 &&
        !cartesian_path(world, q_grasp, Eigen::Vector3d(0, 0, req.lift_height), req.cartesian_step,
                        req.max_joint_step, opt.resolution, req.target_id, lift)) {
      continue;
    }
    goals.push_back(c.q);
    approaches.push_back(std::move(approach));
    lifts.push_back(std::move(lift));
  }
  out.num_goals = static_cast<int>(goals.size());
  if (goals.empty()) {
    return finish(PlanStatus::GoalInvalid,
                  candidates.empty() ? "goal unreachable: no collision-free IK solution of the pre-grasp"
                                     : "goal unreachable: no pre-grasp IK solution has a feasible straight approach and lift");
  }

  PlannerOptions popt = opt;
  popt.smooth = false;
  plan(world, start, goals, popt, out.motion);
  if (!out.motion.success()) return finish(out.motion.status, out.motion.message);
  const int g = out.motion.goal_index;

  out.approach_path = out.motion.path;
  out.pregrasp_index = static_cast<int>(out.approach_path.size()) - 1;
  out.approach_path.insert(out.approach_path.end(), approaches[g].begin(), approaches[g].end());
  if (opt.smooth) {
    std::vector<Vector7> wp = out.approach_path;
    std::vector<int> origin;
    if (!smooth_and_verify(world, wp, opt, out.approach, req.target_id, out.pregrasp_index, &origin)) {
      return finish(PlanStatus::SmoothingFailed, "approach: no smoothed trajectory verified collision free");
    }
    out.approach_path = wp;
    for (std::size_t k = 0; k < origin.size(); ++k) {
      if (origin[k] == out.pregrasp_index) {
        out.pregrasp_index = static_cast<int>(k);
        break;
      }
    }
  }
  if (req.lift_height > 0) {
    out.lift_path.push_back(out.approach_path.back());
    out.lift_path.insert(out.lift_path.end(), lifts[g].begin(), lifts[g].end());
    if (opt.smooth) {
      std::vector<Vector7> wp = out.lift_path;
      if (!smooth_and_verify(world, wp, opt, out.lift, req.target_id, 0)) {
        return finish(PlanStatus::SmoothingFailed, "lift: no smoothed trajectory verified collision free");
      }
      out.lift_path = wp;
      out.has_lift = true;
    }
  }
  finish(PlanStatus::Success, "success");
}

}  // namespace graspvla::planning
