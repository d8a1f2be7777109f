"""Regenerates tests/golden/model_tiny.safetensors: the tiny preset's outputs on fixed inputs.
Run after an intentional change of the model's forward pass:
    python tests/golden/regenerate.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "python" / "model"))


def compute() -> dict[str, torch.Tensor]:
    from common import make_sample

    from graspvla.model import Collator, GraspVLA, Normalizer, generate, preset

    torch.manual_seed(0)
    model = GraspVLA(preset("tiny")).eval()
    batch = Collator(model.config, Normalizer.identity())([make_sample(0), make_sample(1, "grounding")])
    with torch.no_grad():
        loss, _ = model.compute_loss(batch)
        out = generate(model, batch["images"], ["pick up the mug"] * 2, batch["proprio"],
                       noise=torch.zeros(2, 4, 7))
    return {"loss": loss.detach().reshape(1), "actions": torch.from_numpy(out.actions).float(),
            "box": torch.from_numpy(out.box).float()}


if __name__ == "__main__":
    from safetensors.torch import save_file

    save_file(compute(), str(HERE / "model_tiny.safetensors"))
    print("wrote", HERE / "model_tiny.safetensors")
