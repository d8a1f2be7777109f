#pragma once
// The arm and hand as a set of spheres, for fast collision checks by the planner and the
// grasp checker, and self-collision between non-adjacent links.
//
// Spheres were fitted to franka_description's collision meshes (scripts/fit_collision_spheres.py)
// and enclose every sampled surface point plus a 4 mm margin. The fingers are added as spheres
// along the finger pads at the commanded opening width.
#include <array>

#include "graspvla/robot/robot_model.hpp"

namespace graspvla::robot {

/// Body each sphere belongs to: link1..link7 = 0..6, hand = 7, left finger = 8, right finger = 9.
enum Body : int { kBodyHand = 7, kBodyLeftFinger = 8, kBodyRightFinger = 9, kNumBodies = 10 };

constexpr int kNumArmSpheres = 34;
constexpr int kSpheresPerFinger = 3;
constexpr int kNumSpheres = kNumArmSpheres + 2 * kSpheresPerFinger;

struct Sphere {
  int body;           ///< Body index
  Eigen::Vector3d c;  ///< centre in the base frame (m)
  double r;           ///< radius (m)
};

using SphereSet = std::array<Sphere, kNumSpheres>;

/// Sphere centres in the base frame for the frames in ws (call forward_kinematics first) and a
/// gripper opening `width` in [0, gripper_max_width] (m).
void collision_spheres(const RobotModel& model, const Workspace& ws, double width, SphereSet& out) noexcept;

/// Whether self-collision between bodies a and b is checked (non-adjacent and not
/// permanently overlapping by construction).
bool self_collision_pair_enabled(int a, int b) noexcept;

/// Smallest signed distance (m) between spheres of enabled body pairs (negative = penetration).
double self_collision_distance(const SphereSet& spheres) noexcept;

/// True when any enabled pair of spheres overlaps by more than `margin` (m, >= 0 is stricter).
bool in_self_collision(const SphereSet& spheres, double margin = 0.0) noexcept;

/// Axis-aligned box around each body's spheres and the range of spheres of each body: the
/// broad phase of the self-collision and world checks (a body whose box is farther than a
/// margin from something cannot have a sphere within that margin of it).
struct BodyBounds {
  std::array<Eigen::Array3d, kNumBodies> lo, hi;
  std::array<int, kNumBodies> begin{}, end{};  ///< spheres [begin, end) belong to the body
};

/// Fills `out` from `spheres` (grouped by body, as collision_spheres() writes them); false, and
/// `out` unusable, when they are not grouped or a body index is out of range.
bool body_bounds(const SphereSet& spheres, BodyBounds& out) noexcept;

/// Whether boxes [lo_a, hi_a] and [lo_b, hi_b], grown by `grow`, overlap. Scalar with early
/// exit: most body pairs are separated along the first axis tested.
inline bool boxes_overlap(const Eigen::Array3d& lo_a, const Eigen::Array3d& hi_a, const Eigen::Array3d& lo_b,
                          const Eigen::Array3d& hi_b, double grow) noexcept {
  for (int k = 0; k < 3; ++k) {
    if (lo_a[k] - grow > hi_b[k] || lo_b[k] - grow > hi_a[k]) return false;
  }
  return true;
}

/// in_self_collision with bounds from body_bounds() on the same spheres.
bool in_self_collision(const SphereSet& spheres, const BodyBounds& bounds, double margin) noexcept;

}  // namespace graspvla::robot
