#include "graspvla/geometry/shapes.hpp"

#include <algorithm>
#include <cmath>

namespace graspvla::geometry {

double box_distance(const Vec3& p, const Vec3& half) noexcept {
  const Vec3 q = p.cwiseAbs() - half;
  const double outside = q.cwiseMax(0.0).norm();
  const double inside = std::min(q.maxCoeff(), 0.0);
  return outside + inside;
}

double capsule_distance(const Vec3& p, double radius, double half_length) noexcept {
  const double z = std::clamp(p.z(), -half_length, half_length);
  return Vec3(p.x(), p.y(), p.z() - z).norm() - radius;
}

double cylinder_distance(const Vec3& p, double radius, double half_length) noexcept {
  const double dr = std::hypot(p.x(), p.y()) - radius;
  const double dz = std::abs(p.z()) - half_length;
  const double outside = std::hypot(std::max(dr, 0.0), std::max(dz, 0.0));
  return outside + std::min(std::max(dr, dz), 0.0);
}

double point_triangle_squared_distance(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c) noexcept {
  // Voronoi-region walk over vertices, edges and the face.
  const Vec3 ab = b - a, ac = c - a, ap = p - a;
  const double d1 = ab.dot(ap), d2 = ac.dot(ap);
  if (d1 <= 0 && d2 <= 0) return ap.squaredNorm();
  const Vec3 bp = p - b;
  const double d3 = ab.dot(bp), d4 = ac.dot(bp);
  if (d3 >= 0 && d4 <= d3) return bp.squaredNorm();
  const double vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) {
    const double v = d1 / (d1 - d3);
    return (p - (a + v * ab)).squaredNorm();
  }
  const Vec3 cp = p - c;
  const double d5 = ab.dot(cp), d6 = ac.dot(cp);
  if (d6 >= 0 && d5 <= d6) return cp.squaredNorm();
  const double vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) {
    const double w = d2 / (d2 - d6);
    return (p - (a + w * ac)).squaredNorm();
  }
  const double va = d3 * d6 - d5 * d4;
  if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) {
    const double w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
    return (p - (b + w * (c - b))).squaredNorm();
  }
  const double denom = 1.0 / (va + vb + vc);
  const double v = vb * denom, w = vc * denom;
  return (p - (a + ab * v + ac * w)).squaredNorm();
}

// ---- BVH ------------------------------------------------------------------------------------

void Bvh::build_mesh(const RowPoints& vertices, const RowTriangles& triangles) {
  verts_.resize(vertices.rows());
  for (Eigen::Index i = 0; i < vertices.rows(); ++i) verts_[i] = vertices.row(i).transpose();
  tris_.resize(triangles.rows());
  for (Eigen::Index i = 0; i < triangles.rows(); ++i) tris_[i] = triangles.row(i).transpose();
  const int n = static_cast<int>(tris_.size());
  order_.resize(n);
  std::vector<Vec3> centroids(n);
  for (int i = 0; i < n; ++i) {
    order_[i] = i;
    centroids[i] = (verts_[tris_[i][0]] + verts_[tris_[i][1]] + verts_[tris_[i][2]]) / 3.0;
  }
  nodes_.clear();
  nodes_.reserve(2 * n);
  if (n > 0) build_node(0, n, centroids);
}

void Bvh::build_points(const RowPoints& points) {
  tris_.clear();
  verts_.resize(points.rows());
  for (Eigen::Index i = 0; i < points.rows(); ++i) verts_[i] = points.row(i).transpose();
  const int n = static_cast<int>(verts_.size());
  order_.resize(n);
  for (int i = 0; i < n; ++i) order_[i] = i;
  nodes_.clear();
  nodes_.reserve(2 * n);
  std::vector<Vec3> centroids = verts_;
  if (n > 0) build_node(0, n, centroids);
}

Aabb Bvh::primitive_box(int i) const noexcept {
  Aabb b;
  if (tris_.empty()) {
    b.grow(verts_[i]);
  } else {
    for (int k = 0; k < 3; ++k) b.grow(verts_[tris_[i][k]]);
  }
  return b;
}

double Bvh::primitive_sq_distance(int i, const Vec3& p) const noexcept {
  if (tris_.empty()) return (verts_[i] - p).squaredNorm();
  const auto& t = tris_[i];
  return point_triangle_squared_distance(p, verts_[t[0]], verts_[t[1]], verts_[t[2]]);
}

