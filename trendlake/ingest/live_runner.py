"""Run a live source (firehose or Jetstream) or a frames capture into a sink; record captures.

Resume: the sink's landed cursor is the start; after that, each reconnect resumes from the
last position received (the sink skips anything at or before what it already landed), so a
dropped connection, a stall or a `kill -9` and restart leave no gap and no duplicate.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trendlake.ingest.frames import FrameDecodeError, decode_frame
from trendlake.ingest.live import FeedOptions, WebSocketFeed
from trendlake.ingest.metrics import IngestMetrics
from trendlake.ingest.pump import StreamStats, pump
from trendlake.ingest.recording import FrameWriter, last_seq, read_frames
from trendlake.ingest.runner import fingerprint
from trendlake.ingest.sinks import Sink
from trendlake.ingest.sources import (
    Decoder,
    JetstreamDecoder,
    decode_firehose,
    firehose_url,
    host_of,
    jetstream_url,
)

log = logging.getLogger(__name__)


@dataclass
class LiveSpec:
    """Which live source to follow, resolved from the CLI flags."""

    source: str  # "firehose" or "jetstream"
    url: str
    zstd_dict: Path | None = None

    @property
    def app_id(self) -> str:
        """The cursor's identity in the Delta log: per source and host (each has its own seq)."""
        return f"trendlake-ingest/{self.source}/{host_of(self.url)}"

    def decoder(self) -> Decoder:
        if self.source == "firehose":
            return decode_firehose
        return JetstreamDecoder(self.zstd_dict)

    def url_for(self) -> Callable[[int | None], str]:
        if self.source == "firehose":
            return firehose_url(self.url)
        return jetstream_url(self.url, compress=self.zstd_dict is not None)


def run_live(
    spec: LiveSpec,
    sink: Sink,
    metrics: IngestMetrics,
    *,
    stop: threading.Event,
    options: FeedOptions | None = None,
    max_events: int | None = None,
) -> StreamStats:
    """Follow the source from the sink's landed cursor until stopped; the sink is closed."""
    stats = StreamStats(last_position=sink.resume_position())
    log.info("starting", extra={"app_id": spec.app_id, "cursor": stats.last_position})
    feed = WebSocketFeed(
        spec.url_for(), lambda: stats.last_position, metrics=metrics, stop=stop, options=options
    )
    try:
        pump(
            feed,
            spec.decoder(),
            sink,
            metrics,
            stats,
            max_events=max_events,
            stop=stop,
            on_progress=feed.mark_progress,
        )
        if feed.idle_exited:
            stats.stopped_by = "--idle-exit"
    finally:
        sink.close()  # land what was received, whatever stopped us
    return stats


def frames_app_id(path: Path) -> str:
    """The cursor's identity for a frames capture: its own prefix (the cursor is a seq), its
    name and a fingerprint of its first 64 KiB (`runner.fingerprint`).

    A capture `record` has grown since keeps its fingerprint and resumes; another capture of
    the same name (from another relay, or of an earlier hour) is replayed from its start,
    where the name alone had it skip every seq up to the first one's last. Cursors of
    earlier versions (".../frames/NAME") do not apply: such a capture is replayed once more,
    and its posts still count once (every computation deduplicates by URI).
    """
    return f"trendlake-ingest/frames/{path.name}/{fingerprint(path)}"


def run_frames_file(
    path: Path, sink: Sink, metrics: IngestMetrics, *, max_events: int | None = None
) -> StreamStats:
    """Replay a `trendlake record` capture through the live firehose decoder."""
    stats = StreamStats(last_position=sink.resume_position())
    try:
        pump(read_frames(path), decode_firehose, sink, metrics, stats, max_events=max_events)
    finally:
        sink.close()
    return stats


@dataclass
class RecordStats:
    frames: int = 0
    bytes: int = 0
    decode_errors: int = 0
    replayed: int = 0
    stopped_by: str = "end of stream"


def record(
    url: str,
    out: Path,
    metrics: IngestMetrics,
    *,
    stop: threading.Event,
    options: FeedOptions | None = None,
    max_events: int | None = None,
) -> RecordStats:
    """Append raw relay frames to a capture, resuming after its last seq when it exists."""
    stats = RecordStats()
    cursor: list[int | None] = [last_seq(out)]
    writer = FrameWriter(out)
    feed = WebSocketFeed(
        firehose_url(url), lambda: cursor[0], metrics=metrics, stop=stop, options=options
    )
    try:
        for message in feed:
            if message is None:
                writer.flush()
                continue
            if not isinstance(message, bytes):
                stats.decode_errors += 1  # text on a binary subscription: nothing to keep
                continue
            try:
                frame = decode_frame(message)
            except FrameDecodeError:  # recorded anyway: a later decoder may read it
                seq = None
                stats.decode_errors += 1
                metrics.decode_errors.labels(metrics.source).inc()
            else:
                seq = frame.seq
                metrics.events.labels(metrics.source, frame.type).inc()
                if seq is not None and cursor[0] is not None and seq <= cursor[0]:
                    stats.replayed += 1  # the resumed cursor's own event: already captured
                    continue
            writer.write(message)  # the relay's bytes, untouched
            stats.frames += 1
            stats.bytes += len(message)
            metrics.bytes.labels(metrics.source).inc(len(message))
            if seq is not None:
                cursor[0] = seq
                feed.mark_progress()
            if max_events is not None and stats.frames >= max_events:
                stats.stopped_by = f"--max-events {max_events}"
                break
        else:
            stats.stopped_by = "signal" if stop.is_set() else "--idle-exit"
    finally:
        writer.close()
    return stats
