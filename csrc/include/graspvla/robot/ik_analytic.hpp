#pragma once
// Closed-form inverse kinematics of the Franka arm with the 7th joint angle as the free
// parameter (the geometric approach of He & Liu, 2021): for a target pose and q7, the wrist
// point is fixed, |shoulder - wrist| gives q4, the swivel of the elbow plane is fixed by the
// wrist axis, and the remaining angles follow from rotations. Up to 8 solutions.
#include <array>

#include "graspvla/robot/robot_model.hpp"

namespace graspvla::robot {

constexpr int kMaxAnalyticSolutions = 8;
using AnalyticSolutions = std::array<Vector7, kMaxAnalyticSolutions>;

/// All configurations with joint 7 = q7 that place `frame` (Flange, Hand or Tcp) at `target`
/// (base frame), inside the joint limits, each verified by forward kinematics to 1e-9. Returns
/// the number of solutions written to `out` (0: unreachable for this q7 or outside limits;
/// -1: invalid input). Allocation free.
int ik_analytic(const RobotModel& model, const Transform& target, double q7, Frame frame,
                AnalyticSolutions& out) noexcept;

}  // namespace graspvla::robot
