// graspvla._core.grasp: mesh preparation, antipodal grasp synthesis for the Franka hand,
// Ferrari-Canny epsilon. Validates with the GIL held; synthesises without it.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>

#include "common.hpp"
#include "graspvla/core/errors.hpp"
#include "graspvla/grasp/synthesis.hpp"
#include "registry.hpp"

namespace py = pybind11;
using namespace graspvla::grasp;
using graspvla::bindings::checked_array;
using graspvla::bindings::checked_pose;

namespace {

using MeshPtr = std::shared_ptr<PreparedMesh>;

RowFaces checked_faces(const py::handle& faces) {
  if (py::isinstance<py::array>(faces)) {
    py::array a = py::reinterpret_borrow<py::array>(faces);
    if (a.dtype().is(py::dtype::of<std::int32_t>())) {
      auto f = checked_array<std::int32_t>(faces, "faces", {-1, 3});
      return Eigen::Map<const Eigen::Matrix<std::int32_t, Eigen::Dynamic, 3, Eigen::RowMajor>>(f.data(), f.shape(0), 3)
          .cast<std::int64_t>();
    }
  }
  auto f = checked_array<std::int64_t>(faces, "faces", {-1, 3});
  return Eigen::Map<const RowFaces>(f.data(), f.shape(0), 3);
}

py::dict report_dict(const RepairReport& r) {
  py::dict d;
  d["welded_vertices"] = r.welded_vertices;
  d["degenerate_faces"] = r.degenerate_faces;
  d["duplicate_faces"] = r.duplicate_faces;
  d["holes_filled"] = r.holes_filled;
  d["flipped_faces"] = r.flipped_faces;
  d["components"] = r.components;
  d["nonmanifold_edges"] = r.nonmanifold_edges;
  return d;
}

py::array_t<double> vec3(const Eigen::Vector3d& v) {
  py::array_t<double> a(3);
  std::copy(v.data(), v.data() + 3, a.mutable_data());
  return a;
}

Eigen::Vector3d checked_vec3(const py::handle& obj, const char* name) {
  auto a = checked_array<double>(obj, name, {3});
  return Eigen::Map<const Eigen::Vector3d>(a.data());
}

py::dict result_dict(const SynthesisResult& r) {
  const py::ssize_t k = static_cast<py::ssize_t>(r.grasps.size());
  py::array_t<double> poses({k, py::ssize_t{4}, py::ssize_t{4}}), widths(k), scores(k), quality({k, py::ssize_t{kNumQualities}}),
      contacts({k, py::ssize_t{2}, py::ssize_t{3}}), normals({k, py::ssize_t{2}, py::ssize_t{3}});
  py::array_t<std::int32_t> cells({k, py::ssize_t{2}}), sample(k);
  for (py::ssize_t i = 0; i < k; ++i) {
    const Grasp& g = r.grasps[i];
    Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>>(poses.mutable_data(i)) = g.pose.matrix();
    widths.mutable_at(i) = g.width;
    scores.mutable_at(i) = g.score;
    for (int q = 0; q < kNumQualities; ++q) quality.mutable_at(i, q) = g.quality[q];
    for (int s = 0; s < 2; ++s) {
      for (int c = 0; c < 3; ++c) {
        contacts.mutable_at(i, s, c) = g.contact[s][c];
        normals.mutable_at(i, s, c) = g.normal[s][c];
      }
      cells.mutable_at(i, s) = g.contact_cells[s];
    }
    sample.mutable_at(i) = g.sample;
  }
  py::dict stats;
  const SynthesisStats& st = r.stats;
  stats["samples"] = st.samples;
  stats["pairs"] = st.pairs;
  stats["candidates"] = st.candidates;
  stats["valid"] = st.valid;
  stats["seconds"] = st.seconds;
  static const char* names[kNumRejects] = {"miss", "width", "friction", "off_pad", "collision_object",
                                            "collision_table", "collision_scene"};
  py::dict rej;
  for (int i = 0; i < kNumRejects; ++i) rej[names[i]] = st.rejected[i];
  stats["rejected"] = rej;
  py::dict d;
  d["poses"] = poses;
  d["widths"] = widths;
  d["scores"] = scores;
  d["quality"] = quality;
  d["contacts"] = contacts;
  d["normals"] = normals;
  d["contact_cells"] = cells;
  d["sample"] = sample;
  d["stats"] = stats;
  return d;
}

}  // namespace

