"""Kill-and-resume, crashed workers, and the Ray local cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_generate, tree_digest
from graspvla.data.shards import read_manifest

FAST = {"image_size": 32, "frames": 12}
REPO = Path(__file__).resolve().parents[3]


def _cmd(out: Path, sleep: float) -> list[str]:
    opts = json.dumps({"frames": 12, "sleep_s": sleep})
    return [sys.executable, "-m", "graspvla.cli.main", "generate", "--out", str(out), "--episodes", "16",
            "--episodes-per-shard", "2", "--source", "test-scripted", "--image-size", "32", "--workers", "2",
            "--no-progress", "--source-options", opts]


def test_kill_and_resume_completes_without_duplicates(tmp_path):
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    proc = subprocess.Popen(_cmd(out, 0.15), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(read_manifest(out)) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, mid-run
    proc.wait()
    done_before = len(read_manifest(out))
    assert 2 <= done_before < 8, "the kill must land mid-run"
    assert not (out / "meta" / "info.json").exists()
    res = subprocess.run(_cmd(out, 0.15), env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"skipped (already done) {done_before}" in res.stdout
    manifest = read_manifest(out)
    assert sorted(manifest) == list(range(8))
    assert not [p for p in (out / "shards").iterdir() if p.name.startswith(".tmp-")]
    # identical to an uninterrupted run: no duplicates, nothing missing, nothing corrupt
    ref = tmp_path / "ref"
    res = subprocess.run(_cmd(ref, 0.0), env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    a, b = tree_digest(out), tree_digest(ref)
    assert a == b


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_exit_when_the_driver_is_killed(tmp_path):
    """SIGKILL on the driver alone (no cleanup runs): its workers must not finish their shards
    for nobody; they exit, and nothing more is written."""
    out = tmp_path / "orphans"
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    proc = subprocess.Popen(_cmd(out, 0.3), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(read_manifest(out)) < 1:
        time.sleep(0.05)
    # the pools' workers (and the resource tracker, which exits on its own when its pipe closes)
    workers = _children(proc.pid)
    assert workers, "the driver has worker processes mid-run"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "workers outlived their driver"
    written = len(read_manifest(out))
    time.sleep(1.0)  # nothing is written after the workers are gone
    assert len(read_manifest(out)) == written < 8


def test_crashed_worker_reported_and_nothing_lost(tmp_path):
    out = tmp_path / "crash"
    s = run_generate(out, n=12, per_shard=3, workers=2, max_retries=1,
                     source_options={"crash_seeds": (7,), "raise_seeds": (1,)})
    assert list(s.failed_shards) == [2] and "died" in s.failed_shards[2]
    assert s.errors == 1  # seed 1 raised: recorded as an error episode, its shard kept
    assert sorted(read_manifest(out)) == [0, 1, 3]
    info = json.loads((out / "meta/info.json").read_text())
    assert info["total_episodes"] == s.successes
    # resume without the crash: only the lost shard is redone
    s2 = run_generate(out, n=12, per_shard=3, workers=2, source_options={"crash_seeds": (7,), "raise_seeds": (1,)})
    assert s2.shards_skipped == 3 and list(s2.failed_shards) == [2]


def test_ray_local_cluster_two_workers(tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, address="local", _node_ip_address="127.0.0.1",
             log_to_driver=False, configure_logging=False)
    try:
        s = run_generate(tmp_path / "ray", n=12, per_shard=3, ray_address="auto")
        nodes = [n for n in ray.nodes() if n["Alive"]]
    finally:
        ray.shutdown()
    assert s.shards_written == 4 and not s.failed_shards
    # (Ray maps 127.0.0.1 to the host's address for its node record, so only one local node is checked.)
    assert len(nodes) == 1 and nodes[0]["Resources"]["CPU"] == 2
    run_generate(tmp_path / "local", n=12, per_shard=3, workers=2)
    assert tree_digest(tmp_path / "ray") == tree_digest(tmp_path / "local")
