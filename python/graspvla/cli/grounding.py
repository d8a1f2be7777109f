"""``graspvla grounding``: render synthetic internet-style grounding data (image, phrase, box) for
chosen categories into a GRIT-style dataset (``OUT/grounding.jsonl`` + images), the input of
``graspvla train --grounding OUT``. Idempotent and resumable: re-run the same command."""

from __future__ import annotations

import argparse
import os

DEFAULT_CATEGORIES = "toy car"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="dataset directory (created; re-run the same command to resume)")
    p.add_argument("--images", type=int, default=1000, help="number of images (each with >= 1 box)")
    p.add_argument("--categories", default=DEFAULT_CATEGORIES,
                   help="comma-separated procedural categories to draw and annotate, e.g. the held-out "
                        "'web' categories of `graspvla eval`")
    p.add_argument("--context-categories", default="",
                   help="comma-separated categories that may share the table (annotated too), e.g. 'mug,can'")
    p.add_argument("--image-size", type=int, default=224, help="image width = height [pixels]")
    p.add_argument("--seed", type=int, default=0, help="first scene seed")
    p.add_argument("--cameras", default="front,side", help="cameras rendered per scene (one image each)")
    p.add_argument("--scenes-per-shard", type=int, default=25, help="scenes per shard (unit of work and of resumption)")
    p.add_argument("--min-pixels", type=int, default=None,
                   help="minimum visible pixels of an annotated object [pixels]; None = 4e-4 of the image, at least 4")
    p.add_argument("--format", default="jpg", choices=["jpg", "png"], help="image file format")
    p.add_argument("--workers", type=int, default=1, help="parallel processes")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


_FLAGS = {"num_images": "--images", "categories": "--categories", "image_size": "--image-size", "seed": "--seed",
          "cameras": "--cameras", "scenes_per_shard": "--scenes-per-shard", "workers": "--workers",
          "image_format": "--format", "min_pixels": "--min-pixels", "out": "--out"}


def _split(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("MUJOCO_GL", "egl")
    from graspvla.data.grounding_gen import GroundingGenConfig, generate_grounding
    from graspvla.errors import InvalidInputError

    try:
        cfg = GroundingGenConfig(out=args.out, num_images=args.images, categories=_split(args.categories),
                                 context_categories=_split(args.context_categories), image_size=args.image_size,
                                 seed=args.seed, cameras=_split(args.cameras), scenes_per_shard=args.scenes_per_shard,
                                 min_pixels=args.min_pixels, image_format=args.format, workers=args.workers,
                                 progress=not args.no_progress)
        summary = generate_grounding(cfg)
    except InvalidInputError as e:  # name the flag, not the config field
        msg = str(e)
        field, _, rest = msg.partition(": ")
        if field in _FLAGS:
            msg = f"{_FLAGS[field]}: {rest}"
        raise SystemExit(f"graspvla grounding: error: {msg}") from None
    print(summary.format())
    return 0
