// graspvla._core.geometry: the collision world (obstacles + Franka sphere model). Thin:
// validate with the GIL, query without it.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>

#include "common.hpp"
#include "graspvla/core/errors.hpp"
#include "graspvla/geometry/collision_world.hpp"
#include "registry.hpp"

namespace py = pybind11;
using namespace graspvla::geometry;
using graspvla::bindings::checked_array;
using graspvla::bindings::checked_pose;

namespace {

Vector7 checked_q(const py::object& obj, const char* name) {
  auto a = checked_array<double>(obj, name, {7});
  return Eigen::Map<const Vector7>(a.data());
}

double positive(double v, const char* name) {
  if (!(v > 0) || !std::isfinite(v)) throw graspvla::InvalidArgument(std::string(name) + ": must be finite and > 0, got " + std::to_string(v));
  return v;
}

std::shared_ptr<const Bvh> build_mesh_bvh(const py::object& vertices, const py::object& faces) {
  auto V = checked_array<double>(vertices, "vertices", {-1, 3});
  py::array_t<std::int64_t> F64;
  if (py::isinstance<py::array>(faces) && py::reinterpret_borrow<py::array>(faces).dtype().is(py::dtype::of<std::int32_t>())) {
    F64 = py::array_t<std::int64_t>(py::reinterpret_borrow<py::array>(faces).attr("astype")("int64"));
  } else {
    F64 = checked_array<std::int64_t>(faces, "faces", {-1, 3});
  }
  if (F64.ndim() != 2 || F64.shape(1) != 3) throw graspvla::InvalidMesh("faces: expected shape (M, 3)");
  const py::ssize_t nv = V.shape(0), nf = F64.shape(0);
  if (nv < 3 || nf < 1) {
    throw graspvla::InvalidMesh("mesh: needs at least 3 vertices and 1 face, got " + std::to_string(nv) + " vertices and " +
                                std::to_string(nf) + " faces");
  }
  Bvh::RowPoints P = Eigen::Map<const Bvh::RowPoints>(V.data(), nv, 3);
  std::vector<Eigen::Vector3i> kept;
  const std::int64_t* f = F64.data();
  for (py::ssize_t i = 0; i < nf; ++i) {
    Eigen::Vector3i t;
    for (int k = 0; k < 3; ++k) {
      const std::int64_t idx = f[3 * i + k];
      if (idx < 0 || idx >= nv) {
        throw graspvla::InvalidMesh("faces: index " + std::to_string(idx) + " in face " + std::to_string(i) +
                                    " is outside [0, " + std::to_string(nv) + ")");
      }
      t[k] = static_cast<int>(idx);
    }
    const Eigen::Vector3d a = P.row(t[0]), b = P.row(t[1]), c = P.row(t[2]);
    const double scale = std::max({(b - a).squaredNorm(), (c - a).squaredNorm(), 1e-300});
    if ((b - a).cross(c - a).squaredNorm() <= 1e-20 * scale * scale) continue;  // zero-area face: dropped
    kept.push_back(t);
  }
  if (kept.empty()) throw graspvla::InvalidMesh("mesh: every face is degenerate (zero area)");
  Bvh::RowTriangles T(static_cast<Eigen::Index>(kept.size()), 3);
  for (std::size_t i = 0; i < kept.size(); ++i) T.row(static_cast<Eigen::Index>(i)) = kept[i].transpose();
  auto bvh = std::make_shared<Bvh>();
  bvh->build_mesh(P, T);
  return bvh;
}

int add_shape(CollisionWorld& w, Shape s, const py::object& pose) { return w.add(s, checked_pose(pose, "pose")); }

void require_id(bool ok, int id) {
  if (!ok) throw graspvla::InvalidArgument("object_id: no object with id " + std::to_string(id));
}

}  // namespace

