"""Closed-loop evaluation: the grasping benchmark in simulation, its statistics and report."""

from __future__ import annotations

from graspvla.eval.conditions import CONDITIONS, Condition
from graspvla.eval.report import TrialRecord, format_preference_table, format_table, summarise, write_report
from graspvla.eval.stats import Rate, wilson_interval

__all__ = ["CONDITIONS", "Condition", "Rate", "TrialRecord", "format_preference_table", "format_table", "summarise", "wilson_interval",
           "write_report"]
