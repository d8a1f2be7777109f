// Collision queries (single configuration and segment) must not touch the heap.
#include <cstdio>

#include "alloc_guard.hpp"
#include "graspvla/geometry/collision_world.hpp"

using namespace graspvla::geometry;

int main() {
  CollisionWorld world(graspvla::robot::RobotModel::fr3());
  Shape box;
  box.type = ShapeType::Box;
  box.dims = Vec3(0.4, 0.6, 0.02);
  Pose T = Pose::Identity();
  T.translation() = Vec3(0.5, 0, -0.02);
  world.add(box, T);
  Shape cloud;
  cloud.type = ShapeType::PointCloud;
  cloud.dims = Vec3(0.01, 0, 0);
  auto bvh = std::make_shared<Bvh>();
  Bvh::RowPoints pts = Bvh::RowPoints::Random(200, 3) * 0.1;
  bvh->build_points(pts);
  cloud.bvh = bvh;
  T.translation() = Vec3(0.5, 0.2, 0.2);
  world.add(cloud, T);
  world.attach({{Vec3(0, 0, 0.15), 0.03}});
  CHECK(alloc_guard::self_test());
  CollisionWorld::Scratch s;
  Vector7 q0, q1;
  q0 << 0, -0.785, 0, -2.356, 0, 1.571, 0.785;
  q1 << 0.5, 0.2, 0.1, -1.5, 0.2, 1.8, 0.3;
  int hits = 0;
  double sink = 0;
  {
    alloc_guard::Scope guard;
    for (int k = 0; k < 200; ++k) {
      Vector7 q = q0 + (q1 - q0) * (k / 200.0);
      hits += world.in_collision(q, s);
      sink += world.distance(q, s);
    }
    hits += world.segment_free(q0, q1, 0.01, s);
    hits += world.segment_interior_free(q0, q1, 0.01, s);
    CHECK(guard.allocations() == 0);
  }
  std::printf("ok (%d, %g)\n", hits, sink);
  return 0;
}
