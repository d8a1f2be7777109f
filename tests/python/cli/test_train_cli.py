"""``graspvla train`` building blocks: with ``--init`` from a checkpoint that has its own text
tokenizer (tokenizer.json), the training batches are tokenised with that tokenizer, not the
built-in byte tokenizer."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import torch


def _bpe():
    tokenizers = pytest.importorskip("tokenizers")
    from graspvla.model.tokenizer import HFTextTokenizer

    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=360, special_tokens=["<s>", "</s>", "<PAD>"],
                                             initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([f"In: What action should the robot take to pick up the {o}?\nOut: "
                             for o in ("cube", "mug", "ball", "block")] * 10, trainer)
    return HFTextTokenizer(tok.to_str(), from_string=True)


def test_build_training_uses_the_models_text_tokenizer(tmp_path: Path) -> None:
    from graspvla.cli.train import add_arguments, build_training
    from graspvla.data import GenerateConfig, generate
    from graspvla.model import GraspVLA, GraspVLAConfig, Normalizer, save_pretrained
    from graspvla.model.tokenizer import HFTextTokenizer

    data = tmp_path / "d"
    generate(GenerateConfig(out=str(data), num_episodes=1, episodes_per_shard=1, source="test-scripted",
                            source_options={"image_size": 32, "frames": 6}, workers=1, progress=False))
    text = _bpe()
    cfg = GraspVLAConfig(image_size=64, text_vocab=text.vocab_size)
    torch.manual_seed(0)
    save_pretrained(GraspVLA(cfg, text), Normalizer.identity(), tmp_path / "init")

    p = argparse.ArgumentParser()
    add_arguments(p)
    args = p.parse_args(["--data", str(data), "--init", str(tmp_path / "init"), "--steps", "1", "--batch", "1",
                         "--workers", "0", "--out", str(tmp_path / "o")])
    model, normalizer, dataset, collate, _ = build_training(args)
    assert isinstance(model.layout.text, HFTextTokenizer)
    assert collate.layout.text is model.layout.text
    sample = dataset[0]
    batch = collate([sample])
    ids = batch["prefix"].ids[0].tolist()
    prompt = model.layout.prompt(sample["instruction"])
    start = 1 + model.layout.image_tokens  # after BOS and the image slots
    assert ids[0] == text.bos_id and ids[start:start + len(prompt)] == prompt
    from graspvla.model.tokenizer import PROMPT

    assert len(prompt) < len(PROMPT.format(instruction=sample["instruction"]).encode())  # BPE merges, not bytes
    loss, _ = model.compute_loss(batch)
    assert torch.isfinite(loss)


def _scripted_data(path: Path) -> Path:
    from graspvla.data import GenerateConfig, generate

    generate(GenerateConfig(out=str(path), num_episodes=2, episodes_per_shard=2, source="test-scripted",
                            source_options={"image_size": 32, "frames": 6}, workers=1, progress=False))
    return path


def test_target_point_needs_a_queried_keypoint_and_calibrated_data(tmp_path: Path) -> None:
    from graspvla.cli.train import add_arguments, build_training
    from graspvla.errors import InvalidInputError

    data = _scripted_data(tmp_path / "d")  # the scripted test source records no calibration
    p = argparse.ArgumentParser()
    add_arguments(p)
    common = ["--data", str(data), "--steps", "1", "--batch", "1", "--workers", "0", "--out", str(tmp_path / "o"),
              "--target-point"]
    with pytest.raises(InvalidInputError, match="queried keypoint"):
        build_training(p.parse_args(common + ["--preset", "tiny"]))
    with pytest.raises(InvalidInputError, match="calibration"):
        build_training(p.parse_args(common + ["--preset", "tiny-ground"]))


@pytest.mark.parametrize("train_vision", [False, True])
def test_finetune_trains_the_vision_towers_only_when_asked(tmp_path: Path, train_vision: bool) -> None:
    from graspvla.cli.main import main as cli
    from graspvla.model import GraspVLA, GraspVLAConfig, Normalizer, from_pretrained, save_pretrained
    from graspvla.model.config import VisionConfig

    data = _scripted_data(tmp_path / "d")
    torch.manual_seed(0)
    cfg = GraspVLAConfig(image_size=32, vision=(VisionConfig(width=32, depth=1, heads=2, patch_size=16),))
    save_pretrained(GraspVLA(cfg), Normalizer.identity(), tmp_path / "init")
    rc = cli(["finetune", "--init", str(tmp_path / "init"), "--data", str(data), "--out", str(tmp_path / "ft"),
              "--steps", "3", "--batch", "2", "--lora-rank", "2", "--lr", "1e-2"] + (["--train-vision"] if train_vision else []))
    assert rc == 0
    before, after = from_pretrained(str(tmp_path / "init"))[0], from_pretrained(str(tmp_path / "ft" / "model"))[0]
    tower = [k for k in before.state_dict() if k.startswith("towers.")]
    changed = [k for k in tower if not torch.equal(before.state_dict()[k], after.state_dict()[k])]
    assert bool(changed) == train_vision
    lm = [k for k in before.state_dict() if k.startswith("layers.") and k.endswith("q_proj.weight")]
    assert lm and any(not torch.equal(before.state_dict()[k], after.state_dict()[k]) for k in lm)  # LoRA merged
