#include "graspvla/control/controller.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>

namespace graspvla::control {

namespace {

bool finite7(const Vector7& v) { return v.allFinite(); }

// Published Cartesian velocity limits used to sanity-check chunks (FR3 / Panda).
double max_translational_velocity(const robot::RobotModel& m) {
  return m.type == robot::RobotType::FR3 ? 3.0 : 1.7;
}
constexpr double kMaxRotationalVelocity = 2.5;
// Position mode: the command rejoins the plan within about this long after lost packets (s).
constexpr double kResyncHorizon = 0.02;

Status status_for(StopReason r) {
  switch (r) {
    case StopReason::None: return Status::Working;
    case StopReason::Requested: return Status::Finished;
    case StopReason::Watchdog: return Status::Timeout;
    case StopReason::ExternalForce: return Status::Collision;
    case StopReason::InvalidState: return Status::InvalidInput;
    case StopReason::StateLimit: return Status::LimitViolation;
    case StopReason::BackendError: return Status::InvalidInput;
    case StopReason::ControllerError: return Status::Infeasible;
  }
  return Status::InvalidInput;
}

}  // namespace

Status check_gripper_command(const GripperCommand& c, const ControllerConfig& cfg) noexcept {
  const int a = static_cast<int>(c.action);
  if (a < 0 || a > static_cast<int>(GripperAction::Stop)) return Status::InvalidInput;
  if (c.action == GripperAction::Stop) return Status::Ok;  // no parameters
  if (!std::isfinite(c.width) || !std::isfinite(c.speed) || !std::isfinite(c.force) ||
      !std::isfinite(c.epsilon_inner) || !std::isfinite(c.epsilon_outer)) {
    return Status::InvalidInput;
  }
  if (!(c.speed > 0.0) || c.epsilon_inner < 0.0 || c.epsilon_outer < 0.0) return Status::InvalidInput;
  if (c.width < 0.0 || c.width > cfg.gripper_max_width + 1e-9) return Status::LimitViolation;
  if (c.speed > cfg.gripper_max_speed + 1e-9) return Status::LimitViolation;
  if (c.action == GripperAction::Grasp && (c.force < 0.0 || c.force > cfg.gripper_max_force + 1e-9)) {
    return Status::LimitViolation;
  }
  return Status::Ok;
}

Eigen::Vector3d rotation_log(const Eigen::Matrix3d& R) noexcept {
  const Eigen::AngleAxisd aa(R);
  return aa.axis() * aa.angle();
}

Eigen::Matrix3d rotation_exp(const Eigen::Vector3d& r) noexcept {
  const double a = r.norm();
  if (a < 1e-12) return Eigen::Matrix3d::Identity();
  return Eigen::AngleAxisd(a, r / a).toRotationMatrix();
}

Controller::Controller(const robot::RobotModel& model, const ControllerConfig& config) noexcept
    : model_(model), rate_model_(model), cfg_(config), otg_(config.dt), resync_(config.dt) {
  const double rs = std::isfinite(cfg_.rate_limit_scale) ? std::clamp(cfg_.rate_limit_scale, 0.05, 1.0) : 1.0;
  rate_model_.limits.ddq_max *= rs;
  rate_model_.limits.dddq_max *= rs;
  ndof_ = cfg_.mode == ControlMode::CartesianImpedance ? 6 : 7;
  for (int i = 0; i < 7; ++i) {
    otg_in_.max_velocity[i] = 1.0;
    otg_in_.max_acceleration[i] = 1.0;
    otg_in_.max_jerk[i] = 1.0;
  }
  if (ndof_ == 7) {
    for (int i = 0; i < kDof; ++i) {
      otg_in_.max_velocity[i] = cfg_.velocity_scale * model_.limits.dq_max[i];
      otg_in_.max_acceleration[i] = cfg_.acceleration_scale * model_.limits.ddq_max[i];
      otg_in_.max_jerk[i] = cfg_.jerk_scale * model_.limits.dddq_max[i];
    }
    // the correction after lost packets moves no harder than the planned motion (the two together
    // within twice the planned limits) unless it would take longer than kResyncHorizon; it never
    // takes more jerk than limitRate leaves beside the plan's
    resync_.set_limits(cfg_.velocity_scale * model_.limits.dq_max, cfg_.acceleration_scale * model_.limits.ddq_max,
                       cfg_.jerk_scale * model_.limits.dddq_max,
                       rate_model_.limits.dddq_max - cfg_.jerk_scale * model_.limits.dddq_max, kResyncHorizon);
  } else {
    for (int i = 0; i < 3; ++i) {
      otg_in_.max_velocity[i] = cfg_.cartesian_velocity;
      otg_in_.max_acceleration[i] = cfg_.cartesian_acceleration;
      otg_in_.max_jerk[i] = cfg_.cartesian_jerk;
      otg_in_.max_velocity[i + 3] = cfg_.rotational_velocity;
      otg_in_.max_acceleration[i + 3] = cfg_.rotational_acceleration;
      otg_in_.max_jerk[i + 3] = cfg_.rotational_jerk;
    }
  }
}

void Controller::reset(const RobotState& state, double time) noexcept {
  robot::forward_kinematics(model_, state.q, ws_);
  const auto& T = ws_.frames[robot::Tcp];
  R_ref_ = T.linear();
  x_d_ = T.translation();
  R_d_ = R_ref_;
  v_d_.setZero();
  w_d_.setZero();
  q_d_ = state.q;
  dq_d_.setZero();
  ddq_d_.setZero();
  q_null_ = state.q;
  last_q_cmd_ = state.q;
  last_dq_cmd_.setZero();
  last_ddq_cmd_.setZero();
  last_tau_.setZero();
  nom_q_ = state.q;
  nom_dq_.setZero();
  nom_ddq_.setZero();
  resync_.clear();
  for (int i = 0; i < 7; ++i) {
    otg_in_.current_position[i] = 0.0;
    otg_in_.current_velocity[i] = 0.0;
    otg_in_.current_acceleration[i] = 0.0;
    otg_in_.target_velocity[i] = 0.0;
    otg_in_.target_acceleration[i] = 0.0;
  }
  if (ndof_ == 7) {
    for (int i = 0; i < kDof; ++i) otg_in_.current_position[i] = state.q[i];
  } else {
    for (int i = 0; i < 3; ++i) otg_in_.current_position[i] = x_d_[i];
  }
  otg_in_.target_position = otg_in_.current_position;
  otg_in_.min_duration = 0.0;
  otg_.reset();
  has_target_ = false;
  target_received_ = time;
  point_index_ = -1;
  holding_ = retreating_ = finished_ = false;
  force_count_ = 0;
  stop_reason_ = StopReason::None;
  pending_flags_ = 0;
}

bool Controller::cart_point(const std::array<double, 7>& p, double* out6) const noexcept {
  Eigen::Quaterniond qt(p[3], p[4], p[5], p[6]);
  qt.normalize();
  const Eigen::Vector3d r = rotation_log(R_ref_.transpose() * qt.toRotationMatrix());
  // choose the rotation-vector representative nearest the current desired one (no 2 pi jumps)
  Eigen::Vector3d cur(otg_in_.current_position[3], otg_in_.current_position[4], otg_in_.current_position[5]);
  Eigen::Vector3d best = r;
  const double ang = r.norm();
  if (ang > 1e-9) {
    const Eigen::Vector3d axis = r / ang;
    for (int k = -1; k <= 1; k += 2) {
      const Eigen::Vector3d alt = axis * (ang + k * 2.0 * M_PI);
      if ((alt - cur).norm() < (best - cur).norm()) best = alt;
    }
  }
  for (int i = 0; i < 3; ++i) out6[i] = p[i];
  for (int i = 0; i < 3; ++i) out6[3 + i] = best[i];
  return true;
}

Status Controller::check_target(const Target& t) const noexcept {
  if (t.length < 1 || t.length > kMaxChunk || !(t.dt > 0.0) || !std::isfinite(t.dt) || !std::isfinite(t.stamp)) {
    return Status::InvalidInput;
  }
  const bool want_cart = cfg_.mode == ControlMode::CartesianImpedance;
  if ((t.kind == TargetKind::Cartesian) != want_cart) return Status::InvalidInput;
  for (int k = 0; k < t.length; ++k) {
    for (int i = 0; i < 7; ++i) {
      if (!std::isfinite(t.points[k][i])) return Status::InvalidInput;
    }
  }
  const auto& L = model_.limits;
  if (!want_cart) {
    for (int k = 0; k < t.length; ++k) {
      for (int i = 0; i < kDof; ++i) {
        const double q = t.points[k][i];
        if (q < L.q_min[i] + cfg_.joint_limit_margin || q > L.q_max[i] - cfg_.joint_limit_margin) {
          return Status::LimitViolation;
        }
        if (k > 0 && std::abs(q - t.points[k - 1][i]) > L.dq_max[i] * t.dt) return Status::LimitViolation;
      }
    }
  } else {
    const double vmax = max_translational_velocity(model_);
    for (int k = 0; k < t.length; ++k) {
      const auto& p = t.points[k];
      const double n = std::sqrt(p[3] * p[3] + p[4] * p[4] + p[5] * p[5] + p[6] * p[6]);
      if (n < 0.9 || n > 1.1) return Status::InvalidInput;
      for (int i = 0; i < 3; ++i) {
        if (p[i] < cfg_.workspace_min[i] || p[i] > cfg_.workspace_max[i]) return Status::LimitViolation;
      }
      if (k > 0) {
        const auto& o = t.points[k - 1];
        const double dp = std::sqrt((p[0] - o[0]) * (p[0] - o[0]) + (p[1] - o[1]) * (p[1] - o[1]) +
                                    (p[2] - o[2]) * (p[2] - o[2]));
        const double dot = std::abs(p[3] * o[3] + p[4] * o[4] + p[5] * o[5] + p[6] * o[6]) /
                           (n * std::sqrt(o[3] * o[3] + o[4] * o[4] + o[5] * o[5] + o[6] * o[6]));
        const double dang = 2.0 * std::acos(std::min(1.0, dot));
        if (dp > vmax * t.dt || dang > kMaxRotationalVelocity * t.dt) return Status::LimitViolation;
      }
    }
  }
  return Status::Ok;
}

Status Controller::set_target(const Target& t, double time) noexcept {
  Status s = stop_reason_ != StopReason::None ? Status::Timeout : check_target(t);
  if (s != Status::Ok) {
    ++rejected_;
    pending_flags_ |= kFlagTargetRejected;
    return s;
  }
  target_ = t;
  has_target_ = true;
  target_received_ = time;
  motion_end_ = time;
  point_index_ = -1;
  holding_ = false;
  finished_ = false;
  pending_flags_ |= kFlagNewTarget;
  return Status::Ok;
}

void Controller::request_stop() noexcept {
  if (stop_reason_ == StopReason::None) stop(StopReason::Requested);
}

void Controller::stop(StopReason r) noexcept {
  stop_reason_ = r;
  if (!retreating_) brake();
}

void Controller::brake() noexcept {
  for (int i = 0; i < ndof_; ++i) {
    const double v = otg_in_.current_velocity[i];
    const double a = otg_in_.max_acceleration[i];
    otg_in_.target_position[i] = otg_in_.current_position[i] + v * std::abs(v) / (2.0 * a);
    otg_in_.target_velocity[i] = 0.0;
    otg_in_.target_acceleration[i] = 0.0;
  }
  otg_in_.min_duration = 0.0;
}

void Controller::desired_from_otg(const Vector7& q_meas) noexcept {
  (void)q_meas;
  const auto& p = otg_in_.current_position;
  const auto& v = otg_in_.current_velocity;
  const auto& a = otg_in_.current_acceleration;
  if (ndof_ == 7) {
    for (int i = 0; i < kDof; ++i) {
      q_d_[i] = p[i];
      dq_d_[i] = v[i];
      ddq_d_[i] = a[i];
    }
  } else {
    x_d_ = Eigen::Vector3d(p[0], p[1], p[2]);
    v_d_ = Eigen::Vector3d(v[0], v[1], v[2]);
    const Eigen::Vector3d r(p[3], p[4], p[5]);
    R_d_ = R_ref_ * rotation_exp(r);
    w_d_ = R_ref_ * Eigen::Vector3d(v[3], v[4], v[5]);
    for (int i = 0; i < 6; ++i) {
      q_d_[i] = p[i];
      dq_d_[i] = v[i];
      ddq_d_[i] = a[i];
    }
    q_d_[6] = dq_d_[6] = ddq_d_[6] = 0.0;
  }
}

Status Controller::update(const Input& in, Output& out) noexcept {
  out.flags = pending_flags_;
  pending_flags_ = 0;
  const RobotState& s = in.state;
  const double now = in.time;
  out.command.mode = cfg_.mode;
  out.command.finished = false;

  // 1) measured state
  if (!finite7(s.q) || !finite7(s.dq) || !finite7(s.tau_ext)) {
    if (stop_reason_ == StopReason::None) stop(StopReason::InvalidState);
    out.command.tau = last_tau_;  // hold the last torque; nothing sensible can be computed
    out.command.q = last_q_cmd_;
    out.command.dq.setZero();
    out.stop_reason = stop_reason_;
    out.flags |= kFlagStopped;
    return Status::InvalidInput;
  }
  const auto& L = model_.limits;
  for (int i = 0; i < kDof; ++i) {
    if (s.q[i] < L.q_min[i] - 0.02 || s.q[i] > L.q_max[i] + 0.02) {
      if (stop_reason_ == StopReason::None) stop(StopReason::StateLimit);
    }
  }

  // 2) kinematics and the external force at the TCP: F = (J J^T + lambda I)^-1 J tau_ext
  robot::forward_kinematics(model_, s.q, ws_);
  robot::Jacobian J;
  robot::frame_jacobian(model_, ws_, robot::Tcp, J);
  const Eigen::Matrix<double, 6, 6> JJt = J * J.transpose() + 1e-4 * Eigen::Matrix<double, 6, 6>::Identity();
  const Eigen::LDLT<Eigen::Matrix<double, 6, 6>> JJt_ldlt(JJt);
  const Vector6 F_ext = JJt_ldlt.solve(J * s.tau_ext);
  out.f_ext = F_ext.head<3>().norm();
  out.x = ws_.frames[robot::Tcp].translation();

  if (cfg_.force_threshold > 0.0 && out.f_ext > cfg_.force_threshold) {
    ++force_count_;
  } else {
    force_count_ = 0;
  }
  if (force_count_ >= cfg_.force_debounce && !retreating_ &&
      (stop_reason_ == StopReason::None || stop_reason_ == StopReason::Watchdog)) {
    retreating_ = true;
    stop_reason_ = StopReason::ExternalForce;
    if (ndof_ == 6) {
      for (int i = 0; i < 6; ++i) otg_in_.target_position[i] = otg_in_.current_position[i];
      otg_in_.target_position[2] += cfg_.retreat_distance;
    } else {
      // q_ret = q_d + J^+ [0 0 d 0 0 0]
      Vector6 dx = Vector6::Zero();
      dx[2] = cfg_.retreat_distance;
      const Vector7 dq = J.transpose() * JJt_ldlt.solve(dx);
      for (int i = 0; i < kDof; ++i) {
        otg_in_.target_position[i] = std::clamp(otg_in_.current_position[i] + dq[i],
                                                L.q_min[i] + cfg_.joint_limit_margin,
                                                L.q_max[i] - cfg_.joint_limit_margin);
      }
    }
    for (int i = 0; i < ndof_; ++i) {
      otg_in_.target_velocity[i] = 0.0;
      otg_in_.target_acceleration[i] = 0.0;
    }
    otg_in_.min_duration = 0.0;
  }

  // 3) watchdog
  if (has_target_ && stop_reason_ == StopReason::None) {
    // the policy is late once the last point is due AND the motion towards it has ended
    const double deadline =
        std::max(std::max(target_received_, target_.stamp + target_.length * target_.dt), motion_end_);
    const double age = now - deadline;
    if (cfg_.watchdog_stop > 0.0 && age > cfg_.watchdog_stop) {
      stop(StopReason::Watchdog);
    } else if (cfg_.watchdog_hold > 0.0 && age > cfg_.watchdog_hold && !holding_) {
      holding_ = true;
      brake();
    }
  }

  // 4) chunk point due at now + latency compensation
  const bool following = has_target_ && !holding_ && stop_reason_ == StopReason::None;
  if (following) {
    const double ahead = now + cfg_.latency_compensation;
    int idx = target_.length - 1;
    for (int k = 0; k < target_.length; ++k) {
      if (target_.stamp + (k + 1) * target_.dt >= ahead) {
        idx = k;
        break;
      }
    }
    if (idx != point_index_) {
      point_index_ = idx;
      // point idx and its neighbours in OTG coordinates (same rotation-vector branch)
      double p[7] = {0}, pn[7] = {0}, pp[7] = {0};
      const bool last = idx + 1 >= target_.length;
      const bool first = idx == 0;
      if (ndof_ == 6) {
        cart_point(target_.points[idx], p);
        const auto save = otg_in_.current_position;
        for (int i = 0; i < 6; ++i) otg_in_.current_position[i] = p[i];
        if (!last) cart_point(target_.points[idx + 1], pn);
        if (!first) cart_point(target_.points[idx - 1], pp);
        otg_in_.current_position = save;
      } else {
        for (int i = 0; i < 7; ++i) {
          p[i] = target_.points[idx][i];
          if (!last) pn[i] = target_.points[idx + 1][i];
          if (!first) pp[i] = target_.points[idx - 1][i];
        }
      }
      // velocity and acceleration at the point from finite differences of the chunk (central
      // where possible), so a smooth chunk is followed without stopping at every point
      const double h = target_.dt;
      for (int i = 0; i < ndof_; ++i) {
        otg_in_.target_position[i] = p[i];
        double v = 0.0, a = 0.0;
        if (!last && !first) {
          v = (pn[i] - pp[i]) / (2.0 * h);
          a = (pn[i] - 2.0 * p[i] + pp[i]) / (h * h);
        } else if (!last) {
          v = (pn[i] - p[i]) / h;
        }
        const double vm = 0.9 * otg_in_.max_velocity[i];
        const double am = 0.5 * otg_in_.max_acceleration[i];
        otg_in_.target_velocity[i] = std::clamp(v, -vm, vm);
        otg_in_.target_acceleration[i] = std::clamp(a, -am, am);
      }
      otg_in_.min_duration = std::max(0.0, target_.stamp + (idx + 1) * target_.dt - now);
    }
  }

  // 5) online trajectory generation. After lost cycles the robot extrapolated its reference by as
  // many cycles; the desired motion advances as far, so it stays on time and continuous with it.
  // In position mode the command we would have sent meanwhile (the nominal) advances too, and the
  // robot's departure from it is planned away (Resync) rather than left to limitRate.
  const bool lost = cfg_.mode == ControlMode::JointPosition && s.cycles > 1 && s.has_commanded &&
                    finite7(s.q_c) && finite7(s.dq_c) && finite7(s.ddq_c);
  bool advanced = true;
  for (int k = 1; k < std::clamp(s.cycles, 1, kMaxLostCycles); ++k) {
    if (static_cast<int>(otg_.update(otg_in_, otg_out_)) < 0) {
      advanced = false;
      break;
    }
    otg_out_.pass_to_input(otg_in_);
    if (lost) advance_nominal(Eigen::Map<const Vector7>(otg_in_.current_position.data()));
  }
  if (lost && !(advanced && resync_.start(s.q_c - nom_q_, s.dq_c - nom_dq_, s.ddq_c - nom_ddq_))) {
    // nothing planned: the filter continues from the reference and limitRate corrects
    nom_q_ = s.q_c;
    nom_dq_ = s.dq_c;
    nom_ddq_ = s.ddq_c;
  }
  Status st = otg_.update(otg_in_, otg_out_);
  if (static_cast<int>(st) < 0) {
    out.flags |= kFlagOtgFallback;
    for (int i = 0; i < ndof_; ++i) {
      otg_in_.target_velocity[i] = 0.0;
      otg_in_.target_acceleration[i] = 0.0;
    }
    otg_in_.min_duration = 0.0;
    st = otg_.update(otg_in_, otg_out_);
  }
  if (static_cast<int>(st) < 0) {
    if (stop_reason_ == StopReason::None) stop_reason_ = StopReason::ControllerError;
    // freeze the desired motion
    for (int i = 0; i < ndof_; ++i) {
      otg_out_.new_position[i] = otg_in_.current_position[i];
      otg_out_.new_velocity[i] = 0.0;
      otg_out_.new_acceleration[i] = 0.0;
      otg_in_.target_position[i] = otg_in_.current_position[i];
      otg_in_.target_velocity[i] = 0.0;
    otg_in_.target_acceleration[i] = 0.0;
    }
  }
  if (otg_out_.new_calculation) out.flags |= kFlagReplanned;
  otg_out_.pass_to_input(otg_in_);
  desired_from_otg(s.q);
  const bool at_end = st == Status::Finished;
  finished_ = has_target_ && following && at_end && point_index_ == target_.length - 1;
  if (following && !finished_) motion_end_ = now;

  // 6) control law and command shaping
  const Status law = control_law(in, out);
  (void)law;

  out.q_d = q_d_;
  out.dq_d = dq_d_;
  out.ddq_d = ddq_d_;
  out.x_d = ndof_ == 6 ? x_d_ : ws_.frames[robot::Tcp].translation();
  if (ndof_ == 7) {
    // desired TCP position from the desired joints (needs a second FK; cheap: ~0.2 us)
    robot::forward_kinematics(model_, q_d_, ws_);
    out.x_d = ws_.frames[robot::Tcp].translation();
  }
  out.stop_reason = stop_reason_;
  out.seq = has_target_ ? target_.seq : 0;
  if (holding_) out.flags |= kFlagHolding;
  if (retreating_) out.flags |= kFlagRetreating;
  if (stop_reason_ != StopReason::None) {
    out.flags |= kFlagStopped;
    return status_for(stop_reason_);
  }
  return finished_ ? Status::Finished : Status::Working;
}

void Controller::advance_nominal(const Vector7& q_d) noexcept {
  Vector7 q = lowpass(cfg_.dt, q_d, nom_q_, cfg_.cutoff_frequency);
  if (cfg_.limit_rate) q = limit_rate_position(rate_model_, q, nom_q_, nom_dq_, nom_ddq_, cfg_.dt);
  push_nominal(q);
}

void Controller::push_nominal(const Vector7& q) noexcept {
  const Vector7 dq = (q - nom_q_) / cfg_.dt;
  nom_ddq_ = (dq - nom_dq_) / cfg_.dt;
  nom_dq_ = dq;
  nom_q_ = q;
}

Status Controller::control_law(const Input& in, Output& out) noexcept {
  const RobotState& s = in.state;
  const double dt = cfg_.dt;
  Vector7 tau = Vector7::Zero();
  switch (cfg_.mode) {
    case ControlMode::JointPosition: {
      if (s.cycles > 1 && s.has_commanded && finite7(s.q_c) && finite7(s.dq_c) && finite7(s.ddq_c)) {
        // packets were lost and the robot extrapolated its reference: continue from that, as
        // libfranka's limitRate does, so the lost cycles do not read as a discontinuity. (Between
        // losses our own double-precision history equals the robot's exactly; its float echo not.)
        last_q_cmd_ = s.q_c;
        last_dq_cmd_ = s.dq_c;
        last_ddq_cmd_ = s.ddq_c;
      }
      // the filter runs on the nominal command; the re-synchronisation (zero but after losses) adds on
      const Vector7 corr = resync_.step();
      Vector7 q_cmd = lowpass(dt, q_d_, nom_q_, cfg_.cutoff_frequency) + corr;
      if (cfg_.limit_rate) {
        const Vector7 limited = limit_rate_position(rate_model_, q_cmd, last_q_cmd_, last_dq_cmd_, last_ddq_cmd_, dt);
        if ((limited - q_cmd).cwiseAbs().maxCoeff() > 1e-12) out.flags |= kFlagRateLimited;
        q_cmd = limited;
      }
      const Vector7 dq_cmd = (q_cmd - last_q_cmd_) / dt;
      last_ddq_cmd_ = (dq_cmd - last_dq_cmd_) / dt;
      last_dq_cmd_ = dq_cmd;
      last_q_cmd_ = q_cmd;
      if (resync_.active()) {
        push_nominal(q_cmd - corr);
      } else {  // no correction (left): the nominal is the command
        nom_q_ = last_q_cmd_;
        nom_dq_ = last_dq_cmd_;
        nom_ddq_ = last_ddq_cmd_;
      }
      out.command.q = q_cmd;
      out.command.dq = dq_cmd;
      out.command.tau.setZero();
      return Status::Ok;
    }
    case ControlMode::JointImpedance: {
      tau = cfg_.joint_stiffness.cwiseProduct(q_d_ - s.q) + cfg_.joint_damping.cwiseProduct(dq_d_ - s.dq);
      break;
    }
    case ControlMode::CartesianImpedance: {
      robot::Jacobian J;
      robot::forward_kinematics(model_, s.q, ws_);
      robot::frame_jacobian(model_, ws_, robot::Tcp, J);
      const auto& T = ws_.frames[robot::Tcp];
      Eigen::Vector3d ep = T.translation() - x_d_;
      Eigen::Vector3d er = rotation_log(T.linear() * R_d_.transpose());
      for (int i = 0; i < 3; ++i) {
        ep[i] = std::clamp(ep[i], -cfg_.translational_error_clip, cfg_.translational_error_clip);
        er[i] = std::clamp(er[i], -cfg_.rotational_error_clip, cfg_.rotational_error_clip);
      }
      const Vector6 v = J * s.dq;
      Vector6 F;
      F.head<3>() = -cfg_.translational_stiffness * ep - cfg_.translational_damping * (v.head<3>() - v_d_);
      F.tail<3>() = -cfg_.rotational_stiffness * er - cfg_.rotational_damping * (v.tail<3>() - w_d_);
      tau = J.transpose() * F;
      // null space: N = I - J^T (J^+)^T with J^+ = J^T (J J^T + l I)^-1
      const Eigen::Matrix<double, 6, 6> JJt = J * J.transpose() + 1e-4 * Eigen::Matrix<double, 6, 6>::Identity();
      const Eigen::Matrix<double, 7, 6> Jpinv = J.transpose() * JJt.ldlt().solve(Eigen::Matrix<double, 6, 6>::Identity());
      const Eigen::Matrix<double, 7, 7> N = Eigen::Matrix<double, 7, 7>::Identity() - J.transpose() * Jpinv.transpose();
      const double kn = cfg_.nullspace_stiffness;
      tau += N * (kn * (q_null_ - s.q) - 2.0 * std::sqrt(kn) * s.dq);
      break;
    }
  }
  if (cfg_.coriolis_feedforward) tau += s.coriolis;
  tau = lowpass(dt, tau, last_tau_, cfg_.cutoff_frequency);
  const Vector7 limited = limit_rate_torque(model_, tau, last_tau_, dt);
  if ((limited - tau).cwiseAbs().maxCoeff() > 1e-12) out.flags |= kFlagTorqueRateLimited;
  last_tau_ = limited;
  out.command.tau = limited;
  out.command.q = s.q;
  out.command.dq.setZero();
  return Status::Ok;
}

}  // namespace graspvla::control
