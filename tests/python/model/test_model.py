"""The GraspVLA model: learning, generation paths agree, checkpoints, golden outputs, sizes."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from common import fit, make_sample  # noqa: E402

from graspvla.errors import CheckpointError, InvalidInputError  # noqa: E402
from graspvla.model import (  # noqa: E402
    Collator,
    GraspVLA,
    GraspVLAPolicy,
    Normalizer,
    Observation,
    from_pretrained,
    generate,
    preset,
    save_pretrained,
)
from graspvla.model.tokenizer import BinTokenizer  # noqa: E402

GOLDEN = Path(__file__).parents[2] / "golden" / "model_tiny.safetensors"


@pytest.fixture()
def model() -> GraspVLA:
    torch.manual_seed(0)
    return GraspVLA(preset("tiny"))


def test_bins_follow_graspvla_formula() -> None:
    tok = BinTokenizer(vocab_size=1000, n_bins=256)
    x = np.array([-1.5, -1.0, -0.3, 0.0, 0.999, 1.0, 2.0])
    ids = tok.encode(x)
    assert ids.min() >= 1000 - 256 and ids.max() <= 999
    dec = tok.decode(ids)
    assert dec[-1] == 1.0 and dec[-2] == 1.0  # top bin decodes to exactly 1, values > 1 saturate
    assert np.all(np.abs(dec[1:5] - x[1:5]) <= 1.0 / 255 + 1e-12)  # within half a bin width... of 2/255


def test_overfits_a_small_batch(model: GraspVLA) -> None:
    batch = Collator(model.config, Normalizer.identity())([make_sample(k) for k in range(3)] + [make_sample(3, "grounding")])
    first, last, metrics = fit(model, batch, 80, lr=2e-3)
    assert last < 0.1 * first, (first, last)
    assert "flow" in metrics


def test_grounding_only_batch_has_no_flow_loss(model: GraspVLA) -> None:
    batch = Collator(model.config, Normalizer.identity())([make_sample(0, "grounding")])
    _, metrics = model.compute_loss(batch)
    assert "flow" not in metrics and "ce_goal" not in metrics
    # a grounding sample supervises 8 box tokens and EOS: the box part is its CE without EOS
    labels = batch["prefix"].labels
    sup = (labels != -100).sum().item()
    assert sup == 9 and metrics["ce_box"] > 0


def test_ce_parts_average_to_the_total(model: GraspVLA) -> None:
    batch = Collator(model.config, Normalizer.identity())([make_sample(0), make_sample(1, "grounding")])
    _, m = model.compute_loss(batch)
    assert {"ce", "ce_box", "ce_goal", "flow"} <= set(m)
    # supervised: 8 box + 6 goal + EOS, and 8 box + EOS: 24 tokens, of which the 2 EOS are in neither part
    assert 16 * m["ce_box"] + 6 * m["ce_goal"] <= 24 * m["ce"] + 1e-4


def test_cached_equals_uncached_and_batch_equals_single(model: GraspVLA) -> None:
    model.eval()
    samples = [make_sample(k) for k in range(3)]
    batch = Collator(model.config, Normalizer.identity())(samples)
    instr = [s["instruction"] for s in samples]  # different prompt lengths: left padding
    noise = torch.randn(3, 4, 7, generator=torch.Generator().manual_seed(1))
    a = generate(model, batch["images"], instr, batch["proprio"], noise=noise)
    b = generate(model, batch["images"], instr, batch["proprio"], use_cache=False, noise=noise)
    np.testing.assert_allclose(a.actions, b.actions, atol=1e-5)
    np.testing.assert_array_equal(a.box, b.box)
    for k in range(3):
        s = generate(model, batch["images"][k:k + 1], instr[k:k + 1], batch["proprio"][k:k + 1], noise=noise[k:k + 1])
        np.testing.assert_allclose(s.actions[0], a.actions[k], atol=1e-5)
        np.testing.assert_array_equal(s.box[0], a.box[k])


def test_save_load_identical_and_key_report(model: GraspVLA, tmp_path: Path) -> None:
    norm = Normalizer.fit(np.random.default_rng(0).normal(size=(100, 7)), np.random.default_rng(1).normal(size=(100, 7)))
    save_pretrained(model, norm, tmp_path / "ckpt")
    loaded, norm2 = from_pretrained(tmp_path / "ckpt")
    np.testing.assert_array_equal(norm2.action_min, norm.action_min)
    obs = Observation(make_sample(0)["front"], make_sample(0)["side"], "pick up the mug", np.zeros((4, 7)))
    p1 = GraspVLAPolicy(model, norm, seed=3).predict_action_chunk(obs)
    p2 = GraspVLAPolicy(loaded, norm2, seed=3).predict_action_chunk(obs)
    np.testing.assert_array_equal(p1.actions, p2.actions)
    np.testing.assert_array_equal(p1.boxes, p2.boxes)
    assert p1.boxes.shape == (2, 4) and p1.grasp.shape == (6,) and p1.actions.shape == (4, 7)
    # a checkpoint with a renamed and a reshaped key is refused with a clear report
    from safetensors.torch import load_file, save_file

    state = load_file(str(tmp_path / "ckpt" / "model.safetensors"))
    state["bogus.weight"] = state.pop("action_out.weight")
    state["action_in.weight"] = torch.zeros(3, 3)
    save_file(state, str(tmp_path / "ckpt" / "model.safetensors"))
    with pytest.raises(CheckpointError, match="missing keys.*unexpected keys.*shape mismatches"):
        from_pretrained(tmp_path / "ckpt")
    with pytest.raises(CheckpointError, match="not found"):
        from_pretrained(tmp_path / "nothing")


def test_golden_outputs() -> None:
    from safetensors.torch import load_file

    sys.path.insert(0, str(GOLDEN.parent))
    from regenerate import compute

    ref, now = load_file(str(GOLDEN)), compute()
    for k in ref:
        torch.testing.assert_close(now[k], ref[k], atol=1e-5, rtol=1e-5, msg=f"golden {k} changed: rerun "
                                   "tests/golden/regenerate.py only if the change is intended")


def test_graspvla_preset_size() -> None:
    with torch.device("meta"):
        m = GraspVLA(preset("graspvla"))
    count = sum(p.numel() for p in m.parameters())
    # The original checkpoint holds ~3.156B parameters (12.62 GB fp32), of which ~0.19B are
    # the action expert's unused embedding and LM head, which we do not build.
    assert 2.85e9 < count < 3.1e9, count


def test_bad_input(model: GraspVLA) -> None:
    policy = GraspVLAPolicy(model, Normalizer.identity())
    img = make_sample(0)["front"]
    with pytest.raises(InvalidInputError, match="side"):
        policy.predict_action_chunk(Observation(img, None, "pick up", np.zeros((4, 7))))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="uint8"):
        policy.predict_action_chunk(Observation(img.astype(np.float32), img, "pick up", np.zeros((4, 7))))
    with pytest.raises(InvalidInputError, match="square"):
        policy.predict_action_chunk(Observation(img[:100], img, "pick up", np.zeros((4, 7))))
    with pytest.raises(InvalidInputError, match="NaN"):
        policy.predict_action_chunk(Observation(img, img, "pick up", np.full((4, 7), np.nan)))
    with pytest.raises(InvalidInputError, match="kind"):
        Collator(model.config, Normalizer.identity())([make_sample(0, "other")])


@pytest.mark.parametrize("name", ["tiny-conv", "tiny-kp", "tiny-film", "tiny-ground"])
def test_conv_stem_preset_learns_and_round_trips(tmp_path: Path, name: str) -> None:
    torch.manual_seed(0)
    m = GraspVLA(preset(name))
    assert all(v.stem == "conv" for v in m.config.vision)
    kp = m.config.vision[0].keypoints
    # the same 7x7 grid per camera, then the keypoint tokens
    assert m.image_tokens == GraspVLA(preset("tiny")).image_tokens + kp * len(m.config.cameras)
    batch = Collator(m.config, Normalizer.identity())([make_sample(k) for k in range(3)])
    opt = torch.optim.AdamW(m.parameters(), lr=2e-3)
    losses = []
    for _ in range(40):
        loss, metrics = m.compute_loss(batch)
        # the keypoint-map CE of tiny-ground has an entropy floor (random boxes span many cells);
        # it has its own test below
        losses.append(float(loss.detach()) - metrics.get("target_kp", 0.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[-1] < 0.3 * losses[0], losses
    # gradients reach the first convolution of both stems
    assert all(t.patch_embed.layers[0].weight.grad.abs().sum() > 0 for t in m.towers)
    if kp:  # and the keypoint heads (through the soft-argmax coordinates and pooled features)
        assert all(t.keypoints.head[0].weight.grad.abs().sum() > 0 for t in m.towers)
    if m.conditions_vision:  # and the instruction's FiLM maps
        assert all(t.film.weight.grad.abs().sum() > 0 for t in m.towers)
    save_pretrained(m, Normalizer.identity(), tmp_path / "c")
    loaded, _ = from_pretrained(tmp_path / "c")
    assert loaded.config.vision[0].stem == "conv"
    obs = Observation(make_sample(0)["front"], make_sample(0)["side"], "pick up the mug", np.zeros((4, 7)))
    p1 = GraspVLAPolicy(m, Normalizer.identity(), seed=1).predict_action_chunk(obs)
    p2 = GraspVLAPolicy(loaded, Normalizer.identity(), seed=1).predict_action_chunk(obs)
    np.testing.assert_array_equal(p1.actions, p2.actions)


def test_conv_stem_config_checks_and_legacy_configs_load_as_patch() -> None:
    from graspvla.model.config import GraspVLAConfig, VisionConfig

    with pytest.raises(ValueError, match="power-of-two"):
        GraspVLA(GraspVLAConfig(vision=(VisionConfig(stem="conv", patch_size=14),) * 2))
    with pytest.raises(ValueError, match="stem"):
        GraspVLA(GraspVLAConfig(vision=(VisionConfig(stem="pixels"),) * 2))
    with pytest.raises(ValueError, match="keypoints needs stem='conv'"):
        GraspVLA(GraspVLAConfig(vision=(VisionConfig(keypoints=4),) * 2))
    with pytest.raises(ValueError, match="same patch grid"):
        GraspVLA(GraspVLAConfig(vision=(VisionConfig(stem="conv", keypoints=4), VisionConfig(stem="conv"))))
    d = preset("tiny").to_dict()
    for v in d["vision"]:
        del v["stem"]  # a config.json written before the field existed
    assert GraspVLAConfig.from_dict(d).vision[0].stem == "patch"


def test_cli_preset_choices_match_presets() -> None:
    import argparse

    from graspvla.cli.train import add_arguments
    from graspvla.model.config import PRESETS

    p = argparse.ArgumentParser()
    add_arguments(p)
    choices = next(a.choices for a in p._actions if a.dest == "preset")
    assert tuple(choices) == PRESETS
    for name in PRESETS:
        preset(name)


def test_static_graph_runs_the_expert_with_zero_weight(model: GraspVLA) -> None:
    """FSDP needs every module in every step: a batch without action samples still runs the
    expert (zero gradients, not None) and the loss is unchanged."""
    batch = Collator(model.config, Normalizer.identity())([make_sample(k, "grounding") for k in range(2)])
    loss, metrics = model.compute_loss(batch)
    model.static_graph = True
    loss2, metrics2 = model.compute_loss(batch)
    assert loss2.item() == loss.item() and "flow" not in metrics2
    loss2.backward()
    g = model.action_out.weight.grad
    assert g is not None and float(g.abs().sum()) == 0.0
    assert float(model.lm_head.weight.grad.abs().sum()) > 0


def test_invisible_box_tokens_are_not_supervised(model: GraspVLA) -> None:
    from graspvla.model.layout import IGNORE

    s = make_sample(0)
    hidden = dict(s, bbox=np.stack([s["bbox"][0], np.zeros(4)]))  # the side camera misses it
    col = Collator(model.config, Normalizer.identity())
    full, part = col([s]).get("prefix").labels[0], col([hidden]).get("prefix").labels[0]
    sup_full, sup_part = (full != IGNORE).nonzero().squeeze(1), (part != IGNORE).nonzero().squeeze(1)
    assert len(sup_full) - len(sup_part) == 4
    # the 4 dropped labels are the side box's: positions 4..7 of the supervised run
    assert set(sup_full.tolist()) - set(sup_part.tolist()) == set(sup_full[4:8].tolist())


def test_spatial_keypoints_are_the_expected_cell_centres_and_pooled_features() -> None:
    """Soft-argmax against a hand-made score map: a sharp peak gives that cell's centre in
    [-1, 1] image coordinates (x right, y down) and its features; two equal peaks give their
    midpoint and the mean of their features."""
    from graspvla.model.layers import SpatialKeypoints

    torch.manual_seed(0)
    H = W = 8
    kp = SpatialKeypoints(c8=3, c16=2, width=16, k=2, freqs=2)
    scores = torch.full((1, 2, H, W), -1e4)
    scores[0, 0, 5, 2] = 0.0  # keypoint 0: row 5, column 2
    scores[0, 1, 1, 1] = scores[0, 1, 3, 7] = 0.0  # keypoint 1: two equal peaks

    class Scores(torch.nn.Module):
        def forward(self, f: torch.Tensor) -> torch.Tensor:
            return scores

    kp.head = Scores()  # type: ignore[assignment]
    f8, f16 = torch.randn(1, 3, H, W), torch.randn(1, 2, H // 2, W // 2)
    seen = {}
    kp.proj.register_forward_hook(lambda mod, inp, out: seen.update(enc=inp[0]))  # returns None: output kept
    out = kp(f8, f16)
    assert out.shape == (1, 2, 16)
    enc = seen["enc"][0]
    centre = lambda i: (i + 0.5) * 2 / H - 1  # noqa: E731
    torch.testing.assert_close(enc[0, :2], torch.tensor([centre(2), centre(5)]))
    torch.testing.assert_close(enc[1, :2], torch.tensor([(centre(1) + centre(7)) / 2, (centre(1) + centre(3)) / 2]))
    # sin / cos features of x, y at octaves pi, 2 pi
    x, y = centre(2), centre(5)
    ang = torch.tensor([x * math.pi, x * 2 * math.pi, y * math.pi, y * 2 * math.pi])
    torch.testing.assert_close(enc[0, 2:10], torch.cat([ang.sin(), ang.cos()]))
    up = torch.nn.functional.interpolate(f16, size=(H, W), mode="bilinear", align_corners=False)
    f = torch.cat([f8, up], 1)[0]
    torch.testing.assert_close(enc[0, 10:], f[:, 5, 2])
    torch.testing.assert_close(enc[1, 10:], (f[:, 1, 1] + f[:, 3, 7]) / 2)


def test_film_towers_see_the_instruction_the_same_way_in_training_and_generation() -> None:
    """``tiny-film``: zero-initialised FiLM is the plain stem; once trained, a different
    instruction changes the image tokens; the instruction vector of a training sequence equals
    that of the left-padded generation prefix of the same prompt, so both paths encode the images
    identically; cached and uncached generation agree, batched and single."""
    torch.manual_seed(0)
    m = GraspVLA(preset("tiny-film")).eval()
    plain = GraspVLA(preset("tiny-kp")).eval()
    plain.load_state_dict({k: v for k, v in m.state_dict().items() if ".film." not in k})
    samples = [make_sample(k) for k in range(3)]
    batch = Collator(m.config, Normalizer.identity())(samples)
    with torch.no_grad():
        torch.testing.assert_close(m.encode_images(batch["images"], batch["prefix"]),
                                   plain.encode_images(batch["images"]))
        for t in m.towers:
            torch.nn.init.normal_(t.film.weight, std=0.5)
        instr = [s["instruction"] for s in samples]

        def heads(texts: list[str]):  # noqa: ANN202  (generation prefixes, left-padded)
            return m.layout.pack([(m.layout.head(i), [-100] * len(m.layout.head(i))) for i in texts], left=True)

        torch.testing.assert_close(m.instruction_vector(batch["prefix"]), m.instruction_vector(heads(instr)))
        a = m.encode_images(batch["images"][:1], heads(instr[:1]))
        b = m.encode_images(batch["images"][:1], heads(["pick up the banana"]))
        assert instr[0] != "pick up the banana" and not torch.allclose(a, b)
    with pytest.raises(ValueError, match="pass prefix"):
        m.encode_images(batch["images"])
    noise = torch.randn(3, 4, 7, generator=torch.Generator().manual_seed(1))
    g1 = generate(m, batch["images"], instr, batch["proprio"], noise=noise)
    g2 = generate(m, batch["images"], instr, batch["proprio"], use_cache=False, noise=noise)
    np.testing.assert_allclose(g1.actions, g2.actions, atol=1e-5)
    for k in range(3):
        s = generate(m, batch["images"][k:k + 1], instr[k:k + 1], batch["proprio"][k:k + 1], noise=noise[k:k + 1])
        np.testing.assert_allclose(s.actions[0], g1.actions[k], atol=1e-5)
        np.testing.assert_array_equal(s.box[0], g1.box[k])


def test_unsupervised_pag_keeps_the_tokens_as_input_and_out_of_every_part() -> None:
    """``supervise_pag=False`` (a frame with the hand at the target): the same sequence, only
    EOS supervised; the per-part CEs come from ``label_parts``, so a batch with such a frame
    reports the box CE of its other samples alone (the model is per-sample: no batch norm, and
    right padding is behind the causal mask)."""
    from graspvla.model.layout import IGNORE, Layout

    torch.manual_seed(0)
    m = GraspVLA(preset("tiny"))
    col = Collator(m.config, Normalizer.identity())
    s = make_sample(0)
    off = dict(s, supervise_pag=False)
    on_b, off_b = col([s]), col([off])
    assert torch.equal(on_b["prefix"].ids, off_b["prefix"].ids)
    assert int((off_b["prefix"].labels != IGNORE).sum()) == 1  # EOS only
    assert bool(on_b["target_box_sup"].all()) and not bool(off_b["target_box_sup"].any())  # nor the keypoint map
    torch.testing.assert_close(on_b["target_boxes"][0], torch.from_numpy(s["bbox"] / 224 * 2 - 1).float())
    parts = on_b["label_parts"][0]
    assert [int((parts == k).sum()) for k in (Layout.PART_BOX, Layout.PART_GOAL, Layout.PART_EOS)] == [8, 6, 1]
    assert torch.equal(parts != Layout.PART_NONE, on_b["prefix"].labels[0] != IGNORE)
    g = make_sample(1, "grounding")
    with torch.no_grad():
        _, alone = m.compute_loss(col([g]))
        _, mixed = m.compute_loss(col([off, g]))
    assert "ce_goal" not in mixed
    assert mixed["ce_box"] == pytest.approx(alone["ce_box"], rel=1e-5)
    # a side camera that misses the target: its 4 box labels leave, the goal's 6 stay goal
    hidden = dict(s, bbox=np.stack([s["bbox"][0], np.zeros(4)]))
    parts = col([hidden])["label_parts"][0]
    assert [int((parts == k).sum()) for k in (Layout.PART_BOX, Layout.PART_GOAL)] == [4, 6]


def test_target_map_loss_is_the_cross_entropy_to_the_cells_in_the_box() -> None:
    from graspvla.model.graspvla import target_map_loss

    H = W = 4  # cell centres at -0.75, -0.25, 0.25, 0.75
    flat = torch.zeros(1, 1, H, W)
    box = torch.tensor([[[-1.0, -1.0, 0.0, 0.0]]])  # the top-left 2x2 cells
    sup = torch.ones(1, 1, dtype=torch.bool)
    assert float(target_map_loss(flat, box, sup)) == pytest.approx(math.log(16))
    peaked = torch.full((1, 1, H, W), -30.0)
    peaked[0, 0, :2, :2] = 0.0  # all the mass on the 4 box cells, evenly: CE = entropy = log 4
    assert float(target_map_loss(peaked, box, sup)) == pytest.approx(math.log(4), abs=1e-6)
    wrong = torch.full((1, 1, H, W), -30.0)
    wrong[0, 0, 3, 3] = 0.0
    assert float(target_map_loss(wrong, box, sup)) > 25
    tiny = torch.tensor([[[0.55, 0.55, 0.6, 0.6]]])  # no cell centre inside: the cell of its centre
    one = torch.full((1, 1, H, W), -30.0)
    one[0, 0, 3, 3] = 0.0
    assert float(target_map_loss(one, tiny, sup)) == pytest.approx(0.0, abs=1e-6)
    both = torch.cat([peaked, wrong], 1)  # an unsupervised view does not count
    mask = torch.tensor([[True, False]])
    assert float(target_map_loss(both, box.expand(1, 2, 4), mask)) == pytest.approx(math.log(4), abs=1e-6)
    assert float(target_map_loss(both, box.expand(1, 2, 4), torch.zeros(1, 2, dtype=torch.bool))) == 0.0


def test_target_map_loss_with_a_point_targets_it_bilinearly() -> None:
    """A view with a target point (the grasp's projection) trains the map on the four cells
    around it, weighted so that the map's expected position is the point itself."""
    from graspvla.model.graspvla import cell_centres, point_target, target_map_loss

    H = W = 4
    xs, ys = cell_centres(H, W, "cpu")
    X, Y = xs[None, :].expand(H, W).reshape(-1), ys[:, None].expand(H, W).reshape(-1)
    pts = torch.tensor([[0.1, -0.4], [-0.75, 0.25], [0.97, -0.99], [0.25, 0.6]])
    q = point_target(pts, H, W)
    assert torch.allclose(q.sum(-1), torch.ones(4))
    assert (q > 0).sum(-1).tolist()[:2] == [4, 1]  # between four centres / exactly on one
    expect = torch.stack([(q * X).sum(-1), (q * Y).sum(-1)], -1)
    inner = pts.abs().max(-1).values <= 0.75  # inside the outermost centres: exact
    assert torch.allclose(expect[inner], pts[inner], atol=1e-6)
    assert torch.allclose(expect[2], torch.tensor([0.75, -0.75]))  # beyond them: the corner cell
    # the point replaces the box for its view only; NaN = use the box
    box = torch.tensor([[[-1.0, -1.0, 0.0, 0.0], [-1.0, -1.0, 0.0, 0.0]]])
    sup = torch.ones(1, 2, dtype=torch.bool)
    on_point = torch.full((1, 2, H, W), -30.0)
    on_point[0, 0, 2, 0] = 0.0  # view 0: all mass on the cell centred at (-0.75, 0.25)
    on_point[0, 1, :2, :2] = 0.0  # view 1: evenly on the box
    points = torch.tensor([[[-0.75, 0.25], [float("nan"), float("nan")]]])
    assert float(target_map_loss(on_point, box, sup, points)) == pytest.approx(math.log(4) / 2, abs=1e-5)
    assert float(target_map_loss(on_point, box, sup)) > 10  # without the point, view 0 misses its box


def test_tiny_ground_keypoint_finds_the_object_the_instruction_names() -> None:
    """One image, two coloured squares, two instructions: trained on both, keypoint 0's
    strongest cell lies in the red square when asked for red and in the blue one for blue,
    which only the instruction (the keypoint's query) can decide."""
    from graspvla.model.config import GraspVLAConfig, VisionConfig

    torch.manual_seed(0)
    m = GraspVLA(preset("tiny-ground"))
    img = np.full((224, 224, 3), 128, np.uint8)
    img[40:80, 30:70] = (230, 30, 30)
    img[140:180, 150:190] = (30, 30, 230)
    red, blue = np.array([30, 40, 70, 80.0]), np.array([150, 140, 190, 180.0])
    samples = [dict(front=img, side=img, instruction=f"pick up the {c}", bbox=np.stack([b, b]), kind="grounding", seed=k)
               for k, (c, b) in enumerate((("red", red), ("blue", blue)))]
    batch = Collator(m.config, Normalizer.identity())(samples)
    fit(m, batch, 120, lr=3e-3)
    with torch.no_grad():
        _, maps = m.encode_images(batch["images"], batch["prefix"], target_maps=True)
    for mp in maps:
        assert mp is not None and mp.shape == (2, 2, 28, 28)
        for k, b in enumerate((red, blue)):
            cell = int(mp[k, 0].flatten().argmax())
            y, x = (cell // 28 + 0.5) * 8, (cell % 28 + 0.5) * 8
            assert b[0] <= x <= b[2] and b[1] <= y <= b[3], (k, x, y)
    with pytest.raises(ValueError, match="target_keypoint"):
        GraspVLA(GraspVLAConfig(vision=(VisionConfig(stem="conv", target_keypoint=1.0),) * 2))  # no keypoints


def test_attention_pooled_instruction_starts_as_the_mean_and_learns_to_weigh_tokens() -> None:
    from graspvla.model.layout import IGNORE

    torch.manual_seed(0)
    m = GraspVLA(preset("tiny-ground")).eval()
    assert m.config.instruction_pool == "attention"
    mean = GraspVLA(preset("tiny-film")).eval()
    mean.embed_tokens.load_state_dict(m.embed_tokens.state_dict())
    with torch.no_grad():  # the mean of unit-RMS embeddings: the same vector when they already are
        w = mean.embed_tokens.weight
        w /= w.pow(2).mean(-1, keepdim=True).sqrt()
        m.embed_tokens.weight.copy_(w)
    samples = [make_sample(k) for k in range(3)]
    batch = Collator(m.config, Normalizer.identity())(samples)
    with torch.no_grad():
        torch.testing.assert_close(m.instruction_vector(batch["prefix"]), mean.instruction_vector(batch["prefix"]))
        torch.nn.init.normal_(m.instruction_score.weight, std=1.0)
        heads = m.layout.pack([(m.layout.head(s["instruction"]), [IGNORE] * len(m.layout.head(s["instruction"])))
                               for s in samples], left=True)
        v = m.instruction_vector(batch["prefix"])
        torch.testing.assert_close(v, m.instruction_vector(heads))  # training sequence = generation prefix
        # by hand for sample 0: softmax of the scores over its text tokens
        ids = heads.ids[0][heads.key_mask[0] & ~heads.image_slots[0]]
        text = m.layout.text
        ids = ids[(ids != text.bos_id) & (ids != text.eos_id) & (ids != text.pad_id)]
        e = m.embed_tokens(ids)
        e = e / e.pow(2).mean(-1, keepdim=True).sqrt()
        w = m.instruction_score(e).squeeze(-1).softmax(0)
        torch.testing.assert_close(v[0], (w[:, None] * e).sum(0))
        assert not torch.allclose(v, mean.instruction_vector(batch["prefix"]))
