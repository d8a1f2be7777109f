"""Percentile min/max normalisation to [-1, 1] (GraspVLA: 1st/99th percentiles of proprio
and actions; the grasp goal reuses the proprio statistics of its first 6 dimensions)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Normalizer"]


@dataclass
class Normalizer:
    proprio_min: np.ndarray
    proprio_max: np.ndarray
    action_min: np.ndarray
    action_max: np.ndarray

    @staticmethod
    def fit(proprio: np.ndarray, actions: np.ndarray, ratio: float = 0.01) -> Normalizer:
        """Statistics from samples (N, 7) of proprio and (M, 7) of actions."""
        p = np.asarray(proprio, dtype=np.float64).reshape(-1, proprio.shape[-1])
        a = np.asarray(actions, dtype=np.float64).reshape(-1, actions.shape[-1])
        pmin, pmax = np.quantile(p, ratio, axis=0) - 1e-7, np.quantile(p, 1 - ratio, axis=0) + 1e-7
        amin, amax = np.quantile(a, ratio, axis=0) - 1e-7, np.quantile(a, 1 - ratio, axis=0) + 1e-7
        return Normalizer(pmin, pmax, amin, amax)

    @staticmethod
    def identity(dim: int = 7) -> Normalizer:
        return Normalizer(-np.ones(dim), np.ones(dim), -np.ones(dim), np.ones(dim))

    @staticmethod
    def _n(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - lo) / (hi - lo) * 2.0 - 1.0

    @staticmethod
    def _u(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) + 1.0) / 2.0 * (hi - lo) + lo

    def proprio(self, x: np.ndarray) -> np.ndarray:
        return self._n(x, self.proprio_min, self.proprio_max)

    def goal(self, x: np.ndarray) -> np.ndarray:
        return self._n(x, self.proprio_min[:6], self.proprio_max[:6])

    def goal_inverse(self, x: np.ndarray) -> np.ndarray:
        return self._u(x, self.proprio_min[:6], self.proprio_max[:6])

    def action(self, x: np.ndarray) -> np.ndarray:
        return self._n(x, self.action_min, self.action_max)

    def action_inverse(self, x: np.ndarray) -> np.ndarray:
        return self._u(x, self.action_min, self.action_max)

    def to_dict(self) -> dict[str, list[float]]:
        return {k: np.asarray(getattr(self, k)).tolist() for k in ("proprio_min", "proprio_max", "action_min", "action_max")}

    @staticmethod
    def from_dict(d: dict[str, list[float]]) -> Normalizer:
        return Normalizer(*(np.asarray(d[k], dtype=np.float64) for k in ("proprio_min", "proprio_max", "action_min",
                                                                          "action_max")))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @staticmethod
    def load(path: str | Path) -> Normalizer:
        return Normalizer.from_dict(json.loads(Path(path).read_text()))
