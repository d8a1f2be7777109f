"""Training augmentation: boxes follow the pixels they label, base-frame labels never change,
draws are reproducible per (step, position) whatever the rank split."""

from __future__ import annotations

import numpy as np
import pytest

from graspvla.errors import InvalidInputError
from graspvla.train import MixtureSampler
from graspvla.train.augment import AugmentConfig, Augmenter, augment_sample
from graspvla.train.trainer import _StepBatches

S = 224


def _scene(box_front: tuple[int, int, int, int], box_side: tuple[int, int, int, int]) -> dict:
    """Grey views with one saturated red rectangle each, exactly at the given boxes."""
    views = []
    for x0, y0, x1, y1 in (box_front, box_side):
        im = np.full((S, S, 3), 120, np.uint8)
        im[y0:y1, x0:x1] = (255, 0, 0)
        views.append(im)
    rng = np.random.default_rng(0)
    return dict(front=views[0], side=views[1], instruction="pick up the mug",
                bbox=np.array([box_front, box_side], float), proprio=rng.normal(size=(2, 7)),
                goal=rng.normal(size=6), actions=rng.normal(size=(4, 7)), kind="synthetic", seed=3)


def _red_box(im: np.ndarray) -> np.ndarray:
    """Box of the pixels that stayed clearly red: the independent measurement of the label."""
    f = im.astype(int)
    ys, xs = np.nonzero((f[..., 0] - f[..., 1] > 60) & (f[..., 0] - f[..., 2] > 60))
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], float)


@pytest.mark.parametrize("seed", range(8))
def test_boxes_follow_the_pixels(seed: int) -> None:
    s = _scene((90, 100, 130, 140), (40, 150, 70, 200))
    out = augment_sample(s, AugmentConfig(crop_scale=(0.6, 0.95)), np.random.default_rng(seed), S)
    for k, cam in enumerate(("front", "side")):
        measured = _red_box(out[cam])
        # bilinear resampling smears the edges by about one output pixel
        assert np.abs(measured - out["bbox"][k]).max() <= 2.0, (cam, measured, out["bbox"][k])
        assert not np.allclose(out["bbox"][k], s["bbox"][k])  # the crop did move it
    for key in ("proprio", "goal", "actions", "instruction", "kind", "seed"):
        assert np.array_equal(np.asarray(out[key]), np.asarray(s[key]))  # base-frame labels unchanged
    assert np.array_equal(s["bbox"], _scene((90, 100, 130, 140), (40, 150, 70, 200))["bbox"])  # input kept


@pytest.mark.parametrize("seed", range(6))
def test_target_points_follow_the_pixels(seed: int) -> None:
    """A target point (e.g. the grasp's projection) moves with the crop as the pixel under it."""
    s = _scene((90, 100, 94, 104), (40, 150, 44, 154))  # 4 px squares: their centres are the points
    s["target_point"] = np.array([[92.0, 102.0], [42.0, 152.0]])
    out = augment_sample(s, AugmentConfig(crop_scale=(0.6, 0.95)), np.random.default_rng(seed), S)
    for k, cam in enumerate(("front", "side")):
        b = _red_box(out[cam]) if np.isfinite(out["target_point"][k]).all() else None
        if b is None:
            assert np.all(out["bbox"][k] == 0.0)  # left the crop with its square
            continue
        np.testing.assert_allclose(out["target_point"][k], [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], atol=1.5)
    np.testing.assert_array_equal(s["target_point"], [[92.0, 102.0], [42.0, 152.0]])  # input kept
    gone = dict(s, target_point=np.array([[1.0, 1.0], [np.nan, np.nan]]))
    cfg = AugmentConfig(crop_scale=(0.5, 0.5), brightness=0.0, contrast=0.0)
    outs = [augment_sample(gone, cfg, np.random.default_rng(k), S)["target_point"] for k in range(20)]
    assert all(np.isnan(o[1]).all() for o in outs)  # none stays none
    assert any(np.isnan(o[0]).all() for o in outs)  # cropped away: none


def test_box_cropped_away_becomes_not_visible_and_zero_box_stays() -> None:
    s = _scene((0, 0, 60, 60), (100, 100, 120, 120))
    s["bbox"][1] = 0.0  # the side view does not see the target
    cfg = AugmentConfig(crop_scale=(0.5, 0.5), brightness=0.0, contrast=0.0)
    seen = set()
    for seed in range(40):
        out = augment_sample(s, cfg, np.random.default_rng(seed), S)
        assert np.all(out["bbox"][1] == 0.0)
        gone = bool(np.all(out["bbox"][0] == 0.0))
        red = ((out["front"][..., 0].astype(int) - out["front"][..., 1]) > 60).any()
        assert gone == (not red)  # "not visible" exactly when the rectangle left the crop
        seen.add(gone)
    assert seen == {True, False}


def test_photometric_only_keeps_geometry() -> None:
    s = _scene((90, 100, 130, 140), (40, 150, 70, 200))
    out = augment_sample(s, AugmentConfig(crop_scale=(1.0, 1.0)), np.random.default_rng(1), S)
    assert np.array_equal(out["bbox"], s["bbox"])
    assert not np.array_equal(out["front"], s["front"])
    assert np.array_equal(_red_box(out["front"]), s["bbox"][0])


def test_bad_config_rejected() -> None:
    with pytest.raises(InvalidInputError):
        AugmentConfig(crop_scale=(0.9, 0.5))
    with pytest.raises(InvalidInputError):
        AugmentConfig(brightness=1.5)


class _Scenes:
    def __len__(self) -> int:
        return 10

    def __getitem__(self, i: int) -> dict:
        return _scene((10 * i, 20, 10 * i + 30, 60), (50, 10 * i, 90, 10 * i + 25))


def test_step_batches_same_draws_for_any_rank_split() -> None:
    aug = Augmenter(AugmentConfig(crop_scale=(0.7, 1.0)), S)

    def batch(rank: int, world: int) -> list:
        sampler = MixtureSampler(10, 0, 4, seed=5, rank=rank, world_size=world)
        return _StepBatches(sampler, [_Scenes(), None], lambda xs: xs, 0, 3, aug, seed=5)[2]

    single = batch(0, 1)
    split = batch(0, 2) + batch(1, 2)
    for a, b in zip(single, split):
        assert np.array_equal(a["front"], b["front"]) and np.array_equal(a["bbox"], b["bbox"])
    assert not np.array_equal(single[0]["front"], _Scenes()[0]["front"])
