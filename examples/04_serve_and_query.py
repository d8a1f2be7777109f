"""Example 4: serve a model over ZeroMQ with the original GraspVLA protocol and query it as a
client would (msgpack by default; pickle only when allowed, through a restricted unpickler).

    python examples/04_serve_and_query.py [--checkpoint DIR] [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from graspvla.model import GraspVLA, GraspVLAPolicy, Normalizer, preset
from graspvla.serve import PolicyClient, PolicyServer, ServerConfig
from graspvla.serve.handler import policy_handler


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None, help="model directory (default: an untrained tiny model)")
    ap.add_argument("--quick", action="store_true", help="3 requests")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.checkpoint:
        policy = GraspVLAPolicy.from_pretrained(args.checkpoint)
    else:
        policy = GraspVLAPolicy(GraspVLA(preset("tiny")), Normalizer.identity())
    server = PolicyServer(policy_handler(policy), ServerConfig(host="127.0.0.1", port=0)).start()
    try:
        image = np.zeros((256, 256, 3), np.uint8)
        proprio = np.tile([0.363, -0.001, 0.488, 3.136, 0.013, 0.779, 1.0], (4, 1))  # [x y z r p y g], base frame
        with PolicyClient(f"tcp://127.0.0.1:{server.bound_port}") as client:
            print("health:", client.health()["status"])
            for _ in range(3 if args.quick else 10):
                reply = client.predict("pick up the pen", image, image, proprio, compress=True)
            print(f"{len(reply['result'])} sub-step actions, boxes {np.round(reply['debug']['bbox'], 1).tolist()}, "
                  f"latency {reply['debug']['latency_ms']:.1f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
