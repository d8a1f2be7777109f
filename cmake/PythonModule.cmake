# The private extension module graspvla._core: one pybind11 submodule per domain.
# Each csrc/bindings/bind_<domain>.cpp registers itself (see bindings/registry.hpp), so
# adding a domain touches no shared file.
set(_binding_sources "${CMAKE_CURRENT_SOURCE_DIR}/csrc/bindings/module.cpp")
foreach(_d IN LISTS GRASPVLA_ACTIVE_DOMAINS)
  if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/csrc/bindings/bind_${_d}.cpp")
    list(APPEND _binding_sources "${CMAKE_CURRENT_SOURCE_DIR}/csrc/bindings/bind_${_d}.cpp")
  endif()
endforeach()

pybind11_add_module(_core MODULE ${_binding_sources})
target_include_directories(_core PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/csrc/bindings")
target_link_libraries(_core PRIVATE graspvla_core)
graspvla_set_warnings(_core)
target_compile_definitions(_core PRIVATE GRASPVLA_VERSION="${PROJECT_VERSION}")
if(TARGET graspvla::mujoco)
  # libmujoco lives in the mujoco package next to ours in site-packages.
  set_target_properties(_core PROPERTIES INSTALL_RPATH "$ORIGIN/../mujoco" BUILD_RPATH "${GRASPVLA_MUJOCO_DIR}")
endif()
install(TARGETS _core LIBRARY DESTINATION .)

# Type stubs generated at build time (into the build tree) when pybind11-stubgen is available;
# tests/python/test_stubs.py fails when the committed python/graspvla/_core/*.pyi differ.
execute_process(COMMAND "${Python_EXECUTABLE}" -c "import pybind11_stubgen"
                RESULT_VARIABLE _no_stubgen OUTPUT_QUIET ERROR_QUIET)
if(_no_stubgen EQUAL 0)
  add_custom_command(TARGET _core POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E env "PYTHONPATH=${CMAKE_CURRENT_SOURCE_DIR}/python"
            "GRASPVLA_CORE_PATH=$<TARGET_FILE:_core>"
            "${Python_EXECUTABLE}" -m pybind11_stubgen graspvla._core -o "${CMAKE_BINARY_DIR}/stubs"
            --numpy-array-use-type-var || ${CMAKE_COMMAND} -E echo "stub generation failed (non-fatal)"
    COMMENT "Generating graspvla._core type stubs"
    VERBATIM)
endif()
