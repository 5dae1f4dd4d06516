"""Firehose frame decoding on real AT Protocol data, the wire encoder, captures and helpers."""

from __future__ import annotations

import logging
from pathlib import Path

import libipld
import prometheus_client
import pytest
from atproto_client.exceptions import ModelError
from atproto_core.car import CAR
from atproto_firehose import parse_subscribe_repos_message
from atproto_subscription.frames import Frame as SdkFrame

from tests.ingest.ingest_relay import (
    FIXTURES,
    car_blocks,
    commit_frame,
    fixture_frames,
    generated_record,
    make_stream,
)
from trendlake.errors import InputError
from trendlake.ingest import dagcbor, logs
from trendlake.ingest.backoff import Backoff
from trendlake.ingest.events import Decoded
from trendlake.ingest.frames import FrameDecodeError, decode_frame
from trendlake.ingest.live_runner import frames_app_id, run_frames_file
from trendlake.ingest.metrics import IngestMetrics
from trendlake.ingest.recording import MAGIC, FrameWriter, read_frames
from trendlake.ingest.records import post_row
from trendlake.ingest.sinks import LakeSink
from trendlake.lake import Lake
from trendlake.models import POSTS


def _row(event: Decoded) -> dict[str, object]:
    """The row of a post or delete event, which always carries one."""
    assert event.row is not None
    return event.row


def test_real_relay_frames_decode_to_posts_deletes_and_account_events() -> None:
    frames = [decode_frame(f) for f in fixture_frames("post_lifecycle")]
    posts = [_row(e) for f in frames for e in f.events if e.kind == "post"]
    deletes = [_row(e) for f in frames for e in f.events if e.kind == "delete"]
    assert [p["text"] for p in posts] == ["test reply", "test post"]
    reply = posts[0]
    assert reply["did"] == "did:plc:44ybard66vv44zksje25o7dz"
    assert reply["reply_parent"] is not None
    assert reply["seq"] == 35949840 and reply["source"] == "firehose"
    assert len(deletes) == 1
    uri = deletes[0]["uri"]
    assert isinstance(uri, str) and uri.startswith("at://did:plc:44ybard66")
    kinds = [decode_frame(f).type for f in fixture_frames("account_lifecycle")]
    assert kinds == ["#identity", "#account", "#sync", "#account"]


@pytest.mark.parametrize("name", ["post_lifecycle", "legacy", "account_lifecycle"])
def test_the_atproto_sdk_reads_our_reencoded_frames_identically(name: str) -> None:
    for data in fixture_frames(name):
        ours = decode_frame(data)
        sdk = SdkFrame.from_bytes(data)
        assert sdk.type == ours.type and sdk.body["seq"] == ours.seq
        if ours.type == "#commit":
            blocks = CAR.from_bytes(sdk.body["blocks"]).blocks
            for event in ours.events:
                if event.kind == "post":
                    record = blocks[_row(event)["cid"]]
                    assert record["text"] == _row(event)["text"]


def test_the_sdk_model_rejects_real_frames_that_we_decode() -> None:
    # Real relay commits carry `blobs: null`; the SDK's strict model refuses them, which is
    # one reason the hot path decodes with libipld into plain rows instead.
    data = fixture_frames("post_lifecycle")[2]
    with pytest.raises(ModelError):
        parse_subscribe_repos_message(SdkFrame.from_bytes(data))
    assert decode_frame(data).events[0].kind == "post"
    generated = commit_frame(
        9, "did:plc:x", [("create", "app.bsky.feed.post/k", generated_record(2))]
    )
    model = parse_subscribe_repos_message(SdkFrame.from_bytes(generated))
    assert model.seq == 9 and model.ops[0].path == "app.bsky.feed.post/k"


def test_every_fixture_car_block_hashes_to_its_cid_with_our_cid_function() -> None:
    count = 0
    for car in sorted((FIXTURES / "car").glob("*.car")):
        for cid, block in car_blocks(car):
            assert dagcbor.cid_of(block) == cid
            count += 1
    assert count > 500


