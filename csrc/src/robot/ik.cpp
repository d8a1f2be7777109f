#include "graspvla/robot/ik.hpp"

#include <Eigen/Cholesky>
#include <cmath>
#include <limits>

namespace graspvla::robot {
namespace {

// splitmix64: tiny, seedable, allocation-free RNG for restarts.
struct SplitMix {
  std::uint64_t s;
  double uniform() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
  }
};

}  // namespace

void pose_error(const Transform& current, const Transform& target, Eigen::Matrix<double, 6, 1>& err) noexcept {
  err.head<3>() = target.translation() - current.translation();
  const Eigen::Matrix3d Re = target.linear() * current.linear().transpose();
  const Eigen::AngleAxisd aa(Re);
  err.tail<3>() = aa.angle() * aa.axis();
}

Status ik_dls(const RobotModel& model, const Transform& target, const Vector7& q_seed, const IkOptions& opt,
              Workspace& ws, IkResult& result) noexcept {
  result = IkResult{};
  result.q = q_seed;
  if (!q_seed.allFinite() || !target.matrix().allFinite() || opt.max_iterations <= 0 || !(opt.damping >= 0.0)) {
    result.status = Status::InvalidInput;
    return result.status;
  }
  const Vector7 lo = model.limits.q_min.array() + opt.limit_margin;
  const Vector7 hi = model.limits.q_max.array() - opt.limit_margin;
  const Vector7 rest = opt.use_rest ? opt.q_rest : Vector7(0.5 * (lo + hi));
  SplitMix rng{opt.seed * 0x2545F4914F6CDD1DULL + 1};
  Jacobian J;
  Eigen::Matrix<double, 6, 1> err;
  double best = std::numeric_limits<double>::infinity();
  const double lambda2 = opt.damping * opt.damping;

  for (int attempt = 0; attempt <= opt.restarts; ++attempt) {
    Vector7 q;
    if (attempt == 0) {
      q = q_seed.cwiseMax(lo).cwiseMin(hi);
    } else {
      for (int i = 0; i < kDof; ++i) q[i] = lo[i] + (hi[i] - lo[i]) * rng.uniform();
    }
    ++result.attempts;
    for (int it = 0; it < opt.max_iterations; ++it) {
      forward_kinematics(model, q, ws);
      pose_error(ws.frames[opt.frame], target, err);
      const double ep = err.head<3>().norm(), eo = err.tail<3>().norm();
      const double score = ep + 0.1 * eo;  // 0.1 m per rad: comparable scales
      if (score < best) {
        best = score;
        result.q = q;
        result.position_error = ep;
        result.orientation_error = eo;
      }
      if (ep <= opt.tol_position && eo <= opt.tol_orientation) {
        result.q = q;
        result.position_error = ep;
        result.orientation_error = eo;
        result.status = Status::Ok;
        result.iterations += it;
        return result.status;
      }
      frame_jacobian(model, ws, opt.frame, J);
      // Active set: a joint resting on a limit whose step points outwards is locked (its column
      // removed) and the step recomputed, so the clamp does not waste the other joints' motion.
      Jacobian Jw = J;
      bool locked[kDof] = {false, false, false, false, false, false, false};
      Vector7 dq;
      for (int pass = 0; pass < 3; ++pass) {
        Eigen::Matrix<double, 6, 6> A = Jw * Jw.transpose();
        A.diagonal().array() += lambda2;
        const Eigen::LDLT<Eigen::Matrix<double, 6, 6>> ldlt(A);
        dq = Jw.transpose() * ldlt.solve(err);
        if (opt.posture_gain > 0.0 && score > 1e-3) {
          // (I - J^+ J) (k (rest - q)), with the damped pseudo-inverse J^+ = J^T A^-1. Only in the
          // coarse phase: the damped projector leaks ~lambda^2/sigma^2 into the task, which would
          // stall the final convergence to micrometres.
          Vector7 z = opt.posture_gain * (rest - q);
          for (int j = 0; j < kDof; ++j) if (locked[j]) z[j] = 0.0;
          dq += z - Jw.transpose() * ldlt.solve(Jw * z);
        }
        bool changed = false;
        for (int j = 0; j < kDof; ++j) {
          if (!locked[j] && ((q[j] <= lo[j] && dq[j] < 0.0) || (q[j] >= hi[j] && dq[j] > 0.0))) {
            locked[j] = true;
            Jw.col(j).setZero();
            changed = true;
          }
        }
        if (!changed) break;
      }
      for (int j = 0; j < kDof; ++j) if (locked[j]) dq[j] = 0.0;
      const double m = dq.cwiseAbs().maxCoeff();
      if (m > opt.max_step) dq *= opt.max_step / m;
      q = (q + dq).cwiseMax(lo).cwiseMin(hi);
    }
    result.iterations += opt.max_iterations;
  }
  result.status = Status::NotConverged;
  return result.status;
}

}  // namespace graspvla::robot
