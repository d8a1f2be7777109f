"""Turning samples into model batches (training) — picklable for DataLoader workers."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from graspvla.errors import InvalidInputError
from graspvla.model.config import GraspVLAConfig
from graspvla.model.layout import Layout
from graspvla.model.normalize import Normalizer

__all__ = ["Collator", "images_to_tensor"]


def images_to_tensor(views: list[np.ndarray], size: int) -> torch.Tensor:
    """uint8 HxWx3 RGB views -> (V, 3, size, size) float in [0, 1] (bilinear resize if needed)."""
    out = []
    for k, im in enumerate(views):
        a = np.asarray(im)
        if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
            raise InvalidInputError(f"image {k}: expected HxWx3 uint8, got {a.dtype} {a.shape}")
        t = torch.from_numpy(np.array(a, copy=True)).permute(2, 0, 1).float() / 255.0
        if t.shape[1:] != (size, size):
            t = F.interpolate(t[None], size=(size, size), mode="bilinear", align_corners=False)[0]
        out.append(t)
    return torch.stack(out)


class Collator:
    """Builds a training batch from samples.

    A sample is a dict: ``front``/``side`` uint8 images, ``instruction`` str, ``bbox`` (2, 4)
    pixels in image_size coordinates (front, side; (0, 0, 0, 0) = not visible, unsupervised),
    ``kind`` "synthetic" | "grounding"; synthetic
    samples also carry ``proprio`` (2, 7) raw [history, current], ``goal`` (6,) raw grasp pose
    (base frame xyz + rpy) and ``actions`` (H, 7) raw deltas. Optional ``seed`` makes the
    flow-matching noise and time of that sample reproducible (e.g. across DDP layouts).
    Optional ``supervise_pag=False`` keeps the sample's box and grasp-pose tokens in the
    sequence as input but out of the loss (see ``EpisodeFrames(pag_min_distance=...)``).

    The batch's ``label_parts`` (B, T) marks each supervised label as box / goal / EOS
    (``Layout.PART_*``), for per-part losses; ``target_boxes`` (B, V, 4) in [-1, 1] and
    ``target_box_sup`` (B, V) are the supervised boxes again, for the ``target_keypoint`` loss;
    ``target_points`` (B, V, 2) in [-1, 1] the samples' optional ``target_point`` (V, 2) [px,
    image_size units; the grasp position's projection, see ``EpisodeFrames(target_point=True)``],
    NaN where absent: where given (and the box supervised), that loss targets the point instead;
    ``goal`` (B, goal_dim) the normalised grasp as its bin token decodes (zeros for grounding
    samples), the grasp head's target; ``expert_goal`` the one the expert reads (``goal``
    unless ``config.expert_goal_noise`` moved it).
    """

    def __init__(self, config: GraspVLAConfig, normalizer: Normalizer, text_tokenizer: Any = None) -> None:
        """``text_tokenizer``: the model's (``model.layout.text``) when it is not the built-in
        byte tokenizer."""
        self.config, self.norm = config, normalizer
        self.layout = Layout(config, text_tokenizer)

    def _decoded(self, g: np.ndarray) -> torch.Tensor:
        """A normalised goal as its bin tokens decode (what the expert reads at inference)."""
        return torch.from_numpy(self.layout.bins.decode(self.layout.bins.encode(g[None]))[0]).float()

    def _noisy_goal(self, goal: Any, proprio_norm: np.ndarray, seed: Any = None) -> np.ndarray | None:
        """The normalised goal moved by ``u * N(0, I) * expert_goal_noise`` [m] in x, y, z (see
        :class:`GraspVLAConfig`), for an open hand only; None when off or closed. ``seed``: the
        sample's, for a reproducible move (offset from the flow-noise stream of that seed)."""
        c = self.config
        if c.expert_goal_noise <= 0 or not proprio_norm[-1] > 0:  # normalised gripper: open > 0
            return None
        gen = torch.Generator().manual_seed(int(seed) + 7919) if seed is not None else None
        raw = np.asarray(goal, dtype=np.float64).reshape(c.goal_dim).copy()
        u = float(torch.rand(1, generator=gen))
        raw[:3] += u * c.expert_goal_noise * torch.randn(3, generator=gen, dtype=torch.float64).numpy()
        return self.norm.goal(raw)

    def __call__(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        from graspvla.model.graspvla import _beta_from_uniform, without_position

        c = self.config
        S = float(c.image_size)
        seqs, parts, images, actions, proprio, goals, is_action, noise, flow_t = [], [], [], [], [], [], [], [], []
        expert_goals: list[torch.Tensor] = []
        V = len(c.cameras)
        target_boxes, target_sup = torch.zeros(len(samples), V, 4), torch.zeros(len(samples), V, dtype=torch.bool)
        target_points = torch.full((len(samples), V, 2), float("nan"))
        for i, s in enumerate(samples):
            kind = s.get("kind", "synthetic")
            images.append(images_to_tensor([s[cam] for cam in c.cameras], c.image_size))
            raw = np.asarray(s["bbox"], dtype=np.float64).reshape(-1, 4) if s.get("bbox") is not None else None
            box = raw.reshape(-1) / S * 2.0 - 1.0 if raw is not None else None
            # (0, 0, 0, 0) = the camera does not see the target: its box tokens are not supervised.
            # As a label it would be one point mass among spread-out boxes, and greedy decoding
            # of an unsure model picks that single most likely bin: every box came out (0, 0, 0, 0).
            vis = tuple(bool(np.any(b != 0)) for b in raw) if raw is not None else None
            pag = bool(s.get("supervise_pag", True))
            if not pag and vis is not None:
                vis = (False,) * len(vis)
            if kind == "synthetic":
                p = self.norm.proprio(np.asarray(s["proprio"], dtype=np.float64).reshape(2, c.proprio_dim))
                if not c.use_proprio_history:
                    p[0] = p[1]
                g = self.norm.goal(np.asarray(s["goal"], dtype=np.float64).reshape(c.goal_dim))
                a = self.norm.action(np.asarray(s["actions"], dtype=np.float64).reshape(c.chunk, c.action_dim))
                p_tokens = p if c.use_proprio_position else without_position(p)
                # the expert may read a moved grasp (expert_goal_noise); the labels stay the true tokens
                g_in = self._noisy_goal(s["goal"], p[1], s.get("seed"))
                ids, lab, part = self.layout.sample_parts(s["instruction"], box, p_tokens, g, vis, goal_supervised=pag,
                                                          goal_input_norm=g_in)
                proprio.append(torch.from_numpy(p).float())
                # as the expert sees it at inference: decoded from its bin token
                goals.append(self._decoded(g))
                expert_goals.append(goals[-1] if g_in is None else self._decoded(g_in))
                actions.append(torch.from_numpy(a).float())
                is_action.append(True)
            elif kind == "grounding":
                ids, lab, part = self.layout.sample_parts(s["instruction"], box, None, None, vis)
                proprio.append(torch.zeros(2, c.proprio_dim))
                goals.append(torch.zeros(c.goal_dim))
                expert_goals.append(torch.zeros(c.goal_dim))
                actions.append(torch.zeros(c.chunk, c.action_dim))
                is_action.append(False)
            else:
                raise InvalidInputError(f"sample kind must be 'synthetic' or 'grounding', got {kind!r}")
            seqs.append((ids, lab))
            parts.append(part)
            if box is not None and vis is not None and c.use_pag:  # the box labels, for dense losses
                target_boxes[i, :len(vis)] = torch.from_numpy(box.reshape(-1, 4)[:V]).float()
                target_sup[i, :len(vis)] = torch.tensor(vis[:V])
                if s.get("target_point") is not None:
                    pt = np.asarray(s["target_point"], dtype=np.float64).reshape(-1, 2)[:V] / S * 2.0 - 1.0
                    target_points[i, :len(pt)] = torch.from_numpy(pt).float()
            gen = torch.Generator().manual_seed(int(s["seed"])) if "seed" in s else None
            noise.append(torch.randn(c.chunk, c.action_dim, generator=gen))
            u = torch.rand(1, generator=gen)
            a_, b_, tmin, tmax = c.flow_beta
            flow_t.append(_beta_from_uniform(u, a_, b_)[0] * (tmax - tmin) + tmin)
        T = max(len(q) for q in parts)
        label_parts = torch.zeros(len(parts), T, dtype=torch.uint8)  # right-padded, as pack(seqs)
        for i, q in enumerate(parts):
            label_parts[i, :len(q)] = torch.tensor(q, dtype=torch.uint8)
        return {
            "prefix": self.layout.pack(seqs),
            "label_parts": label_parts,
            "target_boxes": target_boxes,
            "target_box_sup": target_sup,
            "target_points": target_points,
            "images": torch.stack(images),
            "proprio": torch.stack(proprio),
            "goal": torch.stack(goals),
            "expert_goal": torch.stack(expert_goals),
            "actions": torch.stack(actions),
            "is_action": torch.tensor(is_action),
            "noise": torch.stack(noise),
            "flow_t": torch.stack(flow_t).float(),
        }
