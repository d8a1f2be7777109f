"""Transformer building blocks: ViT tower, Llama-style decoder layers with a KV interface."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from graspvla.model.config import LMConfig, VisionConfig

__all__ = ["ConvStem", "DecoderLayer", "RMSNorm", "SpatialKeypoints", "ViT", "apply_rope", "cell_centres",
           "rope_cache"]


def cell_centres(H: int, W: int, device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Centres of an H x W grid of cells in image coordinates [-1, 1] (x right, y down):
    (xs (W,), ys (H,)), float32."""
    ys = (torch.arange(H, device=device, dtype=torch.float32) + 0.5) * (2.0 / H) - 1.0
    xs = (torch.arange(W, device=device, dtype=torch.float32) + 0.5) * (2.0 / W) - 1.0
    return xs, ys


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x * self.weight.float()).to(dtype)


def rope_cache(positions: torch.Tensor, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin (B, T, head_dim) for integer positions (B, T)."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32) / head_dim))
    ang = positions.float()[..., None] * inv
    ang = torch.cat([ang, ang], dim=-1)
    return ang.cos(), ang.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x (B, H, T, D) rotated by position (rotate-half convention, as Llama)."""
    x1, x2 = x.chunk(2, dim=-1)
    rot = torch.cat([-x2, x1], dim=-1)
    return (x * cos[:, None] + rot * sin[:, None]).to(x.dtype)


class Attention(nn.Module):
    """Grouped-query attention whose keys/values can be extended by an external prefix."""

    def __init__(self, hidden: int, heads: int, kv_heads: int, head_dim: int) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.q_proj = nn.Linear(hidden, heads * head_dim, bias=False)
        self.k_proj = nn.Linear(hidden, kv_heads * head_dim, bias=False)
        self.v_proj = nn.Linear(hidden, kv_heads * head_dim, bias=False)
        self.o_proj = nn.Linear(heads * head_dim, hidden, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor,
                prefix_kv: tuple[torch.Tensor, torch.Tensor] | None = None,
                static: tuple[torch.Tensor, torch.Tensor, int] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, hidden); mask (B, T, S_prefix + T) bool (True = attend). Returns the output
        and this segment's own (k, v) (B, kv_heads, T, head_dim), already rotated.

        ``static`` = (K, V, pos): a preallocated cache (B, kv_heads, capacity, head_dim); the new
        k/v are written at [pos, pos + T) and attention runs over [0, pos + T) (no concatenation)."""
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        own = (k, v)
        if static is not None:
            K, V, pos = static
            K[:, :, pos:pos + T] = k
            V[:, :, pos:pos + T] = v
            k, v = K[:, :, :pos + T], V[:, :, :pos + T]
        elif prefix_kv is not None:
            k = torch.cat([prefix_kv[0], k], dim=2)
            v = torch.cat([prefix_kv[1], v], dim=2)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None], enable_gqa=self.heads != self.kv_heads)
        return self.o_proj(out.transpose(1, 2).reshape(B, T, -1)), own


