# The two commands: `make demo` (the main job) and `make test` (the test suite).
# Both set up everything on a fresh machine and are fast when already set up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
EXTRAS ?= all,dev,oracles,distributed,franka
CPP_SOURCES := $(shell find csrc cmake -type f 2>/dev/null) CMakeLists.txt
CPPTEST_DIR := build/cpptests
export MUJOCO_GL ?= egl
export PYOPENGL_PLATFORM ?= egl

.PHONY: all demo test test-python test-cpp install stubs bench clean distclean help

help:
	@echo "make demo   - set up and run the end-to-end demo"
	@echo "make test   - set up and run the full test suite (C++ and Python)"
	@echo "make bench  - run every benchmark against its peer library"
	@echo "make stubs  - regenerate python/graspvla/_core type stubs"

# 1) the virtualenv with torch (the local CPU build) and the build tools
$(VENV)/.stamp-venv:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q "scikit-build-core>=0.10" "pybind11>=2.13" "cmeel-eigen>=3.4" ninja "cmake>=3.24" "pybind11-stubgen>=2.5"
	touch $@

# 2) runtime + test dependencies (only when pyproject.toml changes)
$(VENV)/.stamp-deps: $(VENV)/.stamp-venv pyproject.toml
	$(PIP) install -q --no-build-isolation -e ".[$(EXTRAS)]"
	touch $@ $(VENV)/.stamp-build

# 3) incremental rebuild of the extension in the fixed build dir when C++ changes
$(VENV)/.stamp-build: $(VENV)/.stamp-deps $(CPP_SOURCES)
	$(PIP) install -q --no-build-isolation --no-deps -e .
	touch $@

install: $(VENV)/.stamp-build

test-cpp: install
	$(VENV)/bin/cmake -S . -B $(CPPTEST_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DGRASPVLA_BUILD_TESTS=ON -DGRASPVLA_CHECK_MALLOC=ON -DGRASPVLA_BUILD_PYTHON=OFF \
	  -DPython_EXECUTABLE=$(abspath $(PY)) > $(CPPTEST_DIR).log 2>&1 || (cat $(CPPTEST_DIR).log; exit 1)
	$(VENV)/bin/cmake --build $(CPPTEST_DIR) -j2
	cd $(CPPTEST_DIR) && ../../$(VENV)/bin/ctest --output-on-failure -j2

test-python: install
	$(PY) -m pytest -q $(PYTEST_ARGS)

test: test-cpp test-python

demo: install
	$(PY) -m graspvla.cli.main demo $(DEMO_ARGS)

stubs: install
	$(PY) -m graspvla._stubs --write

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf build
distclean: clean
	rm -rf $(VENV)

# ==== BEGIN franka-sim virtualenv (control integration tests; block owned by graspvla.control) ====
# franka-sim pins numpy==1.26.4 and mujoco<3.3, so it gets its own venv; the test
# tests/python/control/test_control_franka_sim.py runs it in a loopback-only network namespace.
FRANKA_SIM_VENV := build/franka-sim-venv
.PHONY: franka-sim-venv
franka-sim-venv: $(FRANKA_SIM_VENV)/.stamp
$(FRANKA_SIM_VENV)/.stamp:
	test -x $(FRANKA_SIM_VENV)/bin/python || $(PYTHON) -m venv $(FRANKA_SIM_VENV)
	$(FRANKA_SIM_VENV)/bin/pip install -q franka-sim==1.1.7 pylibfranka==0.21.3
	touch $@
test-python: franka-sim-venv
# ==== END franka-sim virtualenv ====
