"""The training loop: joint loss, AdamW + warm-up/cosine, clipping, DDP, exact resume."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from graspvla.train.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from graspvla.train.config import TrainConfig
from graspvla.train.distributed import DistInfo, init_distributed
from graspvla.train.sampler import MixtureSampler
from graspvla.train.schedule import warmup_cosine

__all__ = ["LossModel", "TrainResult", "Trainer"]


class LossModel(Protocol):
    """What the trainer needs of a model."""

    def compute_loss(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]: ...


@dataclass
class TrainResult:
    """Outcome of :meth:`Trainer.train`."""

    steps: int
    final_loss: float
    losses: list[float] = field(default_factory=list)
    checkpoint: str | None = None
    seconds: float = 0.0


class _LossForward(torch.nn.Module):
    """Makes ``compute_loss`` the forward pass, so DDP's gradient hooks see it."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        return self.model.compute_loss(batch)  # type: ignore[operator]


class _StepBatches(Dataset):
    """Item ``i`` is the collated local batch of global step ``start + i``: the DataLoader's
    workers build batches in parallel and a resumed run starts exactly where it stopped."""

    def __init__(self, sampler: MixtureSampler, sources: Sequence[Dataset | None], collate: Callable,
                 start: int, stop: int, augment: Callable | None = None, seed: int = 0) -> None:
        self.sampler, self.sources, self.collate = sampler, sources, collate
        self.start, self.stop = start, stop
        self.augment, self.seed = augment, seed

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: int) -> Any:
        step = self.start + i
        samples = [self.sources[src][idx] for src, idx in self.sampler.local_batch(step)]  # type: ignore[index]
        if self.augment is not None:
            # one generator per (step, position in the global batch): the same draws however the
            # batch is split over ranks or workers, and again after a resume
            first = self.sampler.rank * self.sampler.local_batch_size
            samples = [self.augment(s, np.random.default_rng([self.seed, step, first + j, 0xA5]))
                       for j, s in enumerate(samples)]
        batch = self.collate(samples)
        if isinstance(batch, dict):
            batch["_step"] = step
        return batch


def _shard(root: torch.nn.Module, model: torch.nn.Module) -> None:
    """FSDP2: one shard unit per ``model.fsdp_units()`` (else per child module with parameters),
    then the root (``_LossForward``, whose forward is ``compute_loss``) takes what is left.

    Every rank must run every unit in every step, or the collectives hang: a model whose
    forward skips a branch on some batches (GraspVLA's action expert on a batch without action
    samples) gets ``static_graph = True`` and runs it anyway with zero weight."""
    import warnings

    from torch.distributed.fsdp import fully_shard

    # decoder layers return their K/V as views; nothing modifies them in place, which is the
    # case this warning is about
    warnings.filterwarnings("ignore", message=r"FSDP2-wrapped module .* returned a view tensor")
    units = list(model.fsdp_units()) if hasattr(model, "fsdp_units") else [
        m for m in model.children() if any(True for _ in m.parameters())]
    for unit in units:
        fully_shard(unit)
    fully_shard(root)
    if hasattr(model, "static_graph"):
        model.static_graph = True


def _share_cpu_cores(dist: DistInfo, num_workers: int) -> None:
    """On CPU, give the compute threads only the cores left after the DataLoader workers and the
    other local ranks: oversubscribed OpenMP threads spin in the kernel (measured here on 2
    cores with 1 worker: 0.3-0.6 steps/s vs 3.4 steps/s with one compute thread). An explicit
    OMP_NUM_THREADS from the user wins."""
    import os

    if dist.device.type != "cpu" or "OMP_NUM_THREADS" in os.environ:
        return
    local = int(os.environ.get("LOCAL_WORLD_SIZE", dist.world_size))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    want = max(1, cores // max(1, local) - num_workers)
    if torch.get_num_threads() > want:
        torch.set_num_threads(want)


def _to_device(obj: Any, device: torch.device) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_device(v, device) for v in obj]
    return obj


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "norm" in name.lower() or name.endswith(".bias") else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


