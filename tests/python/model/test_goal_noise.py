"""``expert_goal_noise`` (``train --goal-noise``): the action expert reads a moved grasp (tokens
and numeric input) for open-hand samples, while every label stays the true one."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import make_sample  # noqa: E402

from graspvla.errors import InvalidInputError  # noqa: E402
from graspvla.model import Collator, GraspVLA, Normalizer, preset  # noqa: E402
from graspvla.model.layout import Layout  # noqa: E402


def _samples(open_hand: tuple[bool, ...]) -> list[dict]:
    out = []
    for k, is_open in enumerate(open_hand):
        s = make_sample(k)
        s["proprio"][:, 6] = 0.9 if is_open else -0.9  # normalised gripper: open > 0 (identity normaliser)
        s["goal"][:3] *= 0.3  # stay well inside [-1, 1] so no bin clips the noise
        out.append(s)
    return out


def _collate(noise: float, samples: list[dict]) -> dict:
    cfg = preset("tiny")
    cfg.expert_goal_noise = noise
    norm = Normalizer.identity()
    return Collator(cfg, norm)(samples)


def test_noise_moves_only_the_experts_goal_position_of_open_hands() -> None:
    samples = _samples((True,) * 24 + (False,) * 4) + [make_sample(99, kind="grounding")]
    clean, noisy = _collate(0.0, samples), _collate(0.1, samples)
    torch.testing.assert_close(clean["expert_goal"], clean["goal"])  # off: the same goal
    torch.testing.assert_close(noisy["goal"], clean["goal"])  # the grasp head's target is untouched
    d = (noisy["expert_goal"] - noisy["goal"]).numpy()
    assert np.abs(d[:24, :3]).max() > 0.02 and np.abs(d[:24, :3]).max() < 0.6
    assert np.count_nonzero(np.abs(d[:24, :3]) > 2.0 / 255) > 24  # most open samples moved
    np.testing.assert_array_equal(d[:, 3:], 0)  # the orientation is never moved
    np.testing.assert_array_equal(d[24:], 0)  # closed hands and grounding samples are not
    # the labels are the true tokens; the inputs differ exactly at the moved goal tokens
    torch.testing.assert_close(noisy["prefix"].labels, clean["prefix"].labels)
    diff = noisy["prefix"].ids != clean["prefix"].ids
    goal_inputs = torch.zeros_like(diff)
    goal_inputs[:, 1:] = noisy["label_parts"][:, :-1] == Layout.PART_GOAL  # label p predicts token p + 1
    assert bool(diff.any()) and not bool((diff & ~goal_inputs).any())
    # the moved tokens decode to the expert's numeric goal
    layout = Layout(preset("tiny"))
    for i in range(24):
        tok = noisy["prefix"].ids[i][goal_inputs[i]].numpy()
        np.testing.assert_allclose(layout.bins.decode(tok[None])[0], noisy["expert_goal"][i].numpy(), atol=1e-6)


def test_noise_is_reproducible_per_sample_seed() -> None:
    samples = _samples((True,) * 4)
    a, b = _collate(0.05, samples), _collate(0.05, samples[::-1])
    torch.testing.assert_close(a["expert_goal"], b["expert_goal"].flip(0))


def test_loss_feeds_the_expert_the_moved_goal() -> None:
    torch.manual_seed(0)
    cfg = preset("tiny")
    cfg.expert.goal_input = True
    model = GraspVLA(cfg)
    with torch.no_grad():
        model.goal_in.weight.normal_(0.0, 0.5)
    batch = _collate(0.1, _samples((True,) * 3))
    seen = {}
    real = model.expert_velocity

    def spy(*args, **kw):
        seen["goal"] = args[6] if len(args) > 6 else kw.get("goal")
        return real(*args, **kw)

    model.expert_velocity = spy  # type: ignore[method-assign]
    model.compute_loss(batch)
    torch.testing.assert_close(seen["goal"], batch["expert_goal"])
    assert not torch.equal(seen["goal"], batch["goal"])


def test_negative_noise_is_rejected() -> None:
    cfg = preset("tiny")
    cfg.expert_goal_noise = -0.01
    with pytest.raises(InvalidInputError, match="expert_goal_noise"):
        cfg.validate()
