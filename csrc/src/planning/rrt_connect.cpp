#include "graspvla/planning/rrt_connect.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

namespace graspvla::planning {
namespace {

using Clock = std::chrono::steady_clock;
using geometry::CollisionWorld;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed ^ 0x9E3779B97F4A7C15ULL) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  Vector7 configuration(const Vector7& lo, const Vector7& hi) {
    Vector7 q;
    for (int i = 0; i < 7; ++i) q[i] = lo[i] + (hi[i] - lo[i]) * uniform();
    return q;
  }

 private:
  std::mt19937_64 engine_;
};

struct Tree {
  struct Node {
    Vector7 q;
    int parent;
    int root;  // goal index for goal trees
  };
  std::vector<Node> nodes;
  int nearest(const Vector7& q) const {
    int best = 0;
    double best_d = std::numeric_limits<double>::infinity();
    for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
      const double d = (nodes[i].q - q).squaredNorm();
      if (d < best_d) {
        best_d = d;
        best = i;
      }
    }
    return best;
  }
  // Root .. node
  std::vector<Vector7> branch(int i) const {
    std::vector<Vector7> out;
    for (; i >= 0; i = nodes[i].parent) out.push_back(nodes[i].q);
    std::reverse(out.begin(), out.end());
    return out;
  }
};

enum class Extend { Trapped, Advanced, Reached };

struct Context {
  const CollisionWorld& world;
  const PlannerOptions& opt;
  CollisionWorld::Scratch scratch;
  int ignore_id;
};

Extend extend(Context& ctx, Tree& tree, const Vector7& target, int& new_index) {
  const int near = tree.nearest(target);
  const Vector7& qn = tree.nodes[near].q;
  Vector7 d = target - qn;
  const double len = d.norm();
  Extend result = Extend::Reached;
  Vector7 q_new = target;
  if (len > ctx.opt.range) {
    q_new = qn + d * (ctx.opt.range / len);
    result = Extend::Advanced;
  }
  if (len < 1e-12) {
    new_index = near;
    return Extend::Reached;
  }
  // qn is a tree node, checked when it was added.
  if (ctx.world.in_collision(q_new, ctx.scratch, ctx.ignore_id) ||
      !ctx.world.segment_interior_free(qn, q_new, ctx.opt.resolution, ctx.scratch, ctx.ignore_id)) {
    return Extend::Trapped;
  }
  tree.nodes.push_back({q_new, near, tree.nodes[near].root});
  new_index = static_cast<int>(tree.nodes.size()) - 1;
  return result;
}

Extend connect(Context& ctx, Tree& tree, const Vector7& target, int& new_index) {
  for (;;) {
    const Extend e = extend(ctx, tree, target, new_index);
    if (e != Extend::Advanced) return e;
  }
}

void dedupe(std::vector<Vector7>& path) {
  std::vector<Vector7> out;
  for (const Vector7& q : path) {
    if (out.empty() || (q - out.back()).cwiseAbs().maxCoeff() > 1e-9) out.push_back(q);
  }
  path.swap(out);
}

}  // namespace

const char* to_string(PlanStatus s) noexcept {
  switch (s) {
    case PlanStatus::Success: return "success";
    case PlanStatus::StartInvalid: return "start invalid";
    case PlanStatus::GoalInvalid: return "goal invalid";
    case PlanStatus::Timeout: return "timeout";
    case PlanStatus::SmoothingFailed: return "smoothing failed";
    case PlanStatus::InvalidInput: return "invalid input";
  }
  return "unknown";
}

double path_length(const std::vector<Vector7>& path) noexcept {
  double L = 0;
  for (std::size_t i = 1; i < path.size(); ++i) L += (path[i] - path[i - 1]).norm();
  return L;
}

