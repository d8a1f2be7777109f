"""Per-episode seeds: one stream per (policy, episode), whatever ran before."""

from __future__ import annotations

import numpy as np

__all__ = ["episode_seed"]


def episode_seed(base: int, episode: int) -> int:
    """A 63-bit seed from a policy's ``base`` seed and an episode's (e.g. a benchmark trial's)
    seed, for torch or numpy generators: distinct pairs give independent streams."""
    return int(np.random.SeedSequence([int(base) & 0xFFFFFFFF, int(episode) & 0xFFFFFFFF]).generate_state(2, np.uint64)[0] >> 1)
