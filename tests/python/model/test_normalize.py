"""Normalizer: percentile statistics, the roll offset that keeps a downward TCP away from the
+-pi wrap, and loading statistics saved before the offset existed."""

from __future__ import annotations

import json

import numpy as np

from graspvla.model import Normalizer


def _down_poses(n: int, seed: int = 0) -> np.ndarray:
    """TCP pointing down (roll near +-pi, both signs), as in every grasping episode."""
    rng = np.random.default_rng(seed)
    p = np.zeros((n, 7))
    p[:, :3] = rng.uniform([0.3, -0.3, 0.0], [0.7, 0.3, 0.5], (n, 3))
    roll = np.pi - np.abs(rng.normal(0.0, 0.1, n))
    p[:, 3] = np.where(rng.random(n) < 0.5, roll, -roll)
    p[:, 4:6] = rng.normal(0.0, 0.2, (n, 2))
    p[:, 6] = rng.random(n) < 0.5
    return p


def test_roll_offset_removes_the_wrap() -> None:
    p = _down_poses(2000)
    a = np.random.default_rng(1).normal(0.0, 0.02, (2000, 7))
    wrapped = Normalizer.fit(p, a)
    flipped = Normalizer.fit(p, a, roll_offset=np.pi)
    # the same orientation with roll pi - 0.01 and -pi + 0.01
    x = np.array([[0.5, 0.0, 0.2, np.pi - 0.01, 0.0, 0.0, 1.0], [0.5, 0.0, 0.2, -np.pi + 0.01, 0.0, 0.0, 1.0]])
    assert abs(wrapped.proprio(x)[0, 3] - wrapped.proprio(x)[1, 3]) > 1.5  # opposite ends of [-1, 1]
    assert abs(flipped.proprio(x)[0, 3] - flipped.proprio(x)[1, 3]) < 0.2  # neighbours
    # the range covers the data tightly instead of the whole circle
    assert flipped.proprio_max[3] - flipped.proprio_min[3] < 1.0 < wrapped.proprio_max[3] - wrapped.proprio_min[3]
    # goal round trip (angles compared on the circle)
    g = p[:50, :6]
    back = flipped.goal_inverse(flipped.goal(g))
    np.testing.assert_allclose(back[:, [0, 1, 2, 4, 5]], g[:, [0, 1, 2, 4, 5]], atol=1e-9)
    np.testing.assert_allclose(np.angle(np.exp(1j * (back[:, 3] - g[:, 3]))), 0.0, atol=1e-9)


def test_saved_offset_round_trips_and_old_files_load_without_it(tmp_path) -> None:
    n = Normalizer.fit(_down_poses(200), np.zeros((200, 7)), roll_offset=np.pi)
    n.save(tmp_path / "n.json")
    m = Normalizer.load(tmp_path / "n.json")
    assert m.roll_offset == np.pi and np.allclose(m.proprio_min, n.proprio_min)
    d = json.loads((tmp_path / "n.json").read_text())
    del d["roll_offset"]  # statistics written before the field existed
    (tmp_path / "old.json").write_text(json.dumps(d))
    old = Normalizer.load(tmp_path / "old.json")
    assert old.roll_offset == 0.0
    x = _down_poses(5)
    np.testing.assert_allclose(old.proprio(x), (x - old.proprio_min) / (old.proprio_max - old.proprio_min) * 2 - 1)
