"""``graspvla finetune``: few-shot post-training of a trained model with LoRA (or full)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--init", required=True, help="trained model directory")
    p.add_argument("--data", required=True, action="append", help="demonstrations (LeRobot v3 directory)")
    p.add_argument("--out", default="outputs/finetune", help="output directory (out/model)")
    p.add_argument("--steps", type=int, default=300, help="optimiser steps")
    p.add_argument("--batch", type=int, default=8, help="batch size")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (LoRA adapters)")
    p.add_argument("--lora-rank", type=int, default=8, help="LoRA rank; 0 = full fine-tuning")
    p.add_argument("--workers", type=int, default=0, help="DataLoader workers")
    p.add_argument("--seed", type=int, default=0, help="seed")
    p.add_argument("--train-vision", action="store_true",
                   help="also train the vision towers in full (with LoRA elsewhere), e.g. so that the queried "
                        "keypoint learns a part-level target with --target-point")
    p.add_argument("--augment", type=float, default=None, metavar="MIN_SCALE",
                   help="random crops of MIN_SCALE..1 of each view plus photometric jitter (as `graspvla train`)")
    p.add_argument("--pag-min-distance", type=float, default=0.0, metavar="METRES",
                   help="supervise box and grasp tokens only while the hand is this far from the grasp (as "
                        "`graspvla train`; use the base model's value)")
    from graspvla.cli.train import add_target_point_argument

    add_target_point_argument(p)


def run(args: argparse.Namespace) -> int:
    from graspvla.cli.train import augmenter, build_training
    from graspvla.model import save_pretrained
    from graspvla.train import Trainer, apply_lora, merge_lora

    args.preset, args.no_pag, args.warmup, args.checkpoint_every = "tiny", False, 10, 10**9
    model, normalizer, dataset, collate, tcfg = build_training(args)
    if args.lora_rank > 0:
        # adapters on the LM's and the expert's attention and MLP projections
        names = apply_lora(model, target=r"(layers|expert_layers)\.\d+\.(self_attn|mlp)\.\w+_proj", rank=args.lora_rank)
        print(f"[finetune] LoRA rank {args.lora_rank} on {len(names)} layers")
        if args.train_vision:  # apply_lora froze everything but the adapters
            for tower in model.towers:
                tower.requires_grad_(True)
    result = Trainer(model, tcfg, dataset, collate_fn=collate, augment=augmenter(args, model.config.image_size)).train()
    merge_lora(model)
    out = save_pretrained(model, normalizer, Path(args.out) / "model",
                          extra={"finetuned_from": args.init, "steps": result.steps, "lora_rank": args.lora_rank})
    print(f"[finetune] final loss {result.final_loss:.4f}, model: {out}")
    return 0
