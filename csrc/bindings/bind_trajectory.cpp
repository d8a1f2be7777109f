// graspvla._core.trajectory: jerk-limited OTG and waypoint trajectories.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "common.hpp"
#include "graspvla/trajectory/otg.hpp"
#include "graspvla/trajectory/waypoints.hpp"
#include "registry.hpp"

namespace py = pybind11;
using namespace graspvla::trajectory;
using graspvla::Status;
using graspvla::bindings::checked_array;

namespace {

Input make_input(const py::object& cp, const py::object& cv, const py::object& ca, const py::object& tp,
                 const py::object& tv, const py::object& vmax, const py::object& amax, const py::object& jmax,
                 double min_duration) {
  auto p = checked_array<double>(cp, "current_position", {-1});
  const py::ssize_t n = p.shape(0);
  if (n < 1 || n > kMaxDof) {
    throw graspvla::InvalidArgument("current_position: 1.." + std::to_string(kMaxDof) + " DoF supported, got " +
                                    std::to_string(n));
  }
  Input in;
  in.dof = static_cast<int>(n);
  in.min_duration = min_duration;
  const std::pair<const py::object*, const char*> names[] = {{&cv, "current_velocity"}, {&ca, "current_acceleration"},
      {&tp, "target_position"}, {&tv, "target_velocity"}, {&vmax, "max_velocity"}, {&amax, "max_acceleration"},
      {&jmax, "max_jerk"}};
  DofArray* dst[] = {&in.current_velocity, &in.current_acceleration, &in.target_position, &in.target_velocity,
                     &in.max_velocity, &in.max_acceleration, &in.max_jerk};
  for (int i = 0; i < n; ++i) in.current_position[i] = p.data()[i];
  for (int k = 0; k < 7; ++k) {
    auto a = checked_array<double>(*names[k].first, names[k].second, {n});
    for (int i = 0; i < n; ++i) (*dst[k])[i] = a.data()[i];
  }
  for (int k = 4; k < 7; ++k) {
    for (int i = 0; i < n; ++i) {
      if ((*dst[k])[i] <= 0) throw graspvla::InvalidArgument(std::string(names[k].second) + ": limits must be > 0");
    }
  }
  if (!(min_duration >= 0)) throw graspvla::InvalidArgument("min_duration: must be >= 0");
  for (int i = 0; i < n; ++i) {
    if (std::abs(in.target_velocity[i]) > in.max_velocity[i]) {
      throw graspvla::LimitViolation("target_velocity: |v| of DoF " + std::to_string(i) + " exceeds max_velocity");
    }
    if (std::abs(in.current_acceleration[i]) > in.max_acceleration[i] * (1 + 1e-9)) {
      throw graspvla::LimitViolation("current_acceleration: |a| of DoF " + std::to_string(i) +
                                     " exceeds max_acceleration");
    }
  }
  return in;
}

py::tuple sample_fn(std::size_t dof, const py::object& times_obj,
                    const std::function<void(double, double*, double*, double*)>& at) {
  auto times = checked_array<double>(times_obj, "times", {-1});
  const py::ssize_t n = times.shape(0);
  py::array_t<double> P({n, static_cast<py::ssize_t>(dof)}), V({n, static_cast<py::ssize_t>(dof)}),
      A({n, static_cast<py::ssize_t>(dof)});
  double *p = P.mutable_data(), *v = V.mutable_data(), *a = A.mutable_data();
  const double* t = times.data();
  {
    py::gil_scoped_release r;
    for (py::ssize_t k = 0; k < n; ++k) at(t[k], p + k * dof, v + k * dof, a + k * dof);
  }
  return py::make_tuple(P, V, A);
}

}  // namespace

