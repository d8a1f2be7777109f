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

struct InertiaRow {
  double mass, cx, cy, cz, ixx, iyy, izz, ixy, ixz, iyz;
};

std::array<LinkInertia, kDof> make_links(const std::array<InertiaRow, kDof>& rows) {
  std::array<LinkInertia, kDof> out{};
  for (int i = 0; i < kDof; ++i) {
    const InertiaRow& r = rows[i];
    out[i].mass = r.mass;
    out[i].com << r.cx, r.cy, r.cz;
    out[i].inertia << r.ixx, r.ixy, r.ixz, r.ixy, r.iyy, r.iyz, r.ixz, r.iyz, r.izz;
  }
  return out;
}

// Panda: example-robot-data panda.urdf; link7 includes link8, the hand and both fingers
// (fingers at q = 0) lumped rigidly. Inertia about the COM, link-frame axes.
constexpr std::array<InertiaRow, kDof> kPandaInertia{{
    {4.970684, 0.003875, 0.002081, -0.04762, 0.70337, 0.70661, 0.009117, -0.000139, 0.006772, 0.019169},
    {0.646926, -0.003141, -0.02872, 0.003495, 0.007962, 0.02811, 0.025995, -0.003925, 0.010254, 0.000704},
    {3.228604, 0.027518, 0.039252, -0.066502, 0.037242, 0.036155, 0.01083, -0.004761, -0.011396, -0.012805},
    {3.587895, -0.05317, 0.104419, 0.027454, 0.025853, 0.019552, 0.028323, 0.007796, -0.001332, 0.008641},
    {1.225946, -0.011953, 0.041065, -0.038437, 0.035549, 0.029474, 0.008627, -0.002117, -0.004037, 0.000229},
    {1.666555, 0.060149, -0.014117, -0.010517, 0.001964, 0.004354, 0.005433, 0.000109, -0.001158, 0.000341},
    {1.495522, 0.0017208743, 0.00136035442, 0.100485281, 0.0165298537, 0.0141072486, 0.00667695556,
     0.000394892297, -0.000706695711, -0.00105110533},
}};

// FR3: franka_description (franky-sim fr3_clean.urdf) link inertials, arm only (no hand).
constexpr std::array<InertiaRow, kDof> kFR3Inertia{{
    {2.92746535, 4.128e-07, -0.0181251324, -0.038603597, 0.0239273165, 0.0224821613, 0.00635009826,
     1.33179035e-05, -0.000114047749, -0.00199503206},
    {2.93553703, 0.0031828864, -0.0743221644, 0.0088146084, 0.0419389463, 0.0251451489, 0.0617021447,
     0.000202573315, 0.00407778423, -0.0042252158},
    {2.24490137, 0.0407015686, -0.0048200565, -0.0289730823, 0.0241014255, 0.0197405327, 0.0190444945,
     0.00240469456, -0.00285626927, -0.00210421268},
    {2.61559558, -0.0459100965, 0.063049296, -0.0085187868, 0.0345299832, 0.0288816219, 0.0412547117,
     0.0132255227, 0.01015143, -0.000976283387},
    {2.32712076, -0.0016039605, 0.0292536262, -0.097296599, 0.0516102785, 0.0478772971, 0.0164236256,
     -0.00571517339, -0.00356731676, 0.0106739851},
    {1.81703765, 0.0597131221, -0.0410294666, -0.0101692726, 0.00541233359, 0.0140583295, 0.0160808179,
     0.00619345636, 0.00142192893, -0.00131407537},
    {0.627143286, 0.0045225817, 0.0086261921, -0.0161633251, 0.000210923892, 0.00017718568, 5.9931906e-05,
     -2.43329911e-05, 4.56448039e-05, 8.74407022e-05},
}};

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
  m.links = make_links(kPandaInertia);
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
  m.links = make_links(kFR3Inertia);
  return m;
}

void forward_kinematics(const RobotModel& model, const Vector7& q, Workspace& ws) noexcept {
  ws.q = q;
  // R_i = R_{i-1} RotX(alpha) RotZ(q), p_i = p_{i-1} + R_{i-1} (a, -d sin(alpha), d cos(alpha)):
  // the 4x4 product written on 3x3 blocks.
  Eigen::Matrix3d R = Eigen::Matrix3d::Identity();
  Eigen::Vector3d p = Eigen::Vector3d::Zero();
  for (int i = 0; i < kDof; ++i) {
    const DHParam& dh = model.dh[i];
    double ca, sa;
    dh_twist_trig(dh.alpha, ca, sa);
    const double ct = std::cos(q[i]), st = std::sin(q[i]);
    p += dh.a * R.col(0) + (-dh.d * sa) * R.col(1) + (dh.d * ca) * R.col(2);
    // columns of RotX(alpha) RotZ(q): x = (ct, st ca, st sa), y = (-st, ct ca, ct sa), z = (0, -sa, ca)
    const Eigen::Vector3d y_ax = R.col(1) * ca + R.col(2) * sa;  // R RotX(alpha) e_y
    const Eigen::Vector3d z_ax = R.col(2) * ca - R.col(1) * sa;  // R RotX(alpha) e_z
    const Eigen::Vector3d x_ax = R.col(0);
    R.col(0) = ct * x_ax + st * y_ax;
    R.col(1) = ct * y_ax - st * x_ax;
    R.col(2) = z_ax;
    Transform& T = ws.frames[i];
    T.linear() = R;
    T.translation() = p;
    T.makeAffine();
  }
  Transform& flange = ws.frames[Flange];
  flange.linear() = R;
  flange.translation() = p + model.flange_offset * R.col(2);
  flange.makeAffine();
  const double cy = std::cos(model.hand_yaw), sy = std::sin(model.hand_yaw);
  Transform& hand = ws.frames[Hand];
  hand.linear().col(0) = cy * R.col(0) + sy * R.col(1);
  hand.linear().col(1) = cy * R.col(1) - sy * R.col(0);
  hand.linear().col(2) = R.col(2);
  hand.translation() = flange.translation();
  hand.makeAffine();
  Transform& tcp = ws.frames[Tcp];
  tcp.linear() = hand.linear();
  tcp.translation() = hand.translation() + model.tcp_offset * R.col(2);
  tcp.makeAffine();
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
