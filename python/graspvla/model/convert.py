"""Key mapping from the published GraspVLA checkpoint layout into :class:`GraspVLA`.

The original state dict (PKU-EPIC/GraspVLA ``model.safetensors``: the ``state_dict`` of its
``VLA`` module, loaded there with a strict ``load_state_dict``) uses

* timm ViT names under ``backbone_2d.dino.model.*`` (DINOv2-L/14 with 4 registers and a CLS
  token, LayerScale ``ls1/ls2.gamma``) and ``backbone_2d.siglip.model.*`` (SigLIP-So400m/14,
  no CLS, an attention-pool head we do not use);
* a Prismatic ``projector.projector.{0,2,4}`` MLP;
* InternLM2 names under ``llm.llm.model.*`` / ``llm.llm.output`` (``VLA.llm`` is an
  ``LLMBackbone`` whose ``.llm`` is the ``InternLM2ForCausalLM``; a flattened ``llm.model.*``
  is accepted too) with the fused ``attention.wqkv`` packed as [kv_heads, q_per_kv + 2,
  head_dim] along the output dimension. Its embedding and LM head have 92,608 rows (base vocab
  92,544 + ``<PAD>``, padded to a multiple of 64): set ``embed_rows`` accordingly;
* the action expert as a second ``InternLM2ForCausalLM`` under ``action_expert.model.*`` (its
  92,608-row embedding and ``action_expert.output`` LM head are unused);
* the flow-matching heads of ``VLAFlowMatchingModule`` under ``flow_module.*``
  (:data:`EXPERT_HEAD_NAMES`; note the original's spelling ``proprior_proj``).

The conversion is exact: LayerScale is folded into the following linear layer, the CLS token
plus its position embedding becomes a register, ``wqkv`` is split into q/k/v. Unused tensors
(final ViT norms, SigLIP's pooling head, the expert's embedding/LM head) are listed in the
report, never silently dropped. Original keys the mapper does not know and parameters of ours
that no original key fills are listed in full (grouped over layer indices) in the
:class:`~graspvla.errors.CheckpointError`, or in the report with ``strict=False``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import torch

from graspvla.errors import CheckpointError
from graspvla.model.config import GraspVLAConfig

__all__ = ["ConversionReport", "EXPERT_HEAD_NAMES", "convert_graspvla_state_dict", "group_keys",
           "load_graspvla_checkpoint"]

# Published module path (PKU-EPIC/GraspVLA vla_network/model/vla/flow_matching.py,
# VLAFlowMatchingModule as VLA.flow_module) -> our module. action_time_mlp is
# Sequential(Linear(2h -> h), SiLU, Linear(h -> h)).
EXPERT_HEAD_NAMES: dict[str, str] = {
    "flow_module.proprior_proj": "proprio_in",
    "flow_module.action_in_proj": "action_in",
    "flow_module.action_time_mlp.0": "time_mlp_in",
    "flow_module.action_time_mlp.2": "time_mlp_out",
    "flow_module.action_out_proj": "action_out",
}

_LLM_PREFIXES = ("llm.llm", "llm")  # the released module tree, then a flattened variant

_UNUSED = [r"backbone_2d\.\w+\.model\.(norm|fc_norm|attn_pool|head)\..*", r"backbone_2d\.\w+\.model\.head\b.*",
           r"action_expert\.model\.tok_embeddings\.weight", r"action_expert\.output\.weight"]

_LM_LAYER = {"attention.wo.weight": "self_attn.o_proj.weight", "feed_forward.w1.weight": "mlp.gate_proj.weight",
             "feed_forward.w3.weight": "mlp.up_proj.weight", "feed_forward.w2.weight": "mlp.down_proj.weight",
             "attention_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight"}


def group_keys(keys: list[str] | set[str]) -> list[str]:
    """Keys with layer / block indices collapsed: ``a.layers.*.b (x24)``, so a full list stays short."""
    groups: dict[str, list[str]] = {}
    for k in sorted(keys):
        groups.setdefault(re.sub(r"\.\d+\.", ".*.", k), []).append(k)
    return sorted(v[0] if len(v) == 1 else f"{p} (x{len(v)})" for p, v in groups.items())


@dataclass
class ConversionReport:
    """What the mapper did: ``unused`` original keys deliberately not loaded, ``folded``
    tensors merged into others; with ``strict=False`` also ``unknown`` original keys it could
    not place and ``missing`` parameters of ours left at their initial values."""

    unused: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every original key was placed or deliberately unused, and every parameter was filled."""
        return not self.unknown and not self.missing

    def summary(self) -> str:
        lines = [f"{len(self.unused)} original keys unused (by design), {len(self.folded)} tensors folded"]
        for name, keys in (("original keys not understood", self.unknown), ("model parameters not filled", self.missing)):
            if keys:
                lines.append(f"{len(keys)} {name}:")
                lines += [f"  {k}" for k in group_keys(keys)]
        return "\n".join(lines)


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


