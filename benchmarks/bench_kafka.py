"""Kafka path throughput and lag on this machine: produce, land, end to end, vs confluent-kafka.

Against the broker in TRENDLAKE_KAFKA_BOOTSTRAP (scripts/services/services up kafka), on fresh
topics named per run, with realistic post rows (text, langs, facets, ~560 bytes of JSON):

  produce   trendlake's KafkaSink (kafka-python, acks=all, zstd, idempotent) -> posts/s acked
  land      the Lander: poll, decode + validate, Arrow batch, Delta commit with offsets -> posts/s
  lag       producer paced at --lag-rate posts/s while a lander (--lag-batch-seconds) runs: commit
            time minus the post's send time (event_time is set to the send time), p50/p95/max
  reference confluent-kafka (librdkafka) producing and consuming the same values, same
            settings: the ratio says how much of the time is the Python client's

confluent-kafka is optional: without it the reference lines say how to install it.
Plain script, no asserts: `python benchmarks/bench_kafka.py [--posts N]`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable
from sample_words import WORDS as ALL_WORDS

from trendlake.config import Settings
from trendlake.ingest.events import Decoded
from trendlake.ingest.kafka_sink import decode_message, make_kafka_sink, pick_compression
from trendlake.ingest.lander import Lander
from trendlake.ingest.records import post_row
from trendlake.lake import Lake

CONFLUENT_PIN = "confluent-kafka==2.16.1"
WORDS = ALL_WORDS[:16]  # the texts the published figures were measured with


def events(n: int, *, start_us: int | None = None) -> list[Decoded]:
    out = []
    for i in range(n):
        did = f"did:plc:{i % 5000:024d}"
        text = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(18)) + " #bench"
        record = {
            "text": text,
            "langs": ["en"],
            "createdAt": "2026-03-02T12:00:00.000Z",
            "facets": [{"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "bench"}]}],
        }
        row = post_row(
            did=did,
            rkey=f"3l{i:011d}",
            cid=f"bafyreib{i:051d}",
            record=record,
            event_time_us=(start_us or 1_772_452_800_000_000) + i,
            seq=None,
            source="jetstream",
        )
        out.append(Decoded("post", i, row))
    return out


def run_settings(bootstrap: str, lake: str, **extra: Any) -> Settings:
    run = uuid.uuid4().hex[:8]
    return Settings(
        kafka_bootstrap=bootstrap,
        lake_uri=lake,
        kafka_posts_topic=f"bench.posts.{run}",
        kafka_dlq_topic=f"bench.posts.{run}.dlq",
        kafka_cursor_topic=f"bench.cursors.{run}",
        kafka_lander_group=f"bench-lander-{run}",
        **extra,
    )


def bench_produce(settings: Settings, batch: list[Decoded]) -> float:
    sink = make_kafka_sink(settings, "bench/source")
    started = time.perf_counter()
    for event in batch:
        sink.add(event)
    sink.close()  # every post acknowledged
    return len(batch) / (time.perf_counter() - started)


def bench_land(settings: Settings, n: int) -> tuple[float, int]:
    """Posts/s from the first message to the last full-batch commit, and the commits made.

    The tail after the last full batch waits for the batch timer by design, so it is left out.
    """
    lander = Lander(Lake(settings.lake_uri), settings)
    stop = threading.Event()
    first: list[float] = []
    last: list[tuple[float, int]] = []
    original = lander._take

    def take(polled: Any) -> None:  # time from the first message, not from the group join
        if not first:
            first.append(time.perf_counter())
        original(polled)

    lander._take = take  # type: ignore[method-assign]

    def on_commit(stats: Any) -> None:
        last.append((time.perf_counter(), stats.posts))
        if stats.posts > n - settings.land_batch_rows:
            stop.set()

    stats = lander.run(stop=stop, idle_exit=30, on_commit=on_commit)
    at, posts = last[-1]
    return posts / (at - first[0]), stats.commits


def bench_lag(
    bootstrap: str, rate: int, seconds: float, batch_seconds: float
) -> tuple[float, float, float]:
    """p50, p95 and max of (Delta commit time - send time) in seconds, over landed files."""
    with tempfile.TemporaryDirectory() as lake:
        settings = run_settings(bootstrap, lake, land_batch_seconds=batch_seconds)
        n = int(rate * seconds)
        sink = make_kafka_sink(settings, "bench/lag")
        lander = Lander(Lake(lake), settings)
        stop = threading.Event()
        thread = threading.Thread(target=lander.run, kwargs={"stop": stop, "idle_exit": 60})
        thread.start()
        time.sleep(3)  # the group join
        started = time.perf_counter()
        for i in range(n):
            (event,) = events(1, start_us=time.time_ns() // 1000)
            sink.add(Decoded("post", i, {**_row(event), "rkey": f"lag{i}", "uri": _uri(event, i)}))
            ahead = i / rate - (time.perf_counter() - started)
            if ahead > 0:
                time.sleep(ahead)
        sink.close()
        deadline = time.monotonic() + 30 + batch_seconds
        while lander.stats.posts < n and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
        thread.join()
        actions = pa.table(DeltaTable(f"{lake}/posts").get_add_actions(flatten=True))
        committed = actions.column("modification_time").cast(pa.int64())  # ms
        oldest = actions.column("min.event_time").cast(pa.int64())  # us
        newest = actions.column("max.event_time").cast(pa.int64())
        # Per file, the lag of its newest post (best case) and of its oldest (worst case).
        best = pc.subtract(pc.multiply(committed, 1000), newest).to_pylist()
        worst = pc.subtract(pc.multiply(committed, 1000), oldest).to_pylist()
        lags = sorted(x / 1e6 for x in best + worst)
        return lags[len(lags) // 2], lags[int(len(lags) * 0.95)], lags[-1]


def _row(event: Decoded) -> dict[str, object]:
    """The row of one of `events`' posts (every one has a row)."""
    assert event.row is not None
    return event.row