class MLP(nn.Module):
    def __init__(self, hidden: int, ffn: int) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(hidden, ffn, bias=False)
        self.up_proj = nn.Linear(hidden, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    """Pre-norm decoder layer with Llama's parameter names."""

    def __init__(self, hidden: int, ffn: int, lm: LMConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(hidden, lm.norm_eps)
        self.self_attn = Attention(hidden, lm.heads, lm.kv_heads, lm.head_dim)
        self.post_attention_layernorm = RMSNorm(hidden, lm.norm_eps)
        self.mlp = MLP(hidden, ffn)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor,
                prefix_kv: tuple[torch.Tensor, torch.Tensor] | None = None,
                static: tuple[torch.Tensor, torch.Tensor, int] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        h, kv = self.self_attn(self.input_layernorm(x), cos, sin, mask, prefix_kv, static)
        x = x + h
        return x + self.mlp(self.post_attention_layernorm(x)), kv


class ViTBlock(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.width, eps=1e-6)
        self.attn = nn.MultiheadAttention(cfg.width, cfg.heads, batch_first=True)
        self.norm2 = nn.LayerNorm(cfg.width, eps=1e-6)
        if cfg.act not in ("gelu", "gelu_tanh"):
            raise ValueError(f"VisionConfig.act: expected 'gelu' or 'gelu_tanh', got {cfg.act!r}")
        act = nn.GELU(approximate="tanh" if cfg.act == "gelu_tanh" else "none")
        self.mlp = nn.Sequential(nn.Linear(cfg.width, cfg.mlp_dim), act, nn.Linear(cfg.mlp_dim, cfg.width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class ConvStem(nn.Module):
    """A 4x4 stride-4 patchify convolution, then log2(patch / 4) stages of a strided 3x3
    convolution, GroupNorm and GELU, channels doubling up to ``width`` (at least 16):
    (N, 3, S, S) -> (N, width, S / patch, S / patch). Each token then sees overlapping
    neighbourhoods at every scale, so where inside its cell an object lies is encoded in the
    features instead of being lost in one linear projection of the cell."""

    def __init__(self, width: int, patch_size: int) -> None:
        super().__init__()
        k = patch_size.bit_length() - 1
        if patch_size < 8 or 1 << k != patch_size:
            raise ValueError(f"VisionConfig.stem='conv' needs a power-of-two patch_size >= 8, got {patch_size}")
        n = k - 2  # stride-2 stages after the stride-4 patchify
        chans = [max(32 if i == 0 else 16, width >> (n - i)) for i in range(n + 1)]
        layers: list[nn.Module] = [nn.Conv2d(3, chans[0], 4, 4, bias=False), nn.GroupNorm(min(8, chans[0] // 4), chans[0]),
                                   nn.GELU()]
        for cin, c in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(cin, c, 3, 2, 1, bias=False), nn.GroupNorm(min(8, c // 4), c), nn.GELU()]
        layers.append(nn.Conv2d(chans[-1], width, 1))
        self.layers = nn.Sequential(*layers)
        #: channels of the intermediate maps at strides 4, 8, 16, ... (see ``forward(taps=True)``)
        self.chans = chans

    def forward(self, x: torch.Tensor, taps: bool = False, film: list[tuple[torch.Tensor, torch.Tensor]] | None = None
                ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """``taps``: also return the activated map after each stage (strides 4, 8, 16, ...).
        ``film``: per stage (scale, shift) (N, C); the activated map becomes map * (1 + scale) + shift."""
        if not taps and film is None:
            return self.layers(x)
        maps = []
        for m in self.layers:
            x = m(x)
            if isinstance(m, nn.GELU):
                if film is not None:
                    scale, shift = film[len(maps)]
                    x = x * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
                maps.append(x)
        return (x, maps) if taps else x


class SpatialKeypoints(nn.Module):
    """``k`` soft-argmax keypoints (Levine et al. 2016's spatial softmax) from a stem's stride-8
    map and its upsampled stride-16 map, each returned as one token.

    A small conv head scores every stride-8 cell per keypoint; a softmax over the cells gives an
    attention map whose expected image coordinates (x, y in [-1, 1], x right, y down) are
    continuous. The token is a linear map of those coordinates (raw and as sin/cos features at
    ``freqs`` octaves) and of the attention-pooled features, plus a learned per-keypoint
    embedding. So the tower states *where* something is with sub-cell precision, which a 7x7
    grid of 32 px tokens can only encode implicitly."""

    def __init__(self, c8: int, c16: int, width: int, k: int, freqs: int = 6, query_dim: int = 0,
                 embed: int = 64) -> None:
        """``query_dim`` > 0: keypoint 0 is a *queried* keypoint: its score per cell is the dot
        product of an ``embed``-wide cell embedding with a projection of a query vector (the
        instruction), the alignment score of open-vocabulary detectors (GLIP, OWL-ViT), so it
        can point at whichever object the query names."""
        super().__init__()
        c = c8 + c16
        self.head = nn.Sequential(nn.Conv2d(c, 32, 3, 1, 1), nn.GELU(), nn.Conv2d(32, k, 1))
        self.cell: nn.Module | None = None
        if query_dim > 0:
            self.cell = nn.Sequential(nn.Conv2d(c, embed, 3, 1, 1), nn.GELU(), nn.Conv2d(embed, embed, 1))
            self.query = nn.Linear(query_dim, embed)
            self.embed = embed
        self.proj = nn.Linear(c + 2 + 4 * freqs, width)
        self.index = nn.Parameter(torch.randn(1, k, width) * 0.02)
        self.register_buffer("octaves", math.pi * 2.0 ** torch.arange(freqs, dtype=torch.float32), persistent=False)

    def forward(self, f8: torch.Tensor, f16: torch.Tensor, logits: bool = False, query: torch.Tensor | None = None
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """f8 (N, c8, H, W), f16 (N, c16, H/2, W/2) -> (N, k, width); ``logits``: also return
        the attention scores (N, k, H, W) before the softmax over cells; ``query`` (N,
        query_dim): required when keypoint 0 is queried."""
        f = torch.cat([f8, F.interpolate(f16, size=f8.shape[-2:], mode="bilinear", align_corners=False)], 1)
        N, C, H, W = f.shape
        scores = self.head(f)
        if self.cell is not None:
            if query is None:
                raise ValueError("SpatialKeypoints: keypoint 0 is queried; pass query")
            q = self.query(query.to(f.dtype))[:, :, None, None]
            s0 = (self.cell(f) * q).sum(1, keepdim=True) * self.embed ** -0.5
            scores = torch.cat([s0, scores[:, 1:]], 1)
        attn = scores.flatten(2).float().softmax(-1)  # (N, k, H*W)
        xs, ys = cell_centres(H, W, f.device)
        grid = torch.stack([xs.repeat(H), ys.repeat_interleave(W)], -1)  # (H*W, 2): cell centres
        xy = attn @ grid  # (N, k, 2)
        feat = (attn.to(f.dtype) @ f.flatten(2).transpose(1, 2))  # (N, k, C)
        ang = (xy[..., None] * self.octaves).flatten(2)  # (N, k, 2 * freqs)
        enc = torch.cat([xy, ang.sin(), ang.cos()], -1).to(f.dtype)
        out = self.proj(torch.cat([enc, feat], -1)) + self.index
        return (out, scores) if logits else out


class ViT(nn.Module):
    """A plain ViT returning patch tokens of ``feature_layer`` (registers dropped)."""

    def __init__(self, cfg: VisionConfig, image_size: int, cond_dim: int = 0) -> None:
        """``cond_dim``: width of the instruction vector that ``cfg.film`` towers take."""
        super().__init__()
        self.cfg = cfg
        if cfg.stem == "patch":
            self.patch_embed: nn.Module = nn.Conv2d(3, cfg.width, cfg.patch_size, cfg.patch_size)
        elif cfg.stem == "conv":
            self.patch_embed = ConvStem(cfg.width, cfg.patch_size)
        else:
            raise ValueError(f"VisionConfig.stem: expected 'patch' or 'conv', got {cfg.stem!r}")
        n = (image_size // cfg.patch_size) ** 2
        self.pos_embed = nn.Parameter(torch.randn(1, n, cfg.width) * 0.02)
        self.keypoints: SpatialKeypoints | None = None
        if cfg.keypoints:
            if cfg.stem != "conv" or cfg.patch_size < 16:
                raise ValueError("VisionConfig.keypoints needs stem='conv' and patch_size >= 16 (stride-8 and "
                                 f"stride-16 maps), got stem={cfg.stem!r}, patch_size={cfg.patch_size}")
            chans = self.patch_embed.chans
            self.keypoints = SpatialKeypoints(chans[1], chans[2], cfg.width, cfg.keypoints,
                                              query_dim=cond_dim if cfg.target_keypoint > 0 else 0)
        if cfg.target_keypoint < 0 or (cfg.target_keypoint > 0 and not (cfg.keypoints and cond_dim > 0)):
            raise ValueError("VisionConfig.target_keypoint must be >= 0, and > 0 needs keypoints and an "
                             f"instruction vector (cond_dim >= 1) to query them with, got {cfg.target_keypoint}")
        self.registers = nn.Parameter(torch.zeros(1, cfg.registers, cfg.width)) if cfg.registers else None
        self.blocks = nn.ModuleList([ViTBlock(cfg) for _ in range(cfg.depth)])
        self.num_patches = n + cfg.keypoints  # output tokens: the grid, then the keypoints
        self.film: nn.Linear | None = None
        if cfg.film:
            if cfg.stem != "conv" or cond_dim < 1:
                raise ValueError("VisionConfig.film needs stem='conv' and an instruction vector (cond_dim >= 1)")
            self.film = nn.Linear(cond_dim, 2 * sum(self.patch_embed.chans))
        #: whether forward needs the instruction vector ``cond``
        self.conditioned = bool(cfg.film or cfg.target_keypoint > 0)
        self.register_buffer("pixel_mean", torch.tensor(cfg.pixel_mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("pixel_std", torch.tensor(cfg.pixel_std).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor, cond: torch.Tensor | None = None, target_map: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """images (N, 3, S, S) in [0, 1] -> (N, patches + keypoints, width); ``cond`` (N,
        cond_dim): the instruction vector of each image (required by ``film`` towers).
        ``target_map``: also return every keypoint's attention scores (N, k, H/8, W/8), before
        the softmax over cells (keypoint 0's for the ``target_keypoint`` loss, all of them for
        the grasp head; None for a tower without keypoints)."""
        images = (images - self.pixel_mean) / self.pixel_std
        film = None
        if self.conditioned and cond is None:
            raise ValueError("this vision tower is conditioned on the instruction (film / target_keypoint): pass cond")
        if self.film is not None:
            ss = self.film(cond.to(images.dtype)).split([c for c in self.patch_embed.chans for _ in (0, 1)], dim=-1)
            film = list(zip(ss[0::2], ss[1::2]))
        tmap = None
        if self.keypoints is None:
            grid = self.patch_embed(images) if film is None else self.patch_embed(images, film=film)
            x = grid.flatten(2).transpose(1, 2) + self.pos_embed
        else:
            grid, maps = self.patch_embed(images, taps=True, film=film)
            kp, scores = self.keypoints(maps[1], maps[2], logits=True, query=cond)
            tmap = scores
            x = torch.cat([grid.flatten(2).transpose(1, 2) + self.pos_embed, kp], 1)
        r = 0
        if self.registers is not None:
            x = torch.cat([self.registers.expand(len(x), -1, -1), x], dim=1)
            r = self.cfg.registers
        last = len(self.blocks) + self.cfg.feature_layer + 1 if self.cfg.feature_layer < 0 else self.cfg.feature_layer
        for i, blk in enumerate(self.blocks):
            if i >= max(last, 1):
                break
            x = blk(x)
        return (x[:, r:], tmap) if target_map else x[:, r:]


def sincos_time_embedding(t: torch.Tensor, dim: int, min_period: float = 4e-3, max_period: float = 4.0) -> torch.Tensor:
    """pi0-style sin-cos embedding of flow time t (B,) with log-spaced periods."""
    half = dim // 2
    frac = torch.linspace(0.0, 1.0, half, device=t.device, dtype=torch.float32)
    period = min_period * (max_period / min_period) ** frac
    ang = t.float()[:, None] * (2 * math.pi / period)[None]
    return torch.cat([ang.sin(), ang.cos()], dim=-1)
