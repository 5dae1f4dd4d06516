"""Kafka -> Delta landing against the real broker: exactly once through kills, outages, groups.

Every test uses its own topics and consumer group, so tests (and runs) never see each other's
messages. The broker-outage test starts a private broker on other ports (the same script, its
own state dir), so stopping it never disturbs anyone else using the shared one.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from deltalake import DeltaTable

from trendlake.config import Settings
from trendlake.ingest.events import Decoded
from trendlake.ingest.kafka_sink import make_kafka_sink, read_cursor
from trendlake.ingest.lander import Lander, land_app_id
from trendlake.ingest.records import delete_row, post_row
from trendlake.lake import Lake

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts" / "services" / "services"
T0_US = 1_772_409_600_000_000


@pytest.fixture
def bootstrap() -> str:
    value = os.environ.get("TRENDLAKE_KAFKA_BOOTSTRAP")
    if not value:
        pytest.skip(
            "TRENDLAKE_KAFKA_BOOTSTRAP is not set: start Kafka with "
            "`scripts/services/services up kafka` and `source .cache/services/env.sh`"
        )
    return value


def _env(bootstrap: str, lake: Path, partitions: int, **extra: str) -> dict[str, str]:
    """TRENDLAKE_* settings for one test: its own topics, group and lake."""
    run = uuid.uuid4().hex[:10]
    env = {
        "TRENDLAKE_KAFKA_BOOTSTRAP": bootstrap,
        "TRENDLAKE_LAKE_URI": str(lake),
        "TRENDLAKE_KAFKA_POSTS_TOPIC": f"test.posts.{run}",
        "TRENDLAKE_KAFKA_DLQ_TOPIC": f"test.posts.{run}.dlq",
        "TRENDLAKE_KAFKA_CURSOR_TOPIC": f"test.cursors.{run}",
        "TRENDLAKE_KAFKA_LANDER_GROUP": f"test-lander-{run}",
        "TRENDLAKE_KAFKA_PARTITIONS": str(partitions),
        "TRENDLAKE_LAND_BATCH_SECONDS": "1",
        "TRENDLAKE_LAND_BATCH_ROWS": "5000",
    }
    env.update(extra)
    return env


def _settings(env: dict[str, str]) -> Settings:
    fields = {k.removeprefix("TRENDLAKE_").lower(): v for k, v in env.items()}
    return Settings(**fields)  # type: ignore[arg-type]


def _events(n: int, *, deletes_every: int = 0) -> Iterator[Decoded]:
    """n posts by 300 authors (positions 0..n-1), a delete of an earlier post every k posts."""
    for i in range(n):
        did = f"did:plc:author{i % 300:03d}"
        row = post_row(
            did=did,
            rkey=f"r{i:09d}",
            cid=f"bafy{i}",
            record={"text": f"post {i} about #kafka and delta", "langs": ["en"]},
            event_time_us=T0_US + i * 1000,
            seq=None,
            source="jetstream",
        )
        yield Decoded("post", i, row)
        if deletes_every and i % deletes_every == 0:
            gone = delete_row(
                did=did,
                rkey=f"r{i:09d}",
                event_time_us=T0_US + i * 1000,
                seq=None,
                source="jetstream",
            )
            yield Decoded("delete", i, gone)


def _uri(i: int) -> str:
    return f"at://did:plc:author{i % 300:03d}/app.bsky.feed.post/r{i:09d}"


def _produce(
    settings: Settings, n: int, *, rate: float | None = None, deletes_every: int = 0
) -> Any:
    """Send n posts through the Kafka sink (optionally paced to `rate` posts/s); its stats."""
    sink = make_kafka_sink(settings, "test/source")
    started = time.monotonic()
    try:
        for event in _events(n, deletes_every=deletes_every):
            sink.add(event)
            if rate and event.kind == "post" and event.position % 500 == 0:
                ahead = event.position / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    finally:
        sink.close()
    return sink


def _landed_uris(lake: Path, table: str = "posts") -> list[str]:
    path = lake / table
    if not (path / "_delta_log").exists():
        return []
    return DeltaTable(str(path)).to_pyarrow_table(columns=["uri"]).column("uri").to_pylist()


def _lander_process(env: dict[str, str], cwd: Path, idle_exit: float | None = None) -> Any:
    command = [sys.executable, "-m", "trendlake", "land"]
    if idle_exit is not None:
        command += ["--idle-exit", str(idle_exit)]
    return subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _landed_posts_of(stderr: str) -> int:
    found = re.search(r"(\d+) posts and \d+ deletes landed", " ".join(stderr.split()))
    assert found, stderr[-2000:]
    return int(found.group(1))


# --------------------------------------------------------------------------------------------


def test_n_posts_produced_are_exactly_n_landed_and_the_source_cursor_resumes(
    bootstrap: str, tmp_path: Path
) -> None:
    env = _env(bootstrap, tmp_path / "lake", partitions=3)
    settings = _settings(env)
    n = 6000
    sink = _produce(settings, n, deletes_every=10)
    assert (sink.stats.posts, sink.stats.deletes) == (n, n // 10)
    assert read_cursor(settings, "test/source") == n - 1

    lander = Lander(Lake(str(tmp_path / "lake")), settings)
    stats = lander.run(idle_exit=4)
    landed = _landed_uris(tmp_path / "lake")
    assert len(landed) == n and set(landed) == {_uri(i) for i in range(n)}
    assert len(_landed_uris(tmp_path / "lake", "post_deletes")) == n // 10
    assert (stats.posts, stats.deletes, stats.dead_letters) == (n, n // 10, 0)

    # Each partition's next offset is in the Delta log: the end of the partition.
    from kafka import KafkaConsumer, TopicPartition

    # The group's own consumer never joins: it only reads the end and committed offsets.
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=settings.kafka_lander_group)
    try:
        parts = [TopicPartition(settings.kafka_posts_topic, p) for p in range(3)]
        ends = consumer.end_offsets(parts)
        committed = {tp: consumer.committed(tp) for tp in parts}
    finally:
        consumer.close(autocommit=False)
    table = DeltaTable(str(tmp_path / "lake" / "posts"))
    for tp in parts:
        assert table.transaction_version(land_app_id(tp.topic, tp.partition)) == ends[tp]
    assert committed == ends  # the group's Kafka offsets (monitoring only) agree on a clean stop

    # A second ingest of the same source resumes after the acknowledged cursor: nothing resent.
    again = _produce(settings, n, deletes_every=10)
    assert again.resume_position() == n - 1
    assert again.stats.posts == 0 and again.stats.already_landed == n + n // 10

    # Kafka's group offsets are not the source of truth: rewound to 0, nothing lands twice.
    from kafka.structs import OffsetAndMetadata

    rewind = KafkaConsumer(bootstrap_servers=bootstrap, group_id=settings.kafka_lander_group)
    try:
        rewind.commit({tp: OffsetAndMetadata(0, "", -1) for tp in parts})
    finally:
        rewind.close(autocommit=False)
    rerun = Lander(Lake(str(tmp_path / "lake")), settings).run(idle_exit=3)
    assert rerun.posts == 0 and len(_landed_uris(tmp_path / "lake")) == n


def test_bad_messages_go_to_the_dead_letter_topic_and_landing_goes_on(
    bootstrap: str, tmp_path: Path
) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    env = _env(bootstrap, tmp_path / "lake", partitions=1)
    settings = _settings(env)
    good = [event for event in _events(10)]
    bad = [
        b"{not json",
        orjson.dumps({"v": 2, "type": "post", "row": {}}),
        orjson.dumps({"v": 1, "type": "post", "row": {"uri": "at://x"}}),
    ]
    Lander(Lake(str(tmp_path / "lake")), settings).close()  # creates the topics
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for i, event in enumerate(good):
            value = orjson.dumps({"v": 1, "type": "post", "row": event.row})
            producer.send(settings.kafka_posts_topic, key=b"k", value=value)
            if i % 4 == 0 and bad:
                producer.send(settings.kafka_posts_topic, key=b"k", value=bad.pop())
        producer.flush()
    finally:
        producer.close()

    stats = Lander(Lake(str(tmp_path / "lake")), settings).run(idle_exit=4)
    assert stats.dead_letters == 3
    assert sorted(_landed_uris(tmp_path / "lake")) == sorted(_uri(i) for i in range(10))
    table = DeltaTable(str(tmp_path / "lake" / "posts"))
    assert table.transaction_version(land_app_id(settings.kafka_posts_topic, 0)) == 13

    consumer = KafkaConsumer(
        settings.kafka_dlq_topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    try:
        dead = list(consumer)
    finally:
        consumer.close()
    assert len(dead) == 3
    errors = [dict(m.headers)["error"].decode() for m in dead]
    assert any("not JSON" in e for e in errors)
    assert any("schema version 2" in e for e in errors)
    assert any("missing" in e for e in errors)
    assert all(
        dict(m.headers)["source"].startswith(settings.kafka_posts_topic.encode()) for m in dead
    )


def test_two_landers_in_one_group_share_the_partitions_without_duplicates(
    bootstrap: str, tmp_path: Path
) -> None:
    env = _env(bootstrap, tmp_path / "lake", partitions=4)
    settings = _settings(env)
    n = 30_000
    Lander(Lake(str(tmp_path / "lake")), settings).close()  # creates the topics
    producer = threading.Thread(target=_produce, args=(settings, n), kwargs={"rate": 4000})
    producer.start()
    landers = [_lander_process(env, tmp_path, idle_exit=8) for _ in range(2)]
    producer.join()
    outputs = [p.communicate(timeout=120) for p in landers]
    assert [p.returncode for p in landers] == [0, 0], [e[-2000:] for _, e in outputs]
    per_lander = [_landed_posts_of(err) for _, err in outputs]
    assert all(count > 0 for count in per_lander), per_lander  # both had partitions
    landed = _landed_uris(tmp_path / "lake")
    assert sum(per_lander) == len(landed) == n
    assert set(landed) == {_uri(i) for i in range(n)}


def test_landers_killed_at_random_moments_land_exactly_the_produced_posts(
    bootstrap: str, tmp_path: Path
) -> None:
    env = _env(
        bootstrap,
        tmp_path / "lake",
        partitions=4,
        TRENDLAKE_LAND_BATCH_SECONDS="0.5",
        TRENDLAKE_LAND_BATCH_ROWS="2000",
        # Static membership: a restarted lander takes its partitions back without waiting for
        # the killed one's session to expire.
        TRENDLAKE_KAFKA_LANDER_INSTANCE_ID="lander-1",
    )
    settings = _settings(env)
    n = 60_000
    Lander(Lake(str(tmp_path / "lake")), settings).close()  # creates the topics
    producer = threading.Thread(target=_produce, args=(settings, n), kwargs={"rate": 3000})
    producer.start()
    rng = random.Random(4)
    kills, versions = 0, []
    posts_log = tmp_path / "lake" / "posts" / "_delta_log"
    while producer.is_alive():
        lander = _lander_process(env, tmp_path)
        time.sleep(rng.uniform(1.5, 3.0))  # sometimes before its first commit, often during one
        lander.send_signal(signal.SIGKILL)
        lander.wait()
        kills += 1
        versions.append(len(list(posts_log.glob("*.json"))) if posts_log.exists() else 0)
    producer.join()
    assert kills >= 5  # all while the stream was being produced
    partial = len(_landed_uris(tmp_path / "lake"))
    assert 0 < partial <= n  # the killed landers landed part of the stream
    assert versions[-1] > versions[0]  # and committed between kills

    final = _lander_process(env, tmp_path, idle_exit=5)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err[-2000:]
    landed = _landed_uris(tmp_path / "lake")
    assert len(landed) == n, f"{len(landed) - len(set(landed))} duplicates"
    assert set(landed) == {_uri(i) for i in range(n)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_broker_down_for_20_seconds_while_producing_loses_nothing(
    bootstrap: str, tmp_path: Path
) -> None:
    port, controller = _free_port(), _free_port()
    services_env = {
        **os.environ,
        "VENV": str(Path(sys.executable).parents[1]),
        "TRENDLAKE_SERVICES_DIR": str(tmp_path / "services"),
        "TRENDLAKE_TEST_KAFKA_PORT": str(port),
        "TRENDLAKE_TEST_KAFKA_CONTROLLER_PORT": str(controller),
    }

    def services(*args: str, keep: bool = False) -> None:
        extra = {"TRENDLAKE_KAFKA_KEEP_DATA": "1"} if keep else {}
        subprocess.run(
            [str(SERVICES), *args, "kafka"], env={**services_env, **extra}, check=True, timeout=180
        )

    services("up")
    try:
        env = _env(f"127.0.0.1:{port}", tmp_path / "lake", partitions=3)
        settings = _settings(env)
        n = 30_000
        result: dict[str, Any] = {}

        def produce() -> None:
            try:
                result["sink"] = _produce(settings, n, rate=1500)
            except Exception as exc:  # reported by the assertion below
                result["error"] = exc

        producer = threading.Thread(target=produce)
        producer.start()
        time.sleep(4)
        services("down")
        assert producer.is_alive()  # the outage starts mid-stream
        time.sleep(20)
        services("up", keep=True)
        producer.join(timeout=240)
        assert "error" not in result, result.get("error")
        assert result["sink"].stats.posts == n
        assert read_cursor(settings, "test/source") == n - 1

        stats = Lander(Lake(str(tmp_path / "lake")), settings).run(idle_exit=4)
        landed = _landed_uris(tmp_path / "lake")
        assert stats.posts == n
        assert len(landed) == n and set(landed) == {_uri(i) for i in range(n)}
    finally:
        services("down")


def test_cli_ingest_to_kafka_then_land_gives_the_file_s_posts(
    bootstrap: str, tmp_path: Path
) -> None:
    """`trendlake ingest --sink kafka` then `trendlake land`: the lake holds the file's posts."""
    from trendlake import synth
    from trendlake.ingest.files import read_jetstream_file

    stream = tmp_path / "s.jsonl.gz"
    synth.generate(stream, hours=0.5, seed=4, posts_per_minute=40)
    expected = {e.row["uri"] for e in read_jetstream_file(stream) if e.kind == "post"}  # type: ignore[index]
    env = {**os.environ, **_env(bootstrap, tmp_path / "lake", 3)}
    run = [sys.executable, "-m", "trendlake"]
    ingest = subprocess.run(
        [*run, "ingest", "--source", "file", "--file", str(stream), "--sink", "kafka"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ingest.returncode == 0, ingest.stderr
    land = subprocess.run(
        [*run, "land", "--idle-exit", "5"], env=env, capture_output=True, text=True, timeout=180
    )
    assert land.returncode == 0, land.stderr
    landed = _landed_uris(tmp_path / "lake")
    assert len(landed) == len(set(landed)) and set(landed) == expected
    # A second ingest of the same file sends nothing: the Kafka sink's cursor resumes.
    again = subprocess.run(
        [*run, "ingest", "--source", "file", "--file", str(stream), "--sink", "kafka"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert again.returncode == 0 and " 0 posts and 0 deletes" in again.stderr.replace("\n", " "), (
        again.stderr
    )
