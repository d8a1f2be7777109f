// Hot robot-model calls must not touch the heap (checked with EIGEN_RUNTIME_NO_MALLOC and an
// operator new counter).
#include <cstdio>

#include "alloc_guard.hpp"
#include "graspvla/robot/collision_spheres.hpp"
#include "graspvla/robot/dynamics.hpp"
#include "graspvla/robot/ik.hpp"
#include "graspvla/robot/ik_analytic.hpp"
#include "graspvla/robot/robot_model.hpp"

using namespace graspvla::robot;

int main() {
  const RobotModel model = RobotModel::fr3(0.02);
  Workspace ws;
  Jacobian J;
  Vector7 q;
  q << 0.1, -0.3, 0.2, -2.0, 0.1, 1.6, 0.7;
  CHECK(alloc_guard::self_test());
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
  {
    // dynamics and IK (including restarts) on the hot path
    Vector7 tau;
    MassMatrix M;
    IkOptions opt;
    opt.restarts = 2;
    IkResult res;
    forward_kinematics(model, q, ws);
    const Transform target = ws.frames[Tcp];
    alloc_guard::Scope guard;
    for (int k = 0; k < 100; ++k) {
      inverse_dynamics(model, q, q, q, tau);
      gravity_torques(model, q, tau);
      mass_matrix(model, q, M);
      sink += tau[0] + M(0, 0);
    }
    Vector7 seed = q;
    seed[3] += 0.3;
    SphereSet spheres;
    collision_spheres(model, ws, 0.04, spheres);
    sink += self_collision_distance(spheres) + (in_self_collision(spheres) ? 1.0 : 0.0);
    AnalyticSolutions sols;
    CHECK(ik_analytic(model, target, q[6], Tcp, sols) >= 1);
    ik_dls(model, target, seed, opt, ws, res);
    CHECK(res.success());
    CHECK(guard.allocations() == 0);
  }
  std::printf("robot no-alloc ok (%g)\n", sink);
  return 0;
}
