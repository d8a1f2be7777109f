#pragma once
// Explicit ODE integrators for flow matching on batched action chunks. The velocity network
// lives in torch: the caller evaluates v at the stage points this class hands out and the class
// does the fused arithmetic (no allocation after construction, no exceptions, Status codes).
//
// Convention (pi0 / GraspVLA): t = 1 is noise, t = 0 is the action; integrating from t to
// t + dt with dt = -1 / steps, dx/dt = v.
#include <cstddef>
#include <vector>

#include "graspvla/core/status.hpp"

namespace graspvla::flow {

enum class Method : int { Euler = 0, Heun = 1, RK4 = 2 };

/// Velocity evaluations per step: 1, 2, 4.
int stages(Method m);

/// Stateful stepper over one flat buffer of n floats (e.g. B x H x A).
///   begin(x, t, dt); for k in [0, stages): point(k, xs, &ts) -> caller computes v = f(xs, ts);
///   set_velocity(k, v); then finish(x) writes x(t + dt) into x.
class Stepper {
 public:
  Stepper(Method method, std::size_t n);
  Method method() const { return method_; }
  std::size_t size() const { return n_; }

  Status begin(const float* x, float t, float dt);
  /// Stage point (x_k, t_k) at which the velocity must be evaluated next.
  Status point(int k, float* x_out, float* t_out) const;
  Status set_velocity(int k, const float* v);
  Status finish(float* x_out) const;

 private:
  Method method_;
  std::size_t n_;
  float t_ = 0.f, dt_ = 0.f;
  std::vector<float> x0_;
  std::vector<float> k_;  // stages x n
};

/// out = x + a * v (the Euler update), elementwise on n floats.
Status axpy(const float* x, const float* v, float a, float* out, std::size_t n);

}  // namespace graspvla::flow
