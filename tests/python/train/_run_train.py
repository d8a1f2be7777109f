"""Subprocess entry for trainer tests: `python _run_train.py OUT MAX_STEPS [DELAY [PARALLEL [STOP_AFTER]]]`.
Under torchrun-style env vars (WORLD_SIZE/RANK/MASTER_ADDR/MASTER_PORT) it runs DDP, or FSDP
with PARALLEL=fsdp; STOP_AFTER stops after that many steps (a resumable partial run)."""

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
parallel = sys.argv[4] if len(sys.argv) > 4 else "ddp"
stop_after = int(sys.argv[5]) if len(sys.argv) > 5 else None
cfg = TrainConfig(output_dir=out, max_steps=max_steps, global_batch_size=8, lr=1e-2, warmup_steps=3,
                  checkpoint_every=5, progress=False, log_every=1, parallel=parallel)
trainer = Trainer(ToyModel(), cfg, ToyDataset(delay=delay), device="cpu")
trainer.train(stop_after=stop_after)
if parallel == "fsdp" and trainer.dist.enabled:  # really sharded: each rank holds half of each weight
    p = next(trainer.model.parameters())
    assert type(p).__name__ == "DTensor" and p.to_local().numel() * 2 == p.numel(), (type(p), p.shape)
state = trainer.full_model_state()  # a collective under FSDP
if trainer.dist.is_main:
    torch.save(torch.cat([v.reshape(-1) for v in state.values()]), Path(out) / "final_params.pt")
if trainer.dist.enabled:
    # both ranks done before either tears gloo down: a rank destroying its group while the peer
    # still talks to it aborted once in CI ("terminate called without an active exception")
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
