"""``graspvla train``: train the GraspVLA model on LeRobot v3 datasets (one process, or DDP
under ``torchrun --nproc_per_node N -m graspvla.cli.main train ...``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, action="append", help="LeRobot v3 dataset directory (repeatable)")
    p.add_argument("--out", default="outputs/train", help="checkpoints, logs and the final model (out/model)")
    p.add_argument("--preset", default="tiny",
                   choices=["tiny", "tiny-conv", "tiny-kp", "tiny-film", "tiny-ground", "small", "graspvla"],
                   help="model size (graspvla.model.config.PRESETS; tiny-conv: convolutional vision stems; "
                        "tiny-kp: plus keypoint tokens; tiny-film: plus instruction-conditioned stems; "
                        "tiny-ground: plus a keypoint trained to find the named object)")
    p.add_argument("--steps", type=int, default=2000, help="optimiser steps")
    p.add_argument("--batch", type=int, default=16, help="global batch size (split over ranks)")
    p.add_argument("--lr", type=float, default=3e-4, help="peak learning rate")
    p.add_argument("--warmup", type=int, default=100, help="warm-up steps")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers per rank")
    p.add_argument("--no-pag", action="store_true", help="ablation: no box / grasp tokens")
    p.add_argument("--no-proprio-history", action="store_true",
                   help="train without the history proprio row (the current one in its place): no recent motion "
                        "to copy; also applies to an --init model")
    p.add_argument("--no-proprio-position", action="store_true",
                   help="hide the hand's position (xyz) from the proprio input; with --expert-goal-input the expert "
                        "still gets goal - pose; also applies to an --init model")
    p.add_argument("--expert-goal-input", action="store_true",
                   help="the action expert also reads the grasp of the goal tokens as numbers (zero-initialised; "
                        "with --init it is added to the loaded model)")
    p.add_argument("--grasp-head", action="store_true",
                   help="regress the grasp position from the towers' keypoints (needs PAG and a queried keypoint, "
                        "e.g. --preset tiny-ground; with --init it is added to the loaded model)")
    p.add_argument("--goal-noise", type=float, default=None, metavar="METRES",
                   help="train the action expert on grasps moved by up to about this much (x, y, z; "
                        "config.expert_goal_noise), so it finishes the reach from the images rather than "
                        "following a predicted grasp that is a few cm off; e.g. 0.05; with --init the "
                        "default keeps the checkpoint's value (0 turns it off)")
    p.add_argument("--text-tokenizer", choices=["byte", "bpe"], default="byte",
                   help="new models: 'byte' (UTF-8 bytes) or 'bpe' (a BPE trained here on the prompts of every "
                        "category, dataset task and grounding phrase: one token per object name); ignored "
                        "with --init, which keeps the checkpoint's")
    p.add_argument("--train-vision", action="store_true", help="also train the vision towers")
    p.add_argument("--seed", type=int, default=0, help="seed of data order, init and noise")
    p.add_argument("--fsdp", action="store_true",
                   help="under torchrun: shard parameters, gradients and optimiser state (FSDP2) "
                        "instead of DDP replicas; for the large preset")
    p.add_argument("--augment", type=float, default=None, metavar="MIN_SCALE",
                   help="augment each view: a random square crop of MIN_SCALE..1 of the side, resized "
                        "back (boxes move with it; base-frame labels stay), plus brightness/contrast "
                        "jitter (graspvla.train.augment); e.g. 0.8")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    p.add_argument("--init", default=None, help="start from this model directory instead of random weights")
    p.add_argument("--max-episodes", type=int, default=None, metavar="N",
                   help="train on the first N (successful) episodes only, over the --data sets in order "
                        "(nested subsets for data-scaling runs); the normaliser is fitted on them too")
    p.add_argument("--pag-min-distance", type=float, default=0.0, metavar="METRES",
                   help="supervise a frame's box and grasp-pose tokens only while the hand is at least this "
                        "far from the grasp (0 = every frame); near the target both can be read off the "
                        "hand, a shortcut that teaches nothing about finding the named object; e.g. 0.1")
    add_target_point_argument(p)
    add_grounding_arguments(p)


def add_target_point_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target-point", action="store_true",
                   help="train the instruction-queried keypoint on the grasp position's projection in each "
                        "view (episodes that record their cameras' calibration) instead of the target's box: "
                        "calibrated cameras then triangulate where to grasp, not the middle of the object")
    p.add_argument("--bin-sigma", type=float, default=None, metavar="BINS",
                   help="Gaussian targets over the bins for the box and grasp tokens, this many bins wide (std; "
                        "config.bin_label_sigma), so a bin near the label costs less than a far one; e.g. 3; "
                        "with --init the default keeps the checkpoint's value (0 = one-hot)")


def add_grounding_arguments(p: argparse.ArgumentParser) -> None:
    """``--grounding`` / ``--grounding-ratio`` (co-training on grounding data)."""
    p.add_argument("--grounding", action="append", default=None, metavar="PATH",
                   help="grounding data (repeatable): a GRIT-style .jsonl/.parquet, or a directory made by "
                        "`graspvla grounding` (or holding one such file)")
    p.add_argument("--grounding-ratio", type=float, default=None,
                   help="fraction of each batch drawn from the grounding data, in [0, 1]; "
                        "None = 0.2 with --grounding, else 0")


def grounding_dataset(args: argparse.Namespace, image_size: int):  # type: ignore[no-untyped-def]
    """(dataset or None, ratio) from ``--grounding`` / ``--grounding-ratio`` (validated)."""
    from torch.utils.data import ConcatDataset

    from graspvla.train.vla_data import GroundingFrames

    ratio = _grounding_ratio(args)
    paths = getattr(args, "grounding", None) or []
    if not paths:
        return None, 0.0
    parts = [GroundingFrames(p, image_size) for p in paths]
    return (parts[0] if len(parts) == 1 else ConcatDataset(parts)), ratio


def _grounding_ratio(args: argparse.Namespace) -> float:
    from graspvla.errors import InvalidInputError

    paths, ratio = getattr(args, "grounding", None) or [], getattr(args, "grounding_ratio", None)
    if ratio is not None and not 0.0 <= ratio <= 1.0:
        raise InvalidInputError(f"--grounding-ratio must be in [0, 1], got {ratio}")
    if not paths:
        if ratio:
            raise InvalidInputError("--grounding-ratio > 0 needs --grounding PATH")
        return 0.0
    return 0.2 if ratio is None else float(ratio)


def build_training(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Datasets, model, normaliser and trainer config from CLI arguments (shared with finetune).

    Grounding data (``args.grounding``, optional) is not in the returned tuple: get it with
    :func:`grounding_dataset`; ``tcfg.grounding_ratio`` is already set from it."""
    import torch
    from torch.utils.data import ConcatDataset

    from graspvla.data.grounding import find_grounding_file
    from graspvla.errors import InvalidInputError
    from graspvla.model import Collator, GraspVLA, preset
    from graspvla.model.checkpoint import from_pretrained
    from graspvla.model.tokenizer import HFTextTokenizer
    from graspvla.train import TrainConfig
    from graspvla.train.vla_data import fit_normalizer

    if args.steps < 1 or args.batch < 1 or args.lr <= 0:
        raise InvalidInputError("--steps and --batch must be >= 1 and --lr > 0")
    grounding_ratio = _grounding_ratio(args)
    for g in getattr(args, "grounding", None) or []:  # fail before the model is built
        find_grounding_file(g)
    torch.manual_seed(args.seed)
    if args.init:
        model, normalizer = from_pretrained(args.init)
    else:
        cfg = preset(args.preset)
        cfg.use_pag = not args.no_pag
        text = None
        if getattr(args, "text_tokenizer", "byte") == "bpe":
            # kept in the run directory, so a resumed run tokenises exactly as it started
            saved = Path(args.out) / "tokenizer.json"
            if saved.is_file():
                text = HFTextTokenizer(str(saved))
            else:
                text = prompt_tokenizer(args)
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(text.to_json())
            cfg.text_vocab = text.vocab_size
        model = GraspVLA(cfg, text)
        normalizer = None
    # switched on for a new model and an --init one alike (an --init one keeps what it has)
    if getattr(args, "expert_goal_input", False):
        model.enable_expert_goal_input()  # zero-initialised: a trained model computes what it did
    if getattr(args, "grasp_head", False):
        model.enable_grasp_head()
    if getattr(args, "no_proprio_history", False):
        model.config.use_proprio_history = False
    if getattr(args, "no_proprio_position", False):
        model.config.use_proprio_position = False
    if getattr(args, "goal_noise", None) is not None:
        model.config.expert_goal_noise = float(args.goal_noise)
        model.config.validate()
    if getattr(args, "bin_sigma", None) is not None:
        model.config.bin_label_sigma = float(args.bin_sigma)
        model.config.validate()
    if getattr(args, "pag_min_distance", 0.0) > 0:  # the policy keeps the grasp predicted beyond it
        model.config.goal_latch_distance = float(args.pag_min_distance)
    if model.config.expert.goal_input and not model.config.use_pag:
        raise InvalidInputError("--expert-goal-input: the expert reads the grasp of the goal tokens, which a model "
                                "without PAG (--no-pag) does not have")
    if grounding_ratio > 0 and not model.config.use_pag:
        raise InvalidInputError("--grounding: grounding data supervises only the box tokens, which a model "
                                "without PAG (--no-pag, or such an --init) does not have; drop one of them")
    parts = _episode_parts(args.data, model.config.image_size, getattr(args, "max_episodes", None),
                           getattr(args, "pag_min_distance", 0.0), getattr(args, "target_point", False))
    if getattr(args, "target_point", False):
        if not model.config.has_target_keypoint:
            raise InvalidInputError("--target-point trains the queried keypoint, which this model does not have "
                                    "(needs PAG and a tower with target_keypoint > 0, e.g. the tiny-ground preset)")
        if not any(p.reader.has_cameras for p in parts):
            raise InvalidInputError("--target-point: no --data set records its cameras' calibration (datasets made "
                                    "by `graspvla generate` before it did); regenerate the data or drop the flag")
    if normalizer is None:
        normalizer = fit_normalizer(parts[0], seed=args.seed)
    dataset = parts[0] if len(parts) == 1 else ConcatDataset(parts)
    tcfg = TrainConfig(output_dir=args.out, max_steps=args.steps, global_batch_size=args.batch, lr=args.lr,
                       warmup_steps=args.warmup, freeze_vision=not args.train_vision, seed=args.seed,
                       num_workers=args.workers, checkpoint_every=args.checkpoint_every,
                       grounding_ratio=grounding_ratio,
                       parallel="fsdp" if getattr(args, "fsdp", False) else "ddp")
    # the model's own text tokenizer (a checkpoint's tokenizer.json with --init), not the byte default
    return model, normalizer, dataset, Collator(model.config, normalizer, model.layout.text), tcfg