GRASPVLA_REGISTER_SUBMODULE(grasp, "Antipodal grasp synthesis for the Franka hand", m) {
  py::class_<PreparedMesh, MeshPtr>(m, "Mesh",
                                    "A validated, repaired triangle mesh with a BVH (object frame, metres). "
                                    "Raises InvalidMeshError naming the defect when it cannot be repaired.")
      .def(py::init([](const py::object& vertices, const py::object& faces, bool repair, double weld_tolerance,
                       double min_extent, double max_extent, const py::object& collision) {
             auto V = checked_array<double>(vertices, "vertices", {-1, 3});
             RowPoints P = Eigen::Map<const RowPoints>(V.data(), V.shape(0), 3);
             RowFaces F = checked_faces(faces);
             MeshOptions o;
             o.repair = repair;
             o.weld_tolerance = weld_tolerance;
             o.min_extent = min_extent;
             o.max_extent = max_extent;
             std::vector<std::pair<RowPoints, RowFaces>> parts;
             if (!collision.is_none()) {
               for (const auto& item : collision) {
                 auto t = item.cast<py::tuple>();
                 if (t.size() != 2) throw graspvla::InvalidArgument("collision: items must be (vertices, faces)");
                 auto pv = checked_array<double>(t[0], "collision[i] vertices", {-1, 3});
                 parts.emplace_back(Eigen::Map<const RowPoints>(pv.data(), pv.shape(0), 3), checked_faces(t[1]));
               }
             }
             py::gil_scoped_release release;
             auto mesh = std::const_pointer_cast<PreparedMesh>(prepare_mesh(P, F, o));
             if (!parts.empty()) set_convex_contact_surface(*mesh, parts);
             return mesh;
           }),
           py::arg("vertices"), py::arg("faces"), py::arg("repair") = true, py::arg("weld_tolerance") = 1e-9,
           py::arg("min_extent") = 0.005, py::arg("max_extent") = 1.0, py::arg("collision") = py::none(),
           "collision: optional convex pieces [(V_i, 3), (F_i, 3)] the physics collides with (their hulls); "
           "finger contacts and hand collisions then use them.")
      .def_property_readonly("has_contact_surface", &PreparedMesh::has_contact_surface)
      .def_property_readonly("vertices", [](const PreparedMesh& p) {
        py::array_t<double> a({static_cast<py::ssize_t>(p.vertices.size()), py::ssize_t{3}});
        for (std::size_t i = 0; i < p.vertices.size(); ++i)
          for (int k = 0; k < 3; ++k) a.mutable_at(i, k) = p.vertices[i][k];
        return a;
      })
      .def_property_readonly("faces", [](const PreparedMesh& p) {
        py::array_t<std::int64_t> a({static_cast<py::ssize_t>(p.faces.size()), py::ssize_t{3}});
        for (std::size_t i = 0; i < p.faces.size(); ++i)
          for (int k = 0; k < 3; ++k) a.mutable_at(i, k) = p.faces[i][k];
        return a;
      })
      .def_property_readonly("normals", [](const PreparedMesh& p) {
        py::array_t<double> a({static_cast<py::ssize_t>(p.normals.size()), py::ssize_t{3}});
        for (std::size_t i = 0; i < p.normals.size(); ++i)
          for (int k = 0; k < 3; ++k) a.mutable_at(i, k) = p.normals[i][k];
        return a;
      })
      .def_readonly("area", &PreparedMesh::area, "surface area [m^2]")
      .def_readonly("volume", &PreparedMesh::volume, "enclosed volume [m^3]")
      .def_readonly("radius", &PreparedMesh::radius, "max vertex distance from the centroid [m]")
      .def_property_readonly("centroid", [](const PreparedMesh& p) { return vec3(p.centroid); },
                             "centre of mass of the uniform solid [m]")
      .def_property_readonly("report", [](const PreparedMesh& p) { return report_dict(p.report); })
      .def("raycast",
           [](const PreparedMesh& p, const py::object& origin, const py::object& direction, double t_max) -> py::object {
             const Eigen::Vector3d o = checked_vec3(origin, "origin"), d = checked_vec3(direction, "direction");
             double t;
             int tri;
             if (!p.bvh.raycast(o, d, 0.0, t_max, t, tri)) return py::none();
             return py::make_tuple(t, tri);
           },
           py::arg("origin"), py::arg("direction"), py::arg("t_max") = 1e9,
           "First hit (t, face index) of origin + t * direction, t in (0, t_max], or None.");

  py::class_<HandGeometry>(m, "HandGeometry", "Franka hand boxes in the TCP frame (metres); see graspvla.grasp.")
      .def(py::init<>())
      .def_readwrite("max_width", &HandGeometry::max_width)
      .def_readwrite("finger_half_x", &HandGeometry::finger_half_x)
      .def_readwrite("finger_thickness", &HandGeometry::finger_thickness)
      .def_readwrite("finger_z_min", &HandGeometry::finger_z_min)
      .def_readwrite("finger_z_max", &HandGeometry::finger_z_max)
      .def_readwrite("pad_half_x", &HandGeometry::pad_half_x)
      .def_readwrite("pad_z_min", &HandGeometry::pad_z_min)
      .def_readwrite("pad_z_max", &HandGeometry::pad_z_max)
      .def_readwrite("finger_recess", &HandGeometry::finger_recess)
      .def_readwrite("palm_half_x", &HandGeometry::palm_half_x)
      .def_readwrite("palm_half_y", &HandGeometry::palm_half_y)
      .def_readwrite("palm_z_min", &HandGeometry::palm_z_min)
      .def_readwrite("palm_z_max", &HandGeometry::palm_z_max);

  py::class_<SynthesisOptions>(m, "SynthesisOptions", "Options of synthesize(); see graspvla.grasp.SynthesisConfig.")
      .def(py::init<>())
      .def_readwrite("num_samples", &SynthesisOptions::num_samples)
      .def_readwrite("num_approaches", &SynthesisOptions::num_approaches)
      .def_readwrite("friction", &SynthesisOptions::friction)
      .def_readwrite("ray_cone_fraction", &SynthesisOptions::ray_cone_fraction)
      .def_readwrite("min_width", &SynthesisOptions::min_width)
      .def_readwrite("width_margin", &SynthesisOptions::width_margin)
      .def_readwrite("clearance", &SynthesisOptions::clearance)
      .def_readwrite("approach_distance", &SynthesisOptions::approach_distance)
      .def_readwrite("contact_tolerance", &SynthesisOptions::contact_tolerance)
      .def_readwrite("pad_grid", &SynthesisOptions::pad_grid)
      .def_readwrite("grid_x", &SynthesisOptions::grid_x)
      .def_readwrite("grid_z", &SynthesisOptions::grid_z)
      .def_readwrite("require_pad_contact", &SynthesisOptions::require_pad_contact)
      .def_readwrite("table_pullback", &SynthesisOptions::table_pullback)
      .def_readwrite("weight_antipodal", &SynthesisOptions::weight_antipodal)
      .def_readwrite("weight_contact", &SynthesisOptions::weight_contact)
      .def_readwrite("weight_com", &SynthesisOptions::weight_com)
      .def_readwrite("weight_epsilon", &SynthesisOptions::weight_epsilon)
      .def_readwrite("weight_approach", &SynthesisOptions::weight_approach)
      .def_readwrite("epsilon_ref", &SynthesisOptions::epsilon_ref)
      .def_property("preferred_approach", [](const SynthesisOptions& o) { return vec3(o.preferred_approach); },
                    [](SynthesisOptions& o, const py::object& v) { o.preferred_approach = checked_vec3(v, "preferred_approach"); })
      .def_property("centre_of_mass", [](const SynthesisOptions& o) { return vec3(o.centre_of_mass); },
                    [](SynthesisOptions& o, const py::object& v) {
                      auto a = checked_array<double>(v, "centre_of_mass", {3}, false);
                      o.centre_of_mass = Eigen::Map<const Eigen::Vector3d>(a.data());
                    })
      .def_readwrite("max_grasps", &SynthesisOptions::max_grasps)
      .def_readwrite("nms_distance", &SynthesisOptions::nms_distance)
      .def_readwrite("nms_angle", &SynthesisOptions::nms_angle)
      .def_readwrite("threads", &SynthesisOptions::threads);

  py::class_<SceneObstacles, std::shared_ptr<SceneObstacles>>(m, "SceneObstacles",
                                                               "Obstacles in the world frame around one object.")
      .def(py::init([](const py::object& object_pose, const py::object& table_z, const py::list& boxes,
                       const py::list& meshes) {
             auto s = std::make_shared<SceneObstacles>();
             s->object_pose = checked_pose(object_pose, "object_pose");
             if (!table_z.is_none()) {
               s->has_table = true;
               s->table_z = table_z.cast<double>();
               if (!std::isfinite(s->table_z)) throw graspvla::InvalidArgument("table_z: must be finite");
             }
             for (const auto& item : boxes) {
               auto t = item.cast<py::tuple>();
               if (t.size() != 2) throw graspvla::InvalidArgument("boxes: items must be (pose 4x4, half_extents (3,))");
               const Pose T = checked_pose(t[0], "boxes[i] pose");
               Box b;
               b.centre = T.translation();
               b.rotation = T.linear();
               b.half = checked_vec3(t[1], "boxes[i] half_extents");
               if ((b.half.array() <= 0).any()) throw graspvla::InvalidArgument("boxes[i] half_extents: must be > 0");
               s->boxes.push_back(b);
             }
             for (const auto& item : meshes) {
               auto t = item.cast<py::tuple>();
               if (t.size() != 2) throw graspvla::InvalidArgument("meshes: items must be (pose 4x4, Mesh)");
               s->meshes.emplace_back(checked_pose(t[0], "meshes[i] pose"), t[1].cast<MeshPtr>());
             }
             return s;
           }),
           py::arg("object_pose"), py::arg("table_z") = py::none(), py::arg("boxes") = py::list(),
           py::arg("meshes") = py::list())
      .def_property_readonly("object_pose", [](const SceneObstacles& s) {
        py::array_t<double> a({4, 4});
        Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>>(a.mutable_data()) = s.object_pose.matrix();
        return a;
      });

  m.def("synthesize",
        [](const MeshPtr& mesh, const HandGeometry& hand, const SynthesisOptions& options, std::uint64_t seed,
           const std::shared_ptr<SceneObstacles>& scene) {
          check_options(options, hand);
          SceneObstacles empty;
          const SceneObstacles& sc = scene ? *scene : empty;
          SynthesisResult r;
          {
            py::gil_scoped_release release;
            r = synthesize(*mesh, hand, sc, options, seed);
          }
          return result_dict(r);
        },
        py::arg("mesh"), py::arg("hand"), py::arg("options"), py::arg("seed"), py::arg("scene") = nullptr,
        "Antipodal grasps of one mesh: dict of arrays (poses (K,4,4) TCP in the object frame, widths, "
        "scores, quality (K,5), contacts/normals (K,2,3), contact_cells (K,2), sample) and stats.");

  m.def("synthesize_batch",
        [](const std::vector<MeshPtr>& meshes, const HandGeometry& hand, const SynthesisOptions& options,
           const std::vector<std::uint64_t>& seeds, const std::vector<std::shared_ptr<SceneObstacles>>& scenes) {
          check_options(options, hand);
          const std::size_t n = meshes.size();
          if (seeds.size() != n) throw graspvla::InvalidArgument("seeds: need one seed per mesh");
          if (!scenes.empty() && scenes.size() != n) throw graspvla::InvalidArgument("scenes: need one per mesh (or none)");
          SceneObstacles empty;
          std::vector<const PreparedMesh*> mp(n);
          std::vector<const SceneObstacles*> sp(n);
          for (std::size_t i = 0; i < n; ++i) {
            if (!meshes[i]) throw graspvla::InvalidArgument("meshes: None is not a Mesh");
            mp[i] = meshes[i].get();
            sp[i] = scenes.empty() || !scenes[i] ? &empty : scenes[i].get();
          }
          std::vector<SynthesisResult> rs;
          {
            py::gil_scoped_release release;
            rs = synthesize_batch(mp, sp, hand, options, seeds);
          }
          py::list out;
          for (const auto& r : rs) out.append(result_dict(r));
          return out;
        },
        py::arg("meshes"), py::arg("hand"), py::arg("options"), py::arg("seeds"),
        py::arg("scenes") = std::vector<std::shared_ptr<SceneObstacles>>{},
        "synthesize() over many meshes, parallel over objects (GIL released).");

  m.def("antipodal_test",
        [](const MeshPtr& mesh, const py::object& points, const py::object& normals, const py::object& directions,
           double friction, double min_width, double max_width) {
          auto P = checked_array<double>(points, "points", {-1, 3});
          const py::ssize_t n = P.shape(0);
          auto N = checked_array<double>(normals, "normals", {n, 3});
          auto D = checked_array<double>(directions, "directions", {n, 3});
          if (!(friction > 0) || !(max_width > 0) || !(min_width >= 0)) {
            throw graspvla::InvalidArgument("friction and max_width must be > 0, min_width >= 0");
          }
          py::array_t<std::uint8_t> valid(n);
          py::array_t<double> width(n), far({n, py::ssize_t{3}}), far_n({n, py::ssize_t{3}});
          std::int64_t count;
          {
            py::gil_scoped_release release;
            count = antipodal_test(*mesh, P.data(), N.data(), D.data(), static_cast<std::size_t>(n), friction,
                                   min_width, max_width, valid.mutable_data(), width.mutable_data(),
                                   far.mutable_data(), far_n.mutable_data());
          }
          py::dict d;
          d["valid"] = valid.attr("astype")("bool");
          d["width"] = width;
          d["far_points"] = far;
          d["far_normals"] = far_n;
          d["count"] = count;
          return d;
        },
        py::arg("mesh"), py::arg("points"), py::arg("normals"), py::arg("directions"), py::arg("friction"),
        py::arg("min_width"), py::arg("max_width"),
        "The bare antipodal test on given rays (object frame): first hit along each direction, width and "
        "friction-cone checks.");

  m.def("ferrari_canny_epsilon",
        [](const py::object& points, const py::object& forces, double friction, const py::object& com,
           double torque_scale) {
          auto P = checked_array<double>(points, "points", {-1, 3});
          const py::ssize_t n = P.shape(0);
          auto F = checked_array<double>(forces, "forces", {n, 3});
          if (!(friction >= 0) || !(torque_scale > 0)) throw graspvla::InvalidArgument("friction >= 0, torque_scale > 0");
          std::vector<Eigen::Vector3d> p(n), f(n);
          for (py::ssize_t i = 0; i < n; ++i) {
            p[i] = Eigen::Map<const Eigen::Vector3d>(P.data() + 3 * i);
            f[i] = Eigen::Map<const Eigen::Vector3d>(F.data() + 3 * i).normalized();
          }
          return ferrari_canny_epsilon(p.data(), f.data(), static_cast<int>(n), friction, checked_vec3(com, "com"),
                                       torque_scale);
        },
        py::arg("points"), py::arg("forces"), py::arg("friction"), py::arg("com"), py::arg("torque_scale"),
        "Ferrari-Canny epsilon (L1) of point contacts; forces = inward normal directions.");

  m.def("hand_boxes",
        [](const HandGeometry& hand, double width, double sweep, double clearance) {
          Box b[3];
          hand_boxes(hand, width, sweep, clearance, b);
          py::array_t<double> c({3, 3}), h({3, 3});
          for (int i = 0; i < 3; ++i)
            for (int k = 0; k < 3; ++k) {
              c.mutable_at(i, k) = b[i].centre[k];
              h.mutable_at(i, k) = b[i].half[k];
            }
          return py::make_tuple(c, h);
        },
        py::arg("hand"), py::arg("width"), py::arg("sweep") = 0.0, py::arg("clearance") = 0.0,
        "Centres (3,3) and half extents (3,3) of the axis-aligned hand boxes (finger +y, finger -y, palm), TCP frame.");
}
