"""Inference engine options: the C++ flow integrators inside generation, precomputed time
embeddings vs the training-path velocity, unconstrained decoding, select_action queueing."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import make_sample, model_and_batch  # noqa: E402

from graspvla.model import Collator, GraspVLA, GraspVLAPolicy, Normalizer, Observation, generate, preset  # noqa: E402


def _setup():
    return model_and_batch("tiny")


def test_cpp_integrators_in_generation() -> None:
    model, batch, instr = _setup()
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(1))
    ref = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    eul = generate(model, batch["images"], instr, batch["proprio"], noise=noise, integrator="euler")
    np.testing.assert_allclose(eul.actions, ref.actions, atol=1e-5)
    heun = generate(model, batch["images"], instr, batch["proprio"], noise=noise, integrator="heun")
    rk4 = generate(model, batch["images"], instr, batch["proprio"], noise=noise, integrator="rk4")
    # the methods really differ (stage points / times reach the network), and stay finite
    assert np.abs(heun.actions - eul.actions).max() > 1e-4 and np.abs(rk4.actions - heun.actions).max() > 1e-4
    assert np.all(np.isfinite(rk4.actions)) and np.all(np.isfinite(heun.actions))
    np.testing.assert_array_equal(heun.box, ref.box)


def test_expert_step_equals_training_velocity() -> None:
    """The precomputed-context denoise step == expert_velocity (the path the loss trains)."""
    model, batch, instr = _setup()
    noise = torch.randn(2, 4, 7, generator=torch.Generator().manual_seed(2))
    a = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    b = generate(model, batch["images"], instr, batch["proprio"], noise=noise, use_cache=False)
    np.testing.assert_allclose(a.actions, b.actions, atol=1e-5)
    assert set(a.timings) == {"vision", "prefill", "box", "grasp", "flow"}


def test_unconstrained_decoding_and_select_action_queue() -> None:
    model, batch, instr = _setup()
    out = generate(model, batch["images"], instr, batch["proprio"], constrained=False,
                   noise=torch.zeros(2, 4, 7))
    assert out.box.shape == (2, 8)  # any vocab id decodes (non-bin ids saturate into [-1, 1])
    assert np.all(np.abs(out.box) <= 1.0)
    policy = GraspVLAPolicy(model, Normalizer.identity(), seed=0)
    s = make_sample(0)
    obs = Observation(s["front"], s["side"], s["instruction"], np.zeros((4, 7)))
    chunk = GraspVLAPolicy(model, Normalizer.identity(), seed=0).predict_action_chunk(obs).actions
    got = [policy.select_action(obs) for _ in range(4)]
    np.testing.assert_allclose(np.stack(got), chunk, atol=1e-6)
    assert len(policy._queue) == 0


def test_policy_protocol_and_grasp_pose() -> None:
    import pytest

    Rotation = pytest.importorskip("scipy.spatial.transform").Rotation
    from graspvla.model import Policy, Prediction

    model, _, _ = _setup()
    assert isinstance(GraspVLAPolicy(model, Normalizer.identity()), Policy)
    rpy = np.array([0.3, -0.4, 2.0])
    pred = Prediction(boxes=np.zeros((2, 4)), grasp=np.r_[0.1, 0.2, 0.3, rpy], actions=np.zeros((4, 7)), timings={})
    T = pred.grasp_pose
    np.testing.assert_allclose(T[:3, :3], Rotation.from_euler("xyz", rpy).as_matrix(), atol=1e-12)  # extrinsic xyz
    np.testing.assert_allclose(T[:3, 3], [0.1, 0.2, 0.3])


def test_bpe_tokenizer_trained_offline_travels_with_the_checkpoint(tmp_path) -> None:
    """A byte-level BPE trained on the fly (no network) as the text tokenizer; save -> load
    restores it from tokenizer.json and the outputs are identical."""
    import pytest

    tokenizers = pytest.importorskip("tokenizers")
    from graspvla.model import from_pretrained, save_pretrained
    from graspvla.model.tokenizer import HFTextTokenizer

    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=400, special_tokens=["<s>", "</s>", "<PAD>"],
                                             initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    corpus = [f"In: What action should the robot take to pick up the {o}?\nOut: " for o in
              ("mug", "banana", "toy car", "pen", "bottle", "apple")] * 20
    tok.train_from_iterator(corpus, trainer)
    text = HFTextTokenizer(tok.to_str(), from_string=True)
    assert text.bos_id == 0 and text.eos_id == 1 and text.pad_id == 2
    cfg = preset("tiny")
    cfg.text_vocab = text.vocab_size
    torch.manual_seed(0)
    model = GraspVLA(cfg, text).eval()
    ids = model.layout.prompt("pick up the mug")
    assert len(ids) < len("In: What action should the robot take to pick up the mug?\nOut: ")  # merges used
    assert text.decode(ids) == "In: What action should the robot take to pick up the mug?\nOut: "
    save_pretrained(model, Normalizer.identity(), tmp_path)
    assert (tmp_path / "tokenizer.json").is_file()
    loaded, _ = from_pretrained(tmp_path)
    assert isinstance(loaded.layout.text, HFTextTokenizer)
    s = make_sample(0)
    b = Collator(cfg, Normalizer.identity(), text)([s])
    n = torch.randn(1, 4, 7, generator=torch.Generator().manual_seed(0))
    a = generate(model, b["images"], [s["instruction"]], b["proprio"], noise=n)
    c = generate(loaded, b["images"], [s["instruction"]], b["proprio"], noise=n)
    np.testing.assert_array_equal(a.actions, c.actions)
    loss, _ = model.compute_loss(b)
    assert torch.isfinite(loss)


def test_reset_with_a_seed_restarts_the_flow_noise() -> None:
    """``reset(seed)`` makes an episode's chunks a function of (policy seed, episode seed), not
    of what the policy sampled before; ``reset()`` continues the stream."""
    model, _, _ = _setup()
    s = make_sample(0)
    obs = Observation(s["front"], s["side"], s["instruction"], np.zeros((4, 7)))
    policy = GraspVLAPolicy(model, Normalizer.identity(), seed=0)
    policy.reset(5)
    first = policy.predict_action_chunk(obs).actions
    policy.predict_action_chunk(obs)
    policy.reset(5)
    np.testing.assert_array_equal(policy.predict_action_chunk(obs).actions, first)
    policy.reset(6)
    assert not np.array_equal(policy.predict_action_chunk(obs).actions, first)
    other = GraspVLAPolicy(model, Normalizer.identity(), seed=1)
    other.reset(5)
    assert not np.array_equal(other.predict_action_chunk(obs).actions, first)
    policy.reset(5)
    policy.predict_action_chunk(obs)
    policy.reset()
    assert not np.array_equal(policy.predict_action_chunk(obs).actions, first)
