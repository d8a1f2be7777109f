"""User-mesh import (validation/repair/errors), CoACD cache, catalogue, crash safety."""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest

from graspvla.assets import AssetCatalog, ImportConfig, ObjectAsset, convex_decomposition, generate_object, import_mesh
from graspvla.assets import cache as cache_mod
from graspvla.errors import InvalidMeshError

trimesh = pytest.importorskip("trimesh")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRASPVLA_CACHE", str(tmp_path / "cache"))


def _export(asset: ObjectAsset, path):
    trimesh.Trimesh(asset.vertices, asset.faces, process=False).export(path)
    return path


@pytest.mark.parametrize("suffix", [".obj", ".stl", ".ply", ".glb"])
def test_roundtrip_formats(tmp_path, suffix):
    a = generate_object("bottle", 1)
    b = import_mesh(_export(a, tmp_path / f"bottle{suffix}"), "bottle", config=ImportConfig(collision="hull"))
    assert b.category == "bottle"
    assert trimesh.Trimesh(b.vertices, b.faces, process=False).is_watertight
    assert b.mass == pytest.approx(a.mass * b.density / a.density, rel=1e-3)


def test_millimetre_mesh_is_converted(tmp_path):
    box = trimesh.creation.box([40.0, 50.0, 60.0])  # millimetres
    box.export(tmp_path / "box_mm.stl")
    a = import_mesh(tmp_path / "box_mm.stl", "box", config=ImportConfig(collision="hull"))
    np.testing.assert_allclose(np.sort(a.extents), [0.04, 0.05, 0.06], rtol=1e-6)


def test_target_size_normalises(tmp_path):
    trimesh.creation.icosphere(radius=3.0).export(tmp_path / "s.obj")
    a = import_mesh(tmp_path / "s.obj", "ball", config=ImportConfig(units="m", target_size=0.06, collision="hull"))
    assert np.ptp(a.vertices, axis=0).max() == pytest.approx(0.06, rel=1e-6)


def _open_cylinder(path):
    c = trimesh.creation.cylinder(radius=0.03, height=0.1, sections=24)
    top = c.triangles_center[:, 2] > 0.049
    trimesh.Trimesh(c.vertices, c.faces[~top], process=False).export(path)


def _fin(path):
    box = trimesh.creation.box([0.05, 0.05, 0.05])
    v = np.vstack([box.vertices, [[0.0, 0.0, 0.2]]])
    e = box.edges_unique[0]
    f = np.vstack([box.faces, [[e[0], e[1], len(v) - 1]]])  # third face on an edge: non-manifold
    trimesh.Trimesh(v, f, process=False).export(path)


@pytest.mark.parametrize("maker,match", [
    (_open_cylinder, "not watertight"),
    (_fin, "not watertight"),
    (lambda p: p.write_bytes(b"\x00\x01garbage" * 10), "unreadable|no triangles"),
    (lambda p: trimesh.creation.box([9000.0, 9000.0, 9000.0]).export(p), "huge"),
    (lambda p: trimesh.creation.box([1e-4, 1e-4, 1e-4]).export(p), "tiny"),
])
def test_bad_meshes_raise_clear_errors(tmp_path, maker, match):
    path = tmp_path / "bad.stl"
    maker(path)
    with pytest.raises(InvalidMeshError, match=match) as e:
        import_mesh(path, "thing", config=ImportConfig(collision="hull"))
    assert "bad.stl" in str(e.value)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(InvalidMeshError, match="does not exist"):
        import_mesh(tmp_path / "nope.obj", "x")
    (tmp_path / "a.xyz").write_text("1 2 3")
    with pytest.raises(InvalidMeshError, match="unsupported"):
        import_mesh(tmp_path / "a.xyz", "x")


def test_small_hole_is_repaired(tmp_path):
    s = trimesh.creation.icosphere(radius=0.03, subdivisions=2)
    trimesh.Trimesh(s.vertices, s.faces[1:], process=False).export(tmp_path / "holed.obj")
    a = import_mesh(tmp_path / "holed.obj", "ball", config=ImportConfig(collision="hull"))
    assert trimesh.Trimesh(a.vertices, a.faces, process=False).is_watertight


