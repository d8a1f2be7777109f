"""Every example runs in quick mode; the CLI parses, helps and runs the demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_quick(example: Path, tmp_path: Path) -> None:
    # run from a temporary directory: examples write their outputs under ./outputs
    extra = ["--jobs", "2"] if example.stem == "07_scaling" else []  # its runs as parallel processes
    res = subprocess.run([sys.executable, str(example), "--quick", *extra], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    if extra:
        assert all((tmp_path / "outputs" / "example_scaling" / f"n{n}" / "model" / "config.json").is_file() for n in (1, 2))


def test_cli_help_and_demo(tmp_path: Path) -> None:
    from graspvla.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--robot", "ur5"])
    assert exc.value.code == 2
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    import json

    report = json.loads((tmp_path / "report.json").read_text())
    robot = report["robot model (FK, IK, collision)"]
    assert robot["analytic_ik_seed_recovered"] == 1.0 and robot["dls_ik_success"] > 0.9
    grasping = report["closed-loop grasping in MuJoCo"]
    assert grasping["executor"] == "control_loop" and grasping["loop_ticks"] > 0  # through the 1 kHz loop
    assert grasping["model_given_grasp_success"] in ("0/1", "1/1")  # the action expert given the grasp
    assert grasping["model_calibrated_success"] in ("0/1", "1/1")  # the model with calibrated cameras


def test_cli_eval_quick(tmp_path: Path) -> None:
    pytest.importorskip("mujoco")
    from graspvla.cli.main import main
    from graspvla.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="conditions"):
        main(["eval", "--conditions", "moon"])
    assert main(["eval", "--quick", "--policy", "random", "--max-steps", "3", "--executor", "control_loop",
                 "--out", str(tmp_path)]) == 0
    assert "| random | synthetic |" in (tmp_path / "report.md").read_text()
