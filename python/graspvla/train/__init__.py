"""Training: one process on CPU/GPU or many with torchrun (DDP), exact resume.

The trainer is model-agnostic: anything with ``compute_loss(batch) -> (loss, metrics)``
trains, which is how ``graspvla.model.GraspVLA`` plugs in.
"""

from __future__ import annotations

from graspvla.train.checkpoint import load_checkpoint, save_checkpoint
from graspvla.train.config import TrainConfig
from graspvla.train.lora import LoRALinear, apply_lora, lora_parameters, merge_lora
from graspvla.train.sampler import MixtureSampler
from graspvla.train.schedule import warmup_cosine
from graspvla.train.trainer import Trainer, TrainResult

__all__ = [
    "LoRALinear",
    "MixtureSampler",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "apply_lora",
    "load_checkpoint",
    "lora_parameters",
    "merge_lora",
    "save_checkpoint",
    "warmup_cosine",
]
