"""The pure parts of the Kafka path: the message codec, the acknowledged cursor, topic specs."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import orjson
import pyarrow as pa
import pytest

from trendlake.config import Settings
from trendlake.ingest.events import Decoded
from trendlake.ingest.kafka_sink import (
    KafkaSink,
    KafkaSinkError,
    MessageError,
    decode_message,
    encode_event,
    pick_compression,
    topic_specs,
)
from trendlake.ingest.lander import land_app_id
from trendlake.ingest.records import delete_row, post_row
from trendlake.ingest.sinks import rows_to_table
from trendlake.models import POST_DELETES, POSTS

T_US = 1_772_409_600_123_456


def _post(i: int = 1) -> dict[str, Any]:
    return post_row(
        did="did:plc:alice",
        rkey=f"r{i}",
        cid="bafy",
        record={
            "text": "hello #kafka",
            "langs": ["en"],
            "createdAt": "2026-03-02T00:00:00Z",
            "facets": [{"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "kafka"}]}],
        },
        event_time_us=T_US,
        seq=42,
        source="firehose",
    )


def _delete() -> dict[str, Any]:
    return delete_row(
        did="did:plc:bob", rkey="r9", event_time_us=T_US, seq=None, source="jetstream"
    )


def test_post_round_trips_with_did_key_and_schema_version() -> None:
    key, value = encode_event(Decoded("post", 7, _post())) or (b"", b"")
    assert key == b"did:plc:alice"
    message = orjson.loads(value)
    assert message["v"] == 1 and message["type"] == "post"
    assert message["row"]["event_time"] == T_US  # integer microseconds, not a string
    assert decode_message(value) == ("post", _post())


def test_delete_round_trips() -> None:
    _, value = encode_event(Decoded("delete", 8, _delete())) or (b"", b"")
    assert decode_message(value) == ("delete", _delete())


def test_events_without_a_row_are_not_sent() -> None:
    assert encode_event(Decoded("other", 9)) is None


def test_decoded_rows_build_the_tables_arrow_batch() -> None:
    _, value = encode_event(Decoded("post", 7, _post())) or (b"", b"")
    table = rows_to_table([decode_message(value)[1]], POSTS)
    assert table.schema.field("event_time").type == pa.timestamp("us", tz="UTC")
    assert table.column("event_date")[0].as_py().isoformat() == "2026-03-02"
    assert table.column("hashtags").to_pylist() == [["kafka"]]
    _, value = encode_event(Decoded("delete", 8, _delete())) or (b"", b"")
    assert rows_to_table([decode_message(value)[1]], POST_DELETES).num_rows == 1


def _with(row_change: dict[str, Any], **message: Any) -> bytes:
    row = {**_post(), **row_change}
    return orjson.dumps({"v": 1, "type": "post", "row": row, **message})


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "tombstone"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_with({}, v=2), "schema version"),
        (_with({}, type="like"), "unknown type"),
        (orjson.dumps({"v": 1, "type": "post", "row": "x"}), "row is not an object"),
        (_with({"uri": None}), "row.uri is missing"),
        (_with({"event_time": "2026-03-02T00:00:00Z"}), "row.event_time is not a int"),
        (_with({"event_time": True}), "row.event_time is not a int"),
        (_with({"seq": 2**63}), "row.seq is out of the int64 range"),
        # In int64, past the year 9999: the Delta writer would panic on the whole batch.
        (_with({"event_time": 9 * 10**18}), "not a time from 1970 to 9999"),
        (_with({"event_time": -1}), "not a time from 1970 to 9999"),
        (_with({"text": 5}), "row.text is not a str"),
        (_with({"langs": ["en", 3]}), "row.langs is not a strlist"),
        (_with({"uri": "at://did:plc:mallory/app.bsky.feed.post/r1"}), "does not match"),
    ],
)
def test_bad_messages_say_what_is_wrong(value: bytes | None, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        decode_message(value)


def test_optional_columns_may_be_absent() -> None:
    row = {k: v for k, v in _post().items() if k in ("uri", "did", "rkey", "event_time", "source")}
    assert decode_message(orjson.dumps({"v": 1, "type": "post", "row": row}))[1] == row


def test_compression_falls_back_to_an_available_codec() -> None:
    assert pick_compression("none") is None
    assert pick_compression("zstd") == "zstd"  # zstandard is a dependency
    assert pick_compression("lz4") in {"lz4", "zstd"}


def test_topic_specs_follow_the_settings() -> None:
    settings = Settings(
        kafka_partitions=12, kafka_replication_factor=3, kafka_min_insync_replicas=2
    )
    specs = topic_specs(settings)
    posts = specs["bsky.posts"]
    assert (posts["num_partitions"], posts["replication_factor"]) == (12, 3)
    assert posts["configs"]["min.insync.replicas"] == "2"
    cursors = specs["trendlake.ingest.cursors"]
    assert cursors["num_partitions"] == 1 and cursors["configs"]["cleanup.policy"] == "compact"


def test_land_app_id_names_topic_and_partition() -> None:
    assert land_app_id("bsky.posts", 3) == "trendlake-land/bsky.posts/3"


# --------------------------------------------------------------------------------------------
# the acknowledged cursor (a recording stand-in for the producer: no network in unit tests)


class _Future:
    def __init__(self) -> None:
        self.is_done = False
        self.exception: Exception | None = None

    def failed(self) -> bool:
        return self.is_done and self.exception is not None


class _Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.futures: list[_Future] = []

    def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def send(
        self, topic: str, key: bytes | None = None, value: bytes = b"", partition: int = 0
    ) -> _Future:
        self.sent.append((topic, key, value))
        future = _Future()
        self.futures.append(future)
        return future

    def flush(self) -> None:
        for future in self.futures:
            future.is_done = True

    def close(self) -> None:
        pass


def _cursors(producer: _Producer) -> list[int]:
    return [
        orjson.loads(value)["position"]
        for topic, _, value in producer.sent
        if topic == "trendlake.ingest.cursors"
    ]


def _sink(producer: _Producer, resume: int | None = None) -> KafkaSink:
    return KafkaSink(producer, Settings(), "src", resume=resume, cursor_every=0.0)


def test_cursor_advances_only_over_acknowledged_events() -> None:
    producer = _Producer()
    sink = _sink(producer)
    for position in (1, 2, 2, 3):
        sink.add(Decoded("post", position, _post(position)))
    producer.futures[0].is_done = True  # position 1
    producer.futures[1].is_done = True  # the first of position 2's two events
    producer.futures[3].is_done = True  # position 3, acknowledged out of order
    sink.flush_if_due()
    assert _cursors(producer) == [1]  # not 2: one of its events is unacknowledged
    producer.futures[2].is_done = True
    sink.flush_if_due()
    assert _cursors(producer)[-1] == 2  # 3 is the newest position: more of it may come
    sink.close()
    assert _cursors(producer)[-1] == 3
    assert sink.stats.posts == 4


def test_a_position_is_complete_only_when_a_later_one_is_acknowledged_or_at_close() -> None:
    producer = _Producer()
    sink = _sink(producer)
    sink.add(Decoded("post", 5, _post(5)))
    producer.flush()
    sink.flush_if_due()
    assert _cursors(producer) == []  # another event of position 5 may still come
    sink.close()
    assert _cursors(producer) == [5]


def test_a_refused_event_stops_the_sink_before_the_cursor_passes_it() -> None:
    producer = _Producer()
    sink = _sink(producer)
    sink.add(Decoded("post", 1, _post(1)))
    sink.add(Decoded("post", 2, _post(2)))
    producer.futures[0].is_done = True
    producer.futures[1].is_done = True
    producer.futures[1].exception = RuntimeError("delivery timed out")
    with pytest.raises(KafkaSinkError, match="position 2"):
        sink.flush_if_due()
    assert 2 not in _cursors(producer)


def test_resume_skips_what_was_acknowledged_before() -> None:
    producer = _Producer()
    sink = _sink(producer, resume=10)
    assert sink.resume_position() == 10
    sink.add(Decoded("post", 10, _post(10)))
    sink.add(Decoded("other", 10))
    sink.add(Decoded("post", 11, _post(11)))
    assert [topic for topic, _, _ in producer.sent] == ["bsky.posts"]
    assert sink.stats.already_landed == 1


def test_land_without_kafka_is_a_one_line_input_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TRENDLAKE_KAFKA_BOOTSTRAP"}
    done = subprocess.run(
        [sys.executable, "-m", "trendlake", "land", "--idle-exit", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TRENDLAKE_KAFKA_BOOTSTRAP" in done.stderr
