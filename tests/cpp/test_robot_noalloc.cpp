// Hot robot-model calls must not touch the heap (checked with EIGEN_RUNTIME_NO_MALLOC and an
// operator new counter).
#include <cstdio>

#include "alloc_guard.hpp"
#include "graspvla/robot/robot_model.hpp"

using namespace graspvla::robot;

int main() {
  const RobotModel model = RobotModel::fr3(0.02);
  Workspace ws;
  Jacobian J;
  Vector7 q;
  q << 0.1, -0.3, 0.2, -2.0, 0.1, 1.6, 0.7;
  double sink = 0;
  {
    alloc_guard::Scope guard;
    for (int k = 0; k < 1000; ++k) {
      q[0] = 0.001 * k;
      forward_kinematics(model, q, ws);
      frame_jacobian(model, ws, Tcp, J);
      sink += J(0, 0) + ws.frames[Tcp].translation().x();
    }
    CHECK(guard.allocations() == 0);
  }
  std::printf("robot no-alloc ok (%g)\n", sink);
  return 0;
}
