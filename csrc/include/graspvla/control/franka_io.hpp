#pragma once
// libfranka backend (a real Franka): compiled only when CMake finds libfranka
// (GRASPVLA_WITH_FRANKA). It uses libfranka's ActiveControl API (>= 0.13): startTorqueControl()
// for the torque modes (the robot adds gravity and friction compensation), or
// startJointPositionControl(JointImpedance) for JointPosition; readOnce() blocks until the
// robot's next state and therefore paces the loop.
//
// franka::Robot is constructed in thread_start(), on the loop thread: since libfranka 0.18 the
// constructing thread is switched to real-time priority, which must not be the interpreter's.
//
// NOTE: no libfranka headers exist in the package registries available to this project, so this
// file has not been compiled here; it is kept small and behind the same RobotIO seam as SimIO.
#ifdef GRASPVLA_WITH_FRANKA
#include <memory>
#include <string>

#include "graspvla/control/robot_io.hpp"

namespace franka {
class Robot;
class Model;
class ActiveControlBase;
}  // namespace franka

namespace graspvla::control {

class LibfrankaIO final : public RobotIO {
 public:
  explicit LibfrankaIO(std::string hostname, bool enforce_realtime = false);
  ~LibfrankaIO() override;
  bool start(ControlMode mode) override;  // records the mode; the connection is made on the loop thread
  bool thread_start() noexcept override;  // connects (franka::Robot) and starts the control
  Status read(RobotState& state, double& dt) noexcept override;
  Status write(const Command& cmd) noexcept override;
  void stop() noexcept override;
  bool self_paced() const noexcept override { return true; }
  std::string name() const override { return "libfranka"; }

 private:
  std::string hostname_;
  bool enforce_realtime_;
  ControlMode mode_ = ControlMode::JointImpedance;
  std::unique_ptr<franka::Robot> robot_;
  std::unique_ptr<franka::Model> model_;
  std::unique_ptr<franka::ActiveControlBase> control_;
};

}  // namespace graspvla::control
#endif  // GRASPVLA_WITH_FRANKA
