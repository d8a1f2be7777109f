#include "graspvla/robot/ik_analytic.hpp"

#include <cmath>

namespace graspvla::robot {
namespace {

constexpr double kPi = 3.14159265358979323846;

Eigen::Matrix3d rot_x(double a) {
  return Eigen::AngleAxisd(a, Eigen::Vector3d::UnitX()).toRotationMatrix();
}
Eigen::Matrix3d rot_z(double a) {
  return Eigen::AngleAxisd(a, Eigen::Vector3d::UnitZ()).toRotationMatrix();
}

// Wraps an angle into the joint range if any 2*pi shift fits; returns false when none does.
bool fit_limit(double& q, double lo, double hi) {
  for (double shift : {0.0, 2 * kPi, -2 * kPi}) {
    const double v = q + shift;
    if (v >= lo - 1e-12 && v <= hi + 1e-12) {
      q = std::min(std::max(v, lo), hi);
      return true;
    }
  }
  return false;
}

}  // namespace

int ik_analytic(const RobotModel& model, const Transform& target, double q7, Frame frame,
                AnalyticSolutions& out) noexcept {
  if (!target.matrix().allFinite() || !std::isfinite(q7) || (frame != Flange && frame != Hand && frame != Tcp)) {
    return -1;
  }
  const auto& L = model.limits;
  if (q7 < L.q_min[6] || q7 > L.q_max[6]) return 0;
  const auto& dh = model.dh;
  const double d1 = dh[0].d, d3 = dh[2].d, a4 = dh[3].a, a5 = dh[4].a, d5 = dh[4].d, a7 = dh[6].a;

  // Flange pose from the requested frame.
  Transform flange = target;
  if (frame != Flange) {
    Transform f2h = Transform::Identity();
    f2h.linear() = rot_z(model.hand_yaw);
    if (frame == Tcp) f2h.translation() = f2h.linear() * Eigen::Vector3d(0, 0, model.tcp_offset);
    flange = target * f2h.inverse();
  }
  const Eigen::Matrix3d R7 = flange.linear();
  const Eigen::Vector3d O7 = flange.translation() - model.flange_offset * R7.col(2);
  // R7 = R6 * RotX(alpha7) * RotZ(q7), O7 = O6 + a7 * x6.
  const Eigen::Matrix3d R6 = R7 * rot_z(q7).transpose() * rot_x(dh[6].alpha).transpose();
  const Eigen::Vector3d W = O7 - a7 * R6.col(0);  // wrist point O6 = O5
  const Eigen::Vector3d z6 = R6.col(2);
  const Eigen::Vector3d S(0.0, 0.0, d1);  // shoulder point O1 = O2

  // In link-4 coordinates (x4, y4): S - O4 and W - O4. W - O4 = (a5, d5) is constant.
  const Eigen::Vector2d w4(a5, d5);
  const double sw = (W - S).norm();
  if (sw < 1e-9) return 0;
  // S - O4 = (-a4 c4 - d3 s4, a4 s4 - d3 c4); |S-W|^2 = |S-O4|^2 + |W-O4|^2 - 2 (S-O4).(W-O4),
  // (S-O4).(W-O4) = P c4 + Q s4.
  const double P = -a4 * a5 - d3 * d5, Q = -d3 * a5 + a4 * d5;
  const double D = 0.5 * (a4 * a4 + d3 * d3 + w4.squaredNorm() - sw * sw);
  const double Rpq = std::hypot(P, Q);
  if (std::abs(D) > Rpq) return 0;
  const double base4 = std::atan2(Q, P), spread4 = std::acos(D / Rpq);

  const Eigen::Vector3d e = (W - S) / sw;
  Eigen::Vector3d a = Eigen::Vector3d::UnitZ().cross(e);
  if (a.norm() < 1e-6) a = Eigen::Vector3d::UnitX().cross(e);
  a.normalize();
  const Eigen::Vector3d b = e.cross(a);

  int count = 0;
  Workspace ws;
  for (double q4 : {base4 + spread4, base4 - spread4}) {
    if (!fit_limit(q4, L.q_min[3], L.q_max[3])) continue;
    const double c4 = std::cos(q4), s4 = std::sin(q4);
    const Eigen::Vector2d s2(-a4 * c4 - d3 * s4, a4 * s4 - d3 * c4);  // S - O4 in (x4, y4)
    const Eigen::Vector2d v = w4 - s2;                                  // W - S in (x4, y4)
    // y4 = cos(beta) e + sin(beta) t, t = n x e, n = z4 = cos(psi) a + sin(psi) b.
    const double beta = std::atan2(v.x(), v.y());
    const double cb = std::cos(beta), sbeta = std::sin(beta);
    // z5 = y4 must be perpendicular to z6: A sin(psi) + B cos(psi) = C.
    const double A = sbeta * a.dot(z6), B = -sbeta * b.dot(z6), C = -cb * e.dot(z6);
    const double R = std::hypot(A, B);
    if (R < 1e-12 || std::abs(C) > R) continue;
    const double phi = std::atan2(B, A), as = std::asin(C / R);
    for (double psi : {as - phi, kPi - as - phi}) {
      const Eigen::Vector3d n = std::cos(psi) * a + std::sin(psi) * b;
      const Eigen::Vector3d t = n.cross(e);
      const Eigen::Vector3d y4 = cb * e + sbeta * t;
      const Eigen::Vector3d x4 = y4.cross(n);
      Eigen::Matrix3d R4;
      R4.col(0) = x4;
      R4.col(1) = y4;
      R4.col(2) = n;
      const Eigen::Matrix3d R3 = R4 * rot_z(q4).transpose() * rot_x(dh[3].alpha).transpose();
      const Eigen::Vector3d z3 = R3.col(2);  // = (c1 s2, s1 s2, c2)
      const double r = std::hypot(z3.x(), z3.y());
      for (int branch = 0; branch < 2; ++branch) {
        const double sgn = branch == 0 ? 1.0 : -1.0;
        double q2 = std::atan2(sgn * r, z3.z());
        double q1 = r < 1e-12 ? 0.0 : std::atan2(sgn * z3.y(), sgn * z3.x());
        const Eigen::Matrix3d R2 = rot_z(q1) * rot_x(dh[1].alpha) * rot_z(q2);
        const Eigen::Matrix3d M3 = rot_x(dh[2].alpha).transpose() * R2.transpose() * R3;  // RotZ(q3)
        double q3 = std::atan2(M3(1, 0), M3(0, 0));
        const Eigen::Matrix3d M5 = rot_x(dh[4].alpha).transpose() * R4.transpose() * R6;  // RotZ(q5) RotX(a6) RotZ(q6)
        const Eigen::Vector3d zc = M5.col(2);  // RotZ(q5) * (0, -sin(a6), cos(a6)) with a6 = pi/2 -> (s5, -c5, 0)
        double q5 = std::atan2(zc.x(), -zc.y());
        const Eigen::Matrix3d M6 = rot_x(dh[5].alpha).transpose() * rot_z(q5).transpose() * M5;  // RotZ(q6)
        double q6 = std::atan2(M6(1, 0), M6(0, 0));
        Vector7 q;
        q << q1, q2, q3, q4, q5, q6, q7;
        bool ok = true;
        for (int j = 0; j < kDof && ok; ++j) ok = fit_limit(q[j], L.q_min[j], L.q_max[j]);
        if (!ok) continue;
        forward_kinematics(model, q, ws);
        const Transform& T = ws.frames[Flange];
        if ((T.translation() - flange.translation()).norm() > 1e-9 ||
            (T.linear() - flange.linear()).cwiseAbs().maxCoeff() > 1e-9) {
          continue;  // a degenerate branch (e.g. a singular swivel): reject, never return garbage
        }
        bool duplicate = false;
        for (int k = 0; k < count && !duplicate; ++k) duplicate = (out[k] - q).cwiseAbs().maxCoeff() < 1e-9;
        if (!duplicate && count < kMaxAnalyticSolutions) out[count++] = q;
      }
    }
  }
  return count;
}

}  // namespace graspvla::robot
