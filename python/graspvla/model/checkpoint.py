"""Local checkpoints: ``model.safetensors`` + ``config.json`` + ``normalizer.json`` (+
``tokenizer.json`` when the model uses a tokenizers-format text tokenizer) side by side. Never touches the network. Loading reports missing / unexpected keys and shape
mismatches instead of silently ignoring them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from graspvla.errors import CheckpointError
from graspvla.model.config import GraspVLAConfig
from graspvla.model.graspvla import GraspVLA
from graspvla.model.normalize import Normalizer

__all__ = ["from_pretrained", "load_state_dict_checked", "save_pretrained"]


def save_pretrained(model: GraspVLA, normalizer: Normalizer, directory: str | os.PathLike[str],
                    extra: dict | None = None) -> Path:
    from safetensors.torch import save_file

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    tmp = d / "model.safetensors.tmp"
    save_file(state, str(tmp), metadata={"format": "pt", "library": "graspvla"})
    os.replace(tmp, d / "model.safetensors")
    model.config.save(d / "config.json")
    to_json = getattr(model.layout.text, "to_json", None)
    if to_json is not None:  # a tokenizers-format text tokenizer travels with the weights
        (d / "tokenizer.json").write_text(to_json())
    normalizer.save(d / "normalizer.json")
    if extra:
        (d / "training_info.json").write_text(json.dumps(extra, indent=2, default=str))
    return d


def load_state_dict_checked(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str = "") -> None:
    """Strict load that lists every missing / unexpected key (grouped over layer indices) and
    every shape mismatch in one :class:`CheckpointError` instead of loading part of the model."""
    from graspvla.model.convert import group_keys

    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
                    for k in set(own) & set(state) if tuple(state[k].shape) != tuple(own[k].shape))
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys {group_keys(missing)}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys {group_keys(unexpected)}")
        if shapes:
            parts.append(f"{len(shapes)} shape mismatches {shapes}")
        raise CheckpointError(f"{source}: " + "; ".join(parts) + ". Is the config.json the one the weights were "
                              "trained with?")
    model.load_state_dict(state, strict=True)


def from_pretrained(directory: str | os.PathLike[str], device: str = "cpu") -> tuple[GraspVLA, Normalizer]:
    """Loads a model saved by :func:`save_pretrained` from a local directory."""
    from safetensors.torch import load_file

    d = Path(directory)
    for name in ("config.json", "model.safetensors", "normalizer.json"):
        if not (d / name).is_file():
            raise CheckpointError(f"{d / name} not found: a graspvla checkpoint has config.json, model.safetensors "
                                  "and normalizer.json side by side")
    config = GraspVLAConfig.load(d / "config.json")
    from graspvla.model.tokenizer import load_text_tokenizer

    model = GraspVLA(config, load_text_tokenizer(d))
    try:
        state = load_file(str(d / "model.safetensors"), device=device)
    except Exception as exc:
        raise CheckpointError(f"{d / 'model.safetensors'} could not be read: {exc}") from exc
    load_state_dict_checked(model, state, str(d / "model.safetensors"))
    return model.to(device).eval(), Normalizer.load(d / "normalizer.json")
