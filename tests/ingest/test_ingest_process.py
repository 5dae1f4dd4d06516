"""The ingester as a real process: `kill -9` mid-stream and a restart land every post exactly
once; SIGTERM lands what was received and exits 0; logs are JSON lines with correlation ids."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ingest.ingest_relay import Behaviour, Stream, make_stream, relay
from trendlake.ingest.frames import decode_frame
from trendlake.ingest.sinks import LakeSink
from trendlake.lake import Lake
from trendlake.models import POSTS

APP_ID_PREFIX = "trendlake-ingest/firehose/127.0.0.1:"


def _start(url: str, lake_dir: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRENDLAKE_LAKE_URI": str(lake_dir),
        "TRENDLAKE_BATCH_POSTS": "10",
        "TRENDLAKE_BATCH_SECONDS": "3600",
    }
    command = [sys.executable, "-m", "trendlake", "ingest", "--source", "firehose"]
    return subprocess.Popen(
        [*command, "--url", url, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_commits(lake: Lake, app_id: str, at_least: int, deadline: float = 60) -> int:
    """Poll the lake until the ingester has landed a cursor past `at_least`."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        version = lake.transaction_version(POSTS, app_id)
        if version is not None and version >= at_least:
            return version
        time.sleep(0.05)
    raise AssertionError("the ingester landed nothing")


def test_kill_9_and_restart_land_every_post_exactly_once(tmp_path: Path) -> None:
    stream = make_stream(400)
    lake_dir = tmp_path / "lake"
    lake = Lake(str(lake_dir))
    with relay(stream.frames, behaviour=Behaviour(delay=0.004)) as server:
        app_id = APP_ID_PREFIX + str(server.port)
        first = _start(server.url, lake_dir)
        landed = _wait_for_commits(lake, app_id, 1100)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        partial = lake.read(POSTS).height
        assert 0 < partial < len(stream.posts)  # killed mid-stream
        resume_at = LakeSink(lake, app_id).resume_position()
        assert resume_at is not None and resume_at <= landed

        second = _start(server.url, lake_dir, "--idle-exit", "1.5")
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err.decode()[-2000:]
        assert server.cursors()[-1] == resume_at  # resumed from the committed cursor
    uris = lake.read(POSTS)["uri"].to_list()
    assert len(uris) == len(set(uris))  # no duplicate
    assert set(uris) == stream.posts  # no gap


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_lands_what_was_received_and_exits_0_with_json_logs(
    tmp_path: Path, signum: signal.Signals
) -> None:
    stream = make_stream(300)
    lake_dir = tmp_path / "lake"
    lake = Lake(str(lake_dir))
    with relay(stream.frames, behaviour=Behaviour(delay=0.01)) as server:
        app_id = APP_ID_PREFIX + str(server.port)
        process = _start(server.url, lake_dir)
        _wait_for_commits(lake, app_id, 1020)
        process.send_signal(signum)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    lines = [json.loads(line) for line in err.decode().splitlines()]  # every line is JSON
    messages = [line["msg"] for line in lines]
    assert "connected" in messages and f"stopping on {signum.name}" in messages
    connected = next(line for line in lines if line["msg"] == "connected")
    assert connected["conn_id"] and connected["url"].startswith(server.url)
    batches = [line for line in lines if line["msg"] == "batch committed"]
    assert batches and len({b["batch_id"] for b in batches}) == len(batches)
    stopped = next(line for line in lines if line["msg"] == "stopped")
    # everything received before the signal is in the lake, cursor included
    last = stopped["position"]
    assert lake.transaction_version(POSTS, app_id) is not None
    landed_seqs = set(lake.read(POSTS)["seq"].to_list())
    expected = {seq for seq, frame in stream.frames if seq <= last and seq in _post_seqs(stream)}
    assert landed_seqs == expected


def _post_seqs(stream: Stream) -> set[int]:
    return {
        seq
        for seq, frame in stream.frames
        if any(e.kind == "post" for e in decode_frame(frame).events)
    }


def test_record_then_replay_the_capture_through_the_cli(tmp_path: Path) -> None:
    stream = make_stream(60)
    capture = tmp_path / "firehose.frames"
    env = {**os.environ, "TRENDLAKE_LAKE_URI": str(tmp_path / "lake")}
    cli = [sys.executable, "-m", "trendlake"]
    with relay(stream.frames) as server:
        recorded = subprocess.run(
            [*cli, "record", "--out", str(capture), "--url", server.url, "--max-events", "50"],
            env=env,
            capture_output=True,
            timeout=60,
        )
    assert recorded.returncode == 0, recorded.stderr.decode()[-2000:]
    replayed = subprocess.run(
        [*cli, "ingest", "--source", "file", "--format", "frames", "--file", str(capture)],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert replayed.returncode == 0, replayed.stderr.decode()[-2000:]
    first_50 = {seq for seq, _ in stream.frames[:50]}
    expected = {
        row["uri"]  # type: ignore[index]
        for seq, frame in stream.frames
        if seq in first_50
        for row in [e.row for e in decode_frame(frame).events if e.kind == "post"]
    }
    assert set(Lake(str(tmp_path / "lake")).read(POSTS)["uri"].to_list()) == expected
