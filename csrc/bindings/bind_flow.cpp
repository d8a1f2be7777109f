// graspvla._core.flow: flow-matching integrators and chunk post-processing. Arrays are viewed
// zero-copy (a CPU torch tensor's .numpy() shares memory); validation happens with the GIL held.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "common.hpp"
#include "graspvla/core/parallel.hpp"
#include "graspvla/flow/integrators.hpp"
#include "graspvla/flow/postprocess.hpp"
#include "registry.hpp"

namespace py = pybind11;
using namespace graspvla::flow;
using graspvla::InvalidArgument;
using graspvla::bindings::checked_array;
using graspvla::bindings::output_array;

namespace {

Method parse_method(const std::string& s) {
  if (s == "euler") return Method::Euler;
  if (s == "heun") return Method::Heun;
  if (s == "rk4") return Method::RK4;
  throw InvalidArgument("method: expected 'euler', 'heun' or 'rk4', got '" + s + "'");
}

Resample parse_mode(const std::string& s) {
  if (s == "linear") return Resample::Linear;
  if (s == "delta") return Resample::Delta;
  if (s == "hold") return Resample::Hold;
  throw InvalidArgument("modes: expected 'linear', 'delta' or 'hold', got '" + s + "'");
}

py::array_t<float> as_chunk(const py::object& x, const char* name) {
  auto a = checked_array<float>(x, name, {-1, -1, -1});
  if (!a.writeable()) throw InvalidArgument(std::string(name) + ": must be writeable (updated in place)");
  return a;
}

void check(graspvla::Status s, const char* what) {
  if (s != graspvla::Status::Ok) throw InvalidArgument(std::string(what) + ": " + graspvla::to_string(s));
}

}  // namespace

