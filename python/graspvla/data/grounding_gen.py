"""Synthetic "internet-style" grounding data (image, phrase, box) rendered from random scenes,
written as a GRIT-style dataset that :class:`graspvla.data.GritReader` and
:class:`graspvla.train.vla_data.GroundingFrames` read.

This is how categories held out of the action data (GraspVLA's "web" categories, e.g.
``"toy car"``) reach the model: scenes are drawn from :func:`graspvla.scene.generate_scene`
with only the chosen categories (plus optional context categories), with the generator's domain
randomisation (table, lights, textures, materials, camera poses and field of view, clutter);
each camera view becomes one image annotated with one ``(phrase, box)`` per visible object
(phrase = the object's category, box = :meth:`graspvla.sim.Simulator.boxes`, pixels, inclusive
``(x_min, y_min, x_max, y_max)`` as in the action data). No physics beyond scene settling.

Layout on disk::

    <out>/grounding.jsonl              the dataset: one JSON line per image (read this)
    <out>/info.json                    settings + counts
    <out>/shards/shard-000007/
        records.jsonl                  the shard's lines (image paths relative to the shard)
        images/<seed>_<camera>.jpg

A line is ``{"image": "shards/shard-000007/images/000070_front.jpg", "width": W, "height": H,
"caption": "toy car, mug", "annotations": [{"phrase": "toy car", "box": [x0, y0, x1, y1]},
...], "source": "synthetic:<seed>:<camera>", "objects": [<object id>, ...]}``.

Shard ``k`` renders the scenes with seeds ``seed + k * scenes_per_shard + j`` into a temporary
directory and renames it into place (the commit). Re-running the same command skips committed
shards and deletes temporaries, so a killed run resumes without duplicates and the result is
byte-identical to an uninterrupted run. ``grounding.jsonl`` (the first ``num_images`` images in
shard order) is rewritten atomically at the end; asking for more images later extends the set.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graspvla.errors import InvalidInputError

__all__ = ["GroundingGenConfig", "GroundingGenSummary", "generate_grounding", "render_grounding_shard"]

FORMAT = 1
INDEX_NAME = "grounding.jsonl"
# settings that must match for a resumed run to reuse committed shards
_IDENTITY = ("format", "categories", "context_categories", "image_size", "seed", "cameras", "scenes_per_shard",
             "min_pixels", "image_format", "n_objects")


@dataclass
class GroundingGenConfig:
    """Settings of :func:`generate_grounding`.

    Attributes:
        out: dataset directory (created).
        num_images: images to produce (each with >= 1 annotation).
        categories: procedural categories the scenes are drawn from and that are annotated.
        context_categories: further categories that may share the table (annotated as well:
            they teach the model to tell the chosen categories from others).
        image_size: rendered width = height [px].
        seed: first scene seed (shard k uses ``seed + k * scenes_per_shard ...``).
        cameras: scene cameras rendered; each view is one image.
        scenes_per_shard: scenes per shard (the unit of work and of resumption).
        min_pixels: minimum visible pixels of an annotated object (None = 4e-4 of the image,
            at least 4).
        image_format: "jpg" (quality 95, like web data) or "png" (lossless).
        n_objects: inclusive range of objects per scene.
        workers: parallel processes (1 = in this process).
        progress: show a progress bar.
    """

    out: str
    num_images: int = 1000
    categories: tuple[str, ...] = ("toy car",)
    context_categories: tuple[str, ...] = ()
    image_size: int = 224
    seed: int = 0
    cameras: tuple[str, ...] = ("front", "side")
    scenes_per_shard: int = 25
    min_pixels: int | None = None
    image_format: str = "jpg"
    n_objects: tuple[int, int] = (1, 5)
    workers: int = 1
    progress: bool = False

    def __post_init__(self) -> None:
        from graspvla.assets.procedural import category_names

        self.categories = tuple(c.strip() for c in self.categories if c.strip())
        self.context_categories = tuple(c.strip() for c in self.context_categories
                                        if c.strip() and c.strip() not in self.categories)
        self.cameras, self.n_objects = tuple(self.cameras), tuple(self.n_objects)  # type: ignore[assignment]
        if not self.categories:
            raise InvalidInputError("categories: give at least one category")
        known = category_names()
        bad = [c for c in self.categories + self.context_categories if c not in known]
        if bad:
            raise InvalidInputError(f"categories: {bad} are not procedural categories; choose from {known}")
        if self.num_images < 1:
            raise InvalidInputError(f"num_images: must be >= 1, got {self.num_images}")
        if not 16 <= self.image_size <= 2048:
            raise InvalidInputError(f"image_size: must be in [16, 2048] pixels, got {self.image_size}")
        if self.scenes_per_shard < 1:
            raise InvalidInputError(f"scenes_per_shard: must be >= 1, got {self.scenes_per_shard}")
        if self.image_format not in ("jpg", "png"):
            raise InvalidInputError(f"image_format: 'jpg' or 'png', got {self.image_format!r}")
        if not self.cameras or any(c not in ("front", "side") for c in self.cameras):
            raise InvalidInputError(f"cameras: a non-empty subset of ('front', 'side'), got {self.cameras}")
        if self.seed < 0:
            raise InvalidInputError(f"seed: must be >= 0, got {self.seed}")
        if self.workers < 1:
            raise InvalidInputError(f"workers: must be >= 1, got {self.workers}")
        if self.min_pixels is None:
            self.min_pixels = max(4, round(4e-4 * self.image_size ** 2))

    def identity(self) -> dict[str, Any]:
        d = asdict(self) | {"format": FORMAT}
        return {k: (list(d[k]) if isinstance(d[k], tuple) else d[k]) for k in _IDENTITY}


@dataclass
class GroundingGenSummary:
    """What :func:`generate_grounding` produced."""

    path: str  # the grounding.jsonl
    images: int
    annotations: int
    per_category: dict[str, int] = field(default_factory=dict)
    shards_written: int = 0
    shards_reused: int = 0
    seconds: float = 0.0

    def format(self) -> str:
        cats = ", ".join(f"{k} {v}" for k, v in sorted(self.per_category.items()))
        rate = self.images / self.seconds if self.seconds > 0 else float("nan")
        return (f"[grounding] {self.images} images, {self.annotations} boxes ({cats}) -> {self.path}\n"
                f"[grounding] shards written {self.shards_written}, reused {self.shards_reused}, "
                f"{self.seconds:.1f} s ({rate:.2f} images/s)")


def _shard_dir(out: Path, k: int) -> Path:
    return out / "shards" / f"shard-{k:06d}"


def _encode(img: np.ndarray, path: Path, fmt: str) -> None:
    from PIL import Image

    im = Image.fromarray(img)
    if fmt == "jpg":
        im.save(path, format="JPEG", quality=95)
    else:
        im.save(path, format="PNG")


def render_grounding_shard(config: GroundingGenConfig, k: int) -> int:
    """Render and commit shard ``k`` (no-op if committed); returns its number of images."""
    from graspvla.scene import SceneConfig, generate_scene
    from graspvla.sim import SimConfig, Simulator

    out = Path(config.out)
    final = _shard_dir(out, k)
    if (final / "records.jsonl").exists():
        return _count_lines(final / "records.jsonl")
    tmp = out / "shards" / f".tmp-shard-{k:06d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    (tmp / "images").mkdir(parents=True)
    try:
        scfg = SceneConfig(categories=config.categories + config.context_categories, n_objects=config.n_objects)
        S = config.image_size
        lines = []
        for j in range(config.scenes_per_shard):
            seed = config.seed + k * config.scenes_per_shard + j
            scene = generate_scene(scfg, seed)
            cats = {o.id: o.category.replace("_", " ") for o in scene.objects}
            with Simulator(scene, SimConfig(height=S, width=S)) as sim:
                for cam in config.cameras:
                    boxes = sim.boxes(cam, min_pixels=int(config.min_pixels or 1))
                    ann = [(oid, b) for oid, b in sorted(boxes.items()) if b[2] > b[0] and b[3] > b[1]]
                    if not ann:
                        continue
                    name = f"images/{seed:06d}_{cam}.{config.image_format}"
                    _encode(sim.render(cam), tmp / name, config.image_format)
                    phrases = [cats[oid] for oid, _ in ann]
                    lines.append({
                        "image": name, "width": S, "height": S, "caption": ", ".join(dict.fromkeys(phrases)),
                        "annotations": [{"phrase": cats[oid], "box": [int(v) for v in b]} for oid, b in ann],
                        "source": f"synthetic:{seed}:{cam}", "objects": [int(oid) for oid, _ in ann],
                    })
        with open(tmp / "records.jsonl", "w") as f:
            for rec in lines:
                f.write(json.dumps(rec) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.rename(tmp, final)  # the commit
        except OSError:
            if not (final / "records.jsonl").exists():  # not a concurrent identical commit
                raise
        return len(lines)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _count_lines(path: Path) -> int:
    with open(path) as f:
        return sum(1 for line in f if line.strip())


def _check_settings(config: GroundingGenConfig, out: Path) -> None:
    info = out / "info.json"
    ident = config.identity()
    if info.exists():
        try:
            old = json.loads(info.read_text()).get("settings", {})
        except ValueError:
            old = {}
        diff = {k: (old.get(k), v) for k, v in ident.items() if old.get(k) != v}
        if old and diff:
            raise InvalidInputError(f"out: {out} holds grounding data made with other settings {diff} "
                                    f"(existing, requested); use a new --out or the same settings")
    _atomic_write(info, json.dumps({"settings": ident}, indent=2) + "\n")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def generate_grounding(config: GroundingGenConfig) -> GroundingGenSummary:
    """Render grounding images until ``config.num_images`` exist, then write ``grounding.jsonl``
    (see the module docstring). Idempotent and resumable."""
    t0 = time.perf_counter()
    out = Path(config.out)
    (out / "shards").mkdir(parents=True, exist_ok=True)
    _check_settings(config, out)
    for p in (out / "shards").glob(".tmp-shard-*"):  # leftovers of a killed run
        shutil.rmtree(p, ignore_errors=True)
    per_shard = config.scenes_per_shard * len(config.cameras)
    counts: dict[int, int] = {}
    written = 0
    for p in (out / "shards").glob("shard-*"):
        if (p / "records.jsonl").exists():
            counts[int(p.name.split("-")[1])] = _count_lines(p / "records.jsonl")
    bar = None
    if config.progress:
        from tqdm import tqdm

        bar = tqdm(total=config.num_images, unit="img", desc="grounding", file=sys.stderr, dynamic_ncols=True)

    max_shards = 10 * math.ceil(config.num_images / per_shard) + 10
    while True:
        # the shards needed so far: all up to the first prefix holding num_images
        n_ok, k = 0, 0
        while n_ok < config.num_images and k in counts:
            n_ok += counts[k]
            k += 1
        if n_ok >= config.num_images:
            break
        missing = config.num_images - n_ok
        want = [j for j in range(k, k + max(1, math.ceil(missing / per_shard))) if j not in counts]
        if k >= max_shards:
            raise InvalidInputError(f"categories {config.categories}: only {n_ok} images with visible objects "
                                    f"in {k} shards; check the categories, min_pixels or image_size")
        if bar is not None:
            bar.n = n_ok
            bar.refresh()
        if config.workers > 1 and len(want) > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(min(config.workers, len(want)), mp_context=mp.get_context("spawn")) as ex:
                futs = {j: ex.submit(render_grounding_shard, config, j) for j in want}
                for j, fut in futs.items():
                    counts[j] = fut.result()
                    written += 1
                    if bar is not None:
                        bar.update(counts[j])
        else:
            for j in want:
                counts[j] = render_grounding_shard(config, j)
                written += 1
                if bar is not None:
                    bar.update(counts[j])
    if bar is not None:
        bar.n = config.num_images
        bar.close()

    # merge the first num_images records, in shard order, into grounding.jsonl
    lines: list[str] = []
    per_cat: Counter[str] = Counter()
    n_ann = 0
    k = 0
    while len(lines) < config.num_images:
        sd = _shard_dir(out, k)
        with open(sd / "records.jsonl") as f:
            for line in f:
                if not line.strip() or len(lines) >= config.num_images:
                    continue
                rec = json.loads(line)
                rec["image"] = f"shards/{sd.name}/{rec['image']}"
                lines.append(json.dumps(rec))
                for a in rec["annotations"]:
                    per_cat[a["phrase"]] += 1
                    n_ann += 1
        k += 1
    reused = k - written
    index = out / INDEX_NAME
    _atomic_write(index, "\n".join(lines) + "\n")
    summary = GroundingGenSummary(str(index), len(lines), n_ann, dict(per_cat), written, max(0, reused),
                                  time.perf_counter() - t0)
    _atomic_write(out / "info.json", json.dumps({"settings": config.identity(), "images": summary.images,
                                                 "annotations": n_ann, "per_category": dict(per_cat),
                                                 "shards": k}, indent=2) + "\n")
    return summary
