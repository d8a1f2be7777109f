// graspvla._core: the compiled kernels. One submodule per domain, registered by the
// bind_<domain>.cpp files; C++ exceptions map onto graspvla.errors.
#include <pybind11/pybind11.h>

#include "graspvla/core/errors.hpp"
#include "graspvla/core/parallel.hpp"
#include "registry.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "graspvla compiled core (C++17, Eigen). Use the typed wrappers in graspvla.<domain>.";
  m.attr("__version__") = GRASPVLA_VERSION;
#ifdef GRASPVLA_CHECK_MALLOC
  m.attr("CHECK_MALLOC") = true;
#else
  m.attr("CHECK_MALLOC") = false;
#endif

  // graspvla.errors is pure Python and never imports _core, so this cannot cycle.
  py::module_ errors = py::module_::import("graspvla.errors");
  static py::handle invalid_input = py::object(errors.attr("InvalidInputError")).release();
  static py::handle limit_violation = py::object(errors.attr("LimitViolationError")).release();
  static py::handle invalid_mesh = py::object(errors.attr("InvalidMeshError")).release();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const graspvla::LimitViolation& e) {
      PyErr_SetString(limit_violation.ptr(), e.what());
    } catch (const graspvla::InvalidMesh& e) {
      PyErr_SetString(invalid_mesh.ptr(), e.what());
    } catch (const graspvla::InvalidArgument& e) {
      PyErr_SetString(invalid_input.ptr(), e.what());
    }
  });

  m.def("set_num_threads", [](std::size_t n) { graspvla::default_num_threads() = n; }, py::arg("n"),
        "Threads used by batch kernels (0 = all cores).");
  m.def("get_num_threads", [] { return graspvla::resolve_num_threads(0); });

  for (auto& entry : graspvla::bindings::submodule_registry()) {
    py::module_ sub = m.def_submodule(entry.name.c_str(), entry.doc.c_str());
    entry.init(sub);
  }
}
