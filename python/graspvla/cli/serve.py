"""``graspvla serve``: the model server (GraspVLA protocol over ZeroMQ)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, help="model directory (config.json, model.safetensors, normalizer.json)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=6666, help="TCP port")
    p.add_argument("--allow-pickle", action="store_true",
                   help="accept pickled requests from original GraspVLA clients (restricted unpickler)")
    p.add_argument("--max-batch", type=int, default=8, help="requests per model call")
    p.add_argument("--batch-window-ms", type=float, default=5.0, help="wait for more requests [ms]")
    p.add_argument("--warmup", type=int, default=2, help="warm-up inferences before binding")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from graspvla.errors import InvalidInputError
    from graspvla.model import GraspVLAPolicy, Observation
    from graspvla.serve import PolicyServer, ServerConfig
    from graspvla.serve.handler import policy_handler

    if not 0 < args.port < 65536 or args.max_batch < 1:
        raise InvalidInputError("--port must be in 1..65535 and --max-batch >= 1")
    policy = GraspVLAPolicy.from_pretrained(args.checkpoint)
    s = policy.model.config.image_size
    for _ in range(args.warmup):
        black = np.zeros((s, s, 3), np.uint8)
        policy.predict_action_chunk(Observation(black, black, "pick up anything", np.zeros((2, 7))))
    server = PolicyServer(policy_handler(policy), ServerConfig(host=args.host, port=args.port,
                                                               allow_pickle=args.allow_pickle, max_batch=args.max_batch,
                                                               batch_window_ms=args.batch_window_ms))
    print(f"[serve] {args.checkpoint} on tcp://{args.host}:{args.port} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
