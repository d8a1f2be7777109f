// graspvla._core.planning: RRT-Connect with goal sets, shortcutting, smoothing, grasp motions.
// Validates with the GIL; plans without it.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.hpp"
#include "graspvla/core/errors.hpp"
#include "graspvla/planning/grasp_motion.hpp"
#include "graspvla/planning/rrt_connect.hpp"
#include "registry.hpp"

namespace py = pybind11;
using namespace graspvla::planning;
using graspvla::bindings::checked_array;
using graspvla::geometry::CollisionWorld;

namespace {

py::array_t<double> to_array(const std::vector<Vector7>& path) {
  py::array_t<double> out({static_cast<py::ssize_t>(path.size()), py::ssize_t{7}});
  double* d = out.mutable_data();
  for (const Vector7& q : path) d = std::copy(q.data(), q.data() + 7, d);
  return out;
}

py::dict timing_dict(const PlanTiming& t) {
  py::dict d;
  d["planning"] = t.planning;
  d["shortcutting"] = t.shortcutting;
  d["smoothing"] = t.smoothing;
  d["total"] = t.total;
  return d;
}

py::dict plan_dict(const PlanOutput& o) {
  py::dict d;
  d["status"] = static_cast<int>(o.status);
  d["message"] = o.message;
  d["raw_path"] = to_array(o.raw_path);
  d["path"] = to_array(o.path);
  d["trajectory"] = o.has_trajectory ? py::cast(o.trajectory) : py::none();
  d["goal_index"] = o.goal_index;
  d["iterations"] = o.iterations;
  d["tree_nodes"] = o.tree_nodes;
  d["timing"] = timing_dict(o.timing);
  return d;
}

void check_options(const PlannerOptions& o) {
  if (!(o.range > 0) || !(o.resolution > 0) || !(o.time_limit >= 0) || !(o.verify_dt > 0) || o.max_iterations < 0 ||
      o.shortcut_iterations < 0 || o.smoothing_rounds < 0 || !(o.velocity_scale > 0 && o.velocity_scale <= 1) ||
      !(o.acceleration_scale > 0 && o.acceleration_scale <= 1) || !(o.jerk_scale > 0 && o.jerk_scale <= 1)) {
    throw graspvla::InvalidArgument(
        "config: range, resolution, verify_dt must be > 0; time_limit >= 0; iteration counts >= 0; "
        "velocity/acceleration/jerk scales in (0, 1]");
  }
}

}  // namespace

