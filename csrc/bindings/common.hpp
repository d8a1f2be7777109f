#pragma once
// Argument validation shared by all bindings. Every check runs with the GIL held and raises
// graspvla.errors.InvalidInputError naming the argument; the checked array is then viewed
// zero-copy as an Eigen row-major map (never silently copied or converted).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cmath>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "graspvla/core/errors.hpp"

namespace graspvla::bindings {

namespace py = pybind11;

template <class T>
using RowMajorMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using ConstRowMajorMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

inline std::string shape_str(const py::array& a) {
  std::ostringstream s;
  s << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s << (i ? ", " : "") << a.shape(i);
  if (a.ndim() == 1) s << ",";
  s << ")";
  return s.str();
}

/// Expected shape: -1 means any size. Throws InvalidArgument naming `name`.
template <class T>
py::array_t<T> checked_array(const py::handle& obj, const char* name, std::initializer_list<py::ssize_t> shape,
                             bool require_finite = true) {
  if (!py::isinstance<py::array>(obj)) {
    throw InvalidArgument(std::string(name) + ": expected a numpy array, got " +
                          std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  py::array a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().is(py::dtype::of<T>())) {
    throw InvalidArgument(std::string(name) + ": expected dtype " + std::string(py::str(py::dtype::of<T>())) +
                          ", got " + std::string(py::str(a.dtype())) + " (convert with np.asarray(x, dtype=...))");
  }
  if (static_cast<std::size_t>(a.ndim()) != shape.size()) {
    std::ostringstream s;
    s << name << ": expected " << shape.size() << " dimensions, got shape " << shape_str(a);
    throw InvalidArgument(s.str());
  }
  std::size_t i = 0;
  for (py::ssize_t want : shape) {
    if (want >= 0 && a.shape(static_cast<py::ssize_t>(i)) != want) {
      std::ostringstream s;
      s << name << ": expected shape (";
      std::size_t k = 0;
      for (py::ssize_t w : shape) s << (k++ ? ", " : "") << (w >= 0 ? std::to_string(w) : std::string("N"));
      s << (shape.size() == 1 ? ",)" : ")") << ", got " << shape_str(a);
      throw InvalidArgument(s.str());
    }
    ++i;
  }
  if (!(a.flags() & py::array::c_style)) {
    throw InvalidArgument(std::string(name) + ": array must be C-contiguous (use np.ascontiguousarray)");
  }
  auto typed = py::reinterpret_borrow<py::array_t<T>>(a);
  if constexpr (std::is_floating_point_v<T>) {
    if (require_finite) {
      const T* p = typed.data();
      for (py::ssize_t k = 0; k < typed.size(); ++k) {
        if (!std::isfinite(p[k])) {
          throw InvalidArgument(std::string(name) + ": contains NaN or infinite values (first at flat index " +
                                std::to_string(k) + ")");
        }
      }
    }
  }
  return typed;
}

/// An output array: uses `out` if given (checked: dtype, shape, contiguous, writeable), else allocates.
template <class T>
py::array_t<T> output_array(const py::object& out, const char* name, std::vector<py::ssize_t> shape) {
  if (out.is_none()) return py::array_t<T>(shape);
  if (!py::isinstance<py::array>(out)) throw InvalidArgument(std::string(name) + ": expected a numpy array");
  py::array a = py::reinterpret_borrow<py::array>(out);
  bool ok = a.dtype().is(py::dtype::of<T>()) && static_cast<std::size_t>(a.ndim()) == shape.size() &&
            (a.flags() & py::array::c_style) && a.writeable();
  for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = a.shape(static_cast<py::ssize_t>(i)) == shape[i];
  if (!ok) {
    std::ostringstream s;
    s << name << ": expected a writeable C-contiguous " << std::string(py::str(py::dtype::of<T>())) << " array of shape (";
    for (std::size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
    s << "), got " << std::string(py::str(a.dtype())) << " " << shape_str(a);
    throw InvalidArgument(s.str());
  }
  return py::reinterpret_borrow<py::array_t<T>>(a);
}

/// A 4x4 float64 rigid transform (orthonormal rotation, det > 0, last row [0, 0, 0, 1]).
inline Eigen::Isometry3d checked_pose(const py::handle& obj, const char* name) {
  auto a = checked_array<double>(obj, name, {4, 4});
  const Eigen::Map<const Eigen::Matrix<double, 4, 4, Eigen::RowMajor>> M(a.data());
  const Eigen::Matrix3d R = M.topLeftCorner<3, 3>();
  if ((R.transpose() * R - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff() > 1e-6 || R.determinant() < 0 ||
      M(3, 0) != 0.0 || M(3, 1) != 0.0 || M(3, 2) != 0.0 || M(3, 3) != 1.0) {
    throw InvalidArgument(std::string(name) +
                          ": not a rigid transform (rotation must be orthonormal, last row [0, 0, 0, 1])");
  }
  Eigen::Isometry3d T;
  T.matrix() = M;
  return T;
}

}  // namespace graspvla::bindings
