"""Data-quality checks over the recent processed range (pure reads; Dagster runs them as checks).

Each check returns an outcome with a one-line description and figures, and looks at the
last `hours` before the progress mark, so its cost stays bounded as the lake grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

import polars as pl

from trendlake.lake import Lake
from trendlake.models import ALERTS, KEYWORD_COUNTS, MINUTE_STATS, TREND_SCORES
from trendlake.planner import WATERMARK, read_state
from trendlake.timeutil import MINUTE, iso, minutes_between, parse_iso

DEFAULT_HOURS = 24


@dataclass(frozen=True)
class Outcome:
    passed: bool
    description: str
    metadata: dict[str, int | str] = field(default_factory=dict)


def recent_range(lake: Lake, hours: int = DEFAULT_HOURS) -> tuple[datetime, datetime] | None:
    """[through - hours, through) clipped to the first processed minute; None before any run."""
    through = read_state(lake).processed_through
    bounds = lake.time_bounds(MINUTE_STATS)
    if through is None or bounds is None:
        return None
    return max(bounds[0], through - timedelta(hours=hours)), through


def _nothing_yet() -> Outcome:
    return Outcome(True, "nothing processed yet")


def counts_cover_authors(lake: Lake, hours: int = DEFAULT_HOURS) -> Outcome:
    """Posts >= distinct authors in keyword_counts, count >= unique_authors in trend_scores."""
    span = recent_range(lake, hours)
    if span is None:
        return _nothing_yet()
    counts = lake.read(KEYWORD_COUNTS, *span, ["posts", "authors"])
    scores = lake.read(TREND_SCORES, *span, ["count", "unique_authors"])
    bad = counts.filter(pl.col("posts") < pl.col("authors")).height
    bad += scores.filter(pl.col("count") < pl.col("unique_authors")).height
    return Outcome(
        bad == 0,
        f"{bad} rows with fewer posts than distinct authors",
        {"rows_checked": counts.height + scores.height, "violations": bad},
    )


def no_empty_keyword(lake: Lake, hours: int = DEFAULT_HOURS) -> Outcome:
    span = recent_range(lake, hours)
    if span is None:
        return _nothing_yet()
    counts = lake.read(KEYWORD_COUNTS, *span, ["keyword"])
    bad = counts.filter(
        pl.col("keyword").is_null() | (pl.col("keyword").str.strip_chars() == "")
    ).height
    return Outcome(
        bad == 0, f"{bad} empty keywords", {"rows_checked": counts.height, "violations": bad}
    )


def no_gap_in_processed_minutes(lake: Lake, hours: int = DEFAULT_HOURS) -> Outcome:
    """Every minute up to the progress mark has its minute_stats row (quiet minutes too)."""
    span = recent_range(lake, hours)
    if span is None:
        return _nothing_yet()
    minutes = lake.read(MINUTE_STATS, *span, ["minute"])["minute"].unique().sort()
    expected = minutes_between(*span)
    missing = expected - minutes.len()
    first_gap = ""
    if missing:
        present = set(minutes.to_list())
        moment = span[0]
        while moment in present:
            moment += MINUTE
        first_gap = iso(moment)
    return Outcome(
        missing == 0,
        f"{missing} of {expected} minutes missing"
        + (f", first at {first_gap}" if first_gap else ""),
        {"minutes_expected": expected, "minutes_missing": missing},
    )


def watermark_never_moves_back(lake: Lake, commits: int = 500) -> Outcome:
    """The watermark recorded by successive runs never decreases."""
    table = lake.table(ALERTS)
    marks = [] if table is None else [
        parse_iso(str(c[WATERMARK])) for c in reversed(table.history(commits)) if WATERMARK in c
    ]  # fmt: skip
    backwards = sum(later < earlier for earlier, later in pairwise(marks))
    return Outcome(
        backwards == 0,
        f"{backwards} runs saw the watermark move back",
        {"runs_checked": len(marks), "violations": backwards},
    )


def alerts_refer_to_scores(lake: Lake, hours: int = DEFAULT_HOURS) -> Outcome:
    """Every alert's window has its trend_scores row."""
    span = recent_range(lake, hours)
    if span is None:
        return _nothing_yet()
    key = ["minute", "keyword", "kind"]
    # An alert row quotes one window; the score row of that window sits at window_end - 1 min
    # (for new/escalating rows that is the alert's own minute; cooling/ended quote an earlier one).
    alerts = lake.read(ALERTS, *span, ["keyword", "kind", "window_end"]).select(
        minute=pl.col("window_end") - MINUTE, keyword="keyword", kind="kind"
    )
    scores = lake.read(TREND_SCORES, span[0] - timedelta(hours=hours), span[1], key)
    orphans = alerts.join(scores, on=key, how="anti").height
    return Outcome(
        orphans == 0,
        f"{orphans} alerts without their trend_scores row",
        {"alerts_checked": alerts.height, "violations": orphans},
    )
