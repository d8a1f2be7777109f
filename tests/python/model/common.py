"""Shared fixtures for model tests: deterministic samples."""

from __future__ import annotations

from typing import Any

import numpy as np


def make_sample(k: int, kind: str = "synthetic", size: int = 224) -> dict[str, Any]:
    rng = np.random.default_rng(k)
    return dict(front=rng.integers(0, 255, (size, size, 3), dtype=np.uint8),
                side=rng.integers(0, 255, (size, size, 3), dtype=np.uint8),
                instruction=["pick up the mug", "pick up the banana", "pick up the toy car"][k % 3],
                bbox=np.sort(rng.uniform(0, size, (2, 4)), axis=1), proprio=rng.uniform(-0.9, 0.9, (2, 7)),
                goal=rng.uniform(-0.9, 0.9, 6), actions=rng.uniform(-0.9, 0.9, (4, 7)), kind=kind, seed=k)