GRASPVLA_REGISTER_SUBMODULE(planning, "Joint-space motion planning (RRT-Connect, shortcutting, smoothing)", m) {
  py::enum_<PlanStatus>(m, "PlanStatus")
      .value("SUCCESS", PlanStatus::Success)
      .value("START_INVALID", PlanStatus::StartInvalid)
      .value("GOAL_INVALID", PlanStatus::GoalInvalid)
      .value("TIMEOUT", PlanStatus::Timeout)
      .value("SMOOTHING_FAILED", PlanStatus::SmoothingFailed)
      .value("INVALID_INPUT", PlanStatus::InvalidInput);

  py::class_<PlannerOptions>(m, "PlannerOptions")
      .def(py::init<>())
      .def_readwrite("range", &PlannerOptions::range)
      .def_readwrite("resolution", &PlannerOptions::resolution)
      .def_readwrite("time_limit", &PlannerOptions::time_limit)
      .def_readwrite("max_iterations", &PlannerOptions::max_iterations)
      .def_readwrite("shortcut_iterations", &PlannerOptions::shortcut_iterations)
      .def_readwrite("smooth", &PlannerOptions::smooth)
      .def_readwrite("velocity_scale", &PlannerOptions::velocity_scale)
      .def_readwrite("acceleration_scale", &PlannerOptions::acceleration_scale)
      .def_readwrite("jerk_scale", &PlannerOptions::jerk_scale)
      .def_readwrite("verify_dt", &PlannerOptions::verify_dt)
      .def_readwrite("smoothing_rounds", &PlannerOptions::smoothing_rounds)
      .def_readwrite("seed", &PlannerOptions::seed);

  m.def("plan",
        [](const CollisionWorld& world, const py::object& start, const py::object& goals, const PlannerOptions& opt,
           int ignore) {
          check_options(opt);
          auto S = checked_array<double>(start, "start", {7}, false);
          auto G = checked_array<double>(goals, "goals", {-1, 7}, false);
          const Vector7 q0 = Eigen::Map<const Vector7>(S.data());
          std::vector<Vector7> gs(static_cast<std::size_t>(G.shape(0)));
          for (py::ssize_t i = 0; i < G.shape(0); ++i) gs[i] = Eigen::Map<const Vector7>(G.data() + 7 * i);
          PlanOutput out;
          {
            py::gil_scoped_release release;
            plan(world, q0, gs, opt, out, ignore);
          }
          return plan_dict(out);
        },
        py::arg("world"), py::arg("start"), py::arg("goals"), py::arg("options"), py::arg("ignore") = -1);

  m.def("shortcut",
        [](const CollisionWorld& world, const py::object& path, int iterations, double resolution, std::uint64_t seed,
           int ignore) {
          auto P = checked_array<double>(path, "path", {-1, 7});
          if (!(resolution > 0)) throw graspvla::InvalidArgument("resolution: must be > 0");
          std::vector<Vector7> v(static_cast<std::size_t>(P.shape(0)));
          for (py::ssize_t i = 0; i < P.shape(0); ++i) v[i] = Eigen::Map<const Vector7>(P.data() + 7 * i);
          {
            py::gil_scoped_release release;
            shortcut(world, v, iterations, resolution, seed, ignore);
          }
          return to_array(v);
        },
        py::arg("world"), py::arg("path"), py::arg("iterations"), py::arg("resolution"), py::arg("seed"),
        py::arg("ignore") = -1);

  m.def("plan_grasp",
        [](const CollisionWorld& world, const py::object& start, const py::object& grasp, double pregrasp_distance,
           double lift_height, double cartesian_step, int target_id, int q7_samples, int max_goals,
           const PlannerOptions& opt) {
          check_options(opt);
          auto S = checked_array<double>(start, "start", {7}, false);
          auto T = checked_array<double>(grasp, "grasp", {4, 4});
          GraspRequest req;
          req.grasp.matrix() = Eigen::Map<const Eigen::Matrix<double, 4, 4, Eigen::RowMajor>>(T.data());
          const Eigen::Matrix3d R = req.grasp.linear();
          if ((R.transpose() * R - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff() > 1e-6 || R.determinant() < 0) {
            throw graspvla::InvalidArgument("grasp: rotation part is not orthonormal");
          }
          req.pregrasp_distance = pregrasp_distance;
          req.lift_height = lift_height;
          req.cartesian_step = cartesian_step;
          req.target_id = target_id;
          req.q7_samples = q7_samples;
          req.max_goals = max_goals;
          const Vector7 q0 = Eigen::Map<const Vector7>(S.data());
          GraspPlanOutput out;
          {
            py::gil_scoped_release release;
            plan_grasp(world, q0, req, opt, out);
          }
          py::dict d;
          d["status"] = static_cast<int>(out.status);
          d["message"] = out.message;
          d["motion"] = plan_dict(out.motion);
          d["approach_path"] = to_array(out.approach_path);
          d["pregrasp_index"] = out.pregrasp_index;
          d["approach"] = out.success() && opt.smooth ? py::cast(out.approach) : py::none();
          d["lift_path"] = to_array(out.lift_path);
          d["lift"] = out.has_lift ? py::cast(out.lift) : py::none();
          d["num_goals"] = out.num_goals;
          d["total_time"] = out.total_time;
          return d;
        },
        py::arg("world"), py::arg("start"), py::arg("grasp"), py::arg("pregrasp_distance"), py::arg("lift_height"),
        py::arg("cartesian_step"), py::arg("target_id"), py::arg("q7_samples"), py::arg("max_goals"), py::arg("options"));
}
