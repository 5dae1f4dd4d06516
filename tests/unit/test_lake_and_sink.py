"""The lake on a real local Delta folder: range replaces, reads, cursors committed with rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from tests.conftest import T0, score_row
from trendlake.errors import LakeError
from trendlake.ingest.events import Decoded
from trendlake.ingest.records import post_row
from trendlake.ingest.sinks import LakeSink
from trendlake.lake import Lake, aligned_chunks
from trendlake.models import KEYWORD_COUNTS, POSTS, TABLES, TREND_SCORES
from trendlake.windows import author_key


def _counts(minutes: list[int], posts: int) -> pa.Table:
    moments = [T0 + timedelta(minutes=m) for m in minutes]
    return pa.table(
        {
            "minute": moments,
            "date": [m.date() for m in moments],
            "keyword": ["zorblax"] * len(moments),
            "kind": ["word"] * len(moments),
            "posts": [posts] * len(moments),
            "authors": [1] * len(moments),
            "author_keys": [[7]] * len(moments),
            "langs": [["en"]] * len(moments),
            "lang_posts": [[posts]] * len(moments),
            "thread_keys": [[9]] * len(moments),
            "key": [author_key("word:zorblax")] * len(moments),
            "copy_keys": [[7]] * len(moments),
        }
    )


def test_ensure_all_creates_every_table_with_its_schema(lake: Lake) -> None:
    lake.ensure_all()
    for name, spec in TABLES.items():
        table = DeltaTable(lake.table_uri(name))
        assert table.metadata().partition_columns == list(spec.partition_by)
        assert pa.schema(table.schema()).names == spec.schema.names


def test_replace_range_replaces_exactly_its_minutes(lake: Lake) -> None:
    lake.replace_range(KEYWORD_COUNTS, _counts(list(range(10)), 1), T0, T0 + timedelta(minutes=10))
    lake.replace_range(
        KEYWORD_COUNTS, _counts([3, 4], 7), T0 + timedelta(minutes=3), T0 + timedelta(minutes=6)
    )
    rows = lake.read(KEYWORD_COUNTS).sort("minute")
    assert rows["posts"].to_list() == [1, 1, 1, 7, 7, 1, 1, 1, 1]  # minute 5 had no new row
    again = lake.read(KEYWORD_COUNTS, T0 + timedelta(minutes=2), T0 + timedelta(minutes=4))
    assert again.height == 2


@pytest.mark.parametrize("folder", ["my lake", "lac-été", "100%"])
def test_a_lake_whose_path_needs_escaping_reads_its_rows(tmp_path: Path, folder: str) -> None:
    # delta-rs lists the files as `my%20lake/...`, which Polars' reader took literally.
    lake = Lake(str(tmp_path / folder))
    lake.replace_range(KEYWORD_COUNTS, _counts(list(range(6)), 2), T0, T0 + timedelta(minutes=6))
    rows = lake.read(KEYWORD_COUNTS, T0 + timedelta(minutes=1), T0 + timedelta(minutes=4))
    assert rows.sort("minute")["minute"].to_list() == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    assert rows["posts"].to_list() == [2, 2, 2]


def test_aligned_chunks_cuts_odd_columns_to_the_common_chunks_and_keeps_the_rows() -> None:
    def chunked(values: Sequence[object], cut: list[int]) -> pl.Series:
        bounds = [0, *cut, len(values)]
        pieces = [pl.Series("x", values[a:b]) for a, b in pairwise(bounds)]
        return pl.concat(pieces, rechunk=False)

    values = list(range(10))
    frame = pl.DataFrame(
        [
            chunked(values, [1, 2, 3, 4, 5, 6, 7]).rename("minute"),  # one chunk per piece
            chunked([[v] for v in values], [5]).rename("keys"),
            chunked([str(v) for v in values], [5]).rename("keyword"),
        ]
    )
    assert frame.n_chunks("all") == [8, 2, 2]
    aligned = aligned_chunks(frame)
    assert aligned.n_chunks("all") == [2, 2, 2]
    assert aligned["minute"].chunk_lengths() == [5, 5]
    assert aligned.equals(frame)
    assert aligned_chunks(aligned) is aligned  # already aligned: returned as it is


def test_reads_come_back_with_their_columns_in_the_same_chunks(lake: Lake) -> None:
    # A commit a minute, as live mode writes: a file each, read back in a chunk each,
    # except the columns the scan makes (the date partition) or filters on.
    for m in range(6):
        minute = T0 + timedelta(minutes=m)
        lake.replace_range(
            KEYWORD_COUNTS, _counts([m, m], 1), minute, minute + timedelta(minutes=1)
        )
    frame = lake.read(KEYWORD_COUNTS, T0 + timedelta(minutes=1), T0 + timedelta(minutes=5))
    assert frame.height == 8
    layouts = {tuple(frame[name].chunk_lengths()) for name in frame.columns}
    assert len(layouts) == 1, layouts


def test_replace_range_rejects_rows_outside_the_range(lake: Lake) -> None:
    with pytest.raises(ValueError, match="outside"):
        lake.replace_range(KEYWORD_COUNTS, _counts([20], 1), T0, T0 + timedelta(minutes=10))


def test_read_of_a_missing_table_is_empty_with_the_schema(lake: Lake) -> None:
    frame = lake.read(POSTS, columns=["uri", "event_time"])
    assert frame.height == 0 and frame.columns == ["uri", "event_time"]


def _event(n: int, kind: str = "post") -> Decoded:
    time_us = int((T0 + timedelta(seconds=n)).timestamp() * 1_000_000)
    row = post_row(
        did="did:plc:a",
        rkey=f"k{n}",
        cid=None,
        record={"text": f"post {n}"},
        event_time_us=time_us,
        seq=None,
        source="jetstream",
    )
    return Decoded(kind, time_us, row)  # type: ignore[arg-type]


def test_sink_commits_its_cursor_with_the_rows_and_skips_replays(lake: Lake) -> None:
    sink = LakeSink(lake, "app", batch_posts=3, batch_seconds=3600)
    for n in range(7):
        sink.add(_event(n))
    # Two full batches committed; the 7th post is only buffered, as after a crash.
    assert sink.stats.commits == 2
    landed_cursor = lake.transaction_version(POSTS, "app")
    assert landed_cursor == _event(5).position

    resumed = LakeSink(lake, "app", batch_posts=3, batch_seconds=3600)
    assert resumed.resume_position() == landed_cursor
    for n in range(5, 9):  # the source replays from the cursor, including its own event
        resumed.add(_event(n))
    resumed.close()
    assert resumed.stats.already_landed == 1
    uris = lake.read(POSTS)["uri"].to_list()
    assert len(uris) == len(set(uris)) == 9
    assert lake.read(POSTS)["event_date"].to_list()[0] == T0.date()


def test_watermark_is_the_latest_event_time(lake: Lake) -> None:
    sink = LakeSink(lake, "app", batch_posts=100, batch_seconds=3600)
    for n in (3, 1, 2):
        sink.add(_event(n))
    sink.close()
    assert lake.watermark() == T0 + timedelta(seconds=3)


def test_an_opened_table_sees_commits_made_through_another_lake(lake: Lake) -> None:
    lake.replace_range(KEYWORD_COUNTS, _counts([0, 1], 1), T0, T0 + timedelta(minutes=2))
    assert lake.read(KEYWORD_COUNTS).height == 2  # opened and kept by this Lake
    other = Lake(lake.uri)  # another process, as far as the table is concerned
    other.replace_range(
        KEYWORD_COUNTS, _counts([5], 3), T0 + timedelta(minutes=5), T0 + timedelta(minutes=6)
    )
    assert sorted(lake.read(KEYWORD_COUNTS)["posts"].to_list()) == [1, 1, 3]
    table = lake.table(KEYWORD_COUNTS)
    assert table is not None and table.version() == other.table(KEYWORD_COUNTS).version()  # type: ignore[union-attr]


def test_a_table_with_another_versions_columns_is_refused_clearly(lake: Lake) -> None:
    old = pa.schema(
        [f if f.name != "author_keys" else pa.field("author_dids", pa.list_(pa.string()))
         for f in TABLES[KEYWORD_COUNTS].schema]
    )  # fmt: skip
    DeltaTable.create(lake.table_uri(KEYWORD_COUNTS), old, partition_by=["date"])
    with pytest.raises(
        LakeError, match=r"missing author_keys; unexpected author_dids.*process --all"
    ):
        lake.replace_range(KEYWORD_COUNTS, _counts([0], 1), T0, T0 + timedelta(minutes=1))


def test_a_table_gains_the_nullable_columns_a_later_version_appended(lake: Lake) -> None:
    spec = TABLES[TREND_SCORES].schema
    appended = [
        "recent_authors",
        "unique_threads",
        "recent_threads",
        "cover_authors",
        "unique_copies",
        "recent_copies",
    ]
    older = pa.schema([spec.field(name) for name in spec.names if name not in appended])
    row = {name: [value] for name, value in score_row(1, 10.0).items()} | {"date": [T0.date()]}
    DeltaTable.create(lake.table_uri(TREND_SCORES), older, partition_by=["date"])
    write_deltalake(
        lake.table_uri(TREND_SCORES), pa.table(row).select(older.names).cast(older), mode="append"
    )
    lake.check_tables()  # what every process run does first
    names = [f.name for f in lake.table(TREND_SCORES).schema().fields]  # type: ignore[union-attr]
    assert names[-6:] == appended
    later = {"minute": [T0 + timedelta(minutes=2)], "recent_authors": [4], "unique_threads": [3]}
    later |= {"unique_copies": [2]}
    new = pa.table(row | later)
    lake.replace_range(TREND_SCORES, new, T0 + timedelta(minutes=2), T0 + timedelta(minutes=3))
    stored = lake.read(TREND_SCORES).sort("minute")
    assert stored["recent_authors"].to_list() == [None, 4]
    assert stored["unique_threads"].to_list() == [None, 3]
    assert stored["unique_copies"].to_list() == [None, 2]


def test_a_table_created_with_other_column_descriptions_still_takes_writes(lake: Lake) -> None:
    # Descriptions are documentation: editing one must not break lakes created before.
    older = pa.schema(
        [
            f.with_metadata({"description": "an older wording"})
            for f in TABLES[KEYWORD_COUNTS].schema
        ]
    )
    DeltaTable.create(lake.table_uri(KEYWORD_COUNTS), older, partition_by=["date"])
    lake.replace_range(KEYWORD_COUNTS, _counts([0], 1), T0, T0 + timedelta(minutes=1))
    lake.append(KEYWORD_COUNTS, _counts([1], 2))
    assert lake.read(KEYWORD_COUNTS).sort("minute")["posts"].to_list() == [1, 2]
