from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from graspvla.data import GenerateConfig, generate

FAST = {"image_size": 32, "frames": 12}


def tree_digest(root: Path, subdirs=("data", "meta", "videos")) -> dict[str, str]:
    out = {}
    for sub in subdirs:
        for p in sorted((root / sub).rglob("*")):
            if p.is_file():
                out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_generate(out: Path, n: int = 12, per_shard: int = 3, workers: int = 1, **kw) -> object:
    opts = dict(FAST) | kw.pop("source_options", {})
    cfg = GenerateConfig(out=str(out), num_episodes=n, episodes_per_shard=per_shard, source="test-scripted",
                         source_options=opts, workers=workers, progress=False, **kw)
    return generate(cfg)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ds") / "small"
    run_generate(out, n=12, per_shard=4, workers=2)
    return out
