"""Alert publishing against the real redis-server and Kafka broker.

The alerts come from hand-made trend scores run through the real pipeline step
(`compute_alerts`) on a local lake, range by range as the sensor would, and every test uses
its own Redis prefix and Kafka topic. The restart test runs a redis-server of its own (with an
append-only file, as production would) so stopping it disturbs no one else.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest

from tests.conftest import T0, require_env, score_row
from trendlake.config import Settings
from trendlake.lake import Lake
from trendlake.models import ALERTS, TREND_SCORES
from trendlake.pipeline import MinuteRange, compute_alerts
from trendlake.publish import publish_all
from trendlake.publish.payload import event_id, schema

pytestmark = pytest.mark.integration

M = timedelta(minutes=1)
WAIT = 30.0  # bound on every wait for a server or a message


def _scored(minute: int, score: float, keyword: str) -> dict[str, object]:
    return score_row(
        minute, score, keyword=keyword, count=40, langs=("en", "ja"), shares=(0.7, 0.3)
    )


# zorblax: new at 2 (score 12), escalates at 40 (60), cools at 41, ends at 70.
# #wave: new at 10 (15), cools at 13, ends at 42. quibble: new at 60, escalates at 62, ends at 92.
SCORES = [
    *[_scored(m, 10 + m, "zorblax") for m in range(2, 6)],
    *[_scored(m, 12, "zorblax") for m in range(6, 40)],
    _scored(40, 60, "zorblax"),
    *[_scored(m, 15, "#wave") for m in range(10, 13)],
    _scored(60, 10, "quibble"),
    _scored(62, 25, "quibble"),
]
END = T0 + 120 * M


def _settings(lake_dir: Path, **overrides: Any) -> Settings:
    run = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "lake_uri": str(lake_dir),
        "redis_url": None,
        "kafka_bootstrap": None,
        "redis_prefix": f"trendlake-test-{run}",
        "kafka_alerts_topic": f"trendlake-test-alerts-{run}",
        "kafka_partitions": 3,
        "z_threshold": 4,
        "min_authors": 8,
        "min_history_minutes": 30,
        "ended_minutes": 30,
    }
    return Settings(**(values | overrides))


def _lake(lake_dir: Path) -> Lake:
    lake = Lake(str(lake_dir))
    frame = pl.DataFrame(
        SCORES,
        schema_overrides={
            k: pl.Datetime("us", "UTC") for k in ("minute", "window_start", "window_end")
        },
    ).with_columns(date=pl.col("minute").dt.date())
    lake.replace_range(TREND_SCORES, frame.to_arrow(), T0, END)
    return lake


def _compute(lake: Lake, settings: Settings, start: int, end: int) -> None:
    compute_alerts(lake, MinuteRange(T0 + start * M, T0 + end * M), settings)


def _table_events(lake: Lake) -> list[str]:
    return [event_id(r) for r in lake.read(ALERTS).sort("minute", "kind", "keyword").to_dicts()]


def _publish_ok(lake: Lake, settings: Settings) -> dict[str, int]:
    results = publish_all(lake, settings)
    assert all(r.ok for r in results), results
    return {r.sink: r.sent for r in results}


# --------------------------------------------------------------------------------------------
# Redis


@pytest.fixture
def redis_url() -> str:
    return require_env("TRENDLAKE_REDIS_URL")


def _cleanup_redis(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def _stream(client: Any, key: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (entry_id.decode(), json.loads(fields[b"alert"])) for entry_id, fields in client.xrange(key)
    ]


def _with_scores(rows: Iterable[object]) -> list[tuple[str, float]]:
    """The (member, score) pairs of a sorted-set range read with `withscores=True` by a client
    with `decode_responses=True`: redis-py's annotation covers every other option too."""
    pairs: list[tuple[str, float]] = []
    for row in rows:
        assert isinstance(row, tuple | list)  # tuples under RESP2, lists under RESP3
        member, score = row
        assert isinstance(member, str) and isinstance(score, float)
        pairs.append((member, score))
    return pairs


