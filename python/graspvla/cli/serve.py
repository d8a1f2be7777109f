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
    p.add_argument("--calibration", default=None, metavar="JSON",
                   help="the cameras' calibration, {front|side: {intrinsics, pose (camera-to-base, OpenCV axes), "
                        "size [h, w]}}: the grasp position is then triangulated from the model's target maps "
                        "(graspvla.geometry.calibration); needs a model with a queried keypoint")
    p.add_argument("--orientation-prior", type=float, default=0.0, metavar="NATS",
                   help="prefer grasp orientations near the hand's current one by this many nats (see GraspVLAPolicy)")


def build_policy(args: argparse.Namespace):  # noqa: ANN201
    """The served :class:`GraspVLAPolicy` of the parsed arguments."""
    from graspvla.model import GraspVLAPolicy
    from graspvla.geometry.calibration import load_cameras

    if args.calibration is not None:
        from graspvla.model.checkpoint import from_pretrained

        model, norm = from_pretrained(args.checkpoint)
        cams = load_cameras(args.calibration, model.config.cameras)
        return GraspVLAPolicy(model, norm, calibration=cams, orientation_prior=args.orientation_prior)
    return GraspVLAPolicy.from_pretrained(args.checkpoint, orientation_prior=args.orientation_prior)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from graspvla.errors import InvalidInputError
    from graspvla.model import Observation
    from graspvla.serve import PolicyServer, ServerConfig
    from graspvla.serve.handler import policy_handler

    if not 0 < args.port < 65536 or args.max_batch < 1:
        raise InvalidInputError("--port must be in 1..65535 and --max-batch >= 1")
    policy = build_policy(args)
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