def _uri(event: Decoded, i: int) -> str:
    return f"at://{_row(event)['did']}/app.bsky.feed.post/lag{i}"


def confluent_reference(
    bootstrap: str, settings: Settings, batch: list[Decoded]
) -> tuple[float, float] | None:
    """Produce and consume the same messages with librdkafka; None if it is not installed."""
    try:
        from confluent_kafka import Consumer, Producer
    except ImportError:
        return None
    topic = f"bench.confluent.{uuid.uuid4().hex[:8]}"
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "compression.type": pick_compression(settings.kafka_compression) or "none",
            "linger.ms": settings.kafka_linger_ms,
            "batch.size": settings.kafka_batch_bytes,
        }
    )
    started = time.perf_counter()
    for event in batch:
        value = orjson.dumps({"v": 1, "type": event.kind, "row": event.row})
        while True:
            try:
                producer.produce(topic, value, key=str(_row(event)["did"]).encode())
                break
            except BufferError:  # the local queue is full: let librdkafka drain it
                producer.poll(0.05)
        producer.poll(0)
    producer.flush()
    produced = len(batch) / (time.perf_counter() - started)

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    got, first = 0, None
    while got < len(batch):
        for message in consumer.consume(num_messages=5000, timeout=1.0):
            if message.error():
                continue
            first = first or time.perf_counter()
            decode_message(message.value())
            got += 1
    consumed = got / (time.perf_counter() - (first or time.perf_counter()))
    consumer.close()
    return produced, consumed


def kafka_python_consume(settings: Settings, n: int) -> float:
    """The same consume+decode loop with kafka-python, without Delta: the lander's client cost."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        settings.kafka_posts_topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=5000,
        fetch_min_bytes=64 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    got, first = 0, None
    while got < n:
        for records in consumer.poll(timeout_ms=1000).values():
            first = first or time.perf_counter()
            for record in records:
                decode_message(record.value)
            got += len(records)
    rate = got / (time.perf_counter() - (first or time.perf_counter()))
    consumer.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--lag-rate", type=int, default=5_000, help="posts/s during the lag run")
    parser.add_argument("--lag-seconds", type=float, default=10.0)
    parser.add_argument(
        "--lag-batch-seconds", type=float, default=1.0, help="land batch age during the lag run"
    )
    args = parser.parse_args()
    bootstrap = os.environ.get("TRENDLAKE_KAFKA_BOOTSTRAP")
    if not bootstrap:
        raise SystemExit("set TRENDLAKE_KAFKA_BOOTSTRAP (scripts/services/services up kafka)")

    batch = events(args.posts)
    size = sum(len(orjson.dumps({"v": 1, "type": "post", "row": e.row})) for e in batch[:1000])
    with tempfile.TemporaryDirectory() as lake:
        settings = run_settings(bootstrap, lake)
        print(
            f"{args.posts:,} posts (~{size // 1000} bytes of JSON each), "
            f"{settings.kafka_partitions} partitions, compression "
            f"{pick_compression(settings.kafka_compression)}, "
            f"linger {settings.kafka_linger_ms} ms, "
            f"batch {settings.kafka_batch_bytes // 1024} KiB, land batch "
            f"{settings.land_batch_rows:,} rows / {settings.land_batch_seconds:g} s"
        )
        produced = bench_produce(settings, batch)
        landed, commits = bench_land(settings, args.posts)
        consumed = kafka_python_consume(settings, args.posts)
    print(
        f"kafka-python     {produced:10,.0f} posts/s produced   {consumed:10,.0f} consumed+decoded"
    )
    print(f"trendlake land   {landed:10,.0f} posts/s landed in Delta ({commits} commits)")
    reference = confluent_reference(bootstrap, settings, batch)
    if reference is None:
        print(f"confluent-kafka  not installed, reference skipped: pip install {CONFLUENT_PIN}")
    else:
        ck_produced, ck_consumed = reference
        print(
            f"confluent-kafka  {ck_produced:10,.0f} posts/s produced   {ck_consumed:10,.0f} "
            "consumed+decoded"
        )
        print(
            f"ratio kafka-python / confluent-kafka: produce {produced / ck_produced:.2f}, "
            f"consume {consumed / ck_consumed:.2f}"
        )
    p50, p95, worst = bench_lag(bootstrap, args.lag_rate, args.lag_seconds, args.lag_batch_seconds)
    print(
        f"end-to-end lag at {args.lag_rate:,} posts/s ({args.lag_batch_seconds:g} s land batches): "
        f"p50 {p50:.2f} s, p95 {p95:.2f} s, max {worst:.2f} s"
    )


if __name__ == "__main__":
    main()
