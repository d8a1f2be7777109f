#pragma once
// Rigid-body dynamics of the arm: recursive Newton-Euler (inverse dynamics, gravity) and the
// joint-space mass matrix. Allocation free; frames are the modified-DH link frames.
//
// Inertial parameters come from RobotModel::links. Defaults: Panda = example-robot-data URDF
// with the hand and fingers lumped into link7 (fingers closed); FR3 = franka_description URDF
// (franky-sim's fr3_clean.urdf), arm only, no hand. Identified parameters (e.g. Gaz et al. 2019)
// can be set per link with set_link_inertia().
#include "graspvla/robot/robot_model.hpp"

namespace graspvla::robot {

using MassMatrix = Eigen::Matrix<double, kDof, kDof>;

/// tau = M(q) ddq + C(q, dq) dq + g(q)  [Nm], no friction.
void inverse_dynamics(const RobotModel& model, const Vector7& q, const Vector7& dq, const Vector7& ddq,
                      Vector7& tau) noexcept;

/// Gravity torques g(q) [Nm] for model.gravity (base frame, m/s^2).
void gravity_torques(const RobotModel& model, const Vector7& q, Vector7& tau) noexcept;

/// Coriolis and centrifugal torques C(q, dq) dq [Nm].
void coriolis_torques(const RobotModel& model, const Vector7& q, const Vector7& dq, Vector7& tau) noexcept;

/// Joint-space inertia matrix M(q) [kg m^2], symmetric positive definite.
void mass_matrix(const RobotModel& model, const Vector7& q, MassMatrix& M) noexcept;

/// Replaces link `index` (0 = link1 ... 6 = link7) inertials: mass [kg], com [m] and inertia
/// about the com [kg m^2] in that link's frame. Returns false on invalid parameters.
bool set_link_inertia(RobotModel& model, int index, double mass, const Eigen::Vector3d& com,
                      const Eigen::Matrix3d& inertia) noexcept;

/// Rigidly attaches a load to the flange (libfranka's setLoad convention): `mass` [kg], `com`
/// [m] in the flange frame, `inertia` about the load's COM [kg m^2] in flange axes. It is
/// lumped into link7 (the flange is link7 shifted by flange_offset along z). Returns false on
/// invalid parameters (the model is then unchanged).
bool add_load(RobotModel& model, double mass, const Eigen::Vector3d& com, const Eigen::Matrix3d& inertia) noexcept;

/// The Franka Hand with both fingers closed as a flange load (mass, COM and inertia about the
/// COM in flange axes), from the inertials of example-robot-data's panda.urdf (hand 0.73 kg at
/// (-0.01, 0, 0.03) in the hand frame, two 0.015 kg fingers at z = 0.0584). RobotModel::panda()
/// already contains it; RobotModel::fr3() (franka_description arm) does not:
/// add_load(fr3, hand.mass, hand.com, hand.inertia) gives an FR3 carrying the hand.
LinkInertia franka_hand_load() noexcept;

}  // namespace graspvla::robot
