// The online generator re-plans every cycle without touching the heap, and its output is
// continuous across re-targeting.
#include <cmath>
#include <cstdio>

#include "alloc_guard.hpp"
#include "graspvla/trajectory/otg.hpp"

using namespace graspvla::trajectory;
using graspvla::Status;

int main() {
  CHECK(alloc_guard::self_test());
  Input in;
  in.dof = 7;
  for (int i = 0; i < 7; ++i) {
    in.max_velocity[i] = 2.0;
    in.max_acceleration[i] = 10.0;
    in.max_jerk[i] = 5000.0;
    in.target_position[i] = 0.3 * (i + 1);
  }
  OTG otg(0.001);
  Output out;
  double prev_a = 0.0, worst_jump = 0.0;
  int finished = 0;
  {
    alloc_guard::Scope guard;
    for (int k = 0; k < 4000; ++k) {
      if (k % 250 == 0 && k < 2000) {  // a new target every 250 ms, then settle
        for (int i = 0; i < 7; ++i) in.target_position[i] = std::sin(0.01 * k + i);
      }
      const Status s = otg.update(in, out);
      CHECK(s == Status::Working || s == Status::Finished);
      finished += s == Status::Finished;
      worst_jump = std::fmax(worst_jump, std::fabs(out.new_acceleration[0] - prev_a));
      prev_a = out.new_acceleration[0];
      OTG::pass_to_input(out, in);
    }
    CHECK(guard.allocations() == 0);
  }
  CHECK(worst_jump <= 5000.0 * 0.001 * (1 + 1e-6));  // jerk-limited across every re-plan
  CHECK(finished > 0);
  std::printf("trajectory no-alloc ok (max da per tick %.4f)\n", worst_jump);
  return 0;
}