def test_generated_frames_are_valid_car_and_dag_cbor() -> None:
    record = generated_record(1)
    assert dagcbor.encode(libipld.decode_dag_cbor(record)) == record  # canonical encoding
    frame = commit_frame(7, "did:plc:x", [("create", "app.bsky.feed.post/3kabc", record)])
    body = libipld.decode_dag_cbor_multi(frame)[1]
    car = CAR.from_bytes(body["blocks"])
    assert str(car.root) == libipld.encode_cid(body["commit"])
    decoded = decode_frame(frame)
    assert _row(decoded.events[0])["cid"] == str(dagcbor.Link(dagcbor.cid_of(record)))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xa2bopx\x01",  # truncated
        dagcbor.encode({"op": 1, "t": "#commit"}),  # header only
        dagcbor.encode({"op": 7}) + dagcbor.encode({}),  # unknown op
        dagcbor.encode({"op": 1, "t": "#commit"}) + dagcbor.encode({"seq": 1, "repo": "d"}),
        dagcbor.frame(
            "#commit",
            {
                "seq": 1,
                "repo": "did:plc:a",
                "time": "2026-03-02T00:00:00Z",
                "blocks": b"junk",
                "ops": [
                    {
                        "action": "create",
                        "path": "app.bsky.feed.post/k",
                        "cid": dagcbor.Link(dagcbor.cid_of(b"x")),
                    }
                ],
            },
        ),
    ],
)
def test_malformed_frames_raise_a_named_decode_error(data: bytes) -> None:
    with pytest.raises(FrameDecodeError):
        decode_frame(data)


def test_a_post_whose_record_is_missing_is_counted_not_invented() -> None:
    frame = commit_frame(5, "did:plc:a", [("create", "app.bsky.feed.post/k", generated_record(1))])
    body = libipld.decode_dag_cbor_multi(frame)[1]
    body["ops"][0]["cid"] = dagcbor.Link(dagcbor.cid_of(b"other"))
    body["commit"] = dagcbor.Link(body["commit"])
    decoded = decode_frame(dagcbor.frame("#commit", body))
    assert decoded.missing_records == 1 and [e.kind for e in decoded.events] == ["other"]


def test_unknown_types_are_ignored_and_info_carries_its_name() -> None:
    assert decode_frame(dagcbor.frame("#future", {"seq": 3})).events == []
    info = decode_frame(dagcbor.frame("#info", {"name": "OutdatedCursor"}))
    assert (info.type, info.name, info.seq) == ("#info", "OutdatedCursor", None)
    error = decode_frame(dagcbor.error_frame("FutureCursor", "cursor in the future"))
    assert (error.type, error.name) == ("error", "FutureCursor")


def test_a_capture_cut_by_a_kill_reads_up_to_its_last_whole_frame(tmp_path: Path) -> None:
    path = tmp_path / "cap.frames"
    writer = FrameWriter(path)
    for n in range(3):
        writer.write(bytes([n]) * (n + 5))
    writer.close()
    with path.open("ab") as handle:
        handle.write(b"\x00\x00\x01\x00partial")
    assert list(read_frames(path)) == [bytes([n]) * (n + 5) for n in range(3)]
    resumed = FrameWriter(path)  # a restarted `record` cuts the partial tail, then appends
    resumed.write(b"next")
    resumed.close()
    assert list(read_frames(path))[-2:] == [bytes([2]) * 7, b"next"]
    bad = tmp_path / "bad.frames"
    bad.write_bytes(b"not a capture")
    with pytest.raises(InputError, match="magic"):
        list(read_frames(bad))
    assert path.read_bytes().startswith(MAGIC)