void shortcut(const CollisionWorld& world, std::vector<Vector7>& path, int iterations, double resolution,
              std::uint64_t seed, int ignore_id) {
  dedupe(path);
  if (path.size() < 3) return;
  Rng rng(seed + 0x51u);
  CollisionWorld::Scratch s;
  // Greedy vertex reduction: connect each vertex to the farthest reachable later vertex. Cheap
  // (failed edges stop early in bisection order) and it removes most RRT detours before the
  // random shortcuts, which then start from a short path.
  auto reduce_vertices = [&] {
    std::vector<Vector7> out{path.front()};
    std::size_t i = 0;
    while (i + 1 < path.size()) {
      std::size_t j = path.size() - 1;
      // Path vertices are free (endpoints of checked edges): only the interior needs checking.
      while (j > i + 1 && !world.segment_interior_free(path[i], path[j], resolution, s, ignore_id)) --j;
      out.push_back(path[j]);
      i = j;
    }
    path.swap(out);
  };
  reduce_vertices();
  // A successful shortcut costs a full edge check; about half of them used to save < 1 mrad
  // (points on nearly collinear pieces left by earlier cuts). Require one check step of length:
  // finer gains are below the resolution the path is verified at anyway.
  const double min_gain = resolution;
  for (int it = 0; it < iterations && path.size() >= 3; ++it) {
    // Cumulative arc length
    std::vector<double> cum(path.size(), 0.0);
    for (std::size_t i = 1; i < path.size(); ++i) cum[i] = cum[i - 1] + (path[i] - path[i - 1]).norm();
    const double L = cum.back();
    if (L <= 0) break;
    double a = rng.uniform() * L, b = rng.uniform() * L;
    if (a > b) std::swap(a, b);
    const auto ia = static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), a) - cum.begin()) - 1;
    const auto ib = static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), b) - cum.begin()) - 1;
    auto point = [&](std::size_t i, double s_) {
      if (i + 1 >= path.size()) return path.back();
      const double seg = cum[i + 1] - cum[i];
      const double t = seg > 0 ? (s_ - cum[i]) / seg : 0.0;
      return Vector7(path[i] + (path[i + 1] - path[i]) * t);
    };
    const Vector7 qa = point(ia, a), qb = point(ib, b);
    if (ib <= ia) continue;  // same segment: nothing to remove
    const double old_len = (path[ia + 1] - qa).norm() + (cum[ib] - cum[ia + 1]) + (qb - path[ib]).norm();
    if ((qb - qa).norm() > old_len - min_gain) continue;
    if (!world.segment_free(qa, qb, resolution, s, ignore_id)) continue;
    std::vector<Vector7> next(path.begin(), path.begin() + static_cast<long>(ia) + 1);
    next.push_back(qa);
    next.push_back(qb);
    next.insert(next.end(), path.begin() + static_cast<long>(ib) + 1, path.end());
    path.swap(next);
    dedupe(path);
  }
  // Final pass: vertices the random cuts made redundant.
  if (path.size() >= 3) reduce_vertices();
}

