"""Low-rank adaptation (LoRA) for few-shot post-training.

``apply_lora`` replaces selected ``nn.Linear`` layers by :class:`LoRALinear`, which keeps the
frozen base weight W and learns ``B @ A`` (rank r) so the layer computes
``x W^T + (alpha / r) * x A^T B^T``. B starts at zero, so the adapted model initially equals
the base model exactly. ``merge_lora`` folds the update back into plain ``nn.Linear`` layers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import torch
from torch import nn

__all__ = ["LoRALinear", "apply_lora", "lora_parameters", "merge_lora"]


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable rank-``r`` update."""

    def __init__(self, base: nn.Linear, rank: int = 8, alpha: float = 16.0, dropout: float = 0.0) -> None:
        super().__init__()
        if rank <= 0:
            raise ValueError(f"LoRA rank must be > 0, got {rank}")
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.rank, self.scale = rank, alpha / rank
        dev, dt = base.weight.device, base.weight.dtype
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features, device=dev, dtype=dt))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank, device=dev, dtype=dt))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    @property
    def weight(self) -> torch.Tensor:  # lets code that reads .weight (e.g. dtype checks) keep working
        return self.base.weight

    @property
    def bias(self) -> torch.Tensor | None:
        return self.base.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.dropout(x) @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    def merged(self) -> nn.Linear:
        out = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None,
                        device=self.base.weight.device, dtype=self.base.weight.dtype)
        with torch.no_grad():
            out.weight.copy_(self.base.weight + self.scale * self.lora_b @ self.lora_a)
            if self.base.bias is not None:
                out.bias.copy_(self.base.bias)
        return out


def apply_lora(model: nn.Module, target: str | Iterable[str] = r".*", rank: int = 8, alpha: float = 16.0,
               dropout: float = 0.0, freeze_rest: bool = True) -> list[str]:
    """Wraps every ``nn.Linear`` whose qualified name matches ``target`` (a regex or a list of
    regexes). With ``freeze_rest`` all other parameters are frozen. Returns the wrapped names."""
    patterns = [re.compile(target)] if isinstance(target, str) else [re.compile(t) for t in target]
    if freeze_rest:
        for p in model.parameters():
            p.requires_grad_(False)
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and any(p.fullmatch(n) for p in patterns)]
    if not names:
        raise ValueError(f"apply_lora: no nn.Linear layer matches {target!r}")
    for name in names:
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attr, LoRALinear(getattr(parent, attr), rank, alpha, dropout))
    return names


def lora_parameters(model: nn.Module) -> list[nn.Parameter]:
    return [p for m in model.modules() if isinstance(m, LoRALinear) for p in (m.lora_a, m.lora_b)]


def merge_lora(model: nn.Module) -> int:
    """Replaces every :class:`LoRALinear` by its merged ``nn.Linear``; returns how many."""
    names = [n for n, m in model.named_modules() if isinstance(m, LoRALinear)]
    for name in names:
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attr, getattr(parent, attr).merged())
    return len(names)