GRASPVLA_REGISTER_SUBMODULE(flow, "Flow-matching integrators (Euler/Heun/RK4) and chunk post-processing", m) {
  m.def("stages", [](const std::string& method) { return stages(parse_method(method)); }, py::arg("method"),
        "Velocity evaluations per step (euler 1, heun 2, rk4 4).");

  m.def(
      "euler_update",
      [](py::object x, py::object v, float dt, py::object out) {
        auto xa = checked_array<float>(x, "x", {-1, -1, -1});
        auto va = checked_array<float>(v, "v", {xa.shape(0), xa.shape(1), xa.shape(2)});
        auto oa = output_array<float>(out, "out", {xa.shape(0), xa.shape(1), xa.shape(2)});
        const float* px = xa.data();
        const float* pv = va.data();
        float* po = oa.mutable_data();
        const auto n = static_cast<std::size_t>(xa.size());
        graspvla::Status s;
        {
          py::gil_scoped_release release;
          s = axpy(px, pv, dt, po, n);
        }
        check(s, "dt");
        return oa;
      },
      py::arg("x"), py::arg("v"), py::arg("dt"), py::arg("out") = py::none(),
      "out = x + dt * v on (B, H, A) float32 (out may be x: in place).");

  m.def(
      "integrate",
      [](py::object x, py::object velocity, int steps, const std::string& method, float t0, float t1) {
        if (steps < 1) throw InvalidArgument("steps: must be >= 1, got " + std::to_string(steps));
        if (!PyCallable_Check(velocity.ptr())) throw InvalidArgument("velocity: expected a callable f(x, t) -> v");
        auto xa = as_chunk(x, "x");
        const Method meth = parse_method(method);
        const auto n = static_cast<std::size_t>(xa.size());
        Stepper stepper(meth, n);
        py::array_t<float> point({xa.shape(0), xa.shape(1), xa.shape(2)});
        float* px = xa.mutable_data();
        const float dt = (t1 - t0) / static_cast<float>(steps);
        for (int i = 0; i < steps; ++i) {
          const float t = t0 + static_cast<float>(i) * dt;
          check(stepper.begin(px, t, dt), "x");
          for (int k = 0; k < stages(meth); ++k) {
            float tk = 0.f;
            check(stepper.point(k, point.mutable_data(), &tk), "stage");
            py::object v = velocity(point, tk);
            auto va = checked_array<float>(v, "velocity(x, t) result", {xa.shape(0), xa.shape(1), xa.shape(2)});
            check(stepper.set_velocity(k, va.data()), "velocity");
          }
          check(stepper.finish(px), "x");
        }
        return xa;
      },
      py::arg("x"), py::arg("velocity"), py::arg("steps"), py::arg("method") = "euler", py::arg("t0") = 1.0f,
      py::arg("t1") = 0.0f,
      "Integrates dx/dt = velocity(x, t) from t0 (noise) to t1 (action) in `steps` equal steps, in place on\n"
      "x (B, H, A) float32. velocity receives a (B, H, A) float32 array (reused between calls; copy it to keep\n"
      "it) and a float t, and returns a (B, H, A) float32 array.");

  m.def(
      "unnormalize_clamp",
      [](py::object x, py::object amin, py::object amax, py::object lo, py::object hi, py::object out) {
        auto xa = checked_array<float>(x, "x", {-1, -1, -1});
        const py::ssize_t A = xa.shape(2);
        auto mn = checked_array<double>(amin, "min", {A});
        auto mx = checked_array<double>(amax, "max", {A});
        py::array_t<double> la, ha;
        if (!lo.is_none()) la = checked_array<double>(lo, "lo", {A});
        if (!hi.is_none()) ha = checked_array<double>(hi, "hi", {A});
        auto oa = output_array<double>(out, "out", {xa.shape(0), xa.shape(1), A});
        const float* px = xa.data();
        const double *pmn = mn.data(), *pmx = mx.data();
        const double* pl = lo.is_none() ? nullptr : la.data();
        const double* ph = hi.is_none() ? nullptr : ha.data();
        double* po = oa.mutable_data();
        const auto rows = static_cast<std::size_t>(xa.shape(0) * xa.shape(1));
        {
          py::gil_scoped_release release;
          unnormalize_clamp(px, rows, static_cast<std::size_t>(A), pmn, pmx, pl, ph, po);
        }
        return oa;
      },
      py::arg("x"), py::arg("min"), py::arg("max"), py::arg("lo") = py::none(), py::arg("hi") = py::none(),
      py::arg("out") = py::none(),
      "(x + 1) / 2 * (max - min) + min, clamped to [lo, hi] per action dimension; x (B, H, A) float32 -> float64.");

  m.def("resampled_length", &resampled_length, py::arg("H"), py::arg("src_dt"), py::arg("dst_dt"));

  m.def(
      "resample",
      [](py::object chunk, double src_dt, double dst_dt, const std::vector<std::string>& modes, py::object start) {
        auto ca = checked_array<double>(chunk, "chunk", {-1, -1, -1});
        const py::ssize_t B = ca.shape(0), H = ca.shape(1), A = ca.shape(2);
        if (!(src_dt > 0)) throw InvalidArgument("src_dt: must be > 0 [s]");
        if (!(dst_dt > 0)) throw InvalidArgument("dst_dt: must be > 0 [s]");
        if (static_cast<py::ssize_t>(modes.size()) != A) {
          throw InvalidArgument("modes: expected one mode per action dimension (" + std::to_string(A) + "), got " +
                                std::to_string(modes.size()));
        }
        std::vector<Resample> mv;
        for (const auto& s : modes) mv.push_back(parse_mode(s));
        if (H < 1) throw InvalidArgument("chunk: needs at least one step");
        const auto M = static_cast<py::ssize_t>(resampled_length(static_cast<std::size_t>(H), src_dt, dst_dt));
        if (M < 1) throw InvalidArgument("dst_dt: longer than the chunk's horizon");
        py::array_t<double> sa;
        if (!start.is_none()) sa = checked_array<double>(start, "start", {B, A});
        py::array_t<double> out({B, M, A});
        const double* pc = ca.data();
        const double* ps = start.is_none() ? nullptr : sa.data();
        double* po = out.mutable_data();
        {
          py::gil_scoped_release release;
          graspvla::parallel_for(
              static_cast<std::size_t>(B),
              [&](std::size_t b0, std::size_t b1) {
                for (std::size_t b = b0; b < b1; ++b) {
                  resample(pc + b * H * A, static_cast<std::size_t>(H), static_cast<std::size_t>(A), src_dt, dst_dt,
                           mv.data(), ps ? ps + b * A : nullptr, po + b * M * A);
                }
              },
              0, 256);
        }
        return out;
      },
      py::arg("chunk"), py::arg("src_dt"), py::arg("dst_dt"), py::arg("modes"), py::arg("start") = py::none(),
      "Resamples (B, H, A) chunks (element h at time (h+1)*src_dt [s]) to the control period dst_dt [s]:\n"
      "per dimension 'linear' (absolute targets; `start` (B, A) is the value at time 0), 'delta' (step deltas,\n"
      "sum preserved) or 'hold'. Returns (B, round(H*src_dt/dst_dt), A).");
}
