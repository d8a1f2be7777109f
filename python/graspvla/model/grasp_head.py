"""The keypoint grasp head: the grasp position as numbers from where the towers' keypoints are.

Beyond GraspVLA, whose grasp is only ever LM tokens. The tiny model's grasp tokens underfit:
a median 8-9 cm from the requested object's grasp in xy, on its training frames as in the
benchmark. Where the object is in the two images is what the towers' queried keypoint 0 is
trained to say, and turning two image positions under randomised cameras into a base-frame
position is a small regression (an MLP from the *true* box centres of both views reaches a
median 3.7 cm on held-out episodes), which a 2-layer LM reading 256-way bin embeddings does
not learn from a few thousand episodes. The head reads every keypoint (the free ones can
follow what fixes the camera: the table's edges, the robot), and trains them through its
loss: its error is bounded by keypoint 0's localisation.

The head predicts the grasp *position* (normalised x, y, z, the first three goal values);
the orientation stays with the LM's grasp tokens, decoded after the head's position tokens
(a 256-way classification keeps the two-finger grasp's yaw ambiguity that a regression would
average away). The hand's own position is deliberately not an input: a head reading it learns
"the grasp is near the hand", which in closed loop follows the hand wherever it goes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from graspvla.model.layers import cell_centres

__all__ = ["KeypointGraspHead", "keypoint_positions"]


def keypoint_positions(scores: torch.Tensor, window: int = 2) -> torch.Tensor:
    """Image positions (..., k, 2) (x right, y down, in [-1, 1]) of keypoint attention scores
    (..., k, H, W) taken before the softmax over cells. Keypoints 1.. are the towers' own
    soft-argmax (the expectation over all cells); keypoint 0, the queried one trained to cover
    the named object's box, is a soft-argmax over the ``(2 window + 1)^2`` cells around its
    strongest cell: over the whole image, a map split between two objects would point between
    them. Differentiable in the scores (the window's place is not)."""
    *lead, k, H, W = scores.shape
    s = scores.float().reshape(-1, k, H * W)
    xs, ys = cell_centres(H, W, s.device)
    grid = torch.stack([xs.repeat(H), ys.repeat_interleave(W)], -1)  # (H*W, 2) cell centres
    peak = s[:, 0].argmax(-1)  # (N,)
    py, px = peak // W, peak % W
    iy = torch.arange(H, device=s.device).repeat_interleave(W)
    ix = torch.arange(W, device=s.device).repeat(H)
    near = ((iy[None] - py[:, None]).abs() <= window) & ((ix[None] - px[:, None]).abs() <= window)
    s0 = s[:, :1].masked_fill(~near[:, None], float("-inf"))
    attn = torch.cat([s0, s[:, 1:]], 1).softmax(-1)
    return (attn @ grid).reshape(*lead, k, 2)


class KeypointGraspHead(nn.Module):
    """Keypoint positions of every tower and view -> the normalised grasp position (B, 3)."""

    def __init__(self, n_keypoints: int, hidden: int = 128, out: int = 3, window: int = 2) -> None:
        """``n_keypoints``: keypoints over all towers and views (towers x views x k)."""
        super().__init__()
        self.window = window
        self.net = nn.Sequential(nn.Linear(2 * n_keypoints, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, out))

    def forward(self, scores: list[torch.Tensor]) -> torch.Tensor:
        """``scores``: per tower with keypoints, (B, V, k, H, W) attention scores."""
        xy = torch.cat([keypoint_positions(s, self.window).flatten(1) for s in scores], -1)
        return self.net(xy.to(self.net[0].weight.dtype))

    @staticmethod
    def loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Smooth L1 (beta 0.05, about 1 cm in normalised workspace units) over the masked
        samples; 0, still in the graph, when none is."""
        per = F.smooth_l1_loss(pred.float(), target.float(), beta=0.05, reduction="none").sum(-1)
        m = mask.to(per.dtype)
        return (per * m).sum() / m.sum().clamp(min=1.0)
