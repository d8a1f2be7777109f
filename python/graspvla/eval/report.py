"""Turns trial records into a Table-1-style report (markdown + JSON)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graspvla.eval.stats import Rate

__all__ = ["TrialRecord", "box_iou", "format_localisation_table", "format_preference_table", "format_table",
           "summarise", "write_report"]


@dataclass
class TrialRecord:
    """The outcome of one closed-loop trial.

    Attributes:
        policy: policy name (e.g. ``graspvla``, ``expert``, ``no-pag``, ``random``).
        condition: test set name (``basic``, ``lighting``, ...).
        group: ``synthetic`` (category seen in action data) or ``web`` (grounding only).
        category: the requested object's category.
        seed: the scene seed (reproduces the trial).
        success: the requested object was lifted >= the threshold within the budget.
        lifted_other: a different object was lifted (counted as failure).
        steps: policy queries used; ``sim_time``: simulated seconds; ``wall_time``: seconds.
        timings: seconds per stage (inference, control, physics, render).
        grasp_region: the preference region the trial was scored on (None: no preference).
        on_region: at lift time the fingers held the target by ``grasp_region`` only
            (:mod:`graspvla.eval.preference`); False for trials without a lift.
        box_iou: localisation at the first query: IoU of the policy's predicted target box with
            the target's segmentation box, averaged over the cameras that see the target; None
            for policies that predict no boxes (expert, random, the no-PAG ablation).
        box_on_target: grounding at the first query: share of the cameras seeing the target in
            which the predicted box's centre is nearer the target's box than any other object's
            (1 = the requested object, not another one); None for policies without boxes.
        box_chance: what picking an object in view at random scores on ``box_on_target``
            (mean of 1 / objects in view).
        closest_approach: the smallest distance [m] between the TCP and the centre of the
            target's bounding box over the trial (before the first query and after each chunk);
            None for environments that do not report it.
        grasp_error: the first query's grasp position (``last_prediction.grasp``) against the
            requested object: xy distance [m] to its bounding-box centre; None for policies
            without a grasp or environments without ``object_centres``.
        grasp_on_target: whether that grasp is nearer the requested object's centre than any
            other object's (1 or 0); None as for ``grasp_error``.
        region_error: distance [m] from the first query's grasp position to the nearest vertex
            of the target inside ``grasp_region`` (how close the policy aims to the preferred
            part); None without a region or a grasp.
    """

    policy: str
    condition: str
    group: str
    category: str
    seed: int
    success: bool
    lifted_other: bool = False
    steps: int = 0
    sim_time: float = 0.0
    wall_time: float = 0.0
    max_lift: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    video: str | None = None
    grasp_region: str | None = None
    on_region: bool | None = None
    box_iou: float | None = None
    closest_approach: float | None = None
    box_on_target: float | None = None
    box_chance: float | None = None
    grasp_error: float | None = None
    grasp_on_target: float | None = None
    region_error: float | None = None

    @property
    def preference_success(self) -> bool:
        """Lifted (:attr:`success`) and held by the preferred region (Table 4's overall success)."""
        return bool(self.success and self.on_region)


def summarise(records: list[TrialRecord]) -> dict[str, dict[str, dict[str, Rate]]]:
    """``{policy: {group: {condition: Rate}}}``, plus an ``all`` condition per group."""
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        for cond in (r.condition, "all"):
            c = counts[(r.policy, r.group, cond)]
            c[0] += int(r.success)
            c[1] += 1
    out: dict[str, dict[str, dict[str, Rate]]] = defaultdict(lambda: defaultdict(dict))
    for (policy, group, cond), (k, n) in counts.items():
        out[policy][group][cond] = Rate(k, n)
    return out


def format_table(records: list[TrialRecord], conditions: list[str]) -> str:
    """Markdown table: one row per policy, per group the success rate of each condition with
    its 95% Wilson interval, and overall."""
    summary = summarise(records)
    groups = sorted({r.group for r in records}, key=lambda g: (g != "synthetic", g))
    header = "| policy | group | " + " | ".join(conditions) + " | overall |"
    sep = "|" + "---|" * (len(conditions) + 3)
    lines = [header, sep]
    for policy in summary:
        for group in groups:
            cells = summary[policy].get(group, {})
            row = [str(cells.get(c, Rate(0, 0))) for c in conditions + ["all"]]
            lines.append(f"| {policy} | {group} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def box_iou(a: Any, b: Any) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1) [pixels]."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def format_localisation_table(records: list[TrialRecord]) -> str:
    """Markdown table per policy and group of two progress measures finer than success (a
    policy that cannot find the object cannot grasp it): the first-query target box (mean IoU
    with the segmentation box, share of trials with IoU >= 0.5; "-" for policies without boxes),
    whether that box is on the requested object rather than another one (mean share of views,
    next to chance: 1 / objects in view), the median closest approach of the TCP to the
    target [cm], and the first-query grasp position (share of trials where it is nearest the
    requested object's centre; median xy distance to that centre [cm]). Empty without any of
    them."""
    Pairs = list[tuple[float, float]]
    # per (policy, group): box IoUs, closest approaches, (box on target, chance), (grasp error, on target)
    cells: dict[tuple[str, str], tuple[list[float], list[float], Pairs, Pairs]] = defaultdict(lambda: ([], [], [], []))
    for r in records:
        if r.box_iou is not None:
            cells[(r.policy, r.group)][0].append(r.box_iou)
        if r.closest_approach is not None:
            cells[(r.policy, r.group)][1].append(r.closest_approach)
        if r.box_on_target is not None and r.box_chance is not None:
            cells[(r.policy, r.group)][2].append((r.box_on_target, r.box_chance))
        if r.grasp_error is not None and r.grasp_on_target is not None:
            cells[(r.policy, r.group)][3].append((r.grasp_error, r.grasp_on_target))
    if not cells:
        return ""
    lines = ["| policy | group | trials | mean box IoU | IoU >= 0.5 | box on target (chance) "
             "| median closest approach [cm] | grasp on target | median grasp xy error [cm] |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (policy, group), (ious, dists, on, grasps) in cells.items():
        a = np.asarray(ious)
        n = max(len(ious), len(dists), len(on), len(grasps))
        iou_cells = f"{a.mean():.2f} | {Rate(int((a >= 0.5).sum()), len(a))}" if len(a) else "- | -"
        hit = np.asarray(on).reshape(-1, 2)
        on_cell = f"{100 * hit[:, 0].mean():.0f} % ({100 * hit[:, 1].mean():.0f} %)" if len(on) else "-"
        near = f"{100 * float(np.median(dists)):.1f}" if dists else "-"
        g = np.asarray(grasps).reshape(-1, 2)
        grasp_cells = (f"{100 * g[:, 1].mean():.0f} % | {100 * float(np.median(g[:, 0])):.1f}" if len(grasps)
                       else "- | -")
        lines.append(f"| {policy} | {group} | {n} | {iou_cells} | {on_cell} | {near} | {grasp_cells} |")
    return "\n".join(lines)


def format_preference_table(records: list[TrialRecord], order: list[str] | None = None) -> str:
    """Markdown table in the style of the paper's Table 4 (few-shot post-training): one row per
    policy (in ``order`` if given), its trials, the preference success rate (lifted AND held by the
    preferred region) and the grasp success rate (lifted), each with its 95% Wilson interval."""
    by_policy: dict[str, list[TrialRecord]] = defaultdict(list)
    for r in records:
        by_policy[r.policy].append(r)
    names = [p for p in (order or []) if p in by_policy] + [p for p in by_policy if p not in (order or [])]
    regions = sorted({r.grasp_region for r in records if r.grasp_region})
    aim = any(r.region_error is not None for r in records)  # a finer signal than success
    lines = [f"| model | trials | preference success ({', '.join(regions) or 'no region'}) | grasp success |"
             + (" first grasp to the region, median |" if aim else ""), "|---|---|---|---|" + ("---|" if aim else "")]
    for p in names:
        rs = by_policy[p]
        pref = Rate(sum(r.preference_success for r in rs), len(rs))
        grasp = Rate(sum(r.success for r in rs), len(rs))
        row = f"| {p} | {len(rs)} | {pref} | {grasp} |"
        if aim:
            errs = [r.region_error for r in rs if r.region_error is not None]
            row += f" {100 * float(np.median(errs)):.1f} cm |" if errs else " - |"
        lines.append(row)
    return "\n".join(lines)


def write_report(records: list[TrialRecord], conditions: list[str], out_dir: str | Path,
                 title: str = "graspvla closed-loop grasping benchmark", notes: str = "") -> Path:
    """Writes ``report.md`` and ``trials.json`` into ``out_dir``; returns the markdown path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "trials.json").write_text(json.dumps([asdict(r) for r in records], indent=1))
    md = [f"# {title}", "", format_table(records, conditions), ""]
    loc = format_localisation_table(records)
    if loc:
        md += ["Localisation (target box predicted at the first query vs the segmentation box; first grasp "
               "position vs the centre of the target, base frame) and reach (closest approach of the TCP to the "
               "centre of the target):", "", loc, ""]
    if notes:
        md += [notes, ""]
    md += ["Cells: success rate [95% Wilson interval] (successes/trials). Success = the requested",
           "object lifted by >= the threshold within the step budget; lifting another object fails.", ""]
    md += ["## Trials", "", "| policy | condition | group | category | seed | success | steps | sim s | wall s |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        md.append(f"| {r.policy} | {r.condition} | {r.group} | {r.category} | {r.seed} | "
                  f"{'yes' if r.success else 'no'} | {r.steps} | {r.sim_time:.1f} | {r.wall_time:.1f} |")
    path = out / "report.md"
    path.write_text("\n".join(md) + "\n")
    return path


def _records_from_json(path: str | Path) -> list[TrialRecord]:
    data: list[dict[str, Any]] = json.loads(Path(path).read_text())
    return [TrialRecord(**d) for d in data]