int Bvh::build_node(int begin, int end, std::vector<Vec3>& centroids) {
  const int index = static_cast<int>(nodes_.size());
  nodes_.emplace_back();
  Aabb box, cbox;
  for (int i = begin; i < end; ++i) {
    box.grow(primitive_box(order_[i]));
    cbox.grow(centroids[order_[i]]);
  }
  nodes_[index].box = box;
  constexpr int kLeafSize = 4;
  if (end - begin <= kLeafSize) {
    nodes_[index].begin = begin;
    nodes_[index].end = end;
    return index;
  }
  int axis;
  (cbox.hi - cbox.lo).maxCoeff(&axis);
  const int mid = (begin + end) / 2;
  std::nth_element(order_.begin() + begin, order_.begin() + mid, order_.begin() + end,
                   [&](int a, int b) { return centroids[a][axis] < centroids[b][axis]; });
  const int left = build_node(begin, mid, centroids);
  const int right = build_node(mid, end, centroids);
  nodes_[index].left = left;
  nodes_[index].right = right;
  return index;
}

double Bvh::distance(const Vec3& p, double bound) const noexcept {
  if (nodes_.empty()) return bound;
  double best_sq = std::isfinite(bound) ? bound * bound : std::numeric_limits<double>::infinity();
  // Depth-first, nearer child first; a fixed stack suffices for balanced trees of < 2^60 leaves.
  int stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const Node& node = nodes_[stack[--top]];
    if (node.box.squared_distance(p) >= best_sq) continue;
    if (node.left < 0) {
      for (int i = node.begin; i < node.end; ++i) best_sq = std::min(best_sq, primitive_sq_distance(order_[i], p));
      continue;
    }
    const double dl = nodes_[node.left].box.squared_distance(p), dr = nodes_[node.right].box.squared_distance(p);
    if (top + 2 > 128) continue;  // cannot happen for median splits
    if (dl < dr) {
      stack[top++] = node.right;
      stack[top++] = node.left;
    } else {
      stack[top++] = node.left;
      stack[top++] = node.right;
    }
  }
  return std::sqrt(best_sq);
}

double ray_triangle(const Vec3& origin, const Vec3& dir, const Vec3& a, const Vec3& b, const Vec3& c) noexcept {
  const Vec3 e1 = b - a, e2 = c - a;
  const Vec3 pv = dir.cross(e2);
  const double det = e1.dot(pv);
  const double scale = e1.norm() * e2.norm() * dir.norm();
  if (std::abs(det) <= 1e-14 * scale) return -1.0;
  const double inv = 1.0 / det;
  const Vec3 tv = origin - a;
  const double u = tv.dot(pv) * inv;
  if (u < 0.0 || u > 1.0) return -1.0;
  const Vec3 qv = tv.cross(e1);
  const double v = dir.dot(qv) * inv;
  if (v < 0.0 || u + v > 1.0) return -1.0;
  return e2.dot(qv) * inv;
}

bool triangle_box_overlap(const Vec3& a, const Vec3& b, const Vec3& c, const Vec3& half) noexcept {
  // 1) box face normals: the triangle's bounds vs the box
  for (int k = 0; k < 3; ++k) {
    if (std::min({a[k], b[k], c[k]}) > half[k] || std::max({a[k], b[k], c[k]}) < -half[k]) return false;
  }
  // 2) triangle normal
  const Vec3 e0 = b - a, e1 = c - b, e2 = a - c;
  const Vec3 n = e0.cross(e1);
  if (std::abs(n.dot(a)) > half.cwiseProduct(n.cwiseAbs()).sum()) return false;
  // 3) edge x box-axis cross products
  const Vec3* edges[3] = {&e0, &e1, &e2};
  for (const Vec3* e : edges) {
    for (int k = 0; k < 3; ++k) {
      Vec3 axis = Vec3::Zero();
      axis[(k + 1) % 3] = -(*e)[(k + 2) % 3];
      axis[(k + 2) % 3] = (*e)[(k + 1) % 3];  // = unit_k x e
      const double pa = axis.dot(a), pb = axis.dot(b), pc = axis.dot(c);
      const double r = half.cwiseProduct(axis.cwiseAbs()).sum();
      if (std::min({pa, pb, pc}) > r || std::max({pa, pb, pc}) < -r) return false;
    }
  }
  return true;
}

namespace {
// Slab test: entry parameter of the ray into the box, or +inf when it misses within [t0, t1].
double ray_box_entry(const Aabb& box, const Vec3& o, const Vec3& inv_d, double t0, double t1) noexcept {
  for (int k = 0; k < 3; ++k) {
    double ta = (box.lo[k] - o[k]) * inv_d[k], tb = (box.hi[k] - o[k]) * inv_d[k];
    if (ta > tb) std::swap(ta, tb);
    if (std::isnan(ta) || std::isnan(tb)) continue;  // 0 * inf: origin on a slab plane of a parallel ray
    t0 = std::max(t0, ta);
    t1 = std::min(t1, tb);
    if (t0 > t1) return std::numeric_limits<double>::infinity();
  }
  return t0;
}
}  // namespace

