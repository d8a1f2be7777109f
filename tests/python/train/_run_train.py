"""Subprocess entry for trainer tests: `python _run_train.py OUT MAX_STEPS [DELAY]`.
Under torchrun-style env vars (WORLD_SIZE/RANK/MASTER_ADDR/MASTER_PORT) it runs DDP."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from toy import ToyDataset, ToyModel, flat_params  # noqa: E402

from graspvla.train import TrainConfig, Trainer  # noqa: E402

torch.set_num_threads(1)
out, max_steps = sys.argv[1], int(sys.argv[2])
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
cfg = TrainConfig(output_dir=out, max_steps=max_steps, global_batch_size=8, lr=1e-2, warmup_steps=3,
                  checkpoint_every=5, progress=False, log_every=1)
trainer = Trainer(ToyModel(), cfg, ToyDataset(delay=delay), device="cpu")
trainer.train()
if trainer.dist.is_main:
    torch.save(flat_params(trainer.model), Path(out) / "final_params.pt")
if trainer.dist.enabled:
    torch.distributed.destroy_process_group()
