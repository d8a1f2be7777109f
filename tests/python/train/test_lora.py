from __future__ import annotations

import pytest
import torch
from torch import nn

from graspvla.train.lora import LoRALinear, apply_lora, lora_parameters, merge_lora


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))


def test_lora_starts_equal_trains_only_adapters_and_merges() -> None:
    model = _mlp()
    x = torch.randn(64, 6)
    y = torch.randn(64, 2)
    ref = model(x).detach()
    base_weights = {k: v.clone() for k, v in model.state_dict().items()}
    wrapped = apply_lora(model, target=[r"0", r"4"], rank=4)
    assert wrapped == ["0", "4"] and isinstance(model[0], LoRALinear)
    assert torch.equal(model(x), ref)  # B = 0 at start
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert {id(p) for p in trainable} == {id(p) for p in lora_parameters(model)}
    opt = torch.optim.Adam(trainable, lr=1e-2)
    first = None
    for _ in range(200):
        loss = nn.functional.mse_loss(model(x), y)
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.8 * first
    # frozen base weights untouched
    assert torch.equal(model[2].weight, base_weights["2.weight"])
    assert torch.equal(model[0].base.weight, base_weights["0.weight"])
    out = model(x).detach()
    assert merge_lora(model) == 2 and isinstance(model[0], nn.Linear)
    torch.testing.assert_close(model(x), out, atol=1e-5, rtol=1e-5)


def test_lora_rejects_no_match_and_bad_rank() -> None:
    with pytest.raises(ValueError, match="no nn.Linear"):
        apply_lora(_mlp(), target="nothing")
    with pytest.raises(ValueError, match="rank"):
        LoRALinear(nn.Linear(2, 2), rank=0)
