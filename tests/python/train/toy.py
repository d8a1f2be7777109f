"""A small deterministic regression model and dataset for trainer tests (importable by
subprocesses, so the kill/resume and DDP tests run the same code)."""

from __future__ import annotations

import time

import torch
from torch.utils.data import Dataset


class ToyDataset(Dataset):
    def __init__(self, n: int = 64, seed: int = 0, delay: float = 0.0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 8, generator=g)
        w = torch.randn(8, 3, generator=g)
        self.y = torch.tanh(self.x @ w)
        self.delay = delay

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if self.delay:
            time.sleep(self.delay)
        return {"x": self.x[i], "y": self.y[i]}


class ToyModel(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1234)
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 3))

    def compute_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        loss = torch.nn.functional.mse_loss(self.net(batch["x"]), batch["y"])
        return loss, {"mse": float(loss.detach())}


def flat_params(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])