def test_coacd_is_cached_by_content_hash(tmp_path):
    a = generate_object("l-block", 2)
    parts = convex_decomposition(a.vertices, a.faces)
    files = list((tmp_path / "cache" / "coacd").glob("*.npz"))
    assert len(files) == 1 and len(parts) >= 2  # an L is concave: more than one hull
    mtime = files[0].stat().st_mtime_ns
    again = convex_decomposition(a.vertices, a.faces)
    assert files[0].stat().st_mtime_ns == mtime
    for (v1, f1), (v2, f2) in zip(parts, again):
        np.testing.assert_array_equal(v1, v2)
        np.testing.assert_array_equal(f1, f2)
    hull = trimesh.Trimesh(a.vertices, a.faces).convex_hull.volume
    total = sum(trimesh.Trimesh(v, f).convex_hull.volume for v, f in parts)
    assert total < 0.95 * hull  # tighter than the single hull


def test_crash_before_rename_leaves_no_entry(tmp_path):
    target = tmp_path / "cache" / "x.npz"
    with pytest.raises(RuntimeError, match="simulated crash"):
        cache_mod.atomic_save_npz(target, {"a": np.arange(3)}, _fail_before_rename=True)
    assert not target.exists()
    assert cache_mod.load_npz(target) is None
    assert cache_mod.clean_stale_temporaries(tmp_path / "cache") == 1
    assert list((tmp_path / "cache").iterdir()) == []


def test_crash_inside_compute_or_rename_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "cache" / "y.npz"

    def boom():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache_mod.cached_npz(target, boom)
    assert not target.exists()

    def bad_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(cache_mod.os, "replace", bad_replace)
    with pytest.raises(OSError):
        cache_mod.atomic_save_npz(target, {"a": np.ones(4)})
    monkeypatch.undo()
    assert not target.exists()
    assert not any(p.name.startswith("y.npz") for p in (tmp_path / "cache").iterdir())


def test_truncated_cache_entry_is_recomputed(tmp_path):
    target = tmp_path / "cache" / "z.npz"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"PK\x03\x04 truncated")
    out = cache_mod.cached_npz(target, lambda: {"a": np.arange(5)})
    np.testing.assert_array_equal(out["a"], np.arange(5))
    np.testing.assert_array_equal(cache_mod.load_npz(target)["a"], np.arange(5))


def test_catalogue_imports_good_and_skips_bad_with_reason(tmp_path, caplog):
    raw = tmp_path / "raw"
    (raw / "mug").mkdir(parents=True)
    (raw / "junk").mkdir()
    _export(generate_object("mug", 1), raw / "mug" / "m1.obj")
    _export(generate_object("mug", 2), raw / "mug" / "m2.ply")
    (raw / "junk" / "broken.obj").write_text("v 0 0 0\nf 1 2 3\n")
    _open_cylinder(raw / "junk" / "open.stl")
    cat = AssetCatalog.create(tmp_path / "cat")
    with caplog.at_level(logging.WARNING):
        report = cat.import_directory(raw, ImportConfig(collision="hull"))
    assert sorted(report.added) == ["mug_m1", "mug_m2"]
    assert len(report.skipped) == 2 and all(reason for _, reason in report.skipped)
    assert "skipping" in caplog.text
    reopened = AssetCatalog(tmp_path / "cat")
    assert reopened.names("mug") == ["mug_m1", "mug_m2"]
    a = reopened.load("mug_m1")
    assert a.category == "mug" and a.mass > 0
    manifest = json.loads((tmp_path / "cat" / "manifest.json").read_text())
    assert {r["name"] for r in manifest["assets"]} == {"mug_m1", "mug_m2"}
    assert not [p for p in (tmp_path / "cat").rglob("*") if ".tmp-" in p.name]


def test_catalogue_procedural_and_sampling(tmp_path):
    cat = AssetCatalog.create(tmp_path / "cat")
    cat.add_procedural(2, seed=0, categories=["can", "banana"])
    assert len(cat) == 4 and cat.categories() == ["banana", "can"]
    a = cat.sample(np.random.default_rng(0), "can")
    b = ObjectAsset.load(tmp_path / "cat" / cat.entry(a.name).file)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    (tmp_path / "cat" / cat.entry(a.name).file).write_bytes(b"oops")
    with pytest.raises(InvalidMeshError, match="unreadable"):
        cat.load(a.name)
