"""Trainer: loss falls, exact resume (in-process and after SIGKILL), DDP == single process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from toy import ToyDataset, ToyModel, flat_params  # noqa: E402

from graspvla.errors import InvalidInputError  # noqa: E402
from graspvla.train import MixtureSampler, TrainConfig, Trainer  # noqa: E402

HERE = Path(__file__).parent


def _cfg(tmp: Path, **kw: object) -> TrainConfig:
    base = dict(output_dir=str(tmp), max_steps=20, global_batch_size=8, lr=1e-2, warmup_steps=3,
                checkpoint_every=5, progress=False, log_every=1)
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_loss_falls_and_files_written(tmp_path: Path) -> None:
    trainer = Trainer(ToyModel(), _cfg(tmp_path, max_steps=60), ToyDataset(), device="cpu")
    res = trainer.train()
    assert res.steps == 60
    assert sum(res.losses[-5:]) / 5 < 0.3 * sum(res.losses[:5]) / 5
    assert (tmp_path / "metrics.jsonl").read_text().count("\n") == 60
    assert res.checkpoint is not None and Path(res.checkpoint).name == "step-00000060"
    # only `keep_checkpoints` newest are kept
    assert len(list((tmp_path / "checkpoints").glob("step-*"))) == 2


def test_resume_in_process_is_exact(tmp_path: Path) -> None:
    full = Trainer(ToyModel(), _cfg(tmp_path / "a"), ToyDataset(), device="cpu")
    full.train()
    part = Trainer(ToyModel(), _cfg(tmp_path / "b"), ToyDataset(), device="cpu")
    part.train(stop_after=10)
    resumed = Trainer(ToyModel(), _cfg(tmp_path / "b"), ToyDataset(), device="cpu")
    assert resumed.resume() == 10
    resumed.train()
    assert torch.equal(flat_params(full.model), flat_params(resumed.model))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"
    return env


def test_kill_and_resume_matches_uninterrupted(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(HERE / "_run_train.py"), str(out), "30", "0.01"], env=_env())
    try:
        deadline = time.monotonic() + 120
        while not (out / "checkpoints" / "step-00000010").is_dir():
            assert proc.poll() is None, "training subprocess exited before it could be killed"
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert not (out / "final_params.pt").exists(), "the run finished before it was killed"
    subprocess.run([sys.executable, str(HERE / "_run_train.py"), str(out), "30"], env=_env(), check=True)
    ref = tmp_path / "ref"
    subprocess.run([sys.executable, str(HERE / "_run_train.py"), str(ref), "30"], env=_env(), check=True)
    assert torch.equal(torch.load(out / "final_params.pt"), torch.load(ref / "final_params.pt"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(out: Path, steps: int, parallel: str, stop_after: int | None = None) -> None:
    port = _free_port()
    procs = []
    for rank in range(2):
        env = _env()
        env.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                   MASTER_PORT=str(port))
        args = [str(out), str(steps), "0", parallel] + ([str(stop_after)] if stop_after else [])
        procs.append(subprocess.Popen([sys.executable, str(HERE / "_run_train.py"), *args], env=env))
    for p in procs:
        assert p.wait(timeout=180) == 0


def _single(out: Path, steps: int) -> torch.Tensor:
    subprocess.run([sys.executable, str(HERE / "_run_train.py"), str(out), str(steps)], env=_env(), check=True)
    return torch.load(out / "final_params.pt")


def test_ddp_two_processes_equal_single_process(tmp_path: Path) -> None:
    _launch(tmp_path / "ddp", 12, "ddp")
    single = _single(tmp_path / "single", 12)
    ddp = torch.load(tmp_path / "ddp" / "final_params.pt")
    assert torch.allclose(ddp, single, atol=1e-6, rtol=1e-5)
    assert not torch.equal(ddp, flat_params(ToyModel()))  # it trained


def test_fsdp_two_processes_equal_single_process_and_resume(tmp_path: Path) -> None:
    # sharded parameters, gradients and optimiser state give the single-process result ...
    _launch(tmp_path / "fsdp", 12, "fsdp")
    single = _single(tmp_path / "single", 12)
    fsdp = torch.load(tmp_path / "fsdp" / "final_params.pt")
    assert torch.allclose(fsdp, single, atol=1e-6, rtol=1e-5)
    # ... and a run stopped at step 5 resumes from its gathered checkpoint to the same weights
    _launch(tmp_path / "resumed", 12, "fsdp", stop_after=5)
    assert (tmp_path / "resumed" / "checkpoints" / "step-00000005").is_dir()
    _launch(tmp_path / "resumed", 12, "fsdp")
    assert torch.allclose(torch.load(tmp_path / "resumed" / "final_params.pt"), single, atol=1e-6, rtol=1e-5)
    # the checkpoint holds plain full tensors: loadable without any process group
    state = torch.load(tmp_path / "fsdp" / "checkpoints" / "step-00000012" / "trainer_state.pt", weights_only=False)
    model = ToyModel()
    model.load_state_dict(state["model"])
    assert torch.allclose(flat_params(model), single)


def test_sampler_ranks_partition_global_batch() -> None:
    one = MixtureSampler(100, 50, 8, grounding_ratio=0.25, seed=3)
    ranks = [MixtureSampler(100, 50, 8, grounding_ratio=0.25, seed=3, rank=r, world_size=2) for r in range(2)]
    for step in (0, 7, 123):
        assert ranks[0].local_batch(step) + ranks[1].local_batch(step) == one.global_batch(step)
    draws = [s for step in range(200) for s, _ in one.global_batch(step)]
    frac = sum(draws) / len(draws)
    assert 0.2 < frac < 0.3


def test_bad_config_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="global_batch_size"):
        _cfg(tmp_path, global_batch_size=0).validate()
    with pytest.raises(InvalidInputError, match="grounding_ratio"):
        _cfg(tmp_path, grounding_ratio=1.5).validate()
    with pytest.raises(InvalidInputError, match="parallel"):
        _cfg(tmp_path, parallel="zero3").validate()
