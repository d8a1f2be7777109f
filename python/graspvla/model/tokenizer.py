"""Tokenisation: text (offline byte-level), and values as bin tokens.

Bins follow GraspVLA: ``bins = linspace(-1, 1, N)``; a value x in [-1, 1] becomes
``id = vocab_size - clip(digitize(x, bins), 1, N)`` (the last N ids of the base vocabulary);
decoding takes the midpoint of the bin's edges. Values outside [-1, 1] saturate.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

__all__ = ["BinTokenizer", "ByteTokenizer", "HFTextTokenizer", "PROMPT", "TextTokenizer", "load_text_tokenizer",
           "train_prompt_tokenizer"]

PROMPT = "In: What action should the robot take to {instruction}?\nOut: "


class ByteTokenizer:
    """UTF-8 bytes as ids 0..255, then BOS, EOS, PAD. Works offline, never downloads."""

    def __init__(self) -> None:
        self.bos_id, self.eos_id, self.pad_id = 256, 257, 258
        self.vocab_size = 259

    def encode(self, text: str, max_tokens: int | None = None) -> list[int]:
        """UTF-8 bytes; ``max_tokens`` keeps only the first ones (None: all)."""
        return list(text.encode("utf-8"))[:max_tokens]

    def decode(self, ids: list[int]) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


class HFTextTokenizer:
    """A ``tokenizer.json`` (Hugging Face ``tokenizers`` format: a real checkpoint's own, or a
    BPE trained on the fly) read from a local file; never downloads. BOS / EOS / PAD are
    looked up among its special tokens (``<s>``, ``</s>``, ``<PAD>`` / ``<pad>``; PAD falls
    back to EOS). Bin tokens are the last ``n_bins`` ids of the model's vocabulary as in
    GraspVLA (``config.vocab_size``, i.e. ``bin_base``); every text id must have a row in the
    model's embedding (``config.num_embeddings``)."""

    def __init__(self, path_or_json: str, from_string: bool = False) -> None:
        from tokenizers import Tokenizer

        from graspvla.errors import CheckpointError

        try:
            self.tok = Tokenizer.from_str(path_or_json) if from_string else Tokenizer.from_file(str(path_or_json))
        except Exception as exc:
            raise CheckpointError(f"tokenizer.json could not be read: {exc}") from exc
        vocab = self.tok.get_vocab(with_added_tokens=True)
        self.vocab_size = max(vocab.values()) + 1

        def find(*names: str) -> int | None:
            return next((vocab[n] for n in names if n in vocab), None)

        bos, eos = find("<s>", "<bos>", "[BOS]", "<|begin_of_text|>"), find("</s>", "<eos>", "[EOS]", "<|end_of_text|>")
        if bos is None or eos is None:
            raise CheckpointError("tokenizer.json: no BOS/EOS special tokens (<s>, </s>) found")
        pad = find("<PAD>", "<pad>", "[PAD]")
        self.bos_id, self.eos_id, self.pad_id = bos, eos, eos if pad is None else pad

    def encode(self, text: str, max_tokens: int | None = None) -> list[int]:
        """Token ids without special tokens; ``max_tokens`` keeps only the first ones (None: all)."""
        return self.tok.encode(text, add_special_tokens=False).ids[:max_tokens]

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(list(ids))

    def to_json(self) -> str:
        return self.tok.to_str()


TextTokenizer = ByteTokenizer | HFTextTokenizer


def load_text_tokenizer(directory) -> TextTokenizer:
    """``tokenizer.json`` in ``directory`` if present, else the built-in byte tokenizer."""
    from pathlib import Path

    f = Path(directory) / "tokenizer.json"
    return HFTextTokenizer(str(f)) if f.is_file() else ByteTokenizer()


def train_prompt_tokenizer(instructions: Iterable[str], max_vocab: int = 4096) -> HFTextTokenizer:
    """A byte-level BPE trained, offline, on the prompts of ``instructions`` (e.g.
    ``instruction_for(c)`` for every object category), with ``<s>``, ``</s>``, ``<PAD>`` as ids
    0-2. Merges never cross words and continue while any corpus word has more than one token
    (up to ``max_vocab``), so every word of the corpus (each category name, the template's
    words) becomes a single token; other text still encodes, as sub-words or bytes.

    Why: with the byte tokenizer, "mug" is three tokens spread over the 60-byte prompt, and a
    2-layer LM spends its depth composing them before it can look for the object. One token per
    name leaves the layers for matching it against the image tokens."""
    import tokenizers

    corpus = sorted({PROMPT.format(instruction=i) for i in instructions})
    if not corpus:
        from graspvla.errors import InvalidInputError

        raise InvalidInputError("train_prompt_tokenizer: no instructions")
    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=max_vocab, min_frequency=1, show_progress=False,
                                             special_tokens=["<s>", "</s>", "<PAD>"],
                                             initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    return HFTextTokenizer(tok.to_str(), from_string=True)


class BinTokenizer:
    """Maps normalised values in [-1, 1] to the last ``n_bins`` ids of a vocabulary."""

    def __init__(self, vocab_size: int, n_bins: int = 256) -> None:
        self.vocab_size, self.n_bins = vocab_size, n_bins
        self.bins = np.linspace(-1.0, 1.0, n_bins)

    @property
    def first_id(self) -> int:
        return self.vocab_size - self.n_bins

    def encode(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64)
        idx = np.clip(np.digitize(a, self.bins), 1, self.n_bins)
        return (self.vocab_size - idx).astype(np.int64)

    def decode(self, ids: np.ndarray | torch.Tensor) -> np.ndarray:
        y = self.vocab_size - np.asarray(ids, dtype=np.int64)
        y = np.clip(y, 1, self.n_bins)
        lo = self.bins[np.clip(y - 1, 0, self.n_bins - 1)]
        hi = self.bins[np.clip(y, 0, self.n_bins - 1)]
        return np.where(y >= self.n_bins, 1.0, 0.5 * (lo + hi))
