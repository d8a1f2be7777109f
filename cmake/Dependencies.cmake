# Third-party dependencies. Everything comes from PyPI wheels in the build environment
# (cmeel-eigen, pybind11, mujoco-core) so a fresh machine needs no apt-get; system
# packages are the fallback.
find_package(Threads REQUIRED)

find_package(Python COMPONENTS Interpreter Development.Module REQUIRED)

# Ask the build environment's Python where the pip-installed C++ packages live.
execute_process(
  COMMAND "${Python_EXECUTABLE}" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])"
  OUTPUT_VARIABLE GRASPVLA_PURELIB OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(
  COMMAND "${Python_EXECUTABLE}" -c "import pybind11; print(pybind11.get_cmake_dir())"
  OUTPUT_VARIABLE _pybind11_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)

# ---- Eigen: cmeel-eigen wheel first, then the system ----------------------------------------
set(_cmeel_prefix "${GRASPVLA_PURELIB}/cmeel.prefix")
find_package(Eigen3 3.3 CONFIG QUIET NO_DEFAULT_PATH PATHS "${_cmeel_prefix}")
if(Eigen3_FOUND)
  set(GRASPVLA_EIGEN_SOURCE "cmeel-eigen ${Eigen3_VERSION} (${_cmeel_prefix})")
else()
  find_package(Eigen3 3.3 CONFIG QUIET)
  if(Eigen3_FOUND)
    set(GRASPVLA_EIGEN_SOURCE "system ${Eigen3_VERSION}")
  else()
    find_path(_eigen_inc Eigen/Core PATH_SUFFIXES eigen3)
    if(NOT _eigen_inc)
      message(FATAL_ERROR "Eigen not found: pip install cmeel-eigen (or apt-get install libeigen3-dev)")
    endif()
    add_library(Eigen3::Eigen INTERFACE IMPORTED)
    set_target_properties(Eigen3::Eigen PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_eigen_inc}")
    set(GRASPVLA_EIGEN_SOURCE "headers at ${_eigen_inc}")
  endif()
endif()

# ---- pybind11 ---------------------------------------------------------------------------------
if(GRASPVLA_BUILD_PYTHON)
  if(_pybind11_dir)
    set(pybind11_DIR "${_pybind11_dir}")
  endif()
  find_package(pybind11 CONFIG REQUIRED)
endif()

# ---- MuJoCo C library from the mujoco-core wheel (for the C++ simulation backend) -------------
set(GRASPVLA_MUJOCO_STATUS "not found (C++ sim backend disabled)")
execute_process(
  COMMAND "${Python_EXECUTABLE}" -c
    "import importlib.util, os; s = importlib.util.find_spec('mujoco'); print(os.path.dirname(s.origin) if s else '')"
  OUTPUT_VARIABLE _mujoco_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(_mujoco_dir AND EXISTS "${_mujoco_dir}/include/mujoco/mujoco.h")
  file(GLOB _mujoco_libs "${_mujoco_dir}/libmujoco.so*")
  list(SORT _mujoco_libs)
  if(_mujoco_libs)
    list(GET _mujoco_libs -1 _mujoco_lib)
    add_library(graspvla::mujoco SHARED IMPORTED)
    set_target_properties(graspvla::mujoco PROPERTIES
      IMPORTED_LOCATION "${_mujoco_lib}"
      IMPORTED_NO_SONAME FALSE
      INTERFACE_INCLUDE_DIRECTORIES "${_mujoco_dir}/include")
    set(GRASPVLA_MUJOCO_DIR "${_mujoco_dir}")
    set(GRASPVLA_MUJOCO_STATUS "${_mujoco_lib}")
  endif()
endif()

# ---- libfranka (real robot backend): only when its headers and CMake package exist ------------
set(GRASPVLA_FRANKA_ENABLED OFF)
set(GRASPVLA_FRANKA_STATUS "off")
if(NOT GRASPVLA_WITH_FRANKA STREQUAL "OFF")
  find_package(Franka QUIET)
  if(Franka_FOUND)
    set(GRASPVLA_FRANKA_ENABLED ON)
    set(GRASPVLA_FRANKA_STATUS "libfranka ${Franka_VERSION}")
  elseif(GRASPVLA_WITH_FRANKA STREQUAL "ON")
    message(FATAL_ERROR "GRASPVLA_WITH_FRANKA=ON but libfranka (find_package(Franka)) was not found")
  else()
    set(GRASPVLA_FRANKA_STATUS "libfranka not found (backend not compiled)")
  endif()
endif()
