"""The committed type stubs of graspvla._core match the built module.

Only the submodules present both in the committed stubs and in the built module are
compared (developer builds may contain a subset of the domains); ``__init__.pyi`` is compared
with its submodule imports factored out. ``python -m graspvla._stubs --write`` regenerates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pybind11_stubgen")

from graspvla import _stubs  # noqa: E402


def test_stubs_are_current(tmp_path: Path) -> None:
    fresh = _stubs.generate(tmp_path)
    assert (fresh / "robot.pyi").is_file()
    common = _stubs.submodules(_stubs.STUB_DIR) & _stubs.submodules(fresh)
    assert "robot" in common
    stale = _stubs.diff(_stubs.STUB_DIR, fresh)
    assert not stale, f"stale stubs {stale}: run `make stubs` (python -m graspvla._stubs --write)"


def test_diff_detects_changes(tmp_path: Path) -> None:
    """The comparison can fail: an edited submodule stub or __init__ is reported."""
    fresh = _stubs.generate(tmp_path / "gen")
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in fresh.glob("*.pyi"):
        (copy / f.name).write_text(f.read_text())
    assert _stubs.diff(copy, fresh) == []
    (copy / "robot.pyi").write_text((copy / "robot.pyi").read_text().replace("def ik(", "def ik_renamed(", 1))
    assert _stubs.diff(copy, fresh) == ["robot.pyi"]
    init = (copy / "__init__.pyi").read_text()
    (copy / "__init__.pyi").write_text(init.replace("def get_num_threads", "def get_thread_count"))
    assert "__init__.pyi" in _stubs.diff(copy, fresh)


def test_init_round_trip() -> None:
    text = (_stubs.STUB_DIR / "__init__.pyi").read_text()
    base, subs = _stubs.split_init(text)
    assert set(subs) == _stubs.submodules(_stubs.STUB_DIR)
    assert _stubs.split_init(_stubs.join_init(base, subs)) == (base, sorted(subs))


def test_stub_dir_does_not_shadow_extension() -> None:
    """``import graspvla._core`` loads the compiled .so, both via GRASPVLA_CORE_PATH (when set)
    and via the normal import path (installed or editable package), never the stub folder."""
    import graspvla._core as core

    assert core.__file__ is not None and core.__file__.endswith(".so")
    assert hasattr(core, "robot")
    assert not (_stubs.STUB_DIR / "__init__.py").exists()
    env = {k: v for k, v in os.environ.items() if k != "GRASPVLA_CORE_PATH"}
    code = "import graspvla._core as c, sys; print(c.__file__); sys.exit(0 if hasattr(c, 'robot') else 3)"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if "No module named 'graspvla'" in proc.stderr:
        pytest.skip("graspvla is not installed in this interpreter (only GRASPVLA_CORE_PATH builds)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(".so"), proc.stdout
