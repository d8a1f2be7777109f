"""Adapts a :class:`graspvla.model.GraspVLAPolicy` to the server's batch handler."""

from __future__ import annotations

from typing import Any

import numpy as np

from graspvla.serve.protocol import Request, split_delta_actions

__all__ = ["policy_handler"]


def policy_handler(policy: Any, history_index: int = -4) -> Any:
    """A :data:`graspvla.serve.server.BatchHandler` running ``policy.predict_batch``.

    Following the original server: the proprio history is row ``[-4]`` and the current row
    ``[-1]`` of ``proprio_array``; the gripper g in {-1, +1} maps to (g + 1) / 2; boxes are
    returned in the model's square input coordinates (224 px); actions are split into two
    sub-steps each."""
    from graspvla.model.policy import Observation

    size = float(policy.model.config.image_size)

    def handle(requests: list[Request]) -> list[dict[str, Any]]:
        observations = []
        for r in requests:
            p = np.asarray(r.proprio, dtype=np.float64)
            hist = p[max(0, len(p) + history_index)] if len(p) >= 1 else p[-1]
            rows = np.stack([hist, p[-1]]).copy()
            rows[:, 6] = (rows[:, 6] + 1.0) / 2.0
            policy.history_stride = 1  # rows are already (history, current)
            observations.append(Observation(r.front_image, r.side_image, r.text, rows))
        preds = policy.predict_batch(observations)
        out = []
        for r, pr in zip(requests, preds):
            scale = size / r.front_image.shape[0]
            out.append({"result": split_delta_actions(pr.actions), "bbox": pr.boxes * scale, "pose": pr.grasp})
        return out

    return handle
