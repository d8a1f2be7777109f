"""Example 2: synthesise grasping episodes (scene -> grasp -> motion -> physics -> rendering)
into a LeRobot v3 dataset, then read a training window back.

    python examples/02_generate_data.py [--out outputs/example_data] [--episodes 4] [--quick]
"""

from __future__ import annotations

import argparse

from graspvla.data.generate import GenerateConfig, generate
from graspvla.data.reader import LeRobotReader


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="outputs/example_data", help="dataset directory (re-run to resume)")
    ap.add_argument("--episodes", type=int, default=4, help="episodes to attempt")
    ap.add_argument("--quick", action="store_true", help="2 episodes")
    args = ap.parse_args(argv)
    n = 2 if args.quick else args.episodes
    summary = generate(GenerateConfig(out=args.out, num_episodes=n, episodes_per_shard=1, source="syngrasp",
                                      progress=not args.quick))
    print(summary.format())
    if summary.successes:
        reader = LeRobotReader(args.out)
        item = reader[0]
        print(f"{len(reader)} training frames; frame 0: '{item['instruction']}', state {item['state'].shape} "
              f"(t-3, t), actions {item['action'].shape}, front image {item['images']['front'].shape}")


if __name__ == "__main__":
    main()
