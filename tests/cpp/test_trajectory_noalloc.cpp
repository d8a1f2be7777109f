// The online generator re-plans without touching the heap (fixed 7-DoF and dynamic DoF), its
// output is continuous and jerk-limited across re-targeting, and it reaches the target.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "alloc_guard.hpp"
#include "graspvla/robot/robot_model.hpp"
#include "graspvla/trajectory/limits.hpp"
#include "graspvla/trajectory/otg.hpp"

using namespace graspvla::trajectory;
using graspvla::Status;

template <std::size_t N>
void run(OTGT<N>& otg, InputT<N>& in, OutputT<N>& out, bool replan_every_tick) {
  const std::size_t n = in.dof();
  double prev_a = 0.0, worst_jump = 0.0;
  int finished = 0, calculations = 0;
  {
    alloc_guard::Scope guard;
    for (int k = 0; k < 4000; ++k) {
      if (k % 250 == 0 && k < 2000) {  // a new target every 250 ms, then settle
        for (std::size_t i = 0; i < n; ++i) {
          const double mid = std::isfinite(in.min_position[i]) ? 0.5 * (in.min_position[i] + in.max_position[i]) : 0.0;
          in.target_position[i] = mid + 0.5 * std::sin(0.01 * k + i);
          in.target_velocity[i] = k < 1500 ? 0.3 * in.max_velocity[i] * std::cos(0.02 * k + i) : 0.0;
        }
      }
      if (replan_every_tick) in.current_position[0] += 1e-12;  // a "measured" state: forces re-planning
      const Status s = otg.update(in, out);
      if (!(s == Status::Working || s == Status::Finished)) std::printf("k=%d status %s\n", k, graspvla::to_string(s));
      CHECK(s == Status::Working || s == Status::Finished);
      finished += s == Status::Finished;
      calculations += out.new_calculation;
      worst_jump = std::fmax(worst_jump, std::fabs(out.new_acceleration[0] - prev_a));
      prev_a = out.new_acceleration[0];
      out.pass_to_input(in);
    }
    CHECK(guard.allocations() == 0);
  }
  CHECK(worst_jump <= in.max_jerk[0] * 0.001 * (1 + 1e-6));  // jerk-limited across every re-plan
  CHECK(finished > 0);
  for (std::size_t i = 0; i < n; ++i) CHECK(std::fabs(out.new_position[i] - in.target_position[i]) < 1e-7);
  if (replan_every_tick) {
    CHECK(calculations == 4000);
  } else {
    CHECK(calculations == 8);  // once per new target, never while following the plan
  }
  std::printf("  dof %zu: %d calculations, max da per tick %.4f\n", n, calculations, worst_jump);
}

int main() {
  CHECK(alloc_guard::self_test());
  const auto model = graspvla::robot::RobotModel::fr3();
  {
    Input in;
    CHECK(set_robot_limits(in, model, 0.5));
    OTG otg(0.001);
    Output out;
    run(otg, in, out, false);
    run(otg, in, out, true);
  }
  {
    DynamicInput in(3);
    for (std::size_t i = 0; i < 3; ++i) {
      in.max_velocity[i] = 2.0;
      in.max_acceleration[i] = 10.0;
      in.max_jerk[i] = 5000.0;
    }
    DynamicOTG otg(3, 0.001);
    DynamicOutput out(3);
    run(otg, in, out, false);
    // Bad input returns a status, never throws or allocates.
    DynamicInput wrong(4);
    alloc_guard::Scope guard;
    in.target_position[1] = std::nan("");
    CHECK(otg.update(in, out) == Status::InvalidInput);
    in.target_position[1] = 0.0;
    in.max_jerk[2] = 0.0;
    CHECK(otg.update(in, out) == Status::InvalidInput);
    in.max_jerk[2] = 5000.0;
    in.target_velocity[0] = 3.0;
    CHECK(otg.update(in, out) == Status::LimitViolation);
    in.target_velocity[0] = 0.0;
    CHECK(otg.update(wrong, out) == Status::InvalidInput);
    CHECK(otg.update(in, out) == Status::Working || otg.update(in, out) == Status::Finished);
    CHECK(guard.allocations() == 0);
  }
  {
    // Offline calculate() over many random problems (including duration gaps), all three
    // synchronisation modes: no allocation, always a result that ends at the target.
    Input in;
    CHECK(set_robot_limits(in, model, 1.0));
    Trajectory tr;
    std::uint64_t seed = 12345;
    auto uniform = [&seed](double lo, double hi) {  // splitmix64: deterministic, allocation free
      seed += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      return lo + (hi - lo) * static_cast<double>(z >> 11) / 9007199254740992.0;
    };
    const Synchronization modes[] = {Synchronization::Time, Synchronization::Phase, Synchronization::None};
    int ok = 0;
    alloc_guard::Scope guard;
    for (int k = 0; k < 3000; ++k) {
      for (int i = 0; i < 7; ++i) {
        const double V = in.max_velocity[i], A = in.max_acceleration[i], J = in.max_jerk[i];
        in.current_position[i] = uniform(in.min_position[i], in.max_position[i]);
        in.target_position[i] = uniform(in.min_position[i], in.max_position[i]);
        do {
          in.current_velocity[i] = uniform(-V, V);
          in.current_acceleration[i] = uniform(-A, A);
        } while (std::fabs(in.current_velocity[i] + in.current_acceleration[i] * std::fabs(in.current_acceleration[i]) /
                                                         (2 * J)) > V);
        in.target_velocity[i] = k % 2 ? uniform(-V, V) : 0.0;
      }
      in.synchronization = modes[k % 3];
      CHECK(calculate(in, tr) == Status::Ok);
      double p[7], v[7], a[7];
      for (int i = 0; i < 7; ++i) tr.profiles[i].at(tr.profiles[i].duration, p[i], v[i], a[i]);  // own end
      for (int i = 0; i < 7; ++i) {
        if (in.synchronization != Synchronization::None) CHECK(std::fabs(tr.profiles[i].duration - tr.duration) < 1e-9);
        if (std::fabs(p[i] - in.target_position[i]) < 1e-8 && std::fabs(v[i] - in.target_velocity[i]) < 1e-8) ++ok;
      }
    }
    CHECK(guard.allocations() == 0);
    CHECK(ok == 3000 * 7);
  }
  std::printf("trajectory no-alloc ok\n");
  return 0;
}
