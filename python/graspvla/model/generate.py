"""Inference: Progressive Action Generation then flow-matching action sampling."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from graspvla.model.graspvla import GraspVLA, without_position
from graspvla.model.layout import Layout

__all__ = ["Generation", "generate"]


@dataclass
class Generation:
    """Normalised outputs of one batch: box tokens decoded to [-1, 1] (B, 8) (NaN without PAG),
    goal (B, 6) in [-1, 1] (NaN without PAG), actions (B, H, A) normalised, stage timings [s]."""

    box: np.ndarray
    goal: np.ndarray
    actions: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


@torch.no_grad()
def generate(model: GraspVLA, images: torch.Tensor, instructions: list[str], proprio: torch.Tensor,
             use_cache: bool = True, constrained: bool = True, generator: torch.Generator | None = None,
             noise: torch.Tensor | None = None, integrator: str = "torch", compile_step: bool = False,
             goal: torch.Tensor | np.ndarray | None = None,
             position: torch.Tensor | np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
             goal_bias: np.ndarray | None = None) -> Generation:
    """images (B, V, 3, S, S) in [0, 1]; proprio (B, 2, 7) normalised. Greedy decoding of the
    box and goal tokens (``constrained``: bin tokens only, else the whole vocabulary as the
    original), then ``flow_steps`` steps from t = 1 (noise) to t = 0 (actions).

    ``use_cache=True``: the prefix runs once into a static preallocated KV cache sized for the
    whole sequence plus the expert's suffix; each token / denoise step only writes its own slots.
    ``use_cache=False`` recomputes the whole prefix for every token (reference path for tests).
    ``integrator``: "torch" (the peers' Euler loop in torch, precomputed time embeddings) or
    "euler" / "heun" / "rk4" through the C++ :mod:`graspvla.flow` steppers. ``compile_step``
    wraps the denoise step in ``torch.compile`` (cached per model; first call compiles).
    ``goal`` (B, goal_dim) normalised: given grasp poses replace the decoded grasp tokens (the
    box is still predicted), so the action expert moves to a grasp chosen elsewhere (a user's
    grasp detector, or the privileged grasp in diagnostics); requires a PAG model. A model
    with ``grasp_head`` takes the grasp position from its head and decodes only the
    orientation tokens.

    ``position`` (B, 3) normalised: a grasp position chosen elsewhere (e.g. triangulated from
    calibrated cameras, :mod:`graspvla.geometry.calibration`) in place of the head's or the LM's;
    NaN entries are still the model's own. The orientation tokens are decoded after it. It may
    be a callable ``f(maps) -> (B, 3)`` evaluated after the vision towers on ``maps``
    (B, V, H, W): where each view's queried keypoint 0 puts the named object, as
    log-probabilities over the towers' cells (:func:`target_log_probs`); needs such a model.
    Exclusive with ``goal``.

    ``goal_bias`` (B, goal_dim, n_bins): added to the grasp tokens' bin logits before the
    greedy choice (e.g. the orientation prior of :class:`graspvla.model.policy.GraspVLAPolicy`);
    entries of a given position are not decoded and ignore it."""
    c = model.config
    if not c.use_proprio_history:  # the model was trained without its recent motion
        proprio = proprio[:, -1:].expand(-1, 2, -1)
    layout: Layout = model.layout
    dev = model.embed_tokens.weight.device
    B = images.shape[0]
    timings: dict[str, float] = {}
    given = None
    if goal is not None:  # checked before any compute
        if not c.use_pag:
            raise ValueError("generate: goal= needs a model with Progressive Action Generation (use_pag)")
        given = np.asarray(goal.detach().cpu() if isinstance(goal, torch.Tensor) else goal, dtype=np.float64)
        if given.shape != (B, c.goal_dim) or not np.all(np.isfinite(given)):
            raise ValueError(f"generate: goal must be finite with shape ({B}, {c.goal_dim}), got {given.shape}")
    locate = position if callable(position) else None
    if position is not None:
        if goal is not None:
            raise ValueError("generate: pass goal= (a whole grasp) or position= (its position), not both")
        if not c.use_pag:
            raise ValueError("generate: position= needs a model with Progressive Action Generation (use_pag)")
        if locate is not None and not c.has_target_keypoint:
            raise ValueError("generate: a callable position= needs towers with a queried keypoint (target_keypoint)")
        if locate is None:
            position = _check_position(position, B)
    bins_lo, bins_hi = layout.bins.first_id, layout.bins.vocab_size  # (rows above bin_base, e.g. <PAD>, are not bins)
    if goal_bias is not None:
        goal_bias = np.asarray(goal_bias, dtype=np.float32)
        if goal_bias.shape != (B, c.goal_dim, bins_hi - bins_lo) or not np.all(np.isfinite(goal_bias)):
            raise ValueError(f"generate: goal_bias must be finite with shape ({B}, {c.goal_dim}, {bins_hi - bins_lo}), "
                             f"got {goal_bias.shape}")
    prefix = layout.pack([(layout.head(s), [-100] * len(layout.head(s))) for s in instructions], left=True)
    t0 = time.perf_counter()
    head_pos = None
    use_head = c.grasp_head and given is None
    if use_head or locate is not None:
        img, kp_scores = model.encode_images(images.to(dev), prefix, keypoint_scores=True)
        if use_head:  # the grasp position from the keypoints (see grasp_head.py)
            head_pos = model.grasp_head(kp_scores).float().clamp(-1.0, 1.0).cpu().numpy().astype(np.float64)
        if locate is not None:
            position = _check_position(locate(target_log_probs(model, kp_scores)), B)
    else:
        img = model.encode_images(images.to(dev), prefix)
    timings["vision"] = time.perf_counter() - t0
    key_mask = prefix.key_mask.to(dev)
    positions = prefix.positions.to(dev)
    x = model.embed(prefix, img)
    T0 = x.shape[1]
    n_suffix = 2 + c.chunk
    capacity = T0 + (8 + c.goal_dim if c.use_pag else 0) + 2 * c.proprio_dim + 1 + n_suffix

    def pick(logits: torch.Tensor) -> torch.Tensor:
        if constrained:
            return logits[:, bins_lo:bins_hi].argmax(-1) + bins_lo
        return logits.argmax(-1)

    t0 = time.perf_counter()
    if use_cache:
        shape = (B, c.lm.kv_heads, capacity, c.lm.head_dim)
        cache = [(torch.zeros(shape, device=dev, dtype=x.dtype), torch.zeros(shape, device=dev, dtype=x.dtype))
                 for _ in range(c.lm.layers)]
        full_mask = torch.zeros(B, capacity, dtype=torch.bool, device=dev)
        full_mask[:, :T0] = key_mask
        hidden = model.run_lm_static(x, positions, model.causal_mask(key_mask), cache, 0)
    else:
        hidden, cache = model.run_lm(x, positions, model.causal_mask(key_mask))
    timings["prefill"] = time.perf_counter() - t0
    last_hidden = hidden[:, -1]
    all_x = x
    length = T0
    last_pos = positions[:, -1:]

    def push(tokens: torch.Tensor) -> torch.Tensor:
        """Appends tokens (B, n) and returns the last hidden state."""
        nonlocal cache, key_mask, positions, all_x, length, last_pos
        emb = model.embed_tokens(tokens)
        n = tokens.shape[1]
        new_pos = last_pos + torch.arange(1, n + 1, device=dev)[None]
        last_pos = new_pos[:, -1:]
        if use_cache:
            full_mask[:, length:length + n] = True
            causal = torch.ones(n, n, dtype=torch.bool, device=dev).tril()
            mask = torch.cat([full_mask[:, None, :length].expand(B, n, length), causal[None].expand(B, n, n)], -1)
            h = model.run_lm_static(emb, new_pos, mask, cache, length)
        else:
            key_mask = torch.cat([key_mask, torch.ones(B, n, dtype=torch.bool, device=dev)], 1)
            positions = torch.cat([positions, new_pos], 1)
            all_x = torch.cat([all_x, emb], 1)
            h, cache = model.run_lm(all_x, positions, model.causal_mask(key_mask))
        length += n
        return h[:, -1]

    box = np.full((B, 8), np.nan)
    goal = np.full((B, c.goal_dim), np.nan)
    t0 = time.perf_counter()
    if c.use_pag:
        toks = []
        for _ in range(8):
            tok = pick(model.lm_head(last_hidden))
            toks.append(tok)
            last_hidden = push(tok[:, None])
        box = layout.bins.decode(torch.stack(toks, 1).cpu().numpy())
    timings["box"] = time.perf_counter() - t0
    p_seen = proprio if c.use_proprio_position else without_position(proprio)
    p_tokens = torch.from_numpy(layout.bins.encode(p_seen.reshape(B, -1).cpu().numpy())).to(dev)
    last_hidden = push(p_tokens)
    t0 = time.perf_counter()
    if given is not None:  # one LM call for all of them, as for the proprio tokens
        g_tok = layout.bins.encode(given)
        last_hidden = push(torch.from_numpy(g_tok).to(dev))
        goal = layout.bins.decode(g_tok)
    elif c.use_pag:
        toks = []
        given_pos = None if position is None else np.isfinite(position)
        if head_pos is not None:  # the head's position tokens, then the LM's orientation after them
            if given_pos is not None:
                head_pos = np.where(given_pos, np.clip(np.nan_to_num(position), -1.0, 1.0), head_pos)
            p_tok = torch.from_numpy(layout.bins.encode(head_pos)).to(dev)
            last_hidden = push(p_tok)
            toks = list(p_tok.unbind(1))
        elif given_pos is not None:
            forced = torch.from_numpy(layout.bins.encode(np.clip(np.nan_to_num(position), -1.0, 1.0))).to(dev)
        for _ in range(c.goal_dim - len(toks)):
            d = len(toks)
            logits = model.lm_head(last_hidden)
            if goal_bias is not None:
                logits = logits.clone()
                logits[:, bins_lo:bins_hi] += torch.from_numpy(goal_bias[:, d]).to(logits)
            tok = pick(logits)
            if head_pos is None and given_pos is not None and d < 3:  # the given entries replace the LM's
                tok = torch.where(torch.from_numpy(given_pos[:, d]).to(dev), forced[:, d], tok)
            toks.append(tok)
            last_hidden = push(tok[:, None])
        goal = layout.bins.decode(torch.stack(toks, 1).cpu().numpy())
    timings["grasp"] = time.perf_counter() - t0
    push(torch.full((B, 1), layout.text.eos_id, dtype=torch.long, device=dev))  # the expert sees EOS

    goal_t = torch.from_numpy(goal).float().to(dev) if c.use_pag else None
    t0 = time.perf_counter()
    if noise is None:
        noise = torch.randn(B, c.chunk, c.action_dim, generator=generator)
    xt = noise.to(dev).float()
    steps = c.flow_steps
    if use_cache:
        start = full_mask[:, :length].sum(1)  # suffix positions continue after the (unpadded) prefix
        ctx = model.expert_context(proprio.to(dev), cache, full_mask, start, length, steps, goal_t)
        if compile_step:
            denoise = _compiled_denoise(model)

            def step(ctx_, x_, k_):
                if isinstance(k_, int):
                    return denoise(ctx_, x_, ctx_["temb"][k_])
                return model.expert_step(ctx_, x_, k_)
        else:
            step = model.expert_step
        if integrator == "torch":
            for k in range(steps):
                xt = xt - step(ctx, xt, k) / steps
        else:
            from graspvla import flow

            xt = flow.integrate(lambda x_, t_: step(ctx, x_, float(t_)), xt.cpu(), steps, integrator).to(dev)
    else:
        start = key_mask.sum(1)
        for k in range(steps):
            t = torch.full((B,), 1.0 - k / steps, device=dev)
            v = model.expert_velocity(xt, t, proprio.to(dev).float(), cache, key_mask, start, goal_t)
            xt = xt - v / steps
    timings["flow"] = time.perf_counter() - t0
    return Generation(box=box, goal=goal, actions=xt.cpu().numpy(), timings=timings)


def target_log_probs(model: GraspVLA, kp_scores: list[torch.Tensor]) -> np.ndarray:
    """(B, V, H, W) float64: where each view's queried keypoint 0 puts the named object, as
    log-probabilities over the cells (row 0 at the image top): the normalised geometric mean of
    the towers trained to point at it (``target_keypoint`` > 0) whose grids match the first one's.
    ``kp_scores``: :meth:`GraspVLA.encode_images`' per-tower keypoint scores (B, V, k, H, W)."""
    towers = [v for v in model.config.vision if v.keypoints]
    maps = [s[:, :, 0].float() for s, v in zip(kp_scores, towers) if v.target_keypoint > 0]
    maps = [m for m in maps if m.shape == maps[0].shape]
    mean = torch.stack([m.flatten(2).log_softmax(-1) for m in maps]).mean(0)
    return mean.double().log_softmax(-1).view(maps[0].shape).cpu().numpy()


def _check_position(position: torch.Tensor | np.ndarray, B: int) -> np.ndarray:
    """A given grasp position as float64 (B, 3); NaN allowed (the model's own), infinity not."""
    p = np.asarray(position.detach().cpu() if isinstance(position, torch.Tensor) else position, dtype=np.float64)
    if p.shape != (B, 3) or np.any(np.isinf(p)):
        raise ValueError(f"generate: position must have shape ({B}, 3), finite or NaN (the model's own), got "
                         f"{p.shape}")
    return p


def _compiled_denoise(model: GraspVLA):
    fn = getattr(model, "_compiled_expert_denoise", None)
    if fn is None:
        fn = torch.compile(model.expert_denoise, dynamic=False)
        model._compiled_expert_denoise = fn
    return fn