bool smooth_and_verify(const CollisionWorld& world, std::vector<Vector7>& path, const PlannerOptions& opt,
                       trajectory::WaypointTrajectory& traj, int ignore_id, int ignore_after_waypoint,
                       std::vector<int>* waypoint_origin) {
  const robot::RobotModel& model = world.model();
  const Eigen::VectorXd v = model.limits.dq_max * opt.velocity_scale;
  const Eigen::VectorXd a = model.limits.ddq_max * opt.acceleration_scale;
  const Eigen::VectorXd j = model.limits.dddq_max * opt.jerk_scale;
  // origin[k]: index in the caller's original path of the waypoint at or before k (for ignore rules)
  std::vector<int> origin(path.size());
  for (std::size_t k = 0; k < path.size(); ++k) origin[k] = static_cast<int>(k);
  CollisionWorld::Scratch s;
  const double dt = std::min(opt.verify_dt, opt.resolution / v.maxCoeff());
  Vector7 p, dp, ddp;
  for (int round = 0; round <= opt.smoothing_rounds; ++round) {
    trajectory::WaypointTrajectory::RowMatrix W(path.size(), 7);
    for (std::size_t k = 0; k < path.size(); ++k) W.row(static_cast<long>(k)) = path[k].transpose();
    if (path.size() < 2) {
      W.conservativeResize(2, 7);
      W.row(1) = W.row(0);
    }
    if (traj.build(W, v, a, j) != Status::Ok) return false;
    const auto& knots = traj.knot_times();
    if (knots.size() != std::max<std::size_t>(path.size(), 2)) return false;  // path must be deduplicated
    std::vector<char> bad(path.size(), 0);
    bool any_bad = false;
    const double T = traj.duration();
    const long n = static_cast<long>(std::ceil(T / dt));
    std::size_t seg = 0;
    for (long i = 0; i <= n; ++i) {
      const double t = std::min(T, i * dt);
      while (seg + 2 < knots.size() && t >= knots[seg + 1]) ++seg;
      if (bad[seg]) continue;
      traj.at(t, p.data(), dp.data(), ddp.data());
      const bool ignore = ignore_after_waypoint >= 0 && origin[seg] >= ignore_after_waypoint;
      if (!robot::within_limits(model, p) || world.in_collision(p, s, ignore ? ignore_id : -1)) {
        bad[seg] = 1;
        any_bad = true;
      }
    }
    if (!any_bad) {
      if (waypoint_origin) *waypoint_origin = origin;
      return true;
    }
    if (round == opt.smoothing_rounds) break;
    // Insert the midpoint of each failing polyline segment (the polyline itself is free), and
    // of its neighbours, so the curve hugs the polyline more tightly there.
    std::vector<char> split(path.size(), 0);
    for (std::size_t k = 0; k + 1 < path.size(); ++k) {
      if (!bad[k]) continue;
      split[k] = 1;
      if (k > 0) split[k - 1] = 1;
      if (k + 2 < path.size()) split[k + 1] = 1;
    }
    std::vector<Vector7> next;
    std::vector<int> next_origin;
    for (std::size_t k = 0; k < path.size(); ++k) {
      next.push_back(path[k]);
      next_origin.push_back(origin[k]);
      if (k + 1 < path.size() && split[k]) {
        next.push_back(0.5 * (path[k] + path[k + 1]));
        next_origin.push_back(origin[k]);
      }
    }
    path.swap(next);
    origin.swap(next_origin);
  }
  return false;
}

