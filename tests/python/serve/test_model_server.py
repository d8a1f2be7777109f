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


def test_serve_with_a_calibration_file(tmp_path) -> None:
    """``graspvla serve --calibration FILE``: the served policy triangulates the grasp position
    with the file's cameras; a file without a camera, or a malformed one, is refused."""
    import argparse
    import json

    from graspvla.cli.serve import add_arguments, build_policy
    from graspvla.errors import InvalidInputError
    from graspvla.model.checkpoint import save_pretrained

    torch.manual_seed(0)
    save_pretrained(GraspVLA(preset("tiny-ground")), Normalizer.identity(), tmp_path / "m")
    f = 250.0
    K = [[f, 0, 112], [0, f, 112], [0, 0, 1]]
    front = [[0, 0, -1, 1.2], [-1, 0, 0, 0], [0, 1, 0, 0.3], [0, 0, 0, 1]]  # looks along -x
    side = [[1, 0, 0, 0.5], [0, 0, 1, -0.8], [0, -1, 0, 0.3], [0, 0, 0, 1]]  # looks along +y
    cal = {"front": {"intrinsics": K, "pose": front, "size": [224, 224]},
           "side": {"intrinsics": K, "pose": side, "size": [224, 224]}}
    (tmp_path / "cams.json").write_text(json.dumps(cal))
    p = argparse.ArgumentParser()
    add_arguments(p)
    args = p.parse_args(["--checkpoint", str(tmp_path / "m"), "--calibration", str(tmp_path / "cams.json"),
                         "--orientation-prior", "2"])
    policy = build_policy(args)
    assert policy.orientation_prior == 2.0 and len(policy.calibration) == 2
    np.testing.assert_array_equal(policy.calibration[1].pose, side)
    policy.max_ray_distance = 10.0  # an untrained model's maps: take what they say
    from graspvla.model import Observation

    img = np.random.default_rng(0).integers(0, 255, (224, 224, 3), dtype=np.uint8)
    pred = policy.predict_batch([Observation(img, img, "pick up the mug", np.zeros((2, 7)))])[0]
    assert np.all(np.isfinite(pred.target_point))
    np.testing.assert_allclose(pred.grasp[:3], np.clip(pred.target_point, -1, 1), atol=1.0 / 255 + 1e-9)
    del cal["side"]
    (tmp_path / "cams.json").write_text(json.dumps(cal))
    with pytest.raises(InvalidInputError, match="side"):
        build_policy(args)
    (tmp_path / "cams.json").write_text("{not json")
    with pytest.raises(InvalidInputError, match="JSON"):
        build_policy(args)
