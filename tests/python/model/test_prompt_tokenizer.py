"""The BPE trained on the prompts (``--text-tokenizer bpe``): one token per corpus word, any
other text still round-trips, and a model built with it trains, saves and reloads."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import torch

pytest.importorskip("tokenizers")

from graspvla.assets import category_names  # noqa: E402
from graspvla.data.episode import instruction_for  # noqa: E402
from graspvla.errors import InvalidInputError  # noqa: E402
from graspvla.model.tokenizer import PROMPT, HFTextTokenizer, train_prompt_tokenizer  # noqa: E402


def test_every_corpus_word_is_one_token_and_other_text_round_trips() -> None:
    cats = category_names()
    text = train_prompt_tokenizer(instruction_for(c) for c in cats)
    assert (text.bos_id, text.eos_id, text.pad_id) == (0, 1, 2)
    template = PROMPT.format(instruction="pick up the")
    base = len(text.encode(template))
    for c in cats:
        prompt = PROMPT.format(instruction=instruction_for(c))
        ids = text.encode(prompt)
        assert text.decode(ids) == prompt
        # each word of the name (as the byte-level pre-tokenizer splits it: "l-block" is 3) is one token
        words = text.tok.pre_tokenizer.pre_tokenize_str(" " + c)
        assert len(ids) == base + len(words), c
        assert all(len(text.encode((" " + c)[a:b])) == 1 for _, (a, b) in words)
    unseen = PROMPT.format(instruction="pick up the zébra-striped thing, 2nd from left")
    assert text.decode(text.encode(unseen)) == unseen  # sub-words / bytes, nothing lost
    with pytest.raises(InvalidInputError, match="no instructions"):
        train_prompt_tokenizer([])


def test_train_cli_bpe_builds_a_model_that_uses_and_saves_it(tmp_path: Path) -> None:
    from graspvla.cli.train import add_arguments, build_training
    from graspvla.data import GenerateConfig, generate
    from graspvla.model import from_pretrained, save_pretrained

    data = tmp_path / "d"
    generate(GenerateConfig(out=str(data), num_episodes=1, episodes_per_shard=1, source="test-scripted",
                            source_options={"image_size": 32, "frames": 6}, workers=1, progress=False))
    p = argparse.ArgumentParser()
    add_arguments(p)
    args = p.parse_args(["--data", str(data), "--text-tokenizer", "bpe", "--steps", "1", "--batch", "1",
                         "--workers", "0", "--out", str(tmp_path / "o")])
    model, normalizer, dataset, collate, _ = build_training(args)
    text = model.layout.text
    assert isinstance(text, HFTextTokenizer) and collate.layout.text is text
    assert model.config.text_vocab == text.vocab_size
    sample = dataset[0]
    task = sample["instruction"]
    # the dataset's own task is in the corpus: its words are single tokens
    assert len(text.encode(" " + task)) == len(text.tok.pre_tokenizer.pre_tokenize_str(" " + task))
    # the run directory keeps the tokenizer: a resumed run reads it instead of training another
    saved = tmp_path / "o" / "tokenizer.json"
    assert saved.read_text() == text.to_json()
    other = train_prompt_tokenizer(["pick up the zebra"])  # a tokenizer only the saved file has
    saved.write_text(other.to_json())
    again, *_ = build_training(args)
    assert again.layout.text.to_json() == other.to_json() and again.config.text_vocab == other.vocab_size
    loss, _ = model.compute_loss(collate([sample]))
    assert torch.isfinite(loss)
    save_pretrained(model, normalizer, tmp_path / "m")
    loaded, _ = from_pretrained(tmp_path / "m")
    assert isinstance(loaded.layout.text, HFTextTokenizer)
    assert loaded.layout.prompt(task) == model.layout.prompt(task)
