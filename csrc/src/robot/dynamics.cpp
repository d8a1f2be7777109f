#include "graspvla/robot/dynamics.hpp"

#include <cmath>

namespace graspvla::robot {
namespace {

// Rotation and origin of link i's frame in link (i-1)'s frame (modified DH).
inline void dh_joint(const DHParam& p, double q, Eigen::Matrix3d& R, Eigen::Vector3d& t) {
  const double ca = std::cos(p.alpha), sa = std::sin(p.alpha), ct = std::cos(q), st = std::sin(q);
  R << ct, -st, 0.0, st * ca, ct * ca, -sa, st * sa, ct * sa, ca;
  t << p.a, -p.d * sa, p.d * ca;
}

// RNEA with a configurable base acceleration (-gravity to include gravity, zero without).
void rnea(const RobotModel& model, const Vector7& q, const Vector7& dq, const Vector7& ddq,
          const Eigen::Vector3d& base_acc, Vector7& tau) noexcept {
  std::array<Eigen::Matrix3d, kDof> R;  // R[i]: frame i in frame i-1
  std::array<Eigen::Vector3d, kDof> t;
  std::array<Eigen::Vector3d, kDof> F, N;
  const Eigen::Vector3d z = Eigen::Vector3d::UnitZ();
  Eigen::Vector3d w = Eigen::Vector3d::Zero(), wd = Eigen::Vector3d::Zero(), a = base_acc;
  for (int i = 0; i < kDof; ++i) {
    dh_joint(model.dh[i], q[i], R[i], t[i]);
    const Eigen::Matrix3d Rt = R[i].transpose();
    // linear acceleration of origin i, expressed in frame i
    const Eigen::Vector3d a_i = Rt * (a + wd.cross(t[i]) + w.cross(w.cross(t[i])));
    const Eigen::Vector3d w_prev = Rt * w;
    const Eigen::Vector3d w_i = w_prev + dq[i] * z;
    const Eigen::Vector3d wd_i = Rt * wd + w_prev.cross(dq[i] * z) + ddq[i] * z;
    const LinkInertia& L = model.links[i];
    const Eigen::Vector3d a_c = a_i + wd_i.cross(L.com) + w_i.cross(w_i.cross(L.com));
    F[i] = L.mass * a_c;
    N[i] = L.inertia * wd_i + w_i.cross(L.inertia * w_i);
    w = w_i;
    wd = wd_i;
    a = a_i;
  }
  Eigen::Vector3d f = Eigen::Vector3d::Zero(), n = Eigen::Vector3d::Zero();
  for (int i = kDof - 1; i >= 0; --i) {
    Eigen::Vector3d f_child = Eigen::Vector3d::Zero(), n_child = Eigen::Vector3d::Zero();
    if (i + 1 < kDof) {
      f_child = R[i + 1] * f;
      n_child = R[i + 1] * n + t[i + 1].cross(f_child);
    }
    const LinkInertia& L = model.links[i];
    n = N[i] + n_child + L.com.cross(F[i]);
    f = F[i] + f_child;
    tau[i] = n.z();
  }
}

}  // namespace

void inverse_dynamics(const RobotModel& model, const Vector7& q, const Vector7& dq, const Vector7& ddq,
                      Vector7& tau) noexcept {
  rnea(model, q, dq, ddq, -model.gravity, tau);
}

void gravity_torques(const RobotModel& model, const Vector7& q, Vector7& tau) noexcept {
  rnea(model, q, Vector7::Zero(), Vector7::Zero(), -model.gravity, tau);
}

void coriolis_torques(const RobotModel& model, const Vector7& q, const Vector7& dq, Vector7& tau) noexcept {
  rnea(model, q, dq, Vector7::Zero(), Eigen::Vector3d::Zero(), tau);
}

void mass_matrix(const RobotModel& model, const Vector7& q, MassMatrix& M) noexcept {
  // Column j = inverse dynamics with unit acceleration of joint j and no velocity or gravity.
  Vector7 e, col;
  for (int j = 0; j < kDof; ++j) {
    e.setZero();
    e[j] = 1.0;
    rnea(model, q, Vector7::Zero(), e, Eigen::Vector3d::Zero(), col);
    M.col(j) = col;
  }
  M = 0.5 * (M + M.transpose()).eval();
}

bool set_link_inertia(RobotModel& model, int index, double mass, const Eigen::Vector3d& com,
                      const Eigen::Matrix3d& inertia) noexcept {
  if (index < 0 || index >= kDof || !(mass >= 0.0) || !std::isfinite(mass) || !com.allFinite() ||
      !inertia.allFinite() || (inertia - inertia.transpose()).cwiseAbs().maxCoeff() > 1e-9) {
    return false;
  }
  model.links[index] = LinkInertia{mass, com, inertia};
  return true;
}

}  // namespace graspvla::robot
