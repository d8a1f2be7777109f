"""Procedural library: categories, watertightness, graspable size, mass properties vs trimesh."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla.assets import CATEGORIES, GRASPABLE_WIDTH, category_names, generate_object, mass_properties
from graspvla.errors import InvalidInputError

trimesh = pytest.importorskip("trimesh")


def test_at_least_30_categories_with_names():
    assert len(CATEGORIES) >= 30
    for name, c in CATEGORIES.items():
        assert name == c.name and name.strip() == name and len(c.palette) >= 1


@pytest.mark.parametrize("category", category_names())
def test_every_category_is_watertight_graspable_and_massive(category):
    a = generate_object(category, rng=7)
    m = trimesh.Trimesh(a.vertices, a.faces, process=False)
    assert m.is_watertight and m.is_winding_consistent and m.volume > 0
    assert a.min_width <= GRASPABLE_WIDTH + 1e-6  # fits the 0.08 m Franka opening
    assert 0.005 < np.ptp(a.vertices, axis=0).max() < 0.35
    # oracle: trimesh mass properties at the same density; COM at the origin
    m.density = a.density
    assert a.mass == pytest.approx(m.mass, rel=1e-6)
    np.testing.assert_allclose(m.center_mass, 0.0, atol=1e-9)
    np.testing.assert_allclose(a.inertia, m.moment_inertia, rtol=1e-6, atol=1e-12)
    # collision pieces are convex and cover the object
    assert len(a.collision) >= 1
    vol = 0.0
    lo, hi = a.vertices.min(0) - 2e-3, a.vertices.max(0) + 2e-3
    for v, f in a.collision:
        p = trimesh.Trimesh(v, f, process=False)
        assert p.is_watertight
        assert p.volume == pytest.approx(p.convex_hull.volume, rel=1e-3)  # convex
        assert np.all(v >= lo) and np.all(v <= hi)
        vol += p.volume
    assert vol >= 0.9 * m.volume


def test_same_seed_same_object_and_variation_across_seeds():
    a, b, c = generate_object("mug", 3), generate_object("mug", 3), generate_object("mug", 4)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.rgba, b.rgba)
    assert a.vertices.shape != c.vertices.shape or not np.allclose(a.vertices, c.vertices)


def test_unknown_category_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="unknown"):
        generate_object("spaceship", 0)


def test_mass_properties_of_a_box_are_analytic():
    box = trimesh.creation.box([0.1, 0.2, 0.3])
    mass, com, inertia = mass_properties(box.vertices, box.faces, density=1000.0)
    assert mass == pytest.approx(6.0)
    np.testing.assert_allclose(com, 0.0, atol=1e-12)
    np.testing.assert_allclose(np.diag(inertia), [6 / 12 * (0.04 + 0.09), 6 / 12 * (0.01 + 0.09),
                                                  6 / 12 * (0.01 + 0.04)], rtol=1e-9)
