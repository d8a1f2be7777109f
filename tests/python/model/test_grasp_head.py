"""The keypoint grasp head (``config.grasp_head``): keypoint positions against analytic
soft-argmaxes, the head learning a position from keypoints, its loss only on open-hand action
samples, and ``generate`` taking the grasp position from it with the LM's orientation after."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import make_sample  # noqa: E402

from graspvla.errors import InvalidInputError  # noqa: E402
from graspvla.model import Collator, GraspVLA, Normalizer, generate, preset  # noqa: E402
from graspvla.model.grasp_head import KeypointGraspHead, keypoint_positions  # noqa: E402


def _cell_xy(iy: int, ix: int, n: int) -> np.ndarray:
    return np.array([(ix + 0.5) * 2.0 / n - 1.0, (iy + 0.5) * 2.0 / n - 1.0])


def test_keypoint_zero_takes_the_strongest_peak_the_others_the_expectation() -> None:
    n = 28
    s = torch.full((2, n, n), -30.0)
    for k in range(2):  # the same two-peak map for both: keypoint 0 and a free keypoint
        s[k, 5, 6] = 10.0
        s[k, 20, 22] = 10.0 - np.log(2.0)  # half the mass of the first peak
    xy = keypoint_positions(s[None], window=2)[0].numpy()
    np.testing.assert_allclose(xy[0], _cell_xy(5, 6, n), atol=1e-5)  # the window drops the far peak
    want = (2 * _cell_xy(5, 6, n) + _cell_xy(20, 22, n)) / 3  # the plain soft-argmax: the weighted mean
    np.testing.assert_allclose(xy[1], want, atol=1e-5)
    # within the window keypoint 0 is sub-cell: two equal neighbours give their midpoint
    s[0, 5, 7] = 10.0
    xy = keypoint_positions(s[None], window=2)[0].numpy()
    np.testing.assert_allclose(xy[0], (_cell_xy(5, 6, n) + _cell_xy(5, 7, n)) / 2, atol=1e-5)


def test_keypoint_zero_gradient_stays_in_its_window() -> None:
    s = torch.randn(1, 2, 12, 12, requires_grad=True)
    with torch.no_grad():
        s[0, 0, 3, 3] = 20.0
    keypoint_positions(s, window=1)[0, 0].sum().backward()
    g = s.grad[0, 0].abs()
    assert float(g[2:5, 2:5].sum()) > 0
    g[2:5, 2:5] = 0
    assert float(g.sum()) == 0.0


def test_head_learns_a_position_from_keypoints() -> None:
    """Targets a smooth function of two views' peaks (a stand-in for triangulation): the
    trained head's error must fall far below predicting the mean."""
    torch.manual_seed(0)
    n, B = 16, 256
    rng = np.random.default_rng(0)
    pk = rng.integers(1, n - 1, (B, 2, 2))  # (sample, view, [y, x]) of the target's peak
    scores = torch.full((B, 2, 1, n, n), -10.0)
    for b in range(B):
        for v in range(2):
            scores[b, v, 0, pk[b, v, 0], pk[b, v, 1]] = 10.0
    xy = np.stack([[_cell_xy(*pk[b, v], n) for v in range(2)] for b in range(B)])  # (B, 2, 2)
    target = torch.tensor(np.stack([xy[:, 0, 0], xy[:, 1, 0] * 0.5 + 0.2 * xy[:, 0, 1] ** 2, xy[:, 1, 1]], 1),
                          dtype=torch.float32)
    head = KeypointGraspHead(n_keypoints=2)
    opt = torch.optim.Adam(head.parameters(), lr=3e-3)
    mask = torch.ones(B, dtype=torch.bool)
    for _ in range(400):
        loss = KeypointGraspHead.loss(head([scores]), target, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        err = (head([scores]) - target).abs().mean()
    assert float(err) < 0.1 * float((target - target.mean(0)).abs().mean())
    assert float(KeypointGraspHead.loss(head([scores]), target, torch.zeros(B, dtype=torch.bool)).detach()) == 0.0


def _model_and_batch(open_hand: bool):
    torch.manual_seed(0)
    cfg = preset("tiny-ground")
    cfg.grasp_head = True
    model = GraspVLA(cfg)
    samples = [make_sample(k) for k in range(2)]
    batch = Collator(model.config, Normalizer.identity())(samples)
    batch["proprio"][:, :, 6] = 1.0 if open_hand else -1.0  # normalised: 1 = open, -1 = closed
    return model, batch, [s["instruction"] for s in samples]


def test_head_loss_only_on_open_hand_action_samples() -> None:
    model, batch, _ = _model_and_batch(open_hand=True)
    loss, metrics = model.compute_loss(batch)
    assert metrics["grasp_head"] > 0
    loss.backward()
    assert float(model.grasp_head.net[0].weight.grad.abs().sum()) > 0
    model.zero_grad()
    model, batch, _ = _model_and_batch(open_hand=False)  # closed: the goal label is the next pose
    loss, metrics = model.compute_loss(batch)
    assert "grasp_head" not in metrics
    loss.backward()
    assert float(model.grasp_head.net[0].weight.grad.abs().sum()) == 0.0


def test_generate_takes_the_position_from_the_head(tmp_path) -> None:
    from graspvla.model.checkpoint import from_pretrained, save_pretrained

    model, batch, instr = _model_and_batch(open_hand=True)
    model.eval()
    want = torch.tensor([0.5, -0.3, 0.2])
    with torch.no_grad():  # a head that always answers `want`
        model.grasp_head.net[-1].weight.zero_()
        model.grasp_head.net[-1].bias.copy_(want)
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(0))
    out = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    np.testing.assert_allclose(out.goal[:, :3], np.tile(want.numpy(), (2, 1)), atol=1.0 / 255 + 1e-6)
    assert np.all(np.isfinite(out.goal[:, 3:]))  # the orientation: the LM's tokens
    slow = generate(model, batch["images"], instr, batch["proprio"], noise=noise, use_cache=False)
    np.testing.assert_array_equal(slow.goal, out.goal)
    np.testing.assert_allclose(slow.actions, out.actions, atol=1e-5)
    # a given grasp still wins over the head
    g = np.full((2, 6), -0.25)
    np.testing.assert_allclose(generate(model, batch["images"], instr, batch["proprio"], goal=g).goal, g,
                               atol=1.0 / 255 + 1e-6)
    save_pretrained(model, Normalizer.identity(), tmp_path / "m")
    loaded, _ = from_pretrained(str(tmp_path / "m"))
    assert loaded.config.grasp_head and loaded.grasp_head is not None
    again = generate(loaded.eval(), batch["images"], instr, batch["proprio"], noise=noise)
    np.testing.assert_array_equal(again.goal, out.goal)


def test_grasp_head_needs_a_queried_keypoint_and_pag() -> None:
    cfg = preset("tiny")
    with pytest.raises(InvalidInputError, match="queried keypoint"):
        cfg.grasp_head = True
        cfg.validate()
    cfg.grasp_head = False
    model = GraspVLA(cfg)
    with pytest.raises(InvalidInputError, match="queried keypoint"):
        model.enable_grasp_head()
    assert not model.config.grasp_head and model.grasp_head is None  # unchanged
    cfg = preset("tiny-ground")
    cfg.use_pag = False
    with pytest.raises(InvalidInputError, match="use_pag"):
        GraspVLA(cfg).enable_grasp_head()
