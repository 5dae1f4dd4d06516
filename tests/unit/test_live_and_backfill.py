"""A lake processed minute by minute (live) and in one backfill ends up with identical rows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from trendlake.config import Settings
from trendlake.ingest.runner import ingest_file
from trendlake.lake import Lake
from trendlake.models import (
    ALERTS,
    KEYWORD_BASELINES,
    KEYWORD_BLOCKS,
    KEYWORD_COUNTS,
    MINUTE_STATS,
    POSTS,
    TREND_SCORES,
)
from trendlake.pipeline import (
    SNAPSHOT_FORMAT_KEY,
    MinuteRange,
    block_format,
    chunk_minutes,
    compute_counts,
    compute_scores,
    run_all,
    snapshot_format,
)
from trendlake.scoring import baseline_snapshots, block_of, history_shares
from trendlake.timeutil import floor_minute, iso

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


def _first_100_minutes_run(
    small_stream: Path, tmp_path: Path
) -> tuple[Lake, Settings, MinuteRange, datetime]:
    """A lake that landed the stream and ran its first 100 minutes (60-minute baselines),
    and the minute after them."""
    lake, settings, span = _landed(small_stream, tmp_path / "lake")
    switch = span.start + 100 * M
    run_all(lake, MinuteRange(span.start, switch), settings)
    return lake, settings, span, switch


def _assert_live_minutes_score_as_a_fresh_lake(
    lake: Lake, settings: Settings, small_stream: Path, tmp_path: Path, switch: datetime
) -> None:
    """Twelve live minutes from `switch` (crossing a snapshot boundary) score on `lake` as
    they do on a lake that landed the same stream and ran everything at once."""
    for i in range(12):
        run_all(lake, MinuteRange(switch + i * M, switch + (i + 1) * M), settings)
    fresh, _, span = _landed(small_stream, tmp_path / "fresh")
    run_all(fresh, MinuteRange(span.start, switch + 12 * M), settings)
    rows = _scores(lake, switch)
    assert rows.height > 50
    assert rows.equals(_scores(fresh, switch))


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
    # Alerts too, though a live minute's recent window reads counts of minutes before it.
    live_alerts, backfill_alerts = (
        lake.read(ALERTS).filter(pl.col("minute") >= live_from).sort("minute", "keyword")
        for lake in (live, backfill)
    )
    assert live_alerts.height > 0
    assert live_alerts.equals(backfill_alerts)
    snapshots = live.read(KEYWORD_BASELINES)["as_of"].unique().sort()
    assert snapshots.len() >= LIVE_MINUTES // 10  # one new snapshot every 10 minutes


def test_a_young_streams_exact_histories_are_the_same_live_and_in_a_backfill(
    small_stream: Path, tmp_path: Path
) -> None:
    live, settings, span = _landed(small_stream, tmp_path / "live")
    backfill, _, _ = _landed(small_stream, tmp_path / "backfill")
    young = 30  # the boundary histories stay short of min_history_minutes (20) this long
    for i in range(young):
        run_all(live, MinuteRange(span.start + i * M, span.start + (i + 1) * M), settings)
    run_all(backfill, MinuteRange(span.start, span.start + young * M), settings)
    live_rows, backfill_rows = _scores(live, span.start), _scores(backfill, span.start)
    assert live_rows.height > 100
    assert live_rows.equals(backfill_rows)
    # Windows took histories up to their start, not to their boundary: without the exact
    # histories (no history is short of 0 minutes) they are shorter.
    boundary_only, _, _ = _landed(small_stream, tmp_path / "boundary_only")
    plain = Settings(**{**settings.model_dump(), "min_history_minutes": 0})
    run_all(boundary_only, MinuteRange(span.start, span.start + young * M), plain)
    longer = live_rows.join(
        _scores(boundary_only, span.start), on=["minute", "keyword", "kind"], suffix="_plain"
    ).filter(pl.col("history_minutes") > pl.col("history_minutes_plain"))
    assert longer.height > 0
    longest = (longer["history_minutes"] - longer["history_minutes_plain"]).max()
    assert isinstance(longest, int) and longest <= 9


def test_a_busy_stream_is_computed_in_fewer_minutes_a_step_with_the_same_rows(
    small_stream: Path, tmp_path: Path
) -> None:
    # 150 posts a minute: 1,000 posts a step at most makes steps of about 6 minutes.
    whole, settings, span = _landed(small_stream, tmp_path / "whole")
    steps, _, _ = _landed(small_stream, tmp_path / "steps")
    small = settings.model_copy(update={"chunk_posts": 1_000})
    assert chunk_minutes(whole, span, settings) == settings.chunk_minutes
    assert 4 <= chunk_minutes(steps, span, small) <= 7
    short = MinuteRange(span.start, span.start + 10 * M)
    assert chunk_minutes(steps, short, small) == settings.chunk_minutes
    run_all(whole, span, settings)
    run_all(steps, span, small)
    for table in (KEYWORD_COUNTS, TREND_SCORES, ALERTS):
        assert whole.read(table).sort(pl.all()).equals(steps.read(table).sort(pl.all())), table


def test_recounting_a_minute_drops_the_snapshots_built_on_it(
    small_stream: Path, tmp_path: Path
) -> None:
    lake, settings, span = _landed(small_stream, tmp_path / "lake")
    done = MinuteRange(span.start, span.start + 100 * M)
    run_all(lake, done, settings)
    before = lake.read(KEYWORD_BASELINES)["as_of"].unique().sort().to_list()
    blocks_before = lake.read(KEYWORD_BLOCKS)["block"].unique().sort().to_list()
    recount = MinuteRange(span.start + 45 * M, span.start + 46 * M)
    compute_counts(lake, recount, settings)
    after = lake.read(KEYWORD_BASELINES)["as_of"].unique().sort().to_list()
    # Snapshots H with the recounted minute in [H - 60, H) are gone, the others stay.
    affected = [h for h in before if recount.start < h < recount.end + 60 * M]
    assert affected and after == [h for h in before if h not in affected]
    # So is the block holding it (and only that one); the rebuild sums it again.
    blocks_after = lake.read(KEYWORD_BLOCKS)["block"].unique().sort().to_list()
    assert len(blocks_before) >= 8
    assert blocks_after == [b for b in blocks_before if b != block_of(recount.start)]
    # The next scores step builds the ones it needs again, to the same numbers.
    old = lake.read(TREND_SCORES).filter(pl.col("minute") >= span.start + 90 * M)
    compute_scores(lake, MinuteRange(span.start + 90 * M, done.end), settings)
    rebuilt = lake.read(KEYWORD_BASELINES)["as_of"].unique().sort().to_list()
    assert set(rebuilt) - set(after) == {span.start + 80 * M, span.start + 90 * M}
    new = lake.read(TREND_SCORES).filter(pl.col("minute") >= span.start + 90 * M)
    assert new.sort("minute", "keyword").equals(old.sort("minute", "keyword"))
    assert lake.read(KEYWORD_COUNTS).height > 0


def test_snapshots_summed_for_another_history_are_rebuilt_not_advanced(
    small_stream: Path, tmp_path: Path
) -> None:
    lake, settings, _, switch = _first_100_minutes_run(small_stream, tmp_path)
    longer = settings.model_copy(update={"baseline_minutes": 70})
    # Advancing a 60-minute snapshot by 70-minute steps would leave ten minutes in its sums.
    _assert_live_minutes_score_as_a_fresh_lake(lake, longer, small_stream, tmp_path, switch)
    assert lake.table_property(KEYWORD_BASELINES, SNAPSHOT_FORMAT_KEY) == snapshot_format(longer)


def _flood_lines(start: datetime, minutes: int, per_minute: int) -> list[str]:
    """One account posting `per_minute` posts a minute, words no one else uses."""
    lines = []
    for m in range(minutes):
        for i in range(per_minute):
            moment = start + m * M + i * (M / per_minute)
            record = {
                "$type": "app.bsky.feed.post",
                "text": f"zzflood{i % 50} qqspam{i % 7}",
                "createdAt": iso(moment),
                "langs": ["en"],
            }
            commit = {
                "rev": f"flood{m:03d}{i:05d}",
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": f"flood{m:03d}{i:05d}",
                "record": record,
                "cid": f"bafyflood{m:03d}{i:05d}",
            }
            time_us = int(moment.timestamp() * 1_000_000)
            event = {"did": FLOODER, "time_us": time_us, "kind": "commit", "commit": commit}
            lines.append(json.dumps(event))
    return lines


FLOODER = "did:plc:flooderflooderflooder00"


def test_one_account_flooding_moves_no_other_keywords_expectation(
    small_stream: Path, tmp_path: Path
) -> None:
    clean, settings, span = _landed(small_stream, tmp_path / "clean")
    flood_from, flood_minutes = span.start + 70 * M, 20
    flooded_stream = tmp_path / "flooded.jsonl"
    lines = small_stream.read_text().splitlines()
    # 3,000 posts a minute: twenty times the stream's own volume. In time order, as a
    # recording is: the file cursor skips what lies behind it.
    lines += _flood_lines(flood_from, flood_minutes, 3000)
    lines.sort(key=lambda line: json.loads(line)["time_us"])
    flooded_stream.write_text("\n".join(lines) + "\n")
    flooded = Lake(str(tmp_path / "flooded"))
    assert ingest_file(flooded_stream, flooded, settings).sink.posts == (
        clean.read(POSTS).height + flood_minutes * 3000
    )
    until = span.start + 130 * M  # during the flood and the hour after it
    run_all(clean, MinuteRange(span.start, until), settings)
    run_all(flooded, MinuteRange(span.start, until), settings)
    key = ["minute", "keyword", "kind"]
    both = (
        _scores(clean, flood_from)
        .select(*key, clean="baseline")
        .join(_scores(flooded, flood_from).select(*key, flooded="baseline"), on=key)
        .filter(pl.col("clean") > 0.5)
    )
    assert both.height > 200
    # The flooder is one more active author in 20 minutes, not 3,000 more posts.
    ratio = both["flooded"] / both["clean"]
    assert ratio.min() > 0.97 and ratio.max() < 1.03  # type: ignore[operator]


def test_snapshots_stored_by_an_earlier_version_are_replaced_not_refused(
    small_stream: Path, tmp_path: Path
) -> None:
    lake, settings, _, switch = _first_100_minutes_run(small_stream, tmp_path)
    # keyword_baselines as versions before keyword keys wrote it: keyword and kind columns.
    old_columns = pa.schema(
        [
            ("as_of", pa.timestamp("us", "UTC")),
            ("date", pa.date32()),
            ("keyword", pa.string()),
            ("kind", pa.string()),
            ("share_sum", pa.int64()),
            ("share_sq_sum", pa.int64()),
        ]
    )
    uri = lake.table_uri(KEYWORD_BASELINES)
    DeltaTable.create(uri, old_columns, mode="overwrite", partition_by=["date"])
    write_deltalake(
        uri,
        pa.table([[switch], [switch.date()], ["zorblax"], ["word"], [5], [1]], schema=old_columns),
        mode="append",
    )
    DeltaTable(uri).alter.set_table_properties(
        {SNAPSHOT_FORMAT_KEY: f"active-authors/{settings.baseline_minutes}m"},
        raise_if_not_exists=False,
    )
    lake.check_tables()  # a cache with other columns is no reason to refuse a run
    assert "key" in [field.name for field in DeltaTable(uri).schema().fields]
    _assert_live_minutes_score_as_a_fresh_lake(lake, settings, small_stream, tmp_path, switch)
    assert lake.table_property(KEYWORD_BASELINES, SNAPSHOT_FORMAT_KEY) == snapshot_format(settings)


def test_counts_from_before_keyword_keys_score_as_new_ones(
    small_stream: Path, tmp_path: Path
) -> None:
    lake, settings, span, switch = _first_100_minutes_run(small_stream, tmp_path)
    # Rows counted by a version before the key column: it is null in them.
    old = lake.read(KEYWORD_COUNTS).with_columns(key=pl.lit(None, dtype=pl.Int64))
    lake.replace_range(KEYWORD_COUNTS, old.to_arrow(), span.start, switch)
    assert lake.read(KEYWORD_COUNTS)["key"].null_count() == old.height > 0
    for cache in (KEYWORD_BASELINES, KEYWORD_BLOCKS):
        lake.reset(cache, {})  # rebuilt from those rows
    _assert_live_minutes_score_as_a_fresh_lake(lake, settings, small_stream, tmp_path, switch)


def test_a_snapshot_advances_by_the_stored_sums_of_the_block_leaving_it(
    small_stream: Path, tmp_path: Path
) -> None:
    lake, settings, _, switch = _first_100_minutes_run(small_stream, tmp_path)
    # The first snapshot after the stored ones (its window first ends 9 minutes after it).
    boundary = block_of(switch - 10 * M) + 10 * M
    assert lake.read(KEYWORD_BASELINES, boundary - 10 * M, boundary - 9 * M).height > 0
    leaving = boundary - 70 * M  # [boundary - 70, boundary - 60): stored when it entered
    assert lake.read(KEYWORD_BLOCKS, leaving, leaving + M).height > 0
    compute_counts(lake, MinuteRange(switch, boundary + 10 * M), settings)
    history = boundary - 70 * M, boundary
    shares = history_shares(lake.read(KEYWORD_COUNTS, *history), lake.read(MINUTE_STATS, *history))
    expected = baseline_snapshots(
        shares.filter(pl.col("minute") >= leaving + 10 * M), [boundary], 60
    )
    # The counts of the leaving block are gone: only its stored sums can take it out again.
    lake.delete_range(KEYWORD_COUNTS, leaving, leaving + 10 * M)
    compute_scores(lake, MinuteRange(boundary + 9 * M, boundary + 10 * M), settings)
    snapshot = lake.read(KEYWORD_BASELINES, boundary, boundary + M).drop("date").sort("key")
    assert snapshot.height > 100
    assert snapshot.equals(expected)


def test_blocks_summed_another_way_are_emptied_before_use(
    small_stream: Path, tmp_path: Path
) -> None:
    lake, settings, _, switch = _first_100_minutes_run(small_stream, tmp_path)
    stored = lake.read(KEYWORD_BLOCKS)
    assert stored.height > 0
    assert lake.table_property(KEYWORD_BLOCKS, SNAPSHOT_FORMAT_KEY) == block_format()
    # Blocks as a version with another phrase rule would have summed them: every sum doubled.
    doubled = stored.with_columns(pl.col("share_sum", "share_sq_sum") * 2)
    low, high = stored["block"].min(), stored["block"].max()
    assert isinstance(low, datetime) and isinstance(high, datetime)
    lake.replace_range(KEYWORD_BLOCKS, doubled.to_arrow(), low, high + M)
    DeltaTable(lake.table_uri(KEYWORD_BLOCKS)).alter.set_table_properties(
        {SNAPSHOT_FORMAT_KEY: "active-authors/keyed/phrase-blocks>=9"}, raise_if_not_exists=False
    )
    _assert_live_minutes_score_as_a_fresh_lake(lake, settings, small_stream, tmp_path, switch)
    assert lake.table_property(KEYWORD_BLOCKS, SNAPSHOT_FORMAT_KEY) == block_format()
    # The blocks stored again (those leaving the snapshots since) hold their true sums.
    again = lake.read(KEYWORD_BLOCKS, low, high + M)
    assert again.height > 0
    assert again.join(stored, on=list(stored.columns), how="anti").height == 0