def _llm_prefix(state: dict[str, torch.Tensor]) -> str:
    for p in _LLM_PREFIXES:
        if f"{p}.model.tok_embeddings.weight" in state or any(k.startswith(f"{p}.model.layers.") for k in state):
            return p
    return _LLM_PREFIXES[0]


def convert_graspvla_state_dict(state: dict[str, torch.Tensor], config: GraspVLAConfig,
                                renames: dict[str, str] | None = None, strict: bool = True
                                ) -> tuple[dict[str, torch.Tensor], ConversionReport]:
    """Maps an original-layout state dict to ours. ``renames`` ({original module path: ours})
    extends / overrides :data:`EXPERT_HEAD_NAMES`. Original keys the mapper does not know raise
    :class:`CheckpointError` listing all of them (``strict=False``: listed in
    ``report.unknown``). Shapes and missing parameters are checked when the result is loaded
    (:func:`load_graspvla_checkpoint`); the embedding's row count is checked here because it
    needs a config field (``embed_rows``)."""
    out: dict[str, torch.Tensor] = {}
    used: set[str] = set()
    report = ConversionReport()
    n = [(config.image_size // v.patch_size) ** 2 for v in config.vision]
    _convert_vit(state, "backbone_2d.dino.model", "towers.0", n[0], out, used, report)
    _convert_vit(state, "backbone_2d.siglip.model", "towers.1", n[1], out, used, report)
    llm = _llm_prefix(state)
    _convert_lm(state, llm, "layers", config, out, used)
    _convert_lm(state, "action_expert", "expert_layers", config, out, used)
    direct = {f"{llm}.model.tok_embeddings.weight": "embed_tokens.weight", f"{llm}.model.norm.weight": "norm.weight",
              f"{llm}.output.weight": "lm_head.weight", "action_expert.model.norm.weight": "expert_norm.weight"}
    emb = state.get(f"{llm}.model.tok_embeddings.weight")
    if emb is not None and emb.shape[0] != config.num_embeddings:
        raise CheckpointError(
            f"{llm}.model.tok_embeddings.weight has {emb.shape[0]} rows but the config's embedding has "
            f"{config.num_embeddings} (embed_rows={config.embed_rows}, bin_base={config.vocab_size}): set embed_rows="
            f"{emb.shape[0]} (GraspVLA: 92,608 = InternLM2's 92,544 + <PAD>, padded to a multiple of 64) and keep "
            "bin_base at the tokenizer's base vocabulary (92,544) so the bin tokens keep their ids")
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
    for k in state:
        if k in used:
            continue
        if any(re.fullmatch(p, k) for p in _UNUSED):
            report.unused.append(k)
        else:
            report.unknown.append(k)
    if report.unknown and strict:
        raise CheckpointError(f"{len(report.unknown)} keys of the original checkpoint are not understood by the mapper:\n"
                              + "\n".join(f"  {k}" for k in group_keys(report.unknown))
                              + "\npass renames={original_module_path: our_module_path} for renamed heads, or "
                              "strict=False to load the rest and get them in report.unknown")
    return out, report


def load_graspvla_checkpoint(path: str, config: GraspVLAConfig, renames: dict[str, str] | None = None,
                             strict: bool = True):
    """Builds a :class:`GraspVLA` from an original ``model.safetensors`` (local file) and the
    matching config; returns ``(model, report)``. With ``strict`` (default), unknown original
    keys, parameters no original key fills, unexpected keys and shape mismatches raise
    :class:`CheckpointError` with the full (grouped) lists. ``strict=False`` loads what maps,
    leaves the rest at its initial values, lists it in ``report.unknown`` / ``report.missing``
    and warns; shape mismatches always raise."""
    from safetensors.torch import load_file

    from graspvla.model.checkpoint import load_state_dict_checked
    from graspvla.model.graspvla import GraspVLA

    try:
        state = load_file(str(path))
    except Exception as exc:
        raise CheckpointError(f"{path} could not be read: {exc}") from exc
    mapped, report = convert_graspvla_state_dict(state, config, renames, strict=strict)
    model = GraspVLA(config)
    own = model.state_dict()
    report.missing = sorted(set(own) - set(mapped))
    if report.missing and strict:
        raise CheckpointError(f"{path}: {len(report.missing)} parameters of the model are not filled by any key of the "
                              "original checkpoint:\n" + "\n".join(f"  {k}" for k in group_keys(report.missing))
                              + "\nis the config (depth, vision towers, use of the action expert) the checkpoint's? "
                              "strict=False loads the rest and lists these in report.missing")
    if not strict:
        for k in report.missing:
            mapped[k] = own[k]
        if not report.ok:
            warnings.warn(f"{path}: partial load\n{report.summary()}", stacklevel=2)
    load_state_dict_checked(model, mapped, str(path))
    return model.eval(), report