GRASPVLA_REGISTER_SUBMODULE(trajectory, "Jerk-limited online trajectory generation and waypoint trajectories", m) {
  m.attr("MAX_DOF") = kMaxDof;

  py::class_<Trajectory>(m, "Trajectory")
      .def_readonly("duration", &Trajectory::duration, "Duration (s).")
      .def_readonly("dof", &Trajectory::dof)
      .def("at", [](const Trajectory& tr, double t) {
            Eigen::VectorXd p(tr.dof), v(tr.dof), a(tr.dof);
            tr.at(t, p.data(), v.data(), a.data());
            return py::make_tuple(p, v, a);
          }, py::arg("t"), "(position, velocity, acceleration) at time t [s].")
      .def("sample", [](const Trajectory& tr, const py::object& times) {
            return sample_fn(tr.dof, times, [&](double t, double* p, double* v, double* a) { tr.at(t, p, v, a); });
          }, py::arg("times"), "Positions, velocities, accelerations (T, dof) at the given times.")
      .def("segments", [](const Trajectory& tr, int i) {
            if (i < 0 || i >= tr.dof) throw graspvla::InvalidArgument("dof index out of range");
            const Profile& P = tr.profiles[i];
            return py::make_tuple(std::vector<double>(P.t.begin(), P.t.end()), std::vector<double>(P.j.begin(), P.j.end()));
          }, py::arg("dof"), "Segment durations and jerks of one DoF's profile.");

  m.def("calculate",
        [](const py::object& cp, const py::object& cv, const py::object& ca, const py::object& tp, const py::object& tv,
           const py::object& vmax, const py::object& amax, const py::object& jmax, double min_duration) {
          Input in = make_input(cp, cv, ca, tp, tv, vmax, amax, jmax, min_duration);
          Trajectory tr;
          Status s;
          {
            py::gil_scoped_release r;
            s = calculate(in, tr);
          }
          if (s != Status::Ok) throw graspvla::InvalidArgument(std::string("trajectory calculation failed: ") + to_string(s));
          return tr;
        },
        py::arg("current_position"), py::arg("current_velocity"), py::arg("current_acceleration"),
        py::arg("target_position"), py::arg("target_velocity"), py::arg("max_velocity"), py::arg("max_acceleration"),
        py::arg("max_jerk"), py::arg("min_duration") = 0.0,
        "Time-synchronised jerk-limited trajectory from the current state to the target (zero target acceleration).");

  py::class_<OTG>(m, "OTG")
      .def(py::init([](double dt) {
             if (!(dt > 0)) throw graspvla::InvalidArgument("dt: must be > 0");
             return OTG(dt);
           }), py::arg("dt") = 0.001)
      .def_property_readonly("dt", &OTG::dt)
      .def("reset", &OTG::reset)
      .def("update",
           [](OTG& otg, const py::object& cp, const py::object& cv, const py::object& ca, const py::object& tp,
              const py::object& tv, const py::object& vmax, const py::object& amax, const py::object& jmax) {
             Input in = make_input(cp, cv, ca, tp, tv, vmax, amax, jmax, 0.0);
             Output out;
             Status s;
             {
               py::gil_scoped_release r;
               s = otg.update(in, out);
             }
             Eigen::VectorXd p(in.dof), v(in.dof), a(in.dof);
             for (int i = 0; i < in.dof; ++i) {
               p[i] = out.new_position[i];
               v[i] = out.new_velocity[i];
               a[i] = out.new_acceleration[i];
             }
             return py::make_tuple(static_cast<int>(s), p, v, a, out.new_calculation, out.duration);
           },
           "One control cycle: (status, new_position, new_velocity, new_acceleration, new_calculation, duration). "
           "status: 1 working, 2 finished, < 0 error.");

  py::class_<WaypointTrajectory>(m, "WaypointTrajectory")
      .def_property_readonly("duration", &WaypointTrajectory::duration)
      .def_property_readonly("dof", &WaypointTrajectory::dof)
      .def_property_readonly("knot_times", &WaypointTrajectory::knot_times)
      .def("at", [](const WaypointTrajectory& w, double t) {
            Eigen::VectorXd p(w.dof()), v(w.dof()), a(w.dof()), j(w.dof());
            w.at(t, p.data(), v.data(), a.data(), j.data());
            return py::make_tuple(p, v, a, j);
          }, py::arg("t"))
      .def("sample", [](const WaypointTrajectory& w, const py::object& times) {
            return sample_fn(w.dof(), times, [&](double t, double* p, double* v, double* a) { w.at(t, p, v, a); });
          }, py::arg("times"));

  m.def("waypoint_trajectory",
        [](const py::object& wp, const py::object& vmax, const py::object& amax, const py::object& jmax, int iterations) {
          auto W = checked_array<double>(wp, "waypoints", {-1, -1});
          const py::ssize_t M = W.shape(0), N = W.shape(1);
          if (M < 2) throw graspvla::InvalidArgument("waypoints: need at least 2 rows, got " + std::to_string(M));
          auto V = checked_array<double>(vmax, "max_velocity", {N});
          auto A = checked_array<double>(amax, "max_acceleration", {N});
          auto J = checked_array<double>(jmax, "max_jerk", {N});
          for (py::ssize_t i = 0; i < N; ++i) {
            if (V.data()[i] <= 0 || A.data()[i] <= 0 || J.data()[i] <= 0) {
              throw graspvla::InvalidArgument("max_velocity/max_acceleration/max_jerk: limits must be > 0");
            }
          }
          WaypointTrajectory::RowMatrix Wm = Eigen::Map<const WaypointTrajectory::RowMatrix>(W.data(), M, N);
          Eigen::VectorXd v = Eigen::Map<const Eigen::VectorXd>(V.data(), N), a = Eigen::Map<const Eigen::VectorXd>(A.data(), N),
                          j = Eigen::Map<const Eigen::VectorXd>(J.data(), N);
          WaypointOptions opt;
          opt.iterations = iterations;
          WaypointTrajectory w;
          Status s;
          {
            py::gil_scoped_release r;
            s = w.build(Wm, v, a, j, opt);
          }
          if (s != Status::Ok) throw graspvla::InvalidArgument(std::string("waypoint trajectory failed: ") + to_string(s));
          return w;
        },
        py::arg("waypoints"), py::arg("max_velocity"), py::arg("max_acceleration"), py::arg("max_jerk"),
        py::arg("iterations") = 40,
        "C2 trajectory through waypoints (M, N), at rest at both ends, within the limits, not stopping in between.");
}
