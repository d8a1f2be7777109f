"""Percentile min/max normalisation to [-1, 1] (GraspVLA: 1st/99th percentiles of proprio
and actions; the grasp goal reuses the proprio statistics of its first 6 dimensions).

``roll_offset`` (rad) is added to the roll of proprio and goal (dimension 3, sxyz rpy in the base
frame) and the result wrapped to [-pi, pi) before normalising; inverses subtract it. A TCP that
points down has roll near +-pi, so without an offset nearly identical poses land at both ends of
the range (and in the first and last goal bins); with ``roll_offset = pi`` that pose reads 0
(it is the roll of ``R @ Rx(pi)``, the tool frame flipped about its x axis). Statistics saved
without the field (older checkpoints) load with 0, i.e. as they were trained."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Normalizer"]


def _shift_roll(x: np.ndarray, offset: float) -> np.ndarray:
    """``x[..., 3] + offset`` wrapped to [-pi, pi) (x: (..., >= 4) rows of xyz + rpy [+ g])."""
    x = np.asarray(x, dtype=np.float64)
    if offset == 0.0:
        return x
    out = x.copy()
    out[..., 3] = np.mod(out[..., 3] + offset + np.pi, 2.0 * np.pi) - np.pi
    return out


@dataclass
class Normalizer:
    proprio_min: np.ndarray
    proprio_max: np.ndarray
    action_min: np.ndarray
    action_max: np.ndarray
    roll_offset: float = 0.0

    @staticmethod
    def fit(proprio: np.ndarray, actions: np.ndarray, ratio: float = 0.01, roll_offset: float = 0.0) -> Normalizer:
        """Statistics from samples (N, 7) of proprio and (M, 7) of actions."""
        p = _shift_roll(np.asarray(proprio, dtype=np.float64).reshape(-1, proprio.shape[-1]), roll_offset)
        a = np.asarray(actions, dtype=np.float64).reshape(-1, actions.shape[-1])
        pmin, pmax = np.quantile(p, ratio, axis=0) - 1e-7, np.quantile(p, 1 - ratio, axis=0) + 1e-7
        amin, amax = np.quantile(a, ratio, axis=0) - 1e-7, np.quantile(a, 1 - ratio, axis=0) + 1e-7
        return Normalizer(pmin, pmax, amin, amax, float(roll_offset))

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
        return self._n(_shift_roll(x, self.roll_offset), self.proprio_min, self.proprio_max)

    def goal(self, x: np.ndarray) -> np.ndarray:
        return self._n(_shift_roll(x, self.roll_offset), self.proprio_min[:6], self.proprio_max[:6])

    def position(self, x: np.ndarray) -> np.ndarray:
        """Grasp / TCP positions (..., 3) [m, base frame] -> normalised (the goal's first 3 values)."""
        return self._n(x, self.proprio_min[:3], self.proprio_max[:3])

    def goal_inverse(self, x: np.ndarray) -> np.ndarray:
        return _shift_roll(self._u(x, self.proprio_min[:6], self.proprio_max[:6]), -self.roll_offset)

    def action(self, x: np.ndarray) -> np.ndarray:
        return self._n(x, self.action_min, self.action_max)

    def action_inverse(self, x: np.ndarray) -> np.ndarray:
        return self._u(x, self.action_min, self.action_max)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {k: np.asarray(getattr(self, k)).tolist()
                             for k in ("proprio_min", "proprio_max", "action_min", "action_max")}
        d["roll_offset"] = float(self.roll_offset)
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Normalizer:
        return Normalizer(*(np.asarray(d[k], dtype=np.float64) for k in ("proprio_min", "proprio_max", "action_min",
                                                                          "action_max")),
                          roll_offset=float(d.get("roll_offset", 0.0)))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @staticmethod
    def load(path: str | Path) -> Normalizer:
        return Normalizer.from_dict(json.loads(Path(path).read_text()))
