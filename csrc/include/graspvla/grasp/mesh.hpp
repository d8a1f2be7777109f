#pragma once
// Object meshes prepared for grasp synthesis: validated, repaired (or rejected with a message
// naming the defect), with face normals, area-weighted sampling table, volume, centre of mass
// and a BVH (graspvla::geometry::Bvh) for ray casts and box-overlap queries.
//
// Frame: the object frame of the input vertices, metres. Faces are wound counter-clockwise
// seen from outside after preparation (outward normals).
#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graspvla/geometry/shapes.hpp"

namespace graspvla::grasp {

using geometry::Vec3;
using RowPoints = Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>;
using RowFaces = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 3, Eigen::RowMajor>;

struct MeshOptions {
  bool repair = true;             ///< repair what can be repaired; false = reject any defect
  double weld_tolerance = 1e-9;   ///< m: vertices closer than this are merged
  double min_extent = 0.005;      ///< m: smallest accepted largest-extent (absurd-scale guard)
  double max_extent = 1.0;        ///< m: largest accepted largest-extent
  int max_hole_edges = 256;       ///< boundary loops longer than this are not filled (rejected)
};

/// What preparation changed.
struct RepairReport {
  int welded_vertices = 0;     ///< duplicate vertices merged
  int degenerate_faces = 0;    ///< zero-area / repeated-index faces dropped
  int duplicate_faces = 0;     ///< faces with the same vertex set as an earlier face, dropped
  int holes_filled = 0;        ///< boundary loops closed by a fan
  int flipped_faces = 0;       ///< faces re-wound for consistent outward orientation
  int components = 0;          ///< connected components
  int nonmanifold_edges = 0;   ///< edges shared by more than two faces (kept, not repaired)
  bool changed() const noexcept {
    return welded_vertices || degenerate_faces || duplicate_faces || holes_filled || flipped_faces;
  }
};

/// A closed, consistently outward-oriented triangle mesh with its acceleration structure.
struct PreparedMesh {
  std::vector<Vec3> vertices;
  std::vector<Eigen::Vector3i> faces;
  std::vector<Vec3> normals;       ///< unit outward face normals
  std::vector<double> area_cdf;    ///< cumulative face areas (m^2), for area-weighted sampling
  double area = 0.0;               ///< m^2
  double volume = 0.0;             ///< m^3
  Vec3 centroid = Vec3::Zero();    ///< centre of mass of the uniform solid [m]
  double radius = 0.0;             ///< max distance of a vertex from the centroid [m]
  geometry::Aabb bounds;
  geometry::Bvh bvh;
  RepairReport report;
  /// The surface the physics engine collides with, when it differs from the mesh: MuJoCo
  /// collides each convex piece of an object as its convex hull, which can cover concave
  /// regions of the mesh (under a mushroom's cap, inside a mug's handle). Finger contacts and
  /// hand collisions use it; antipodal sampling uses the mesh. Empty = the mesh itself.
  geometry::Bvh contact_bvh;
  std::vector<Vec3> contact_normals;
  bool has_contact_surface() const noexcept { return !contact_normals.empty(); }
  const geometry::Bvh& contact() const noexcept { return has_contact_surface() ? contact_bvh : bvh; }
  const std::vector<Vec3>& contact_face_normals() const noexcept {
    return has_contact_surface() ? contact_normals : normals;
  }
};

/// Validates and repairs (vertices (n,3) [m], faces (m,3) vertex indices). Throws
/// graspvla::InvalidMesh naming the problem (index out of range, absurd scale, unfillable
/// hole, non-orientable surface, zero volume) - or, with repair = false, naming the first
/// defect that would have been repaired (or a non-manifold edge).
std::shared_ptr<const PreparedMesh> prepare_mesh(const RowPoints& vertices, const RowFaces& faces,
                                                 const MeshOptions& options = {});

/// Sets `mesh`'s contact surface to the convex hulls of `parts` (each (vertices, faces), same
/// frame as the mesh; only the hull matters, so each part's faces are oriented outwards from its
/// centroid). Throws graspvla::InvalidMesh for empty or non-finite parts.
void set_convex_contact_surface(PreparedMesh& mesh, const std::vector<std::pair<RowPoints, RowFaces>>& parts);

}  // namespace graspvla::grasp