def test_redis_stream_channel_and_trends_hold_each_alert_once(
    tmp_path: Path, redis_url: str
) -> None:
    import redis

    from trendlake.publish.pending import pending_rows
    from trendlake.publish.redis_sink import RedisSink

    settings = _settings(tmp_path / "lake", redis_url=redis_url)
    prefix = settings.redis_prefix
    client = redis.Redis.from_url(redis_url)
    listener = client.pubsub()
    listener.subscribe(f"{prefix}:alerts:live")
    try:
        lake = _lake(tmp_path / "lake")
        _compute(lake, settings, 0, 30)
        assert _publish_ok(lake, settings) == {"redis": 3}  # zorblax new, escalating; #wave new
        _compute(lake, settings, 30, 120)
        # A publisher that dies after sending, before its mark: the next run must not resend.
        sink = RedisSink(
            redis_url, prefix=prefix, stream_maxlen=1000, ended_ttl=timedelta(seconds=60)
        )
        pending = pending_rows(lake, sink.marked())
        assert pending is not None and len(pending.rows) > 2
        assert sink.publish(pending.rows[:2], complete=False) == 2
        sink.close()
        _compute(lake, settings, 20, 70)  # a rerun rewrites identical rows: nothing new
        sent = 2 + _publish_ok(lake, settings)["redis"]
        assert _publish_ok(lake, settings) == {"redis": 0}

        events = _table_events(lake)
        assert sent == len(events) - 3
        stream = _stream(client, f"{prefix}:alerts:stream")
        assert [alert["event_id"] for _, alert in stream] == events
        validator = jsonschema.Draft202012Validator(schema())
        for _, alert in stream:
            validator.validate(alert)

        live: list[str] = []
        deadline = time.monotonic() + WAIT
        while len(live) < len(events) and time.monotonic() < deadline:
            message = listener.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if message is not None:
                live.append(json.loads(message["data"])["event_id"])
        assert live == events

        # zorblax and #wave ended; quibble ended at 93 too: no current trend is left
        assert client.zcard(f"{prefix}:trends") == 0
        zorblax = [alert for _, alert in stream if alert["keyword"] == "zorblax"]
        assert [a["status"] for a in zorblax] == ["new", "escalating", "cooling", "ended"]
        assert zorblax[1]["score"] == 60.0  # the escalation at minute 40 carries its score
        details = client.hgetall(f"{prefix}:trend:{zorblax[0]['alert_id']}")
        assert details[b"status"] == b"ended"
        assert json.loads(details[b"langs"]) == ["en", "ja"]
    finally:
        listener.close()
        client.close()
        _cleanup_redis(redis_url, prefix)


