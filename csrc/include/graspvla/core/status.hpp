#pragma once
// Status codes returned by hot-path functions, which never throw and never allocate.
#include <cstdint>

namespace graspvla {

enum class Status : std::int8_t {
  Ok = 0,
  Working = 1,           ///< online algorithms: not finished yet
  Finished = 2,          ///< online algorithms: target reached
  InvalidInput = -1,     ///< NaN/inf, wrong size, non-positive limits
  LimitViolation = -2,   ///< input outside robot limits
  NoSolution = -3,       ///< e.g. unreachable pose for IK
  NotConverged = -4,     ///< iterative solver hit its iteration budget
  Infeasible = -5,       ///< no trajectory satisfies the constraints
  Collision = -6,
  Timeout = -7,
};

inline const char* to_string(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::Working: return "working";
    case Status::Finished: return "finished";
    case Status::InvalidInput: return "invalid input";
    case Status::LimitViolation: return "limit violation";
    case Status::NoSolution: return "no solution";
    case Status::NotConverged: return "not converged";
    case Status::Infeasible: return "infeasible";
    case Status::Collision: return "collision";
    case Status::Timeout: return "timeout";
  }
  return "unknown";
}

}  // namespace graspvla
