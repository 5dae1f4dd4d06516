"""The Kafka sink of `trendlake ingest`: posts and deletes onto `bsky.posts`, keyed by author DID.

Message format (schema version 1), one JSON object per event:

    {"v": 1, "type": "post" | "delete", "row": {...posts or post_deletes columns...}}

with `event_time` as integer microseconds (the relay's time) and no `event_date` (the lander
derives it). Keying by DID keeps one author's events in order on one partition.

The source cursor. A Kafka sink cannot put its cursor "in the same commit" as the rows, so it
stores, per source app id, the highest source position P such that every event at or before P
was acknowledged by the broker (acks=all), in the compacted topic `trendlake.ingest.cursors`
(key = app id, value = {"position": P}). Why a compacted topic and not headers on the posts: the
acknowledged watermark is a property of all partitions together (an event on partition 3 can be
acknowledged before an earlier one on partition 1), so the last message of one partition does not
tell it; one compacted key per source is one small read on resume. On resume the source restarts
at P and the sink skips events at or before P, as the lake sink does. A crash can resend the
events acknowledged after the last cursor write (at most `CURSOR_EVERY_SECONDS` of them):
Kafka then holds a duplicate, which every computation ignores (posts are deduplicated by URI).

Production settings for a 3-broker cluster (environment):

    TRENDLAKE_KAFKA_BOOTSTRAP=kafka-1:9092,kafka-2:9092,kafka-3:9092
    TRENDLAKE_KAFKA_PARTITIONS=12          # >= landers you will ever run; keys spread by DID
    TRENDLAKE_KAFKA_REPLICATION_FACTOR=3
    TRENDLAKE_KAFKA_MIN_INSYNC_REPLICAS=2  # with acks=all: one broker may fail, no ack is lost
    TRENDLAKE_KAFKA_COMPRESSION=zstd
"""

from __future__ import annotations

import contextlib
import logging
import time
import zlib
from collections import deque
from typing import Any, Literal

import orjson
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.codec import has_gzip, has_lz4, has_snappy, has_zstd
from kafka.errors import KafkaError, TopicAlreadyExistsError

from trendlake.config import Settings
from trendlake.errors import DecodeError, TrendlakeError
from trendlake.ingest.backoff import Backoff
from trendlake.ingest.events import Decoded
from trendlake.ingest.records import post_uri
from trendlake.ingest.sinks import SinkStats
from trendlake.models import POST_DELETES, POSTS, TABLES, UTC_MICROS
from trendlake.timeutil import LAST_MICROSECOND

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CURSOR_EVERY_SECONDS = 1.0
MessageType = Literal["post", "delete"]


class KafkaSinkError(TrendlakeError):
    """The broker refused or timed out an event; the cursor stays before it."""


class MessageError(DecodeError):
    """A message on the posts topic is not JSON or does not fit schema version 1."""


# ---------------------------------------------------------------------------------------------
# codec (pure)


def encode_event(event: Decoded) -> tuple[bytes, bytes] | None:
    """(key, value) of a post or delete event; None for events that carry no row."""
    if event.kind == "other" or event.row is None:
        return None
    value = orjson.dumps({"v": SCHEMA_VERSION, "type": event.kind, "row": event.row})
    return str(event.row["did"]).encode(), value


# Per table: (column, Python type, nullable), from the Arrow schema so the check cannot drift
# from it. Exact type checks (`type(x) is int`) also refuse JSON booleans as integers.
_Check = tuple[str, type, bool]
_KIND = {int: "int", str: "str", list: "strlist"}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _checks(table: str) -> tuple[_Check, ...]:
    out: list[_Check] = []
    for field in TABLES[table].schema:
        if field.name == "event_date":
            continue  # derived by the lander from event_time
        if field.type == UTC_MICROS or str(field.type) == "int64":
            expected: type = int
        elif str(field.type) == "string":
            expected = str
        else:
            expected = list
        out.append((field.name, expected, field.nullable))
    return tuple(out)


_CHECKS: dict[str, tuple[_Check, ...]] = {"post": _checks(POSTS), "delete": _checks(POST_DELETES)}


