"""Alerts into Redis: current trends, a hash per trend, a live channel and a capped stream.

Keys and channel (prefix `TRENDLAKE_REDIS_PREFIX`, default `trendlake`):

    {prefix}:trends               ZSET  alert_id -> score of every trend not yet ended
    {prefix}:trend:{alert_id}     HASH  the trend's latest alert; expires after it ends
    {prefix}:alerts:live          channel: PUBLISH of each alert's JSON, for live listeners
    {prefix}:alerts:stream        STREAM (XADD MAXLEN ~): fields event_id, alert (JSON)
    {prefix}:alerts:published     ZSET  event_id -> minute (epoch s): what the stream holds
    {prefix}:alerts:version       mark: alerts table id @ the version fully published

Exactly-once into the stream: one Lua script per alert checks the dedup set, adds to it and
XADDs, atomically, so a retried batch or two racing publishers cannot add an alert twice.
Explicit stream ids derived from the row were the alternative; they fail for a recomputed
minute older than the stream's last id (ids must grow), so the stream keeps `*` ids.
The version mark lives in Redis on purpose: a Redis restarted without persistence loses the
mark together with the data, and the next run republishes every alert into the empty store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, timedelta
from typing import Any

import redis

from trendlake.publish.payload import encode, to_payload
from trendlake.publish.pending import Mark

BATCH = 500
# Dedup entries older than this (event time, behind the alert being published) are dropped:
# only a full republish after a lost mark reaches that far back.
DEDUP_HORIZON = timedelta(days=30)

_PUBLISH = """
local published, stream, trends, trend = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local event_id, minute, payload, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local maxlen, alert_id, score, status = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local ttl_ms, horizon = ARGV[9], ARGV[10]
if redis.call('ZSCORE', published, event_id) then
  return 0
end
redis.call('ZADD', published, minute, event_id)
redis.call('ZREMRANGEBYSCORE', published, '-inf', '(' .. horizon)
redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'event_id', event_id, 'alert', payload)
-- a recomputed older minute is still an event, but must not roll the trend's state back
local shown = tonumber(redis.call('HGET', trend, 'minute_epoch'))
if shown == nil or shown <= tonumber(minute) then
  redis.call('HSET', trend, 'minute_epoch', minute, unpack(ARGV, 11))
  if status == 'ended' then
    redis.call('ZREM', trends, alert_id)
    redis.call('PEXPIRE', trend, ttl_ms)
  else
    redis.call('ZADD', trends, score, alert_id)
    redis.call('PERSIST', trend)
  end
end
redis.call('PUBLISH', channel, payload)
return 1
"""


class RedisKeys:
    """Every Redis name trendlake uses, from one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.trends = f"{prefix}:trends"
        self.live = f"{prefix}:alerts:live"
        self.stream = f"{prefix}:alerts:stream"
        self.published = f"{prefix}:alerts:published"
        self.version = f"{prefix}:alerts:version"

    def trend(self, alert_id: str) -> str:
        return f"{self.prefix}:trend:{alert_id}"


class RedisSink:
    """Publishes alert rows to one Redis; raises redis.RedisError when Redis is unreachable."""

    name = "redis"

    def __init__(self, url: str, *, prefix: str, stream_maxlen: int, ended_ttl: timedelta) -> None:
        self.keys = RedisKeys(prefix)
        self.stream_maxlen = stream_maxlen
        self.ended_ttl_ms = int(ended_ttl.total_seconds() * 1000)
        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self._publish = self.client.register_script(_PUBLISH)

    def marked(self) -> Mark | None:
        return Mark.decode(self.client.get(self.keys.version))

    def mark(self, mark: Mark) -> None:
        self.client.set(self.keys.version, mark.encode())

    def publish(self, rows: Iterable[dict[str, Any]], *, complete: bool) -> int:
        """Send rows (oldest first); returns how many were new to the stream.

        `complete` makes no difference here: the dedup set already covers every row.
        """
        del complete
        sent = 0
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                sent += self._send(batch)
                batch = []
        if batch:
            sent += self._send(batch)
        return sent

    def _send(self, rows: list[dict[str, Any]]) -> int:
        pipe = self.client.pipeline(transaction=False)
        for row in rows:
            payload = to_payload(row)
            minute = int(row["minute"].astimezone(UTC).timestamp())
            horizon = minute - int(DEDUP_HORIZON.total_seconds())
            fields: list[str] = []
            for name, value in payload.items():
                fields += [name, json.dumps(value) if isinstance(value, list) else str(value)]
            self._publish(
                keys=[
                    self.keys.published,
                    self.keys.stream,
                    self.keys.trends,
                    self.keys.trend(payload["alert_id"]),
                ],
                args=[
                    payload["event_id"],
                    minute,
                    encode(payload),
                    self.keys.live,
                    self.stream_maxlen,
                    payload["alert_id"],
                    repr(payload["score"]),
                    payload["status"],
                    self.ended_ttl_ms,
                    horizon,
                    *fields,
                ],
                client=pipe,
            )
        return sum(int(added) for added in pipe.execute())

    def close(self) -> None:
        self.client.close()
