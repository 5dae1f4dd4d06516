"""The live Jetstream ingester against a local Jetstream-format server (JSON and zstd)."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import zstandard

from tests.ingest.ingest_relay import T0, Behaviour, relay
from trendlake.ingest.live import FeedOptions
from trendlake.ingest.live_runner import LiveSpec, run_live
from trendlake.ingest.metrics import IngestMetrics
from trendlake.ingest.pump import StreamStats
from trendlake.ingest.sinks import LakeSink
from trendlake.lake import Lake
from trendlake.models import POSTS

FAST = FeedOptions(recv_timeout=5.0, idle_exit=0.8, tick=0.05)
BASE_US = int(T0.timestamp() * 1_000_000)


def _events(count: int) -> tuple[list[tuple[int, str]], set[str]]:
    events: list[tuple[int, str]] = []
    posts: set[str] = set()
    for i in range(count):
        time_us = BASE_US + i * 1000
        did = f"did:plc:js{i % 11:03d}"
        if i % 10 == 9:
            event = {"did": did, "time_us": time_us, "kind": "identity", "identity": {"did": did}}
        else:
            rkey = f"3ljs{i:06d}"
            event = {
                "did": did,
                "time_us": time_us,
                "kind": "commit",
                "commit": {
                    "rev": f"3l{i:011d}",
                    "operation": "create",
                    "collection": "app.bsky.feed.post",
                    "rkey": rkey,
                    "record": {
                        "$type": "app.bsky.feed.post",
                        "text": f"jetstream post {i} on the trendlake",
                        "langs": ["en"],
                        "createdAt": "2026-03-02T12:00:00Z",
                    },
                    "cid": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
                },
            }
            posts.add(f"at://{did}/app.bsky.feed.post/{rkey}")
        events.append((time_us, orjson.dumps(event).decode()))
    return events, posts


def _run(url: str, lake: Lake, zstd_dict: Path | None = None) -> StreamStats:
    spec = LiveSpec("jetstream", url, zstd_dict)
    sink = LakeSink(lake, spec.app_id, batch_posts=9, batch_seconds=3600)
    return run_live(spec, sink, IngestMetrics("jetstream"), stop=threading.Event(), options=FAST)


def test_jetstream_json_resumes_on_time_us_after_a_drop(lake: Lake) -> None:
    events, posts = _events(80)
    with relay(events, behaviour=Behaviour(drop_after={1: 37}), path="/subscribe") as server:
        stats = _run(server.url + "/subscribe?cursor=123&compress=false", lake)
    uris = lake.read(POSTS)["uri"].to_list()
    assert len(uris) == len(set(uris)) and set(uris) == posts
    queries = [parse_qs(urlsplit(r).query) for r in server.requests]
    assert all(q["wantedCollections"] == ["app.bsky.feed.post"] for q in queries)
    assert "cursor" not in queries[0]  # the user's cursor is replaced by the lake's (none yet)
    assert queries[1]["cursor"] == [str(BASE_US + 36 * 1000)]
    assert queries[0]["compress"] == ["false"]  # other parameters are kept
    assert stats.other == 8 and stats.replayed == 1
    assert set(lake.read(POSTS)["source"].to_list()) == {"jetstream"}


def test_jetstream_zstd_frames_without_a_dictionary(lake: Lake) -> None:
    events, posts = _events(40)
    compressor = zstandard.ZstdCompressor()
    with relay(
        events,
        path="/subscribe",
        transform=lambda text: compressor.compress(str(text).encode()),
    ) as server:
        stats = _run(server.url + "/subscribe?compress=true", lake)
    assert set(lake.read(POSTS)["uri"].to_list()) == posts
    assert stats.decode_errors == 0


def test_jetstream_zstd_frames_with_a_dictionary(lake: Lake, tmp_path: Path) -> None:
    events, posts = _events(300)
    samples = [text.encode() for _, text in events]
    dictionary = zstandard.train_dictionary(2048, samples)
    path = tmp_path / "zstd_dictionary"
    path.write_bytes(dictionary.as_bytes())
    compressor = zstandard.ZstdCompressor(dict_data=dictionary)
    with relay(
        events[:60],
        path="/subscribe",
        transform=lambda text: compressor.compress(str(text).encode()),
    ) as server:
        stats = _run(server.url + "/subscribe", lake, zstd_dict=path)
    assert parse_qs(urlsplit(server.requests[0]).query)["compress"] == ["true"]
    assert stats.decode_errors == 0
    assert set(lake.read(POSTS)["uri"].to_list()) == {u for u in posts if int(u[-6:]) < 60}