def prompt_tokenizer(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """``--text-tokenizer bpe``: a BPE trained on the instructions of every built-in category,
    every task of the ``--data`` sets and every phrase of the ``--grounding`` sets."""
    from graspvla.assets import category_names
    from graspvla.data.episode import instruction_for
    from graspvla.data.reader import LeRobotReader
    from graspvla.model.tokenizer import train_prompt_tokenizer
    from graspvla.train.vla_data import GroundingFrames

    instructions = [instruction_for(c) for c in category_names()]
    for d in args.data:
        instructions += LeRobotReader(d).tasks
    for g in getattr(args, "grounding", None) or []:
        instructions += [instruction_for(p) for p in set(GroundingFrames(g, 32).phrases)]
    return train_prompt_tokenizer(instructions)


def augmenter(args: argparse.Namespace, image_size: int):  # type: ignore[no-untyped-def]
    """The Trainer's ``augment`` callable from ``--augment MIN_SCALE`` (None without it)."""
    from graspvla.train.augment import AugmentConfig, Augmenter

    lo = getattr(args, "augment", None)
    if lo is None:
        return None
    return Augmenter(AugmentConfig(crop_scale=(lo, 1.0)), image_size)


def _episode_parts(data: list[str], image_size: int, max_episodes: int | None,
                   pag_min_distance: float = 0.0, target_point: bool = False) -> list:  # type: ignore[type-arg]
    """One :class:`EpisodeFrames` per dataset; with ``max_episodes`` only the first N episodes,
    taken from the datasets in order."""
    from functools import partial

    from graspvla.errors import InvalidInputError
    from graspvla.train.vla_data import EpisodeFrames

    frames = partial(EpisodeFrames, image_size=image_size, pag_min_distance=pag_min_distance, target_point=target_point)
    if max_episodes is None:
        return [frames(d) for d in data]
    if max_episodes < 1:
        raise InvalidInputError(f"--max-episodes must be >= 1, got {max_episodes}")
    parts, left = [], max_episodes
    for d in data:
        full = frames(d)
        take = min(left, full.reader.num_episodes)
        parts.append(full if take == full.reader.num_episodes else frames(d, episodes=take))
        left -= take
        if left == 0:
            return parts
    raise InvalidInputError(f"--max-episodes {max_episodes}: the --data sets hold only {max_episodes - left} "
                            f"episodes; generate more or ask for fewer")


def _num_episodes(dataset) -> int:  # type: ignore[no-untyped-def]
    parts = getattr(dataset, "datasets", [dataset])
    return sum(int(getattr(getattr(p, "reader", None), "num_episodes", 0)) for p in parts)


def run(args: argparse.Namespace) -> int:
    from graspvla.model import GraspVLA, save_pretrained
    from graspvla.train import Trainer

    model, normalizer, dataset, collate, tcfg = build_training(args)
    grounding, _ = grounding_dataset(args, model.config.image_size)
    if grounding is not None:
        print(f"[train] grounding: {len(grounding)} (phrase, box) samples, ratio {tcfg.grounding_ratio}")
    trainer = Trainer(model, tcfg, dataset, grounding=grounding, collate_fn=collate,
                      augment=augmenter(args, model.config.image_size))
    result = trainer.train()
    export = model
    if trainer.fsdp:  # gather the shards (a collective), then write from an unsharded copy
        state = trainer.full_model_state()
        if trainer.dist.is_main:
            export = GraspVLA(model.config, model.layout.text)
            export.load_state_dict(state)
    if trainer.dist.is_main:
        out = save_pretrained(export, normalizer, Path(args.out) / "model",
                              extra={"steps": result.steps, "final_loss": result.final_loss, "data": args.data,
                                     # --init keeps the checkpoint's architecture: --preset is unused then
                                     "preset": None if args.init else args.preset, "init": args.init,
                                     "seconds": result.seconds,
                                     "max_episodes": args.max_episodes, "episodes": _num_episodes(dataset),
                                     "grounding": args.grounding, "grounding_ratio": tcfg.grounding_ratio,
                                     "augment": args.augment,
                                     "pag_min_distance": getattr(args, "pag_min_distance", 0.0),
                                     "target_point": getattr(args, "target_point", False),
                                     # --init keeps the checkpoint's tokenizer too
                                     "text_tokenizer": "init" if args.init else getattr(args, "text_tokenizer", "byte"),
                                     "no_proprio_history": not export.config.use_proprio_history,
                                     "no_proprio_position": not export.config.use_proprio_position,
                                     "expert_goal_input": export.config.expert.goal_input,
                                     "grasp_head": export.config.grasp_head,
                                     "goal_noise": export.config.expert_goal_noise})
        print(f"[train] {result.steps} steps, final loss {result.final_loss:.4f}, model: {out}")
    return 0
