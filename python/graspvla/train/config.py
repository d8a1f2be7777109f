"""Training configuration."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TrainConfig:
    """Hyper-parameters and bookkeeping of one training run.

    Attributes:
        output_dir: checkpoints, logs and the final model go here.
        max_steps: optimiser steps to run in total (a resumed run continues to this).
        global_batch_size: samples per optimiser step summed over all ranks; must divide by
            the world size.
        lr: peak learning rate (GraspVLA reports 1.6e-4 at batch 384).
        warmup_steps: linear warm-up length, then cosine decay to ``min_lr_ratio * lr``.
        weight_decay: AdamW weight decay (not applied to biases and norms).
        grad_clip: global gradient-norm clip (1.0 in the original code).
        grounding_ratio: fraction of samples drawn from the grounding set (0 when none).
        freeze_vision: keep the vision towers frozen (the original's default).
        mixed_precision: "bf16" or "fp16" autocast on CUDA; ignored on CPU.
        checkpoint_every: steps between checkpoints (the last step always checkpoints).
        log_every: steps between log lines / TensorBoard scalars.
        eval_every: steps between calls of the evaluation hook (0 = never).
        seed: seeds data order, initialisation and flow-matching noise.
        num_workers: DataLoader workers per rank.
        parallel: under torchrun, ``"ddp"`` (every rank holds the whole model) or ``"fsdp"``
            (PyTorch FSDP2: parameters, gradients and optimiser state sharded over the ranks,
            for models that do not fit one device; checkpoints hold the gathered full state,
            so an FSDP run resumes under FSDP with any number of ranks). Ignored in one process.
    """

    output_dir: str = "outputs/train"
    max_steps: int = 1000
    global_batch_size: int = 16
    lr: float = 1.6e-4
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    grounding_ratio: float = 0.0
    freeze_vision: bool = True
    mixed_precision: str = "bf16"
    checkpoint_every: int = 200
    keep_checkpoints: int = 2
    log_every: int = 10
    eval_every: int = 0
    seed: int = 0
    num_workers: int = 0
    parallel: str = "ddp"
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self, world_size: int = 1) -> None:
        from graspvla.errors import InvalidInputError

        if self.max_steps <= 0:
            raise InvalidInputError(f"max_steps must be > 0, got {self.max_steps}")
        if self.global_batch_size <= 0 or self.global_batch_size % world_size:
            raise InvalidInputError(
                f"global_batch_size={self.global_batch_size} must be positive and divisible by "
                f"the world size {world_size}"
            )
        if not 0.0 <= self.grounding_ratio <= 1.0:
            raise InvalidInputError(f"grounding_ratio must be in [0, 1], got {self.grounding_ratio}")
        if self.parallel not in ("ddp", "fsdp"):
            raise InvalidInputError(f"parallel must be 'ddp' or 'fsdp', got {self.parallel!r}")
        if self.lr <= 0:
            raise InvalidInputError(f"lr must be > 0, got {self.lr}")
        if self.mixed_precision not in ("bf16", "fp16", "no"):
            raise InvalidInputError(f"mixed_precision must be bf16, fp16 or no, got {self.mixed_precision!r}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d
