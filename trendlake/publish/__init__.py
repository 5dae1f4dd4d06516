"""Alert publishers: Redis and Kafka projections of the alerts Delta table.

The alerts table is the source of truth; a publisher only ever sends rows it reads from it.
Each publisher keeps its progress (the alerts table version it has fully published) in its
own store, and sends the rows that version did not have. A publisher that is down is
reported and skipped: the pipeline keeps computing, and the next run sends what was missed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import redis
from kafka.errors import KafkaError

from trendlake.config import Settings
from trendlake.lake import Lake
from trendlake.publish.base import PublishError, Sink
from trendlake.publish.pending import pending_rows

__all__ = ["PublishError", "PublishResult", "Sink", "configured_sinks", "publish", "publish_all"]

log = logging.getLogger(__name__)

# What a publisher raises when its service is away: reported, retried by the next run.
UNAVAILABLE = (redis.RedisError, KafkaError, PublishError, OSError)


@dataclass(frozen=True)
class PublishResult:
    sink: str
    sent: int = 0
    version: int | None = None  # alerts table version the sink holds
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def publish(lake: Lake, sink: Sink) -> PublishResult:
    """Bring one sink up to the alerts table's current version."""
    marked = sink.marked()
    pending = pending_rows(lake, marked)
    if pending is None:
        return PublishResult(sink.name, 0, None if marked is None else marked.version)
    sent = sink.publish(pending.rows, complete=pending.complete)
    sink.mark(pending.mark)
    return PublishResult(sink.name, sent, pending.mark.version)


def configured_sinks(settings: Settings) -> dict[str, Callable[[], Sink]]:
    """Factories of the sinks whose service is configured (unset means that sink is off)."""
    factories: dict[str, Callable[[], Sink]] = {}
    if settings.redis_url is not None:
        url = settings.redis_url.get_secret_value()

        def redis_sink() -> Sink:
            from trendlake.publish.redis_sink import RedisSink

            return RedisSink(
                url,
                prefix=settings.redis_prefix,
                stream_maxlen=settings.redis_stream_maxlen,
                ended_ttl=timedelta(seconds=settings.redis_ended_ttl_seconds),
            )

        factories["redis"] = redis_sink
    if settings.kafka_bootstrap:
        bootstrap = settings.kafka_bootstrap

        def kafka_sink() -> Sink:
            from trendlake.publish.kafka_sink import KafkaSink

            return KafkaSink(
                bootstrap, topic=settings.kafka_alerts_topic, partitions=settings.kafka_partitions
            )

        factories["kafka"] = kafka_sink
    return factories


def publish_all(lake: Lake, settings: Settings) -> list[PublishResult]:
    """Every configured sink brought up to date; one that is unreachable is reported, not raised."""
    results = []
    for name, factory in configured_sinks(settings).items():
        sink: Sink | None = None
        try:
            sink = factory()
            results.append(publish(lake, sink))
        except UNAVAILABLE as exc:
            log.warning("%s: alerts not published now (retried next run): %s", name, exc)
            results.append(PublishResult(name, error=f"{type(exc).__name__}: {exc}"))
        finally:
            if sink is not None:
                with contextlib.suppress(*UNAVAILABLE):  # a broken connection: nothing to do
                    sink.close()
    return results
