"""Drive a source into a sink, with the counts a user wants to see at the end."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

from trendlake.config import Settings
from trendlake.errors import InputError
from trendlake.ingest.files import open_binary, read_jetstream_file
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


FINGERPRINT_BYTES = 64 * 1024


def file_app_id(path: Path) -> str:
    """The cursor's identity for a recorded file: its name and a fingerprint of its content.

    Its cursor is a line number, which means something only in the file it was taken in. The
    fingerprint hashes the first 64 KiB of the (decompressed) lines: a re-run of the same file,
    or of a recording that has grown since, resumes; another file of the same name (a stream
    regenerated differently, or one in another folder) is landed from its first line, and the
    posts it shares with the first count once (every computation deduplicates by URI). Cursors
    of earlier versions (".../file-lines/NAME" without a fingerprint, ".../file/" with event
    times) do not apply: such a file is landed again once.
    """
    return f"trendlake-ingest/file-lines/{path.name}/{fingerprint(path)}"


def fingerprint(path: Path) -> str:
    """16 hex digits of BLAKE2b over the first FINGERPRINT_BYTES of the file's lines."""
    with open_binary(path) as handle:
        try:
            head = handle.read(FINGERPRINT_BYTES)
        except (OSError, EOFError, zstandard.ZstdError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from exc
    return hashlib.blake2b(head, digest_size=8).hexdigest()


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

    first_bad: list[str] = []

    def bad_line(_number: int, reason: str) -> None:
        stats.bad_lines += 1
        if not first_bad:
            first_bad.append(reason)  # "NAME:LINE: why"

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
    if stats.bad_lines and not stats.events:
        # Not a stream with a few bad lines but the wrong file, or another format.
        raise InputError(
            f"no line of {path} is a Jetstream event ({stats.bad_lines} bad lines, "
            f"the first {first_bad[0]})"
        )
    return stats
