"""The committed type stubs of graspvla._core match the built module."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pybind11_stubgen")


def test_stubs_are_current(tmp_path: Path) -> None:
    from graspvla import _stubs

    fresh = _stubs.generate(tmp_path)
    assert (fresh / "robot.pyi").is_file()
    stale = _stubs.diff(_stubs.STUB_DIR, fresh)
    assert not stale, f"stale stubs {stale}: run `make stubs`"


def test_stub_dir_does_not_shadow_extension() -> None:
    import graspvla._core as core

    assert core.__file__ is not None and core.__file__.endswith(".so")
    assert hasattr(core, "robot")