void plan(const CollisionWorld& world, const Vector7& start, const std::vector<Vector7>& goals,
          const PlannerOptions& opt, PlanOutput& out, int ignore_id) {
  const auto t0 = Clock::now();
  out = PlanOutput{};
  const robot::RobotModel& model = world.model();
  Context ctx{world, opt, {}, ignore_id};
  auto fail = [&](PlanStatus st, std::string msg) {
    out.status = st;
    out.message = std::move(msg);
    out.timing.total = seconds_since(t0);
  };
  if (!(opt.range > 0) || !(opt.resolution > 0) || !(opt.time_limit >= 0) || opt.max_iterations < 0) {
    return fail(PlanStatus::InvalidInput, "options: range and resolution must be > 0, time_limit >= 0");
  }
  if (!start.allFinite()) return fail(PlanStatus::StartInvalid, "start: contains NaN or infinite values");
  if (!robot::within_limits(model, start)) return fail(PlanStatus::StartInvalid, "start: outside the joint limits");
  if (world.in_collision(start, ctx.scratch, ignore_id)) return fail(PlanStatus::StartInvalid, "start: in collision");
  Tree goal_tree;
  int n_outside = 0, n_collide = 0;
  for (std::size_t g = 0; g < goals.size(); ++g) {
    if (!goals[g].allFinite() || !robot::within_limits(model, goals[g])) {
      ++n_outside;
      continue;
    }
    if (world.in_collision(goals[g], ctx.scratch, ignore_id)) {
      ++n_collide;
      continue;
    }
    goal_tree.nodes.push_back({goals[g], -1, static_cast<int>(g)});
  }
  if (goal_tree.nodes.empty()) {
    return fail(PlanStatus::GoalInvalid, goals.empty() ? "goals: none given"
                                                       : "goals: all " + std::to_string(goals.size()) + " goals invalid (" +
                                                             std::to_string(n_outside) + " outside limits or non-finite, " +
                                                             std::to_string(n_collide) + " in collision)");
  }
  std::vector<Vector7> solution;
  // Direct connection to the nearest goals first (cheap and common in open scenes).
  {
    std::vector<int> order(goal_tree.nodes.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return (goal_tree.nodes[a].q - start).squaredNorm() < (goal_tree.nodes[b].q - start).squaredNorm();
    });
    for (int i : order) {
      if (world.segment_free(start, goal_tree.nodes[i].q, opt.resolution, ctx.scratch, ignore_id)) {
        solution = {start, goal_tree.nodes[i].q};
        out.goal_index = goal_tree.nodes[i].root;
        break;
      }
    }
  }
  if (solution.empty()) {
    Tree start_tree;
    start_tree.nodes.push_back({start, -1, -1});
    Rng rng(opt.seed);
    Tree* A = &start_tree;
    Tree* B = &goal_tree;
    const Vector7 lo = model.limits.q_min, hi = model.limits.q_max;
    for (long it = 0; it < opt.max_iterations; ++it) {
      out.iterations = it + 1;
      if ((it & 15) == 0 && seconds_since(t0) > opt.time_limit) break;
      const Vector7 q_rand = rng.configuration(lo, hi);
      int a_new = -1;
      if (extend(ctx, *A, q_rand, a_new) != Extend::Trapped) {
        int b_new = -1;
        if (connect(ctx, *B, A->nodes[a_new].q, b_new) == Extend::Reached) {
          std::vector<Vector7> pa = A->branch(a_new), pb = B->branch(b_new);
          std::reverse(pb.begin(), pb.end());  // connection .. root
          if (A == &goal_tree) {
            std::swap(pa, pb);
            std::reverse(pa.begin(), pa.end());
            std::reverse(pb.begin(), pb.end());
          }
          // pa: start .. connection, pb: connection .. goal root
          solution = pa;
          solution.insert(solution.end(), pb.begin() + 1, pb.end());
          out.goal_index = (A == &goal_tree ? A->nodes[a_new].root : B->nodes[b_new].root);
          break;
        }
      }
      std::swap(A, B);
    }
    out.tree_nodes = static_cast<long>(start_tree.nodes.size() + goal_tree.nodes.size());
  }
  out.timing.planning = seconds_since(t0);
  if (solution.empty()) {
    return fail(PlanStatus::Timeout, "no path found within " + std::to_string(out.iterations) + " iterations / " +
                                         std::to_string(opt.time_limit) + " s");
  }
  dedupe(solution);
  out.raw_path = solution;
  const auto t1 = Clock::now();
  out.path = solution;
  shortcut(world, out.path, opt.shortcut_iterations, opt.resolution, opt.seed, ignore_id);
  out.timing.shortcutting = seconds_since(t1);
  if (opt.smooth) {
    const auto t2 = Clock::now();
    std::vector<Vector7> waypoints = out.path;
    out.has_trajectory = smooth_and_verify(world, waypoints, opt, out.trajectory, ignore_id);
    out.timing.smoothing = seconds_since(t2);
    if (!out.has_trajectory) {
      return fail(PlanStatus::SmoothingFailed, "path found, but no smoothed trajectory along it verified collision free");
    }
    out.path = waypoints;
  }
  out.status = PlanStatus::Success;
  out.message = "success";
  out.timing.total = seconds_since(t0);
}

}  // namespace graspvla::planning
