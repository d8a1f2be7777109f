"""The token layout of Progressive Action Generation, and batch packing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from graspvla.model.config import GraspVLAConfig
from graspvla.model.tokenizer import PROMPT, BinTokenizer, ByteTokenizer

__all__ = ["IGNORE", "Layout", "Prefix"]

IGNORE = -100


@dataclass
class Prefix:
    """Token sequences for the LM (right-padded for training, left-padded for generation).

    ids (B, T) int64 (image slots hold 0); image_slots (B, T) bool; key_mask (B, T) bool
    (False on padding); positions (B, T) int64 (padding skipped); labels (B, T): the target
    of position p is token p + 1, IGNORE where unsupervised."""

    ids: torch.Tensor
    image_slots: torch.Tensor
    key_mask: torch.Tensor
    positions: torch.Tensor
    labels: torch.Tensor


class Layout:
    """``[BOS] [images] [prompt] [box x8] [proprio hist] [proprio cur] [goal x6] [EOS]``;
    without PAG (ablation) the box and goal tokens are absent."""

    def __init__(self, config: GraspVLAConfig, text: ByteTokenizer | None = None) -> None:
        config.validate()
        self.config = config
        self.text = text if text is not None else ByteTokenizer()
        # Every text id needs an embedding row. (GraspVLA's bins reuse the tail of the base text
        # vocab, and its <PAD> sits above the bins, inside the padded embedding.)
        if self.text.vocab_size > config.num_embeddings:
            from graspvla.errors import CheckpointError

            raise CheckpointError(f"text tokenizer has {self.text.vocab_size} ids but the model's embedding has "
                                  f"{config.num_embeddings} rows (embed_rows; bins end at bin_base "
                                  f"{config.vocab_size}): set text_vocab / embed_rows to match the tokenizer")
        self.bins = BinTokenizer(config.vocab_size, config.n_bins)
        patches = (config.image_size // config.vision[0].patch_size) ** 2 + config.vision[0].keypoints
        self.image_tokens = patches * len(config.cameras)

    def prompt(self, instruction: str) -> list[int]:
        """Text ids of ``PROMPT`` around ``instruction``, at most ``config.max_prompt_tokens``;
        a longer prompt follows ``config.prompt_overflow`` (see :class:`GraspVLAConfig`)."""
        c = self.config
        limit = c.max_prompt_tokens
        ids = self.text.encode(PROMPT.format(instruction=instruction))
        if len(ids) <= limit:
            return ids
        if c.prompt_overflow == "truncate":  # legacy: the end of the prompt (its "Out: " cue) is cut
            return ids[:limit]
        from graspvla.errors import InvalidInputError

        template = len(self.text.encode(PROMPT.format(instruction="")))
        if c.prompt_overflow == "error" or template > limit:
            raise InvalidInputError(
                f"instruction {instruction[:40]!r}...: the prompt is {len(ids)} tokens, more than max_prompt_tokens "
                f"= {limit} (the template alone takes {template}); shorten the instruction, or use a config with a "
                "larger max_prompt_tokens or prompt_overflow='truncate_instruction'")
        # truncate_instruction: the longest prefix of the instruction (in characters, so UTF-8
        # and BPE merges stay valid) whose whole prompt fits; the template is never cut.
        lo, hi = 0, len(instruction)  # fits(lo) holds, fits(hi) does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if len(self.text.encode(PROMPT.format(instruction=instruction[:mid]))) <= limit:
                lo = mid
            else:
                hi = mid
        return self.text.encode(PROMPT.format(instruction=instruction[:lo]))

    def head(self, instruction: str) -> list[int]:
        """BOS, image slots (-1) and the prompt: the part every sample starts with."""
        return [self.text.bos_id] + [-1] * self.image_tokens + self.prompt(instruction)

    #: ``parts`` codes of :meth:`sample_parts`: what the label at a position predicts
    PART_NONE, PART_BOX, PART_GOAL, PART_EOS = 0, 1, 2, 3

    def sample(self, instruction: str, box_norm: np.ndarray | None, proprio_norm: np.ndarray | None,
               goal_norm: np.ndarray | None, box_visible: tuple[bool, ...] | None = None,
               goal_supervised: bool = True) -> tuple[list[int], list[int]]:
        """(ids, labels) for training: labels[p] = ids[p + 1] where ids[p + 1] is supervised.

        ``box_visible`` (one flag per camera, default all True): the 4 box tokens of a camera
        that does not see the target stay in the sequence but are not supervised.
        ``goal_supervised=False`` likewise keeps the grasp-pose tokens as input only."""
        ids, labels, _ = self.sample_parts(instruction, box_norm, proprio_norm, goal_norm, box_visible,
                                           goal_supervised)
        return ids, labels

    def sample_parts(self, instruction: str, box_norm: np.ndarray | None, proprio_norm: np.ndarray | None,
                     goal_norm: np.ndarray | None, box_visible: tuple[bool, ...] | None = None,
                     goal_supervised: bool = True, goal_input_norm: np.ndarray | None = None,
                     ) -> tuple[list[int], list[int], list[int]]:
        """:meth:`sample` plus ``parts``: per label position, ``PART_BOX`` / ``PART_GOAL`` /
        ``PART_EOS`` for a supervised label of that kind, else ``PART_NONE`` (for per-part losses).
        ``goal_input_norm``: the grasp-pose tokens of the input sequence come from this goal
        instead, while their labels stay those of ``goal_norm`` (``expert_goal_noise``)."""
        c = self.config
        ids = self.head(instruction)
        sup = [False] * len(ids)
        kind = [self.PART_NONE] * len(ids)
        if c.use_pag and box_norm is not None:
            ids += self.bins.encode(np.asarray(box_norm).reshape(-1)).tolist()
            vis = box_visible if box_visible is not None else (True,) * 2
            sup += [bool(v) for v in vis for _ in range(4)]
            kind += [self.PART_BOX] * (4 * len(vis))
        if proprio_norm is not None:
            ids += self.bins.encode(np.asarray(proprio_norm).reshape(-1)).tolist()
            sup += [False] * int(np.asarray(proprio_norm).size)
            kind += [self.PART_NONE] * int(np.asarray(proprio_norm).size)
            if c.use_pag and goal_norm is not None:
                ids += self.bins.encode(np.asarray(goal_norm).reshape(-1)).tolist()
                sup += [bool(goal_supervised)] * c.goal_dim
                kind += [self.PART_GOAL] * c.goal_dim
        ids.append(self.text.eos_id)
        sup.append(True)
        kind.append(self.PART_EOS)
        n = len(ids)
        labels = [ids[p + 1] if p + 1 < n and sup[p + 1] else IGNORE for p in range(n)]
        parts = [kind[p + 1] if p + 1 < n and sup[p + 1] else self.PART_NONE for p in range(n)]
        if goal_input_norm is not None and c.use_pag and proprio_norm is not None and goal_norm is not None:
            at = n - 1 - c.goal_dim  # the goal tokens sit just before EOS
            ids[at:n - 1] = self.bins.encode(np.asarray(goal_input_norm).reshape(-1)).tolist()
        return ids, labels, parts

    def pack(self, seqs: list[tuple[list[int], list[int]]], left: bool = False) -> Prefix:
        T = max(len(s[0]) for s in seqs)
        B = len(seqs)
        ids = torch.full((B, T), self.text.pad_id, dtype=torch.long)
        labels = torch.full((B, T), IGNORE, dtype=torch.long)
        mask = torch.zeros((B, T), dtype=torch.bool)
        for i, (s, lab) in enumerate(seqs):
            n = len(s)
            sl = slice(T - n, T) if left else slice(0, n)
            ids[i, sl] = torch.tensor(s, dtype=torch.long)
            labels[i, sl] = torch.tensor(lab, dtype=torch.long)
            mask[i, sl] = True
        slots = ids == -1
        positions = (mask.long().cumsum(1) - 1).clamp(min=0)
        return Prefix(ids.clamp(min=0), slots, mask, positions, labels)
