"""The GraspVLA model: vision towers -> projector -> Llama-style LM with Progressive Action
Generation (box tokens, proprio tokens, grasp-pose tokens, EOS) -> a flow-matching action
expert that attends, layer by layer, to the LM's K/V.

Sequence per sample (GraspVLA layout)::

    [BOS] [image tokens: front, side] [prompt] [box x8] [proprio hist x7] [proprio cur x7] [goal x6] [EOS]

Box, goal and EOS are generated (cross-entropy); grounding samples stop after the box
tokens and supervise only them (+ EOS). The expert's suffix is 2 continuous proprio tokens
and ``chunk`` action tokens, block-causal, positions continuing after the prefix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from graspvla.model.config import GraspVLAConfig
from graspvla.model.grasp_head import KeypointGraspHead
from graspvla.model.layers import DecoderLayer, RMSNorm, ViT, cell_centres, rope_cache, sincos_time_embedding
from graspvla.model.layout import IGNORE, Layout, Prefix

__all__ = ["GraspVLA"]


class GraspVLA(nn.Module):
    """Build from a :class:`GraspVLAConfig` (random init) or :meth:`from_pretrained`."""

    def __init__(self, config: GraspVLAConfig, text_tokenizer: Any = None) -> None:
        """``text_tokenizer``: None = the built-in byte tokenizer, or a
        :class:`graspvla.model.tokenizer.HFTextTokenizer` (a checkpoint's tokenizer.json)."""
        super().__init__()
        self.config = c = config
        self.layout = Layout(c, text_tokenizer)
        self.towers = nn.ModuleList([ViT(v, c.image_size, c.lm.hidden) for v in c.vision])
        if len({t.num_patches for t in self.towers}) != 1:
            raise ValueError("both vision towers must produce the same patch grid")
        fused = sum(v.width for v in c.vision)
        h = c.lm.hidden
        self.projector = nn.Sequential(nn.Linear(fused, 4 * fused), nn.GELU(), nn.Linear(4 * fused, h), nn.GELU(),
                                       nn.Linear(h, h))
        self.embed_tokens = nn.Embedding(c.num_embeddings, h)
        self.layers = nn.ModuleList([DecoderLayer(h, c.lm.ffn, c.lm) for _ in range(c.lm.layers)])
        self.norm = RMSNorm(h, c.lm.norm_eps)
        self.lm_head = nn.Linear(h, c.num_embeddings, bias=False)
        he = c.expert.hidden
        self.expert_layers = nn.ModuleList([DecoderLayer(he, c.expert.ffn, c.lm) for _ in range(c.lm.layers)])
        self.expert_norm = RMSNorm(he, c.lm.norm_eps)
        self.proprio_in = nn.Linear(c.proprio_dim, he)
        #: [goal, goal - current pose] -> the current-proprio token (``expert.goal_input``)
        self.goal_in: nn.Linear | None = None
        self.action_in = nn.Linear(c.action_dim, he)
        self.time_mlp_in = nn.Linear(2 * he, he)
        self.time_mlp_out = nn.Linear(he, he)
        self.action_out = nn.Linear(he, c.action_dim)
        #: one learned score per token embedding (``instruction_pool="attention"``)
        self.instruction_score = nn.Linear(c.lm.hidden, 1) if c.instruction_pool == "attention" else None
        #: the grasp position from the keypoints (``config.grasp_head``)
        self.grasp_head: KeypointGraspHead | None = None
        self.apply(self._init)
        if c.expert.goal_input:
            self.enable_expert_goal_input()
        if c.grasp_head:
            self.enable_grasp_head()
        if self.instruction_score is not None:  # starts as the plain mean
            nn.init.zeros_(self.instruction_score.weight)
            nn.init.zeros_(self.instruction_score.bias)
        for t in self.towers:  # FiLM starts as the identity: the plain stem, then learns to condition
            if t.film is not None:
                nn.init.zeros_(t.film.weight)
                nn.init.zeros_(t.film.bias)
        #: run the action expert on every training batch, with zero weight when the batch has no
        #: action sample (set by FSDP training, whose collectives need the same modules on every rank)
        self.static_graph = False

    def enable_expert_goal_input(self) -> None:
        """Adds the expert's numeric goal input (see :class:`ExpertConfig`), zero-initialised so
        a trained model computes exactly what it did before (fine-tuning turns it on)."""
        c = self.config
        c.expert.goal_input = True
        if self.goal_in is None:
            dev = self.proprio_in.weight.device
            self.goal_in = nn.Linear(2 * c.goal_dim, c.expert.hidden, device=dev)
            nn.init.zeros_(self.goal_in.weight)
            nn.init.zeros_(self.goal_in.bias)

    def enable_grasp_head(self) -> None:
        """Adds the :class:`KeypointGraspHead` (``config.grasp_head``), e.g. to fine-tune a
        trained model with it; raises :class:`~graspvla.errors.InvalidInputError` if the model
        has no PAG or no queried keypoint."""
        c = self.config
        was = c.grasp_head
        c.grasp_head = True
        try:
            c.validate()
        except Exception:
            c.grasp_head = was
            raise
        if self.grasp_head is None:
            n = sum(len(c.cameras) * v.keypoints for v in c.vision)
            self.grasp_head = KeypointGraspHead(n, out=3).to(self.proprio_in.weight.device)

    def _proprio_tokens(self, proprio: torch.Tensor, goal: torch.Tensor | None) -> torch.Tensor:
        """The expert's 2 proprio tokens (B, 2, hidden); proprio (B, 2, P), goal (B, goal_dim),
        both normalised."""
        p_tok = self.proprio_in(proprio if self.config.use_proprio_position else without_position(proprio))
        if self.goal_in is None:
            return p_tok
        if goal is None:
            raise ValueError("this model's expert reads the grasp goal (expert.goal_input): pass goal=")
        g = goal.to(p_tok.dtype)
        cur = proprio[:, -1].to(p_tok.dtype)
        g_abs = g if self.config.use_proprio_position else without_position(g)  # else it would give the hand's too
        feat = torch.cat([g_abs, g - cur[:, :g.shape[-1]]], -1)
        # open hand only (normalised gripper > 0: 1 = open maps to +1, closed to -1)
        feat = feat * (cur[:, -1:] > 0).to(feat.dtype)
        return torch.cat([p_tok[:, :1], p_tok[:, 1:] + self.goal_in(feat)[:, None]], 1)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def fsdp_units(self) -> list[nn.Module]:
        """Modules that FSDP shards one by one: each vision tower, LM layer and expert layer."""
        return [*self.towers, *self.layers, *self.expert_layers]

    @property
    def image_tokens(self) -> int:
        return self.layout.image_tokens

    def freeze_vision(self) -> None:
        """Freezes both towers (GraspVLA trains the projector, LM and expert)."""
        for p in self.towers.parameters():
            p.requires_grad_(False)

    # ---- vision ---------------------------------------------------------------------------
    @property
    def conditions_vision(self) -> bool:
        """Whether the towers take the instruction (``VisionConfig.film``)."""
        return any(t.conditioned for t in self.towers)

    def instruction_vector(self, prefix: Prefix) -> torch.Tensor:
        """(B, hidden): the mean token embedding of each sample's instruction text, i.e. its
        text tokens without BOS / EOS / PAD, image slots, padding and bin tokens (weighted by a
        learned softmax with ``config.instruction_pool == "attention"``). The same for a
        training sequence and a generation prefix of the same prompt."""
        ids = prefix.ids.to(self.embed_tokens.weight.device)
        text = self.layout.text
        mask = prefix.key_mask.to(ids.device) & ~prefix.image_slots.to(ids.device) & (ids < self.layout.bins.first_id)
        for special in {text.bos_id, text.eos_id, text.pad_id}:
            mask &= ids != special
        e = self.embed_tokens(ids)
        if self.instruction_score is not None:  # softmax over the instruction's tokens
            # on unit-RMS embeddings: token embeddings are tiny (std 0.02) and the LM only ever
            # sees them through RMSNorm; raw, the scores and everything the vector feeds would
            # learn at a few per cent of the pace
            e = e * torch.rsqrt(e.float().pow(2).mean(-1, keepdim=True) + 1e-6).to(e.dtype)
            score = self.instruction_score(e).squeeze(-1).float().masked_fill(~mask, float("-inf"))
            w = torch.nan_to_num(score.softmax(-1), nan=0.0)  # a prompt without text tokens: zeros
            return (w.to(e.dtype)[..., None] * e).sum(1)
        m = mask[..., None].to(self.embed_tokens.weight.dtype)
        return (e * m).sum(1) / m.sum(1).clamp(min=1.0)

    def encode_images(self, images: torch.Tensor, prefix: Prefix | None = None, target_maps: bool = False,
                      keypoint_scores: bool = False) -> Any:
        """images (B, V, 3, H, W) float in [0, 1] -> (B, V * patches, hidden). ``prefix``: the
        samples' token sequences, whose instructions condition ``film`` towers (required then).
        ``target_maps``: also return, per tower, keypoint 0's attention scores (B, V, H/8, W/8)
        (None for a tower without keypoints). ``keypoint_scores``: also (last) return, per
        tower with keypoints, all keypoints' scores (B, V, k, H/8, W/8)."""
        B, V = images.shape[:2]
        x = images.flatten(0, 1)  # each tower normalises with its own mean / std
        cond = None
        if self.conditions_vision:
            if prefix is None:
                raise ValueError("encode_images: this model's towers are conditioned on the instruction; pass prefix")
            cond = self.instruction_vector(prefix).repeat_interleave(V, dim=0)
        outs = [t(x, cond, target_map=True) for t in self.towers]  # the maps come for free
        feats = torch.cat([o[0] for o in outs], dim=-1)
        embeds = self.projector(feats).view(B, V * feats.shape[1], -1)
        full = [None if m is None else m.view(B, V, *m.shape[1:]) for _, m in outs]  # (B, V, k, H, W)
        ret: tuple[Any, ...] = (embeds,)
        if target_maps:
            ret += ([None if m is None else m[:, :, 0] for m in full],)
        if keypoint_scores:
            ret += ([m for m in full if m is not None],)
        return ret[0] if len(ret) == 1 else ret

    # ---- LM ---------------------------------------------------------------------------------
    def embed(self, prefix: Prefix, image_embeds: torch.Tensor | None) -> torch.Tensor:
        """Token embeddings with the image embeddings (B, N, h) written into the image slots."""
        x = self.embed_tokens(prefix.ids.to(self.embed_tokens.weight.device))
        if image_embeds is not None and bool(prefix.image_slots.any()):
            slots = prefix.image_slots.to(x.device)[..., None].expand_as(x)
            x = x.masked_scatter(slots, image_embeds.to(x.dtype).reshape(-1, x.shape[-1]))
        return x

    def run_lm(self, x: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor,
               cache: list[tuple[torch.Tensor, torch.Tensor]] | None = None
               ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Runs the LM on new tokens x (B, T, h) attending to ``cache`` (per-layer K/V of earlier
        tokens) with ``mask`` (B, T, S_cache + T). Returns hidden states and the per-layer K/V
        of cache + new tokens."""
        cos, sin = rope_cache(positions.to(x.device), self.config.lm.head_dim, self.config.lm.rope_theta)
        new_cache = []
        for i, layer in enumerate(self.layers):
            prev = cache[i] if cache is not None else None
            x, (k, v) = layer(x, cos, sin, mask, prev)
            new_cache.append((torch.cat([prev[0], k], 2), torch.cat([prev[1], v], 2)) if prev is not None else (k, v))
        return self.norm(x), new_cache

    @staticmethod
    def causal_mask(key_mask: torch.Tensor) -> torch.Tensor:
        T = key_mask.shape[1]
        causal = torch.ones(T, T, dtype=torch.bool, device=key_mask.device).tril()
        m = causal[None] & key_mask[:, None, :]
        # fully masked rows (left padding) attend to themselves to avoid NaNs
        return m | torch.eye(T, dtype=torch.bool, device=key_mask.device)[None]

    # ---- action expert ------------------------------------------------------------------------
    def expert_velocity(self, x_t: torch.Tensor, t: torch.Tensor, proprio: torch.Tensor,
                        cache: list[tuple[torch.Tensor, torch.Tensor]], cache_mask: torch.Tensor,
                        start_pos: torch.Tensor, goal: torch.Tensor | None = None) -> torch.Tensor:
        """v(x_t, t): x_t (B, H, A) normalised actions at flow time t (B,); proprio (B, 2, P)
        normalised (history, current); cache: LM K/V (B, kvh, S, D) per layer; cache_mask (B, S);
        start_pos (B,) position of the first suffix token; goal (B, goal_dim) normalised, the
        grasp of the goal tokens (read only with ``expert.goal_input``)."""
        c = self.config
        B, H, _ = x_t.shape
        he = c.expert.hidden
        p_tok = self._proprio_tokens(proprio.to(x_t.dtype), goal)
        temb = sincos_time_embedding(t, he).to(x_t.dtype)[:, None].expand(B, H, he)
        a_tok = self.time_mlp_out(F.silu(self.time_mlp_in(torch.cat([self.action_in(x_t), temb], -1))))
        x = torch.cat([p_tok, a_tok], dim=1)
        n = x.shape[1]
        block = torch.tensor([0, 0] + [1] * H, device=x.device)
        suffix_mask = block[None, :] <= block[:, None]  # (n, n) block-causal
        mask = torch.cat([cache_mask[:, None, :].expand(B, n, -1), suffix_mask[None].expand(B, n, n)], dim=-1)
        positions = start_pos[:, None].to(x.device) + torch.arange(n, device=x.device)[None]
        cos, sin = rope_cache(positions, c.lm.head_dim, c.lm.rope_theta)
        for layer, kv in zip(self.expert_layers, cache):
            x, _ = layer(x, cos, sin, mask, kv)
        return self.action_out(self.expert_norm(x[:, 2:]))

    def run_lm_static(self, x: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor,
                      cache: list[tuple[torch.Tensor, torch.Tensor]], pos: int) -> torch.Tensor:
        """Like :meth:`run_lm` but writes K/V into a preallocated per-layer cache at [pos, pos+T)
        and attends over [0, pos + T); mask (B, T, pos + T)."""
        cos, sin = rope_cache(positions.to(x.device), self.config.lm.head_dim, self.config.lm.rope_theta)
        for layer, (K, V) in zip(self.layers, cache):
            x, _ = layer(x, cos, sin, mask, static=(K, V, pos))
        return self.norm(x)

    def expert_context(self, proprio: torch.Tensor, cache: list[tuple[torch.Tensor, torch.Tensor]],
                       cache_mask: torch.Tensor, start_pos: torch.Tensor, prefix_len: int, steps: int,
                       goal: torch.Tensor | None = None) -> dict[str, Any]:
        """Everything constant across denoise steps, computed once: proprio tokens, the suffix
        mask and RoPE tables, the time embeddings of the ``steps`` Euler times t = 1 .. 1/steps.
        ``cache`` holds the prefix K/V in [0, prefix_len) with room for the suffix behind it."""
        c = self.config
        B = proprio.shape[0]
        H, he = c.chunk, c.expert.hidden
        dev = self.proprio_in.weight.device
        n = 2 + H
        block = torch.tensor([0, 0] + [1] * H, device=dev)
        suffix_mask = block[None, :] <= block[:, None]
        mask = torch.cat([cache_mask[:, None, :prefix_len].expand(B, n, -1), suffix_mask[None].expand(B, n, n)], -1)
        positions = start_pos[:, None].to(dev) + torch.arange(n, device=dev)[None]
        cos, sin = rope_cache(positions, c.lm.head_dim, c.lm.rope_theta)
        times = torch.tensor([1.0 - k / steps for k in range(steps)], device=dev)
        temb = sincos_time_embedding(times, he)  # (steps, he)
        return {"p_tok": self._proprio_tokens(proprio.float(), goal), "mask": mask.contiguous(), "cos": cos, "sin": sin,
                "temb": temb[:, None, None, :].expand(steps, B, H, he).contiguous(), "cache": cache,
                "pos": prefix_len}

    def expert_step(self, ctx: dict[str, Any], x_t: torch.Tensor, k: int | float) -> torch.Tensor:
        """Velocity at denoise step k (int: t = 1 - k / steps, precomputed embedding) or at flow
        time k (float, e.g. Heun/RK4 stage times) with the precomputed context; the suffix K/V go
        into the cache slots behind the prefix (the prefix is never written)."""
        if isinstance(k, int):
            temb = ctx["temb"][k]
        else:
            B, H, _ = x_t.shape
            temb = sincos_time_embedding(torch.full((1,), float(k), device=x_t.device), self.config.expert.hidden)
            temb = temb[:, None].expand(B, H, -1)
        return self.expert_denoise(ctx, x_t, temb)

    def expert_denoise(self, ctx: dict[str, Any], x_t: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        """The denoise network for a given time embedding (B, H, hidden): one static-shape,
        mutation-free-of-prefix graph (the target of ``torch.compile``)."""
        a_tok = self.time_mlp_out(F.silu(self.time_mlp_in(torch.cat([self.action_in(x_t), temb], -1))))
        x = torch.cat([ctx["p_tok"], a_tok], dim=1)
        for layer, (K, V) in zip(self.expert_layers, ctx["cache"]):
            x, _ = layer(x, ctx["cos"], ctx["sin"], ctx["mask"], static=(K, V, ctx["pos"]))
        return self.action_out(self.expert_norm(x[:, 2:]))

    def flow_time(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """t ~ Beta(alpha, beta) * (t_max - t_min) + t_min (t = 1 is noise)."""
        a, b, tmin, tmax = self.config.flow_beta
        s = _beta_from_uniform(torch.rand(n, generator=generator), a, b)
        return s * (tmax - tmin) + tmin

    # ---- training -----------------------------------------------------------------------------
    def compute_loss(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        """Cross-entropy on box / goal / EOS tokens + flow-matching MSE on actions of synthetic
        samples (unweighted sum). ``batch`` comes from :func:`graspvla.model.collate`."""
        dev = self.embed_tokens.weight.device
        prefix: Prefix = batch["prefix"]
        images = batch["images"].to(dev)
        weights = [t.cfg.target_keypoint for t in self.towers]
        embeds, maps, kp_scores = self.encode_images(images, prefix, target_maps=True, keypoint_scores=True)
        x = self.embed(prefix, embeds)
        key_mask = prefix.key_mask.to(dev)
        hidden, cache = self.run_lm(x, prefix.positions.to(dev), self.causal_mask(key_mask))
        logits = self.lm_head(hidden)
        labels = prefix.labels.to(dev)
        c = self.config
        tok = bin_cross_entropy(logits, labels, c.vocab_size - c.n_bins, c.n_bins, c.bin_label_sigma)
        sup = labels != IGNORE
        ce = tok.sum() / sup.sum().clamp(min=1)
        metrics = {"ce": float(ce.detach())}
        if self.config.use_pag:  # per part, to watch localisation (box) apart from the grasp (goal)
            with torch.no_grad():
                if "label_parts" in batch:
                    part = batch["label_parts"].to(dev)
                    box, goal = sup & (part == Layout.PART_BOX), sup & (part == Layout.PART_GOAL)
                else:  # a hand-made batch: the box tokens come first, then the goal, then EOS
                    rank = sup.cumsum(1)
                    n_sup = sup.sum(1, keepdim=True)
                    box = sup & (rank <= 8)
                    goal = sup & (rank > 8) & (rank < n_sup) & (n_sup > 9)
                if bool(box.any()):
                    metrics["ce_box"] = float(tok[box].mean())
                if bool(goal.any()):
                    metrics["ce_goal"] = float(tok[goal].mean())
                    if int(goal.sum()) % c.goal_dim == 0:  # whole goals: x y z roll pitch yaw per sample
                        # teacher-forced argmax bin vs the label bin, in bins (no angle wrap): the
                        # CE alone hides whether the orientation tokens learn at all
                        lo = c.vocab_size - c.n_bins
                        err = (logits[goal][:, lo:lo + c.n_bins].argmax(-1) - (labels[goal] - lo)).abs().float()
                        err = err.view(-1, c.goal_dim)
                        metrics["bin_err_pos"] = float(err[:, :3].mean())
                        metrics["bin_err_rot"] = float(err[:, 3:].mean())
        loss = ce
        if any(weights) and "target_boxes" in batch:
            boxes, box_sup = batch["target_boxes"].to(dev), batch["target_box_sup"].to(dev)
            points = batch["target_points"].to(dev) if "target_points" in batch else None
            terms = [w * target_map_loss(m, boxes, box_sup, points) for w, m in zip(weights, maps) if w]
            tk = sum(terms[1:], terms[0])
            loss = loss + tk
            metrics["target_kp"] = float(tk.detach())
        is_action = batch["is_action"].to(dev)
        if self.grasp_head is not None and "goal" in batch:
            # open hand only: after closing, the goal label is the next pose, not the grasp
            sup_g = is_action & (batch["proprio"].to(dev)[:, -1, -1] > 0)
            pos = self.grasp_head(kp_scores)
            gh = KeypointGraspHead.loss(pos, batch["goal"].to(dev)[:, :3], sup_g)
            loss = loss + gh
            if bool(sup_g.any()):
                metrics["grasp_head"] = float(gh.detach())
        has_action = bool(is_action.any())
        if has_action or self.static_graph:
            # without action samples (static_graph) the expert runs on sample 0 with zero weight
            sel = is_action.nonzero().squeeze(1) if has_action else torch.zeros(1, dtype=torch.long, device=dev)
            actions = batch["actions"].to(dev)[sel]
            noise = batch["noise"].to(dev)[sel]
            t = batch["flow_t"].to(dev)[sel]
            x_t = t[:, None, None] * noise + (1 - t[:, None, None]) * actions
            target = noise - actions
            kv = [(k[sel], v[sel]) for k, v in cache]
            if self.config.detach_prefix_for_actions:
                kv = [(k.detach(), v.detach()) for k, v in kv]
            lengths = key_mask[sel].sum(1)
            goal = batch.get("expert_goal", batch.get("goal"))
            goal = goal.to(dev)[sel] if goal is not None else None
            v = self.expert_velocity(x_t, t, batch["proprio"].to(dev)[sel], kv, key_mask[sel], lengths, goal)
            fm = F.mse_loss(v.float(), target.float())
            if has_action:
                loss = loss + fm
                metrics["flow"] = float(fm.detach())
            else:
                loss = loss + 0.0 * fm
        return loss, metrics


def bin_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, bin_lo: int, n_bins: int, sigma: float) -> torch.Tensor:
    """Per-token cross-entropy (B, T) of ``logits`` (B, T, V) against ``labels`` (B, T;
    ``IGNORE`` = 0 loss). With ``sigma`` > 0 a label that is a bin token (ids ``[bin_lo,
    bin_lo + n_bins)``) is replaced by a Gaussian over the bins centred on it, std ``sigma``
    bins, normalised over the bins (so the loss is -sum_j q_j log p_j over the bin ids, and a
    prediction one bin off costs less than one far off); other labels stay one-hot."""
    y = labels.flatten()
    logp = F.log_softmax(logits.flatten(0, 1).float(), dim=-1)  # once, for both targets
    tok = F.nll_loss(logp, y, ignore_index=IGNORE, reduction="none")
    if sigma > 0:
        is_bin = (y >= bin_lo) & (y < bin_lo + n_bins)
        if bool(is_bin.any()):
            j = torch.arange(n_bins, device=logp.device, dtype=torch.float32)
            q = torch.softmax(-0.5 * ((j[None, :] - (y[is_bin] - bin_lo).float()[:, None]) / sigma) ** 2, dim=-1)
            tok = tok.masked_scatter(is_bin, -(q * logp[is_bin, bin_lo:bin_lo + n_bins]).sum(-1))
    return tok.view_as(labels)


def without_position(proprio: Any) -> Any:
    """A copy of normalised proprio (..., P), a tensor or an array, with x, y, z set to 0
    (``use_proprio_position=False``)."""
    out = proprio.clone() if isinstance(proprio, torch.Tensor) else np.array(proprio, copy=True)
    out[..., :3] = 0
    return out


def point_target(points: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """(..., 2) image points in [-1, 1] (x right, y down) -> (..., H*W) bilinear weights on the
    four nearest cell centres, whose weighted mean of cell centres is the point (clamped to
    the outermost centres at the border)."""
    gx = ((points[..., 0] + 1.0) * 0.5 * W - 0.5).clamp(0.0, W - 1.0)
    gy = ((points[..., 1] + 1.0) * 0.5 * H - 0.5).clamp(0.0, H - 1.0)
    x0, y0 = gx.floor().clamp(max=W - 2 if W > 1 else 0), gy.floor().clamp(max=H - 2 if H > 1 else 0)
    fx, fy = gx - x0, gy - y0
    q = torch.zeros(*points.shape[:-1], H * W, device=points.device)
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        idx = ((y0 + dy).clamp(max=H - 1) * W + (x0 + dx).clamp(max=W - 1)).long()
        q.scatter_add_(-1, idx[..., None], w[..., None].float())
    return q


def target_map_loss(scores: torch.Tensor, boxes: torch.Tensor, sup: torch.Tensor,
                    points: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy between the softmax over cells of ``scores`` (B, V, H, W) and a uniform
    distribution over the cells whose centres lie in the box; a box smaller than a cell (no
    centre inside) targets the cell holding the box centre. ``boxes`` (B, V, 4) x0, y0, x1, y1
    in [-1, 1] image coordinates (x right, y down); ``sup`` (B, V) bool: the views to train.
    ``points`` (B, V, 2) in [-1, 1], NaN = none: a view with a point targets it instead
    (:func:`point_target`: the grasp position's projection, sub-cell exact in expectation).
    Mean over those views (0, still in the graph, when there are none)."""
    B, V, H, W = scores.shape
    logp = scores.float().flatten(2).log_softmax(-1)  # (B, V, H*W)
    xs, ys = cell_centres(H, W, scores.device)
    b = boxes.float()
    inside = ((xs[None, None, None, :] >= b[..., 0, None, None]) & (xs[None, None, None, :] <= b[..., 2, None, None])
              & (ys[None, None, :, None] >= b[..., 1, None, None]) & (ys[None, None, :, None] <= b[..., 3, None, None]))
    cx = ((b[..., 0] + b[..., 2]) * 0.5 + 1.0) * (W / 2.0)
    cy = ((b[..., 1] + b[..., 3]) * 0.5 + 1.0) * (H / 2.0)
    centre = (cy.long().clamp(0, H - 1) * W + cx.long().clamp(0, W - 1))  # (B, V)
    q = inside.flatten(2).float()
    empty = q.sum(-1) == 0
    q[empty] = F.one_hot(centre[empty], H * W).float()
    q = q / q.sum(-1, keepdim=True)
    if points is not None:
        has = torch.isfinite(points).all(-1)  # (B, V)
        if bool(has.any()):
            q[has] = point_target(points[has].float(), H, W)
    per_view = -(q * logp).sum(-1)  # (B, V)
    m = sup.to(per_view.dtype)
    return (per_view * m).sum() / m.sum().clamp(min=1.0)


def _beta_from_uniform(u: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """Inverse CDF of Beta(a, b) (seedable through ``u``): exact u^(1/a) for b = 1, else a
    tabulated CDF on 2047 points."""
    if b == 1.0:
        return u.clamp(0, 1) ** (1.0 / a)
    xs = torch.linspace(0, 1, 2049, dtype=torch.float64)[1:-1]
    cdf = torch.cumsum(xs ** (a - 1) * (1 - xs) ** (b - 1), 0)
    cdf = cdf / cdf[-1]
    idx = torch.searchsorted(cdf, u.double().clamp(0, 1)).clamp(max=len(xs) - 1)
    return xs[idx].to(u.dtype)
