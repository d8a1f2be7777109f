#pragma once
// The seam between the loop and a robot: start / read / write / stop. read() and write() are
// called from the 1 kHz thread: they must not allocate, throw or take blocking locks (a
// self-paced backend such as libfranka blocks in read() until the robot's next state arrives,
// which is what paces the loop).
#include <string>

#include "graspvla/control/types.hpp"
#include "graspvla/core/status.hpp"

namespace graspvla::control {

class RobotIO {
 public:
  virtual ~RobotIO() = default;
  /// Prepares the backend for `mode` (may allocate / block; not on the hot path). Returns false
  /// and sets error() on failure.
  virtual bool start(ControlMode mode) = 0;
  /// Called once on the loop thread before the first tick (real-time mode), e.g. to connect to
  /// the robot there. False (with error()) ends the loop before it starts.
  virtual bool thread_start() noexcept { return true; }
  /// Fills the current state; dt = time since the previous read (s). Non-Ok: backend error.
  virtual Status read(RobotState& state, double& dt) noexcept = 0;
  /// Applies a command (a simulation steps here). Non-Ok: backend error.
  virtual Status write(const Command& cmd) noexcept = 0;
  /// Ends the motion (a simulation keeps its state).
  virtual void stop() noexcept = 0;
  /// True when the backend drives a gripper (see gripper_command()).
  virtual bool has_gripper() const noexcept { return false; }
  /// The non-real-time gripper channel: ControlLoop::push_gripper() calls it on the pushing
  /// thread, never from the tick, with a validated command. The backend hands the command to its
  /// gripper (SimIO: a lock-free slot read by its actuator model; a real Hand: a worker running the
  /// blocking calls) and returns at once; read() then reports the gripper state in RobotState.
  /// Infeasible: this backend has no gripper.
  virtual Status gripper_command(const GripperCommand& cmd) noexcept {
    (void)cmd;
    return Status::Infeasible;
  }
  /// True when read() blocks until the next robot tick (the loop then does not sleep itself).
  virtual bool self_paced() const noexcept { return false; }
  virtual std::string error() const { return error_; }
  virtual std::string name() const = 0;

 protected:
  std::string error_;
};

}  // namespace graspvla::control
