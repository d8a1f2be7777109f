"""Deterministic, resumable sampling of a synthetic/grounding mixture across ranks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class MixtureSampler:
    """Yields ``(source, index)`` pairs for one rank.

    Each global step draws ``global_batch_size`` samples: each is taken from the grounding
    source with probability ``grounding_ratio`` (else synthetic), uniformly with replacement,
    from a generator seeded by ``(seed, step)``. Rank ``r`` of ``W`` takes the contiguous
    slice ``[r*B/W, (r+1)*B/W)`` of every global batch, so the union over ranks equals the
    single-process batch, and resuming at ``step`` needs no replay.
    """

    SYNTHETIC = 0
    GROUNDING = 1

    def __init__(
        self,
        n_synthetic: int,
        n_grounding: int,
        global_batch_size: int,
        grounding_ratio: float = 0.0,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if n_synthetic <= 0 and (n_grounding <= 0 or grounding_ratio <= 0):
            raise ValueError("MixtureSampler: no samples to draw from")
        self.n_synthetic = n_synthetic
        self.n_grounding = n_grounding
        self.global_batch_size = global_batch_size
        self.grounding_ratio = grounding_ratio if n_grounding > 0 else 0.0
        if n_synthetic <= 0:
            self.grounding_ratio = 1.0
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.local_batch_size = global_batch_size // world_size

    def global_batch(self, step: int) -> list[tuple[int, int]]:
        rng = np.random.default_rng([self.seed, step])
        is_g = rng.random(self.global_batch_size) < self.grounding_ratio
        syn = rng.integers(0, max(1, self.n_synthetic), self.global_batch_size)
        grd = rng.integers(0, max(1, self.n_grounding), self.global_batch_size)
        return [(self.GROUNDING, int(grd[i])) if is_g[i] else (self.SYNTHETIC, int(syn[i]))
                for i in range(self.global_batch_size)]

    def local_batch(self, step: int) -> list[tuple[int, int]]:
        b = self.local_batch_size
        return self.global_batch(step)[self.rank * b : (self.rank + 1) * b]

    def iter_from(self, step: int) -> Iterator[list[tuple[int, int]]]:
        while True:
            yield self.local_batch(step)
            step += 1
