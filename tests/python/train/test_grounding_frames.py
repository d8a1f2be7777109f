"""GroundingFrames (GRIT-style random access -> Collator grounding samples) and co-training:
letterboxed boxes, both camera slots, DataLoader workers, supervised box tokens, the grounding
loss falls, mixed training runs, and ``graspvla train --grounding``."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from torch.utils.data import DataLoader

from graspvla.errors import InvalidInputError
from graspvla.model import Collator, GraspVLA, GraspVLAConfig, Normalizer
from graspvla.model.layout import IGNORE
from graspvla.train import TrainConfig, Trainer
from graspvla.train.vla_data import EpisodeFrames, GroundingFrames, fit_normalizer

COLOURS = {"red block": (220, 30, 30), "blue block": (30, 30, 220), "green block": (30, 200, 30)}


def _png(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _scene(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, list[dict]]:
    """Grey image with two coloured rectangles (left and right half); annotations in pixels."""
    img = np.full((h, w, 3), 128, np.uint8)
    anns = []
    for half, phrase in enumerate(rng.choice(list(COLOURS), 2, replace=False)):
        bw, bh = int(rng.integers(w // 8, w // 2 - 2)), int(rng.integers(h // 5, h // 2))
        x0, y0 = half * (w // 2) + int(rng.integers(0, w // 2 - bw)), int(rng.integers(0, h - bh))
        img[y0:y0 + bh, x0:x0 + bw] = COLOURS[str(phrase)]
        anns.append({"phrase": str(phrase), "box": [x0, y0, x0 + bw, y0 + bh]})
    return img, anns


def _grit_dir(root: Path, n: int = 12, w: int = 80, h: int = 48) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    with open(root / "grounding.jsonl", "w") as f:
        for i in range(n):
            img, anns = _scene(rng, w, h)
            (root / f"{i}.png").write_bytes(_png(img))
            f.write(json.dumps({"image": f"{i}.png", "annotations": anns}) + "\n")
    return root


def _tiny() -> GraspVLAConfig:
    return GraspVLAConfig(image_size=64)


def test_samples_letterbox_image_and_box_into_both_slots(tmp_path: Path) -> None:
    root = _grit_dir(tmp_path / "g")
    ds = GroundingFrames(root, image_size=64)  # a directory holding grounding.jsonl
    assert len(ds) == 24
    for i in range(len(ds)):
        s = ds[i]
        assert s["kind"] == "grounding" and s["front"] is s["side"] and s["front"].shape == (64, 64, 3)
        assert s["instruction"] in {f"pick up the {p}" for p in COLOURS}
        np.testing.assert_array_equal(s["bbox"][0], s["bbox"][1])
        x0, y0, x1, y1 = s["bbox"][0]
        # 80x48 -> 64x38 centred: rows 13..51 hold the image, the rest is black
        assert 13 <= y0 < y1 <= 51 + 1e-9 and 0 <= x0 < x1 <= 64
        assert (s["front"][:12] == 0).all() and (s["front"][53:] == 0).all()
        inner = s["front"][int(np.ceil(y0)) + 1:int(y1) - 1, int(np.ceil(x0)) + 1:int(x1) - 1].reshape(-1, 3)
        colour = COLOURS[s["instruction"].removeprefix("pick up the ")]
        assert (np.abs(inner.astype(int) - colour).max(axis=1) < 40).mean() > 0.9  # the box frames its object
    stretched = GroundingFrames(root / "grounding.jsonl", image_size=64, resize="stretch")
    raw = json.loads((root / "grounding.jsonl").read_text().splitlines()[0])["annotations"][0]["box"]
    np.testing.assert_allclose(stretched[0]["bbox"][0], np.array(raw) * [64 / 80, 64 / 48, 64 / 80, 64 / 48])
    # letterbox: 80x48 -> 64x38 (x by 64/80, y by 38/48) below a 13 px band
    np.testing.assert_allclose(ds[0]["bbox"][0], np.array(raw) * [0.8, 38 / 48, 0.8, 38 / 48] + [0, 13, 0, 13])


def test_grit_variants_bad_records_and_workers(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    img = np.zeros((20, 40, 3), np.uint8)
    (root / "a.png").write_bytes(_png(img))
    lines = [
        {"key": "a.png", "caption": "a red mug on a table", "ref_exps": [[0, 9, 0.1, 0.2, 0.5, 0.9, 0.8]]},
        {"image": "missing.png", "phrase": "cup", "box": [0, 0, 5, 5]},
        {"image": "a.png", "annotations": [{"phrase": "bad", "box": [5, 5, 5, 9]}, {"phrase": " ", "box": [0, 0, 3, 3]}]},
        {"image": "a.png", "phrase": "far", "box": [100, 100, 120, 130]},
    ]
    (root / "x.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n{truncated\n")
    ds = GroundingFrames(root / "x.jsonl", image_size=40)
    assert len(ds) == 3 and ds.dropped == 3  # degenerate box, empty phrase, truncated line
    s = ds[0]
    assert s["instruction"] == "pick up the a red mug"
    np.testing.assert_allclose(s["bbox"][0], [4, 4 + 10, 20, 18 + 10])  # 40x20 -> 40x40 with a 10 px band
    with pytest.warns(UserWarning, match="skipping"):
        again = ds[1]  # missing image -> the next annotation ("far": outside the image) -> wraps to 0
    assert again["instruction"] == "pick up the a red mug" and ds.skipped == 2
    # parquet with encoded images, through a DataLoader with 2 workers (pickled dataset)
    t = pa.table({"image_bytes": [_png(np.full((30, 30, 3), 9, np.uint8))] * 3, "phrase": ["mug", "can", "cup"],
                  "box": [[1.0, 2.0, 20.0, 15.0]] * 3})
    pq.write_table(t, root / "p.parquet")
    pds = GroundingFrames(root / "p.parquet", image_size=60)
    assert pickle.loads(pickle.dumps(pds))[2]["instruction"] == "pick up the cup"
    got = list(DataLoader(pds, batch_size=None, num_workers=2))
    assert [g["instruction"] for g in got] == ["pick up the mug", "pick up the can", "pick up the cup"]
    np.testing.assert_allclose(got[0]["bbox"][0], [2, 4, 40, 30])
    assert int(got[0]["front"][0, 0, 0]) == 9
    with pytest.raises(InvalidInputError, match="does not exist"):
        GroundingFrames(root / "nope", 64)
    with pytest.raises(InvalidInputError, match="resize"):
        GroundingFrames(root / "p.parquet", 64, resize="crop")
    (root / "empty.jsonl").write_text(json.dumps({"image": "a.png"}) + "\n")
    with pytest.raises(InvalidInputError, match="no usable"):
        GroundingFrames(root / "empty.jsonl", 64)


def test_collated_grounding_samples_supervise_the_box_tokens(tmp_path: Path) -> None:
    cfg = _tiny()
    ds = GroundingFrames(_grit_dir(tmp_path / "g", n=4), cfg.image_size)
    collate = Collator(cfg, Normalizer.identity())
    batch = collate([ds[i] for i in range(4)])
    assert not batch["is_action"].any() and batch["images"].shape == (4, 2, 3, 64, 64)
    torch.testing.assert_close(batch["images"][:, 0], batch["images"][:, 1])
    labels = batch["prefix"].labels
    for k in range(4):
        sup = labels[k][labels[k] != IGNORE]
        assert len(sup) == 9  # 8 box tokens (front, side) + EOS
        decoded = collate.layout.bins.decode(sup[:8].numpy())
        want = np.asarray(ds[k]["bbox"]).reshape(-1) / cfg.image_size * 2 - 1
        assert np.abs(decoded - want).max() <= 2.0 / 255 + 1e-6


def _trainer(tmp: Path, model: GraspVLA, synthetic, grounding, collate, steps: int, ratio: float) -> Trainer:
    tcfg = TrainConfig(output_dir=str(tmp), max_steps=steps, global_batch_size=8, lr=2e-3, warmup_steps=2,
                       grounding_ratio=ratio, checkpoint_every=10**6, progress=False, log_every=1, seed=0)
    return Trainer(model, tcfg, synthetic, grounding=grounding, collate_fn=collate, device="cpu")


def test_grounding_only_training_lowers_the_box_loss(tmp_path: Path) -> None:
    torch.manual_seed(0)
    cfg = _tiny()
    model = GraspVLA(cfg)
    ds = GroundingFrames(_grit_dir(tmp_path / "g", n=6), cfg.image_size)
    collate = Collator(cfg, Normalizer.identity())
    probe = collate([ds[i] for i in range(len(ds))])
    with torch.no_grad():
        before, _ = model.compute_loss(probe)
    res = _trainer(tmp_path / "o", model, None, ds, collate, steps=20, ratio=1.0).train()
    with torch.no_grad():
        after, metrics = model.compute_loss(probe)
    assert all(np.isfinite(res.losses)) and "flow" not in metrics
    print(f"grounding-only CE: {float(before):.3f} -> {float(after):.3f}")
    assert float(after) < 0.7 * float(before), (float(before), float(after))


def test_mixed_training_and_train_cli(tmp_path: Path) -> None:
    from graspvla.cli.main import main
    from graspvla.data import GenerateConfig, generate

    data = tmp_path / "d"
    generate(GenerateConfig(out=str(data), num_episodes=2, episodes_per_shard=2, source="test-scripted",
                            source_options={"image_size": 32, "frames": 8}, workers=1, progress=False))
    cfg = _tiny()
    torch.manual_seed(0)
    model = GraspVLA(cfg)
    frames = EpisodeFrames(str(data), cfg.image_size)
    gds = GroundingFrames(_grit_dir(tmp_path / "g", n=4), cfg.image_size)
    trainer = _trainer(tmp_path / "o", model, frames, gds, Collator(cfg, fit_normalizer(frames)), steps=3, ratio=0.5)
    drawn = [src for step in range(3) for src, _ in trainer.sampler.global_batch(step)]
    assert 0 < sum(drawn) < len(drawn)  # both sources in the batches
    res = trainer.train()
    assert res.steps == 3 and all(np.isfinite(res.losses))
    # the CLI: a bad ratio is refused before anything is built; then 1 step with grounding data
    with pytest.raises(InvalidInputError, match="grounding-ratio"):
        main(["train", "--data", str(data), "--grounding", str(tmp_path / "g"), "--grounding-ratio", "1.5"])
    with pytest.raises(InvalidInputError, match="needs --grounding"):
        main(["train", "--data", str(data), "--grounding-ratio", "0.3"])
    with pytest.raises(InvalidInputError, match="does not exist"):
        main(["train", "--data", str(data), "--grounding", str(tmp_path / "missing")])
    with pytest.raises(InvalidInputError, match="without PAG"):
        main(["train", "--data", str(data), "--grounding", str(tmp_path / "g"), "--no-pag"])
    out = tmp_path / "cli"
    assert main(["train", "--data", str(data), "--grounding", str(tmp_path / "g"), "--grounding", str(tmp_path / "g"),
                 "--steps", "1", "--batch", "2", "--workers", "0", "--warmup", "1", "--out", str(out)]) == 0
    meta = (out / "model").rglob("*.json")
    assert any('"grounding_ratio": 0.2' in p.read_text() for p in meta)
