#include "graspvla/control/sim_io.hpp"

#ifdef GRASPVLA_HAS_MUJOCO
#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "graspvla/core/errors.hpp"

namespace graspvla::control {

SimIO::SimIO(const SimConfig& cfg) : cfg_(cfg) {
  char err[1000] = "";
  if (cfg.model.empty()) throw InvalidArgument("model: empty (expected an MJCF path or XML string)");
  const bool is_xml = cfg.model.find('<') != std::string::npos;
  if (is_xml) {
    mjSpec* spec = mj_parseXMLString(cfg.model.c_str(), nullptr, err, sizeof(err));
    if (!spec) throw InvalidArgument(std::string("model: MJCF string does not parse: ") + err);
    if (!cfg.asset_dir.empty()) {
      std::string dir = cfg.asset_dir;
      if (dir.back() != '/') dir += '/';
      mjs_setString(spec->modelfiledir, dir.c_str());
    }
    m_ = mj_compile(spec, nullptr);
    if (!m_) {
      std::string msg = mjs_getError(spec);
      mj_deleteSpec(spec);
      throw InvalidArgument("model: MJCF string does not compile: " + msg);
    }
    mj_deleteSpec(spec);
  } else if (cfg.model.size() > 4 && cfg.model.compare(cfg.model.size() - 4, 4, ".mjb") == 0) {
    m_ = mj_loadModel(cfg.model.c_str(), nullptr);
    if (!m_) throw InvalidArgument("model: cannot load MJB file " + cfg.model);
  } else {
    m_ = mj_loadXML(cfg.model.c_str(), nullptr, err, sizeof(err));
    if (!m_) throw InvalidArgument("model: cannot load MJCF file " + cfg.model + ": " + err);
  }
  init();
}

SimIO::SimIO(mjModel* model, mjData* data, const SimConfig& cfg) : cfg_(cfg), m_(model), d_(data), owned_(false) {
  if (!model || !data) throw InvalidArgument("model/data: null MuJoCo pointers");
  init();
}

void SimIO::init() {
  const SimConfig& cfg = cfg_;
  auto fail = [this](const std::string& msg) {
    if (owned_) {
      mj_deleteModel(m_);
      m_ = nullptr;
    }
    throw InvalidArgument(msg);
  };
  if (!(cfg.timestep > 0.0) || cfg.substeps < 1) fail("timestep/substeps: must be positive");
  m_->opt.timestep = cfg.timestep / cfg.substeps;
  // arm joints
  int found = 0;
  const bool named = !cfg.joint_names[0].empty();
  for (int i = 0; i < 7; ++i) {
    int jid = -1;
    if (named) {
      jid = mj_name2id(m_, mjOBJ_JOINT, cfg.joint_names[i].c_str());
    } else {
      int seen = 0;
      for (int j = 0; j < m_->njnt; ++j) {
        if (m_->jnt_type[j] == mjJNT_HINGE) {
          if (seen == i) {
            jid = j;
            break;
          }
          ++seen;
        }
      }
    }
    if (jid < 0 || m_->jnt_type[jid] != mjJNT_HINGE) break;
    qadr_[i] = m_->jnt_qposadr[jid];
    vadr_[i] = m_->jnt_dofadr[jid];
    ++found;
  }
  if (found != 7) fail("model: needs 7 hinge arm joints (joint_names or the first 7 hinges)");
  // disable actuators driving the arm joints: torques go through qfrc_applied
  for (int a = 0; a < m_->nu; ++a) {
    if (m_->actuator_trntype[a] != mjTRN_JOINT) continue;
    const int jid = m_->actuator_trnid[2 * a];
    for (int i = 0; i < 7; ++i) {
      if (m_->jnt_dofadr[jid] == vadr_[i]) {
        for (int k = 0; k < mjNGAIN; ++k) m_->actuator_gainprm[a * mjNGAIN + k] = 0.0;
        for (int k = 0; k < mjNBIAS; ++k) m_->actuator_biasprm[a * mjNBIAS + k] = 0.0;
      }
    }
  }
  force_body_ = mj_name2id(m_, mjOBJ_BODY, cfg.force_body.c_str());
  if (force_body_ < 0) {
    // the body of the 7th arm joint
    for (int j = 0; j < m_->njnt; ++j) {
      if (m_->jnt_dofadr[j] == vadr_[6]) force_body_ = m_->jnt_bodyid[j];
    }
  }
  // gravity compensation of every robot body (same root as the first arm joint), as the robot does
  {
    int j1 = -1;
    for (int j = 0; j < m_->njnt; ++j) {
      if (m_->jnt_dofadr[j] == vadr_[0]) j1 = j;
    }
    const int root = m_->body_rootid[m_->jnt_bodyid[j1]];
    int n = 0;
    for (int b = 1; b < m_->nbody; ++b) {
      if (m_->body_rootid[b] == root) {
        m_->body_gravcomp[b] = 1.0;
        ++n;
      }
    }
    for (int j = 0; j < m_->njnt; ++j) m_->jnt_actgravcomp[j] = 0;
    m_->ngravcomp = n;
  }
  // gripper: a fixed-gain, affine-bias actuator on a tendon, plus the two finger joints
  {
    int a = mj_name2id(m_, mjOBJ_ACTUATOR, cfg.gripper_actuator.c_str());
    if (a < 0) a = mj_name2id(m_, mjOBJ_ACTUATOR, "hand");
    int f[2] = {-1, -1};
    for (int k = 0; k < 2; ++k) f[k] = mj_name2id(m_, mjOBJ_JOINT, cfg.finger_joints[k].c_str());
    if (a >= 0 && f[0] >= 0 && f[1] >= 0 && m_->actuator_trntype[a] == mjTRN_TENDON &&
        m_->actuator_gaintype[a] == mjGAIN_FIXED && m_->actuator_biastype[a] == mjBIAS_AFFINE &&
        m_->actuator_gainprm[a * mjNGAIN] > 0.0 && m_->actuator_biasprm[a * mjNBIAS + 1] < 0.0) {
      grip_act_ = a;
      for (int k = 0; k < 2; ++k) {
        finger_qadr_[k] = m_->jnt_qposadr[f[k]];
        finger_vadr_[k] = m_->jnt_dofadr[f[k]];
      }
      // the tendon's coefficient on the first finger joint: d(length)/d(finger)
      const int t = m_->actuator_trnid[2 * a];
      for (int w = m_->tendon_adr[t]; w < m_->tendon_adr[t] + m_->tendon_num[t]; ++w) {
        if (m_->wrap_type[w] == mjWRAP_JOINT && m_->jnt_dofadr[m_->wrap_objid[w]] == finger_vadr_[0]) {
          grip_moment_ = std::abs(m_->wrap_prm[w]);
        }
      }
      if (!(grip_moment_ > 0.0)) grip_act_ = -1;
    }
  }
  if (!d_) {
    d_ = mj_makeData(m_);
    const int key = cfg.keyframe.empty() ? -1 : mj_name2id(m_, mjOBJ_KEY, cfg.keyframe.c_str());
    if (key >= 0) {
      mj_resetDataKeyframe(m_, d_, key);
    } else {
      mj_resetData(m_, d_);
    }
    if (cfg.has_q0) {
      for (int i = 0; i < 7; ++i) d_->qpos[qadr_[i]] = cfg.q0[i];
    }
  }
  qfrc_tmp_ = new double[m_->nv];
  mj_forward(m_, d_);
}

SimIO::~SimIO() {
  delete[] qfrc_tmp_;
  if (owned_) {
    if (d_) mj_deleteData(d_);
    if (m_) mj_deleteModel(m_);
  }
}

bool SimIO::start(ControlMode mode) {
  mode_ = mode;
  mj_forward(m_, d_);
  last_time_ = d_->time;
  return true;
}

void SimIO::set_arm_configuration(const Vector7& q) noexcept {
  for (int i = 0; i < 7; ++i) {
    d_->qpos[qadr_[i]] = q[i];
    d_->qvel[vadr_[i]] = 0.0;
  }
  mj_forward(m_, d_);
}

int SimIO::mujoco_version() noexcept { return mj_version(); }
int SimIO::nq() const noexcept { return m_->nq; }
void SimIO::qpos(double* out) const noexcept { std::memcpy(out, d_->qpos, sizeof(double) * m_->nq); }
double SimIO::sim_time() const noexcept { return d_->time; }

void SimIO::set_external_force(double fx, double fy, double fz) noexcept {
  fx_.store(fx, std::memory_order_relaxed);
  fy_.store(fy, std::memory_order_relaxed);
  fz_.store(fz, std::memory_order_relaxed);
}

double SimIO::gripper_width() const noexcept {
  return d_->qpos[finger_qadr_[0]] + d_->qpos[finger_qadr_[1]];
}

Status SimIO::gripper_command(const GripperCommand& cmd) noexcept {
  if (grip_act_ < 0) return Status::Infeasible;
  grip_cmds_.write(cmd);  // single producer: ControlLoop::push_gripper serialises callers
  return Status::Ok;
}

// The Hand "firmware": once per tick, before the actuation stage of mj_step2. Allocation free.
void SimIO::gripper_tick() noexcept {
  if (grip_act_ < 0) return;
  const int a = grip_act_;
  const double w = gripper_width();
  if (grip_cmds_.update()) {
    grip_cmd_ = grip_cmds_.front();
    grip_seq_ = grip_cmd_.seq;
    grip_ref_ = w;  // every motion starts from the measured width
    if (grip_cmd_.action == GripperAction::Stop) {
      grip_cmd_.action = GripperAction::Move;
      grip_cmd_.width = w;
      grip_cmd_.speed = 1.0;
    }
    grip_active_ = grip_busy_ = true;
    grip_grasped_ = false;
    grip_still_ = 0;
    grip_elapsed_ = 0.0;
    grip_timeout_ = std::abs(grip_cmd_.width - w) / grip_cmd_.speed + 1.0;
  }
  if (!grip_active_) return;  // no command yet: the model's own control stays
  const double dt = cfg_.timestep;
  const double g = m_->actuator_gainprm[a * mjNGAIN];
  const double b0 = m_->actuator_biasprm[a * mjNBIAS], b1 = m_->actuator_biasprm[a * mjNBIAS + 1];
  const double step = grip_cmd_.speed * dt;
  grip_ref_ += std::clamp(grip_cmd_.width - grip_ref_, -step, step);
  // the control whose static equilibrium is the reference width (length = moment * width)
  double ctrl = -(b0 + b1 * grip_moment_ * grip_ref_) / g;
  bool force_limited = false;
  if (grip_cmd_.action == GripperAction::Grasp) {
    // never close harder than `force` per finger: actuator force >= -force / moment
    const double cf = (-grip_cmd_.force / grip_moment_ - b0 - b1 * d_->actuator_length[a]) / g;
    if (cf > ctrl) {
      ctrl = cf;
      force_limited = true;
    }
  }
  if (m_->actuator_ctrllimited[a]) {
    ctrl = std::clamp(ctrl, m_->actuator_ctrlrange[2 * a], m_->actuator_ctrlrange[2 * a + 1]);
  }
  d_->ctrl[a] = ctrl;
  const bool in_band = w >= grip_cmd_.width - grip_cmd_.epsilon_inner && w <= grip_cmd_.width + grip_cmd_.epsilon_outer;
  if (grip_busy_) {
    grip_elapsed_ += dt;
    const double wdot = d_->qvel[finger_vadr_[0]] + d_->qvel[finger_vadr_[1]];
    grip_still_ = std::abs(wdot) < 2e-3 ? grip_still_ + 1 : 0;
    const bool ramp_done = grip_ref_ == grip_cmd_.width;
    if ((grip_still_ >= 30 && (ramp_done || force_limited)) || grip_elapsed_ > grip_timeout_) {
      grip_busy_ = false;
    }
  }
  // a grasp holds while the width stays inside its epsilons (a dropped object ends it)
  grip_grasped_ = !grip_busy_ && grip_cmd_.action == GripperAction::Grasp && in_band;
}

Status SimIO::read(RobotState& s, double& dt) noexcept {
  // position and velocity stages for the current qpos/qvel (bias forces, gravity compensation)
  mj_step1(m_, d_);
  for (int i = 0; i < 7; ++i) {
    s.q[i] = d_->qpos[qadr_[i]];
    s.dq[i] = d_->qvel[vadr_[i]];
    // robot bodies have gravcomp = 1, so qfrc_gravcomp is their gravity torque (applied by MuJoCo
    // as a passive force, as the robot compensates gravity itself)
    coriolis_[i] = d_->qfrc_bias[vadr_[i]] - d_->qfrc_gravcomp[vadr_[i]];
  }
  Vector7 tau_ext = tau_contact_;
  // applied disturbance
  const mjtNum F[3] = {fx_.load(std::memory_order_relaxed), fy_.load(std::memory_order_relaxed),
                       fz_.load(std::memory_order_relaxed)};
  std::memset(qfrc_tmp_, 0, sizeof(double) * m_->nv);
  if (force_body_ >= 0 && (F[0] != 0.0 || F[1] != 0.0 || F[2] != 0.0)) {
    const mjtNum T[3] = {0, 0, 0};
    mj_applyFT(m_, d_, F, T, d_->xpos + 3 * force_body_, force_body_, qfrc_tmp_);
    for (int i = 0; i < 7; ++i) tau_ext[i] += qfrc_tmp_[vadr_[i]];
  }
  s.tau_ext = tau_ext;
  s.coriolis = coriolis_;
  if (grip_act_ >= 0) {
    s.gripper_width = gripper_width();
    s.gripper_busy = grip_busy_;
    s.gripper_grasped = grip_grasped_;
    s.gripper_seq = grip_seq_;
  }
  s.time = d_->time;
  dt = d_->time - last_time_;
  last_time_ = d_->time;
  return Status::Ok;
}

Status SimIO::write(const Command& cmd) noexcept {
  std::memcpy(d_->qfrc_applied, qfrc_tmp_, sizeof(double) * m_->nv);  // the disturbance
  for (int i = 0; i < 7; ++i) {
    double tau;
    if (cmd.mode == ControlMode::JointPosition) {
      tau = cfg_.internal_stiffness[i] * (cmd.q[i] - d_->qpos[qadr_[i]]) +
            cfg_.internal_damping[i] * (cmd.dq[i] - d_->qvel[vadr_[i]]) + coriolis_[i];
    } else {
      tau = cmd.tau[i];
    }
    if (!std::isfinite(tau)) return Status::InvalidInput;
    d_->qfrc_applied[vadr_[i]] += tau;
  }
  gripper_tick();
  mj_step2(m_, d_);
  for (int k = 1; k < cfg_.substeps; ++k) mj_step(m_, d_);
  // contact-only constraint torques of this step (efc_J and efc_force belong together here)
  tau_contact_.setZero();
  if (d_->nefc > 0) {
    mj_markStack(d_);
    mjtNum* f = mj_stackAllocNum(d_, d_->nefc);
    mjtNum* res = mj_stackAllocNum(d_, m_->nv);
    for (int r = 0; r < d_->nefc; ++r) {
      const int t = d_->efc_type[r];
      const bool contact = t == mjCNSTR_CONTACT_FRICTIONLESS || t == mjCNSTR_CONTACT_PYRAMIDAL ||
                           t == mjCNSTR_CONTACT_ELLIPTIC;
      f[r] = contact ? d_->efc_force[r] : 0.0;
    }
    mj_mulJacTVec(m_, d_, res, f);
    for (int i = 0; i < 7; ++i) tau_contact_[i] = res[vadr_[i]];
    mj_freeStack(d_);
  }
  return Status::Ok;
}

}  // namespace graspvla::control
#endif  // GRASPVLA_HAS_MUJOCO
