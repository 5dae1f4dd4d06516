"""Decode a stream of messages into a sink: counting, logging, skipping bad frames, stopping.

Shared by the live sources (a WebSocketFeed) and the replay of a frames capture, so a
capture goes through exactly the code the live ingester runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from trendlake.errors import DecodeError
from trendlake.ingest import logs
from trendlake.ingest.frames import Frame
from trendlake.ingest.metrics import IngestMetrics
from trendlake.ingest.sinks import Sink, SinkStats
from trendlake.ingest.sources import Decoder

log = logging.getLogger(__name__)


@dataclass
class StreamStats:
    events: int = 0  # frames (firehose) or events (Jetstream) decoded
    posts: int = 0
    deletes: int = 0
    other: int = 0
    decode_errors: int = 0
    missing_records: int = 0
    outdated_cursor: int = 0
    error_frames: int = 0
    replayed: int = 0  # frames at or before the cursor, received again after a reconnect
    last_position: int | None = None  # the cursor a reconnect resumes from
    stopped_by: str = "end of stream"
    sink: SinkStats = field(default_factory=SinkStats)

    def summary(self) -> str:
        return (
            f"{self.events} events: {self.sink.posts} posts and {self.sink.deletes} deletes "
            f"landed in {self.sink.commits} commits, {self.sink.already_landed} already landed, "
            f"{self.other} other events, {self.decode_errors} undecodable frames skipped; "
            f"stopped by {self.stopped_by}"
        )


def pump(
    messages: Iterable[bytes | str | None],
    decode: Decoder,
    sink: Sink,
    metrics: IngestMetrics,
    stats: StreamStats,
    *,
    max_events: int | None = None,
    stop: threading.Event | None = None,
    on_progress: Callable[[], None] | None = None,
) -> StreamStats:
    """Feed every decodable message's events to the sink until the stream ends or a limit hits.

    The sink is not closed here: the caller closes it (in a finally), so a stop by signal,
    limit or error lands what was received.
    """
    source = metrics.source
    stats.sink = sink.stats
    commits = sink.stats.commits
    logs.batch_id.set(logs.new_id())
    for message in messages:
        if message is None:  # a quiet tick: commit a batch that has waited long enough
            flush_if_due = getattr(sink, "flush_if_due", None)
            if flush_if_due is not None:
                flush_if_due()
        else:
            metrics.bytes.labels(source).inc(len(message))
            try:
                frame = decode(message)
            except DecodeError as exc:
                _bad_frame(stats, metrics, message, str(exc))
            except Exception as exc:  # one odd frame must never stop the ingester
                _bad_frame(stats, metrics, message, f"{type(exc).__name__}: {exc}")
            else:
                if _handle(frame, sink, metrics, stats) and on_progress is not None:
                    on_progress()
        if sink.stats.commits != commits:
            metrics.commits.labels(source).inc(sink.stats.commits - commits)
            commits = sink.stats.commits
            log.info(
                "batch committed",
                extra={"commits": commits, "posts": sink.stats.posts, "at": stats.last_position},
            )
            logs.batch_id.set(logs.new_id())
        if max_events is not None and stats.events >= max_events:
            stats.stopped_by = f"--max-events {max_events}"
            break
        if stop is not None and stop.is_set():
            stats.stopped_by = "signal"
            break
    return stats


def _bad_frame(
    stats: StreamStats, metrics: IngestMetrics, message: bytes | str, error: str
) -> None:
    stats.decode_errors += 1
    metrics.decode_errors.labels(metrics.source).inc()
    log.warning(
        "skipping undecodable frame",
        extra={"error": error, "size": len(message), "after": stats.last_position},
    )


def _handle(frame: Frame, sink: Sink, metrics: IngestMetrics, stats: StreamStats) -> bool:
    """Count and sink one frame; True when it moved the cursor forward (new data)."""
    source = metrics.source
    stats.events += 1
    metrics.events.labels(source, frame.type).inc()
    if frame.type == "#info":
        if frame.name == "OutdatedCursor":
            stats.outdated_cursor += 1
            # The relay no longer holds events after our cursor and starts from its oldest:
            # the events in between are gone from this relay; say so loudly.
            log.warning(
                "relay says our cursor is outdated; events between it and the relay's oldest "
                "are missed",
                extra={"cursor": stats.last_position, "info": frame.message},
            )
        else:
            log.info("relay info", extra={"name": frame.name, "info": frame.message})
        return False
    if frame.type == "error":
        stats.error_frames += 1
        log.error("relay error frame", extra={"name": frame.name, "info": frame.message})
        return False
    if (
        frame.seq is not None
        and stats.last_position is not None
        and frame.seq <= stats.last_position
    ):
        # Already received in this run (a resumed cursor replays its own event, and it may
        # still sit unflushed in the sink's buffer, where the landed cursor cannot catch it).
        stats.replayed += 1
        return False
    if frame.type in ("#identity", "#account", "#sync"):
        log.debug("account event", extra={"type": frame.type, "seq": frame.seq})
    if frame.missing_records:
        stats.missing_records += frame.missing_records
        metrics.missing_records.labels(source).inc(frame.missing_records)
        log.warning("post create without its record", extra={"seq": frame.seq})
    for event in frame.events:
        if event.kind == "post":
            stats.posts += 1
            metrics.posts.labels(source).inc()
        elif event.kind == "delete":
            stats.deletes += 1
            metrics.deletes.labels(source).inc()
        else:
            stats.other += 1
        sink.add(event)
    if frame.time_us is not None:
        metrics.lag.labels(source).set(time.time() - frame.time_us / 1_000_000)
    if frame.seq is None:
        return False
    stats.last_position = frame.seq
    metrics.position.labels(source).set(frame.seq)
    return True
