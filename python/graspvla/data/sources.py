"""Episode sources: ``seed -> Episode`` callables that the generator runs in its workers.

A source is a picklable object with ``name`` and ``__call__(seed) -> Episode``; it must be
deterministic in ``seed`` (same seed -> byte-identical episode). Two are registered:

* ``"syngrasp"`` (:class:`graspvla.data.pipeline.SynGraspSource`): the real pipeline, scene ->
  target/instruction -> grasp synthesis + validation -> plan + smooth -> execute in physics ->
  render -> annotate.
* ``"test-scripted"`` (:class:`ScriptedTestSource`): a **test source** with no physics and no
  renderer. It draws coloured boxes and scripts a straight-line reach-and-lift, only to test
  storage and orchestration quickly. Never train on it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np

from graspvla.data.episode import Episode, EpisodeMeta, build_episode_arrays, instruction_for
from graspvla.errors import InvalidInputError

__all__ = ["EpisodeSource", "ScriptedTestSource", "register_source", "make_source", "SOURCES"]


class EpisodeSource(Protocol):
    name: str

    def __call__(self, seed: int) -> Episode: ...


SOURCES: dict[str, Callable[..., EpisodeSource]] = {}


def register_source(name: str, factory: Callable[..., EpisodeSource]) -> None:
    SOURCES[name] = factory


def make_source(name: str, **options: Any) -> EpisodeSource:
    """Build a registered source by name (``"syngrasp"``, ``"test-scripted"``)."""
    if name == "syngrasp" and name not in SOURCES:
        import graspvla.data.pipeline  # noqa: F401  (registers itself; imports the sim stages)
    if name not in SOURCES:
        raise InvalidInputError(f"source: unknown episode source {name!r}; known: {sorted(SOURCES) + ['syngrasp']}")
    return SOURCES[name](**options)


_CATEGORIES = ["mug", "banana", "toy_car", "bottle", "apple", "box", "can", "bowl"]


@dataclass
class ScriptedTestSource:
    """TEST SOURCE (not the real pipeline): deterministic synthetic episodes in milliseconds.

    ``success_rate`` sets the probability that an episode is scripted as a success.
    ``sleep_s`` adds a per-episode delay (to kill a run mid-way in tests); ``crash_seeds``
    makes the worker process exit hard (``os._exit``) on those seeds, ``raise_seeds`` makes
    the episode function raise.
    """

    name: str = "test-scripted"
    image_size: int = 64
    frames: int = 20
    fps: int = 10
    cameras: tuple[str, ...] = ("front", "side")
    success_rate: float = 0.75
    sleep_s: float = 0.0
    crash_seeds: tuple[int, ...] = ()
    raise_seeds: tuple[int, ...] = ()

    def __call__(self, seed: int) -> Episode:
        t0 = time.perf_counter()
        if seed in self.crash_seeds:
            os._exit(17)
        if seed in self.raise_seeds:
            raise RuntimeError(f"scripted failure for seed {seed}")
        rng = np.random.default_rng([seed, 0x6A7A])
        T, S = self.frames, self.image_size
        cat = _CATEGORIES[int(rng.integers(len(_CATEGORIES)))]
        obj_xy = rng.uniform([0.35, -0.2], [0.65, 0.2])
        success = bool(rng.random() < self.success_rate)
        grasp = np.eye(4)
        grasp[:3, :3] = np.diag([1.0, -1.0, -1.0])  # TCP pointing down
        grasp[:3, 3] = [obj_xy[0], obj_xy[1], 0.05]
        start = np.eye(4)
        start[:3, :3] = grasp[:3, :3]
        start[:3, 3] = rng.uniform([0.3, -0.1, 0.35], [0.4, 0.1, 0.45])
        t_close = int(T * 0.6)
        s = np.clip(np.arange(T) / max(t_close, 1), 0, 1)
        poses = np.repeat(start[None], T, axis=0)
        poses[:, :3, 3] = (1 - s)[:, None] * start[:3, 3] + s[:, None] * grasp[:3, 3]
        lift = np.clip((np.arange(T) - t_close - 1) / max(T - t_close - 1, 1), 0, 1) * 0.15
        poses[:, 2, 3] += lift
        cmd = (np.arange(T) < t_close).astype(np.float64)
        gstate = np.clip(1.0 - np.maximum(np.arange(T) - t_close + 1, 0) * 0.4, 0.3, 1.0)
        arrays = build_episode_arrays(poses, gstate, cmd, grasp)
        joints = (rng.uniform(-0.5, 0.5, (1, 7)) + np.linspace(0, 0.3, T)[:, None]).astype(np.float32)
        colour = rng.integers(40, 255, 3).astype(np.uint8)
        bg = rng.integers(0, 80, 3).astype(np.uint8)
        t_layout = time.perf_counter()
        images: dict[str, np.ndarray] = {}
        boxes: dict[str, np.ndarray] = {}
        for ci, cam in enumerate(self.cameras):
            img = np.empty((T, S, S, 3), np.uint8)
            img[:] = bg
            cx = int(S * (0.3 + 0.4 * (obj_xy[1] + 0.2) / 0.4)) + 3 * ci
            cy = int(S * (0.3 + 0.4 * (obj_xy[0] - 0.35) / 0.3))
            h = max(2, S // 8)
            box = np.zeros((T, 4), np.float32)
            for t in range(T):
                dy = int(lift[t] * S) if success else 0
                y0, y1 = max(cy - h - dy, 0), max(cy + h - dy, 1)
                img[t, y0:y1, cx - h:cx + h] = colour
                # the "gripper": a grey square moving with the TCP
                gx = int(S * (0.3 + 0.4 * (poses[t, 1, 3] + 0.2) / 0.4))
                gy = int(S * (0.9 - poses[t, 2, 3] * 1.5)) % S
                img[t, max(gy - 2, 0):gy + 2, max(gx - 2, 0):gx + 2] = 128
                box[t] = [cx - h, y0, cx + h, y1]
            images[cam] = img
            boxes[cam] = box
        t_end = time.perf_counter()
        meta = EpisodeMeta(
            seed=int(seed), category=cat, object_id=f"{cat}-{int(rng.integers(1000)):03d}",
            instruction=instruction_for(cat), success=success, grasp_pose=grasp, source=self.name,
            params={"object_xy": obj_xy.tolist(), "start_xyz": start[:3, 3].tolist(), "colour": colour.tolist(),
                    "background": bg.tolist(), "image_size": S, "frames": T},
            timings={"scene": t_layout - t0, "render": t_end - t_layout},
        )
        if self.sleep_s:
            time.sleep(self.sleep_s)
        return Episode(meta=meta, fps=float(self.fps), images=images, state=arrays["state"], joints=joints,
                       action=arrays["action"], action_abs=arrays["action_abs"], goal=arrays["goal"], boxes=boxes)


register_source("test-scripted", ScriptedTestSource)
