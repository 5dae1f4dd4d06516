"""Drive a source into a sink, with the counts a user wants to see at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from trendlake.config import Settings
from trendlake.ingest.files import read_jetstream_file
from trendlake.ingest.sinks import LakeSink, Sink, SinkStats
from trendlake.lake import Lake


@dataclass
class IngestStats:
    events: int = 0
    other: int = 0
    bad_lines: int = 0
    sink: SinkStats = field(default_factory=SinkStats)

    def summary(self) -> str:
        return (
            f"{self.events} events: {self.sink.posts} posts and {self.sink.deletes} deletes "
            "landed in "
            f"{self.sink.commits} commits, {self.sink.already_landed} already landed, "
            f"{self.other} other events ignored, {self.bad_lines} bad lines skipped"
        )


def file_app_id(path: Path) -> str:
    """The cursor's identity for a recorded file: its name, so a re-run of it resumes.

    Its cursor is a line number ("lines"); cursors of earlier versions, stored under
    ".../file/", were event times and do not apply.
    """
    return f"trendlake-ingest/file-lines/{path.name}"


def ingest_file(
    path: Path,
    lake: Lake,
    settings: Settings,
    *,
    strict: bool = False,
    max_events: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    sink: Sink | None = None,
) -> IngestStats:
    """Land a Jetstream JSONL file; events already landed (by the sink's cursor) are skipped.

    The sink is the lake by default; `trendlake ingest --sink kafka` passes the Kafka sink.
    """
    stats = IngestStats()
    if sink is None:
        sink = LakeSink(
            lake,
            file_app_id(path),
            batch_posts=settings.batch_posts,
            batch_seconds=settings.batch_seconds,
        )
    stats.sink = sink.stats

    def bad_line(_number: int, _reason: str) -> None:
        stats.bad_lines += 1

    try:
        for event in read_jetstream_file(path, strict=strict, on_bad_line=bad_line):
            stats.events += 1
            if event.kind == "other":
                stats.other += 1
            sink.add(event)
            if on_progress is not None and stats.events % 5000 == 0:
                on_progress(stats.events)
            if max_events is not None and stats.events >= max_events:
                break
    finally:
        sink.close()  # what was read is landed even when the run stops early
    if on_progress is not None:
        on_progress(stats.events)
    return stats
