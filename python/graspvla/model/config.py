"""Model configuration: dataclasses and the presets ``tiny``, ``small`` and ``graspvla``."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["ExpertConfig", "GraspVLAConfig", "LMConfig", "PRESETS", "PROMPT_OVERFLOW", "VisionConfig", "preset"]

PROMPT_OVERFLOW = ("truncate_instruction", "error", "truncate")

# Values a config.json that lacks a field gets, so that checkpoints saved before the field
# existed load and tokenise exactly as they were trained (their prompts were cut at
# max_prompt_tokens, which they all store). Fields not listed default to the dataclass default,
# which reproduces the old behaviour (bin_base / embed_rows None = derived from text_vocab).
LEGACY_DEFAULTS: dict[str, Any] = {"prompt_overflow": "truncate", "max_prompt_tokens": 64}

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class VisionConfig:
    """One ViT tower. ``feature_layer`` -2 = penultimate block's patch tokens (GraspVLA).
    ``registers`` are learned prefix tokens dropped from the output; a timm DINOv2-reg tower's
    CLS token (plus its position embedding) is loaded as one more register (cls + 4 = 5).
    ``stem`` "patch" (one linear map per patch, ViT) or "conv" (:class:`~graspvla.model.layers.ConvStem`);
    ``keypoints`` > 0 appends that many spatial-softmax keypoint tokens
    (:class:`~graspvla.model.layers.SpatialKeypoints`) to the grid; both towers need the same count.
    ``film``: every stage of the conv stem is scaled and shifted per channel by a linear map of
    the instruction (the mean embedding of its text tokens), FiLM as in RT-1, so the keypoint
    maps can look for the object the prompt names; zero-initialised (starts as the plain stem).
    ``target_keypoint`` > 0 (needs ``keypoints``): keypoint 0 is queried by the instruction (its
    cell scores are dot products of cell embeddings with the projected instruction vector) and
    its attention map is trained, with this loss weight, to cover the named object's box (a
    cross-entropy against a uniform distribution over the stride-8 cells inside the box): a
    dense, per-cell grounding signal, where the box tokens give 8 labels per image, and on the
    very token the LM reads."""

    width: int = 64
    depth: int = 2
    heads: int = 4
    mlp_dim: int = 128
    patch_size: int = 32
    registers: int = 0
    feature_layer: int = -2
    act: str = "gelu"  # "gelu" (DINOv2) or "gelu_tanh" (SigLIP)
    pixel_mean: tuple[float, float, float] = (0.5, 0.5, 0.5)  # per-tower input normalisation
    pixel_std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    stem: str = "patch"
    keypoints: int = 0  # soft-argmax keypoint tokens after the grid (needs stem "conv")
    film: bool = False  # the instruction modulates the conv stem's maps (needs stem "conv")
    target_keypoint: float = 0.0  # loss weight: keypoint 0 attends to the named object's box


@dataclass
class LMConfig:
    """Llama-style decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU)."""

    hidden: int = 128
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    head_dim: int = 32
    ffn: int = 256
    rope_theta: float = 10000.0
    norm_eps: float = 1e-6


@dataclass
class ExpertConfig:
    """Flow-matching action expert: same depth / KV heads / head_dim as the LM, narrower.

    ``goal_input``: the expert also reads the grasp pose of the PAG goal tokens as numbers,
    ``[goal, goal - current TCP pose]`` (normalised, 12 values) through a zero-initialised
    linear map added to its current-proprio token. Beyond GraspVLA, which gives the expert the
    goal only as token K/V: a small expert trained on a few thousand episodes did not learn to
    read the bin embeddings as positions (given the privileged grasp as its tokens, the
    shipped tiny model still stopped a median 9 cm from the object), and steering toward a
    grasp is, from these numbers, a subtraction. The input is zero while the proprio reads
    the hand closed: after closing, the goal label is the next pose (GraspVLA's rule), which
    would hand the expert its own next action during training.
    """

    hidden: int = 64
    ffn: int = 128
    goal_input: bool = False


@dataclass
class GraspVLAConfig:
    """The whole model.

    Attributes:
        image_size: square input images [px] (GraspVLA: 224 letterboxed).
        cameras: view names, in token order (front first).
        vision: the two towers (DINOv2-like with registers, SigLIP-like) fused per patch.
        n_bins: uniform bins on [-1, 1] for box / proprio / grasp tokens (256).
        chunk: actions per chunk (GraspVLA: 4); action_dim: 7 (dxyz, drpy, gripper).
        proprio_dim: 7 (xyz, rpy, gripper in [0, 1]); 2 proprio steps (history, current).
        flow_steps: Euler steps at inference (10); flow_beta: (alpha, beta, t_min, t_max).
        use_pag: Progressive Action Generation (box and grasp tokens before the actions);
            False is the ablation whose prefix ends after the prompt.
        use_proprio_history: False replaces the history proprio row by the current one in
            training batches and at inference, so the model never sees its recent motion: a
            behaviour-cloned policy that does learns the "copycat" shortcut (decelerating in the
            data means arriving, so once its own chunks shrink it closes the hand, wherever it
            is), measured on the tiny model as a doubled action error near the object when the
            history was removed.
        use_proprio_position: False zeroes the hand's position (x, y, z of both proprio rows,
            normalised) in the proprio tokens and the expert's proprio input; the hand's
            orientation and gripper stay, and an expert with ``goal_input`` gets ``goal - pose``
            and the goal's orientation (not its position, from which the offset would give the
            hand's back). Where the hand is must then come from the images and the goal,
            not from "the hand is low, so close" (a shortcut of the tiny model, which closed
            8-10 cm from a grasp it was given).
        goal_latch_distance: [m] the grasp tokens were trained only while the hand was at least
            this far from the grasp (``train --pag-min-distance``, which records it here). At
            inference :meth:`GraspVLAPolicy.predict_action_chunk` then keeps, once the hand is
            nearer than this to the last grasp it predicted from farther away, that grasp in
            place of new (untrained) predictions, as the expert saw in training, where the
            grasp is one pose per episode. 0 = predict it at every query.
        grasp_head: a :class:`~graspvla.model.grasp_head.KeypointGraspHead` regresses the
            grasp position from the towers' keypoint positions; at inference its position
            replaces the LM's three position tokens of the grasp, and the LM decodes the
            orientation tokens after them. Needs PAG and a tower with a queried keypoint
            (``target_keypoint``). Beyond GraspVLA: see the module for why.
        expert_goal_noise: [m] training only (``train --goal-noise``): for open-hand action
            samples, the grasp the action expert reads (the goal tokens it attends to and its
            numeric ``goal_input``) is moved by ``u * N(0, I) * expert_goal_noise`` in x, y, z,
            with u ~ U(0, 1) per sample, while its target actions still go to the true grasp and
            the goal tokens' labels stay the true ones. An expert trained on exact goals follows
            any goal it is given; one trained on noisy goals must take the last few centimetres
            from the images, so a predicted grasp a few centimetres off can still be grasped.
            0 = off.
        detach_prefix_for_actions: stop flow-matching gradients at the LM's K/V.
        bin_label_sigma: training only (``train/finetune --bin-sigma``): the box and grasp
            tokens' targets become a Gaussian over the bins around the label, this many bins wide
            (std), instead of the one-hot label. With 256 bins a one-hot target treats a bin
            next to the right one as wrong as the far end; the Gaussian teaches the bins' order,
            so nearby is better than far. 0 = one-hot (GraspVLA).
        max_prompt_tokens: length limit of the prompt (template + instruction) in text tokens
            (bytes for the built-in byte tokenizer, whose template alone is 47 bytes).
        prompt_overflow: what a longer prompt does: ``"truncate_instruction"`` (default) cuts
            the end of the instruction so the template's ``"?\nOut: "`` cue stays intact;
            ``"error"`` raises :class:`~graspvla.errors.InvalidInputError`; ``"truncate"``
            keeps the first ``max_prompt_tokens`` tokens of the whole prompt (the behaviour of
            checkpoints whose config.json predates this field, which load with it).
        instruction_pool: how instruction-conditioned towers (``film``, ``target_keypoint``)
            summarise the prompt: ``"mean"`` of its text-token embeddings, or ``"attention"``:
            a softmax-weighted mean of the unit-RMS embeddings with one learned score per token
            (zero-initialised, so it starts as their mean), which can learn to weigh the
            object's name above the template's words: in the mean the name is one token of
            about twenty, a few per cent of the vector.

    Vocabulary (three numbers, because GraspVLA's differ):
        text_vocab: the text tokenizer's base vocabulary (259 = bytes + BOS/EOS/PAD for the
            built-in byte tokenizer; 92,544 for InternLM2).
        bin_base: the bin tokens are ids ``[bin_base - n_bins, bin_base)`` (GraspVLA:
            ``tokenizer.vocab_size - clip(digitize(x), 1, N)`` with the *base* vocab 92,544, i.e.
            they reuse the last 256 text ids). None = ``text_vocab + n_bins`` (bins appended after
            the text ids, our own tokenizers). Read it as :attr:`vocab_size`.
        embed_rows: rows of the token embedding and the LM head (GraspVLA: 92,608 = 92,544 +
            ``<PAD>``, padded to a multiple of 64). None = :attr:`vocab_size`. Read it as
            :attr:`num_embeddings`.
    """

    image_size: int = 224
    cameras: tuple[str, ...] = ("front", "side")
    vision: tuple[VisionConfig, VisionConfig] = (VisionConfig(), VisionConfig(width=48, heads=4, mlp_dim=96))
    lm: LMConfig = field(default_factory=LMConfig)
    expert: ExpertConfig = field(default_factory=ExpertConfig)
    n_bins: int = 256
    chunk: int = 4
    action_dim: int = 7
    proprio_dim: int = 7
    goal_dim: int = 6
    flow_steps: int = 10
    flow_beta: tuple[float, float, float, float] = (1.5, 1.0, 0.001, 1.0)
    use_pag: bool = True
    use_proprio_history: bool = True
    use_proprio_position: bool = True
    goal_latch_distance: float = 0.0
    grasp_head: bool = False
    expert_goal_noise: float = 0.0
    detach_prefix_for_actions: bool = False
    bin_label_sigma: float = 0.0
    max_prompt_tokens: int = 128
    prompt_overflow: str = "truncate_instruction"
    instruction_pool: str = "mean"
    text_vocab: int = 259  # bytes + BOS/EOS/PAD for the built-in byte tokenizer
    bin_base: int | None = None
    embed_rows: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    @property
    def vocab_size(self) -> int:
        """The base vocabulary whose last ``n_bins`` ids are the bin tokens (GraspVLA's
        ``tokenizer.vocab_size``): ``bin_base``, or ``text_vocab + n_bins`` when unset."""
        return self.bin_base if self.bin_base is not None else self.text_vocab + self.n_bins

    @property
    def has_target_keypoint(self) -> bool:
        """Whether a PAG model's towers locate the named object: ``use_pag`` and a tower with a
        queried keypoint (``keypoints > 0`` and ``target_keypoint > 0``), as the grasp head and
        calibrated cameras need."""
        return self.use_pag and any(v.keypoints and v.target_keypoint > 0 for v in self.vision)

    @property
    def num_embeddings(self) -> int:
        """Rows of the token embedding and the LM head: ``embed_rows``, or :attr:`vocab_size`."""
        return self.embed_rows if self.embed_rows is not None else self.vocab_size

    def validate(self) -> None:
        """Raises :class:`~graspvla.errors.InvalidInputError` on inconsistent fields."""
        from graspvla.errors import InvalidInputError

        if self.prompt_overflow not in PROMPT_OVERFLOW:
            raise InvalidInputError(f"prompt_overflow: expected one of {PROMPT_OVERFLOW}, got {self.prompt_overflow!r}")
        if self.instruction_pool not in ("mean", "attention"):
            raise InvalidInputError(f"instruction_pool: expected 'mean' or 'attention', got {self.instruction_pool!r}")
        if self.grasp_head and not self.has_target_keypoint:
            raise InvalidInputError("grasp_head needs use_pag and a vision tower with a queried keypoint "
                                    "(keypoints > 0 and target_keypoint > 0), e.g. the tiny-ground preset")
        if not (self.bin_label_sigma >= 0 and math.isfinite(self.bin_label_sigma)):
            raise InvalidInputError(f"bin_label_sigma: must be a finite number of bins >= 0, got {self.bin_label_sigma}")
        if not (self.expert_goal_noise >= 0 and math.isfinite(self.expert_goal_noise)):
            raise InvalidInputError(f"expert_goal_noise: must be a finite [m] >= 0, got {self.expert_goal_noise}")
        if self.max_prompt_tokens < 1:
            raise InvalidInputError(f"max_prompt_tokens: must be >= 1, got {self.max_prompt_tokens}")
        if self.vocab_size < self.n_bins:
            raise InvalidInputError(f"bin_base {self.vocab_size} leaves no room for {self.n_bins} bin tokens")
        if self.num_embeddings < self.vocab_size:
            raise InvalidInputError(f"embed_rows {self.num_embeddings} < bin_base {self.vocab_size}: the bin tokens "
                                    "would have no embedding rows")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> GraspVLAConfig:
        d = dict(d)
        known = {f.name for f in fields(GraspVLAConfig)}
        unknown = set(d) - known
        if unknown:
            from graspvla.errors import CheckpointError

            raise CheckpointError(f"config.json has unknown keys {sorted(unknown)}")
        if "vision" in d:
            d["vision"] = tuple(VisionConfig(**{k: tuple(x) if isinstance(x, list) else x for k, x in v.items()})
                                for v in d["vision"])
        if "lm" in d:
            d["lm"] = LMConfig(**d["lm"])
        if "expert" in d:
            d["expert"] = ExpertConfig(**d["expert"])
        for k in ("cameras", "flow_beta"):
            if k in d:
                d[k] = tuple(d[k])
        for k, legacy in LEGACY_DEFAULTS.items():  # config.json written before the field existed
            d.setdefault(k, legacy)
        return GraspVLAConfig(**d)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @staticmethod
    def load(path: str | Path) -> GraspVLAConfig:
        return GraspVLAConfig.from_dict(json.loads(Path(path).read_text()))


PRESETS = ("tiny", "tiny-conv", "tiny-kp", "tiny-film", "tiny-ground", "small", "graspvla")


def preset(name: str) -> GraspVLAConfig:
    """``tiny`` (trains on a CPU in seconds), ``tiny-conv`` (``tiny`` with convolutional stems:
    the preset to train from scratch on CPUs), ``tiny-kp`` (``tiny-conv`` plus 16 spatial-softmax
    keypoint tokens per view and tower: precise object coordinates), ``tiny-film`` (``tiny-kp``
    with instruction-conditioned stems), ``tiny-ground`` (``tiny-film`` whose first keypoint is
    trained to find the named object), ``small`` (CPU-trainable in minutes to hours),
    ``graspvla`` (the original shapes: DINOv2-L/14 with registers + SigLIP-So400m/14 at 224 px,
    InternLM2-1.8B, expert hidden 1024 / FFN 2048 with head_dim 128)."""
    if name == "tiny":
        return GraspVLAConfig()
    if name == "tiny-conv":
        return GraspVLAConfig(vision=(VisionConfig(stem="conv"),
                                      VisionConfig(width=48, heads=4, mlp_dim=96, stem="conv")))
    if name == "tiny-kp":
        return GraspVLAConfig(vision=(VisionConfig(stem="conv", keypoints=16),
                                      VisionConfig(width=48, heads=4, mlp_dim=96, stem="conv", keypoints=16)))
    if name == "tiny-film":
        return GraspVLAConfig(vision=(VisionConfig(stem="conv", keypoints=16, film=True),
                                      VisionConfig(width=48, heads=4, mlp_dim=96, stem="conv", keypoints=16, film=True)))
    if name == "tiny-ground":
        return GraspVLAConfig(vision=(
            VisionConfig(stem="conv", keypoints=16, film=True, target_keypoint=1.0),
            VisionConfig(width=48, heads=4, mlp_dim=96, stem="conv", keypoints=16, film=True, target_keypoint=1.0)),
            instruction_pool="attention")
    if name == "small":
        return GraspVLAConfig(
            vision=(VisionConfig(width=192, depth=4, heads=3, mlp_dim=768, patch_size=16, registers=4),
                    VisionConfig(width=128, depth=4, heads=2, mlp_dim=512, patch_size=16)),
            lm=LMConfig(hidden=384, layers=6, heads=6, kv_heads=2, head_dim=64, ffn=1024),
            expert=ExpertConfig(hidden=192, ffn=512))
    if name == "graspvla":
        return GraspVLAConfig(
            vision=(VisionConfig(width=1024, depth=24, heads=16, mlp_dim=4096, patch_size=14, registers=5,
                                 pixel_mean=IMAGENET_MEAN, pixel_std=IMAGENET_STD),
                    VisionConfig(width=1152, depth=27, heads=16, mlp_dim=4304, patch_size=14, act="gelu_tanh")),
            lm=LMConfig(hidden=2048, layers=24, heads=16, kv_heads=8, head_dim=128, ffn=8192, rope_theta=1e6),
            expert=ExpertConfig(hidden=1024, ffn=2048),
            text_vocab=92544, bin_base=92544, embed_rows=92608)
    from graspvla.errors import InvalidInputError

    raise InvalidInputError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