def decode_message(value: bytes | None) -> tuple[MessageType, dict[str, Any]]:
    """The (type, row) of one message; raises MessageError saying what is wrong."""
    if value is None:
        raise MessageError("empty message (tombstone)")
    try:
        message = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise MessageError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise MessageError("not a JSON object")
    if message.get("v") != SCHEMA_VERSION:
        raise MessageError(f"unsupported schema version {message.get('v')!r}")
    kind = message.get("type")
    checks = _CHECKS.get(kind) if isinstance(kind, str) else None
    if checks is None:
        raise MessageError(f"unknown type {kind!r}")
    row = message.get("row")
    if not isinstance(row, dict):
        raise MessageError("row is not an object")
    # The hot loop of the lander: plain type checks, no per-field function calls.
    for name, expected, nullable in checks:
        cell = row.get(name)
        if cell is None:
            if not nullable:
                raise MessageError(f"row.{name} is missing")
            continue
        if type(cell) is not expected:
            raise MessageError(f"row.{name} is not a {_KIND[expected]}")
        if isinstance(cell, list):
            for item in cell:
                if type(item) is not str:
                    raise MessageError(f"row.{name} is not a strlist")
        elif isinstance(cell, int) and not _INT64_MIN <= cell <= _INT64_MAX:
            # Arrow would refuse the whole batch: one such message must not block landing.
            raise MessageError(f"row.{name} is out of the int64 range")
    if not 0 < row["event_time"] <= LAST_MICROSECOND:
        # In int64 but past the year 9999: the Delta writer would panic on the whole batch.
        raise MessageError("row.event_time is not a time from 1970 to 9999")
    if row["uri"] != post_uri(row["did"], row["rkey"]):
        raise MessageError("row.uri does not match row.did and row.rkey")
    return kind, row  # type: ignore[return-value]


def pick_compression(wanted: str) -> str | None:
    """The wanted codec if this kafka-python can use it, else the best one it can (zstd first)."""
    available = {"zstd": has_zstd, "lz4": has_lz4, "gzip": has_gzip, "snappy": has_snappy}
    if wanted == "none":
        return None
    for name in (wanted, "zstd", "lz4", "gzip"):
        if available[name]():
            if name != wanted:
                log.warning("compression %s is not available here; using %s", wanted, name)
            return name
    return None


# ---------------------------------------------------------------------------------------------
# topics and clients


def topic_specs(settings: Settings) -> dict[str, dict[str, Any]]:
    """Topics trendlake creates when missing, with partitions, replication and configs."""
    durable = {"min.insync.replicas": str(settings.kafka_min_insync_replicas)}
    replication = settings.kafka_replication_factor
    return {
        settings.kafka_posts_topic: {
            "num_partitions": settings.kafka_partitions,
            "replication_factor": replication,
            "configs": durable,
        },
        settings.kafka_dlq_topic: {
            "num_partitions": 1,
            "replication_factor": replication,
            "configs": durable,
        },
        # One partition: a handful of keys, read whole on every resume; compaction keeps the
        # latest cursor per source.
        settings.kafka_cursor_topic: {
            "num_partitions": 1,
            "replication_factor": replication,
            "configs": {**durable, "cleanup.policy": "compact", "segment.ms": "3600000"},
        },
    }


def ensure_topics(settings: Settings, names: list[str] | None = None, *, tries: int = 8) -> None:
    """Create the missing topics; retries with exponential backoff while the broker is away."""
    specs = topic_specs(settings)
    wanted = {name: specs[name] for name in (names or list(specs))}
    backoff = Backoff(base=0.5, cap=10.0)
    for attempt in range(tries):
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=_servers(settings), client_id="trendlake-admin"
            )
            try:
                missing = {n: s for n, s in wanted.items() if n not in set(admin.list_topics())}
                # Another process may create one between our list and create: that is fine.
                with contextlib.suppress(TopicAlreadyExistsError):
                    if missing:
                        admin.create_topics(missing, timeout_ms=30_000, wait_for_metadata=True)
            finally:
                admin.close()
            return
        except KafkaError as exc:
            if attempt == tries - 1:
                raise KafkaSinkError(f"cannot create Kafka topics: {exc}") from exc
            delay = backoff.next_delay()
            log.warning("Kafka not ready (%s); retrying in %.1f s", exc, delay)
            time.sleep(delay)


