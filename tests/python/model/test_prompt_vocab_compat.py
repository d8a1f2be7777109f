"""Prompt length policy, the split vocabulary (bin base vs embedding rows), backward
compatibility of config.json files written before those fields existed, and the policy's
action post-processing through the C++ flow kernels."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import make_sample  # noqa: E402

from graspvla.errors import InvalidInputError  # noqa: E402
from graspvla.model import (  # noqa: E402
    Collator,
    GraspVLA,
    GraspVLAConfig,
    GraspVLAPolicy,
    Normalizer,
    Observation,
    from_pretrained,
    generate,
    preset,
    save_pretrained,
)
from graspvla.model.batching import images_to_tensor  # noqa: E402
from graspvla.model.layout import Layout  # noqa: E402
from graspvla.model.tokenizer import PROMPT  # noqa: E402

LONG = "pick up the small red plastic toy car that is lying next to the blue ceramic mug on the left side"


def test_prompt_length_policy() -> None:
    full = lambda s: list(PROMPT.format(instruction=s).encode())  # noqa: E731
    lay = Layout(GraspVLAConfig())
    assert lay.config.max_prompt_tokens == 128 and lay.config.prompt_overflow == "truncate_instruction"
    assert lay.prompt("pick up the banana") == full("pick up the banana")  # 65 bytes: no longer cut
    ids = lay.prompt(LONG)  # 144 bytes: the instruction's end is cut, the template is kept
    assert len(ids) <= 128 and bytes(ids).decode().endswith("?\nOut: ")
    assert bytes(ids).decode().startswith("In: What action should the robot take to pick up the small")
    assert len(lay.prompt("é" * 60)) <= 128 and "\ufffd" not in bytes(lay.prompt("é" * 60)).decode()
    with pytest.raises(InvalidInputError, match="max_prompt_tokens"):
        Layout(GraspVLAConfig(prompt_overflow="error")).prompt(LONG)
    assert Layout(GraspVLAConfig(prompt_overflow="error")).prompt("pick up the mug") == full("pick up the mug")
    legacy = Layout(GraspVLAConfig(max_prompt_tokens=64, prompt_overflow="truncate"))
    assert legacy.prompt("pick up the banana") == full("pick up the banana")[:64]
    with pytest.raises(InvalidInputError, match="template alone"):  # no room for any instruction
        Layout(GraspVLAConfig(max_prompt_tokens=20)).prompt("pick up the mug")
    with pytest.raises(InvalidInputError, match="prompt_overflow"):
        GraspVLAConfig(prompt_overflow="drop")
    # training batches use the same policy
    s = make_sample(0, size=64)
    s["instruction"] = LONG
    batch = Collator(GraspVLAConfig(image_size=64), Normalizer.identity())([s])
    assert int(batch["prefix"].key_mask.sum()) == 1 + Layout(GraspVLAConfig(image_size=64)).image_tokens + len(ids) \
        + 8 + 14 + 6 + 1


def test_vocabulary_fields() -> None:
    c = GraspVLAConfig()
    assert (c.text_vocab, c.vocab_size, c.num_embeddings) == (259, 515, 515)  # unchanged defaults
    c = GraspVLAConfig(text_vocab=300, bin_base=300, embed_rows=320)
    assert (c.vocab_size, c.num_embeddings) == (300, 320)
    with pytest.raises(InvalidInputError, match="embed_rows"):
        GraspVLAConfig(bin_base=600, embed_rows=580)
    assert GraspVLAConfig.from_dict(c.to_dict()) == c


def test_constrained_decoding_stays_in_the_bins_when_the_embedding_is_larger() -> None:
    """Rows above bin_base (GraspVLA's <PAD> and padding) are never picked at bin positions."""
    cfg = GraspVLAConfig(image_size=64, embed_rows=515 + 64)
    torch.manual_seed(0)
    model = GraspVLA(cfg).eval()
    assert model.embed_tokens.weight.shape[0] == 579 and model.layout.bins.first_id == 515 - 256

    def boost(_m, _inp, out):  # the padding rows win every unconstrained argmax
        out = out.clone()
        out[..., 515:] += 1e4
        return out

    model.lm_head.register_forward_hook(boost)
    seen: list[torch.Tensor] = []
    model.embed_tokens.register_forward_hook(lambda _m, inp, _o: seen.append(inp[0].detach().clone()))
    b = Collator(cfg, Normalizer.identity())([make_sample(0, size=64)])
    generate(model, b["images"], ["pick up the mug"], b["proprio"], constrained=True)
    decoded = torch.cat([t.flatten() for t in seen[1:]])  # after the prefix: box, proprio, goal, EOS
    assert int(decoded.max()) < 515
    seen.clear()
    generate(model, b["images"], ["pick up the mug"], b["proprio"], constrained=False)
    assert int(torch.cat([t.flatten() for t in seen[1:]]).max()) >= 515  # (the hook works)


def _legacy_config_json(cfg: GraspVLAConfig) -> dict:
    """config.json as written before prompt_overflow / bin_base / embed_rows existed."""
    d = json.loads(json.dumps(cfg.to_dict()))
    for k in ("prompt_overflow", "bin_base", "embed_rows"):
        d.pop(k)
    d["max_prompt_tokens"] = 64
    return d


def test_checkpoints_saved_before_the_new_fields_load_and_tokenise_as_trained(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = GraspVLA(preset("tiny")).eval()
    save_pretrained(model, Normalizer.identity(), tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(_legacy_config_json(model.config), indent=2))
    loaded, norm = from_pretrained(tmp_path)
    c = loaded.config
    assert (c.max_prompt_tokens, c.prompt_overflow, c.bin_base, c.embed_rows) == (64, "truncate", None, None)
    assert (c.vocab_size, c.num_embeddings) == (515, 515)
    # the prompt is cut exactly where the old code cut it
    assert loaded.layout.prompt("pick up the banana") == list(PROMPT.format(instruction="pick up the banana").encode())[:64]
    # and the outputs equal the same weights run with the old behaviour configured explicitly
    legacy = GraspVLA(GraspVLAConfig.from_dict(_legacy_config_json(model.config)))
    legacy.load_state_dict(model.state_dict())
    s = make_sample(1)
    b = Collator(c, Normalizer.identity())([s])
    n = torch.randn(1, 4, 7, generator=torch.Generator().manual_seed(0))
    a = generate(loaded, b["images"], [s["instruction"]], b["proprio"], noise=n)
    r = generate(legacy.eval(), b["images"], [s["instruction"]], b["proprio"], noise=n)
    np.testing.assert_array_equal(a.actions, r.actions)
    np.testing.assert_array_equal(a.box, r.box)
    # saving again writes the fields explicitly
    save_pretrained(loaded, norm, tmp_path / "again")
    d = json.loads((tmp_path / "again" / "config.json").read_text())
    assert d["prompt_overflow"] == "truncate" and d["max_prompt_tokens"] == 64


def test_policy_postprocessing_runs_the_cpp_kernels_and_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    amin, amax = -rng.uniform(0.01, 0.1, 7), rng.uniform(0.01, 0.1, 7)
    norm = Normalizer(-np.ones(7), np.ones(7), amin, amax)
    torch.manual_seed(0)
    model = GraspVLA(GraspVLAConfig(image_size=64))
    x = rng.uniform(-1.3, 1.3, (3, 4, 7)).astype(np.float32)
    plain = GraspVLAPolicy(model, norm).postprocess_actions(x)
    np.testing.assert_allclose(plain, norm.action_inverse(x), rtol=0, atol=1e-15)
    lo, hi = amin * 0.5, amax * 0.5
    clamped = GraspVLAPolicy(model, norm, action_limits=(lo, hi)).postprocess_actions(x)
    np.testing.assert_allclose(clamped, np.clip(norm.action_inverse(x), lo, hi), rtol=0, atol=1e-15)
    fine = GraspVLAPolicy(model, norm, control_dt=0.1).postprocess_actions(x)  # 0.3 s -> 0.1 s: 4 -> 12
    assert fine.shape == (3, 12, 7)
    np.testing.assert_allclose(fine[..., :6].sum(1), plain[..., :6].sum(1), atol=1e-12)  # deltas preserved
    np.testing.assert_array_equal(fine[..., 6], np.repeat(plain[..., 6], 3, axis=1))  # gripper held
    with pytest.raises(InvalidInputError, match="action_limits"):
        GraspVLAPolicy(model, norm, action_limits=(hi, lo))
    # end to end: predict_action_chunk == generate + numpy un-normalisation (same noise)
    s = make_sample(0, size=64)
    obs = Observation(s["front"], s["side"], "pick up the mug", np.array([s["proprio"][1]]))
    pred = GraspVLAPolicy(model, norm, seed=5).predict_action_chunk(obs)
    images = images_to_tensor([s["front"], s["side"]], 64)[None]
    prop = torch.tensor(norm.proprio(np.stack([obs.proprio[0], obs.proprio[0]])), dtype=torch.float32)[None]
    ref = generate(model, images, ["pick up the mug"], prop, generator=torch.Generator().manual_seed(5))
    np.testing.assert_allclose(pred.actions, norm.action_inverse(ref.actions[0]), rtol=0, atol=1e-15)
