"""The closed-loop grasping benchmark: policies act in an environment until the requested
object is lifted or the budget runs out.

The harness is independent of how the environment simulates: anything implementing
:class:`GraspEnv` works (the MuJoCo environment in :mod:`graspvla.eval.sim_env`, a real
robot wrapper, a test double). Policies output chunks of GraspVLA delta actions
(:mod:`graspvla.geometry.actions`).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from graspvla.eval.conditions import CONDITIONS, Condition
from graspvla.seeding import episode_seed
from graspvla.eval.report import TrialRecord, box_iou, write_report

__all__ = ["BenchmarkConfig", "GraspEnv", "Policy", "RandomPolicy", "run_benchmark", "run_trial"]


class GraspEnv(Protocol):
    """What the benchmark needs of an environment."""

    def reset(self, seed: int, condition: Condition, category: str) -> dict[str, Any]:
        """Builds the scene for (seed, condition) with a target of ``category``; returns the
        first observation: ``front``/``side`` images, ``instruction``, ``proprio`` (N, 7)."""
        ...

    def execute(self, actions: np.ndarray) -> dict[str, Any]:
        """Executes a chunk of delta actions (H, 7); returns the next observation."""
        ...

    def lift_status(self) -> tuple[float, bool]:
        """(height the target rose above its settled height [m], whether another object was lifted)."""
        ...

    @property
    def sim_time(self) -> float: ...


class Policy(Protocol):
    name: str

    def reset(self, seed: int | None = None) -> None:
        """A new trial; ``seed`` is the trial's: a policy with randomness draws it from
        there, so that a trial's outcome does not depend on the trials run before it (the
        benchmark calls ``reset()`` without it on policies whose ``reset`` takes no seed)."""
        ...

    def act(self, observation: dict[str, Any]) -> np.ndarray:
        """A chunk (H, 7) of delta actions [dx, dy, dz, droll, dpitch, dyaw, g]."""
        ...


class RandomPolicy:
    """Baseline: uniformly random small deltas and random gripper commands."""

    name = "random"

    def __init__(self, seed: int = 0, chunk: int = 4, step: float = 0.02) -> None:
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)
        self.chunk, self.step = chunk, step

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(episode_seed(self.seed, seed))

    def act(self, observation: dict[str, Any]) -> np.ndarray:
        a = np.zeros((self.chunk, 7))
        a[:, :3] = self.rng.uniform(-self.step, self.step, (self.chunk, 3))
        a[:, 3:6] = self.rng.uniform(-0.1, 0.1, (self.chunk, 3))
        a[:, 6] = float(self.rng.random() > 0.5)
        return a


@dataclass
class BenchmarkConfig:
    """What to run.

    Attributes:
        conditions: test sets (keys of :data:`graspvla.eval.conditions.CONDITIONS`).
        synthetic_categories / web_categories: target categories per group; "web" ones must be
            held out of the action data (seen only in grounding data).
        trials_per_category: trials per (condition, category); seeds are derived from
            ``seed`` so every policy faces the same scenes.
        max_steps: policy queries per trial; ``lift_threshold``: success height [m].
        video_trials: how many trials per policy keep their frames for a video.
    """

    conditions: Sequence[str] = ("basic", "lighting", "background", "distractors", "height")
    synthetic_categories: Sequence[str] = ("mug", "bottle", "can", "box", "banana")
    web_categories: Sequence[str] = ("toy car",)
    trials_per_category: int = 2
    max_steps: int = 40
    lift_threshold: float = 0.10
    seed: int = 1000
    video_trials: int = 1


def _first_box_scores(env: Any, policy: Any) -> tuple[float | None, tuple[float, float] | None]:
    """The policy's first target boxes (``policy.last_prediction.boxes``, (2, 4) front/side
    pixels) against one read of the environment's segmentation, over the cameras that see the
    target:

    * IoU with the target's box (mean); None when either side has no boxes;
    * grounding (``env.object_boxes()`` only): whether the box centre is nearer the target's box
      centre than any other object's (1 or 0), and chance (1 / objects in view), both means;
      None without it. Environments with only ``env.target_boxes()`` get the IoU alone."""
    pred = getattr(getattr(policy, "last_prediction", None), "boxes", None)
    if pred is None or not np.all(np.isfinite(np.asarray(pred, dtype=np.float64))):
        return None, None  # no boxes (scripted policies), or NaN boxes (the no-PAG ablation)
    objects, targets = getattr(env, "object_boxes", None), getattr(env, "target_boxes", None)
    if callable(objects):
        scene: list[tuple[Any, list[Any] | None]] = list(objects())
    elif callable(targets):
        scene = [(t, None) for t in targets()]
    else:
        return None, None
    centre = lambda b: 0.5 * (np.asarray(b[:2], dtype=np.float64) + np.asarray(b[2:], dtype=np.float64))  # noqa: E731
    ious, hits, chance = [], [], []
    for p, (target, others) in zip(np.asarray(pred, dtype=np.float64).reshape(-1, 4), scene):
        if target is None:
            continue
        ious.append(box_iou(p, target))
        if others is not None:
            d = np.linalg.norm(centre(p) - centre(target))
            hits.append(float(all(d <= np.linalg.norm(centre(p) - centre(o)) for o in others)))
            chance.append(1.0 / (1 + len(others)))
    return (float(np.mean(ious)) if ious else None,
            (float(np.mean(hits)), float(np.mean(chance))) if hits else None)


def _grasp_position(policy: Any, n: int) -> np.ndarray | None:
    """The first ``n`` coordinates of ``policy.last_prediction.grasp`` (base frame, m), or None
    when the policy has no grasp or it is not finite."""
    grasp = getattr(getattr(policy, "last_prediction", None), "grasp", None)
    if grasp is None:
        return None
    g = np.asarray(grasp, dtype=np.float64).reshape(-1)[:n]
    return g if g.shape == (n,) and np.all(np.isfinite(g)) else None


def _first_grasp_scores(env: Any, policy: Any) -> tuple[float | None, float | None]:
    """The policy's first grasp position (``policy.last_prediction.grasp``, base frame) against
    ``env.object_centres()``: its xy distance [m] to the requested object's centre, and whether
    it is nearer that centre than any other object's (1 or 0). (None, None) for policies
    without a grasp or environments without object centres."""
    g = _grasp_position(policy, 2)
    centres = getattr(env, "object_centres", None)
    if g is None or not callable(centres):
        return None, None
    target, others = centres()
    d = float(np.linalg.norm(g - np.asarray(target, dtype=np.float64)[:2]))
    nearest = all(d <= np.linalg.norm(g - np.asarray(o, dtype=np.float64)[:2]) for o in others)
    return d, float(nearest)


def _first_grasp_region_error(env: Any, policy: Any) -> float | None:
    """Distance [m] from the policy's first grasp position to the nearest of
    ``env.region_points()`` (the preferred part of the target); None without either."""
    g = _grasp_position(policy, 3)
    points = getattr(env, "region_points", None)
    if g is None or not callable(points):
        return None
    pts = points()
    if pts is None or len(pts) == 0:
        return None
    return float(np.min(np.linalg.norm(np.asarray(pts, np.float64) - g, axis=1)))


def _reset_policy(policy: Any, seed: int) -> None:
    """``policy.reset(seed)`` where its ``reset`` takes a seed, else ``policy.reset()``."""
    try:
        params = inspect.signature(policy.reset).parameters
    except (TypeError, ValueError):
        params = {}
    kinds = {p.kind for p in params.values()}
    if "seed" in params or inspect.Parameter.VAR_KEYWORD in kinds:
        policy.reset(seed=seed)
    elif inspect.Parameter.VAR_POSITIONAL in kinds:
        policy.reset(seed)
    else:
        policy.reset()


def run_trial(env: GraspEnv, policy: Policy, seed: int, condition: Condition, category: str, group: str,
              max_steps: int, lift_threshold: float, keep_frames: bool = False) -> tuple[TrialRecord, list[np.ndarray]]:
    """One closed-loop trial. Success = the target rose >= ``lift_threshold`` while no other
    object was lifted."""
    t0 = time.perf_counter()
    timings = {"inference": 0.0, "execute": 0.0}
    obs = env.reset(seed, condition, category)
    _reset_policy(policy, seed)
    frames: list[np.ndarray] = []
    success = other = False
    iou: float | None = None
    grounding: tuple[float, float] | None = None
    grasp_error = grasp_on_target = region_error = None
    region: str | None = None
    on_region = False
    best = 0.0
    distance = getattr(env, "target_distance", None)
    closest = float(distance()) if callable(distance) else None
    steps = 0
    for steps in range(1, max_steps + 1):
        if keep_frames:
            frames.append(np.concatenate([obs["front"], obs["side"]], axis=1))
        t = time.perf_counter()
        actions = np.asarray(policy.act(obs), dtype=np.float64)
        timings["inference"] += time.perf_counter() - t
        if steps == 1:
            iou, grounding = _first_box_scores(env, policy)
            grasp_error, grasp_on_target = _first_grasp_scores(env, policy)
            region_error = _first_grasp_region_error(env, policy)
        if actions.ndim != 2 or actions.shape[1] != 7 or not np.all(np.isfinite(actions)):
            break  # a broken policy output ends the trial as a failure
        t = time.perf_counter()
        obs = env.execute(actions)
        timings["execute"] += time.perf_counter() - t
        if closest is not None:
            closest = min(closest, float(distance()))  # type: ignore[misc]
        lift, other = env.lift_status()
        best = max(best, lift)
        if other:
            break
        if lift >= lift_threshold:
            success = True
            # optional preference check at lift time (environments with a grasp region)
            status = getattr(env, "region_status", None)
            contact = status() if callable(status) else None
            if contact is not None:
                region, on_region = contact.region, bool(contact.satisfied)
            break
    record = TrialRecord(policy=policy.name, condition=condition.name, group=group, category=category, seed=seed,
                         success=success and not other, lifted_other=other, steps=steps, sim_time=env.sim_time,
                         wall_time=time.perf_counter() - t0, max_lift=best, timings=timings, box_iou=iou,
                         closest_approach=closest, box_on_target=grounding[0] if grounding else None,
                         box_chance=grounding[1] if grounding else None, grasp_error=grasp_error,
                         grasp_on_target=grasp_on_target, region_error=region_error)
    # a trial without a lift is still scored on the environment's region (as a preference failure)
    region = region or getattr(getattr(env, "config", None), "grasp_region", None)
    if region is not None:
        record.grasp_region = region
        record.on_region = bool(on_region and record.success)
    return record, frames


def run_benchmark(env_factory: Callable[[], GraspEnv], policies: Sequence[Policy], config: BenchmarkConfig,
                  out_dir: str | Path | None = None, progress: bool = True) -> list[TrialRecord]:
    """Every policy on every (condition, group, category, trial); writes ``report.md``,
    ``trials.json`` and a GIF per kept trial into ``out_dir``."""
    env = env_factory()
    records: list[TrialRecord] = []
    cells = [(c, g, cat) for c in config.conditions for g, cats in
             (("synthetic", config.synthetic_categories), ("web", config.web_categories)) for cat in cats]
    total = len(cells) * config.trials_per_category * len(policies)
    done = 0
    for policy in policies:
        kept = 0
        for ci, (cond_name, group, category) in enumerate(cells):
            cond = CONDITIONS[cond_name]
            for k in range(config.trials_per_category):
                seed = config.seed + 1000 * ci + k
                keep = out_dir is not None and kept < config.video_trials
                rec, frames = run_trial(env, policy, seed, cond, category, group, config.max_steps,
                                        config.lift_threshold, keep_frames=keep)
                if keep and frames:
                    rec.video = str(save_gif(frames, Path(out_dir) / f"{policy.name}_{cond_name}_{seed}.gif"))
                    kept += 1
                records.append(rec)
                done += 1
                if progress:
                    print(f"[eval] {done}/{total} {policy.name} {cond_name}/{group}/{category} seed {seed}: "
                          f"{'success' if rec.success else 'fail'} (lift {rec.max_lift:.3f} m, {rec.steps} steps)",
                          flush=True)
    if out_dir is not None:
        write_report(records, list(config.conditions), out_dir)
    return records


def save_gif(frames: list[np.ndarray], path: Path, fps: float = 5.0) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return path
