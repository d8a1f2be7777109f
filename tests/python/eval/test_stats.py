from __future__ import annotations

import pytest

from graspvla.eval.stats import Rate, wilson_interval

stats = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("k,n", [(8, 10), (0, 20), (20, 20), (1, 3), (37, 50), (500, 1000)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(ref.low, abs=1e-9) and hi == pytest.approx(ref.high, abs=1e-9)


def test_rate_format_and_bad_input() -> None:
    assert str(Rate(8, 10)).startswith("80% [49, 94]")
    assert str(Rate(0, 0)) == "-"
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_report_table_and_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from graspvla.eval.report import TrialRecord, _records_from_json, format_table, write_report

    recs = [TrialRecord("expert", "basic", "synthetic", "mug", s, success=s % 2 == 0) for s in range(4)]
    recs += [TrialRecord("expert", "height", "web", "toy car", 9, success=True)]
    table = format_table(recs, ["basic", "height"])
    assert "| expert | synthetic | 50% [15, 85] (2/4) | - | 50% [15, 85] (2/4) |" in table
    assert "| expert | web | - | 100% [21, 100] (1/1) | 100% [21, 100] (1/1) |" in table
    md = write_report(recs, ["basic", "height"], tmp_path)
    assert md.read_text().count("| expert | basic |") == 4
    assert _records_from_json(tmp_path / "trials.json") == recs
