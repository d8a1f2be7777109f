// libfranka backend; see franka_io.hpp. Not compiled on machines without libfranka.
#include "graspvla/control/franka_io.hpp"

#ifdef GRASPVLA_WITH_FRANKA
#include <franka/active_control_base.h>
#include <franka/control_types.h>
#include <franka/exception.h>
#include <franka/model.h>
#include <franka/robot.h>

#include <array>

namespace graspvla::control {

LibfrankaIO::LibfrankaIO(std::string hostname, bool enforce_realtime)
    : hostname_(std::move(hostname)), enforce_realtime_(enforce_realtime) {}

LibfrankaIO::~LibfrankaIO() { stop(); }

bool LibfrankaIO::start(ControlMode mode) {
  mode_ = mode;
  return true;
}

bool LibfrankaIO::thread_start() noexcept {
  try {
    robot_ = std::make_unique<franka::Robot>(
        hostname_, enforce_realtime_ ? franka::RealtimeConfig::kEnforce : franka::RealtimeConfig::kIgnore);
    model_ = std::make_unique<franka::Model>(robot_->loadModel());
    if (mode_ == ControlMode::JointPosition) {
      control_ = robot_->startJointPositionControl(
          franka::research_interface::robot::Move::ControllerMode::kJointImpedance);
    } else {
      control_ = robot_->startTorqueControl();
    }
  } catch (const franka::Exception& e) {
    error_ = e.what();
    return false;
  }
  return true;
}

Status LibfrankaIO::read(RobotState& s, double& dt) noexcept {
  if (!control_) return Status::InvalidInput;
  try {
    const auto [state, duration] = control_->readOnce();
    for (int i = 0; i < 7; ++i) {
      s.q[i] = state.q[i];
      s.dq[i] = state.dq[i];
      s.tau_ext[i] = state.tau_ext_hat_filtered[i];
      s.q_c[i] = state.q_d[i];  // the reference the robot holds, extrapolation over lost cycles included
      s.dq_c[i] = state.dq_d[i];
      s.ddq_c[i] = state.ddq_d[i];
    }
    s.has_commanded = mode_ == ControlMode::JointPosition;
    const std::array<double, 7> c = model_->coriolis(state);
    for (int i = 0; i < 7; ++i) s.coriolis[i] = c[i];
    s.time = state.time.toSec();
    dt = duration.toSec();
  } catch (const franka::Exception& e) {
    error_ = e.what();
    return Status::InvalidInput;
  }
  return Status::Ok;
}

Status LibfrankaIO::write(const Command& cmd) noexcept {
  try {
    std::array<double, 7> v{};
    if (mode_ == ControlMode::JointPosition) {
      for (int i = 0; i < 7; ++i) v[i] = cmd.q[i];
      franka::JointPositions out(v);
      out.motion_finished = cmd.finished;
      control_->writeOnce(out);
    } else {
      for (int i = 0; i < 7; ++i) v[i] = cmd.tau[i];
      franka::Torques out(v);
      out.motion_finished = cmd.finished;
      control_->writeOnce(out);
    }
  } catch (const franka::Exception& e) {
    error_ = e.what();
    return Status::InvalidInput;
  }
  return Status::Ok;
}

void LibfrankaIO::stop() noexcept {
  control_.reset();  // ActiveControl's destructor ends the motion
  model_.reset();
  robot_.reset();
}

}  // namespace graspvla::control
#endif  // GRASPVLA_WITH_FRANKA
