"""Type stubs of the compiled module ``graspvla._core``.

``python -m graspvla._stubs --write`` regenerates ``python/graspvla/_core/*.pyi`` with
pybind11-stubgen (``make stubs``); ``--check`` exits non-zero when the committed stubs differ
from the built module.

Layout: ``python/graspvla/_core/`` is a stub-only directory (``__init__.pyi`` for the top
level, ``<domain>.pyi`` per submodule, no ``__init__.py``), so it never shadows the extension
``_core*.so`` at import time: a directory without ``__init__.py`` is only a namespace-package
candidate, which the import system uses only when no module of that name is found.

A build may contain only some domains (developers build ``GRASPVLA_DOMAINS`` subsets), so
the comparison covers the submodules present both in the committed stubs and in the built
module, plus ``__init__.pyi`` with the submodule imports factored out. ``--write`` keeps
committed stubs of domains that are not in the build unless ``--prune`` is given.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

STUB_DIR = Path(__file__).parent / "_core"
INIT = "__init__.pyi"
_IMPORT = re.compile(r"^from \. import (\w+)\s*$")
_ALL = re.compile(r"^__all__: list\[str\] = \[(.*)\]\s*$")
# Module attributes whose value depends on the build configuration: their stub states the type only.
_BUILD_DEPENDENT = re.compile(r"^(CHECK_MALLOC): (\w+) = .*$")


def generate(out_dir: Path) -> Path:
    """Runs pybind11-stubgen on the importable ``graspvla._core``; returns the stub folder."""
    import graspvla._core as core

    env = dict(os.environ)
    env.setdefault("GRASPVLA_CORE_PATH", core.__file__ or "")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent.parent), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-m", "pybind11_stubgen", "graspvla._core", "-o", str(out_dir),
                           "--numpy-array-use-type-var"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pybind11-stubgen failed:\n{proc.stdout}\n{proc.stderr}")
    return out_dir / "graspvla" / "_core"


def submodules(stub_dir: Path) -> set[str]:
    """Submodule names with a ``<name>.pyi`` in ``stub_dir``."""
    return {p.stem for p in stub_dir.glob("*.pyi") if p.name != INIT}


def split_init(text: str) -> tuple[str, list[str]]:
    """``__init__.pyi`` without its submodule imports (and their ``__all__`` entries), and
    the submodule names it imported, in order."""
    lines, subs = [], []
    for line in text.splitlines():
        line = _BUILD_DEPENDENT.sub(r"\1: \2", line)
        m = _IMPORT.match(line)
        if m:
            subs.append(m.group(1))
        else:
            lines.append(line)
    out = []
    for line in lines:
        m = _ALL.match(line)
        if m:
            names = [n.strip().strip("'\"") for n in m.group(1).split(",") if n.strip()]
            kept = [n for n in names if n not in subs]
            line = "__all__: list[str] = [" + ", ".join(repr(n) for n in kept) + "]"
        out.append(line)
    return "\n".join(out) + "\n", subs


def join_init(base: str, subs: list[str]) -> str:
    """Inverse of :func:`split_init`: re-inserts ``from . import`` lines (after the last
    top-level import) and the submodule names into ``__all__`` (sorted, as stubgen does)."""
    lines = base.splitlines()
    at = max((i + 1 for i, ln in enumerate(lines) if ln.startswith(("import ", "from "))), default=0)
    lines[at:at] = [f"from . import {s}" for s in sorted(subs)]
    for i, line in enumerate(lines):
        m = _ALL.match(line)
        if m:
            names = [n.strip().strip("'\"") for n in m.group(1).split(",") if n.strip()]
            lines[i] = "__all__: list[str] = [" + ", ".join(repr(n) for n in sorted(set(names) | set(subs))) + "]"
    return "\n".join(lines) + "\n"


def diff(committed: Path, fresh: Path) -> list[str]:
    """Stub files that differ between ``committed`` and ``fresh``, over the submodules present
    in both, plus ``__init__.pyi`` compared without its submodule imports."""
    stale = []
    for name in sorted(submodules(committed) & submodules(fresh)):
        if (committed / f"{name}.pyi").read_text() != (fresh / f"{name}.pyi").read_text():
            stale.append(f"{name}.pyi")
    c_init, f_init = committed / INIT, fresh / INIT
    if c_init.is_file() != f_init.is_file():
        stale.append(INIT)
    elif c_init.is_file():
        (c_base, c_subs), (f_base, f_subs) = split_init(c_init.read_text()), split_init(f_init.read_text())
        # every stub file must be imported by __init__.pyi, and nothing else
        if c_base != f_base or set(c_subs) != submodules(committed):
            stale.append(INIT)
    return stale


def write(fresh: Path, prune: bool = False) -> list[str]:
    """Copies the fresh stubs into :data:`STUB_DIR`; keeps committed stubs of submodules the
    build does not contain unless ``prune``. Returns the submodules now committed."""
    STUB_DIR.mkdir(exist_ok=True)
    built = submodules(fresh)
    kept = [] if prune else sorted(submodules(STUB_DIR) - built)
    for old in STUB_DIR.glob("*.pyi"):
        if old.stem not in kept:
            old.unlink()
    for name in built:
        (STUB_DIR / f"{name}.pyi").write_text((fresh / f"{name}.pyi").read_text())
    base, subs = split_init((fresh / INIT).read_text())
    (STUB_DIR / INIT).write_text(join_init(base, subs + kept))
    return sorted(built | set(kept))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="regenerate the committed stubs")
    ap.add_argument("--prune", action="store_true", help="with --write: drop stubs of submodules not in the build")
    ap.add_argument("--check", action="store_true", help="fail when the committed stubs are stale (default)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        if args.write:
            names = write(fresh, prune=args.prune)
            print(f"wrote stubs for {', '.join(names)} to {STUB_DIR}")
            return 0
        stale = diff(STUB_DIR, fresh)
        missing = sorted(submodules(fresh) - submodules(STUB_DIR))
        if stale or missing:
            print("stale stubs: " + ", ".join(stale + [f"{m}.pyi (missing)" for m in missing]) + " (run `make stubs`)")
            return 1
        print("stubs up to date")
        return 0


if __name__ == "__main__":
    sys.exit(main())
