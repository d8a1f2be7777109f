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
  // Composite-rigid-body algorithm with 6x6 spatial quantities [angular; linear] in link frames.
  using Mat6 = Eigen::Matrix<double, 6, 6>;
  using Vec6 = Eigen::Matrix<double, 6, 1>;
  auto skew = [](const Eigen::Vector3d& v) {
    Eigen::Matrix3d S;
    S << 0, -v.z(), v.y(), v.z(), 0, -v.x(), -v.y(), v.x(), 0;
    return S;
  };
  std::array<Mat6, kDof> X;   // motion transform: frame i-1 coordinates -> frame i coordinates
  std::array<Mat6, kDof> Ic;  // composite spatial inertia of links i..7 in frame i
  Eigen::Matrix3d R;
  Eigen::Vector3d t;
  for (int i = 0; i < kDof; ++i) {
    dh_joint(model.dh[i], q[i], R, t);
    const Eigen::Matrix3d Rt = R.transpose();
    X[i].setZero();
    X[i].topLeftCorner<3, 3>() = Rt;
    X[i].bottomRightCorner<3, 3>() = Rt;
    X[i].bottomLeftCorner<3, 3>() = -Rt * skew(t);
    const LinkInertia& L = model.links[i];
    const Eigen::Matrix3d cx = skew(L.com);
    Ic[i].topLeftCorner<3, 3>() = L.inertia + L.mass * cx * cx.transpose();
    Ic[i].topRightCorner<3, 3>() = L.mass * cx;
    Ic[i].bottomLeftCorner<3, 3>() = L.mass * cx.transpose();
    Ic[i].bottomRightCorner<3, 3>() = L.mass * Eigen::Matrix3d::Identity();
  }
  for (int i = kDof - 1; i > 0; --i) Ic[i - 1] += X[i].transpose() * Ic[i] * X[i];
  for (int i = 0; i < kDof; ++i) {
    Vec6 F = Ic[i].col(2);  // Ic * S with S = angular z
    M(i, i) = F[2];
    for (int j = i; j > 0; --j) {
      F = X[j].transpose() * F;  // force from frame j to frame j-1
      M(j - 1, i) = M(i, j - 1) = F[2];
    }
  }
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
