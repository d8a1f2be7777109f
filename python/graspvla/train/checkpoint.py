"""Training checkpoints: everything needed for an exact resume, written atomically."""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graspvla.errors import CheckpointError

__all__ = ["latest_checkpoint", "load_checkpoint", "save_checkpoint"]

_STATE_FILE = "trainer_state.pt"


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    directory: str | os.PathLike[str],
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    config: dict[str, Any],
    keep: int = 2,
    model_state: dict[str, Any] | None = None,
    optimizer_state: dict[str, Any] | None = None,
) -> Path:
    """Writes ``<directory>/step-XXXXXXXX/`` atomically (temp dir + rename) and prunes all but
    the newest ``keep`` checkpoints. Returns the checkpoint path.

    ``model_state`` / ``optimizer_state`` replace ``model.state_dict()`` / ``optimizer.state_dict()``
    (a sharded run passes its gathered full state)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:08d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".step-{step:08d}-", dir=root))
    try:
        torch.save(
            {
                "step": step,
                "model": model.state_dict() if model_state is None else model_state,
                "optimizer": optimizer.state_dict() if optimizer_state is None else optimizer_state,
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "rng": _rng_state(),
            },
            tmp / _STATE_FILE,
        )
        (tmp / "config.json").write_text(json.dumps(config, indent=2, default=str))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    existing = sorted(p for p in root.glob("step-*") if p.is_dir())
    for old in existing[: max(0, len(existing) - keep)]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(directory: str | os.PathLike[str]) -> Path | None:
    """The newest complete checkpoint under ``directory`` (temp dirs are ignored)."""
    root = Path(directory)
    if not root.is_dir():
        return None
    done = sorted(p for p in root.glob("step-*") if (p / _STATE_FILE).is_file())
    return done[-1] if done else None


def load_checkpoint(
    path: str | os.PathLike[str],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    restore_rng: bool = True,
    apply_state: Any = None,
) -> int:
    """Restores a checkpoint written by :func:`save_checkpoint`; returns its step.

    ``apply_state(model_state, optimizer_state)``, when given, loads the model and optimiser
    states instead of ``load_state_dict`` (a sharded run scatters the full state)."""
    file = Path(path) / _STATE_FILE
    if not file.is_file():
        raise CheckpointError(f"{file} not found: not a graspvla training checkpoint")
    try:
        state = torch.load(file, map_location="cpu", weights_only=False)
    except Exception as exc:  # truncated or corrupt file
        raise CheckpointError(f"{file} could not be read ({exc}); delete it to resume from an older one") from exc
    if apply_state is not None:
        apply_state(state["model"], state["optimizer"] if optimizer is not None else None)
        missing, unexpected = [], []
    else:
        missing, unexpected = model.load_state_dict(state["model"], strict=False)
    if missing or unexpected:
        raise CheckpointError(f"{file}: missing keys {list(missing)[:8]}, unexpected keys {list(unexpected)[:8]}")
    if optimizer is not None and apply_state is None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state.get("scheduler") is not None:
        scheduler.load_state_dict(state["scheduler"])
    if restore_rng:
        _set_rng_state(state["rng"])
    return int(state["step"])
