"""`trendlake land`: the Kafka posts topic into the Delta `posts` and `post_deletes` tables, once.

Exactly-once effect (the kafka-delta-ingest design): every commit stores, for each partition
whose rows it holds, the partition's next offset as a Delta transaction identifier
(app id `trendlake-land/<topic>/<partition>`, version = next offset). On start and on every
rebalance the lander seeks each assigned partition to the offset recorded in Delta, so rows and
offsets can never disagree, whatever kills the process. Kafka's committed group offsets are
written after each commit for monitoring (consumer lag) only; nothing reads them back.

One batch is two commits: `post_deletes` first, then `posts`, both carrying every batch
partition's next offset. The posts commit is always made (with zero rows if need be): it marks
the batch complete, so the posts table's offsets are where a partition resumes. Should the
process die between the two, the deletes table's own offsets skip its rows on the replay.

Fencing: before committing, the lander checks that Delta still holds the offsets it started
the batch from; a lander that lost its partitions while stalled (a zombie) finds them moved and
drops its rows. delta-rs also refuses a commit whose app ids a concurrent commit wrote.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from trendlake.config import Settings
from trendlake.errors import TrendlakeError
from trendlake.ingest.kafka_sink import (
    MessageError,
    decode_message,
    ensure_topics,
    make_producer,
)
from trendlake.ingest.sinks import rows_to_table
from trendlake.lake import Lake
from trendlake.models import POST_DELETES, POSTS

log = logging.getLogger(__name__)


class LanderError(TrendlakeError):
    """The lander cannot go on (the DLQ refused a message, the lake refused a commit)."""


def land_app_id(topic: str, partition: int) -> str:
    return f"trendlake-land/{topic}/{partition}"


@dataclass
class LandStats:
    messages: int = 0
    posts: int = 0
    deletes: int = 0
    dead_letters: int = 0
    already_landed: int = 0
    commits: int = 0
    fenced: int = 0  # batches dropped because another lander had landed their partition

    def summary(self) -> str:
        return (
            f"{self.messages} messages: {self.posts} posts and {self.deletes} deletes landed in "
            f"{self.commits} commits, {self.dead_letters} to the dead-letter topic, "
            f"{self.already_landed} already landed"
        )


@dataclass
class _Part:
    """What the current batch holds of one partition."""

    anchor: int | None  # the posts offset in Delta when the batch began (None: nothing landed)
    end: int = 0  # next offset after the last message taken
    posts: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Owned:
    """An assigned partition: offsets landed in each table and the next offset to take."""

    posts_landed: int | None
    deletes_landed: int | None
    next: int


class Lander:
    """Consumes the posts topic in a group and commits micro-batches with their offsets."""

    def __init__(self, lake: Lake, settings: Settings, *, client_id: str = "trendlake-lander"):
        self.lake = lake
        self.settings = settings
        self.topic = settings.kafka_posts_topic
        self.dlq_topic = settings.kafka_dlq_topic
        self.batch_rows = settings.land_batch_rows
        self.batch_seconds = settings.land_batch_seconds
        self.stats = LandStats()
        # The consumer's IO thread runs the rebalance callbacks: the lock keeps a revoke from
        # interleaving with a batch being filled or committed.
        self._lock = threading.RLock()
        self._owned: dict[int, _Owned] = {}
        self._batch: dict[int, _Part] = {}
        self._batch_rows = 0
        self._batch_started = time.monotonic()
        self._reseek: set[int] = set()  # partitions to read again from their Delta offsets
        self._dlq_futures: list[Any] = []
        self._group_offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        ensure_topics(settings, [self.topic, self.dlq_topic])
        self.producer: KafkaProducer = make_producer(settings, f"{client_id}-dlq")
        self.consumer = KafkaConsumer(
            bootstrap_servers=[s.strip() for s in (settings.kafka_bootstrap or "").split(",")],
            client_id=client_id,
            group_id=settings.kafka_lander_group,
            group_instance_id=settings.kafka_lander_instance_id,
            enable_auto_commit=False,  # Delta holds the offsets; Kafka's are for monitoring
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=5000,
            fetch_min_bytes=64 * 1024,
            fetch_max_wait_ms=200,
            max_partition_fetch_bytes=8 * 1024 * 1024,
            # A commit of a full batch takes about a second; room for a slow object store.
            max_poll_interval_ms=300_000,
            # A lander that dies without leaving the group holds its partitions this long; the
            # broker accepts 6 s at least. (Static membership avoids the wait altogether.)
            session_timeout_ms=10_000,
            heartbeat_interval_ms=2_000,
        )
        self.consumer.subscribe([self.topic], listener=_Listener(self))

    # -- rebalance callbacks (consumer IO thread) ---------------------------------------------

    def on_assigned(self, partitions: Iterable[TopicPartition]) -> None:
        with self._lock:
            mine = [tp for tp in partitions if tp.topic == self.topic]
            self._seek_to_delta(mine)
            log.info(
                "assigned %s",
                {tp.partition: self._owned[tp.partition].posts_landed for tp in mine},
            )

    def _seek_to_delta(self, partitions: list[TopicPartition]) -> None:
        """Position each partition at the next offset its Delta commits recorded."""
        posts, deletes = self.lake.table(POSTS), self.lake.table(POST_DELETES)
        for tp in partitions:
            app_id = land_app_id(self.topic, tp.partition)
            landed = None if posts is None else posts.transaction_version(app_id)
            deleted = None if deletes is None else deletes.transaction_version(app_id)
            self._owned[tp.partition] = _Owned(landed, deleted, landed or 0)
            if landed is None:
                self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, landed)

    def on_revoked(self, partitions: Iterable[TopicPartition]) -> None:
        with self._lock:
            # Land what we hold of them while they are still ours; the next owner starts from
            # Delta. Landing (not dropping) keeps a rolling rebalance from redoing work.
            revoked = {tp.partition for tp in partitions if tp.topic == self.topic}
            if revoked & set(self._batch):
                try:
                    self._commit()
                except Exception:  # a failed commit must not keep the rows for a later one
                    log.exception("commit on revoke failed; dropping the batch")
                    self._drop_batch()
            for partition in revoked:
                self._owned.pop(partition, None)

    def on_lost(self, partitions: Iterable[TopicPartition]) -> None:
        with self._lock:
            # Evicted: the partitions may already be someone else's, so nothing is committed.
            for tp in partitions:
                self._owned.pop(tp.partition, None)
                self._batch.pop(tp.partition, None)
            self._recount()

    # -- the loop (main thread) ---------------------------------------------------------------

    def run(
        self,
        *,
        stop: threading.Event | None = None,
        idle_exit: float | None = None,
        on_commit: Callable[[LandStats], None] | None = None,
    ) -> LandStats:
        """Land until stopped (or idle for `idle_exit` seconds); the batch is landed on exit."""
        stop = stop or threading.Event()
        last_message = time.monotonic()
        try:
            while not stop.is_set():
                self._apply_reseeks()
                due_in = self.batch_seconds - (time.monotonic() - self._batch_started)
                timeout = max(0.0, min(0.5, due_in)) if self._batch else 0.5
                polled = self.consumer.poll(timeout_ms=int(timeout * 1000))
                if polled:
                    last_message = time.monotonic()
                    self._take(polled)
                if self._due():
                    self._commit()
                    if on_commit is not None:
                        on_commit(self.stats)
                if idle_exit is not None and time.monotonic() - last_message >= idle_exit:
                    log.info("idle for %.1f s: stopping", idle_exit)
                    break
            self._commit()
        finally:
            self.close()
        return self.stats

    def close(self) -> None:
        try:
            # The last asynchronous group commit may still be in flight: make the monitoring
            # offsets exact on a clean stop.
            owned = {tp: o for tp, o in self._group_offsets.items() if tp.partition in self._owned}
            if owned:
                try:
                    self.consumer.commit(owned, timeout_ms=5_000)
                except KafkaError as exc:
                    log.info("could not commit group offsets on close: %s", exc)
            self.consumer.close(autocommit=False)
        finally:
            self.producer.close()

    def _take(self, polled: dict[TopicPartition, list[Any]]) -> None:
        with self._lock:
            for tp, records in polled.items():
                owned = self._owned.get(tp.partition)
                if owned is None:
                    continue  # revoked while these were in flight: the next owner takes them
                for record in records:
                    if record.offset < owned.next:
                        self.stats.already_landed += 1
                        continue
                    self._add(tp.partition, owned, record)
                    owned.next = record.offset + 1

    def _add(self, partition: int, owned: _Owned, record: Any) -> None:
        part = self._batch.get(partition)
        if part is None:
            if not self._batch:
                self._batch_started = time.monotonic()
            part = self._batch[partition] = _Part(anchor=owned.posts_landed)
        part.end = record.offset + 1
        self.stats.messages += 1
        try:
            kind, row = decode_message(record.value)
        except MessageError as exc:
            self._dead_letter(record, str(exc))
            return
        if kind == "post":
            part.posts.append(row)
            self._batch_rows += 1
        elif owned.deletes_landed is not None and record.offset < owned.deletes_landed:
            self.stats.already_landed += 1  # landed by a batch whose posts commit did not happen
        else:
            part.deletes.append(row)
            self._batch_rows += 1

    def _dead_letter(self, record: Any, error: str) -> None:
        headers = [
            ("error", error.encode()),
            ("source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        self._dlq_futures.append(
            self.producer.send(self.dlq_topic, key=record.key, value=record.value, headers=headers)
        )
        self.stats.dead_letters += 1
        log.warning("offset %s/%s to the DLQ: %s", record.partition, record.offset, error)

    def _due(self) -> bool:
        if not self._batch:
            return False
        if self._batch_rows >= self.batch_rows:
            return True
        return time.monotonic() - self._batch_started >= self.batch_seconds

    def _commit(self) -> None:
        with self._lock:
            if not self._batch:
                return
            # Dead letters first: once the offsets are in Delta the messages are never re-read.
            if self._dlq_futures:
                self.producer.flush()
                failed = [f for f in self._dlq_futures if f.failed()]
                if failed:
                    raise LanderError(f"the dead-letter topic refused: {failed[0].exception}")
                self._dlq_futures = []
            self._fence()
            if not self._batch:
                return
            cursors = [(land_app_id(self.topic, p), part.end) for p, part in self._batch.items()]
            deletes = [row for part in self._batch.values() for row in part.deletes]
            posts = [row for part in self._batch.values() for row in part.posts]
            if deletes:
                self.lake.append(
                    POST_DELETES, rows_to_table(deletes, POST_DELETES), cursors=cursors
                )
                self.stats.commits += 1
            self.lake.append(POSTS, rows_to_table(posts, POSTS), cursors=cursors)
            self.stats.commits += 1
            self.stats.posts += len(posts)
            self.stats.deletes += len(deletes)
            offsets = {}
            for partition, part in self._batch.items():
                owned = self._owned.get(partition)
                if owned is not None:
                    owned.posts_landed = owned.deletes_landed = part.end
                offsets[TopicPartition(self.topic, partition)] = OffsetAndMetadata(part.end, "", -1)
            self._clear_batch()
        self._commit_kafka_offsets(offsets)

    def _fence(self) -> None:
        """Drop partitions whose Delta offset moved since the batch began (another lander)."""
        posts = self.lake.table(POSTS)
        for partition, part in list(self._batch.items()):
            landed = (
                None
                if posts is None
                else posts.transaction_version(land_app_id(self.topic, partition))
            )
            if landed != part.anchor:
                log.warning(
                    "partition %s was landed elsewhere (%s, not %s): dropping its rows",
                    partition,
                    landed,
                    part.anchor,
                )
                del self._batch[partition]
                self.stats.fenced += 1
                if partition in self._owned:
                    self._reseek.add(partition)
        self._recount()

    def _recount(self) -> None:
        self._batch_rows = sum(len(p.posts) + len(p.deletes) for p in self._batch.values())

    def _drop_batch(self) -> None:
        """Forget the batch; partitions still ours are read again from their Delta offsets."""
        self._reseek.update(p for p in self._batch if p in self._owned)
        self._clear_batch()

    def _apply_reseeks(self) -> None:
        with self._lock:
            still_ours = [p for p in self._reseek if p in self._owned]
            if still_ours:
                self._seek_to_delta([TopicPartition(self.topic, p) for p in still_ours])
            self._reseek.clear()

    def _clear_batch(self) -> None:
        self._batch = {}
        self._batch_rows = 0
        self._batch_started = time.monotonic()

    def _commit_kafka_offsets(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self._group_offsets.update(offsets)
        try:
            self.consumer.commit_async(offsets)
        except KafkaError as exc:  # monitoring only: a rebalance may refuse it, Delta is right
            log.info("could not commit group offsets: %s", exc)


class _Listener(ConsumerRebalanceListener):
    def __init__(self, lander: Lander) -> None:
        self.lander = lander

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.lander.on_revoked(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.lander.on_assigned(assigned)

    def on_partitions_lost(self, lost: Any) -> None:
        self.lander.on_lost(lost)


def land(
    lake: Lake,
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    idle_exit: float | None = None,
) -> LandStats:
    """Run one lander until stopped or idle; returns what it landed."""
    return Lander(lake, settings).run(stop=stop, idle_exit=idle_exit)
