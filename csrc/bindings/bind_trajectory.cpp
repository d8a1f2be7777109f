// graspvla._core.trajectory: jerk-limited OTG and waypoint trajectories.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <functional>
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

const char* kStateNames[] = {"current_position", "current_velocity", "current_acceleration", "target_position",
                             "target_velocity",  "target_acceleration", "max_velocity", "max_acceleration",
                             "max_jerk"};

std::vector<double>* fields(DynamicInput& in, int k) {
  std::vector<double>* f[] = {&in.current_position, &in.current_velocity, &in.current_acceleration,
                              &in.target_position,  &in.target_velocity,  &in.target_acceleration,
                              &in.max_velocity,     &in.max_acceleration, &in.max_jerk};
  return f[k];
}

bool validate_dof(const DynamicInput& in, std::size_t i) {
  const double V = in.max_velocity[i], A = in.max_acceleration[i], J = in.max_jerk[i];
  const double vf = in.target_velocity[i], af = in.target_acceleration[i];
  return V > 0 && A > 0 && J > 0 && std::abs(vf) <= V * (1 + 1e-12) && std::abs(af) <= A * (1 + 1e-12) &&
         std::abs(vf - af * std::abs(af) / (2.0 * J)) <= V * (1 + 1e-12) &&
         std::abs(in.current_acceleration[i]) <= A * (1 + 1e-9) + 1e-12 && in.target_position[i] >= in.min_position[i] &&
         in.target_position[i] <= in.max_position[i];
}

// Raises a clear exception naming the argument for every way validate() can fail.
void explain_invalid(const DynamicInput& in) {
  const std::size_t n = in.dof();
  for (std::size_t i = 0; i < n; ++i) {
    if (validate_dof(in, i)) continue;  // the common case: no message to build
    const std::string dof = " (DoF " + std::to_string(i) + ")";
    const double V = in.max_velocity[i], A = in.max_acceleration[i], J = in.max_jerk[i];
    if (!(V > 0)) throw graspvla::InvalidArgument("max_velocity: limits must be > 0" + dof);
    if (!(A > 0)) throw graspvla::InvalidArgument("max_acceleration: limits must be > 0" + dof);
    if (!(J > 0)) throw graspvla::InvalidArgument("max_jerk: limits must be > 0" + dof);
    const double vf = in.target_velocity[i], af = in.target_acceleration[i];
    if (std::abs(vf) > V * (1 + 1e-12)) {
      throw graspvla::LimitViolation("target_velocity: |" + std::to_string(vf) + "| exceeds max_velocity " +
                                     std::to_string(V) + dof);
    }
    if (std::abs(af) > A * (1 + 1e-12)) {
      throw graspvla::LimitViolation("target_acceleration: |" + std::to_string(af) + "| exceeds max_acceleration " +
                                     std::to_string(A) + dof);
    }
    if (std::abs(vf - af * std::abs(af) / (2.0 * J)) > V * (1 + 1e-12)) {
      throw graspvla::LimitViolation(
          "target_velocity/target_acceleration: the target state can only be reached from above the velocity "
          "limit" + dof);
    }
    if (std::abs(in.current_acceleration[i]) > A * (1 + 1e-9) + 1e-12) {
      throw graspvla::LimitViolation("current_acceleration: |a| exceeds max_acceleration" + dof);
    }
    if (in.target_position[i] < in.min_position[i] || in.target_position[i] > in.max_position[i]) {
      throw graspvla::LimitViolation("target_position: " + std::to_string(in.target_position[i]) +
                                     " outside the position limits [" + std::to_string(in.min_position[i]) + ", " +
                                     std::to_string(in.max_position[i]) + "]" + dof);
    }
  }
}

DynamicInput make_input(const py::object& cp, const py::object& cv, const py::object& ca, const py::object& tp,
                        const py::object& tv, const py::object& ta, const py::object& vmax, const py::object& amax,
                        const py::object& jmax, double min_duration, bool synchronize, const py::object& qmin,
                        const py::object& qmax, bool phase = false) {
  auto p = checked_array<double>(cp, "current_position", {-1});
  const py::ssize_t n = p.shape(0);
  if (n < 1) throw graspvla::InvalidArgument("current_position: need at least one DoF");
  DynamicInput in(static_cast<std::size_t>(n));
  in.min_duration = min_duration;
  in.synchronization = !synchronize ? Synchronization::None : phase ? Synchronization::Phase : Synchronization::Time;
  const py::object* objs[] = {&cp, &cv, &ca, &tp, &tv, &ta, &vmax, &amax, &jmax};
  for (int k = 0; k < 9; ++k) {
    auto a = checked_array<double>(*objs[k], kStateNames[k], {n});
    std::copy(a.data(), a.data() + n, fields(in, k)->begin());
  }
  if (!qmin.is_none()) {
    auto a = checked_array<double>(qmin, "min_position", {n}, false);
    std::copy(a.data(), a.data() + n, in.min_position.begin());
  }
  if (!qmax.is_none()) {
    auto a = checked_array<double>(qmax, "max_position", {n}, false);
    std::copy(a.data(), a.data() + n, in.max_position.begin());
  }
  if (!(min_duration >= 0) || !std::isfinite(min_duration)) {
    throw graspvla::InvalidArgument("min_duration: must be finite and >= 0");
  }
  explain_invalid(in);
  return in;
}