def test_a_capture_goes_into_new_folders_and_never_onto_a_folder(tmp_path: Path) -> None:
    nested = tmp_path / "captures" / "today" / "cap.frames"
    writer = FrameWriter(nested)  # as `synth --out` does, missing folders are made
    writer.write(b"one")
    writer.close()
    assert list(read_frames(nested)) == [b"one"]
    with pytest.raises(InputError, match="is a directory"):
        FrameWriter(tmp_path)


def test_backoff_grows_with_jitter_up_to_its_cap_and_resets() -> None:
    import random

    backoff = Backoff(base=0.5, cap=8.0, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(12)]
    ceilings = [min(8.0, 0.5 * 2**n) for n in range(12)]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered, not lockstep
    assert max(delays[6:]) > 4.0  # grew past the early ceilings
    backoff.reset()
    assert backoff.next_delay() <= 0.5


def test_metrics_live_in_trendlakes_own_registry() -> None:
    metrics = IngestMetrics("firehose")
    metrics.posts.labels("firehose").inc(3)
    assert metrics.value("trendlake_ingest_posts_total") == 3
    assert (
        prometheus_client.REGISTRY.get_sample_value(
            "trendlake_ingest_posts_total", {"source": "firehose"}
        )
        is None
    )
    assert b"trendlake_ingest_lag_seconds" in prometheus_client.generate_latest(metrics.registry)


def test_json_log_lines_carry_the_correlation_ids() -> None:
    import json

    record = logging.makeLogRecord(
        {"msg": "hello %s", "args": ("x",), "levelname": "WARNING", "name": "trendlake.t", "seq": 5}
    )
    token = logs.conn_id.set("c1")
    try:
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.conn_id.reset(token)
    assert line["msg"] == "hello x" and line["conn_id"] == "c1" and line["seq"] == 5
    assert line["level"] == "warning"


def test_a_batch_never_splits_the_posts_of_one_seq(lake: Lake) -> None:
    def post(rkey: str, seq: int) -> Decoded:
        row = post_row(
            did="did:plc:a",
            rkey=rkey,
            cid=None,
            record={"text": rkey},
            event_time_us=1_772_400_000_000_000 + seq,
            seq=seq,
            source="firehose",
        )
        return Decoded("post", seq, row)

    sink = LakeSink(lake, "app", batch_posts=1, batch_seconds=3600)
    for event in (post("a", 1), post("b", 2), post("c", 2)):
        sink.add(event)  # then a crash: no close
    resumed = LakeSink(lake, "app", batch_posts=1, batch_seconds=3600)
    assert resumed.resume_position() == 1
    for event in (post("b", 2), post("c", 2), post("d", 3)):
        resumed.add(event)
    resumed.close()
    assert sorted(lake.read(POSTS)["rkey"].to_list()) == ["a", "b", "c", "d"]


def test_another_capture_of_the_same_name_is_replayed_not_skipped(tmp_path: Path) -> None:
    # Two captures named alike: one of seqs 1000-1029, then one of an earlier hour (100-129).
    lake = Lake(str(tmp_path / "lake"))
    for folder, start in (("later", 1000), ("earlier", 100)):
        capture = tmp_path / folder / "capture.frames"
        capture.parent.mkdir()
        writer = FrameWriter(capture)
        for _, frame in make_stream(30, start_seq=start).frames:
            writer.write(frame)
        writer.close()
        sink = LakeSink(lake, frames_app_id(capture), batch_posts=10, batch_seconds=3600)
        run_frames_file(capture, sink, IngestMetrics("file"))
    seqs = set(lake.read(POSTS)["seq"].to_list())
    assert min(seqs) < 130 and max(seqs) >= 1000  # the earlier hour landed too
    # The same capture again, or grown by `record`, resumes where it stopped.
    assert frames_app_id(capture) == frames_app_id(capture)
    before = lake.read(POSTS).height
    run_frames_file(capture, LakeSink(lake, frames_app_id(capture)), IngestMetrics("file"))
    assert lake.read(POSTS).height == before
