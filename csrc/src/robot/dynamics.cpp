#include "graspvla/robot/dynamics.hpp"

#include <cmath>

namespace graspvla::robot {
namespace {

// Rotation and origin of link i's frame in link (i-1)'s frame (modified DH).
inline void dh_joint(const DHParam& p, double q, Eigen::Matrix3d& R, Eigen::Vector3d& t) {
  double ca, sa;
  dh_twist_trig(p.alpha, ca, sa);
  const double ct = std::cos(q), st = std::sin(q);
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
  // Static case of RNEA in closed form: tau_i = z_i . ((H_i - M_i p_i) x (-g)), with M_i and
  // H_i the mass and first mass moment (sum of m c, base frame) of links i..7.
  std::array<Eigen::Matrix3d, kDof> R;
  std::array<Eigen::Vector3d, kDof> p;
  Eigen::Matrix3d Rw = Eigen::Matrix3d::Identity();
  Eigen::Vector3d pw = Eigen::Vector3d::Zero();
  for (int i = 0; i < kDof; ++i) {
    Eigen::Matrix3d Ri;
    Eigen::Vector3d ti;
    dh_joint(model.dh[i], q[i], Ri, ti);
    pw += Rw * ti;
    Rw = Rw * Ri;
    R[i] = Rw;
    p[i] = pw;
  }
  double mass = 0.0;
  Eigen::Vector3d h = Eigen::Vector3d::Zero();
  const Eigen::Vector3d up = -model.gravity;
  for (int i = kDof - 1; i >= 0; --i) {
    const LinkInertia& L = model.links[i];
    mass += L.mass;
    h += L.mass * (p[i] + R[i] * L.com);
    tau[i] = R[i].col(2).dot((h - mass * p[i]).cross(up));
  }
}

void coriolis_torques(const RobotModel& model, const Vector7& q, const Vector7& dq, Vector7& tau) noexcept {
  rnea(model, q, dq, Vector7::Zero(), Eigen::Vector3d::Zero(), tau);
}

void mass_matrix(const RobotModel& model, const Vector7& q, MassMatrix& M) noexcept {
  // Composite-rigid-body algorithm. A composite body is (mass m, first moment h = m c, inertia
  // I about the frame origin), all in link frame i; moving it into the parent frame by (R, t):
  //   h' = R h + m t,  I' = R I R^T + (2 t.(R h) + m |t|^2) 1 - (t (R h)^T + (R h) t^T + m t t^T).
  std::array<Eigen::Matrix3d, kDof> R;  // frame i in frame i-1
  std::array<Eigen::Vector3d, kDof> t;
  std::array<Eigen::Matrix3d, kDof> I;  // composite inertia of links i..7 about origin i, frame i
  std::array<Eigen::Vector3d, kDof> h;
  std::array<double, kDof> m;
  for (int i = 0; i < kDof; ++i) dh_joint(model.dh[i], q[i], R[i], t[i]);
  for (int i = kDof - 1; i >= 0; --i) {
    const LinkInertia& L = model.links[i];
    m[i] = L.mass;
    h[i] = L.mass * L.com;
    I[i] = L.inertia;
    I[i].diagonal().array() += L.mass * L.com.squaredNorm();
    I[i].noalias() -= L.mass * L.com * L.com.transpose();
    if (i + 1 < kDof) {
      const int c = i + 1;
      const Eigen::Vector3d rh = R[c] * h[c];
      const Eigen::Vector3d& tc = t[c];
      I[i].noalias() += R[c] * I[c] * R[c].transpose();
      I[i].diagonal().array() += 2.0 * tc.dot(rh) + m[c] * tc.squaredNorm();
      I[i].noalias() -= tc * rh.transpose() + rh * tc.transpose() + m[c] * tc * tc.transpose();
      h[i] += rh + m[c] * tc;
      m[i] += m[c];
    }
  }
  for (int i = 0; i < kDof; ++i) {
    // momentum of composite i for a unit rotation about z_i: n = I z, f = z x h
    Eigen::Vector3d n = I[i].col(2);
    Eigen::Vector3d f(-h[i].y(), h[i].x(), 0.0);
    M(i, i) = n.z();
    for (int j = i; j > 0; --j) {
      f = R[j] * f;
      n = R[j] * n + t[j].cross(f);
      M(j - 1, i) = M(i, j - 1) = n.z();
    }
  }
}

namespace {

bool valid_inertial(double mass, const Eigen::Vector3d& com, const Eigen::Matrix3d& inertia) {
  return mass >= 0.0 && std::isfinite(mass) && com.allFinite() && inertia.allFinite() &&
         (inertia - inertia.transpose()).cwiseAbs().maxCoeff() <= 1e-9;
}

// Two rigid bodies (inertia about their own COM, common axes) as one.
LinkInertia combine(const LinkInertia& a, const LinkInertia& b) {
  LinkInertia out;
  out.mass = a.mass + b.mass;
  if (out.mass <= 0.0) return out;
  out.com = (a.mass * a.com + b.mass * b.com) / out.mass;
  out.inertia = a.inertia + b.inertia;
  for (const LinkInertia* L : {&a, &b}) {
    const Eigen::Vector3d d = L->com - out.com;
    out.inertia.diagonal().array() += L->mass * d.squaredNorm();
    out.inertia.noalias() -= L->mass * d * d.transpose();
  }
  return out;
}

}  // namespace

bool set_link_inertia(RobotModel& model, int index, double mass, const Eigen::Vector3d& com,
                      const Eigen::Matrix3d& inertia) noexcept {
  if (index < 0 || index >= kDof || !valid_inertial(mass, com, inertia)) return false;
  model.links[index] = LinkInertia{mass, com, inertia};
  return true;
}

bool add_load(RobotModel& model, double mass, const Eigen::Vector3d& com, const Eigen::Matrix3d& inertia) noexcept {
  if (!valid_inertial(mass, com, inertia)) return false;
  LinkInertia load{mass, com + Eigen::Vector3d(0.0, 0.0, model.flange_offset), inertia};  // flange -> link7
  model.links[kDof - 1] = combine(model.links[kDof - 1], load);
  return true;
}

LinkInertia franka_hand_load() noexcept {
  // Hand frame = flange rotated by -pi/4 about z; the URDF values are in the hand frame.
  const Eigen::Matrix3d R = Eigen::AngleAxisd(-0.7853981633974483, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  LinkInertia hand{0.73, Eigen::Vector3d(-0.01, 0.0, 0.03), Eigen::Vector3d(0.001, 0.0025, 0.0017).asDiagonal()};
  // Each finger: 0.015 kg at (0, 0, 0.0584) (joint origin, fingers closed), diag(2.375e-6, 2.375e-6,
  // 7.5e-7); the right finger's rotation by pi about z leaves this inertia unchanged.
  const LinkInertia finger{0.015, Eigen::Vector3d(0.0, 0.0, 0.0584),
                           Eigen::Vector3d(2.375e-6, 2.375e-6, 7.5e-7).asDiagonal()};
  LinkInertia all = combine(combine(hand, finger), finger);
  all.com = R * all.com;
  all.inertia = R * all.inertia * R.transpose();
  return all;
}

}  // namespace graspvla::robot
