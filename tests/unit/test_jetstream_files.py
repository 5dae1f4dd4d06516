"""Jetstream decoding and recorded files: exact field names, bad lines counted and skipped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard

from trendlake.config import Settings
from trendlake.errors import DecodeError, InputError
from trendlake.ingest.files import read_jetstream_file
from trendlake.ingest.jetstream import decode_event
from trendlake.ingest.runner import file_app_id, ingest_file
from trendlake.lake import Lake
from trendlake.models import POSTS
from trendlake.text import extract_keywords

POST: dict[str, Any] = {  # a Jetstream event, as JSON decodes it
    "did": "did:plc:abc",
    "time_us": 1772409600123456,
    "kind": "commit",
    "commit": {
        "rev": "3lxyz",
        "operation": "create",
        "collection": "app.bsky.feed.post",
        "rkey": "3kabc",
        "cid": "bafyreiexample",
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "Solar #Eclipse today https://www.nasa.gov/x",
            "createdAt": "2020-01-01T00:00:00Z",
            "langs": ["en"],
            "reply": {
                "root": {"uri": "at://did:plc:r/app.bsky.feed.post/1", "cid": "x"},
                "parent": {"uri": "at://did:plc:p/app.bsky.feed.post/2", "cid": "y"},
            },
            "embed": {
                "$type": "app.bsky.embed.external",
                "external": {"uri": "https://www.nasa.gov/x"},
            },
            "facets": [
                {
                    "index": {"byteStart": 6, "byteEnd": 14},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Eclipse"}],
                },
                {
                    "index": {"byteStart": 21, "byteEnd": 43},
                    "features": [
                        {"$type": "app.bsky.richtext.facet#link", "uri": "https://www.nasa.gov/x"}
                    ],
                },
                {
                    "index": {"byteStart": 0, "byteEnd": 1},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:m"}],
                },
            ],
        },
    },
}


def test_post_create_becomes_a_post_row_with_event_time_from_time_us() -> None:
    decoded = decode_event(POST)
    assert decoded.kind == "post"
    row = decoded.row
    assert row is not None
    assert row["uri"] == "at://did:plc:abc/app.bsky.feed.post/3kabc"
    assert row["event_time"] == 1772409600123456
    assert row["created_at"] == "2020-01-01T00:00:00Z"  # kept as given, never used for time
    assert row["hashtags"] == ["Eclipse"]
    assert row["links"] == ["https://www.nasa.gov/x"]
    assert row["mentions"] == ["did:plc:m"]
    assert row["reply_parent"] == "at://did:plc:p/app.bsky.feed.post/2"
    assert row["reply_root"] == "at://did:plc:r/app.bsky.feed.post/1"
    assert row["embed_kind"] == "external"
    assert row["source"] == "jetstream"


def _with_record(**record: object) -> dict[str, object]:
    commit = POST["commit"]
    base = {"$type": "app.bsky.feed.post", "createdAt": "2020-01-01T00:00:00Z"}
    return {**POST, "commit": {**commit, "record": {**base, **record}}}


def _card(uri: object) -> dict[str, object]:
    return {"$type": "app.bsky.embed.external", "external": {"uri": uri, "title": "t"}}


def test_a_link_card_is_a_link_even_with_no_url_in_the_text() -> None:
    row = decode_event(_with_record(text="Big news", embed=_card("https://apnews.com/a"))).row
    assert row is not None and row["links"] == ["https://apnews.com/a"]
    quoted = {"$type": "app.bsky.embed.record", "record": {"uri": "at://x", "cid": "c"}}
    with_quote = {"$type": "app.bsky.embed.recordWithMedia", "record": quoted}
    beside_a_quote = {**with_quote, "media": _card("https://apnews.com/b")}
    row = decode_event(_with_record(text="", embed=beside_a_quote)).row
    assert row is not None and row["links"] == ["https://apnews.com/b"]
    text, langs, tags, links = row["text"], row["langs"], row["hashtags"], row["links"]
    assert isinstance(text, str) and isinstance(langs, list)
    assert isinstance(tags, list) and isinstance(links, list)
    assert extract_keywords(text, langs, tags, links) == [("apnews.com", "domain")]


def test_outline_tags_are_hashtags_too_up_to_the_lexicons_eight() -> None:
    tags = ["Eclipse", "nasa", 7, None, "nasa"] + [f"t{i}" for i in range(10)]
    event = _with_record(text="x", tags=tags, facets=POST["commit"]["record"]["facets"])
    row = decode_event(event).row
    assert row is not None
    assert row["hashtags"] == ["Eclipse", "nasa", "t0", "t1", "t2"]  # the first 8 items only
    row = decode_event(_with_record(text="x", tags="nasa")).row
    assert row is not None and row["hashtags"] == []


@pytest.mark.parametrize(
    "embed",
    [
        {"$type": "app.bsky.embed.record", "record": {"uri": "at://x", "cid": "c"}},
        {"$type": "app.bsky.embed.images", "images": []},
        {"$type": "app.bsky.embed.recordWithMedia", "media": {"$type": "app.bsky.embed.images"}},
        {"$type": "app.bsky.embed.recordWithMedia", "media": None},
        _card(None),
        _card(""),
        _card(7),
        {"$type": "app.bsky.embed.external", "external": "https://x.com"},
        {"$type": "app.bsky.embed.external"},
    ],
)
def test_no_card_link_from_other_or_malformed_embeds(embed: dict[str, object]) -> None:
    row = decode_event(_with_record(text="hello", embed=embed)).row
    assert row is not None and row["links"] == []


def test_delete_and_other_events() -> None:
    delete = {
        "did": "did:plc:abc",
        "time_us": 5,
        "kind": "commit",
        "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": "k"},
    }
    assert decode_event(delete).kind == "delete"
    like = {**POST, "commit": {**POST["commit"], "collection": "app.bsky.feed.like"}}
    assert decode_event(like).kind == "other"
    identity = {
        "did": "did:plc:abc",
        "time_us": 6,
        "kind": "identity",
        "identity": {"did": "did:plc:abc"},
    }
    assert decode_event(identity).kind == "other"


def test_a_time_us_written_as_a_whole_double_is_the_same_time() -> None:
    # JSON has one number type: tools that keep numbers as doubles write "1772409600123456.0".
    decoded = decode_event({**POST, "time_us": float(POST["time_us"])})
    assert decoded.kind == "post" and decoded.position == POST["time_us"]
    assert decoded.row["event_time"] == POST["time_us"]  # type: ignore[index]


def test_a_post_event_may_leave_out_what_its_record_implies() -> None:
    # A stream assembled by hand: no kind, no collection, no operation, no cid. The record's
    # $type says it is a post create, and it lands like one.
    commit = {k: v for k, v in POST["commit"].items() if k in ("rkey", "record")}
    sparse = {"did": POST["did"], "time_us": POST["time_us"], "commit": commit}
    decoded = decode_event(sparse)
    full = decode_event(POST)
    assert decoded.kind == "post"
    assert {**decoded.row, "cid": None} == {**full.row, "cid": None}  # type: ignore[dict-item]
    # Without a post record nothing is implied: a like stays another event.
    like = {**sparse, "commit": {"rkey": "k", "record": {"$type": "app.bsky.feed.like"}}}
    assert decode_event(like).kind == "other"


@pytest.mark.parametrize(
    "event",
    [
        [],
        {"did": "did:plc:a", "kind": "commit"},
        {**POST, "time_us": 1772409600123456.5},  # a fraction of a microsecond
        {**POST, "time_us": "1772409600123456"},
        {**POST, "time_us": True},
        {**POST, "time_us": 10**20},  # past the year 9999: no timestamp can hold it
        {**POST, "time_us": -5},
        {"did": "nope", "time_us": 1, "kind": "commit"},
        {"did": "did:plc:a", "time_us": 1, "kind": "commit"},
        {
            "did": "did:plc:a",
            "time_us": 1,
            "kind": "commit",
            "commit": {"collection": "app.bsky.feed.post", "operation": "create", "rkey": "k"},
        },
    ],
)
def test_invalid_events_raise_a_named_decoding_error(event: object) -> None:
    with pytest.raises(DecodeError):
        decode_event(event)


def test_a_file_with_an_out_of_range_time_us_skips_that_line_and_lands_the_rest(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({**POST, "time_us": 10**20}) + "\n" + json.dumps(POST) + "\n")
    lake = Lake(str(tmp_path / "lake"))
    stats = ingest_file(path, lake, Settings(lake_uri=lake.uri))
    assert (stats.sink.posts, stats.bad_lines) == (1, 1)


def _lines() -> list[bytes]:
    second = {**POST, "time_us": POST["time_us"] + 1, "commit": {**POST["commit"], "rkey": "3kabd"}}
    return [
        json.dumps(POST).encode(),
        b"{not json",
        json.dumps({"did": "x"}).encode(),
        json.dumps(second).encode(),
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_files_plain_gz_zst_skip_bad_lines_with_their_numbers(tmp_path: Path, suffix: str) -> None:
    payload = b"\n".join(_lines()) + b"\n"
    path = tmp_path / f"events{suffix}"
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress(payload))
    elif suffix.endswith(".zst"):
        path.write_bytes(zstandard.ZstdCompressor().compress(payload))
    else:
        path.write_bytes(payload)
    bad: list[int] = []
    events = list(read_jetstream_file(path, on_bad_line=lambda n, _r: bad.append(n)))
    assert [e.kind for e in events] == ["post", "post"]
    assert bad == [2, 3]


def test_a_byte_order_mark_and_windows_line_ends_cost_no_event(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(_lines()) + b"\r\n")
    bad: list[int] = []
    events = list(read_jetstream_file(path, on_bad_line=lambda n, _r: bad.append(n)))
    assert [(e.kind, e.position) for e in events] == [("post", 1), ("post", 4)]
    assert bad == [2, 3]


def test_strict_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(_lines()))
    with pytest.raises(InputError, match=r"events.jsonl:2"):
        list(read_jetstream_file(path, strict=True))


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_jetstream_file(tmp_path / "absent.jsonl"))


def test_a_file_without_one_event_is_an_input_error_naming_its_first_bad_line(
    tmp_path: Path,
) -> None:
    # The wrong file (or another format): not a stream with a few bad lines.
    path = tmp_path / "notes.txt"
    path.write_text('remember the milk\n\n{"kind": "commit"}\n')
    lake = Lake(str(tmp_path / "lake"))
    with pytest.raises(InputError, match=r"no line of .*notes.txt is a Jetstream event \(2 bad"):
        ingest_file(path, lake, Settings(lake_uri=lake.uri))
    with pytest.raises(InputError, match=r"the first notes\.txt:1: not valid JSON"):
        ingest_file(path, lake, Settings(lake_uri=lake.uri))
    # One good line among them is a stream: its bad lines are skipped, as always.
    path.write_bytes(path.read_bytes() + _lines()[0] + b"\n")
    assert ingest_file(path, lake, Settings(lake_uri=lake.uri)).bad_lines == 2


def test_a_file_out_of_time_order_lands_every_post_once(tmp_path: Path) -> None:
    # A stream assembled by hand: injected events appended after the recording they belong to.
    lines = []
    for i in range(60):
        event = json.loads(json.dumps(POST))
        event["commit"]["rkey"] = f"3k{i:04d}"
        event["time_us"] = POST["time_us"] + (60 - i if i >= 30 else i) * 1_000_000
        lines.append(json.dumps(event))
    path = tmp_path / "assembled.jsonl"
    path.write_text("\n".join(lines) + "\n")
    events = list(read_jetstream_file(path))
    assert [e.position for e in events] == list(range(1, 61))  # line numbers, not times
    lake = Lake(str(tmp_path / "lake"))
    settings = Settings(lake_uri=lake.uri, batch_posts=7)  # commits cut the file many times
    first = ingest_file(path, lake, settings)
    assert first.sink.posts == 60 and first.sink.already_landed == 0
    assert lake.read(POSTS)["uri"].n_unique() == 60
    again = ingest_file(path, lake, settings)
    assert again.sink.posts == 0 and again.sink.already_landed == 60


def _posts_file(path: Path, rkeys: range, *, pad: int = 0) -> Path:
    lines = []
    for i in rkeys:
        event = json.loads(json.dumps(POST))
        event["commit"]["rkey"] = f"3k{i:05d}"
        event["commit"]["record"]["text"] += " " + "x" * pad
        event["time_us"] = POST["time_us"] + i * 1_000_000
        lines.append(json.dumps(event))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_another_file_of_the_same_name_is_landed_not_skipped(tmp_path: Path) -> None:
    # A line number means something only in its own file: a second stream that happens to
    # share the first one's name (another folder, or regenerated) must not resume from it.
    lake = Lake(str(tmp_path / "lake"))
    settings = Settings(lake_uri=lake.uri)
    first = ingest_file(_posts_file(tmp_path / "a" / "stream.jsonl", range(40)), lake, settings)
    other = _posts_file(tmp_path / "b" / "stream.jsonl", range(30, 90))
    second = ingest_file(other, lake, settings)
    assert first.sink.posts == 40
    assert second.sink.posts == 60 and second.sink.already_landed == 0
    # The ten posts both files hold are stored twice but are one post each downstream.
    assert lake.read(POSTS)["uri"].n_unique() == 90


def test_a_recording_that_grew_resumes_where_it_stopped(tmp_path: Path) -> None:
    # Lines long enough that the first 300 fill the fingerprinted head on their own.
    path = tmp_path / "live.jsonl"
    lake = Lake(str(tmp_path / "lake"))
    settings = Settings(lake_uri=lake.uri)
    first = ingest_file(_posts_file(path, range(300), pad=300), lake, settings)
    before = file_app_id(path)
    grown = ingest_file(_posts_file(path, range(400), pad=300), lake, settings)
    assert file_app_id(path) == before
    assert first.sink.posts == 300
    assert grown.sink.posts == 100 and grown.sink.already_landed == 300


def test_the_cursor_identity_of_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        file_app_id(tmp_path / "absent.jsonl")
