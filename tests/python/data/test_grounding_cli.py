from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graspvla.data import GritReader, ScriptedTestSource, synthetic_grounding_samples
from graspvla.errors import InvalidInputError


def test_synthetic_grounding_from_render():
    ep = ScriptedTestSource(image_size=32, frames=12)(4)
    samples = synthetic_grounding_samples(ep, every=5)
    assert len(samples) == 3 * 2
    s = samples[-1]
    t, cam = int(s.source.split(":")[3]), s.source.split(":")[2]
    np.testing.assert_array_equal(s.box, ep.boxes[cam][t])
    assert s.phrase == ep.meta.category.replace("_", " ") and s.image.shape == (32, 32, 3)
    # the box encloses the object's colour in the image
    x0, y0, x1, y1 = s.box.astype(int)
    colour = np.array(ep.meta.params["colour"], dtype=np.uint8)
    assert (s.image[y0:y1, x0:x1] == colour).all(axis=-1).mean() > 0.8


def _png(w: int, h: int, value: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_grit_jsonl_and_parquet(tmp_path):
    (tmp_path / "a.png").write_bytes(_png(40, 20, 10))
    (tmp_path / "b.png").write_bytes(_png(30, 30, 200))
    lines = [
        {"key": "a.png", "caption": "a red mug on a table", "ref_exps": [[0, 9, 0.1, 0.2, 0.5, 0.9, 0.8]]},
        {"file_name": "b.png", "phrase": "bottle", "box": [3, 4, 20, 25]},
        {"image": "missing.png", "phrase": "x", "box": [0, 0, 1, 1]},
        {"image": "b.png", "annotations": [{"phrase": "bad", "box": [5, 5, 5, 9]}, {"phrase": "cup", "box": [1, 1, 9, 9]}]},
    ]
    p = tmp_path / "grit.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n{truncated")
    r = GritReader(p)
    got = list(r)
    assert [g.phrase for g in got] == ["a red mug", "bottle", "cup"]
    np.testing.assert_allclose(got[0].box, [4, 4, 20, 18])  # normalised -> pixels of a 40x20 image
    assert got[0].image.shape == (20, 40, 3)
    assert r.skipped == 3  # missing image, degenerate box, truncated line
    t = pa.table({"image_bytes": [_png(40, 20, 10)], "phrase": ["mug"], "box": [[1.0, 2.0, 30.0, 15.0]]})
    pq.write_table(t, tmp_path / "g.parquet")
    got = list(GritReader(tmp_path / "g.parquet"))
    assert len(got) == 1 and got[0].phrase == "mug" and got[0].image[0, 0, 0] == 10
    with pytest.raises(InvalidInputError, match="path"):
        GritReader(tmp_path / "a.png")


def test_cli_generate_help_shows_defaults_and_units():
    from graspvla.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["generate"]
    text = sub.format_help()
    for s in ("--episodes", "(default: 100)", "--ray-address", "[pixels]", "[Hz]", "one per core", "test-scripted"):
        assert s in text, s


def test_cli_generate_runs(tmp_path):
    res = subprocess.run([sys.executable, "-m", "graspvla.cli.main", "generate", "--out", str(tmp_path / "d"), "--episodes", "4",
                          "--episodes-per-shard", "2", "--source", "test-scripted", "--image-size", "32", "--workers", "1",
                          "--no-progress", "--source-options", '{"frames": 8}'], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "episodes attempted 4" in res.stdout and "time per stage" in res.stdout
    assert (tmp_path / "d" / "meta" / "info.json").exists()
