"""The policy API: observations in, boxes / grasp pose / action chunks out, in robot units."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from graspvla.errors import InvalidInputError
from graspvla.model.batching import images_to_tensor
from graspvla.geometry.calibration import CameraCalibration, locate_target
from graspvla.seeding import episode_seed
from graspvla.model.generate import generate
from graspvla.model.graspvla import GraspVLA
from graspvla.model.normalize import Normalizer

__all__ = ["GraspVLAPolicy", "Observation", "Policy", "Prediction"]


@dataclass
class Observation:
    """front/side: uint8 HxWx3 RGB (square, resized to the model's size); instruction: e.g.
    "pick up the mug"; proprio: (N >= 1, 7) rows [x, y, z, roll, pitch, yaw, g] of the TCP
    in the base frame (sxyz, g in [0, 1], 1 = open), oldest first; the model uses rows
    [-history_stride - 1] and [-1] as (history, current). cameras: optional calibration of
    the (front, side) cameras at this observation, for cameras that move between episodes (a
    policy built with ``calibration=`` uses that otherwise; see :mod:`graspvla.geometry.calibration`)."""

    front: np.ndarray
    side: np.ndarray
    instruction: str
    proprio: np.ndarray
    cameras: Sequence[CameraCalibration] | None = None

    @property
    def front_image(self) -> np.ndarray:
        return self.front

    @property
    def side_image(self) -> np.ndarray:
        return self.side


@dataclass
class Prediction:
    boxes: np.ndarray  # (2, 4) pixels of the input images (front, side): x0, y0, x1, y1
    grasp: np.ndarray  # (6,) grasp pose xyz + rpy, base frame
    actions: np.ndarray  # (H, 7) delta actions in robot units ((M, 7) when resampled to the control period)
    timings: dict[str, float]
    #: calibrated cameras only: the named object's point triangulated from the views [m, base
    #: frame] and the views' disagreement [m] (NaN / inf without calibration)
    target_point: np.ndarray = field(default_factory=lambda: np.full(3, np.nan))
    target_residual: float = float("inf")

    @property
    def grasp_pose(self) -> np.ndarray:
        """The grasp as a 4x4 float64 transform in the robot base frame (rpy: static x-y-z,
        R = Rz(yaw) @ Ry(pitch) @ Rx(roll), as transforms3d's ``sxyz``)."""
        x, y, z, r, p, w = (float(v) for v in self.grasp)
        cr, sr, cp, sp, cw, sw = np.cos(r), np.sin(r), np.cos(p), np.sin(p), np.cos(w), np.sin(w)
        T = np.eye(4)
        T[:3, :3] = [[cw * cp, cw * sp * sr - sw * cr, cw * sp * cr + sw * sr],
                     [sw * cp, sw * sp * sr + cw * cr, sw * sp * cr - cw * sr],
                     [-sp, cp * sr, cp * cr]]
        T[:3, 3] = (x, y, z)
        return T


@runtime_checkable
class Policy(Protocol):
    """What eval / serve / control code calls: a chunk per observation, or one action per
    control tick from an internal queue, and ``reset`` between episodes."""

    def predict_action_chunk(self, obs: Observation) -> Prediction: ...

    def select_action(self, obs: Observation) -> np.ndarray: ...

    def reset(self, seed: int | None = None) -> None: ...



class GraspVLAPolicy:
    """Wraps a model and its normalisation statistics.

    Action post-processing runs in the C++ :mod:`graspvla.flow` kernels (the same code as the
    real-time path): un-normalisation with the stored percentile statistics, then optional
    clamping to ``action_limits`` = (lo, hi) per action dimension in robot units (e.g. maximum
    step deltas [m, rad] and the gripper's [0, 1]), then optional resampling of the chunk from
    ``chunk_dt`` [s] per action (GraspVLA: 0.3) to ``control_dt`` [s] with ``resample_modes``
    per dimension (default for 7-d deltas: ``["delta"] * 6 + ["hold"]``, which preserves the
    chunk's summed translation / Euler deltas and holds the gripper target; see
    :func:`graspvla.flow.resample`). Without limits and ``control_dt`` the result equals
    ``normalizer.action_inverse``.

    With calibrated cameras (``calibration`` = (front, side) :class:`CameraCalibration`, or
    per observation in :attr:`Observation.cameras`) the grasp position's ``calibrated_axes``
    (``"xyz"`` or ``"xy"``) come from triangulating where each view's queried keypoint puts the
    named object; the rest of the grasp is the model's own, decoded after it. When the views
    disagree by more than ``max_ray_distance`` [m] (a keypoint on another object) the model's
    own position is used. Needs a PAG model whose towers have a queried keypoint. Over one
    stream (:meth:`predict_action_chunk`) the estimates are fused, as the object stands still
    until grasped: those taken while the hand was at least ``goal_latch_distance`` from them
    (before it can hide the object) are kept, and the position is the mean of the largest group
    of them within ``target_merge_distance`` [m] of one another (the latest group on a tie), so
    one query that sees another object or the hand does not move the target.

    ``orientation_prior`` (kappa >= 0, nats): when the model decodes its own grasp, its
    orientation tokens' logits get a preference for the hand's current orientation:
    ``kappa * cos(roll - roll_hand)``, ``kappa * cos(pitch - pitch_hand)`` and
    ``kappa * cos(2 (yaw - yaw_hand))`` (period pi for the yaw: a two-finger grasp is the same
    turned by pi about its approach axis). Where the model is sure (a box's narrow side) a few
    nats decide nothing; where it is not (any yaw suits a can) it stops the grasp orientation
    from jumping between queries, which makes the hand chase a new wrist angle every chunk.
    0 = the plain argmax.
    """

    name = "graspvla"
    #: benchmark environments: read the cameras' calibration from the observation dict's
    #: ``"cameras"`` (see :meth:`observation_from_env`); off by default (GraspVLA's protocol)
    env_cameras: bool = False

    def __init__(self, model: GraspVLA, normalizer: Normalizer, history_stride: int = 3, seed: int = 0,
                 constrained: bool = True, action_limits: tuple[Sequence[float], Sequence[float]] | None = None,
                 control_dt: float | None = None, chunk_dt: float = 0.3,
                 resample_modes: Sequence[str] | None = None, goal_latch_distance: float | None = None,
                 calibration: Sequence[CameraCalibration] | None = None, calibrated_axes: str = "xyz",
                 max_ray_distance: float = 0.025, orientation_prior: float = 0.0,
                 target_merge_distance: float = 0.03) -> None:
        self.model, self.norm = model.eval(), normalizer
        self.calibration = self._check_cameras(calibration, "calibration")
        if calibrated_axes not in ("xyz", "xy"):
            raise InvalidInputError(f"calibrated_axes: expected 'xyz' or 'xy', got {calibrated_axes!r}")
        if not (np.isfinite(max_ray_distance) and max_ray_distance > 0):
            raise InvalidInputError(f"max_ray_distance: expected a finite distance > 0 [m], got {max_ray_distance}")
        self.calibrated_axes, self.max_ray_distance = calibrated_axes, float(max_ray_distance)
        if not (np.isfinite(orientation_prior) and orientation_prior >= 0):
            raise InvalidInputError(f"orientation_prior: expected a finite kappa >= 0 [nats], got {orientation_prior}")
        self.orientation_prior = float(orientation_prior)
        if not (np.isfinite(target_merge_distance) and target_merge_distance > 0):
            raise InvalidInputError(f"target_merge_distance: expected a finite distance > 0 [m], got {target_merge_distance}")
        self.target_merge_distance = float(target_merge_distance)
        self._targets: list[np.ndarray] = []  # this stream's kept target estimates [m]
        self._fuse = False  # set by predict_action_chunk: fuse this single observation's estimate
        #: [m, base frame] the box searched for the target with calibrated cameras: the range of
        #: TCP positions in the training data (the normaliser's), where every training grasp lies
        self.workspace = (normalizer.proprio_min[:3].copy(), normalizer.proprio_max[:3].copy())
        self.history_stride, self.constrained = history_stride, constrained
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)
        self._queue: deque[np.ndarray] = deque()
        #: [m] see :meth:`predict_action_chunk`; defaults to the model's ``goal_latch_distance``
        self.goal_latch_distance = float(model.config.goal_latch_distance if goal_latch_distance is None
                                         else goal_latch_distance)
        self._far_grasp: np.ndarray | None = None
        A = model.config.action_dim
        self.action_limits: tuple[np.ndarray, np.ndarray] | None = None
        if action_limits is not None:
            lo, hi = (np.asarray(v, dtype=np.float64) for v in action_limits)
            if lo.shape != (A,) or hi.shape != (A,) or not np.all(lo <= hi):
                raise InvalidInputError(f"action_limits: expected (lo, hi) of shape ({A},) with lo <= hi, got "
                                        f"{lo.shape} / {hi.shape}")
            self.action_limits = (lo, hi)
        if control_dt is not None and not (control_dt > 0 and chunk_dt > 0):
            raise InvalidInputError(f"control_dt and chunk_dt must be > 0 [s], got {control_dt} / {chunk_dt}")
        self.control_dt, self.chunk_dt = control_dt, chunk_dt
        if resample_modes is None:
            resample_modes = ["delta"] * (A - 1) + ["hold"]
        if len(resample_modes) != A:
            raise InvalidInputError(f"resample_modes: one per action dimension ({A}), got {len(resample_modes)}")
        self.resample_modes = list(resample_modes)

    def settings(self) -> dict[str, Any]:
        """This policy's constructor arguments but the model and normaliser: a policy built with
        ``type(p)(p.model, p.norm, **p.settings())`` post-processes and decodes as ``p`` does."""
        return dict(history_stride=self.history_stride, constrained=self.constrained, action_limits=self.action_limits,
                    control_dt=self.control_dt, chunk_dt=self.chunk_dt, resample_modes=list(self.resample_modes),
                    goal_latch_distance=self.goal_latch_distance, calibration=self.calibration,
                    calibrated_axes=self.calibrated_axes, max_ray_distance=self.max_ray_distance,
                    orientation_prior=self.orientation_prior, target_merge_distance=self.target_merge_distance)

    def postprocess_actions(self, actions: np.ndarray) -> np.ndarray:
        """Normalised chunks (B, H, A) -> robot units (float64): un-normalise, clamp, resample
        (C++ :mod:`graspvla.flow`)."""
        from graspvla import flow

        lo, hi = self.action_limits if self.action_limits is not None else (None, None)
        out = flow.unnormalize_clamp(np.asarray(actions, dtype=np.float32), self.norm.action_min, self.norm.action_max,
                                     lo, hi)
        if self.control_dt is not None:
            out = flow.resample(out, self.chunk_dt, self.control_dt, self.resample_modes)
        return out

    @classmethod
    def from_pretrained(cls, directory: str, **kw: Any) -> GraspVLAPolicy:
        from graspvla.model.checkpoint import from_pretrained

        model, norm = from_pretrained(directory)
        return cls(model, norm, **kw)

    def _check_cameras(self, cameras: Sequence[CameraCalibration] | None, what: str
                       ) -> tuple[CameraCalibration, ...] | None:
        if cameras is None:
            return None
        cams = tuple(cameras)
        n = len(self.model.config.cameras)
        if len(cams) != n or not all(isinstance(c, CameraCalibration) for c in cams):
            raise InvalidInputError(f"{what}: expected {n} CameraCalibration (one per camera: "
                                    f"{', '.join(self.model.config.cameras)}), got {len(cams)}")
        c = self.model.config
        if not c.has_target_keypoint:
            raise InvalidInputError(f"{what}: calibrated cameras need a PAG model whose towers have a queried "
                                    "keypoint (target_keypoint > 0)")
        return cams

    def _check(self, obs: Observation) -> None:
        for name in ("front", "side"):
            im = getattr(obs, name, None)
            if im is None:
                raise InvalidInputError(f"observation is missing the {name} camera image")
            a = np.asarray(im)
            if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8 or a.shape[0] != a.shape[1]:
                raise InvalidInputError(f"{name}: expected a square HxWx3 uint8 image, got {a.dtype} {a.shape}")
        p = np.asarray(obs.proprio, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != 7 or len(p) < 1:
            raise InvalidInputError(f"proprio: expected (N, 7), got {p.shape}")
        if not np.all(np.isfinite(p)):
            raise InvalidInputError("proprio: contains NaN or infinite values")

    def predict_batch(self, observations: list[Observation], grasps: np.ndarray | None = None,
                      positions: np.ndarray | None = None) -> list[Prediction]:
        """One prediction per observation. ``grasps`` (B, 6) [x, y, z, roll, pitch, yaw] TCP grasp
        poses in the base frame [m, rad, sxyz]: condition the action expert on these instead of
        the model's own grasp tokens (e.g. from an external grasp detector). ``positions``
        (B, 3) [m, base frame]: only the grasp position (NaN entries: the model's own); the
        model decodes the orientation after it. Without either, calibrated cameras (see the
        class) give the position where they can."""
        c = self.model.config
        for o in observations:
            self._check(o)
        if grasps is not None and positions is not None:
            raise InvalidInputError("pass grasps (whole grasp poses) or positions, not both")
        cams = [self._check_cameras(o.cameras, "observation cameras") or self.calibration for o in observations]
        position: Any = None
        tri: list[tuple[np.ndarray, float]] = [(np.full(3, np.nan), float("inf"))] * len(observations)
        if positions is not None:
            p = np.asarray(positions, dtype=np.float64)
            if p.shape != (len(observations), 3) or np.any(np.isinf(p)):
                raise InvalidInputError(f"positions: expected ({len(observations)}, 3), finite or NaN, got {p.shape}")
            position = self.norm.position(p)
        elif grasps is None and any(cam is not None for cam in cams):
            lo, hi = self.workspace

            def position(maps: np.ndarray) -> np.ndarray:  # (B, V, H, W) -> (B, 3) normalised
                out = np.full((len(maps), 3), np.nan)
                for k, (cam, m) in enumerate(zip(cams, maps)):
                    if cam is None:
                        continue
                    tri[k] = xyz, residual = locate_target(cam, m, lo, hi)
                    ok = residual <= self.max_ray_distance
                    if self._fuse:
                        hand = np.asarray(observations[k].proprio, dtype=np.float64)[-1, :3]
                        xyz = self._fused_target(xyz if ok else None, hand)
                        ok = xyz is not None
                    if ok:
                        n = len(self.calibrated_axes)
                        out[k, :n] = self.norm.position(xyz)[:n]
                return out
        bias = None
        if grasps is None and self.orientation_prior > 0 and self.model.config.use_pag:
            bias = self.orientation_bias(np.array([np.asarray(o.proprio, dtype=np.float64)[-1, 3:6]
                                                   for o in observations]))
        goal = None
        if grasps is not None:
            g = np.asarray(grasps, dtype=np.float64)
            if g.shape != (len(observations), 6) or not np.all(np.isfinite(g)):
                raise InvalidInputError(f"grasps: expected finite ({len(observations)}, 6), got {g.shape}")
            goal = self.norm.goal(g)
        images = torch.stack([images_to_tensor([o.front, o.side], c.image_size) for o in observations])
        prop = []
        for o in observations:
            p = np.asarray(o.proprio, dtype=np.float64)
            hist = p[max(0, len(p) - 1 - self.history_stride)]
            prop.append(self.norm.proprio(np.stack([hist, p[-1]])))
        out = generate(self.model, images, [o.instruction for o in observations],
                       torch.tensor(np.array(prop), dtype=torch.float32), constrained=self.constrained,
                       generator=self.generator, goal=goal, position=position, goal_bias=bias)
        preds = []
        actions = self.postprocess_actions(out.actions)
        for k, o in enumerate(observations):
            h = np.asarray(o.front).shape[0]
            boxes = (out.box[k].reshape(2, 4) + 1.0) / 2.0 * h
            preds.append(Prediction(boxes=boxes, grasp=self.norm.goal_inverse(out.goal[k]), actions=actions[k],
                                    timings=dict(out.timings), target_point=tri[k][0], target_residual=tri[k][1]))
        return preds

    def _fused_target(self, estimate: np.ndarray | None, hand: np.ndarray) -> np.ndarray | None:
        """This stream's target [m] after a new ``estimate`` (None: none this query) with the
        hand at ``hand`` (see the class); None while nothing is kept."""
        if estimate is not None and (self.goal_latch_distance <= 0
                                     or np.linalg.norm(hand - estimate) >= self.goal_latch_distance):
            self._targets.append(np.asarray(estimate, dtype=np.float64).copy())
        if not self._targets:
            return None
        pts = np.array(self._targets)
        near = np.linalg.norm(pts[:, None] - pts[None], axis=-1) <= self.target_merge_distance
        support = near.sum(1)
        best = len(pts) - 1 - int(np.argmax(support[::-1]))  # the latest of the best supported
        return pts[near[best]].mean(0)

    def orientation_bias(self, hand_rpy: np.ndarray) -> np.ndarray:
        """(B, goal_dim, n_bins) grasp-token logit bias of ``orientation_prior`` for hands at
        ``hand_rpy`` (B, 3) [rad, sxyz]: ``kappa * cos(k (angle_bin - angle_hand))`` on the roll,
        pitch (k = 1) and yaw (k = 2) tokens, 0 on the position tokens."""
        bins = self.model.layout.bins
        ids = np.arange(bins.first_id, bins.vocab_size)
        angles = self.norm.goal_inverse(np.repeat(bins.decode(ids)[:, None], 6, 1))[:, 3:6]  # the bins' rpy [rad]
        hand = np.asarray(hand_rpy, dtype=np.float64).reshape(-1, 3)
        out = np.zeros((len(hand), self.model.config.goal_dim, len(ids)), dtype=np.float32)
        for d, k in ((0, 1.0), (1, 1.0), (2, 2.0)):
            out[:, 3 + d] = self.orientation_prior * np.cos(k * (angles[None, :, d] - hand[:, d, None]))
        return out

    def predict_action_chunk(self, obs: Observation, grasp: np.ndarray | None = None) -> Prediction:
        """One chunk for one stream of observations (call :meth:`reset` between episodes).
        ``grasp`` (6,): optional base-frame grasp pose to move to (see :meth:`predict_batch`).

        With ``goal_latch_distance`` d > 0 (the model's config, from ``--pag-min-distance``):
        the last grasp predicted while the hand was at least d from it is kept; once the hand
        is nearer than d to it, it replaces the model's new grasp tokens, which were never
        trained there."""
        if grasp is not None:
            return self.predict_batch([obs], np.asarray(grasp)[None])[0]
        d = self.goal_latch_distance
        hand = np.asarray(obs.proprio, dtype=np.float64)[-1, :3]
        far = self._far_grasp
        if d > 0 and far is not None and np.linalg.norm(hand - far[:3]) < d:
            return self.predict_batch([obs], far[None])[0]
        self._fuse = True
        try:
            pred = self.predict_batch([obs])[0]
        finally:
            self._fuse = False
        if d > 0 and np.all(np.isfinite(pred.grasp)):
            if np.linalg.norm(hand - pred.grasp[:3]) >= d:
                self._far_grasp = np.asarray(pred.grasp, dtype=np.float64).copy()
            elif far is not None:  # predicted from too near: redo with the kept grasp
                pred = self.predict_batch([obs], far[None])[0]
        return pred

    def select_action(self, obs: Observation) -> np.ndarray:
        """One action at a time from a queue refilled with a new chunk when empty."""
        if not self._queue:
            self._queue.extend(self.predict_action_chunk(obs).actions)
        return self._queue.popleft()

    # ---- graspvla.eval.harness.Policy ----------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Start a new episode. ``seed`` (e.g. the benchmark trial's): restart the flow
        sampler's noise from (this policy's ``seed``, ``seed``), so that the episode's actions
        depend on it and not on the episodes run before; None continues the stream."""
        self._queue.clear()
        self._far_grasp = None
        self._targets = []
        if seed is not None:
            self.generator.manual_seed(episode_seed(self.seed, seed))

    def grasp_for(self, observation: dict[str, Any]) -> np.ndarray | None:
        """The grasp (6,) to hand the model for this environment observation; None = its own."""
        return None

    @staticmethod
    def observation_from_env(observation: dict[str, Any], cameras: Sequence[str] | None = None) -> Observation:
        """A benchmark environment's observation dict as the model's :class:`Observation`;
        ``cameras``: the names whose calibration (``observation["cameras"][name]``, a
        :meth:`CameraCalibration.to_dict` layout) the observation carries."""
        proprio = np.asarray(observation["proprio"], dtype=np.float64).copy()
        proprio[:, 6] = (proprio[:, 6] + 1.0) / 2.0  # env gripper -1/+1 -> model [0, 1]
        cams = None
        if cameras is not None:
            given = observation.get("cameras")
            if not isinstance(given, dict) or any(n not in given for n in cameras):
                raise InvalidInputError(f"the environment's observation has no calibration of the cameras {list(cameras)}")
            cams = tuple(CameraCalibration.from_dict(given[n]) for n in cameras)
        return Observation(observation["front"], observation["side"], observation["instruction"], proprio, cams)

    def act(self, observation: dict[str, Any]) -> np.ndarray:
        obs = self.observation_from_env(observation, self.model.config.cameras if self.env_cameras else None)
        pred = self.predict_action_chunk(obs, grasp=self.grasp_for(observation))
        self.last_prediction = pred
        return pred.actions
