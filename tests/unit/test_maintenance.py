"""Maintenance on a real local Delta table: fewer files, same rows, properties set."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa

from tests.conftest import T0
from trendlake.lake import Lake
from trendlake.maintenance import (
    TABLE_PROPERTIES,
    maintain_table,
    prune_snapshots,
    table_properties,
)
from trendlake.models import KEYWORD_BASELINES, KEYWORD_BLOCKS, KEYWORD_COUNTS, TABLES
from trendlake.windows import author_key


def _minute(day: int, minute: int) -> pa.Table:
    moment = T0 + timedelta(days=day, minutes=minute)
    return pa.table(
        {
            "minute": [moment],
            "date": [moment.date()],
            "keyword": [f"k{minute}"],
            "kind": ["word"],
            "posts": [1],
            "authors": [1],
            "author_keys": [[7]],
            "langs": [["en"]],
            "lang_posts": [[1]],
            "thread_keys": [[9]],
            "key": [author_key(f"word:k{minute}")],
            "copy_keys": [[7]],
        }
    )


def _write_snapshot(lake: Lake, boundary: datetime, table: str = KEYWORD_BASELINES) -> None:
    """A snapshot as of `boundary` (or with `table` KEYWORD_BLOCKS, a block starting there)."""
    snapshot = pa.table(
        {
            TABLES[table].time_column: [boundary],
            "date": [boundary.date()],
            "key": [7],
            "share_sum": [5],
            "share_sq_sum": [1],
        }
    )
    lake.replace_range(table, snapshot, boundary, boundary + timedelta(minutes=1))


def test_compaction_of_closed_days_keeps_rows_and_the_open_day(lake: Lake) -> None:
    for day in range(3):
        for minute in range(20):
            moment = T0 + timedelta(days=day, minutes=minute)
            lake.replace_range(
                KEYWORD_COUNTS, _minute(day, minute), moment, moment + timedelta(minutes=1)
            )
    before_rows = lake.read(KEYWORD_COUNTS).sort("minute")
    report = maintain_table(
        lake, KEYWORD_COUNTS, before=(T0 + timedelta(days=2)).date(), retention_hours=0 + 168
    )
    assert report is not None
    assert report.files_before == 60
    assert report.files_after == 2 + 20  # two closed days compacted, the open day untouched
    assert report.compacted_files == 40
    assert lake.read(KEYWORD_COUNTS).sort("minute").equals(before_rows)
    table = lake.table(KEYWORD_COUNTS)
    assert table is not None
    assert {k: table.metadata().configuration.get(k) for k in TABLE_PROPERTIES} == TABLE_PROPERTIES


def test_maintaining_a_missing_table_is_a_no_op(lake: Lake) -> None:
    assert maintain_table(lake, KEYWORD_COUNTS, before=None) is None


def test_old_baseline_snapshots_and_blocks_are_pruned_and_recent_ones_kept(lake: Lake) -> None:
    boundaries = [T0 + timedelta(days=day, minutes=10 * i) for day in range(4) for i in range(3)]
    for boundary in boundaries:
        _write_snapshot(lake, boundary)
        _write_snapshot(lake, boundary, KEYWORD_BLOCKS)
    cutoff = T0 + timedelta(days=2)
    assert prune_snapshots(lake, cutoff)
    for table in (KEYWORD_BASELINES, KEYWORD_BLOCKS):
        kept = sorted(lake.read(table)[TABLES[table].time_column].to_list())
        assert kept == [b for b in boundaries if b >= cutoff]
    assert not prune_snapshots(lake, cutoff)  # nothing left to prune: no commit


def test_the_snapshot_cache_keeps_deleted_files_a_day_and_its_format_mark(lake: Lake) -> None:
    _write_snapshot(lake, T0 + timedelta(minutes=10))
    lake.reset(KEYWORD_BASELINES, {"trendlake.baseline.format": "mark"})
    assert maintain_table(lake, KEYWORD_BASELINES, before=None) is not None
    table = lake.table(KEYWORD_BASELINES)
    assert table is not None
    configuration = table.metadata().configuration
    assert configuration["delta.deletedFileRetentionDuration"] == "interval 1 days"
    assert configuration["trendlake.baseline.format"] == "mark"  # maintenance keeps it
    assert table_properties(KEYWORD_COUNTS) == TABLE_PROPERTIES  # the rest keep a week
