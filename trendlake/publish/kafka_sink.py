"""Alerts into Kafka: topic `trendlake.alerts`, keyed by keyword, one JSON alert per message.

The producer is idempotent with acks=all, so a retried send inside one run never doubles a
message. Across runs the topic itself is the memory: after a batch is acknowledged, the
publisher commits, for the consumer group `{topic}.publisher`, every partition's end offset
with the alerts table's mark (id @ version) as the commit's metadata: a Kafka-side mark, kept
the way a consumer keeps its offsets. The next run skips event ids found after those
offsets: a run that died between its sends and its mark left them there, so they are not
sent again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from trendlake.publish.base import PublishError
from trendlake.publish.payload import SCHEMA_VERSION, encode, to_payload
from trendlake.publish.pending import Mark

EVENT_ID = "event_id"
SCAN_SECONDS = 60.0


class KafkaSink:
    """Publishes alert rows to one topic; raises kafka.errors.KafkaError when unreachable."""

    name = "kafka"

    def __init__(self, bootstrap: str, *, topic: str, partitions: int) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.group = f"{topic}.publisher"
        self._ensure_topic(partitions)
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=self.group,
            enable_auto_commit=False,
            client_id="trendlake-alerts-publisher",
        )
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            client_id="trendlake-alerts-publisher",
        )
        self.partitions = self._partitions()

    def _ensure_topic(self, partitions: int) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="trendlake-admin")
        try:
            if self.topic not in admin.list_topics():
                # replication_factor -1: the broker's default.replication.factor
                admin.create_topics([NewTopic(self.topic, partitions, -1)], timeout_ms=30_000)
        except TopicAlreadyExistsError:
            pass  # created by a concurrent publisher
        finally:
            admin.close()

    def _partitions(self) -> list[TopicPartition]:
        deadline = time.monotonic() + SCAN_SECONDS
        while (found := self.consumer.partitions_for_topic(self.topic)) is None:
            if time.monotonic() > deadline:
                raise PublishError(f"kafka: no metadata for topic {self.topic}")
            time.sleep(0.2)
        return [TopicPartition(self.topic, p) for p in sorted(found)]

    def _committed(self) -> dict[TopicPartition, OffsetAndMetadata | None]:
        return {tp: self.consumer.committed(tp, metadata=True) for tp in self.partitions}

    def marked(self) -> Mark | None:
        marks = set()
        for committed in self._committed().values():
            if committed is None:
                return None  # a partition without a mark: treat the whole mark as absent
            marks.add(Mark.decode(committed.metadata))
        # every partition is committed at once, so they agree unless a commit was torn
        return marks.pop() if len(marks) == 1 else None

    def mark(self, mark: Mark) -> None:
        ends = self.consumer.end_offsets(self.partitions)
        self.consumer.commit(
            {tp: OffsetAndMetadata(ends[tp], mark.encode(), -1) for tp in self.partitions}
        )

    def publish(self, rows: Iterable[dict[str, Any]], *, complete: bool) -> int:
        """Send rows not already in the topic after the mark (the whole topic when `complete`)."""
        known = self._event_ids(from_start=complete)
        futures = []
        for row in rows:
            payload = to_payload(row)
            if payload["event_id"] in known:
                continue
            futures.append(
                self.producer.send(
                    self.topic,
                    key=str(payload["keyword"]).encode(),
                    value=encode(payload),
                    headers=[
                        (EVENT_ID, payload["event_id"].encode()),
                        ("schema_version", str(SCHEMA_VERSION).encode()),
                    ],
                )
            )
        self.producer.flush()
        for future in futures:
            future.get(timeout=30)  # raises the send's error: the mark must not move past it
        return len(futures)

    def _event_ids(self, *, from_start: bool) -> set[str]:
        """Event ids of the messages after the committed mark (or all), read to the end."""
        committed = self._committed()
        ends = self.consumer.end_offsets(self.partitions)
        starts = self.consumer.beginning_offsets(self.partitions)
        self.consumer.assign(self.partitions)
        todo = {}
        for tp in self.partitions:
            mark = committed[tp]
            start = starts[tp] if from_start or mark is None else max(mark.offset, starts[tp])
            if start < ends[tp]:
                self.consumer.seek(tp, start)
                todo[tp] = ends[tp]
        found: set[str] = set()
        deadline = time.monotonic() + SCAN_SECONDS
        while todo:
            if time.monotonic() > deadline:
                raise PublishError(f"kafka: could not read {self.topic} to its end")
            for tp, records in self.consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.offset < todo.get(tp, -1):
                        found.update(v.decode() for k, v in record.headers if k == EVENT_ID)
            for tp in list(todo):
                if self.consumer.position(tp) >= todo[tp]:
                    del todo[tp]
        self.consumer.assign([])
        return found

    def close(self) -> None:
        self.producer.close(timeout=10)
        self.consumer.close(autocommit=False)
