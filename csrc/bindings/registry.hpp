#pragma once
// Self-registration of per-domain submodules: each bind_<domain>.cpp defines
//   GRASPVLA_REGISTER_SUBMODULE(robot, "Franka kinematics and dynamics", m) { ... }
// and module.cpp creates graspvla._core.<domain> for every registered domain.
#include <pybind11/pybind11.h>

#include <functional>
#include <string>
#include <vector>

namespace graspvla::bindings {

struct SubmoduleEntry {
  std::string name;
  std::string doc;
  std::function<void(pybind11::module_&)> init;
};

inline std::vector<SubmoduleEntry>& submodule_registry() {
  static std::vector<SubmoduleEntry> entries;
  return entries;
}

struct SubmoduleRegistrar {
  SubmoduleRegistrar(const char* name, const char* doc, void (*init)(pybind11::module_&)) {
    submodule_registry().push_back({name, doc, init});
  }
};

}  // namespace graspvla::bindings

#define GRASPVLA_REGISTER_SUBMODULE(NAME, DOC, MODVAR)                                           \
  static void graspvla_init_submodule_##NAME(pybind11::module_& MODVAR);                         \
  static ::graspvla::bindings::SubmoduleRegistrar graspvla_registrar_##NAME(#NAME, DOC,          \
                                                                            &graspvla_init_submodule_##NAME); \
  static void graspvla_init_submodule_##NAME(pybind11::module_& MODVAR)
