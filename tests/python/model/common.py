"""Shared fixtures for model tests: deterministic samples."""

from __future__ import annotations

from typing import Any

import numpy as np


def model_and_batch(preset_name: str = "tiny", seed: int = 0) -> tuple[Any, dict[str, Any], list[str]]:
    """A freshly initialised model of the preset (eval mode, seeded) and a collated batch of two
    synthetic samples with their instructions."""
    import torch

    from graspvla.model import Collator, GraspVLA, Normalizer, preset

    torch.manual_seed(seed)
    model = GraspVLA(preset(preset_name)).eval()
    samples = [make_sample(k) for k in range(2)]
    batch = Collator(model.config, Normalizer.identity())(samples)
    return model, batch, [s["instruction"] for s in samples]


def fit(model: Any, batch: dict[str, Any], steps: int, lr: float) -> tuple[float, float, dict[str, float]]:
    """``steps`` AdamW steps of ``model.compute_loss`` on one batch; returns the first and the
    last loss (each measured before its step) and the last step's metrics."""
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    first = last = float("nan")
    metrics: dict[str, float] = {}
    for k in range(steps):
        loss, metrics = model.compute_loss(batch)
        last = float(loss.detach())
        first = last if k == 0 else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    return first, last, metrics


def make_sample(k: int, kind: str = "synthetic", size: int = 224) -> dict[str, Any]:
    rng = np.random.default_rng(k)
    return dict(front=rng.integers(0, 255, (size, size, 3), dtype=np.uint8),
                side=rng.integers(0, 255, (size, size, 3), dtype=np.uint8),
                instruction=["pick up the mug", "pick up the banana", "pick up the toy car"][k % 3],
                bbox=np.sort(rng.uniform(0, size, (2, 4)), axis=1), proprio=rng.uniform(-0.9, 0.9, (2, 7)),
                goal=rng.uniform(-0.9, 0.9, 6), actions=rng.uniform(-0.9, 0.9, (4, 7)), kind=kind, seed=k)