void throw_status(Status s, const char* what) {
  const std::string msg = std::string(what) + " failed: " + graspvla::to_string(s);
  if (s == Status::LimitViolation) throw graspvla::LimitViolation(msg);
  throw graspvla::InvalidArgument(msg);
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

py::array_t<double> out_or_new(const py::object& obj, const char* name, py::ssize_t rows, py::ssize_t cols) {
  if (obj.is_none()) return py::array_t<double>({rows, cols});
  auto a = checked_array<double>(obj, name, {rows, cols}, false);
  if (!a.writeable()) throw graspvla::InvalidArgument(std::string(name) + ": array must be writeable");
  return a;
}

// Python-facing online generator: owns its input/output so a cycle needs no allocation.
struct PyOTG {
  PyOTG(std::size_t dof, double dt) : otg(dof, dt), in(dof), out(dof) {}
  DynamicOTG otg;
  DynamicInput in;
  DynamicOutput out;
};

}  // namespace

GRASPVLA_REGISTER_SUBMODULE(trajectory, "Jerk-limited online trajectory generation and waypoint trajectories", m) {
  py::class_<DynamicTrajectory>(m, "Trajectory")
      .def(py::init([](int dof) {
             if (dof < 1) throw graspvla::InvalidArgument("dof: must be >= 1");
             return DynamicTrajectory(static_cast<std::size_t>(dof));
           }), py::arg("dof"), "An empty trajectory of `dof` DoF, to be filled by calculate_into().")
      .def_readonly("duration", &DynamicTrajectory::duration, "Duration (s).")
      .def_property_readonly("dof", &DynamicTrajectory::dof)
      .def("at", [](const DynamicTrajectory& tr, double t) {
            Eigen::VectorXd p(tr.dof()), v(tr.dof()), a(tr.dof());
            tr.at_time(t, p.data(), v.data(), a.data());
            return py::make_tuple(p, v, a);
          }, py::arg("t"), "(position, velocity, acceleration) at time t [s].")
      .def("sample", [](const DynamicTrajectory& tr, const py::object& times) {
            return sample_fn(tr.dof(), times, [&](double t, double* p, double* v, double* a) { tr.at_time(t, p, v, a); });
          }, py::arg("times"), "Positions, velocities, accelerations (T, dof) at the given times [s].")
      .def("sample_uniform", [](const DynamicTrajectory& tr, double t0, double dt, py::ssize_t count,
                                const py::object& pos, const py::object& vel, const py::object& acc) {
            if (!(dt > 0) || !std::isfinite(dt)) throw graspvla::InvalidArgument("dt: must be > 0");
            if (count < 0) throw graspvla::InvalidArgument("count: must be >= 0");
            if (!std::isfinite(t0)) throw graspvla::InvalidArgument("t0: must be finite");
            const auto n = static_cast<py::ssize_t>(tr.dof());
            auto P = out_or_new(pos, "out_position", count, n), V = out_or_new(vel, "out_velocity", count, n),
                 A = out_or_new(acc, "out_acceleration", count, n);
            double *p = P.mutable_data(), *v = V.mutable_data(), *a = A.mutable_data();
            {
              py::gil_scoped_release r;
              tr.sample(t0, dt, static_cast<std::size_t>(count), p, v, a);
            }
            return py::make_tuple(P, V, A);
          }, py::arg("t0"), py::arg("dt"), py::arg("count"), py::arg("out_position") = py::none(),
          py::arg("out_velocity") = py::none(), py::arg("out_acceleration") = py::none(),
          "Dense sampling at t0 + k*dt, k < count, into (count, dof) arrays (given ones are filled in place).")
      .def("segments", [](const DynamicTrajectory& tr, int i) {
            if (i < 0 || i >= static_cast<int>(tr.dof())) throw graspvla::InvalidArgument("dof: index out of range");
            const Profile& P = tr.profiles[i];
            return py::make_tuple(std::vector<double>(P.t.begin(), P.t.end()), std::vector<double>(P.j.begin(), P.j.end()));
          }, py::arg("dof"), "Segment durations [s] and jerks of one DoF's profile.");

  // A reusable input, like ruckig's InputParameter: fields are validated when set (shape,
  // dtype, finiteness); calculate_into() checks the rest and fills a reusable Trajectory.
  auto input = py::class_<DynamicInput>(m, "Input");
  input.def(py::init([](int dof) {
              if (dof < 1) throw graspvla::InvalidArgument("dof: must be >= 1");
              return DynamicInput(static_cast<std::size_t>(dof));
            }), py::arg("dof"), "Input of `dof` DoF: zero state, unit limits, unbounded positions.")
      .def_property_readonly("dof", &DynamicInput::dof)
      .def_readwrite("min_duration", &DynamicInput::min_duration, "Minimum duration (s).")
      .def_property("synchronize",
                    [](const DynamicInput& in) { return in.synchronization != Synchronization::None; },
                    [](DynamicInput& in, bool on) {
                      in.synchronization = on ? Synchronization::Time : Synchronization::None;
                    }, "All DoF finish together (default True).")
      .def_property("phase",
                    [](const DynamicInput& in) { return in.synchronization == Synchronization::Phase; },
                    [](DynamicInput& in, bool on) {
                      in.synchronization = on ? Synchronization::Phase : Synchronization::Time;
                    }, "Straight-line (phase) synchronisation when possible (default False).");
  static const char* kAllFields[] = {"current_position", "current_velocity", "current_acceleration",
                                     "target_position",  "target_velocity",  "target_acceleration",
                                     "max_velocity",     "max_acceleration", "max_jerk",
                                     "min_position",     "max_position"};
  for (int k = 0; k < 11; ++k) {
    const char* name = kAllFields[k];
    auto member = [k](DynamicInput& in) -> std::vector<double>& {
      if (k < 9) return *fields(in, k);
      return k == 9 ? in.min_position : in.max_position;
    };
    input.def_property(
        name,
        [member](DynamicInput& in) {
          const auto& v = member(in);
          return py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
        },
        [member, name, k](DynamicInput& in, const py::object& value) {
          const auto n = static_cast<py::ssize_t>(in.dof());
          auto a = checked_array<double>(value, name, {n}, k < 9);
          std::copy(a.data(), a.data() + n, member(in).begin());
        });
  }

  m.def("calculate_into",
        [](const DynamicInput& in, DynamicTrajectory& out) {
          if (out.dof() != in.dof()) {
            throw graspvla::InvalidArgument("trajectory: has " + std::to_string(out.dof()) + " DoF, input has " +
                                            std::to_string(in.dof()));
          }
          Status s;
          {
            py::gil_scoped_release r;
            s = calculate(in, out);
          }
          if (s != Status::Ok) {
            explain_invalid(in);
            throw_status(s, "trajectory calculation");
          }
          return out.duration;
        },
        py::arg("input"), py::arg("trajectory"),
        "Calculates into an existing Trajectory (no allocation); returns the duration (s). Raises like calculate().");

  m.def("calculate",
        [](const py::object& cp, const py::object& cv, const py::object& ca, const py::object& tp, const py::object& tv,
           const py::object& ta, const py::object& vmax, const py::object& amax, const py::object& jmax,
           double min_duration, bool synchronize, const py::object& qmin, const py::object& qmax, bool phase) {
          DynamicInput in =
              make_input(cp, cv, ca, tp, tv, ta, vmax, amax, jmax, min_duration, synchronize, qmin, qmax, phase);
          DynamicTrajectory tr(in.dof());
          Status s;
          {
            py::gil_scoped_release r;
            s = calculate(in, tr);
          }
          if (s != Status::Ok) throw_status(s, "trajectory calculation");
          return tr;
        },
        py::arg("current_position"), py::arg("current_velocity"), py::arg("current_acceleration"),
        py::arg("target_position"), py::arg("target_velocity"), py::arg("target_acceleration"), py::arg("max_velocity"),
        py::arg("max_acceleration"), py::arg("max_jerk"), py::arg("min_duration") = 0.0, py::arg("synchronize") = true,
        py::arg("min_position") = py::none(), py::arg("max_position") = py::none(), py::arg("phase") = false,
        "Time-synchronised jerk-limited trajectory from the current state to the target state. With `phase`, a "
        "straight line in joint space when the boundary velocities/accelerations are parallel to the displacement.");

  m.def("calculate_batch",
        [](const py::object& problems, bool synchronize) {
          auto P = checked_array<double>(problems, "problems", {-1, 9, -1});
          const py::ssize_t B = P.shape(0), n = P.shape(2);
          if (n < 1) throw graspvla::InvalidArgument("problems: need at least one DoF");
          py::array_t<double> durations(B), micros(B);
          py::array_t<int> status(B);
          double* d = durations.mutable_data();
          double* us = micros.mutable_data();
          int* st = status.mutable_data();
          const double* src = P.data();
          {
            py::gil_scoped_release r;
            DynamicInput in(static_cast<std::size_t>(n));
            in.synchronization = synchronize ? Synchronization::Time : Synchronization::None;
            DynamicTrajectory tr(static_cast<std::size_t>(n));
            for (py::ssize_t b = 0; b < B; ++b) {
              for (int k = 0; k < 9; ++k) {
                const double* row = src + (b * 9 + k) * n;
                std::copy(row, row + n, fields(in, k)->begin());
              }
              const auto t0 = std::chrono::steady_clock::now();
              const Status s = calculate(in, tr);
              const auto t1 = std::chrono::steady_clock::now();
              us[b] = std::chrono::duration<double, std::micro>(t1 - t0).count();
              st[b] = static_cast<int>(s);
              d[b] = s == Status::Ok ? tr.duration : std::nan("");
            }
          }
          return py::make_tuple(durations, status, micros);
        },
        py::arg("problems"), py::arg("synchronize") = true,
        "Benchmark/batch helper: problems (B, 9, N) rows = current p, v, a, target p, v, a, max v, a, j. Returns "
        "(durations [s], status codes, calculation times [us] measured in C++ around each calculation).");

  py::class_<PyOTG>(m, "OTG")
      .def(py::init([](int dof, double dt) {
             if (dof < 1) throw graspvla::InvalidArgument("dof: must be >= 1");
             if (!(dt > 0) || !std::isfinite(dt)) throw graspvla::InvalidArgument("dt: must be > 0");
             return new PyOTG(static_cast<std::size_t>(dof), dt);
           }), py::arg("dof"), py::arg("dt") = 0.001)
      .def_property_readonly("dt", [](const PyOTG& o) { return o.otg.dt(); })
      .def_property_readonly("dof", [](const PyOTG& o) { return o.otg.dof(); })
      .def("reset", [](PyOTG& o) { o.otg.reset(); })
      .def("update",
           [](PyOTG& o, const py::object& cp, const py::object& cv, const py::object& ca, const py::object& tp,
              const py::object& tv, const py::object& ta, const py::object& vmax, const py::object& amax,
              const py::object& jmax) {
             DynamicInput in = make_input(cp, cv, ca, tp, tv, ta, vmax, amax, jmax, 0.0, true, py::none(), py::none());
             if (in.dof() != o.otg.dof()) {
               throw graspvla::InvalidArgument("current_position: expected " + std::to_string(o.otg.dof()) +
                                               " DoF, got " + std::to_string(in.dof()));
             }
             Status s;
             {
               py::gil_scoped_release r;
               s = o.otg.update(in, o.out);
             }
             if (static_cast<int>(s) < 0) throw_status(s, "online trajectory update");
             const auto n = static_cast<Eigen::Index>(in.dof());
             Eigen::VectorXd p = Eigen::Map<const Eigen::VectorXd>(o.out.new_position.data(), n);
             Eigen::VectorXd v = Eigen::Map<const Eigen::VectorXd>(o.out.new_velocity.data(), n);
             Eigen::VectorXd a = Eigen::Map<const Eigen::VectorXd>(o.out.new_acceleration.data(), n);
             return py::make_tuple(static_cast<int>(s), p, v, a, o.out.new_calculation, o.out.duration);
           },
           py::arg("current_position"), py::arg("current_velocity"), py::arg("current_acceleration"),
           py::arg("target_position"), py::arg("target_velocity"), py::arg("target_acceleration"),
           py::arg("max_velocity"), py::arg("max_acceleration"), py::arg("max_jerk"),
           "One control cycle: (status, new_position, new_velocity, new_acceleration, new_calculation, duration). "
           "status: 1 working, 2 finished.");

  py::class_<WaypointTrajectory>(m, "WaypointTrajectory")
      .def_property_readonly("duration", &WaypointTrajectory::duration, "Duration (s).")
      .def_property_readonly("dof", &WaypointTrajectory::dof)
      .def_property_readonly("knot_times", &WaypointTrajectory::knot_times,
                             "Time (s) at which each de-duplicated waypoint is passed.")
      .def_property_readonly("waypoints", [](const WaypointTrajectory& w) { return Eigen::MatrixXd(w.waypoints()); },
                             "The waypoints used (consecutive duplicates removed), (K, dof).")
      .def("at", [](const WaypointTrajectory& w, double t) {
            Eigen::VectorXd p(w.dof()), v(w.dof()), a(w.dof()), j(w.dof());
            w.at(t, p.data(), v.data(), a.data(), j.data());
            return py::make_tuple(p, v, a, j);
          }, py::arg("t"), "(position, velocity, acceleration, jerk) at time t [s] (clamped to [0, duration]).")
      .def("sample", [](const WaypointTrajectory& w, const py::object& times) {
            return sample_fn(w.dof(), times, [&](double t, double* p, double* v, double* a) { w.at(t, p, v, a); });
          }, py::arg("times"), "Positions, velocities, accelerations (T, dof) at the given times [s].")
      .def("sample_uniform", [](const WaypointTrajectory& w, double t0, double dt, py::ssize_t count,
                                const py::object& pos, const py::object& vel, const py::object& acc) {
            if (!(dt > 0) || !std::isfinite(dt)) throw graspvla::InvalidArgument("dt: must be > 0");
            if (count < 0) throw graspvla::InvalidArgument("count: must be >= 0");
            if (!std::isfinite(t0)) throw graspvla::InvalidArgument("t0: must be finite");
            const auto n = static_cast<py::ssize_t>(w.dof());
            auto P = out_or_new(pos, "out_position", count, n), V = out_or_new(vel, "out_velocity", count, n),
                 A = out_or_new(acc, "out_acceleration", count, n);
            double *p = P.mutable_data(), *v = V.mutable_data(), *a = A.mutable_data();
            {
              py::gil_scoped_release r;
              w.sample(t0, dt, static_cast<std::size_t>(count), p, v, a);
            }
            return py::make_tuple(P, V, A);
          }, py::arg("t0"), py::arg("dt"), py::arg("count"), py::arg("out_position") = py::none(),
          py::arg("out_velocity") = py::none(), py::arg("out_acceleration") = py::none(),
          "Dense sampling at t0 + k*dt, k < count, into (count, dof) arrays (given ones are filled in place).");

  m.def("waypoint_trajectory",
        [](const py::object& wp, const py::object& vmax, const py::object& amax, const py::object& jmax, int iterations,
           bool knot_acceleration) {
          auto W = checked_array<double>(wp, "waypoints", {-1, -1});
          const py::ssize_t M = W.shape(0), N = W.shape(1);
          if (M < 2) throw graspvla::InvalidArgument("waypoints: need at least 2 rows, got " + std::to_string(M));
          if (N < 1) throw graspvla::InvalidArgument("waypoints: need at least one column (DoF)");
          auto V = checked_array<double>(vmax, "max_velocity", {N});
          auto A = checked_array<double>(amax, "max_acceleration", {N});
          auto J = checked_array<double>(jmax, "max_jerk", {N});
          const char* names[] = {"max_velocity", "max_acceleration", "max_jerk"};
          const double* ptrs[] = {V.data(), A.data(), J.data()};
          for (int k = 0; k < 3; ++k) {
            for (py::ssize_t i = 0; i < N; ++i) {
              if (!(ptrs[k][i] > 0)) throw graspvla::InvalidArgument(std::string(names[k]) + ": limits must be > 0");
            }
          }
          if (iterations < 0) throw graspvla::InvalidArgument("iterations: must be >= 0");
          WaypointTrajectory::RowMatrix Wm = Eigen::Map<const WaypointTrajectory::RowMatrix>(W.data(), M, N);
          Eigen::VectorXd v = Eigen::Map<const Eigen::VectorXd>(V.data(), N), a = Eigen::Map<const Eigen::VectorXd>(A.data(), N),
                          j = Eigen::Map<const Eigen::VectorXd>(J.data(), N);
          WaypointOptions opt;
          opt.iterations = iterations;
          opt.knot_acceleration = knot_acceleration;
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
        py::arg("iterations") = WaypointOptions{}.iterations, py::arg("knot_acceleration") = true,
        "Jerk-limited C2 trajectory exactly through waypoints (M, N), at rest at both ends, within the limits, "
        "not stopping in between.");
}
