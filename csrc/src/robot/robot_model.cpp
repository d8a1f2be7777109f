#include "graspvla/robot/robot_model.hpp"

#include <cmath>

namespace graspvla::robot {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Craig DH table shared by Panda and FR3 (Franka documentation).
constexpr std::array<DHParam, kDof> kFrankaDH{{
    {0.0, 0.333, 0.0},
    {0.0, 0.0, -kPi / 2},
    {0.0, 0.316, kPi / 2},
    {0.0825, 0.0, kPi / 2},
    {-0.0825, 0.384, -kPi / 2},
    {0.0, 0.0, kPi / 2},
    {0.088, 0.0, kPi / 2},
}};

Vector7 v7(double a, double b, double c, double d, double e, double f, double g) {
  Vector7 v;
  v << a, b, c, d, e, f, g;
  return v;
}

}  // namespace

RobotModel RobotModel::panda(double finger_extension) {
  RobotModel m;
  m.type = RobotType::Panda;
  m.dh = kFrankaDH;
  m.finger_extension = finger_extension;
  m.tcp_offset = 0.1034 + finger_extension;
  auto& L = m.limits;
  L.q_max = v7(2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973);
  L.q_min = v7(-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973);
  L.dq_max = v7(2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61);
  L.ddq_max = v7(15, 7.5, 10, 12.5, 15, 20, 20);
  L.dddq_max = v7(7500, 3750, 5000, 6250, 7500, 10000, 10000);
  L.tau_max = v7(87, 87, 87, 87, 12, 12, 12);
  L.dtau_max = Vector7::Constant(1000.0);
  return m;
}

RobotModel RobotModel::fr3(double finger_extension) {
  RobotModel m;
  m.type = RobotType::FR3;
  m.dh = kFrankaDH;
  m.finger_extension = finger_extension;
  m.tcp_offset = 0.1034 + finger_extension;
  auto& L = m.limits;
  L.q_max = v7(2.9007, 1.8361, 2.9007, -0.1169, 2.8763, 4.6216, 3.0508);
  L.q_min = v7(-2.9007, -1.8361, -2.9007, -3.0770, -2.8763, 0.4398, -3.0508);
  L.dq_max = v7(2.62, 2.62, 2.62, 2.62, 5.26, 4.18, 5.26);
  L.ddq_max = Vector7::Constant(10.0);
  L.dddq_max = Vector7::Constant(5000.0);
  L.tau_max = v7(87, 87, 87, 87, 12, 12, 12);
  L.dtau_max = Vector7::Constant(1000.0);
  return m;
}

void forward_kinematics(const RobotModel& model, const Vector7& q, Workspace& ws) noexcept {
  ws.q = q;
  Transform T = Transform::Identity();
  for (int i = 0; i < kDof; ++i) {
    const DHParam& p = model.dh[i];
    const double ca = std::cos(p.alpha), sa = std::sin(p.alpha);
    const double ct = std::cos(q[i]), st = std::sin(q[i]);
    // RotX(alpha) * TransX(a) * RotZ(theta) * TransZ(d), written out.
    Eigen::Matrix4d A;
    A << ct, -st, 0.0, p.a,
         st * ca, ct * ca, -sa, -p.d * sa,
         st * sa, ct * sa, ca, p.d * ca,
         0.0, 0.0, 0.0, 1.0;
    T.matrix() = T.matrix() * A;
    ws.frames[i] = T;
  }
  Transform flange = ws.frames[Link7];
  flange.translation() += flange.linear().col(2) * model.flange_offset;
  ws.frames[Flange] = flange;
  Transform hand = flange;
  hand.linear() = flange.linear() * Eigen::AngleAxisd(model.hand_yaw, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  ws.frames[Hand] = hand;
  Transform tcp = hand;
  tcp.translation() += hand.linear().col(2) * model.tcp_offset;
  ws.frames[Tcp] = tcp;
}

void frame_jacobian(const RobotModel& /*model*/, const Workspace& ws, Frame frame, Jacobian& J) noexcept {
  J.setZero();
  const Eigen::Vector3d p = ws.frames[frame].translation();
  const int last = frame_parent_joint(frame);
  for (int j = 0; j <= last; ++j) {
    // In modified DH, joint j rotates about z of link frame j.
    const Eigen::Vector3d z = ws.frames[j].linear().col(2);
    const Eigen::Vector3d pj = ws.frames[j].translation();
    J.block<3, 1>(0, j) = z.cross(p - pj);
    J.block<3, 1>(3, j) = z;
  }
}

bool within_limits(const RobotModel& model, const Vector7& q) noexcept {
  for (int i = 0; i < kDof; ++i) {
    if (!std::isfinite(q[i]) || q[i] < model.limits.q_min[i] || q[i] > model.limits.q_max[i]) return false;
  }
  return true;
}

}  // namespace graspvla::robot