def make_producer(settings: Settings, client_id: str) -> KafkaProducer:
    """A durable, batching producer: acks from every in-sync replica, idempotent retries."""
    return KafkaProducer(
        bootstrap_servers=_servers(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,  # retries never duplicate or reorder within a partition
        compression_type=pick_compression(settings.kafka_compression),
        linger_ms=settings.kafka_linger_ms,
        batch_size=settings.kafka_batch_bytes,
        delivery_timeout_ms=settings.kafka_delivery_timeout_ms,
        request_timeout_ms=30_000,
        retry_backoff_ms=200,
        # Reconnects back off exponentially (with jitter) up to the cap while a broker is down.
        reconnect_backoff_ms=100,
        reconnect_backoff_max_ms=10_000,
        max_in_flight_requests_per_connection=5,
    )


def _servers(settings: Settings) -> list[str]:
    if not settings.kafka_bootstrap:
        raise KafkaSinkError("TRENDLAKE_KAFKA_BOOTSTRAP is not set")
    return [s.strip() for s in settings.kafka_bootstrap.split(",") if s.strip()]


def read_cursor(settings: Settings, app_id: str) -> int | None:
    """The last acknowledged position stored for `app_id` (None: never stored)."""
    partition = TopicPartition(settings.kafka_cursor_topic, 0)
    consumer = KafkaConsumer(
        bootstrap_servers=_servers(settings),
        client_id="trendlake-cursor-reader",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    try:
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        end = consumer.end_offsets([partition])[partition]
        position: int | None = None
        key = app_id.encode()
        while consumer.position(partition) < end:
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    if record.key == key and record.value is not None:
                        position = int(orjson.loads(record.value)["position"])
        return position
    finally:
        consumer.close(autocommit=False)


# ---------------------------------------------------------------------------------------------
# the sink


class KafkaSink:
    """Sends events as they come; advances the stored cursor over acknowledged events only."""

    def __init__(
        self,
        producer: KafkaProducer,
        settings: Settings,
        app_id: str,
        *,
        resume: int | None = None,
        cursor_every: float = CURSOR_EVERY_SECONDS,
    ) -> None:
        self.producer = producer
        self.topic = settings.kafka_posts_topic
        self.cursor_topic = settings.kafka_cursor_topic
        self.app_id = app_id
        self.cursor_every = cursor_every
        self.stats = SinkStats()
        self._resume = resume
        self._stored = resume  # the cursor last written to the cursor topic
        self._complete = resume  # every event at or before it is acknowledged
        self._popped: int | None = None  # position of the last acknowledged entry
        # (position, kind, future) in send order; kind None for events without a message.
        self._inflight: deque[tuple[int, str | None, Any]] = deque()
        self._last_cursor = time.monotonic()
        self._cursor_future: Any = None
        # Read once: partitions added to the topic later are used after a restart.
        self._partitions = sorted(producer.partitions_for(self.topic) or {0})
        self._since_check = 0
        self._closed = False

    def resume_position(self) -> int | None:
        return self._resume

    def add(self, event: Decoded) -> None:
        if self._resume is not None and event.position <= self._resume:
            if event.kind != "other":
                self.stats.already_landed += 1
            return
        encoded = encode_event(event)
        if encoded is None:
            self._inflight.append((event.position, None, None))
        else:
            key, value = encoded
            # CRC32 of the key picks the partition, as librdkafka's default partitioner does for
            # keyed messages: same author, same partition, and it costs far less per message than
            # kafka-python's pure-Python murmur2 (the producer's hot path).
            partition = self._partitions[zlib.crc32(key) % len(self._partitions)]
            future = self.producer.send(self.topic, key=key, value=value, partition=partition)
            self._inflight.append((event.position, event.kind, future))
        self._since_check += 1
        if self._since_check >= 512:  # reading the clock per event costs more than it tells
            self._since_check = 0
            self.flush_if_due()

    def flush_if_due(self) -> None:
        """Store the acknowledged cursor if it moved; live sources call it between events."""
        self._drain(final=False)
        if time.monotonic() - self._last_cursor >= self.cursor_every:
            self._store_cursor()

    def close(self) -> None:
        """Wait for every buffered event's acknowledgement, then store the final cursor."""
        if self._closed:
            return
        self._closed = True
        try:
            self.producer.flush()
            self._drain(final=True)
            self._store_cursor()
            self.producer.flush()
            if self._cursor_future is not None and self._cursor_future.failed():
                raise KafkaSinkError(f"cannot store the cursor: {self._cursor_future.exception}")
        finally:
            self.producer.close()

    def _drain(self, *, final: bool) -> None:
        inflight = self._inflight
        while inflight:
            position, kind, future = inflight[0]
            if future is not None:
                if not future.is_done:
                    break
                if future.exception is not None:
                    # Stop here: the cursor must not pass an event the broker did not take.
                    raise KafkaSinkError(
                        f"Kafka did not acknowledge the event at position {position}: "
                        f"{future.exception}"
                    )
                if kind == "post":
                    self.stats.posts += 1
                else:
                    self.stats.deletes += 1
            inflight.popleft()
            if self._popped is not None and position != self._popped:
                self._complete = self._popped
            self._popped = position
        # One source position can carry several events (a firehose commit creating posts): the
        # position is complete only once an event with a later position is acknowledged, or
        # at close when no more can come.
        if self._popped is not None and (final or (inflight and inflight[0][0] != self._popped)):
            self._complete = self._popped

    def _store_cursor(self) -> None:
        self._last_cursor = time.monotonic()
        if self._complete is None or self._complete == self._stored:
            return
        value = orjson.dumps({"position": self._complete, "at": time.time()})
        self._cursor_future = self.producer.send(
            self.cursor_topic, key=self.app_id.encode(), value=value
        )
        self._stored = self._complete
        self.stats.commits += 1


def make_kafka_sink(settings: Settings, app_id: str) -> KafkaSink:
    """The sink `trendlake ingest --sink kafka` uses: topics ensured, cursor read back."""
    ensure_topics(settings)
    resume = read_cursor(settings, app_id)
    producer = make_producer(settings, f"trendlake-ingest-{app_id.replace('/', '-')}")
    return KafkaSink(producer, settings, app_id, resume=resume)
