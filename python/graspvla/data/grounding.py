"""Grounding samples (image, phrase, box): synthetic ones from our renders and user GRIT-style data.

Both produce :class:`GroundingSample` with the box in pixels ``(x_min, y_min, x_max, y_max)``
of ``image`` (uint8 HxWx3 RGB). GRIT-style input (a local path, no download):

* ``.jsonl``: one JSON object per line with an image (``image``/``file_name``/``key`` = a path
  relative to the jsonl's folder, with ``.jpg`` appended to ``key`` if needed) and either
  GRIT's ``caption`` + ``ref_exps`` (``[start, end, x1, y1, x2, y2, score]``, box normalised to
  [0, 1], phrase = ``caption[start:end]``) or explicit ``phrase`` + ``box`` (pixels), or a
  list ``annotations`` of ``{"phrase", "box"}``.
* ``.parquet``: the same fields as columns; the image may also be a binary column
  ``image_bytes`` (encoded JPEG/PNG).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from numpy.typing import NDArray

from graspvla.data.episode import Episode
from graspvla.errors import InvalidInputError

__all__ = ["GroundingSample", "synthetic_grounding_samples", "GritReader", "find_grounding_file", "record_annotations",
           "record_image", "record_image_name"]


@dataclass(frozen=True)
class GroundingSample:
    image: NDArray[np.uint8]
    phrase: str
    box: NDArray[np.float32]  # pixels (x_min, y_min, x_max, y_max)
    source: str = ""  # "synthetic:<seed>:<camera>:<frame>" or "<file>:<line>"


def synthetic_grounding_samples(episode: Episode, every: int = 10, min_area_px: float = 16.0) -> list[GroundingSample]:
    """Grounding samples from a rendered episode: every ``every``-th frame, each camera where
    the target is visible (box area >= ``min_area_px``); phrase = the target category."""
    if every < 1:
        raise InvalidInputError(f"every: must be >= 1, got {every}")
    phrase = episode.meta.category.replace("_", " ")
    out = []
    for t in range(0, episode.length, every):
        for cam in episode.cameras:
            b = episode.boxes[cam][t]
            if b[0] < 0 or (b[2] - b[0]) * (b[3] - b[1]) < min_area_px:
                continue
            out.append(GroundingSample(episode.images[cam][t], phrase, b.astype(np.float32).copy(),
                                       f"synthetic:{episode.meta.seed}:{cam}:{t}"))
    return out


def _decode_image(data: bytes | str | os.PathLike[str]) -> NDArray[np.uint8]:
    from PIL import Image

    src: Any = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    with Image.open(src) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def record_image_name(rec: dict[str, Any]) -> str | None:
    """The image path field of a GRIT-style record (``image``/``file_name``/``key``), or None."""
    name = rec.get("image") or rec.get("file_name") or rec.get("key")
    return str(name) if name else None


def record_image(rec: dict[str, Any], image_root: str | os.PathLike[str]) -> NDArray[np.uint8]:
    """Decode a GRIT-style record's image (``image_bytes``, or a path relative to ``image_root``
    with ``.jpg`` appended to an extension-less name) as uint8 HxWx3 RGB. Raises OSError,
    KeyError or ValueError when it is missing or unreadable."""
    if rec.get("image_bytes") is not None:
        return _decode_image(rec["image_bytes"])
    name = record_image_name(rec)
    if not name:
        raise KeyError("no image field")
    p = Path(image_root) / name
    if not p.exists() and p.suffix == "":
        p = p.with_suffix(".jpg")
    return _decode_image(p)


def record_annotations(rec: dict[str, Any]) -> list[tuple[str, list[float], bool]]:
    """``(phrase, box, normalised)`` of every annotation in a GRIT-style record, unvalidated:
    GRIT ``ref_exps`` give boxes normalised to [0, 1] (``normalised`` True), ``phrase``/``box``
    and ``annotations`` give pixels."""
    out: list[tuple[str, list[float], bool]] = []
    if rec.get("ref_exps") is not None:
        cap = rec.get("caption", "")
        for r in rec["ref_exps"]:
            s, e, x1, y1, x2, y2 = r[:6]
            out.append((cap[int(s):int(e)], [x1, y1, x2, y2], True))
    if rec.get("phrase") is not None and rec.get("box") is not None:
        out.append((rec["phrase"], list(rec["box"]), False))
    for a in rec.get("annotations") or []:
        out.append((a["phrase"], list(a["box"]), False))
    return out


def find_grounding_file(path: str | os.PathLike[str]) -> Path:
    """A grounding ``.jsonl``/``.parquet`` file, or a directory holding ``grounding.jsonl``
    (as written by ``graspvla grounding``) or exactly one ``.jsonl``/``.parquet`` file."""
    p = Path(path)
    if p.is_file():
        if p.suffix not in (".jsonl", ".parquet"):
            raise InvalidInputError(f"grounding: expected a .jsonl or .parquet file, got {p}")
        return p
    if p.is_dir():
        if (p / "grounding.jsonl").is_file():
            return p / "grounding.jsonl"
        found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix in (".jsonl", ".parquet"))
        if len(found) == 1:
            return found[0]
        raise InvalidInputError(f"grounding: directory {p} holds {len(found)} .jsonl/.parquet files "
                                f"({[q.name for q in found][:5]}); pass the file itself")
    raise InvalidInputError(f"grounding: {p} does not exist (expected a .jsonl/.parquet file or a directory "
                            f"made by `graspvla grounding`)")


class GritReader:
    """Iterate GRIT-style grounding annotations from a local ``.jsonl`` or ``.parquet`` file.

    Records with an unreadable image or a degenerate box are skipped and counted in
    ``self.skipped`` (web data is noisy); a file that is not jsonl/parquet raises.
    """

    def __init__(self, path: str | os.PathLike[str], image_root: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InvalidInputError(f"path: {self.path} does not exist")
        if self.path.suffix not in (".jsonl", ".parquet"):
            raise InvalidInputError(f"path: expected a .jsonl or .parquet file, got {self.path.name}")
        self.image_root = Path(image_root) if image_root else self.path.parent
        self.skipped = 0

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.path.suffix == ".jsonl":
            with open(self.path) as f:
                for i, line in enumerate(f):
                    if line.strip():
                        try:
                            yield i, json.loads(line)
                        except ValueError:
                            self.skipped += 1
        else:
            import pyarrow.parquet as pq

            for i, rec in enumerate(pq.read_table(self.path).to_pylist()):
                yield i, rec

    def _image(self, rec: dict[str, Any]) -> NDArray[np.uint8]:
        return record_image(rec, self.image_root)

    @staticmethod
    def _annotations(rec: dict[str, Any], w: int, h: int) -> list[tuple[str, list[float]]]:
        return [(phrase, [b[0] * w, b[1] * h, b[2] * w, b[3] * h] if norm else list(b))
                for phrase, b, norm in record_annotations(rec)]

    def __iter__(self) -> Iterator[GroundingSample]:
        for i, rec in self._records():
            try:
                img = self._image(rec)
            except (OSError, KeyError, ValueError):
                self.skipped += 1
                continue
            h, w = img.shape[:2]
            for phrase, box in self._annotations(rec, w, h):
                b = np.clip(np.asarray(box, dtype=np.float32), 0, [w, h, w, h])
                if not phrase.strip() or b[2] <= b[0] or b[3] <= b[1]:
                    self.skipped += 1
                    continue
                yield GroundingSample(img, phrase.strip(), b, f"{self.path.name}:{i}")