def test_redis_ranks_current_trends_by_score_and_expires_an_ended_one(
    tmp_path: Path, redis_url: str
) -> None:
    import redis

    settings = _settings(tmp_path / "lake", redis_url=redis_url, redis_ended_ttl_seconds=2)
    prefix = settings.redis_prefix
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        lake = _lake(tmp_path / "lake")
        trends = f"{prefix}:trends"
        _compute(lake, settings, 0, 12)  # zorblax new (score 12), #wave new (15)
        _publish_ok(lake, settings)
        ranked = _with_scores(client.zrange(trends, 0, -1, withscores=True))
        assert [s for _, s in ranked] == [12.0, 15.0]
        _compute(lake, settings, 12, 41)  # zorblax escalates to 60; #wave cools
        _publish_ok(lake, settings)
        (top, score), (second, _) = _with_scores(client.zrevrange(trends, 0, -1, withscores=True))
        zorblax, wave = f"{prefix}:trend:{top}", f"{prefix}:trend:{second}"
        assert score == 60.0
        assert (client.hget(zorblax, "keyword"), client.hget(zorblax, "status")) == (
            "zorblax",
            "escalating",
        )
        assert client.hget(wave, "status") == "cooling"
        assert client.pttl(wave) == -1  # a trend that has not ended never expires
        _compute(lake, settings, 41, 43)  # #wave ends at 42
        _publish_ok(lake, settings)
        assert client.zrange(trends, 0, -1) == [top]
        assert client.hget(wave, "status") == "ended"
        assert 0 < client.pttl(wave) <= 2000
        deadline = time.monotonic() + WAIT
        while client.exists(wave) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not client.exists(wave)
        assert client.xlen(f"{prefix}:alerts:stream") == len(_table_events(lake))  # events stay
    finally:
        client.close()
        _cleanup_redis(redis_url, prefix)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A redis-server of this test's own; with `persistent`, an append-only file in `folder`.

    Without it, it runs like the test services' server: a restart starts empty.
    """

    def __init__(self, folder: Path, *, persistent: bool) -> None:
        self.folder = folder
        self.persistent = persistent
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "yes" if self.persistent else "no"]
        command += ["--appendfsync", "always", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis-server flushes its AOF and exits
            self.process.wait(timeout=WAIT)
        self.process = None


@pytest.fixture(params=[True, False], ids=["aof", "no-persistence"])
def private_redis(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str
) -> Iterator[PrivateRedis]:
    del redis_url  # the services are up; this test still runs its own server to stop it
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/services/services up redis)")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder, persistent=request.param)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_redis_stopped_and_restarted_mid_stream_loses_and_duplicates_nothing(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    import redis

    settings = _settings(tmp_path / "lake", redis_url=private_redis.url)
    stream_key = f"{settings.redis_prefix}:alerts:stream"
    lake = _lake(tmp_path / "lake")
    _compute(lake, settings, 0, 30)
    _publish_ok(lake, settings)
    client = redis.Redis.from_url(private_redis.url)
    before = _stream(client, stream_key)
    client.close()
    assert len(before) == 3

    private_redis.stop()
    _compute(lake, settings, 30, 60)  # the pipeline keeps computing while Redis is away
    (down,) = publish_all(lake, settings)
    assert down.sink == "redis" and down.error is not None and down.sent == 0
    _compute(lake, settings, 60, 90)

    private_redis.start()
    sent = _publish_ok(lake, settings)["redis"]
    _compute(lake, settings, 90, 120)
    sent += _publish_ok(lake, settings)["redis"]

    client = redis.Redis.from_url(private_redis.url)
    after = _stream(client, stream_key)
    client.close()
    events = _table_events(lake)
    assert [alert["event_id"] for _, alert in after] == events  # all of them, once, in order
    if private_redis.persistent:
        assert after[:3] == before  # what was published before the outage was not sent again
        assert sent == len(events) - 3
    else:
        # the restart emptied Redis, mark included: the next run rebuilt it from the table
        assert sent == len(events)


# --------------------------------------------------------------------------------------------
# Kafka


def test_a_plain_kafka_consumer_receives_each_alert_once(tmp_path: Path) -> None:
    bootstrap = require_env("TRENDLAKE_KAFKA_BOOTSTRAP")
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

    from trendlake.publish.kafka_sink import KafkaSink
    from trendlake.publish.pending import pending_rows

    settings = _settings(tmp_path / "lake", kafka_bootstrap=bootstrap)
    topic = settings.kafka_alerts_topic
    lake = _lake(tmp_path / "lake")
    try:
        _compute(lake, settings, 0, 30)
        assert _publish_ok(lake, settings) == {"kafka": 3}
        _compute(lake, settings, 30, 70)
        # A publisher that dies after sending, before its mark: the next run must not resend.
        sink = KafkaSink(bootstrap, topic=topic, partitions=3)
        pending = pending_rows(lake, sink.marked())
        assert pending is not None and pending.rows
        sink.publish(pending.rows, complete=pending.complete)
        sink.close()
        assert _publish_ok(lake, settings) == {"kafka": 0}
        _compute(lake, settings, 70, 120)
        _compute(lake, settings, 0, 50)  # a rerun: identical rows, nothing to send
        _publish_ok(lake, settings)
        assert _publish_ok(lake, settings) == {"kafka": 0}

        events = _table_events(lake)
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"{topic}-reader",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            assert len(partitions) == 3
            in_topic = sum(consumer.end_offsets(partitions).values())
            assert in_topic == len(events)  # the topic holds each alert exactly once
            received: list[Any] = []  # kafka's ConsumerRecords: the package is untyped
            deadline = time.monotonic() + 60
            while len(received) < in_topic and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=1000).values():
                    received.extend(records)
        finally:
            consumer.close()
        payloads = [json.loads(r.value) for r in received]
        assert sorted(p["event_id"] for p in payloads) == sorted(events)
        validator = jsonschema.Draft202012Validator(schema())
        for record, payload in zip(received, payloads, strict=True):
            validator.validate(payload)
            assert record.key.decode() == payload["keyword"]
            assert dict(record.headers)["event_id"].decode() == payload["event_id"]
        # keyed by keyword: one trend's events are in one partition, in lifecycle order
        by_partition: dict[str, set[int]] = {}
        for record, payload in zip(received, payloads, strict=True):
            by_partition.setdefault(payload["keyword"], set()).add(record.partition)
        assert all(len(p) == 1 for p in by_partition.values())
        zorblax = [p["status"] for p in payloads if p["keyword"] == "zorblax"]
        assert zorblax == ["new", "escalating", "cooling", "ended"]
    finally:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()
