"""The grasp goal as an input: ``generate(goal=)`` / ``predict_action_chunk(grasp=)`` replace the
decoded grasp tokens, and ``expert.goal_input`` gives the expert the goal as numbers
(zero-initialised: a trained model is unchanged until fine-tuned)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import make_sample  # noqa: E402

from graspvla.model import Collator, GraspVLA, GraspVLAPolicy, Normalizer, Observation, generate, preset  # noqa: E402


def _setup(goal_input: bool = False, use_pag: bool = True):
    torch.manual_seed(0)
    cfg = preset("tiny")
    cfg.use_pag = use_pag
    cfg.expert.goal_input = goal_input
    model = GraspVLA(cfg).eval()
    samples = [make_sample(k) for k in range(2)]
    for s in samples:
        s["proprio"][:, 6] = 0.9  # the hand open (the goal input reads only then)
    batch = Collator(model.config, Normalizer.identity())(samples)
    return model, batch, [s["instruction"] for s in samples], samples


def _randomise_goal_in(model: GraspVLA) -> None:
    with torch.no_grad():
        model.goal_in.weight.normal_(0.0, 0.5)


def test_goal_override_replaces_grasp_tokens_and_reaches_the_expert() -> None:
    model, batch, instr, _ = _setup(goal_input=True)
    _randomise_goal_in(model)
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(1))
    free = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    g1 = np.array([[0.5, -0.2, 0.1, 0.0, 0.3, -0.7], [-0.4, 0.6, -0.1, 0.2, 0.0, 0.9]])
    a = generate(model, batch["images"], instr, batch["proprio"], noise=noise, goal=g1)
    b = generate(model, batch["images"], instr, batch["proprio"], noise=noise, goal=-g1)
    np.testing.assert_allclose(a.goal, g1, atol=2.0 / 255)  # within a bin width
    np.testing.assert_array_equal(a.box, free.box)  # the box is still the model's own
    assert np.abs(a.actions - b.actions).max() > 1e-3  # the goal steers the actions
    # the cached path equals the recompute path with the goal input too
    c = generate(model, batch["images"], instr, batch["proprio"], noise=noise, goal=g1, use_cache=False)
    np.testing.assert_allclose(a.actions, c.actions, atol=1e-5)
    with pytest.raises(ValueError, match="goal must be finite"):
        generate(model, batch["images"], instr, batch["proprio"], goal=np.full((2, 6), np.nan))
    with pytest.raises(ValueError, match="shape"):
        generate(model, batch["images"], instr, batch["proprio"], goal=np.zeros((1, 6)))


def test_goal_override_needs_pag() -> None:
    model, batch, instr, _ = _setup(use_pag=False)
    with pytest.raises(ValueError, match="Progressive Action Generation"):
        generate(model, batch["images"], instr, batch["proprio"], goal=np.zeros((2, 6)))


def test_enabling_goal_input_keeps_a_trained_model_unchanged_then_trains() -> None:
    model, batch, instr, _ = _setup()
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(3))
    before = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    model.enable_expert_goal_input()
    assert model.config.expert.goal_input and model.goal_in is not None
    after = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    np.testing.assert_array_equal(after.actions, before.actions)
    # the loss reaches the new weights (zero-initialised, so only through their own gradient)
    model.train()
    loss, _ = model.compute_loss(batch)
    loss.backward()
    assert model.goal_in.weight.grad is not None and float(model.goal_in.weight.grad.abs().sum()) > 0


def test_collated_goal_is_the_decoded_bin_of_the_normalised_grasp() -> None:
    model, batch, _, samples = _setup(goal_input=True)
    norm = Normalizer.identity()
    for k, s in enumerate(samples):
        g = norm.goal(np.asarray(s["goal"], dtype=np.float64))
        np.testing.assert_allclose(batch["goal"][k].numpy(), g, atol=2.0 / 255)
        bins = model.layout.bins
        np.testing.assert_allclose(batch["goal"][k].numpy(), bins.decode(bins.encode(g[None]))[0], atol=1e-6)


def test_policy_grasp_argument_and_checkpoint_roundtrip(tmp_path) -> None:
    from graspvla.model.checkpoint import from_pretrained, save_pretrained

    model, _, _, samples = _setup(goal_input=True)
    _randomise_goal_in(model)
    norm = Normalizer.identity()
    save_pretrained(model, norm, tmp_path / "m")
    loaded, _ = from_pretrained(str(tmp_path / "m"))
    assert loaded.config.expert.goal_input
    torch.testing.assert_close(loaded.goal_in.weight, model.goal_in.weight)
    s = samples[0]
    obs = Observation(s["front"], s["side"], s["instruction"], np.zeros((4, 7)))
    grasp = np.array([0.3, -0.2, 0.1, 0.0, 0.2, 0.5])
    pred = GraspVLAPolicy(loaded, norm, seed=0).predict_action_chunk(obs, grasp=grasp)
    np.testing.assert_allclose(pred.grasp, grasp, atol=2.0 / 255)
    other = GraspVLAPolicy(loaded, norm, seed=0).predict_action_chunk(obs, grasp=-grasp)
    assert np.abs(pred.actions - other.actions).max() > 1e-4
    from graspvla.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="grasps"):
        GraspVLAPolicy(loaded, norm).predict_batch([obs], grasps=np.zeros((2, 6)))


def test_goal_input_is_off_once_the_hand_is_closed() -> None:
    """After closing, the goal label is the next pose: the expert must not read it as numbers
    (the goal tokens stay in the prefix as for any model)."""
    model, batch, instr, _ = _setup(goal_input=True)
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(4))
    g = np.array([[0.5, -0.2, 0.1, 0.0, 0.3, -0.7], [-0.4, 0.6, -0.1, 0.2, 0.0, 0.9]])
    closed = batch["proprio"].clone()
    closed[:, :, 6] = -1.0  # normalised: -1 = closed
    opened = closed.clone()
    opened[:, :, 6] = 1.0
    before = [generate(model, batch["images"], instr, p, noise=noise, goal=g).actions for p in (closed, opened)]
    _randomise_goal_in(model)  # from zero (no effect) to a large effect while the hand is open
    after = [generate(model, batch["images"], instr, p, noise=noise, goal=g).actions for p in (closed, opened)]
    np.testing.assert_allclose(after[0], before[0], atol=1e-6)
    assert np.abs(after[1] - before[1]).max() > 1e-3


def test_without_proprio_history_the_history_row_is_never_seen() -> None:
    torch.manual_seed(0)
    cfg = preset("tiny")
    cfg.use_proprio_history = False
    model = GraspVLA(cfg).eval()
    samples = [make_sample(k) for k in range(2)]
    batch = Collator(cfg, Normalizer.identity())(samples)
    torch.testing.assert_close(batch["proprio"][:, 0], batch["proprio"][:, 1])
    # the proprio tokens in the prefix are the current row twice as well
    ref = Collator(cfg, Normalizer.identity())([dict(s, proprio=np.stack([s["proprio"][1]] * 2)) for s in samples])
    torch.testing.assert_close(batch["prefix"].ids, ref["prefix"].ids)
    instr = [s["instruction"] for s in samples]
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(5))
    p = torch.tensor(np.stack([np.asarray(s["proprio"]) for s in samples]), dtype=torch.float32)
    moved = p.clone()
    moved[:, 0] += 0.3  # a different history row changes nothing
    a = generate(model, batch["images"], instr, p, noise=noise)
    b = generate(model, batch["images"], instr, moved, noise=noise)
    np.testing.assert_array_equal(a.actions, b.actions)
    cfg.use_proprio_history = True  # and with history it does
    c = generate(model, batch["images"], instr, moved, noise=noise)
    assert np.abs(c.actions - a.actions).max() > 1e-5


def test_without_proprio_position_only_the_goal_offset_carries_the_hand_position() -> None:
    """use_proprio_position=False: moving the hand (and the goal with it) changes nothing; moving
    the hand alone changes the expert's goal - pose input, hence the actions."""
    torch.manual_seed(0)
    cfg = preset("tiny")
    cfg.use_proprio_position = False
    cfg.expert.goal_input = True
    model = GraspVLA(cfg).eval()
    _randomise_goal_in(model)
    samples = [make_sample(k) for k in range(2)]
    for s in samples:
        s["proprio"][:, 6] = 0.9
    batch = Collator(cfg, Normalizer.identity())(samples)
    shifted = Collator(cfg, Normalizer.identity())([dict(s, proprio=s["proprio"] + np.r_[0.05, -0.05, 0.05, 0, 0, 0, 0])
                                                   for s in samples])
    torch.testing.assert_close(batch["prefix"].ids, shifted["prefix"].ids)  # no position in the tokens
    shift = torch.tensor([0.05, -0.05, 0.05, 0, 0, 0], dtype=torch.float32)
    p, g = batch["proprio"], batch["goal"]
    p2 = p + torch.cat([shift, torch.zeros(1)])
    with torch.no_grad():
        base = model._proprio_tokens(p, g)
        torch.testing.assert_close(model._proprio_tokens(p2, g + shift), base)  # hand and goal moved together
        assert float((model._proprio_tokens(p2, g) - base).abs().max()) > 1e-3  # the hand alone: goal - pose moved
        cfg.use_proprio_position = True  # with the position, moving both changes the tokens
        assert float((model._proprio_tokens(p2, g + shift) - base).abs().max()) > 1e-3


