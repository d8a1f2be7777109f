#pragma once
// The collision world: obstacles (graspvla/geometry/shapes.hpp) in the robot base frame plus
// the Franka arm as spheres (graspvla/robot/collision_spheres.hpp), an optional object attached
// to the hand, and the queries the planner needs:
//   - one configuration: robot-vs-world + self (+ attached object), boolean or min distance
//   - a batch of configurations (parallel_for)
//   - a straight joint-space segment at a stated resolution
// Objects can be added, moved, enabled/disabled and removed individually; nothing else is
// rebuilt (mesh / point-cloud BVHs are built once per object, in its local frame).
// Queries are const and thread-safe; modifications must not run concurrently with queries.
#include <array>
#include <cstdint>
#include <vector>

#include "graspvla/geometry/shapes.hpp"
#include "graspvla/robot/collision_spheres.hpp"
#include "graspvla/robot/robot_model.hpp"

namespace graspvla::geometry {

using robot::Vector7;

struct Object {
  int id = -1;
  Shape shape;
  Pose pose = Pose::Identity();      ///< local -> base frame
  Pose inverse = Pose::Identity();   ///< base -> local
  Aabb world_box;                    ///< bounds in the base frame
  bool enabled = true;
};

/// A sphere rigidly attached to the hand frame (hand-frame centre, metres).
struct AttachedSphere {
  Vec3 c = Vec3::Zero();
  double r = 0.0;
};

struct CollisionOptions {
  double margin = 0.0;           ///< m: padding added to every robot sphere vs the world
  double self_margin = 0.0;      ///< m: padding for self-collision
  double gripper_width = 0.08;   ///< m: finger opening used for the finger spheres
  bool check_self = true;
};

class CollisionWorld {
 public:
  explicit CollisionWorld(const robot::RobotModel& model) : model_(model) {}

  // ---- objects -----------------------------------------------------------------------
  int add(const Shape& shape, const Pose& pose);  ///< returns the new object's id
  bool set_pose(int id, const Pose& pose);        ///< false when the id is unknown
  bool set_enabled(int id, bool enabled);
  bool remove(int id);
  void clear();
  const Object* find(int id) const noexcept;
  const std::vector<Object>& objects() const noexcept { return objects_; }

  // ---- attached object (moves with the hand) -------------------------------------------
  void attach(const std::vector<AttachedSphere>& spheres) { attached_ = spheres; }
  void detach() { attached_.clear(); }
  const std::vector<AttachedSphere>& attached() const noexcept { return attached_; }

  CollisionOptions& options() noexcept { return options_; }
  const CollisionOptions& options() const noexcept { return options_; }
  const robot::RobotModel& model() const noexcept { return model_; }

  // ---- queries (const, allocation free, thread safe) ----------------------------------
  /// Per-thread scratch memory for queries.
  struct Scratch {
    robot::Workspace ws;
    robot::SphereSet spheres;
    robot::BodyBounds bounds;
  };

  /// True when q collides with an enabled object (other than `ignore_id`), itself, or the
  /// attached object collides with the world or the arm. Non-finite q counts as a collision.
  bool in_collision(const Vector7& q, Scratch& s, int ignore_id = -1) const noexcept;
  /// Smallest signed clearance (m) over robot-world, self and attached pairs (negative =
  /// penetration; margins included). Exact over the sphere model.
  double distance(const Vector7& q, Scratch& s, int ignore_id = -1) const noexcept;
  /// True when every state on the straight segment q0 -> q1 is collision free, checked at
  /// ceil(max_i |q1_i - q0_i| / resolution) + 1 evenly spaced states (resolution in rad),
  /// in bisection order so collisions are found early. q0 itself is checked too.
  bool segment_free(const Vector7& q0, const Vector7& q1, double resolution, Scratch& s,
                    int ignore_id = -1) const noexcept;
  /// segment_free without checking q0 and q1 (for callers that already know them free, e.g.
  /// tree nodes or path vertices): the same interior states, in the same order.
  bool segment_interior_free(const Vector7& q0, const Vector7& q1, double resolution, Scratch& s,
                             int ignore_id = -1) const noexcept;

  /// Batch: hit[i] for q (n, 7 row-major), using all cores (threads = 0).
  void in_collision_batch(const double* q, std::size_t n, std::uint8_t* hit, std::size_t threads = 0,
                          int ignore_id = -1) const;
  void distance_batch(const double* q, std::size_t n, double* dist, std::size_t threads = 0, int ignore_id = -1) const;

  /// Robot spheres (arm, hand, fingers) in the base frame at q, into s.spheres.
  void robot_spheres(const Vector7& q, Scratch& s) const noexcept;

 private:
  bool spheres_hit_world(const robot::SphereSet& spheres, const robot::BodyBounds* bounds, int ignore_id) const noexcept;
  bool attached_hit(const robot::Workspace& ws, const robot::SphereSet& spheres, int ignore_id) const noexcept;

  robot::RobotModel model_;
  std::vector<Object> objects_;
  std::vector<AttachedSphere> attached_;
  CollisionOptions options_;
  int next_id_ = 0;
};

}  // namespace graspvla::geometry
