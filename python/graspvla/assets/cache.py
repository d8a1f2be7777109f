"""On-disk cache with atomic writes, keyed by content hash.

Every file is written to a temporary name in the target directory, flushed and fsync'ed,
then renamed into place with :func:`os.replace` (atomic on POSIX). A crash therefore leaves
either the complete old file, the complete new file, or a stray ``*.tmp-*`` file that is
never read (and is removed by :func:`clean_stale_temporaries`).

The cache root is ``$GRASPVLA_CACHE`` if set, else ``$XDG_CACHE_HOME/graspvla``, else
``~/.cache/graspvla``.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

__all__ = [
    "cache_dir",
    "content_hash",
    "atomic_write_bytes",
    "atomic_save_npz",
    "load_npz",
    "cached_npz",
    "clean_stale_temporaries",
]

_TMP_MARK = ".tmp-"


def cache_dir(sub: str = "") -> Path:
    """The cache directory (created if needed), optionally a named sub-directory."""
    root = os.environ.get("GRASPVLA_CACHE")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) / "graspvla" if xdg else Path.home() / ".cache" / "graspvla"
    path = base / sub if sub else base
    path.mkdir(parents=True, exist_ok=True)
    return path


def content_hash(*parts: bytes | str | np.ndarray) -> str:
    """SHA-256 hex digest (first 32 chars) of the given byte strings / arrays / strings."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            a = np.ascontiguousarray(p)
            h.update(str(a.dtype).encode() + str(a.shape).encode())
            h.update(a.tobytes())
        elif isinstance(p, str):
            h.update(p.encode())
        else:
            h.update(p)
        h.update(b"\x00")
    return h.hexdigest()[:32]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes,
                       _fail_before_rename: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename).

    ``_fail_before_rename`` is a test hook that simulates a crash after the temporary file
    was written but before it was renamed: it raises ``RuntimeError`` and removes nothing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + _TMP_MARK, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if _fail_before_rename:
            raise RuntimeError("simulated crash before rename")
        os.replace(tmp, path)
    except BaseException:
        if not _fail_before_rename:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
    return path


def atomic_save_npz(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray],
                    _fail_before_rename: bool = False) -> Path:
    """Save arrays as an uncompressed ``.npz`` atomically."""
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return atomic_write_bytes(path, buf.getvalue(), _fail_before_rename=_fail_before_rename)


def load_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray] | None:
    """Load a cached ``.npz``; ``None`` if missing or unreadable (a corrupt entry is deleted)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception:  # corrupt entry: drop it so it is recomputed
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        return None


def cached_npz(path: str | os.PathLike[str],
               compute: Callable[[], Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Return the arrays stored at ``path``, computing and atomically storing them if absent."""
    hit = load_npz(path)
    if hit is not None:
        return hit
    arrays = {k: np.asarray(v) for k, v in compute().items()}
    atomic_save_npz(path, arrays)
    return arrays


def clean_stale_temporaries(directory: str | os.PathLike[str]) -> int:
    """Remove leftover temporary files of interrupted writes below ``directory``; returns count."""
    n = 0
    for p in Path(directory).rglob(f"*{_TMP_MARK}*"):
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n
