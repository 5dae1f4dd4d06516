"""The live firehose ingester against a local relay speaking the real subscribeRepos format."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest

from tests.ingest.ingest_relay import (
    Behaviour,
    Stream,
    commit_frame,
    fixture_frames,
    info_frame,
    make_stream,
    relay,
)
from trendlake.ingest import dagcbor
from trendlake.ingest.backoff import Backoff
from trendlake.ingest.frames import decode_frame
from trendlake.ingest.live import FeedOptions, WebSocketFeed
from trendlake.ingest.live_runner import LiveSpec, record, run_frames_file, run_live
from trendlake.ingest.metrics import IngestMetrics
from trendlake.ingest.pump import StreamStats
from trendlake.ingest.recording import MAGIC, read_frames
from trendlake.ingest.sinks import LakeSink
from trendlake.ingest.sources import firehose_url
from trendlake.lake import Lake
from trendlake.models import POST_DELETES, POSTS

FAST = FeedOptions(recv_timeout=5.0, idle_exit=0.8, tick=0.05)


def _run(
    url: str,
    lake: Lake,
    *,
    options: FeedOptions = FAST,
    max_events: int | None = None,
    batch_posts: int = 7,
) -> tuple[StreamStats, IngestMetrics, LakeSink]:
    spec = LiveSpec("firehose", url)
    sink = LakeSink(lake, spec.app_id, batch_posts=batch_posts, batch_seconds=3600)
    metrics = IngestMetrics("firehose")
    stats = run_live(
        spec, sink, metrics, stop=threading.Event(), options=options, max_events=max_events
    )
    return stats, metrics, sink


def _landed(lake: Lake, stream: Stream) -> list[str]:
    uris = lake.read(POSTS)["uri"].to_list()
    assert set(lake.read(POST_DELETES)["uri"].to_list()) == stream.deletes
    return uris


def test_a_normal_stream_lands_every_post_once_with_relay_time_and_seq(lake: Lake) -> None:
    stream = make_stream(120)
    with relay(stream.frames) as server:
        stats, metrics, _ = _run(server.url, lake)
    uris = _landed(lake, stream)
    assert sorted(uris) == sorted(stream.posts)
    posts = lake.read(POSTS)
    first = posts.filter(posts["seq"] == 1000).row(0, named=True)
    assert first["source"] == "firehose"
    # event time is the frame's `time` (T0 + seq ms), not the record's createdAt
    assert first["event_time"].isoformat() == "2026-03-02T12:00:01+00:00"
    assert first["cid"].startswith("bafyrei")
    assert stats.events == 120 and stats.stopped_by == "--idle-exit"
    assert metrics.value("trendlake_ingest_posts_total") == len(stream.posts)
    assert metrics.value("trendlake_ingest_bytes_total") == sum(len(f) for _, f in stream.frames)
    assert server.cursors() == [None]


def test_a_malformed_frame_is_counted_and_skipped_on_the_same_connection(lake: Lake) -> None:
    stream = make_stream(60)
    bad: dict[int, bytes | str] = {
        20: b"\xa2bopx\x01",  # truncated CBOR
        30: dagcbor.encode({"op": 1, "t": "#commit"}) + dagcbor.encode({"seq": "nope"}),
        40: "a text message on a binary stream",
    }
    with relay(stream.frames, behaviour=Behaviour(inject=bad)) as server:
        stats, metrics, _ = _run(server.url, lake)
    assert sorted(_landed(lake, stream)) == sorted(stream.posts)
    assert stats.decode_errors == 3
    assert metrics.value("trendlake_ingest_decode_errors_total") == 3
    assert len(server.requests) == 1  # the connection was kept


def test_a_dropped_connection_resumes_from_the_cursor_without_gap_or_duplicate(
    lake: Lake,
) -> None:
    stream = make_stream(90)
    behaviour = Behaviour(drop_after={1: 33, 2: 20})
    with relay(stream.frames, behaviour=behaviour) as server:
        stats, metrics, _sink = _run(server.url, lake)
    uris = _landed(lake, stream)
    assert len(uris) == len(set(uris)) and set(uris) == stream.posts
    assert server.cursors() == [None, 1032, 1051]  # each resumes at the last seq received
    assert metrics.value("trendlake_ingest_reconnects_total") == 2
    assert stats.events == 90 + 2 and stats.replayed == 2  # each cursor's own event, again


def test_a_stalled_relay_is_detected_by_the_receive_timeout_and_reconnected(
    lake: Lake,
) -> None:
    stream = make_stream(50)
    behaviour = Behaviour(stall_after={1: 17})
    options = FeedOptions(recv_timeout=0.4, idle_exit=1.5, tick=0.05)  # idle > stall: no exit
    with relay(stream.frames, behaviour=behaviour) as server:
        _stats, metrics, _ = _run(server.url, lake, options=options)
    assert set(_landed(lake, stream)) == stream.posts
    # the stall, then (caught up, the local relay is silent) more until --idle-exit
    assert metrics.value("trendlake_ingest_stalls_total") >= 1
    assert server.cursors()[:2] == [None, 1016]


def test_outdated_cursor_info_is_logged_and_counted_and_the_stream_goes_on(
    lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    stream = make_stream(40)
    behaviour = Behaviour(
        drop_after={1: 10},
        on_cursor=[info_frame("OutdatedCursor", "Requested cursor exceeded limit")],
    )
    with relay(stream.frames, behaviour=behaviour) as server:
        stats, metrics, _ = _run(server.url, lake)
    assert stats.outdated_cursor == 1
    assert metrics.value("trendlake_ingest_events_total", type="#info") == 1
    assert any("outdated" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert set(_landed(lake, stream)) == stream.posts


def test_account_identity_and_sync_events_are_handled_and_advance_the_cursor(
    lake: Lake,
) -> None:
    frames = fixture_frames("account_lifecycle") + fixture_frames("deactivation")
    decoded = [(decode_frame(f).seq or 0, f) for f in frames]
    ordered = sorted(decoded, key=lambda pair: pair[0])
    with relay(ordered) as server:
        stats, metrics, _ = _run(server.url, lake)
    assert metrics.value("trendlake_ingest_events_total", type="#identity") == 1
    assert metrics.value("trendlake_ingest_events_total", type="#account") == 4
    assert metrics.value("trendlake_ingest_events_total", type="#sync") == 1
    assert lake.read(POSTS)["text"].to_list() == ["test"]
    assert lake.read(POST_DELETES).height == 1
    assert stats.last_position == 140
    assert server.cursors() == [None]


def test_max_events_stops_cleanly_and_lands_what_was_read(lake: Lake) -> None:
    stream = make_stream(80)
    with relay(stream.frames) as server:
        stats, _, sink = _run(server.url, lake, max_events=30)
    assert stats.stopped_by == "--max-events 30"
    landed = set(lake.read(POSTS)["seq"].to_list())
    assert max(landed) <= 1029 and 1029 - max(landed) < 4  # the last frames up to 30 landed
    assert sink.lake.transaction_version(POSTS, sink.app_id) == 1029


def test_a_recorded_capture_replays_to_the_same_rows_as_live(lake: Lake, tmp_path: Path) -> None:
    stream = make_stream(70)
    capture = tmp_path / "capture.frames"
    with relay(stream.frames) as server:
        recorded = record(
            server.url, capture, IngestMetrics("record"), stop=threading.Event(), options=FAST
        )
        _run(server.url, lake)
    assert recorded.frames == 70
    assert capture.read_bytes().startswith(MAGIC)
    assert [f for f in read_frames(capture)] == [f for _, f in stream.frames]  # bit for bit
    replay_lake = Lake(str(tmp_path / "replay"))
    sink = LakeSink(replay_lake, "replay", batch_posts=5, batch_seconds=3600)
    run_frames_file(capture, sink, IngestMetrics("file"))
    columns = [c for c in lake.read(POSTS).columns if c != "source"]
    live = lake.read(POSTS).select(columns).sort("uri")
    replayed = replay_lake.read(POSTS).select(columns).sort("uri")
    assert live.equals(replayed)


def test_an_unreachable_relay_is_retried_with_capped_backoff_until_idle_exit() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics = IngestMetrics("firehose")
    feed = WebSocketFeed(
        firehose_url(f"ws://127.0.0.1:{port}"),
        lambda: 42,
        metrics=metrics,
        stop=threading.Event(),
        options=FeedOptions(recv_timeout=5.0, idle_exit=0.6, tick=0.05),
        backoff=Backoff(base=0.01, cap=0.05, rng=random.Random(1)),
    )
    assert list(feed) == []  # never connected, never stuck: --idle-exit ends it
    assert feed.idle_exited
    assert feed.connections >= 5  # the cap keeps retries frequent
    assert metrics.value("trendlake_ingest_reconnects_total") == feed.connections - 1


def test_odd_records_are_landed_with_what_can_be_read(lake: Lake) -> None:
    odd = dagcbor.encode({"$type": "app.bsky.feed.post", "text": "odd", "facets": 5, "langs": 3})
    frame = commit_frame(1, "did:plc:odd", [("create", "app.bsky.feed.post/k", odd)])
    with relay([(1, frame)]) as server:
        stats, _, _ = _run(server.url, lake)
    row = lake.read(POSTS).row(0, named=True)
    assert (row["text"], row["hashtags"], row["langs"]) == ("odd", [], [])
    assert stats.decode_errors == 0


def test_record_resumes_an_existing_capture_without_duplicate_frames(tmp_path: Path) -> None:
    stream = make_stream(50)
    capture = tmp_path / "capture.frames"
    with relay(stream.frames) as server:
        first = record(
            server.url,
            capture,
            IngestMetrics("record"),
            stop=threading.Event(),
            options=FAST,
            max_events=20,
        )
        second = record(
            server.url, capture, IngestMetrics("record"), stop=threading.Event(), options=FAST
        )
    assert (first.frames, second.frames, second.replayed) == (20, 30, 1)
    assert server.cursors() == [None, 1019]
    assert list(read_frames(capture)) == [f for _, f in stream.frames]