GRASPVLA_REGISTER_SUBMODULE(geometry, "Collision world: obstacles and the Franka sphere model", m) {
  py::enum_<ShapeType>(m, "ShapeType")
      .value("BOX", ShapeType::Box)
      .value("SPHERE", ShapeType::Sphere)
      .value("CAPSULE", ShapeType::Capsule)
      .value("CYLINDER", ShapeType::Cylinder)
      .value("MESH", ShapeType::Mesh)
      .value("POINT_CLOUD", ShapeType::PointCloud);

  py::class_<CollisionWorld>(m, "CollisionWorld",
                             "Obstacles in the robot base frame plus the arm's sphere model. Units: metres, radians.")
      .def(py::init<const graspvla::robot::RobotModel&>(), py::arg("model"))
      .def("add_box",
           [](CollisionWorld& w, const py::object& half_extents, const py::object& pose) {
             auto h = checked_array<double>(half_extents, "half_extents", {3});
             Shape s;
             s.type = ShapeType::Box;
             s.dims = Eigen::Map<const Vec3>(h.data());
             if ((s.dims.array() <= 0).any()) throw graspvla::InvalidArgument("half_extents: must be > 0");
             return add_shape(w, s, pose);
           },
           py::arg("half_extents"), py::arg("pose"))
      .def("add_sphere",
           [](CollisionWorld& w, double radius, const py::object& pose) {
             Shape s;
             s.type = ShapeType::Sphere;
             s.dims = Vec3(positive(radius, "radius"), 0, 0);
             return add_shape(w, s, pose);
           },
           py::arg("radius"), py::arg("pose"))
      .def("add_capsule",
           [](CollisionWorld& w, double radius, double half_length, const py::object& pose) {
             Shape s;
             s.type = ShapeType::Capsule;
             if (!(half_length >= 0)) throw graspvla::InvalidArgument("half_length: must be >= 0");
             s.dims = Vec3(positive(radius, "radius"), half_length, 0);
             return add_shape(w, s, pose);
           },
           py::arg("radius"), py::arg("half_length"), py::arg("pose"))
      .def("add_cylinder",
           [](CollisionWorld& w, double radius, double half_length, const py::object& pose) {
             Shape s;
             s.type = ShapeType::Cylinder;
             s.dims = Vec3(positive(radius, "radius"), positive(half_length, "half_length"), 0);
             return add_shape(w, s, pose);
           },
           py::arg("radius"), py::arg("half_length"), py::arg("pose"))
      .def("add_mesh",
           [](CollisionWorld& w, const py::object& vertices, const py::object& faces, const py::object& pose) {
             Shape s;
             s.type = ShapeType::Mesh;
             s.bvh = build_mesh_bvh(vertices, faces);
             return add_shape(w, s, pose);
           },
           py::arg("vertices"), py::arg("faces"), py::arg("pose"),
           "Triangle surface (vertices (N,3) float64 in the object frame, faces (M,3) int). Zero-area faces are "
           "dropped; a mesh with no valid face raises InvalidMeshError.")
      .def("add_point_cloud",
           [](CollisionWorld& w, const py::object& points, double radius, const py::object& pose) {
             auto P = checked_array<double>(points, "points", {-1, 3});
             if (P.shape(0) < 1) throw graspvla::InvalidArgument("points: need at least one point");
             if (!(radius >= 0) || !std::isfinite(radius)) throw graspvla::InvalidArgument("radius: must be >= 0");
             Shape s;
             s.type = ShapeType::PointCloud;
             s.dims = Vec3(radius, 0, 0);
             auto bvh = std::make_shared<Bvh>();
             bvh->build_points(Eigen::Map<const Bvh::RowPoints>(P.data(), P.shape(0), 3));
             s.bvh = bvh;
             return add_shape(w, s, pose);
           },
           py::arg("points"), py::arg("radius"), py::arg("pose"))
      .def("set_pose", [](CollisionWorld& w, int id, const py::object& pose) { require_id(w.set_pose(id, checked_pose(pose, "pose")), id); },
           py::arg("object_id"), py::arg("pose"))
      .def("set_enabled", [](CollisionWorld& w, int id, bool e) { require_id(w.set_enabled(id, e), id); },
           py::arg("object_id"), py::arg("enabled"))
      .def("remove", [](CollisionWorld& w, int id) { require_id(w.remove(id), id); }, py::arg("object_id"))
      .def("clear", &CollisionWorld::clear)
      .def_property_readonly("object_ids",
                             [](const CollisionWorld& w) {
                               std::vector<int> ids;
                               for (const Object& o : w.objects()) ids.push_back(o.id);
                               return ids;
                             })
      .def("object_pose",
           [](const CollisionWorld& w, int id) {
             const Object* o = w.find(id);
             require_id(o != nullptr, id);
             Eigen::Matrix<double, 4, 4, Eigen::RowMajor> M = o->pose.matrix();
             return M;
           },
           py::arg("object_id"))
      .def("object_distance",
           [](const CollisionWorld& w, int id, const py::object& points) {
             const Object* o = w.find(id);
             require_id(o != nullptr, id);
             auto P = checked_array<double>(points, "points", {-1, 3});
             py::array_t<double> out(P.shape(0));
             double* d = out.mutable_data();
             const double* p = P.data();
             {
               py::gil_scoped_release release;
               for (py::ssize_t i = 0; i < P.shape(0); ++i) d[i] = o->shape.distance(o->inverse * Eigen::Map<const Vec3>(p + 3 * i));
             }
             return out;
           },
           py::arg("object_id"), py::arg("points"), "Signed distance (m) from base-frame points to one object's surface.")
      .def("attach",
           [](CollisionWorld& w, const py::object& spheres) {
             auto S = checked_array<double>(spheres, "spheres", {-1, 4});
             std::vector<AttachedSphere> v;
             for (py::ssize_t i = 0; i < S.shape(0); ++i) {
               const double* r = S.data() + 4 * i;
               if (!(r[3] > 0)) throw graspvla::InvalidArgument("spheres: radii (column 3) must be > 0");
               v.push_back({Vec3(r[0], r[1], r[2]), r[3]});
             }
             w.attach(v);
           },
           py::arg("spheres"), "Attach spheres (K,4) [x, y, z, r] given in the hand frame; they move with the hand.")
      .def("detach", &CollisionWorld::detach)
      .def_property_readonly("attached",
                             [](const CollisionWorld& w) {
                               py::array_t<double> out({static_cast<py::ssize_t>(w.attached().size()), py::ssize_t{4}});
                               double* d = out.mutable_data();
                               for (const AttachedSphere& a : w.attached()) {
                                 *d++ = a.c.x(), *d++ = a.c.y(), *d++ = a.c.z(), *d++ = a.r;
                               }
                               return out;
                             })
      .def_property(
          "margin", [](const CollisionWorld& w) { return w.options().margin; },
          [](CollisionWorld& w, double v) {
            if (!std::isfinite(v)) throw graspvla::InvalidArgument("margin: must be finite");
            w.options().margin = v;
          })
      .def_property(
          "self_margin", [](const CollisionWorld& w) { return w.options().self_margin; },
          [](CollisionWorld& w, double v) {
            if (!std::isfinite(v)) throw graspvla::InvalidArgument("self_margin: must be finite");
            w.options().self_margin = v;
          })
      .def_property(
          "gripper_width", [](const CollisionWorld& w) { return w.options().gripper_width; },
          [](CollisionWorld& w, double v) {
            if (!(v >= 0 && v <= w.model().gripper_max_width)) {
              throw graspvla::InvalidArgument("gripper_width: must be in [0, " + std::to_string(w.model().gripper_max_width) + "] m");
            }
            w.options().gripper_width = v;
          })
      .def_property(
          "check_self", [](const CollisionWorld& w) { return w.options().check_self; },
          [](CollisionWorld& w, bool v) { w.options().check_self = v; })
      .def("in_collision",
           [](const CollisionWorld& w, const py::object& q, int ignore) {
             const Vector7 qv = checked_q(q, "q");
             py::gil_scoped_release release;
             CollisionWorld::Scratch s;
             return w.in_collision(qv, s, ignore);
           },
           py::arg("q"), py::arg("ignore") = -1)
      .def("distance",
           [](const CollisionWorld& w, const py::object& q, int ignore) {
             const Vector7 qv = checked_q(q, "q");
             py::gil_scoped_release release;
             CollisionWorld::Scratch s;
             return w.distance(qv, s, ignore);
           },
           py::arg("q"), py::arg("ignore") = -1)
      .def("segment_free",
           [](const CollisionWorld& w, const py::object& q0, const py::object& q1, double resolution, int ignore) {
             const Vector7 a = checked_q(q0, "q0"), b = checked_q(q1, "q1");
             positive(resolution, "resolution");
             py::gil_scoped_release release;
             CollisionWorld::Scratch s;
             return w.segment_free(a, b, resolution, s, ignore);
           },
           py::arg("q0"), py::arg("q1"), py::arg("resolution"), py::arg("ignore") = -1)
      .def("in_collision_batch",
           [](const CollisionWorld& w, const py::object& q, int ignore, std::size_t threads) {
             auto Q = checked_array<double>(q, "q", {-1, 7});
             const std::size_t n = static_cast<std::size_t>(Q.shape(0));
             py::array_t<bool> out(static_cast<py::ssize_t>(n));
             static_assert(sizeof(bool) == 1, "bool must be one byte");
             auto* hit = reinterpret_cast<std::uint8_t*>(out.mutable_data());
             const double* qp = Q.data();
             {
               py::gil_scoped_release release;
               w.in_collision_batch(qp, n, hit, threads, ignore);
             }
             return out;
           },
           py::arg("q"), py::arg("ignore") = -1, py::arg("threads") = 0)
      .def("distance_batch",
           [](const CollisionWorld& w, const py::object& q, int ignore, std::size_t threads) {
             auto Q = checked_array<double>(q, "q", {-1, 7});
             const std::size_t n = static_cast<std::size_t>(Q.shape(0));
             py::array_t<double> out(static_cast<py::ssize_t>(n));
             double* d = out.mutable_data();
             const double* qp = Q.data();
             {
               py::gil_scoped_release release;
               w.distance_batch(qp, n, d, threads, ignore);
             }
             return out;
           },
           py::arg("q"), py::arg("ignore") = -1, py::arg("threads") = 0)
      .def("robot_spheres",
           [](const CollisionWorld& w, const py::object& q) {
             const Vector7 qv = checked_q(q, "q");
             CollisionWorld::Scratch s;
             w.robot_spheres(qv, s);
             py::array_t<double> out({static_cast<py::ssize_t>(s.spheres.size()), py::ssize_t{4}});
             double* d = out.mutable_data();
             for (const auto& sp : s.spheres) {
               *d++ = sp.c.x(), *d++ = sp.c.y(), *d++ = sp.c.z(), *d++ = sp.r;
             }
             return out;
           },
           py::arg("q"), "Robot spheres (S,4) [x, y, z, r] in the base frame at q, current gripper_width.");
}
