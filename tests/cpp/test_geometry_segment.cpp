// segment_free / segment_interior_free check exactly the states q0 + k/n (q1 - q0), k = 0..n
// (n = ceil(max|q1 - q0| / resolution)); the interior variant skips k = 0 and k = n. Compared
// with a plain linear sweep over random segments in a cluttered world.
#include <cmath>
#include <cstdio>
#include <random>

#include "expect.hpp"
#include "graspvla/geometry/collision_world.hpp"

using namespace graspvla::geometry;
using graspvla::robot::RobotModel;

int main() {
  const RobotModel model = RobotModel::fr3();
  CollisionWorld world(model);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Shape box;
  box.type = ShapeType::Box;
  for (int i = 0; i < 8; ++i) {
    box.dims = Vec3(0.02 + 0.08 * u(rng), 0.02 + 0.08 * u(rng), 0.02 + 0.08 * u(rng));
    Pose T = Pose::Identity();
    T.translation() = Vec3(0.3 + 0.5 * u(rng), -0.5 + u(rng), 0.1 + 0.6 * u(rng));
    world.add(box, T);
  }
  CollisionWorld::Scratch s;
  auto random_q = [&] {
    Vector7 q;
    for (int i = 0; i < 7; ++i) q[i] = model.limits.q_min[i] + (model.limits.q_max[i] - model.limits.q_min[i]) * u(rng);
    return q;
  };
  int free_ends = 0, free_segments = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const Vector7 q0 = random_q();
    // Short and long segments, so both outcomes are common.
    const Vector7 q1 = q0 + (random_q() - q0) * (trial % 2 ? 0.05 : 0.5);
    const double res = 0.01;
    const Vector7 d = q1 - q0;
    const long n = std::max(1L, static_cast<long>(std::ceil(d.cwiseAbs().maxCoeff() / res)));
    bool interior = true;
    for (long k = 1; k < n && interior; ++k) interior = !world.in_collision(q0 + d * (static_cast<double>(k) / n), s);
    const bool ends = !world.in_collision(q0, s) && !world.in_collision(q1, s);
    EXPECT(world.segment_interior_free(q0, q1, res, s) == interior);
    EXPECT(world.segment_free(q0, q1, res, s) == (ends && interior));
    free_ends += ends;
    free_segments += ends && interior;
  }
  EXPECT(free_segments > 100 && free_ends - free_segments > 100);
  // Degenerate input: zero length (no interior states), bad resolution, non-finite.
  const Vector7 q = random_q();
  EXPECT(world.segment_interior_free(q, q, 0.01, s));
  EXPECT(!world.segment_interior_free(q, q, 0.0, s));
  Vector7 bad = q;
  bad[2] = std::nan("");
  EXPECT(!world.segment_interior_free(q, bad, 0.01, s));
  std::printf("%d segments with free ends, %d free\n", free_ends, free_segments);
  if (expect_failures) std::fprintf(stderr, "%d failure(s)\n", expect_failures);
  return expect_failures ? 1 : 0;
}
