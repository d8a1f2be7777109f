// The flow kernels on the real-time path (Stepper, axpy, unnormalize_clamp, resample) touch no heap
// once the Stepper is constructed, and compute the right thing: a rectified-flow straight path is
// integrated exactly, RK4 / Heun are exact on low-order polynomials in t, un-normalisation and
// clamping match the formula, resampling preserves the sum of deltas and holds the gripper. Bad
// input returns a Status without allocating.
#include <cmath>
#include <cstdio>
#include <vector>

#include "alloc_guard.hpp"
#include "graspvla/flow/integrators.hpp"
#include "graspvla/flow/postprocess.hpp"

using namespace graspvla::flow;
using graspvla::Status;

namespace {

constexpr std::size_t B = 2, H = 4, A = 7, N = B * H * A;

// Integrates dx/dt = f(x, t) from t = 1 to t = 0 in `steps` steps in place, no allocation.
template <typename F>
void integrate(Stepper& st, float* x, float* point, float* v, int steps, F f) {
  const float dt = -1.0f / static_cast<float>(steps);
  for (int i = 0; i < steps; ++i) {
    CHECK(st.begin(x, 1.0f + static_cast<float>(i) * dt, dt) == Status::Ok);
    for (int k = 0; k < stages(st.method()); ++k) {
      float t = 0.f;
      CHECK(st.point(k, point, &t) == Status::Ok);
      f(point, t, v);
      CHECK(st.set_velocity(k, v) == Status::Ok);
    }
    CHECK(st.finish(x) == Status::Ok);
  }
}

void integrators() {
  std::vector<float> noise(N), action(N), x(N), point(N), v(N), out(N);
  for (std::size_t i = 0; i < N; ++i) {
    noise[i] = std::sin(0.7f * static_cast<float>(i));
    action[i] = 0.5f * std::cos(0.3f * static_cast<float>(i));
  }
  for (Method m : {Method::Euler, Method::Heun, Method::RK4}) {
    Stepper st(m, N);  // the only allocation: the stage buffers
    double err_straight = 0.0, err_poly = 0.0;
    {
      alloc_guard::Scope guard;
      // Straight path x_t = t * noise + (1 - t) * a: v = noise - a is constant, every method lands on a.
      for (std::size_t i = 0; i < N; ++i) x[i] = noise[i];
      integrate(st, x.data(), point.data(), v.data(), 10, [&](const float*, float, float* vv) {
        for (std::size_t i = 0; i < N; ++i) vv[i] = noise[i] - action[i];
      });
      for (std::size_t i = 0; i < N; ++i) err_straight = std::fmax(err_straight, std::fabs(x[i] - action[i]));
      // dx/dt = 3 t^2 from x(1) = 1: x(0) = 0. RK4 (Simpson) is exact for cubics; Euler is not.
      for (std::size_t i = 0; i < N; ++i) x[i] = 1.0f;
      integrate(st, x.data(), point.data(), v.data(), 4, [&](const float*, float t, float* vv) {
        for (std::size_t i = 0; i < N; ++i) vv[i] = 3.0f * t * t;
      });
      for (std::size_t i = 0; i < N; ++i) err_poly = std::fmax(err_poly, std::fabs(x[i]));
      CHECK(axpy(noise.data(), action.data(), -0.1f, out.data(), N) == Status::Ok);
      CHECK(guard.allocations() == 0);
    }
    CHECK(err_straight < 1e-5);
    if (m == Method::RK4) CHECK(err_poly < 1e-5);
    if (m == Method::Euler) CHECK(err_poly > 1e-2);  // the check can tell the methods apart
    for (std::size_t i = 0; i < N; ++i) CHECK(out[i] == noise[i] + -0.1f * action[i]);
    std::printf("  method %d: straight-path error %.2e, 3t^2 error %.2e\n", static_cast<int>(m), err_straight,
                err_poly);

    // Bad input: a status, no allocation, no exception.
    alloc_guard::Scope guard;
    CHECK(st.begin(x.data(), std::nanf(""), 0.1f) == Status::InvalidInput);
    CHECK(st.begin(nullptr, 1.0f, -0.1f) == Status::InvalidInput);
    CHECK(st.begin(x.data(), 1.0f, -0.1f) == Status::Ok);
    float t = 0.f;
    CHECK(st.point(stages(m), point.data(), &t) == Status::InvalidInput);
    v[3] = std::nanf("");
    CHECK(st.set_velocity(0, v.data()) == Status::InvalidInput);
    CHECK(st.finish(nullptr) == Status::InvalidInput);
    CHECK(axpy(x.data(), v.data(), std::nanf(""), out.data(), N) == Status::InvalidInput);
    CHECK(guard.allocations() == 0);
  }
}

void postprocess() {
  const std::size_t rows = B * H;
  std::vector<float> x(rows * A);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -1.2f + 2.4f * static_cast<float>(i) / static_cast<float>(x.size() - 1);
  std::vector<double> mn(A), mx(A), lo(A), hi(A), out(rows * A), clamped(rows * A);
  for (std::size_t a = 0; a < A; ++a) {
    mn[a] = -0.01 * (a + 1);
    mx[a] = 0.02 * (a + 1);
    lo[a] = -0.005 * (a + 1);
    hi[a] = 0.015 * (a + 1);
  }
  // GraspVLA deltas at 0.3 s to a 0.1 s controller: 4 -> 12 steps; xyz/rpy deltas, gripper held.
  const std::size_t M = resampled_length(H, 0.3, 0.1);
  CHECK(M == 12);
  Resample modes[A] = {Resample::Delta, Resample::Delta, Resample::Delta, Resample::Delta,
                       Resample::Delta, Resample::Linear, Resample::Hold};
  std::vector<double> chunk(H * A), start(A, 0.0), res(M * A);
  for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = 0.01 * static_cast<double>(i % 5) - 0.02;
  {
    alloc_guard::Scope guard;
    CHECK(unnormalize_clamp(x.data(), rows, A, mn.data(), mx.data(), nullptr, nullptr, out.data()) == Status::Ok);
    CHECK(unnormalize_clamp(x.data(), rows, A, mn.data(), mx.data(), lo.data(), hi.data(), clamped.data()) ==
          Status::Ok);
    CHECK(resample(chunk.data(), H, A, 0.3, 0.1, modes, start.data(), res.data()) == Status::Ok);
    CHECK(unnormalize_clamp(nullptr, rows, A, mn.data(), mx.data(), nullptr, nullptr, out.data()) ==
          Status::InvalidInput);
    CHECK(resample(chunk.data(), H, A, 0.0, 0.1, modes, start.data(), res.data()) == Status::InvalidInput);
    CHECK(resample(chunk.data(), H, A, 0.3, 10.0, modes, start.data(), res.data()) == Status::InvalidInput);
    CHECK(guard.allocations() == 0);
  }
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t a = 0; a < A; ++a) {
      const double y = (static_cast<double>(x[r * A + a]) + 1.0) * 0.5 * (mx[a] - mn[a]) + mn[a];
      CHECK(out[r * A + a] == y);
      CHECK(clamped[r * A + a] == std::fmin(std::fmax(y, lo[a]), hi[a]));
    }
  }
  CHECK(resample(chunk.data(), H, A, 0.3, 0.1, modes, start.data(), res.data()) == Status::Ok);
  for (std::size_t a = 0; a < 5; ++a) {  // deltas: the sum over the chunk is preserved
    double s_in = 0.0, s_out = 0.0;
    for (std::size_t h = 0; h < H; ++h) s_in += chunk[h * A + a];
    for (std::size_t m = 0; m < M; ++m) s_out += res[m * A + a];
    CHECK(std::fabs(s_in - s_out) < 1e-12);
  }
  for (std::size_t m = 0; m < M; ++m) {
    CHECK(res[m * A + 6] == chunk[(m / 3) * A + 6]);  // gripper: zero-order hold of its source step
    if (m % 3 == 2) CHECK(std::fabs(res[m * A + 5] - chunk[(m / 3) * A + 5]) < 1e-12);  // linear hits samples
  }
}

}  // namespace

int main() {
  CHECK(alloc_guard::self_test());
  integrators();
  postprocess();
  std::printf("flow kernels: no allocation\n");
  return 0;
}
