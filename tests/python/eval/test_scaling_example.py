"""examples/07_scaling.py: the data-scaling experiment runs end to end in --quick mode and writes a
sane table, JSON and PNG; the Pillow plot on its own. Never asserts a success rate."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


def _example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("scaling_example", ROOT / "examples" / "07_scaling.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _row(n: int, k: int, t: int) -> dict:
    from graspvla.eval.stats import Rate

    r = Rate(k, t)
    cell = {"successes": k, "trials": t, "rate": r.value, "ci": list(r.interval), "text": str(r)}
    return {"episodes": n, "synthetic": cell, "web": cell, "overall": cell}


def test_plot_draws_points_and_error_bars(tmp_path: Path) -> None:
    Image = pytest.importorskip("PIL.Image")
    ex = _example()
    rows = [_row(25, 0, 10), _row(75, 3, 10), _row(225, 8, 10)]
    path = ex.plot(rows, ["synthetic", "web"], rows[1]["overall"], tmp_path / "s.png", "title")
    img = Image.open(path).convert("RGB")
    assert img.size == (720, 460)
    colours = {tuple(int(v) for v in px) for px in np.asarray(img).reshape(-1, 3)}
    for c in (ex.COLOURS["synthetic"], ex.COLOURS["web"], ex.COLOURS["expert"]):
        assert c in colours
    ex.plot([_row(1, 1, 1)], ["synthetic"], None, tmp_path / "one.png", "one point")  # a single count works too


def test_scaling_quick(tmp_path: Path) -> None:
    pytest.importorskip("mujoco")
    pytest.importorskip("PIL")
    ex = _example()
    out = tmp_path / "scaling"
    assert ex.main(["--quick", "--expert", "--out", str(out)]) == 0
    for name in ("scaling.md", "scaling.png", "scaling.json", "eval/report.md", "n1/model/config.json",
                 "n2/model/config.json"):
        assert (out / name).is_file(), name
    data = json.loads((out / "scaling.json").read_text())
    rows = data["rows"]
    assert [r["episodes"] for r in rows] == [1, 2]
    assert rows[0]["frames"] < rows[1]["frames"]  # nested subsets: more episodes, more frames
    for r in rows:
        for g in ("synthetic", "web", "overall"):
            c = r[g]
            assert c["trials"] >= 1 and 0 <= c["successes"] <= c["trials"]
            assert 0.0 <= c["ci"][0] <= c["rate"] <= c["ci"][1] <= 1.0
        assert r["final_loss"] is not None and r["final_loss"] == r["final_loss"]  # finite, not NaN
    assert data["expert"]["overall"]["trials"] >= 1 and data["expert"]["web"]["trials"] >= 1
    md = (out / "scaling.md").read_text()
    assert "| 1 |" in md and "| 2 |" in md and "scripted expert" in md and "web" in md
    info = json.loads((out / "n2" / "model" / "training_info.json").read_text())
    assert info["max_episodes"] == 2 and info["episodes"] == 2
    from PIL import Image

    assert Image.open(out / "scaling.png").size == (720, 460)
    # --report-only rebuilds the same table from the saved runs and trials, without training or trials
    table = md.split("\n\n")[1]
    (out / "scaling.md").unlink()
    assert ex.main(["--quick", "--expert", "--report-only", "--out", str(out)]) == 0
    assert (out / "scaling.md").read_text().split("\n\n")[1] == table


def test_count_zero_is_the_init_model(tmp_path: Path) -> None:
    """``--episodes 0,...`` with a common ``--init``: 0 is that model evaluated as it is (no run
    directory, no training), the others are trained from it; without ``--init`` 0 is refused."""
    pytest.importorskip("mujoco")
    pytest.importorskip("PIL")
    ex = _example()
    base = tmp_path / "base"
    assert ex.main(["--quick", "--out", str(base)]) == 0
    with pytest.raises(SystemExit, match="--init"):
        ex.main(["--quick", "--data", str(base / "data"), "--episodes", "0,1", "--out", str(tmp_path / "refused")])
    out = tmp_path / "post"
    init = base / "n2" / "model"
    assert ex.main(["--quick", "--data", str(base / "data"), "--episodes", "0,1", "--out", str(out),
                    "--train-args", f"--init {init}"]) == 0
    rows = json.loads((out / "scaling.json").read_text())["rows"]
    assert [r["episodes"] for r in rows] == [0, 1] and rows[0]["frames"] == 0
    assert not (out / "n0").exists() and (out / "n1" / "model" / "config.json").is_file()
    info = json.loads((out / "n1" / "model" / "training_info.json").read_text())
    assert info.get("init") and Path(info["init"]).resolve() == init.resolve()
    trials = json.loads((out / "eval" / "trials.json").read_text())
    assert {t["policy"] for t in trials} == {"0 episodes", "1 episodes"}


def test_plot_with_count_zero(tmp_path: Path) -> None:
    Image = pytest.importorskip("PIL.Image")
    ex = _example()
    rows = [_row(0, 1, 10), _row(10, 3, 10), _row(90, 8, 10)]
    img = Image.open(ex.plot(rows, ["synthetic"], None, tmp_path / "z.png", "from a trained model")).convert("RGB")
    assert ex.COLOURS["synthetic"] in {tuple(int(v) for v in px) for px in np.asarray(img).reshape(-1, 3)}
