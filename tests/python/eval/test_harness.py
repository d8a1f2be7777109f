"""The benchmark harness on a small analytic environment: a free-floating gripper point and
objects on a table. It checks the harness's bookkeeping, not any physics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from graspvla.eval import CONDITIONS
from graspvla.eval.harness import BenchmarkConfig, RandomPolicy, run_benchmark, run_trial
from graspvla.geometry import apply_delta


class PointEnv:
    """Gripper = a point; grasp succeeds when closed within 2 cm of an object; the grasped
    object follows the gripper."""

    def __init__(self) -> None:
        self.time = 0.0

    def reset(self, seed: int, condition: Any, category: str) -> dict[str, Any]:
        rng = np.random.default_rng(seed)
        self.objects = rng.uniform([0.3, -0.2, 0.0], [0.6, 0.2, 0.0], (3, 3))
        self.objects[:, 2] += condition.table_raise
        self.rest = self.objects[:, 2].copy()
        self.target = 0
        self.pose = np.eye(4)
        self.pose[:3, 3] = [0.4, 0.0, 0.4]
        self.held: int | None = None
        self.time = 0.0
        return self._obs()

    def _obs(self) -> dict[str, Any]:
        img = np.zeros((16, 16, 3), np.uint8)
        return {"front": img, "side": img, "instruction": "pick up the thing", "target_xyz": self.objects[self.target],
                "others": self.objects[1:], "proprio": np.tile(np.r_[self.pose[:3, 3], 0, 0, 0, 1], (4, 1))}

    def execute(self, actions: np.ndarray) -> dict[str, Any]:
        for a in actions:
            p = self.pose[:3, 3]
            if a[6] < 0.5 and self.held is None:  # the gripper closes before the arm moves
                d = np.linalg.norm(self.objects - p, axis=1)
                if d.min() < 0.02:
                    self.held = int(d.argmin())
            if a[6] > 0.5:
                self.held = None
            self.pose = apply_delta(self.pose, a)
            p = self.pose[:3, 3]
            if self.held is not None:
                self.objects[self.held] = p
            self.time += 0.1
        return self._obs()

    def lift_status(self) -> tuple[float, bool]:
        lift = self.objects[:, 2] - self.rest
        return float(lift[self.target]), bool((lift[1:] > 0.05).any())

    @property
    def sim_time(self) -> float:
        return self.time


class GoTo:
    """Scripted: go above the chosen object, descend, close, lift."""

    def __init__(self, name: str, pick_other: bool = False) -> None:
        self.name, self.pick_other = name, pick_other

    def reset(self) -> None:
        self.phase = 0

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        goal = obs["others"][0] if self.pick_other else obs["target_xyz"]
        p = obs["proprio"][-1, :3]
        out = []
        for _ in range(4):
            if self.phase == 0:
                d, g = goal - p, 1.0
                if np.linalg.norm(d) < 1e-9:
                    self.phase = 1
            else:
                d, g = np.array([0, 0, 0.05]), 0.0
            step = np.clip(d, -0.05, 0.05)
            p = p + step
            out.append(np.r_[step, 0, 0, 0, g])
        return np.array(out)


def test_trial_outcomes() -> None:
    env = PointEnv()
    rec, _ = run_trial(env, GoTo("goto"), 1, CONDITIONS["basic"], "thing", "synthetic", 30, 0.1)
    assert rec.success and rec.max_lift >= 0.1 and not rec.lifted_other
    rec, _ = run_trial(env, GoTo("wrong", pick_other=True), 1, CONDITIONS["basic"], "thing", "synthetic", 30, 0.1)
    assert not rec.success and rec.lifted_other
    rec, _ = run_trial(env, RandomPolicy(0), 1, CONDITIONS["height"], "thing", "web", 5, 0.1)
    assert not rec.success and rec.steps == 5


def test_benchmark_report_and_videos(tmp_path: Path) -> None:
    cfg = BenchmarkConfig(conditions=("basic", "height"), synthetic_categories=("a",), web_categories=("b",),
                          trials_per_category=2, max_steps=30, video_trials=1)
    recs = run_benchmark(PointEnv, [GoTo("goto"), RandomPolicy(0)], cfg, tmp_path, progress=False)
    assert len(recs) == 2 * 2 * 2 * 2
    goto = [r for r in recs if r.policy == "goto"]
    rand = [r for r in recs if r.policy == "random"]
    assert all(r.success for r in goto) and not any(r.success for r in rand)
    # both policies faced the same seeds
    assert [r.seed for r in goto] == [r.seed for r in rand]
    report = (tmp_path / "report.md").read_text()
    assert "| goto | synthetic | 100%" in report and "| random | web | 0%" in report
    assert len(list(tmp_path.glob("*.gif"))) == 2


def test_a_trial_does_not_depend_on_the_trials_before_it() -> None:
    """The benchmark hands each trial's seed to ``policy.reset``: a stochastic policy's trial is
    the same whether it runs first or after others (it was not: the shipped model's flow noise
    ran on across trials, so changing one scene changed every later trial's outcome), and a
    policy whose ``reset`` takes no seed still runs."""

    class Recorder(RandomPolicy):
        def act(self, obs: dict[str, Any]) -> np.ndarray:
            a = super().act(obs)
            self.seen.append(a)
            return a

    def actions(policy: Recorder, seed: int) -> np.ndarray:
        policy.seen = []
        run_trial(PointEnv(), policy, seed, CONDITIONS["basic"], "thing", "synthetic", 5, 0.1)
        return np.concatenate(policy.seen)

    alone = actions(Recorder(0), 7)
    policy = Recorder(0)
    for s in (1, 2, 3):
        actions(policy, s)
    np.testing.assert_array_equal(actions(policy, 7), alone)
    assert not np.array_equal(actions(Recorder(0), 8), alone)  # the trial's seed reaches the draws
    assert not np.array_equal(actions(Recorder(1), 7), alone)  # and so does the policy's own

    class Plain(GoTo):
        def reset(self) -> None:  # an older policy: no seed parameter
            super().reset()

    rec, _ = run_trial(PointEnv(), Plain("plain"), 1, CONDITIONS["basic"], "thing", "synthetic", 30, 0.1)
    assert rec.success

    class Varargs(GoTo):
        def reset(self, *args) -> None:  # takes the seed positionally
            self.got = args
            super().reset()

    v = Varargs("varargs")
    run_trial(PointEnv(), v, 4, CONDITIONS["basic"], "thing", "synthetic", 2, 0.1)
    assert v.got == (4,)
