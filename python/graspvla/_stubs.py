"""Type stubs of the compiled module ``graspvla._core``.

``python -m graspvla._stubs --write`` regenerates ``python/graspvla/_core/*.pyi`` with
pybind11-stubgen (``make stubs``); ``--check`` exits non-zero when the committed stubs differ
from the built module. The stub directory holds only ``.pyi`` files, so it never shadows the
extension module at import time.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

STUB_DIR = Path(__file__).parent / "_core"


def generate(out_dir: Path) -> Path:
    """Runs pybind11-stubgen on the importable ``graspvla._core``; returns the stub folder."""
    import graspvla._core as core

    env = dict(os.environ)
    env.setdefault("GRASPVLA_CORE_PATH", core.__file__ or "")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent.parent), env.get("PYTHONPATH", "")])
    subprocess.run([sys.executable, "-m", "pybind11_stubgen", "graspvla._core", "-o", str(out_dir),
                    "--numpy-array-use-type-var"], check=True, env=env, capture_output=True, text=True)
    return out_dir / "graspvla" / "_core"


def diff(committed: Path, fresh: Path) -> list[str]:
    """Names of stub files that are missing, extra or different."""
    names = {p.name for p in committed.glob("*.pyi")} | {p.name for p in fresh.glob("*.pyi")}
    return sorted(n for n in names if not ((committed / n).is_file() and (fresh / n).is_file()
                                           and filecmp.cmp(committed / n, fresh / n, shallow=False)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true", help="regenerate the committed stubs")
    ap.add_argument("--check", action="store_true", help="fail when the committed stubs are stale")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        if args.write:
            STUB_DIR.mkdir(exist_ok=True)
            for old in STUB_DIR.glob("*.pyi"):
                old.unlink()
            for f in fresh.glob("*.pyi"):
                (STUB_DIR / f.name).write_text(f.read_text())
            print(f"wrote {len(list(STUB_DIR.glob('*.pyi')))} stub files to {STUB_DIR}")
            return 0
        stale = diff(STUB_DIR, fresh)
        if stale:
            print("stale stubs: " + ", ".join(stale) + " (run `make stubs`)")
            return 1
        print("stubs up to date")
        return 0


if __name__ == "__main__":
    sys.exit(main())
