"""The lake on S3 (moto's S3 server standing in for MinIO): ingest, process, read back."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from deltalake import DeltaTable

from trendlake import synth
from trendlake.config import Settings
from trendlake.ingest.runner import file_app_id, ingest_file
from trendlake.lake import Lake
from trendlake.models import ALERTS, KEYWORD_COUNTS, POSTS, TABLES, TREND_SCORES
from trendlake.pipeline import run_all
from trendlake.planner import plan_run, progress_mark, read_state

pytestmark = pytest.mark.integration


@pytest.fixture
def s3_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    endpoint = os.environ.get("TRENDLAKE_TEST_S3_ENDPOINT")
    if not endpoint:
        pytest.skip("TRENDLAKE_TEST_S3_ENDPOINT is not set: start scripts/services/services up s3")
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    for name, value in {
        "TRENDLAKE_LAKE_URI": f"s3://{bucket}/trendlake",
        "TRENDLAKE_S3_ENDPOINT": endpoint,
        "TRENDLAKE_S3_ACCESS_KEY_ID": "testing",
        "TRENDLAKE_S3_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_the_whole_path_runs_on_an_s3_lake(s3_settings: Settings, tmp_path: Path) -> None:
    stream = tmp_path / "s.jsonl.gz"
    synth.generate(stream, hours=1.5, seed=3, posts_per_minute=60)
    lake = Lake.from_settings(s3_settings)
    assert lake.uri.startswith("s3://")
    stats = ingest_file(stream, lake, s3_settings)
    assert stats.sink.posts > 0
    assert lake.transaction_version(POSTS, file_app_id(stream)) is not None

    plan = plan_run(lake, timedelta(seconds=10))
    assert plan is not None
    mark = progress_mark(lake, plan.span.end, plan.posts_version)
    results = run_all(lake, plan.span, s3_settings, metadata=mark)
    assert results[KEYWORD_COUNTS].rows > 0 and results[TREND_SCORES].rows > 0
    assert read_state(lake).processed_through == plan.span.end
    for name in TABLES:
        if name == ALERTS or lake.table(name) is not None:
            table = DeltaTable(lake.table_uri(name), storage_options=s3_settings.storage_options)
            assert table.version() >= 0
    # A second ingest of the same file lands nothing: the cursor is in the S3 Delta log.
    again = ingest_file(stream, lake, s3_settings)
    assert again.sink.posts == 0
    assert again.sink.already_landed == stats.sink.posts + stats.sink.deletes
