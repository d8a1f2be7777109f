#include "graspvla/geometry/collision_world.hpp"

#include <algorithm>
#include <cmath>

#include "graspvla/core/parallel.hpp"

namespace graspvla::geometry {
namespace {

Aabb transformed_box(const Aabb& local, const Pose& pose) {
  Aabb out;
  if (!(local.lo.array() <= local.hi.array()).all()) return out;
  for (int i = 0; i < 8; ++i) {
    const Vec3 corner((i & 1) ? local.hi.x() : local.lo.x(), (i & 2) ? local.hi.y() : local.lo.y(),
                      (i & 4) ? local.hi.z() : local.lo.z());
    out.grow(pose * corner);
  }
  return out;
}

// Arm bodies the attached object is checked against: link1..link5 (the wrist, hand and
// fingers hold it).
constexpr int kAttachedCheckedBodies = 5;

}  // namespace

int CollisionWorld::add(const Shape& shape, const Pose& pose) {
  Object o;
  o.id = next_id_++;
  o.shape = shape;
  objects_.push_back(o);
  set_pose(o.id, pose);
  return o.id;
}

bool CollisionWorld::set_pose(int id, const Pose& pose) {
  for (Object& o : objects_) {
    if (o.id != id) continue;
    o.pose = pose;
    o.inverse = pose.inverse();
    o.world_box = transformed_box(o.shape.local_bounds(), pose);
    return true;
  }
  return false;
}

bool CollisionWorld::set_enabled(int id, bool enabled) {
  for (Object& o : objects_) {
    if (o.id == id) {
      o.enabled = enabled;
      return true;
    }
  }
  return false;
}

bool CollisionWorld::remove(int id) {
  const auto it = std::find_if(objects_.begin(), objects_.end(), [id](const Object& o) { return o.id == id; });
  if (it == objects_.end()) return false;
  objects_.erase(it);
  return true;
}

void CollisionWorld::clear() { objects_.clear(); }

const Object* CollisionWorld::find(int id) const noexcept {
  for (const Object& o : objects_) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

void CollisionWorld::robot_spheres(const Vector7& q, Scratch& s) const noexcept {
  robot::forward_kinematics(model_, q, s.ws);
  robot::collision_spheres(model_, s.ws, options_.gripper_width, s.spheres);
}

bool CollisionWorld::spheres_hit_world(const robot::SphereSet& spheres, const robot::BodyBounds* bounds,
                                       int ignore_id) const noexcept {
  auto sphere_hits = [&](const Object& o, const robot::Sphere& sp) {
    const double r = sp.r + options_.margin;
    if (o.world_box.squared_distance(sp.c) >= r * r) return false;
    return o.shape.distance(o.inverse * sp.c, r) < r;
  };
  // Loop objects outermost: each object's box rejects most bodies (and then most spheres)
  // with a few compares. A sphere within `margin` of the object's box lies in a body box that,
  // grown by the margin (+ slack for rounding), overlaps it, so the body test prunes nothing
  // the sphere test would keep.
  const double grow = std::max(options_.margin, 0.0) + 1e-9;
  for (const Object& o : objects_) {
    if (!o.enabled || o.id == ignore_id) continue;
    if (bounds == nullptr || !(options_.margin >= 0)) {
      for (const robot::Sphere& sp : spheres) {
        if (sphere_hits(o, sp)) return true;
      }
      continue;
    }
    const Eigen::Array3d lo = o.world_box.lo.array(), hi = o.world_box.hi.array();
    for (int b = 0; b < robot::kNumBodies; ++b) {
      if (bounds->begin[b] == bounds->end[b] || !robot::boxes_overlap(bounds->lo[b], bounds->hi[b], lo, hi, grow)) continue;
      for (int k = bounds->begin[b]; k < bounds->end[b]; ++k) {
        if (sphere_hits(o, spheres[k])) return true;
      }
    }
  }
  return false;
}

bool CollisionWorld::attached_hit(const robot::Workspace& ws, const robot::SphereSet& spheres,
                                  int ignore_id) const noexcept {
  const Pose& hand = ws.frames[robot::Hand];
  for (const AttachedSphere& a : attached_) {
    const Vec3 c = hand * a.c;
    const double r = a.r + options_.margin;
    for (const Object& o : objects_) {
      if (!o.enabled || o.id == ignore_id) continue;
      if (o.world_box.squared_distance(c) >= r * r) continue;
      if (o.shape.distance(o.inverse * c, r) < r) return true;
    }
    for (const robot::Sphere& sp : spheres) {
      if (sp.body >= kAttachedCheckedBodies) continue;
      const double rr = a.r + sp.r + options_.self_margin;
      if ((sp.c - c).squaredNorm() < rr * rr) return true;
    }
  }
  return false;
}

bool CollisionWorld::in_collision(const Vector7& q, Scratch& s, int ignore_id) const noexcept {
  if (!q.allFinite()) return true;
  robot_spheres(q, s);
  const bool have_bounds = robot::body_bounds(s.spheres, s.bounds);
  if (spheres_hit_world(s.spheres, have_bounds ? &s.bounds : nullptr, ignore_id)) return true;
  if (options_.check_self && (have_bounds ? robot::in_self_collision(s.spheres, s.bounds, options_.self_margin)
                                          : robot::in_self_collision(s.spheres, options_.self_margin))) {
    return true;
  }
  if (!attached_.empty() && attached_hit(s.ws, s.spheres, ignore_id)) return true;
  return false;
}

double CollisionWorld::distance(const Vector7& q, Scratch& s, int ignore_id) const noexcept {
  if (!q.allFinite()) return -std::numeric_limits<double>::infinity();
  robot_spheres(q, s);
  double best = std::numeric_limits<double>::infinity();
  auto world_clearance = [&](const Vec3& c, double r) {
    for (const Object& o : objects_) {
      if (!o.enabled || o.id == ignore_id) continue;
      // An object whose box is farther than the current best cannot improve it.
      const double box_sq = o.world_box.squared_distance(c);
      if (std::isfinite(best) && box_sq > (best + r) * (best + r) && best + r > 0) continue;
      const double bound = best + r > 0 ? best + r : std::numeric_limits<double>::infinity();
      best = std::min(best, o.shape.distance(o.inverse * c, bound) - r);
    }
  };
  for (const robot::Sphere& sp : s.spheres) world_clearance(sp.c, sp.r + options_.margin);
  if (options_.check_self) best = std::min(best, robot::self_collision_distance(s.spheres) - options_.self_margin);
  const Pose& hand = s.ws.frames[robot::Hand];
  for (const AttachedSphere& a : attached_) {
    const Vec3 c = hand * a.c;
    world_clearance(c, a.r + options_.margin);
    for (const robot::Sphere& sp : s.spheres) {
      if (sp.body >= kAttachedCheckedBodies) continue;
      best = std::min(best, (sp.c - c).norm() - a.r - sp.r - options_.self_margin);
    }
  }
  return best;
}

bool CollisionWorld::segment_free(const Vector7& q0, const Vector7& q1, double resolution, Scratch& s,
                                  int ignore_id) const noexcept {
  if (!(resolution > 0) || !q0.allFinite() || !q1.allFinite()) return false;
  if (in_collision(q0, s, ignore_id) || in_collision(q1, s, ignore_id)) return false;
  return segment_interior_free(q0, q1, resolution, s, ignore_id);
}

bool CollisionWorld::segment_interior_free(const Vector7& q0, const Vector7& q1, double resolution, Scratch& s,
                                           int ignore_id) const noexcept {
  if (!(resolution > 0) || !q0.allFinite() || !q1.allFinite()) return false;
  const Vector7 d = q1 - q0;
  const long n = std::max(1L, static_cast<long>(std::ceil(d.cwiseAbs().maxCoeff() / resolution)));
  // Bisection order: every k in 1..n-1 is an odd multiple of exactly one power of two.
  long stride = 1;
  while (stride * 2 < n) stride *= 2;
  for (; stride >= 1; stride /= 2) {
    for (long k = stride; k < n; k += 2 * stride) {
      if (in_collision(q0 + d * (static_cast<double>(k) / n), s, ignore_id)) return false;
    }
  }
  return true;
}

void CollisionWorld::in_collision_batch(const double* q, std::size_t n, std::uint8_t* hit, std::size_t threads,
                                        int ignore_id) const {
  parallel_for(
      n,
      [&](std::size_t b, std::size_t e) {
        Scratch s;
        for (std::size_t i = b; i < e; ++i) hit[i] = in_collision(Eigen::Map<const Vector7>(q + 7 * i), s, ignore_id);
      },
      threads);
}

void CollisionWorld::distance_batch(const double* q, std::size_t n, double* dist, std::size_t threads,
                                    int ignore_id) const {
  parallel_for(
      n,
      [&](std::size_t b, std::size_t e) {
        Scratch s;
        for (std::size_t i = b; i < e; ++i) dist[i] = distance(Eigen::Map<const Vector7>(q + 7 * i), s, ignore_id);
      },
      threads);
}

}  // namespace graspvla::geometry