def test_policy_keeps_the_grasp_predicted_from_afar(monkeypatch) -> None:
    """goal_latch_distance d: once the hand is within d of the last grasp predicted from >= d
    away, that grasp is fed back in place of new grasp tokens (trained only beyond d)."""
    model, _, _, samples = _setup(goal_input=True)
    lo = np.r_[-1.0, -1.0, -1.0, -np.pi, -np.pi, -np.pi, 0.0]
    norm = Normalizer(lo, -lo + np.r_[0, 0, 0, 0, 0, 0, 1.0], -np.ones(7) * 0.05, np.ones(7) * 0.05)
    policy = GraspVLAPolicy(model, norm, goal_latch_distance=0.1)
    calls: list = []
    real = policy.predict_batch

    def spy(observations, grasps=None):
        calls.append(None if grasps is None else np.array(grasps))
        return real(observations, grasps)

    monkeypatch.setattr(policy, "predict_batch", spy)
    s = samples[0]

    def obs(hand):
        p = np.tile(np.r_[hand, 0.0, 0.0, 0.0, 1.0], (4, 1))
        return Observation(s["front"], s["side"], s["instruction"], p)

    first = policy.predict_action_chunk(obs(np.zeros(3)))
    g = first.grasp
    assert np.linalg.norm(g[:3]) >= 0.1, "the first grasp should be predicted from >= 10 cm away"
    # place the hand 5 cm from it: within d, so the kept grasp is fed back
    near = policy.predict_action_chunk(obs(g[:3] + np.r_[0.05, 0.0, 0.0]))
    assert calls[-1] is not None and np.allclose(calls[-1][0], g)
    np.testing.assert_allclose(near.grasp, g, atol=2 * (2.0 / 255) * np.pi)
    policy.reset()  # a new episode forgets it
    calls.clear()
    policy.predict_action_chunk(obs(g[:3] + np.r_[0.05, 0.0, 0.0]))
    assert calls[0] is None
    # without latching every query predicts its own grasp
    plain = GraspVLAPolicy(model, norm, goal_latch_distance=0.0)
    monkeypatch.setattr(plain, "predict_batch", spy)
    calls.clear()
    plain.predict_action_chunk(obs(np.zeros(3)))
    plain.predict_action_chunk(obs(g[:3] + np.r_[0.05, 0.0, 0.0]))
    assert calls == [None, None]
