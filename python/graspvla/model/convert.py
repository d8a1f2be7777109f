"""Key mapping from the published GraspVLA checkpoint layout into :class:`GraspVLA`.

The original state dict (PKU-EPIC/GraspVLA, ``model.safetensors``) uses

* timm ViT names under ``backbone_2d.dino.model.*`` (DINOv2-L/14 with 4 registers and a CLS
  token, LayerScale ``ls1/ls2.gamma``) and ``backbone_2d.siglip.model.*`` (SigLIP-So400m/14,
  no CLS, an attention-pool head we do not use);
* a Prismatic ``projector.projector.{0,2,4}`` MLP;
* InternLM2 names under ``llm.model.*`` / ``llm.output`` with the fused ``attention.wqkv``
  packed as [kv_heads, q_per_kv + 2, head_dim] along the output dimension;
* the action expert as a second InternLM2 under ``action_expert.model.*`` (its embedding and
  LM head are unused) and small input/output heads (names in :data:`EXPERT_HEAD_NAMES`,
  [unverified] against the released file: pass ``renames`` to override).

The conversion is exact: LayerScale is folded into the following linear layer, the CLS token
plus its position embedding becomes a register, ``wqkv`` is split into q/k/v. Unused tensors
(final ViT norms, SigLIP's pooling head, the expert's embedding/LM head) are listed in the
report, never silently dropped; anything else unknown is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from graspvla.errors import CheckpointError
from graspvla.model.config import GraspVLAConfig

__all__ = ["ConversionReport", "EXPERT_HEAD_NAMES", "convert_graspvla_state_dict", "load_graspvla_checkpoint"]

EXPERT_HEAD_NAMES: dict[str, str] = {
    "proprio_proj": "proprio_in",
    "action_in_proj": "action_in",
    "action_time_mlp_in": "time_mlp_in",
    "action_time_mlp_out": "time_mlp_out",
    "action_out_proj": "action_out",
}

_UNUSED = [r"backbone_2d\.\w+\.model\.(norm|fc_norm|attn_pool|head)\..*", r"backbone_2d\.\w+\.model\.head\b.*",
           r"action_expert\.model\.tok_embeddings\.weight", r"action_expert\.output\.weight"]

_LM_LAYER = {"attention.wo.weight": "self_attn.o_proj.weight", "feed_forward.w1.weight": "mlp.gate_proj.weight",
             "feed_forward.w3.weight": "mlp.up_proj.weight", "feed_forward.w2.weight": "mlp.down_proj.weight",
             "attention_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight"}


@dataclass
class ConversionReport:
    """What the mapper did: ``unused`` original keys deliberately not loaded."""

    unused: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)


def _split_wqkv(w: torch.Tensor, heads: int, kv_heads: int, head_dim: int, key: str
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = heads // kv_heads
    if w.shape[0] != (g + 2) * kv_heads * head_dim:
        raise CheckpointError(f"{key}: shape {tuple(w.shape)} does not match {kv_heads} KV heads x ({g} + 2) x "
                              f"head_dim {head_dim} of the config")
    w = w.reshape(kv_heads, g + 2, head_dim, w.shape[-1])
    q = w[:, :g].reshape(heads * head_dim, -1)
    return q, w[:, g].reshape(kv_heads * head_dim, -1), w[:, g + 1].reshape(kv_heads * head_dim, -1)


def _convert_lm(state: dict[str, torch.Tensor], src: str, dst: str, c: GraspVLAConfig, out: dict[str, torch.Tensor],
                used: set[str]) -> None:
    pat = re.compile(re.escape(src) + r"\.model\.layers\.(\d+)\.(.+)")
    for k, v in state.items():
        m = pat.fullmatch(k)
        if not m:
            continue
        i, rest = m.group(1), m.group(2)
        if rest == "attention.wqkv.weight":
            q, kk, vv = _split_wqkv(v, c.lm.heads, c.lm.kv_heads, c.lm.head_dim, k)
            for name, t in (("q_proj", q), ("k_proj", kk), ("v_proj", vv)):
                out[f"{dst}.{i}.self_attn.{name}.weight"] = t
        elif rest in _LM_LAYER:
            out[f"{dst}.{i}.{_LM_LAYER[rest]}"] = v
        else:
            continue
        used.add(k)


def _convert_vit(state: dict[str, torch.Tensor], src: str, dst: str, n_patches: int, out: dict[str, torch.Tensor],
                 used: set[str], report: ConversionReport) -> None:
    p = src + "."
    keys = [k for k in state if k.startswith(p)]
    if not keys:
        return
    g = {k[len(p):]: state[k] for k in keys}
    out[f"{dst}.patch_embed.weight"] = g["patch_embed.proj.weight"]
    out[f"{dst}.patch_embed.bias"] = g["patch_embed.proj.bias"]
    pos = g["pos_embed"]
    prefix = []
    if "cls_token" in g:
        cls = g["cls_token"]
        if pos.shape[1] == n_patches + 1:  # position embedding includes the CLS slot: fold it into the token
            cls = cls + pos[:, :1]
            pos = pos[:, 1:]
            report.folded.append(f"{p}pos_embed[0] -> {dst}.registers[0]")
        prefix.append(cls)
    if "reg_token" in g:
        prefix.append(g["reg_token"])
    out[f"{dst}.pos_embed"] = pos
    if prefix:
        out[f"{dst}.registers"] = torch.cat(prefix, dim=1)
    blk = re.compile(r"blocks\.(\d+)\.(.+)")
    gammas: dict[tuple[str, str], torch.Tensor] = {}
    for k, v in g.items():
        m = blk.fullmatch(k)
        if not m:
            continue
        i, rest = m.groups()
        b = f"{dst}.blocks.{i}."
        simple = {"norm1.weight": "norm1.weight", "norm1.bias": "norm1.bias", "norm2.weight": "norm2.weight",
                  "norm2.bias": "norm2.bias", "attn.qkv.weight": "attn.in_proj_weight",
                  "attn.qkv.bias": "attn.in_proj_bias", "attn.proj.weight": "attn.out_proj.weight",
                  "attn.proj.bias": "attn.out_proj.bias", "mlp.fc1.weight": "mlp.0.weight", "mlp.fc1.bias": "mlp.0.bias",
                  "mlp.fc2.weight": "mlp.2.weight", "mlp.fc2.bias": "mlp.2.bias"}
        if rest in simple:
            out[b + simple[rest]] = v
        elif rest in ("ls1.gamma", "ls2.gamma"):
            gammas[(i, rest[:3])] = v
        else:
            continue
        used.add(p + k)
    for (i, ls), gamma in gammas.items():  # y = x + gamma * (W h + b)  ==  x + (gamma W) h + gamma b
        lin = f"{dst}.blocks.{i}." + ("attn.out_proj" if ls == "ls1" else "mlp.2")
        out[lin + ".weight"] = gamma[:, None] * out[lin + ".weight"]
        out[lin + ".bias"] = gamma * out[lin + ".bias"]
        report.folded.append(f"{p}blocks.{i}.{ls}.gamma -> {lin}")
    for name in ("patch_embed.proj.weight", "patch_embed.proj.bias", "pos_embed", "cls_token", "reg_token"):
        if name in g:
            used.add(p + name)


def convert_graspvla_state_dict(state: dict[str, torch.Tensor], config: GraspVLAConfig,
                                renames: dict[str, str] | None = None
                                ) -> tuple[dict[str, torch.Tensor], ConversionReport]:
    """Maps an original-layout state dict to ours. Raises :class:`CheckpointError` on keys it
    does not know (listing them); shapes are checked when the result is loaded."""
    out: dict[str, torch.Tensor] = {}
    used: set[str] = set()
    report = ConversionReport()
    n = [(config.image_size // v.patch_size) ** 2 for v in config.vision]
    _convert_vit(state, "backbone_2d.dino.model", "towers.0", n[0], out, used, report)
    _convert_vit(state, "backbone_2d.siglip.model", "towers.1", n[1], out, used, report)
    _convert_lm(state, "llm", "layers", config, out, used)
    _convert_lm(state, "action_expert", "expert_layers", config, out, used)
    direct = {"llm.model.tok_embeddings.weight": "embed_tokens.weight", "llm.model.norm.weight": "norm.weight",
              "llm.output.weight": "lm_head.weight", "action_expert.model.norm.weight": "expert_norm.weight"}
    for i in (0, 2, 4):
        for t in ("weight", "bias"):
            direct[f"projector.projector.{i}.{t}"] = f"projector.{i}.{t}"
    heads = dict(EXPERT_HEAD_NAMES, **(renames or {}))
    for src, dst in heads.items():
        for t in ("weight", "bias"):
            direct[f"{src}.{t}"] = f"{dst}.{t}"
    for k, v in state.items():
        if k in direct:
            out[direct[k]] = v
            used.add(k)
    unknown = []
    for k in state:
        if k in used:
            continue
        if any(re.fullmatch(p, k) for p in _UNUSED):
            report.unused.append(k)
        else:
            unknown.append(k)
    if unknown:
        raise CheckpointError(f"{len(unknown)} keys of the original checkpoint are not understood by the mapper "
                              f"(e.g. {sorted(unknown)[:8]}); pass renames={{original_prefix: our_prefix}} for "
                              "renamed heads")
    return out, report


def load_graspvla_checkpoint(path: str, config: GraspVLAConfig, renames: dict[str, str] | None = None):
    """Builds a :class:`GraspVLA` from an original ``model.safetensors`` (local file) and the
    matching config. Missing / unexpected keys and shape mismatches raise CheckpointError."""
    from safetensors.torch import load_file

    from graspvla.model.checkpoint import load_state_dict_checked
    from graspvla.model.graspvla import GraspVLA

    try:
        state = load_file(str(path))
    except Exception as exc:
        raise CheckpointError(f"{path} could not be read: {exc}") from exc
    mapped, report = convert_graspvla_state_dict(state, config, renames)
    model = GraspVLA(config)
    load_state_dict_checked(model, mapped, str(path))
    return model.eval(), report
