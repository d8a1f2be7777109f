#include "graspvla/flow/integrators.hpp"

#include <cmath>

namespace graspvla::flow {

int stages(Method m) {
  switch (m) {
    case Method::Euler: return 1;
    case Method::Heun: return 2;
    case Method::RK4: return 4;
  }
  return 1;
}

Stepper::Stepper(Method method, std::size_t n)
    : method_(method), n_(n), x0_(n), k_(static_cast<std::size_t>(stages(method)) * n) {}

Status Stepper::begin(const float* x, float t, float dt) {
  if (!x || !std::isfinite(t) || !std::isfinite(dt)) return Status::InvalidInput;
  for (std::size_t i = 0; i < n_; ++i) x0_[i] = x[i];
  t_ = t;
  dt_ = dt;
  return Status::Ok;
}

Status Stepper::point(int k, float* x_out, float* t_out) const {
  if (k < 0 || k >= stages(method_) || !x_out || !t_out) return Status::InvalidInput;
  float c = 0.f;  // stage point x0 + c * dt * k_{k-1}
  if (method_ == Method::Heun && k == 1) c = 1.f;
  if (method_ == Method::RK4) c = (k == 0) ? 0.f : (k == 3 ? 1.f : 0.5f);
  *t_out = t_ + c * dt_;
  if (k == 0) {
    for (std::size_t i = 0; i < n_; ++i) x_out[i] = x0_[i];
    return Status::Ok;
  }
  const float* prev = k_.data() + static_cast<std::size_t>(k - 1) * n_;
  const float a = c * dt_;
  for (std::size_t i = 0; i < n_; ++i) x_out[i] = x0_[i] + a * prev[i];
  return Status::Ok;
}

Status Stepper::set_velocity(int k, const float* v) {
  if (k < 0 || k >= stages(method_) || !v) return Status::InvalidInput;
  float* dst = k_.data() + static_cast<std::size_t>(k) * n_;
  for (std::size_t i = 0; i < n_; ++i) {
    if (!std::isfinite(v[i])) return Status::InvalidInput;
    dst[i] = v[i];
  }
  return Status::Ok;
}

Status Stepper::finish(float* x_out) const {
  if (!x_out) return Status::InvalidInput;
  const float* k1 = k_.data();
  switch (method_) {
    case Method::Euler:
      for (std::size_t i = 0; i < n_; ++i) x_out[i] = x0_[i] + dt_ * k1[i];
      break;
    case Method::Heun: {
      const float* k2 = k1 + n_;
      const float h = 0.5f * dt_;
      for (std::size_t i = 0; i < n_; ++i) x_out[i] = x0_[i] + h * (k1[i] + k2[i]);
      break;
    }
    case Method::RK4: {
      const float* k2 = k1 + n_;
      const float* k3 = k2 + n_;
      const float* k4 = k3 + n_;
      const float h = dt_ / 6.f;
      for (std::size_t i = 0; i < n_; ++i) x_out[i] = x0_[i] + h * (k1[i] + 2.f * k2[i] + 2.f * k3[i] + k4[i]);
      break;
    }
  }
  return Status::Ok;
}

Status axpy(const float* x, const float* v, float a, float* out, std::size_t n) {
  if (!x || !v || !out || !std::isfinite(a)) return Status::InvalidInput;
  for (std::size_t i = 0; i < n; ++i) out[i] = x[i] + a * v[i];
  return Status::Ok;
}

}  // namespace graspvla::flow
