"""Training-time image augmentation that keeps every label true.

A random square crop resized back to full size is, to first order, a small rotation of the
camera about its centre plus a zoom: it moves the target in the image, so the box labels move
with it, but the robot and object poses in the base frame do not change, so proprio, grasp
pose and actions stay exactly as recorded. Photometric jitter changes no label. Cameras are
already randomised per episode (pose, field of view), so a crop shows the model views of the
kind it meets at test time, but far more of them than there are rendered scenes: without it a
model trained from scratch on a few thousand scenes memorises where each scene's target is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from graspvla.errors import InvalidInputError

__all__ = ["AugmentConfig", "Augmenter", "augment_sample"]


@dataclass(frozen=True)
class AugmentConfig:
    """Per-view augmentation, drawn independently for each camera of a sample.

    Attributes:
        crop_scale: range of the crop's side as a fraction of the image side (1 = whole image);
            the crop's position is uniform over the image.
        brightness: pixel values are scaled by a factor in [1 - b, 1 + b].
        contrast: deviations from the view's mean are scaled by a factor in [1 - c, 1 + c].
        cameras: the sample's image keys.
    """

    crop_scale: tuple[float, float] = (0.8, 1.0)
    brightness: float = 0.2
    contrast: float = 0.2
    cameras: tuple[str, ...] = ("front", "side")

    def __post_init__(self) -> None:
        lo, hi = self.crop_scale
        if not 0.0 < lo <= hi <= 1.0:
            raise InvalidInputError(f"AugmentConfig.crop_scale must satisfy 0 < lo <= hi <= 1, got {self.crop_scale}")
        if not (0.0 <= self.brightness < 1.0 and 0.0 <= self.contrast < 1.0):
            raise InvalidInputError("AugmentConfig.brightness and contrast must be in [0, 1)")


def augment_sample(sample: dict[str, Any], config: AugmentConfig, rng: np.random.Generator,
                   image_size: int) -> dict[str, Any]:
    """Returns a copy of ``sample`` (the Collator's format) with each view cropped, resized back
    and jittered, and ``bbox`` row k (pixels in ``image_size`` coordinates) moved with view k,
    as is ``target_point`` row k (NaN once outside the crop).

    A box that ends up wholly outside its crop becomes (0, 0, 0, 0), the "not visible" label;
    an all-zero box stays so.
    """
    from PIL import Image

    out = dict(sample)
    boxes = None if sample.get("bbox") is None else np.array(sample["bbox"], dtype=np.float64).reshape(-1, 4)
    points = None if sample.get("target_point") is None else np.array(sample["target_point"], dtype=np.float64).reshape(-1, 2)
    for k, cam in enumerate(config.cameras):
        im = np.asarray(sample[cam])
        h, w = im.shape[:2]
        s = rng.uniform(*config.crop_scale)
        cw, ch = s * w, s * h
        x0, y0 = rng.uniform(0.0, w - cw), rng.uniform(0.0, h - ch)
        if s < 1.0:
            im = np.asarray(Image.fromarray(im).resize((w, h), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch)))
        gain = rng.uniform(1.0 - config.brightness, 1.0 + config.brightness)
        con = rng.uniform(1.0 - config.contrast, 1.0 + config.contrast)
        f = im.astype(np.float32)
        mean = f.mean()
        out[cam] = np.clip(((f - mean) * con + mean) * gain, 0.0, 255.0).astype(np.uint8)
        if boxes is not None and k < len(boxes) and np.any(boxes[k] != 0):
            # box in image_size units -> this view's pixels -> crop -> back to image_size units
            px = boxes[k] * [w / image_size, h / image_size, w / image_size, h / image_size]
            px = (px - [x0, y0, x0, y0]) / s
            px = np.clip(px, 0.0, [w, h, w, h])
            visible = px[2] - px[0] > 0.5 and px[3] - px[1] > 0.5
            boxes[k] = px * [image_size / w, image_size / h, image_size / w, image_size / h] if visible else 0.0
        if points is not None and k < len(points) and np.all(np.isfinite(points[k])):
            pt = (points[k] * [w / image_size, h / image_size] - [x0, y0]) / s
            inside = 0.0 <= pt[0] <= w and 0.0 <= pt[1] <= h
            points[k] = pt * [image_size / w, image_size / h] if inside else np.nan
    if boxes is not None:
        out["bbox"] = boxes
    if points is not None:
        out["target_point"] = points
    return out


class Augmenter:
    """The Trainer's ``augment(sample, rng)`` callable: :func:`augment_sample` bound to a config
    and the model's input size (picklable, for DataLoader workers)."""

    def __init__(self, config: AugmentConfig, image_size: int) -> None:
        self.config, self.image_size = config, image_size

    def __call__(self, sample: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        return augment_sample(sample, self.config, rng, self.image_size)
