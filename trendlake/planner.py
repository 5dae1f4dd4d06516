"""Which minutes are closed and still to compute: the contract between the lake and Dagster.

A minute is closed when the landed posts' event-time watermark has passed its end plus the
grace period. Progress is recorded in the alerts commit of each run (the last step), as
`trendlake.processed_through` and `trendlake.posts_version`; a run that died half-way therefore
leaves the old mark and its minutes are simply computed again. Posts landed since the recorded
posts version with an event time before the mark are late: their minutes are recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from trendlake.lake import Lake
from trendlake.models import ALERTS, POSTS
from trendlake.pipeline import MinuteRange
from trendlake.timeutil import floor_minute, iso, parse_iso

PROCESSED_THROUGH = "trendlake.processed_through"
POSTS_VERSION = "trendlake.posts_version"
WATERMARK = "trendlake.watermark"


@dataclass(frozen=True)
class ProcessState:
    processed_through: datetime | None
    posts_version: int | None


@dataclass(frozen=True)
class Plan:
    """A run to request: the minutes, the posts version it reads, and why."""

    span: MinuteRange
    posts_version: int
    watermark: datetime
    late_from: datetime | None

    @property
    def run_key(self) -> str:
        return f"{iso(self.span.start)}/{iso(self.span.end)}/v{self.posts_version}"


def closed_end(watermark: datetime, grace: timedelta) -> datetime:
    """End (exclusive) of closed minutes: m is closed once watermark >= m + 1 min + grace."""
    return floor_minute(watermark - grace)


def read_state(lake: Lake) -> ProcessState:
    table = lake.table(ALERTS)
    if table is None:
        return ProcessState(None, None)
    for commit in table.history(200):
        if PROCESSED_THROUGH in commit:
            return ProcessState(
                parse_iso(str(commit[PROCESSED_THROUGH])), int(commit[POSTS_VERSION])
            )
    return ProcessState(None, None)


def earliest_new_event(lake: Lake, current: DeltaTable, since_version: int) -> datetime | None:
    """Earliest event time among posts files added after `since_version` (from log statistics)."""
    if current.version() <= since_version:
        return None
    old = DeltaTable(current.table_uri, version=since_version, storage_options=lake.storage_options)
    before = set(pa.table(old.get_add_actions(flatten=True)).column("path").to_pylist())
    actions = pa.table(current.get_add_actions(flatten=True))
    fresh = pc.invert(
        pc.is_in(actions.column("path"), value_set=pa.array(sorted(before), pa.string()))
    )
    added = actions.filter(fresh)
    return pc.min(added.column("min.event_time")).as_py() if added.num_rows else None


def plan_run(lake: Lake, grace: timedelta, until: datetime | None = None) -> Plan | None:
    """The next run over all newly closed minutes (and late ones), or None when nothing is due."""
    posts = lake.table(POSTS)
    bounds = None if posts is None else lake.time_bounds(POSTS, posts)
    if posts is None or bounds is None:
        return None
    first_event, watermark = bounds
    end = closed_end(watermark, grace)
    if until is not None:
        end = min(end, floor_minute(until))
    state = read_state(lake)
    start = state.processed_through or floor_minute(first_event)
    late_from = None
    if state.posts_version is not None and state.processed_through is not None:
        late = earliest_new_event(lake, posts, state.posts_version)
        if late is not None and late < state.processed_through:
            late_from = floor_minute(late)
            start = min(start, late_from)
    if end <= start:
        return None
    return Plan(MinuteRange(start, end), posts.version(), watermark, late_from)


def progress_mark(lake: Lake, end: datetime, posts_version: int) -> dict[str, str]:
    """Commit metadata that moves the progress mark to `end` (never backwards)."""
    previous = read_state(lake).processed_through
    through = max(end, previous) if previous else end
    mark = {PROCESSED_THROUGH: iso(through), POSTS_VERSION: str(posts_version)}
    watermark = lake.watermark()
    if watermark is not None:
        mark[WATERMARK] = watermark.isoformat()
    return mark