bool Bvh::raycast(const Vec3& origin, const Vec3& dir, double t_min, double t_max, double& t,
                  int& triangle) const noexcept {
  if (nodes_.empty() || tris_.empty()) return false;
  const Vec3 inv_d = dir.cwiseInverse();
  double best = t_max;
  int best_tri = -1;
  int stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const Node& node = nodes_[stack[--top]];
    if (ray_box_entry(node.box, origin, inv_d, t_min, best) > best) continue;
    if (node.left < 0) {
      for (int i = node.begin; i < node.end; ++i) {
        const auto& tr = tris_[order_[i]];
        const double ti = ray_triangle(origin, dir, verts_[tr[0]], verts_[tr[1]], verts_[tr[2]]);
        if (ti > t_min && ti <= best) {
          best = ti;
          best_tri = order_[i];
        }
      }
      continue;
    }
    if (top + 2 > 128) continue;
    const double el = ray_box_entry(nodes_[node.left].box, origin, inv_d, t_min, best);
    const double er = ray_box_entry(nodes_[node.right].box, origin, inv_d, t_min, best);
    // push the farther child first so the nearer one is searched first
    if (el <= er) {
      if (er <= best) stack[top++] = node.right;
      if (el <= best) stack[top++] = node.left;
    } else {
      if (el <= best) stack[top++] = node.left;
      if (er <= best) stack[top++] = node.right;
    }
  }
  if (best_tri < 0) return false;
  t = best;
  triangle = best_tri;
  return true;
}

bool Bvh::overlaps_box(const Vec3& centre, const Eigen::Matrix3d& rotation, const Vec3& half) const noexcept {
  if (nodes_.empty() || tris_.empty()) return false;
  Aabb world;  // the box's bounds in the BVH frame, for node culling
  const Vec3 ext = rotation.cwiseAbs() * half;
  world.lo = centre - ext;
  world.hi = centre + ext;
  const Eigen::Matrix3d Rt = rotation.transpose();
  int stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const Node& node = nodes_[stack[--top]];
    if ((node.box.lo.array() > world.hi.array()).any() || (node.box.hi.array() < world.lo.array()).any()) continue;
    if (node.left < 0) {
      for (int i = node.begin; i < node.end; ++i) {
        const auto& tr = tris_[order_[i]];
        if (triangle_box_overlap(Rt * (verts_[tr[0]] - centre), Rt * (verts_[tr[1]] - centre),
                                 Rt * (verts_[tr[2]] - centre), half)) {
          return true;
        }
      }
      continue;
    }
    if (top + 2 > 128) continue;
    stack[top++] = node.left;
    stack[top++] = node.right;
  }
  return false;
}

// ---- Shape ----------------------------------------------------------------------------------

double Shape::distance(const Vec3& p, double bound) const noexcept {
  switch (type) {
    case ShapeType::Box: return box_distance(p, dims);
    case ShapeType::Sphere: return p.norm() - dims.x();
    case ShapeType::Capsule: return capsule_distance(p, dims.x(), dims.y());
    case ShapeType::Cylinder: return cylinder_distance(p, dims.x(), dims.y());
    case ShapeType::Mesh: return bvh ? bvh->distance(p, bound) : bound;
    case ShapeType::PointCloud:
      return bvh ? bvh->distance(p, bound + dims.x()) - dims.x() : bound;
  }
  return bound;
}

Aabb Shape::local_bounds() const noexcept {
  Aabb b;
  switch (type) {
    case ShapeType::Box: b.lo = -dims; b.hi = dims; break;
    case ShapeType::Sphere: b.lo = Vec3::Constant(-dims.x()); b.hi = Vec3::Constant(dims.x()); break;
    case ShapeType::Capsule:
    case ShapeType::Cylinder: {
      const double zr = type == ShapeType::Capsule ? dims.y() + dims.x() : dims.y();
      b.lo = Vec3(-dims.x(), -dims.x(), -zr);
      b.hi = Vec3(dims.x(), dims.x(), zr);
      break;
    }
    case ShapeType::Mesh:
      if (bvh) b = bvh->bounds();
      break;
    case ShapeType::PointCloud:
      if (bvh) {
        b = bvh->bounds();
        b.lo.array() -= dims.x();
        b.hi.array() += dims.x();
      }
      break;
  }
  return b;
}

}  // namespace graspvla::geometry
