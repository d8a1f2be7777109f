#pragma once
// C++ exceptions thrown only at API boundaries (never on hot paths, which return Status).
// The bindings translate each to the matching class in graspvla.errors.
#include <stdexcept>
#include <string>

namespace graspvla {

/// Bad argument: wrong shape, non-finite value, out of limits. -> graspvla.errors.InvalidInputError
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A value outside a robot limit. -> graspvla.errors.LimitViolationError
class LimitViolation : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Malformed geometry. -> graspvla.errors.InvalidMeshError
class InvalidMesh : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace graspvla
