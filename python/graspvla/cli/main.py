"""``graspvla`` entry point. Each command lives in ``graspvla.cli.<name>`` and provides
``add_arguments(parser)`` and ``run(args) -> int``. Command modules keep heavy imports
(torch, mujoco) inside ``run`` so ``--help`` stays fast and a missing optional dependency
only affects its own command."""

from __future__ import annotations

import argparse
import importlib
import sys

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("graspvla.cli.demo", "run the end-to-end demo and write a report"),
    "generate": ("graspvla.cli.generate", "synthesise grasping episodes into a LeRobot v3 dataset (resumable, local or Ray)"),
    "eval": ("graspvla.cli.eval", "closed-loop grasping benchmark in simulation"),
    "serve": ("graspvla.cli.serve", "serve a model over ZeroMQ (GraspVLA protocol)"),
    "grounding": ("graspvla.cli.grounding", "render synthetic grounding data (image, phrase, box) for chosen categories (GRIT-style, resumable)"),
    "train": ("graspvla.cli.train", "train the model on LeRobot v3 datasets (torchrun for DDP)"),
    "finetune": ("graspvla.cli.finetune", "few-shot post-training with LoRA"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graspvla", description="GraspVLA: synthetic data, model, control.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text,
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    return int(importlib.import_module(args._module).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
