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
  // Each hot call in its own guard, on both models, so a failure names the culprit.
  for (const RobotModel& mdl : {RobotModel::panda(), RobotModel::fr3(0.02)}) {
    Vector7 tau;
    MassMatrix M;
    Vector7 dq = Vector7::Constant(0.3), ddq = Vector7::Constant(-1.0);
    {
      alloc_guard::Scope guard;
      for (int k = 0; k < 100; ++k) {
        q[1] = -0.3 + 0.001 * k;
        inverse_dynamics(mdl, q, dq, ddq, tau);
        sink += tau[0];
      }
      CHECK(guard.allocations() == 0);  // RNEA
    }
    {
      alloc_guard::Scope guard;
      for (int k = 0; k < 100; ++k) {
        gravity_torques(mdl, q, tau);
        sink += tau[1];
        coriolis_torques(mdl, q, dq, tau);
        sink += tau[2];
      }
      CHECK(guard.allocations() == 0);  // gravity, Coriolis
    }
    {
      alloc_guard::Scope guard;
      for (int k = 0; k < 100; ++k) {
        mass_matrix(mdl, q, M);
        sink += M(0, 0);
      }
      CHECK(guard.allocations() == 0);  // CRBA
    }
    forward_kinematics(mdl, q, ws);
    const Transform target = ws.frames[Tcp];
    {
      // closed-form IK, several q7 values (including ones with no solution)
      AnalyticSolutions sols;
      int found = 0;
      alloc_guard::Scope guard;
      for (int k = -5; k <= 5; ++k) found += ik_analytic(mdl, target, q[6] + 0.3 * k, Tcp, sols);
      CHECK(guard.allocations() == 0);
      CHECK(found >= 1);
      sink += found;
    }
    {
      // DLS IK: a converging solve from a perturbed seed ...
      IkOptions opt;
      opt.restarts = 2;
      IkResult res;
      Vector7 seed = q;
      seed[3] += 0.3;
      alloc_guard::Scope guard;
      ik_dls(mdl, target, seed, opt, ws, res);
      CHECK(guard.allocations() == 0);
      CHECK(res.success());
      sink += res.q[0];
    }
    {
      // ... and an unreachable pose that spends the whole budget (every iteration, every restart)
      IkOptions opt;
      opt.restarts = 3;
      opt.max_iterations = 50;
      IkResult res;
      Transform far = target;
      far.translation() << 2.0, 0.0, 0.5;
      alloc_guard::Scope guard;
      ik_dls(mdl, far, q, opt, ws, res);
      CHECK(guard.allocations() == 0);
      CHECK(!res.success() && res.iterations == 4 * 50 && res.attempts == 4);
      sink += res.position_error;
    }
  }
  {
    SphereSet spheres;
    alloc_guard::Scope guard;
    collision_spheres(model, ws, 0.04, spheres);
    sink += self_collision_distance(spheres) + (in_self_collision(spheres) ? 1.0 : 0.0);
    CHECK(guard.allocations() == 0);
  }
  std::printf("robot no-alloc ok (%g)\n", sink);
  return 0;
}
