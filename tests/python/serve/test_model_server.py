"""The real model behind the server: original-protocol request in, GraspVLA reply out."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("zmq")

from graspvla.model import GraspVLA, GraspVLAPolicy, Normalizer, preset  # noqa: E402
from graspvla.serve import PolicyClient, PolicyServer, ServerConfig  # noqa: E402
from graspvla.serve.handler import policy_handler  # noqa: E402


def test_tiny_model_served_end_to_end() -> None:
    torch.manual_seed(0)
    policy = GraspVLAPolicy(GraspVLA(preset("tiny")), Normalizer.identity())
    srv = PolicyServer(policy_handler(policy), ServerConfig(port=0)).start()
    try:
        img = np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)
        with PolicyClient(f"tcp://127.0.0.1:{srv.bound_port}", timeout_s=60) as c:
            reply = c.predict("pick up the mug", img, img, np.tile([0.36, 0, 0.49, 3.14, 0, 0.78, 1.0], (4, 1)),
                              compress=True)
        assert reply["info"] == "success"
        result = np.stack(reply["result"])
        assert result.shape == (8, 7) and np.all(np.isfinite(result))
        assert set(np.unique(result[0::2, 6])) == {0.0}  # first sub-step: gripper "no change"
        bbox = np.asarray(reply["debug"]["bbox"])
        assert bbox.shape == (2, 4) and np.all((bbox >= 0) & (bbox <= 224))
        assert len(reply["debug"]["pose"][0]) == 3 and reply["debug"]["latency_ms"] > 0
    finally:
        srv.stop()
