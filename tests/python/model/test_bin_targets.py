"""Gaussian bin targets (``bin_label_sigma``, ``--bin-sigma``): the loss against the written-out
formula, the one-hot limit, the order it teaches, and the model's loss using it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from common import fit, make_sample  # noqa: E402

from graspvla.errors import InvalidInputError  # noqa: E402
from graspvla.model import Collator, GraspVLA, Normalizer, preset  # noqa: E402
from graspvla.model.graspvla import bin_cross_entropy  # noqa: E402
from graspvla.model.layout import IGNORE  # noqa: E402

V, LO, N = 40, 20, 16  # text ids 0..19, bins 20..35, 4 more rows


def test_matches_the_written_out_gaussian_and_leaves_other_tokens_one_hot() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 3, V)
    labels = torch.tensor([[LO + 5, 7, IGNORE], [LO, LO + N - 1, 3]])
    sigma = 2.0
    got = bin_cross_entropy(logits, labels, LO, N, sigma)
    logp = F.log_softmax(logits.double(), -1).numpy()
    for b in range(2):
        for t in range(3):
            y = int(labels[b, t])
            if y == IGNORE:
                want = 0.0
            elif LO <= y < LO + N:
                q = np.exp(-0.5 * ((np.arange(N) - (y - LO)) / sigma) ** 2)
                q /= q.sum()  # normalised over the bins (a label at the edge keeps its mass inside)
                want = -(q * logp[b, t, LO:LO + N]).sum()
            else:
                want = -logp[b, t, y]
            assert float(got[b, t]) == pytest.approx(want, rel=1e-5, abs=1e-6), (b, t)


def test_tiny_sigma_is_one_hot_and_zero_is_plain_cross_entropy() -> None:
    torch.manual_seed(1)
    logits = torch.randn(3, 5, V)
    labels = torch.randint(0, LO + N, (3, 5))
    labels[0, 0] = IGNORE
    hard = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE, reduction="none").view(3, 5)
    assert torch.allclose(bin_cross_entropy(logits, labels, LO, N, 0.0), hard)
    assert torch.allclose(bin_cross_entropy(logits, labels, LO, N, 1e-3), hard, atol=1e-5)


def test_a_near_miss_costs_less_than_a_far_one_only_with_gaussian_targets() -> None:
    label = torch.tensor([[LO + 8]])

    def peaked(bin_: int) -> torch.Tensor:
        x = torch.full((1, 1, V), -10.0)
        x[0, 0, LO + bin_] = 10.0
        return x

    near, far = peaked(9), peaked(15)
    hard_near, hard_far = (float(bin_cross_entropy(x, label, LO, N, 0.0)) for x in (near, far))
    assert hard_near == pytest.approx(hard_far)  # one-hot: every wrong bin is as wrong
    soft_near, soft_far = (float(bin_cross_entropy(x, label, LO, N, 2.0)) for x in (near, far))
    assert soft_near < soft_far - 1.0


def test_the_model_trains_with_it_and_the_config_checks_it() -> None:
    torch.manual_seed(0)
    cfg = preset("tiny")
    cfg.bin_label_sigma = 3.0
    model = GraspVLA(cfg)
    batch = Collator(model.config, Normalizer.identity())([make_sample(k) for k in range(2)])
    loss, m = model.compute_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and "ce_goal" in m
    model.config.bin_label_sigma = 0.0
    loss0, _ = model.compute_loss(batch)
    assert float(loss0.detach()) != pytest.approx(float(loss.detach()))  # the setting reaches the loss
    cfg.bin_label_sigma = -1.0
    with pytest.raises(InvalidInputError, match="bin_label_sigma"):
        cfg.validate()


def test_goal_bin_errors_are_logged_and_reach_zero_when_fitted() -> None:
    """``bin_err_pos`` / ``bin_err_rot`` (teacher-forced argmax vs label, in bins) are reported
    for batches with goals, and fall to 0 on a batch the model has fitted."""
    torch.manual_seed(0)
    model = GraspVLA(preset("tiny"))
    batch = Collator(model.config, Normalizer.identity())([make_sample(k) for k in range(2)])
    _, m = model.compute_loss(batch)
    assert m["bin_err_pos"] > 0 and m["bin_err_rot"] > 0  # an untrained model misses
    _, _, m = fit(model, batch, 80, lr=2e-3)
    assert m["bin_err_pos"] == 0.0 and m["bin_err_rot"] == 0.0, m
    _, g = model.compute_loss(Collator(model.config, Normalizer.identity())([make_sample(0, "grounding")]))
    assert "bin_err_rot" not in g  # no goal, no goal error
