"""Where decoded events go. The lake sink micro-batches into Delta with its cursor in the commit.

Exactly-once on the lake: every commit to `posts` (and `post_deletes`) carries the Delta
transaction identifier (app id = the source's id, version = cursor of the last event in the
batch). On restart each table's stored cursor tells which events it already holds, so an event
replayed by the source (a resumed cursor replays its own event) is skipped, never landed twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

from trendlake.ingest.events import Decoded
from trendlake.lake import Lake
from trendlake.models import POST_DELETES, POSTS, TABLES, UTC_MICROS, DeleteRecord, PostRecord


@dataclass
class SinkStats:
    posts: int = 0
    deletes: int = 0
    already_landed: int = 0
    commits: int = 0


class Sink(Protocol):
    """A destination for decoded events; the Kafka sink implements the same three calls."""

    stats: SinkStats

    def resume_position(self) -> int | None:
        """Cursor to resume the source from (None: from the start)."""
        ...

    def add(self, event: Decoded) -> None: ...

    def close(self) -> None:
        """Flush what is buffered."""
        ...


class LakeSink:
    """Batches posts and deletes and commits them every `batch_posts` rows or `batch_seconds`."""

    def __init__(
        self, lake: Lake, app_id: str, *, batch_posts: int = 50_000, batch_seconds: float = 15.0
    ) -> None:
        self.lake = lake
        self.app_id = app_id
        self.batch_posts = batch_posts
        self.batch_seconds = batch_seconds
        self.stats = SinkStats()
        self._posts: list[PostRecord] = []
        self._deletes: list[DeleteRecord] = []
        self._position: int | None = None
        self._landed = {
            POSTS: lake.transaction_version(POSTS, app_id),
            POST_DELETES: lake.transaction_version(POST_DELETES, app_id),
        }
        self._last_flush = time.monotonic()

    def resume_position(self) -> int | None:
        known = [v for v in self._landed.values() if v is not None]
        return min(known) if known else None

    def add(self, event: Decoded) -> None:
        # Commit only at a position boundary: one firehose commit can create several posts
        # under one seq, and a batch cut between them would mark the rest as landed.
        if event.position != self._position and self._due():
            self.flush()
        if event.kind == "post":
            if self._is_landed(POSTS, event.position):
                self.stats.already_landed += 1
            else:
                self._posts.append(event.row)  # type: ignore[arg-type]
        elif event.kind == "delete":
            if self._is_landed(POST_DELETES, event.position):
                self.stats.already_landed += 1
            else:
                self._deletes.append(event.row)  # type: ignore[arg-type]
        self._position = (
            event.position if self._position is None else max(self._position, event.position)
        )

    def _due(self) -> bool:
        if len(self._posts) >= self.batch_posts:
            return True
        waited = time.monotonic() - self._last_flush >= self.batch_seconds
        return waited and bool(self._posts or self._deletes)

    def flush_if_due(self) -> None:
        """Commit a batch that is full or old; live sources call it between events."""
        if self._due():
            self.flush()

    def flush(self) -> None:
        if self._position is None or not (self._posts or self._deletes):
            return
        cursor = (self.app_id, self._position)
        # Deletes first: should we crash between the two commits, the posts cursor is older and
        # the replay lands the posts; the deletes table's own cursor skips its rows.
        if self._deletes:
            self.lake.append(
                POST_DELETES, rows_to_table(self._deletes, POST_DELETES), cursor=cursor
            )
            self._landed[POST_DELETES] = self._position
            self.stats.deletes += len(self._deletes)
            self.stats.commits += 1
        if self._posts:
            self.lake.append(POSTS, rows_to_table(self._posts, POSTS), cursor=cursor)
            self._landed[POSTS] = self._position
            self.stats.posts += len(self._posts)
            self.stats.commits += 1
        self._posts, self._deletes = [], []
        self._last_flush = time.monotonic()

    def close(self) -> None:
        self.flush()

    def _is_landed(self, table: str, position: int) -> bool:
        landed = self._landed[table]
        return landed is not None and position <= landed


def rows_to_table(rows: list[PostRecord] | list[DeleteRecord], table: str) -> pa.Table:
    """An Arrow batch in the table's schema; event_time arrives as integer microseconds."""
    schema = TABLES[table].schema
    columns: dict[str, pa.Array] = {}
    for field in schema:
        if field.name == "event_date":
            continue
        values = [row.get(field.name) for row in rows]
        if field.name == "event_time":
            columns[field.name] = pa.array(values, pa.int64()).cast(UTC_MICROS)
        else:
            columns[field.name] = pa.array(values, field.type)
    columns["event_date"] = columns["event_time"].cast(pa.date32())
    return pa.table({name: columns[name] for name in schema.names}, schema=schema)
