"""The published-layout key mapper: a synthetic state dict with the original (timm /
Prismatic / InternLM2 / flow_module) names and structure at reduced width loads into our
model, and the converted modules compute what the original layout computes (functional
reference forwards written from the original tensors: timm ViT blocks with LayerScale and CLS,
InternLM2 with fused wqkv). The vocabulary has the real structure: bins reuse the tail of the
base text vocab (300 here, 92,544 in GraspVLA) and the embedding has more rows (320 here: +PAD,
padded to a multiple of 64; 92,608 in GraspVLA)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from graspvla.errors import CheckpointError
from graspvla.model import GraspVLA
from graspvla.model.config import IMAGENET_MEAN, IMAGENET_STD, ExpertConfig, GraspVLAConfig, LMConfig, VisionConfig
from graspvla.model.convert import convert_graspvla_state_dict, load_graspvla_checkpoint
from graspvla.model.layers import rope_cache


def _config() -> GraspVLAConfig:
    return GraspVLAConfig(
        image_size=56,
        vision=(VisionConfig(width=32, depth=3, heads=2, mlp_dim=64, patch_size=14, registers=5,
                             pixel_mean=IMAGENET_MEAN, pixel_std=IMAGENET_STD),
                VisionConfig(width=24, depth=3, heads=2, mlp_dim=40, patch_size=14, act="gelu_tanh")),
        lm=LMConfig(hidden=64, layers=2, heads=4, kv_heads=2, head_dim=16, ffn=96, rope_theta=1e6, norm_eps=1e-5),
        expert=ExpertConfig(hidden=32, ffn=48),
        text_vocab=300, bin_base=300, embed_rows=320)


def _original_state(c: GraspVLAConfig, g: torch.Generator) -> dict[str, torch.Tensor]:
    r = lambda *s: torch.randn(*s, generator=g) * 0.2  # noqa: E731
    st: dict[str, torch.Tensor] = {}
    n = (c.image_size // 14) ** 2
    for name, v, dino in (("dino", c.vision[0], True), ("siglip", c.vision[1], False)):
        p = f"backbone_2d.{name}.model."
        w = v.width
        st[p + "patch_embed.proj.weight"], st[p + "patch_embed.proj.bias"] = r(w, 3, 14, 14), r(w)
        if dino:
            st[p + "cls_token"], st[p + "reg_token"], st[p + "pos_embed"] = r(1, 1, w), r(1, 4, w), r(1, n + 1, w)
        else:
            st[p + "pos_embed"] = r(1, n, w)
            st[p + "attn_pool.latent"] = r(1, 1, w)
        for i in range(v.depth):
            b = f"{p}blocks.{i}."
            for ln in ("norm1", "norm2"):
                st[b + ln + ".weight"], st[b + ln + ".bias"] = 1 + r(w), r(w)
            st[b + "attn.qkv.weight"], st[b + "attn.qkv.bias"] = r(3 * w, w), r(3 * w)
            st[b + "attn.proj.weight"], st[b + "attn.proj.bias"] = r(w, w), r(w)
            st[b + "mlp.fc1.weight"], st[b + "mlp.fc1.bias"] = r(v.mlp_dim, w), r(v.mlp_dim)
            st[b + "mlp.fc2.weight"], st[b + "mlp.fc2.bias"] = r(w, v.mlp_dim), r(w)
            if dino:
                st[b + "ls1.gamma"], st[b + "ls2.gamma"] = r(w), r(w)
        st[p + "norm.weight"], st[p + "norm.bias"] = r(w), r(w)
    f, h = sum(v.width for v in c.vision), c.lm.hidden
    for i, (o, k) in zip((0, 2, 4), ((4 * f, f), (h, 4 * f), (h, h))):
        st[f"projector.projector.{i}.weight"], st[f"projector.projector.{i}.bias"] = r(o, k), r(o)
    grp = c.lm.heads // c.lm.kv_heads
    for src, hid, ffn in (("llm.llm", h, c.lm.ffn), ("action_expert", c.expert.hidden, c.expert.ffn)):
        st[f"{src}.model.tok_embeddings.weight"] = r(c.num_embeddings, hid)
        st[f"{src}.output.weight"] = r(c.num_embeddings, hid)
        st[f"{src}.model.norm.weight"] = 1 + r(hid)
        for i in range(c.lm.layers):
            b = f"{src}.model.layers.{i}."
            st[b + "attention.wqkv.weight"] = r(c.lm.kv_heads * (grp + 2) * c.lm.head_dim, hid)
            st[b + "attention.wo.weight"] = r(hid, c.lm.heads * c.lm.head_dim)
            st[b + "feed_forward.w1.weight"], st[b + "feed_forward.w3.weight"] = r(ffn, hid), r(ffn, hid)
            st[b + "feed_forward.w2.weight"] = r(hid, ffn)
            st[b + "attention_norm.weight"], st[b + "ffn_norm.weight"] = 1 + r(hid), 1 + r(hid)
    he = c.expert.hidden
    for name, (o, k) in {"proprior_proj": (he, 7), "action_in_proj": (he, 7), "action_time_mlp.0": (he, 2 * he),
                         "action_time_mlp.2": (he, he), "action_out_proj": (7, he)}.items():
        st[f"flow_module.{name}.weight"], st[f"flow_module.{name}.bias"] = r(o, k), r(o)
    return st


def _timm_vit(st: dict[str, torch.Tensor], p: str, v: VisionConfig, img: torch.Tensor, n_blocks: int) -> torch.Tensor:
    """Reference: timm VisionTransformer.get_intermediate_layers semantics, from original tensors."""
    x = (img - torch.tensor(v.pixel_mean).view(1, 3, 1, 1)) / torch.tensor(v.pixel_std).view(1, 3, 1, 1)
    x = F.conv2d(x, st[p + "patch_embed.proj.weight"], st[p + "patch_embed.proj.bias"], stride=14)
    x = x.flatten(2).transpose(1, 2)
    B = x.shape[0]
    if p + "cls_token" in st:
        x = torch.cat([st[p + "cls_token"].expand(B, -1, -1), x], 1) + st[p + "pos_embed"]
        x = torch.cat([x[:, :1], st[p + "reg_token"].expand(B, -1, -1), x[:, 1:]], 1)
        skip = 5
    else:
        x, skip = x + st[p + "pos_embed"], 0
    act = (lambda t: F.gelu(t, approximate="tanh")) if v.act == "gelu_tanh" else F.gelu
    for i in range(n_blocks):
        b = f"{p}blocks.{i}."
        h = F.layer_norm(x, (v.width,), st[b + "norm1.weight"], st[b + "norm1.bias"], 1e-6)
        q, k, vv = F.linear(h, st[b + "attn.qkv.weight"], st[b + "attn.qkv.bias"]).chunk(3, -1)
        sp = lambda t: t.view(B, -1, v.heads, v.width // v.heads).transpose(1, 2)  # noqa: E731
        a = torch.softmax(sp(q) @ sp(k).transpose(-1, -2) / math.sqrt(v.width // v.heads), -1) @ sp(vv)
        a = F.linear(a.transpose(1, 2).reshape(B, -1, v.width), st[b + "attn.proj.weight"], st[b + "attn.proj.bias"])
        x = x + (st[b + "ls1.gamma"] * a if b + "ls1.gamma" in st else a)
        h = F.layer_norm(x, (v.width,), st[b + "norm2.weight"], st[b + "norm2.bias"], 1e-6)
        m = F.linear(act(F.linear(h, st[b + "mlp.fc1.weight"], st[b + "mlp.fc1.bias"])), st[b + "mlp.fc2.weight"],
                     st[b + "mlp.fc2.bias"])
        x = x + (st[b + "ls2.gamma"] * m if b + "ls2.gamma" in st else m)
    return x[:, skip:]


def _internlm2_layer(st: dict[str, torch.Tensor], b: str, c: GraspVLAConfig, x: torch.Tensor) -> torch.Tensor:
    """Reference InternLM2 decoder layer (causal) from the fused wqkv tensor."""
    B, T, _ = x.shape
    nkv, g, d = c.lm.kv_heads, c.lm.heads // c.lm.kv_heads, c.lm.head_dim
    rms = lambda t, w: t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + c.lm.norm_eps) * w  # noqa: E731
    qkv = F.linear(rms(x, st[b + "attention_norm.weight"]), st[b + "attention.wqkv.weight"])
    qkv = qkv.view(B, T, nkv, g + 2, d)
    q = qkv[..., :g, :].reshape(B, T, nkv * g, d).transpose(1, 2)
    k = qkv[..., g, :].transpose(1, 2).repeat_interleave(g, 1)
    v = qkv[..., g + 1, :].transpose(1, 2).repeat_interleave(g, 1)
    cos, sin = rope_cache(torch.arange(T)[None], d, c.lm.rope_theta)
    rot = lambda t: t * cos[:, None] + torch.cat([-t[..., d // 2:], t[..., :d // 2]], -1) * sin[:, None]  # noqa: E731
    q, k = rot(q), rot(k)
    att = (q @ k.transpose(-1, -2)) / math.sqrt(d) + torch.full((T, T), -torch.inf).triu(1)
    o = (torch.softmax(att, -1) @ v).transpose(1, 2).reshape(B, T, -1)
    x = x + F.linear(o, st[b + "attention.wo.weight"])
    h = rms(x, st[b + "ffn_norm.weight"])
    return x + F.linear(F.silu(F.linear(h, st[b + "feed_forward.w1.weight"])) * F.linear(h, st[b + "feed_forward.w3.weight"]),
                        st[b + "feed_forward.w2.weight"])


def test_original_layout_converts_exactly(tmp_path) -> None:
    from safetensors.torch import save_file

    c = _config()
    st = _original_state(c, torch.Generator().manual_seed(0))
    save_file(st, str(tmp_path / "model.safetensors"))
    model, report = load_graspvla_checkpoint(str(tmp_path / "model.safetensors"), c)
    assert "action_expert.output.weight" in report.unused and "backbone_2d.siglip.model.attn_pool.latent" in report.unused
    assert any("ls1.gamma" in f for f in report.folded)
    img = torch.rand(2, 3, c.image_size, c.image_size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for t, (name, v) in enumerate((("dino", c.vision[0]), ("siglip", c.vision[1]))):
            ref = _timm_vit(st, f"backbone_2d.{name}.model.", v, img, v.depth - 1)  # penultimate block
            torch.testing.assert_close(model.towers[t](img), ref, atol=2e-5, rtol=1e-4)
        x = torch.randn(2, 9, c.lm.hidden, generator=torch.Generator().manual_seed(2))
        pos = torch.arange(9)[None].expand(2, 9)
        cos, sin = rope_cache(pos, c.lm.head_dim, c.lm.rope_theta)
        mask = torch.ones(9, 9, dtype=torch.bool).tril()[None].expand(2, 9, 9)
        for i in range(c.lm.layers):
            ours, _ = model.layers[i](x, cos, sin, mask)
            torch.testing.assert_close(ours, _internlm2_layer(st, f"llm.llm.model.layers.{i}.", c, x), atol=2e-5,
                                       rtol=1e-4)
        torch.testing.assert_close(model.lm_head.weight, st["llm.llm.output.weight"])
        torch.testing.assert_close(model.embed_tokens.weight, st["llm.llm.model.tok_embeddings.weight"])
        torch.testing.assert_close(model.expert_layers[1].self_attn.k_proj.weight,
                                   st["action_expert.model.layers.1.attention.wqkv.weight"]
                                   .view(2, 4, 16, -1)[:, 2].reshape(32, -1))


def test_unknown_and_misshapen_original_keys_are_reported() -> None:
    c = _config()
    st = _original_state(c, torch.Generator().manual_seed(0))
    st["llm.llm.model.layers.0.attention.rotary_emb.inv_freq"] = torch.zeros(8)
    with pytest.raises(CheckpointError, match="rotary_emb"):
        convert_graspvla_state_dict(st, c)
    st = _original_state(c, torch.Generator().manual_seed(0))
    st["llm.llm.model.layers.0.attention.wqkv.weight"] = torch.zeros(10, c.lm.hidden)
    with pytest.raises(CheckpointError, match="wqkv"):
        convert_graspvla_state_dict(st, c)
    st = _original_state(c, torch.Generator().manual_seed(0))
    st["llm.llm.model.norm.weight"] = torch.zeros(3)
    mapped, _ = convert_graspvla_state_dict(st, c)
    from graspvla.model.checkpoint import load_state_dict_checked

    with pytest.raises(CheckpointError, match="shape mismatches"):
        load_state_dict_checked(GraspVLA(c), mapped, "synthetic")


def test_real_vocabulary_layout_bins_and_heads(tmp_path) -> None:
    """Embedding rows (320) > bin base (300): the bins are the last 256 ids below the base, the
    extra rows load, and the flow_module heads land on ours (action_time_mlp.0/.2 around SiLU)."""
    from safetensors.torch import save_file

    c = _config()
    st = _original_state(c, torch.Generator().manual_seed(0))
    save_file(st, str(tmp_path / "model.safetensors"))
    model, report = load_graspvla_checkpoint(str(tmp_path / "model.safetensors"), c)
    assert report.ok and not report.unknown and not report.missing
    assert model.embed_tokens.weight.shape == (320, c.lm.hidden) and model.lm_head.weight.shape == (320, c.lm.hidden)
    bins = model.layout.bins
    assert bins.first_id == 300 - 256 and bins.encode([1.0, -1.0]).tolist() == [44, 299]
    for ours, theirs in (("proprio_in", "proprior_proj"), ("action_in", "action_in_proj"),
                         ("time_mlp_in", "action_time_mlp.0"), ("time_mlp_out", "action_time_mlp.2"),
                         ("action_out", "action_out_proj")):
        for t in ("weight", "bias"):
            torch.testing.assert_close(getattr(model, ours).state_dict()[t], st[f"flow_module.{theirs}.{t}"])
    # the flattened LLM prefix (llm.model.*) is accepted as well
    flat = {("llm." + k[len("llm.llm."):] if k.startswith("llm.llm.") else k): v for k, v in st.items()}
    mapped, _ = convert_graspvla_state_dict(flat, c)
    torch.testing.assert_close(mapped["lm_head.weight"], st["llm.llm.output.weight"])


def test_embedding_rows_mismatch_names_the_field() -> None:
    c = _config()
    st = _original_state(c, torch.Generator().manual_seed(0))
    c.embed_rows = None  # 300 rows expected, the checkpoint has 320
    with pytest.raises(CheckpointError, match="embed_rows=320"):
        convert_graspvla_state_dict(st, c)


def test_unfilled_and_unknown_keys_are_listed_in_full(tmp_path) -> None:
    """A checkpoint whose heads are named differently must not load partially in silence."""
    from safetensors.torch import save_file

    c = _config()
    st = _original_state(c, torch.Generator().manual_seed(0))
    for t in ("weight", "bias"):
        st[f"flow_module.action_head.{t}"] = st.pop(f"flow_module.action_out_proj.{t}")
    for k in [k for k in st if k.startswith("action_expert.model.layers.1.")]:
        del st[k]
    save_file(st, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError) as e:
        load_graspvla_checkpoint(str(tmp_path / "model.safetensors"), c)
    assert "flow_module.action_head.weight" in str(e.value) and "flow_module.action_head.bias" in str(e.value)
    with pytest.warns(UserWarning, match="partial load"):
        model, report = load_graspvla_checkpoint(str(tmp_path / "model.safetensors"), c, strict=False)
    assert sorted(report.unknown) == ["flow_module.action_head.bias", "flow_module.action_head.weight"]
    assert {"action_out.weight", "action_out.bias", "expert_layers.1.self_attn.q_proj.weight",
            "expert_layers.1.mlp.down_proj.weight"} <= set(report.missing)
    assert "expert_layers.1.self_attn.q_proj.weight" in report.summary()
    # strict without the unknown keys: the unfilled parameters are the error, listed in full
    st2 = {k: v for k, v in st.items() if not k.startswith("flow_module.action_head.")}
    save_file(st2, str(tmp_path / "m2.safetensors"))
    with pytest.raises(CheckpointError, match="not filled") as e:
        load_graspvla_checkpoint(str(tmp_path / "m2.safetensors"), c)
    msg = str(e.value)
    assert "action_out.weight" in msg and "expert_layers.1.self_attn.k_proj.weight" in msg
    # renames fix a renamed head
    with pytest.warns(UserWarning, match="expert_layers"):
        model, report = load_graspvla_checkpoint(str(tmp_path / "model.safetensors"), c, strict=False,
                                                 renames={"flow_module.action_head": "action_out"})
    assert not report.unknown and "action_out.weight" not in report.missing


def test_graspvla_preset_has_the_published_vocabulary() -> None:
    from graspvla.model import preset

    c = preset("graspvla")
    assert (c.vocab_size, c.num_embeddings) == (92544, 92608)
    with torch.device("meta"):
        m = GraspVLA(c)
    assert m.embed_tokens.weight.shape == (92608, 2048) and m.lm_head.weight.shape == (92608, 2048)
    assert m.layout.bins.first_id == 92544 - 256
    assert m.layout.bins.encode([1.0, -1.0]).tolist() == [92544 - 256, 92543]
