"""Synthetic grounding data generator and ``graspvla grounding``: GRIT-style files GritReader reads,
boxes equal to the simulator's, resumable and idempotent, settings checked, CLI help and errors."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graspvla.data import GritReader
from graspvla.data.grounding_gen import GroundingGenConfig, generate_grounding
from graspvla.errors import InvalidInputError

SETTINGS = dict(categories=("toy car",), context_categories=("mug",), image_size=64, scenes_per_shard=2,
                image_format="png", n_objects=(1, 3))


def _cfg(out: Path, n: int, **kw) -> GroundingGenConfig:
    return GroundingGenConfig(out=str(out), num_images=n, **(SETTINGS | kw))


def _digest(root: Path) -> dict[str, str]:
    files = [root / "grounding.jsonl"] + sorted((root / "shards").rglob("*.*"))
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


@pytest.fixture(scope="module")
def grounding_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("grounding") / "g"
    summary = generate_grounding(_cfg(out, 5))
    assert summary.images == 5 and summary.shards_written >= 2
    return out


def test_written_files_read_back_with_the_simulators_boxes(grounding_dir: Path) -> None:
    from graspvla.scene import SceneConfig, generate_scene
    from graspvla.sim import SimConfig, Simulator

    lines = [json.loads(x) for x in (grounding_dir / "grounding.jsonl").read_text().splitlines()]
    assert len(lines) == 5
    samples = list(GritReader(grounding_dir / "grounding.jsonl"))
    reader_boxes = [s.box.tolist() for s in samples]
    assert len(samples) == sum(len(r["annotations"]) for r in lines)
    assert {s.phrase for s in samples} <= {"toy car", "mug"}
    info = json.loads((grounding_dir / "info.json").read_text())
    assert info["images"] == 5 and info["annotations"] == len(samples)
    k = 0
    for rec in lines[:3]:  # re-render the scenes: same image, same boxes (ids, categories)
        _, seed, cam = rec["source"].split(":")
        scene = generate_scene(SceneConfig(categories=("toy car", "mug"), n_objects=(1, 3)), int(seed))
        with Simulator(scene, SimConfig(height=64, width=64)) as sim:
            want = {oid: b for oid, b in sim.boxes(cam, min_pixels=4).items() if b[2] > b[0] and b[3] > b[1]}
            image = sim.render(cam)
        assert rec["objects"] == sorted(want)
        for oid, ann in zip(rec["objects"], rec["annotations"]):
            assert ann["box"] == list(want[oid])
            assert ann["phrase"] == scene.objects[oid].category
            assert reader_boxes[k] == [float(v) for v in want[oid]]
            np.testing.assert_array_equal(samples[k].image, image)  # png: lossless
            k += 1


def test_resume_after_a_crash_is_byte_identical_and_idempotent(grounding_dir: Path, tmp_path: Path) -> None:
    ref = _digest(grounding_dir)
    out = tmp_path / "g"
    shutil.copytree(grounding_dir, out)
    # a crash: the index never written, the last shard not committed, a temporary left behind
    (out / "grounding.jsonl").unlink()
    last = sorted((out / "shards").glob("shard-*"))[-1]
    last.rename(out / "shards" / f".tmp-{last.name}-123-abcd")
    summary = generate_grounding(_cfg(out, 5))
    assert summary.shards_written == 1
    assert _digest(out) == ref
    assert not list((out / "shards").glob(".tmp-*"))
    again = generate_grounding(_cfg(out, 5))  # nothing left to do
    assert again.shards_written == 0 and _digest(out) == ref
    # more images extend the set: the first 5 lines are unchanged
    more = generate_grounding(_cfg(out, 7))
    lines = (out / "grounding.jsonl").read_text().splitlines()
    assert more.images == 7 and lines[:5] == (grounding_dir / "grounding.jsonl").read_text().splitlines()


def test_other_settings_in_the_same_directory_are_refused(grounding_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "g"
    shutil.copytree(grounding_dir, out)
    with pytest.raises(InvalidInputError, match="other settings"):
        generate_grounding(_cfg(out, 5, image_size=32))


def test_config_validation() -> None:
    with pytest.raises(InvalidInputError, match="rubber duck"):
        GroundingGenConfig(out="x", categories=("rubber duck",))
    with pytest.raises(InvalidInputError, match="num_images"):
        GroundingGenConfig(out="x", num_images=0)
    with pytest.raises(InvalidInputError, match="cameras"):
        GroundingGenConfig(out="x", cameras=("top",))
    assert GroundingGenConfig(out="x", image_size=224).min_pixels == 20


def test_cli_help_and_bad_arguments(tmp_path: Path, capsys) -> None:
    from graspvla.cli.main import build_parser, main

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["grounding"]
    text = sub.format_help()
    for s in ("--images", "(default: 1000)", "--categories", "(default: toy car)", "[pixels]", "(default: 224)",
              "--seed", "resume"):
        assert s in text, s
    with pytest.raises(SystemExit, match="--categories: .*rubber duck.* choose from"):
        main(["grounding", "--out", str(tmp_path / "x"), "--categories", "toy car,rubber duck"])
    with pytest.raises(SystemExit, match="--images: must be >= 1"):
        main(["grounding", "--out", str(tmp_path / "x"), "--images", "0"])
    with pytest.raises(SystemExit):  # argparse: not an int
        main(["grounding", "--out", str(tmp_path / "x"), "--images", "many"])
    assert "invalid int value" in capsys.readouterr().err


def test_cli_runs(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    res = subprocess.run([sys.executable, "-m", "graspvla.cli.main", "grounding", "--out", str(out), "--images", "2",
                          "--image-size", "32", "--scenes-per-shard", "1", "--no-progress"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "[grounding] 2 images" in res.stdout
    got = list(GritReader(out / "grounding.jsonl"))
    assert got and all(g.phrase == "toy car" and g.image.shape == (32, 32, 3) for g in got)
