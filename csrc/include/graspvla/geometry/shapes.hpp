#pragma once
// Obstacle shapes for the collision world and their signed distance to a point.
//
// Every shape lives in its own local frame (pose = local -> world, metres):
//   Box       half extents (hx, hy, hz) about the origin
//   Sphere    radius r at the origin
//   Capsule   segment from (0,0,-h) to (0,0,+h) swept by radius r
//   Cylinder  axis z, |z| <= h, radius r (flat caps)
//   Mesh      triangle surface (unsigned distance; a BVH over triangles, built once)
//   PointCloud points inflated by a radius (a BVH over points, built once)
// Signed distance: negative inside (box, sphere, capsule, cylinder); meshes and point clouds
// are surfaces, so their distance is >= 0 (minus the point radius for clouds).
#include <Eigen/Core>
#include <Eigen/Geometry>
#include <limits>
#include <memory>
#include <vector>

namespace graspvla::geometry {

using Vec3 = Eigen::Vector3d;
using Pose = Eigen::Isometry3d;

struct Aabb {
  Vec3 lo = Vec3::Constant(std::numeric_limits<double>::infinity());
  Vec3 hi = Vec3::Constant(-std::numeric_limits<double>::infinity());
  void grow(const Vec3& p) noexcept {
    lo = lo.cwiseMin(p);
    hi = hi.cwiseMax(p);
  }
  void grow(const Aabb& b) noexcept {
    lo = lo.cwiseMin(b.lo);
    hi = hi.cwiseMax(b.hi);
  }
  /// Squared distance from p to the box (0 inside).
  double squared_distance(const Vec3& p) const noexcept {
    const Vec3 d = (lo - p).cwiseMax(p - hi).cwiseMax(0.0);
    return d.squaredNorm();
  }
};

/// Signed distances of elementary shapes (point in the shape's local frame).
double box_distance(const Vec3& p, const Vec3& half) noexcept;
double capsule_distance(const Vec3& p, double radius, double half_length) noexcept;
double cylinder_distance(const Vec3& p, double radius, double half_length) noexcept;
/// Squared distance from p to triangle (a, b, c); exact (Ericson, Real-Time Collision Detection 5.1.5).
double point_triangle_squared_distance(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c) noexcept;
/// Ray-triangle intersection (Moller-Trumbore, both faces): parameter t of origin + t * dir, or
/// a negative value when the ray's line misses the triangle (or is parallel to it).
double ray_triangle(const Vec3& origin, const Vec3& dir, const Vec3& a, const Vec3& b, const Vec3& c) noexcept;
/// Whether triangle (a, b, c) intersects the axis-aligned box [-half, half] (separating axes:
/// 3 box normals, the triangle normal, 9 edge cross products; Akenine-Moller 2001).
bool triangle_box_overlap(const Vec3& a, const Vec3& b, const Vec3& c, const Vec3& half) noexcept;

/// A static bounding-volume hierarchy of axis-aligned boxes over primitives (triangles or
/// points), in the shape's local frame. Built once (allocates); queries are allocation free.
class Bvh {
 public:
  using RowPoints = Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>;
  using RowTriangles = Eigen::Matrix<int, Eigen::Dynamic, 3, Eigen::RowMajor>;

  /// Triangle mesh. Caller validates (finite vertices, indices in range, non-degenerate).
  void build_mesh(const RowPoints& vertices, const RowTriangles& triangles);
  /// Point cloud.
  void build_points(const RowPoints& points);

  /// Smallest distance from p to any primitive, searching only below `bound` (returns `bound`
  /// when nothing is closer). Unsigned.
  double distance(const Vec3& p, double bound = std::numeric_limits<double>::infinity()) const noexcept;
  /// Whether any primitive lies within distance r of p.
  bool within(const Vec3& p, double r) const noexcept { return distance(p, r) < r; }

  /// First triangle hit by the ray origin + t * dir, t in (t_min, t_max] (dir need not be unit;
  /// t is in units of |dir|). Meshes only. Returns false when nothing is hit; on a hit sets `t`
  /// and `triangle` (index into the triangles given to build_mesh). Both faces count.
  bool raycast(const Vec3& origin, const Vec3& dir, double t_min, double t_max, double& t,
               int& triangle) const noexcept;
  /// Whether any triangle intersects the oriented box (centre, axes = columns of `rotation`,
  /// half extents `half`), all in the BVH frame. Exact separating-axis test per triangle. Meshes only.
  bool overlaps_box(const Vec3& centre, const Eigen::Matrix3d& rotation, const Vec3& half) const noexcept;

  const std::vector<Vec3>& vertices() const noexcept { return verts_; }
  const std::vector<Eigen::Vector3i>& triangles() const noexcept { return tris_; }

  const Aabb& bounds() const noexcept { return nodes_.empty() ? empty_ : nodes_[0].box; }
  bool is_mesh() const noexcept { return !tris_.empty(); }
  int num_primitives() const noexcept { return static_cast<int>(order_.size()); }

 private:
  struct Node {
    Aabb box;
    int left = -1, right = -1;  // children, or -1 for a leaf
    int begin = 0, end = 0;     // leaf range in order_
  };
  int build_node(int begin, int end, std::vector<Vec3>& centroids);
  Aabb primitive_box(int i) const noexcept;
  double primitive_sq_distance(int i, const Vec3& p) const noexcept;

  std::vector<Vec3> verts_;
  std::vector<Eigen::Vector3i> tris_;
  std::vector<int> order_;
  std::vector<Node> nodes_;
  Aabb empty_;
};

enum class ShapeType : int { Box = 0, Sphere = 1, Capsule = 2, Cylinder = 3, Mesh = 4, PointCloud = 5 };

/// One obstacle. `dims` holds (hx, hy, hz) for boxes, (r, 0, 0) for spheres, (r, h, 0) for
/// capsules and cylinders, (point_radius, 0, 0) for point clouds, unused for meshes.
struct Shape {
  ShapeType type = ShapeType::Box;
  Vec3 dims = Vec3::Zero();
  std::shared_ptr<const Bvh> bvh;  ///< meshes and point clouds

  /// Signed distance from p (local frame) to the surface, searching no further than `bound`
  /// for BVH shapes (returns >= bound when farther).
  double distance(const Vec3& p, double bound = std::numeric_limits<double>::infinity()) const noexcept;
  /// Local-frame bounding box.
  Aabb local_bounds() const noexcept;
};

}  // namespace graspvla::geometry
