"""The real services that integration tests run against: Kafka, Redis and S3 (moto).

They are started by ``scripts/services/services up``, which writes the connection settings
to ``.cache/services/env.sh``; a test whose variable is missing is skipped.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from typing import Any

import pytest

from tests.conftest import require_env

pytestmark = pytest.mark.integration

RUN_ID = uuid.uuid4().hex[:12]


# --------------------------------------------------------------------------------------------
# Kafka


def test_kafka_keyed_messages_round_trip_through_a_consumer_group() -> None:
    bootstrap = require_env("TRENDLAKE_KAFKA_BOOTSTRAP")
    from kafka import DefaultSerializer, KafkaAdminClient, KafkaConsumer, KafkaProducer

    topic = f"trendlake-test-services-{RUN_ID}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-services-admin")
    try:
        admin.create_topics(
            {topic: {"num_partitions": 3, "replication_factor": 1}},
            timeout_ms=30_000,
            wait_for_metadata=True,
        )
        (described,) = admin.describe_topics([topic])
        assert len(described["partitions"]) == 3

        expected = {(f"key-{i % 10}", f"value-{i}") for i in range(100)}
        producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            key_serializer=DefaultSerializer(),
            value_serializer=DefaultSerializer(),
        )
        try:
            futures = [producer.send(topic, key=k, value=v) for k, v in sorted(expected)]
            producer.flush(timeout=30)
            produced_partition: dict[str, int] = {}
            for (key, _), future in zip(sorted(expected), futures, strict=True):
                partition = future.get(timeout=30).partition
                assert produced_partition.setdefault(key, partition) == partition
        finally:
            producer.close(timeout=10)

        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"trendlake-test-services-{RUN_ID}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            key_deserializer=DefaultSerializer(),
            value_deserializer=DefaultSerializer(),
        )
        try:
            received: list[Any] = []  # kafka's ConsumerRecords: the package is untyped
            deadline = time.monotonic() + 60
            while len(received) < len(expected) and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=1000).values():
                    received.extend(records)
            consumer.commit()
        finally:
            consumer.close()
    finally:
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()

    assert len(received) == len(expected)
    assert {(r.key, r.value) for r in received} == expected

    partitions_of_key: dict[str, set[int]] = defaultdict(set)
    for record in received:
        partitions_of_key[record.key].add(record.partition)
    assert all(len(parts) == 1 for parts in partitions_of_key.values()), partitions_of_key
    assert {k: next(iter(p)) for k, p in partitions_of_key.items()} == produced_partition
    # ten fixed keys spread over more than one of the three partitions
    assert len({next(iter(p)) for p in partitions_of_key.values()}) > 1


# --------------------------------------------------------------------------------------------
# Redis


def test_redis_strings_sorted_sets_and_ttl() -> None:
    url = require_env("TRENDLAKE_REDIS_URL")
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    prefix = f"trendlake:test-services:{RUN_ID}"
    try:
        assert client.ping()

        assert client.set(f"{prefix}:greeting", "hello")
        assert client.get(f"{prefix}:greeting") == "hello"

        zkey = f"{prefix}:trending"
        assert client.zadd(zkey, {"python": 3.0, "kafka": 5.0, "delta": 1.0}) == 3
        assert client.zrange(zkey, 0, -1) == ["delta", "python", "kafka"]
        assert client.zrange(zkey, 0, 1, desc=True, withscores=True) == [
            ("kafka", 5.0),
            ("python", 3.0),
        ]

        assert client.set(f"{prefix}:short-lived", "x", ex=1)
        assert 0 < client.pttl(f"{prefix}:short-lived") <= 1000
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


# --------------------------------------------------------------------------------------------
# S3 (moto server) + Delta Lake


def test_s3_delta_table_write_append_and_read_back() -> None:
    endpoint = require_env("TRENDLAKE_TEST_S3_ENDPOINT")
    import boto3
    import pyarrow as pa
    from botocore.exceptions import ClientError
    from deltalake import DeltaTable, write_deltalake

    credentials = {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }
    storage_options = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }
    bucket = f"trendlake-test-services-{RUN_ID}"
    s3 = boto3.client("s3", endpoint_url=endpoint, **credentials)
    s3.create_bucket(Bucket=bucket)

    uri = f"s3://{bucket}/t"
    first = pa.table({"id": [1, 2, 3], "word": ["alpha", "beta", "gamma"]})
    second = pa.table({"id": [4, 5], "word": ["delta", "epsilon"]})
    write_deltalake(uri, first, storage_options=storage_options)
    write_deltalake(uri, second, mode="append", storage_options=storage_options)

    table = DeltaTable(uri, storage_options=storage_options)
    assert table.version() == 1
    rows = sorted(zip(*table.to_pyarrow_table().to_pydict().values(), strict=True))
    assert rows == [(1, "alpha"), (2, "beta"), (3, "gamma"), (4, "delta"), (5, "epsilon")]

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="t/")["Contents"]]
    assert "t/_delta_log/00000000000000000000.json" in keys
    assert "t/_delta_log/00000000000000000001.json" in keys

    # The Delta log relies on put-if-absent: the server must refuse to overwrite a commit.
    with pytest.raises(ClientError) as refused:
        s3.put_object(
            Bucket=bucket, Key="t/_delta_log/00000000000000000001.json", Body=b"{}", IfNoneMatch="*"
        )
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