class Trainer:
    """Trains a model with ``compute_loss(batch) -> (loss, metrics)``.

    Args:
        model: the module (e.g. ``graspvla.model.GraspVLA``).
        config: hyper-parameters; ``config.output_dir`` receives ``checkpoints/``,
            ``metrics.jsonl`` and TensorBoard event files.
        synthetic: map-style dataset of synthetic samples (boxes, grasp pose, actions).
        grounding: optional dataset of grounding samples (image, phrase, box).
        collate_fn: turns a list of samples into the batch dict ``compute_loss`` takes.
        eval_hook: ``hook(model, step) -> metrics`` called every ``config.eval_every`` steps
            on rank 0.
        augment: ``augment(sample, rng) -> sample`` applied to each sample before collation
            (e.g. :class:`graspvla.train.augment.Augmenter`), with a
            generator seeded by (seed, step, position in the global batch); picklable when
            ``config.num_workers`` > 0.

    Launch with ``torchrun --nproc_per_node N`` for DDP: each rank takes its slice of every
    global batch (see :class:`MixtureSampler`), so N ranks see the same samples per step as
    one process with the same ``global_batch_size``.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        config: TrainConfig,
        synthetic: Dataset | None,
        grounding: Dataset | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        eval_hook: Callable[[torch.nn.Module, int], dict[str, float]] | None = None,
        device: str | None = None,
        augment: Callable[[dict[str, Any], np.random.Generator], dict[str, Any]] | None = None,
    ) -> None:
        self.dist: DistInfo = init_distributed(device)
        config.validate(self.dist.world_size)
        self.config = config
        _share_cpu_cores(self.dist, config.num_workers)
        self.model = model.to(self.dist.device)
        if config.freeze_vision and hasattr(model, "freeze_vision"):
            model.freeze_vision()  # type: ignore[operator]
        self.synthetic, self.grounding = synthetic, grounding
        self.collate_fn = collate_fn or (lambda xs: torch.utils.data.default_collate(xs))
        self.eval_hook = eval_hook
        self.augment = augment
        self.out = Path(config.output_dir)
        self.ckpt_dir = self.out / "checkpoints"
        self.fsdp = self.dist.enabled and config.parallel == "fsdp"
        self._forward = _LossForward(self.model)
        if self.fsdp:  # before the optimiser: fully_shard swaps the parameters for sharded ones
            _shard(self._forward, self.model)
        torch.manual_seed(config.seed)
        self.optimizer = torch.optim.AdamW(
            _param_groups(self.model, config.weight_decay), lr=config.lr, betas=tuple(config.betas)
        )
        self.scheduler = warmup_cosine(self.optimizer, config.warmup_steps, config.max_steps, config.min_lr_ratio)
        self.sampler = MixtureSampler(
            len(synthetic) if synthetic is not None else 0,
            len(grounding) if grounding is not None else 0,
            config.global_batch_size,
            config.grounding_ratio,
            seed=config.seed,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
        )
        self.step = 0

    # -------------------------------------------------------------------------------------
    def resume(self, path: str | None = None) -> int:
        """Restores the newest (or the given) checkpoint; returns the step to continue from."""
        ckpt = Path(path) if path else latest_checkpoint(self.ckpt_dir)
        if ckpt is None:
            return 0
        self.step = load_checkpoint(ckpt, self.model, self.optimizer, self.scheduler,
                                    apply_state=self._scatter_state if self.fsdp else None)
        return self.step

    def _autocast(self) -> Any:
        dev = self.dist.device
        if dev.type == "cuda" and self.config.mixed_precision != "no":
            dtype = torch.bfloat16 if self.config.mixed_precision == "bf16" else torch.float16
            return torch.autocast("cuda", dtype=dtype)
        return torch.autocast("cpu", enabled=False)

    def train(self, resume: bool = True, stop_after: int | None = None) -> TrainResult:
        """Runs to ``config.max_steps`` (or ``stop_after`` more steps), checkpointing on the way.

        With ``resume`` the newest checkpoint in ``output_dir/checkpoints`` is restored first
        and training continues with identical data order and random state.
        """
        cfg = self.config
        if resume:
            self.resume()
        start = self.step
        stop = cfg.max_steps if stop_after is None else min(cfg.max_steps, start + stop_after)
        model: torch.nn.Module = self._forward
        if self.dist.enabled and not self.fsdp:
            model = torch.nn.parallel.DistributedDataParallel(
                model,
                device_ids=[self.dist.device.index] if self.dist.device.type == "cuda" else None,
                find_unused_parameters=True,
            )
        loader = DataLoader(
            _StepBatches(self.sampler, [self.synthetic, self.grounding], self.collate_fn, start, stop,
                          self.augment, cfg.seed),
            batch_size=None,
            shuffle=False,
            num_workers=cfg.num_workers,
            persistent_workers=False,
        )
        writer = self._writer() if self.dist.is_main else None
        log = (self.out / "metrics.jsonl").open("a") if self.dist.is_main else None
        bar = self._progress(start, stop)
        losses: list[float] = []
        scaler = torch.amp.GradScaler("cuda", enabled=self.dist.device.type == "cuda" and cfg.mixed_precision == "fp16")
        t0 = time.perf_counter()
        last_ckpt: Path | None = None
        model.train()
        for batch in loader:
            batch = _to_device(batch, self.dist.device)
            with self._autocast():
                loss, metrics = model(batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite loss {loss.item()} at step {self.step}; lower lr or check the data")
            self.optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(self.optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(
                [p for p in self.model.parameters() if p.requires_grad], cfg.grad_clip
            )
            scaler.step(self.optimizer)
            scaler.update()
            self.scheduler.step()
            self.step += 1
            value = float(loss.detach())
            losses.append(value)
            if self.dist.is_main and (self.step % cfg.log_every == 0 or self.step == stop):
                if hasattr(grad_norm, "full_tensor"):  # a DTensor under FSDP
                    grad_norm = grad_norm.full_tensor()
                record = {"step": self.step, "loss": value, "lr": self.scheduler.get_last_lr()[0],
                          "grad_norm": float(grad_norm), **{k: float(v) for k, v in metrics.items()}}
                if log:
                    log.write(json.dumps(record) + "\n")
                    log.flush()
                if writer:
                    for k, v in record.items():
                        if k != "step":
                            writer.add_scalar(f"train/{k}", v, self.step)
            if bar is not None:
                bar.set_postfix(loss=f"{value:.4f}")
                bar.update(1)
            if self.eval_hook and cfg.eval_every and self.step % cfg.eval_every == 0 and self.dist.is_main:
                model.eval()
                for k, v in self.eval_hook(self.model, self.step).items():
                    if writer:
                        writer.add_scalar(f"eval/{k}", v, self.step)
                model.train()
            if self.step % cfg.checkpoint_every == 0 or self.step == stop:
                last_ckpt = self._checkpoint()
        if bar is not None:
            bar.close()
        if log:
            log.close()
        if writer:
            writer.close()
        return TrainResult(
            steps=self.step,
            final_loss=losses[-1] if losses else math.nan,
            losses=losses,
            checkpoint=str(last_ckpt) if last_ckpt else None,
            seconds=time.perf_counter() - t0,
        )

    # -------------------------------------------------------------------------------------
    def full_model_state(self) -> dict[str, torch.Tensor]:
        """The model's full (unsharded) state dict on CPU. Under FSDP a collective: every rank
        must call it, and only rank 0 gets the tensors (the others an empty dict)."""
        if not self.fsdp:
            return {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        return get_model_state_dict(self.model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))

    def _scatter_state(self, model_state: dict[str, Any], optimizer_state: dict[str, Any] | None) -> None:
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            set_model_state_dict,
            set_optimizer_state_dict,
        )

        opts = StateDictOptions(full_state_dict=True)
        set_model_state_dict(self.model, model_state, options=opts)
        if optimizer_state is not None:
            set_optimizer_state_dict(self.model, self.optimizer, optimizer_state, options=opts)

    def _checkpoint(self) -> Path | None:
        path = None
        model_state = optimizer_state = None
        if self.fsdp:  # gathered on every rank (a collective), written by rank 0
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

            model_state = self.full_model_state()
            optimizer_state = get_optimizer_state_dict(
                self.model, self.optimizer, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        if self.dist.is_main:
            path = save_checkpoint(self.ckpt_dir, self.step, self.model, self.optimizer, self.scheduler,
                                   self.config.to_dict(), keep=self.config.keep_checkpoints,
                                   model_state=model_state, optimizer_state=optimizer_state)
        if self.dist.enabled:
            torch.distributed.barrier()
        return path

    def _writer(self) -> Any:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except Exception:  # tensorboard not installed: metrics.jsonl still has everything
            return None
        return SummaryWriter(log_dir=str(self.out / "tb"))

    def _progress(self, start: int, stop: int) -> Any:
        if not (self.config.progress and self.dist.is_main):
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        return tqdm(total=stop, initial=start, desc="train", unit="step", dynamic_ncols=True)
