"""Episode subsets (data-scaling runs): ``LeRobotReader(episodes=...)``, ``EpisodeFrames(episodes=...)``
and ``graspvla train --max-episodes``: the first n episodes, nested, random access and DataLoader
workers intact."""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pytest

from graspvla.data.reader import LeRobotReader
from graspvla.errors import InvalidInputError


def _episodes(reader: LeRobotReader) -> list[int]:
    return sorted({reader[i]["episode_index"] for i in range(len(reader))})


def test_first_n_episodes_are_nested_and_match_the_full_reader(small_dataset: Path) -> None:
    full = LeRobotReader(small_dataset, decode_images=False)
    assert full.num_episodes >= 6
    prev: list[int] = []
    for n in (1, 3, full.num_episodes):
        sub = LeRobotReader(small_dataset, decode_images=False, episodes=n)
        eps = _episodes(sub)
        assert sub.num_episodes == n and len(eps) == n
        assert eps[:len(prev)] == prev  # nested
        prev = eps
        # the subset's frames are the full reader's first frames, in the same order
        for i in (0, len(sub) // 2, len(sub) - 1):
            a, b = sub[i], full[i]
            assert a["index"] == b["index"] and np.array_equal(a["action"], b["action"])
    assert len(LeRobotReader(small_dataset, decode_images=False, episodes=full.num_episodes)) == len(full)


def test_explicit_episode_list_and_errors(small_dataset: Path) -> None:
    full = LeRobotReader(small_dataset, decode_images=False)
    ids = _episodes(full)
    pick = [ids[4], ids[1]]
    sub = LeRobotReader(small_dataset, decode_images=False, episodes=pick)
    assert _episodes(sub) == sorted(pick)
    with pytest.raises(InvalidInputError, match="only"):
        LeRobotReader(small_dataset, episodes=full.num_episodes + 1)
    with pytest.raises(InvalidInputError, match="at least 1"):
        LeRobotReader(small_dataset, episodes=0)
    with pytest.raises(InvalidInputError, match="not"):
        LeRobotReader(small_dataset, episodes=[10_000])


def test_episode_frames_subset_pickles_and_loads_in_workers(small_dataset: Path) -> None:
    from torch.utils.data import DataLoader

    from graspvla.train.vla_data import EpisodeFrames, fit_normalizer

    frames = EpisodeFrames(str(small_dataset), image_size=32, episodes=2)
    assert frames.reader.num_episodes == 2
    clone = pickle.loads(pickle.dumps(frames))
    assert len(clone) == len(frames) and clone[len(frames) - 1]["seed"] == frames[len(frames) - 1]["seed"]
    loader = DataLoader(frames, batch_size=None, num_workers=1, shuffle=False)
    seeds = [int(s["seed"]) for s in loader]
    assert seeds == [frames[i]["seed"] for i in range(len(frames))]
    fit_normalizer(frames)  # statistics of the subset only
    with pytest.raises(InvalidInputError):
        EpisodeFrames(str(small_dataset), reader=frames.reader, episodes=1)


def test_train_cli_max_episodes(small_dataset: Path, tmp_path: Path) -> None:
    from graspvla.cli.train import add_arguments, build_training

    p = argparse.ArgumentParser()
    add_arguments(p)
    full = LeRobotReader(small_dataset, decode_images=False)
    n0 = full.num_episodes
    first3 = len(LeRobotReader(small_dataset, decode_images=False, episodes=3))
    base = ["--data", str(small_dataset), "--steps", "1", "--batch", "1", "--workers", "0", "--out", str(tmp_path)]
    _, _, ds, _, _ = build_training(p.parse_args(base + ["--max-episodes", "3"]))
    assert len(ds) == first3
    # over two datasets in order: all of the first, then the first episodes of the second
    _, _, ds, _, _ = build_training(p.parse_args(base + ["--data", str(small_dataset), "--max-episodes", str(n0 + 3)]))
    assert len(ds) == len(full) + first3 and len(ds.datasets) == 2
    with pytest.raises(InvalidInputError, match="hold only"):
        build_training(p.parse_args(base + ["--max-episodes", str(n0 + 1)]))


def test_pag_min_distance_supervises_frames_with_the_hand_away_from_the_grasp(small_dataset: Path,
                                                                             tmp_path: Path) -> None:
    from graspvla.cli.train import add_arguments, build_training
    from graspvla.train.vla_data import EpisodeFrames

    plain = EpisodeFrames(str(small_dataset), image_size=32)
    assert "supervise_pag" not in plain[0]
    frames = EpisodeFrames(str(small_dataset), image_size=32, pag_min_distance=0.1)
    reader = LeRobotReader(small_dataset, decode_images=False)
    flags, first = [], []
    for i in range(len(frames)):
        item = reader[i]
        hand = np.asarray(item["state"], dtype=np.float64).reshape(2, 7)[-1, :3]
        grasp = np.asarray(item["goal"], dtype=np.float64).reshape(-1, 6)[0, :3]
        want = bool(np.linalg.norm(hand - grasp) >= 0.1)
        assert frames[i]["supervise_pag"] is want
        flags.append(want)
        if int(item["frame_index"]) == 0:
            first.append(want)
    # every episode starts with the hand at home, far above the table; it ends at the object
    assert all(first) and len(first) == reader.num_episodes
    assert 0 < sum(flags) < len(flags)
    with pytest.raises(InvalidInputError, match="pag_min_distance"):
        EpisodeFrames(str(small_dataset), image_size=32, pag_min_distance=-0.1)
    p = argparse.ArgumentParser()
    add_arguments(p)
    args = p.parse_args(["--data", str(small_dataset), "--steps", "1", "--batch", "1", "--workers", "0",
                         "--out", str(tmp_path), "--pag-min-distance", "0.1"])
    _, _, ds, _, _ = build_training(args)
    assert ds.pag_min_distance == 0.1


def test_cli_expert_goal_input(small_dataset, tmp_path) -> None:
    """--expert-goal-input builds the expert's goal input, adds it to an --init model, and is
    refused without PAG."""
    import torch

    from graspvla.cli.train import add_arguments, build_training
    from graspvla.model.checkpoint import save_pretrained

    p = argparse.ArgumentParser()
    add_arguments(p)
    base = ["--data", str(small_dataset), "--steps", "1", "--batch", "1", "--workers", "0", "--out", str(tmp_path)]
    model, norm, *_ = build_training(p.parse_args(base + ["--expert-goal-input"]))
    assert model.config.expert.goal_input and model.goal_in is not None
    plain, _, *_ = build_training(p.parse_args(base))
    assert plain.goal_in is None and not plain.config.expert.goal_input
    save_pretrained(plain, norm, tmp_path / "plain")
    inited, *_ = build_training(p.parse_args(base + ["--init", str(tmp_path / "plain"), "--expert-goal-input"]))
    assert inited.goal_in is not None and float(inited.goal_in.weight.detach().abs().sum()) == 0.0
    torch.testing.assert_close(inited.proprio_in.weight, plain.proprio_in.weight)
    with pytest.raises(InvalidInputError, match="without PAG"):
        build_training(p.parse_args(base + ["--expert-goal-input", "--no-pag"]))


def test_cli_grasp_head(small_dataset, tmp_path) -> None:
    """--grasp-head adds the keypoint grasp head to an --init model (the rest unchanged) and is
    refused by a preset without a queried keypoint."""
    import torch

    from graspvla.cli.train import add_arguments, build_training
    from graspvla.model.checkpoint import save_pretrained

    p = argparse.ArgumentParser()
    add_arguments(p)
    base = ["--data", str(small_dataset), "--steps", "1", "--batch", "1", "--workers", "0", "--out", str(tmp_path)]
    plain, norm, *_ = build_training(p.parse_args(base + ["--preset", "tiny-ground"]))
    assert plain.grasp_head is None
    save_pretrained(plain, norm, tmp_path / "plain")
    inited, *_ = build_training(p.parse_args(base + ["--init", str(tmp_path / "plain"), "--grasp-head"]))
    assert inited.config.grasp_head and inited.grasp_head is not None
    torch.testing.assert_close(inited.proprio_in.weight, plain.proprio_in.weight)
    with pytest.raises(InvalidInputError, match="queried keypoint"):
        build_training(p.parse_args(base + ["--preset", "tiny", "--grasp-head"]))


def test_cli_goal_noise(small_dataset, tmp_path) -> None:
    """--goal-noise reaches the collator's config; an --init model keeps its value unless given;
    a negative value is refused."""
    from graspvla.cli.train import add_arguments, build_training
    from graspvla.model.checkpoint import save_pretrained

    p = argparse.ArgumentParser()
    add_arguments(p)
    base = ["--data", str(small_dataset), "--steps", "1", "--batch", "1", "--workers", "0", "--out", str(tmp_path)]
    model, norm, _, collate, _ = build_training(p.parse_args(base + ["--goal-noise", "0.04"]))
    assert model.config.expert_goal_noise == 0.04 and collate.config.expert_goal_noise == 0.04
    save_pretrained(model, norm, tmp_path / "noisy")
    kept, *_ = build_training(p.parse_args(base + ["--init", str(tmp_path / "noisy")]))
    assert kept.config.expert_goal_noise == 0.04
    off, *_ = build_training(p.parse_args(base + ["--init", str(tmp_path / "noisy"), "--goal-noise", "0"]))
    assert off.config.expert_goal_noise == 0.0
    with pytest.raises(InvalidInputError, match="expert_goal_noise"):
        build_training(p.parse_args(base + ["--goal-noise", "-1"]))
