"""A lake processed minute by minute (live) and in one backfill ends up with identical rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

from trendlake.config import Settings
from trendlake.ingest.runner import ingest_file
from trendlake.lake import Lake
from trendlake.models import KEYWORD_BASELINES, KEYWORD_COUNTS, TREND_SCORES
from trendlake.pipeline import MinuteRange, compute_counts, compute_scores, run_all
from trendlake.timeutil import floor_minute

M = timedelta(minutes=1)
LIVE_MINUTES = 25


def _landed(small_stream: Path, folder: Path) -> tuple[Lake, Settings, MinuteRange]:
    settings = Settings(lake_uri=str(folder), baseline_minutes=60, min_history_minutes=20)
    lake = Lake(settings.lake_uri)
    ingest_file(small_stream, lake, settings)
    bounds = lake.time_bounds("posts")
    assert bounds is not None
    return lake, settings, MinuteRange(floor_minute(bounds[0]), floor_minute(bounds[1]))


def _scores(lake: Lake, since: object) -> pl.DataFrame:
    return lake.read(TREND_SCORES).filter(pl.col("minute") >= since).sort("minute", "keyword")


def test_live_minutes_and_a_backfill_write_identical_scores(
    small_stream: Path, tmp_path: Path
) -> None:
    live, settings, span = _landed(small_stream, tmp_path / "live")
    backfill, _, _ = _landed(small_stream, tmp_path / "backfill")
    live_from = span.start + 80 * M
    run_all(live, MinuteRange(span.start, live_from), settings)
    for i in range(LIVE_MINUTES):  # what the sensor does: one closed minute per run
        run_all(live, MinuteRange(live_from + i * M, live_from + (i + 1) * M), settings)
    run_all(backfill, MinuteRange(span.start, live_from + LIVE_MINUTES * M), settings)
    live_rows, backfill_rows = _scores(live, live_from), _scores(backfill, live_from)
    assert live_rows.height > 100
    assert live_rows.equals(backfill_rows)
    snapshots = live.read(KEYWORD_BASELINES)["as_of"].unique().sort()
    assert snapshots.len() >= LIVE_MINUTES // 10  # one new snapshot every 10 minutes


def test_recounting_a_minute_drops_the_snapshots_built_on_it(
    small_stream: Path, tmp_path: Path
) -> None:
    lake, settings, span = _landed(small_stream, tmp_path / "lake")
    done = MinuteRange(span.start, span.start + 100 * M)
    run_all(lake, done, settings)
    before = lake.read(KEYWORD_BASELINES)["as_of"].unique().sort().to_list()
    recount = MinuteRange(span.start + 45 * M, span.start + 46 * M)
    compute_counts(lake, recount, settings)
    after = lake.read(KEYWORD_BASELINES)["as_of"].unique().sort().to_list()
    # Snapshots H with the recounted minute in [H - 60, H) are gone, the others stay.
    affected = [h for h in before if recount.start < h < recount.end + 60 * M]
    assert affected and after == [h for h in before if h not in affected]
    # The next scores step builds the ones it needs again, to the same numbers.
    old = lake.read(TREND_SCORES).filter(pl.col("minute") >= span.start + 90 * M)
    compute_scores(lake, MinuteRange(span.start + 90 * M, done.end), settings)
    rebuilt = lake.read(KEYWORD_BASELINES)["as_of"].unique().sort().to_list()
    assert set(rebuilt) - set(after) == {span.start + 80 * M, span.start + 90 * M}
    new = lake.read(TREND_SCORES).filter(pl.col("minute") >= span.start + 90 * M)
    assert new.sort("minute", "keyword").equals(old.sort("minute", "keyword"))
    assert lake.read(KEYWORD_COUNTS).height > 0
