"""synth -> ingest -> process -> alerts through the real CLI, on a real local lake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from trendlake.evaluation import announced, evaluate, load_truth
from trendlake.ingest.sinks import LakeSink
from trendlake.lake import Lake
from trendlake.models import ALERTS, KEYWORD_COUNTS, MINUTE_STATS, TABLES, TREND_SCORES
from trendlake.planner import plan_run
from trendlake.timeutil import iso, parse_iso

pytestmark = pytest.mark.slow


def cli(*args: str, lake_dir: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRENDLAKE_LAKE_URI": str(lake_dir), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "trendlake", *args], capture_output=True, text=True, env=env
    )
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


def _alerts(lake_dir: Path) -> list[dict[str, object]]:
    lines = cli("alerts", "--format", "json", lake_dir=lake_dir).stdout.splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def processed(small_stream: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake_dir = tmp_path_factory.mktemp("e2e") / "lake"
    cli("ingest", "--source", "file", "--file", str(small_stream), lake_dir=lake_dir)
    cli("process", "--all", lake_dir=lake_dir)
    return lake_dir


def test_injected_bursts_alert_and_decoys_do_not(processed: Path, small_stream: Path) -> None:
    alerts = _alerts(processed)
    for alert in alerts:
        assert {
            "alert_id",
            "keyword",
            "kind",
            "window_start",
            "window_end",
            "count",
            "unique_authors",
            "baseline",
            "zscore",
            "score",
            "confidence",
            "langs",
            "status",
        } <= alert.keys()
        alert["window_end"] = parse_iso(str(alert["window_end"]))
    truth = load_truth(Path(f"{small_stream}.truth.json"))
    result = evaluate(truth, announced(alerts))
    # Alerts carry their dominant languages: the Japanese hashtag burst says so.
    (tag,) = [b for b in truth["bursts"] if b["kind"] == "hashtag"]
    assert tag["lang"] == "ja"
    assert all("ja" in a["langs"] for a in alerts if a["keyword"] == tag["keyword"])  # type: ignore[operator]
    assert any(a["keyword"] == tag["keyword"] for a in alerts)
    assert result.bursts >= 4
    assert result.missed == [], result.summary()
    assert result.decoys_alerted == [], result.summary()


def test_floods_of_other_shapes_never_alert(tmp_path: Path) -> None:
    """`synth --spam`: a flood at ten times the stream's rate, hashtag, link and ramp floods,
    four sockpuppets, a ring of 12 accounts pasting one text, another filling made-up codes
    into each copy, 8 sockpuppets posting a word several times a minute each and a ring
    pasting a few words and a link, replayed the way a user would: no flood alerts (nor any
    word of the rings' texts), every burst does; nor do the reply storms under one post (a
    busy thread, many authors)."""
    stream, lake_dir = tmp_path / "spam.jsonl", tmp_path / "lake"
    cli("synth", "--out", str(stream), "--hours", "3", "--seed", "5", "--posts-per-minute",
        "100", "--spam", lake_dir=lake_dir)  # fmt: skip
    cli("ingest", "--source", "file", "--file", str(stream), lake_dir=lake_dir)
    cli("process", "--all", lake_dir=lake_dir)
    alerts = _alerts(lake_dir)
    for alert in alerts:
        alert["window_end"] = parse_iso(str(alert["window_end"]))
    truth = load_truth(Path(f"{stream}.truth.json"))
    assert sum(d["type"].endswith("_flood") for d in truth["decoys"]) == 6
    result = evaluate(truth, announced(alerts))
    assert sum(d["type"] == "conversation" for d in truth["decoys"]) == 2
    assert sum(d["type"] == "copy_ring" for d in truth["decoys"]) == 1
    assert sum(d["type"] == "template_ring" for d in truth["decoys"]) == 1
    assert sum(d["type"] == "sockpuppet_ring" for d in truth["decoys"]) == 1
    assert sum(d["type"] == "short_ring" for d in truth["decoys"]) == 1
    assert result.decoys == 13  # six floods, four rings, the stopword surge, two conversations
    assert result.decoys_alerted == [], result.summary()
    assert result.false_alerts == [], result.summary()  # the ring's other words included
    assert result.missed == [], result.summary()


# Nothing but the injected keyword may trend: stopwords, emoji and numbers around it.
AROUND = ["the {} !!", "{} 🕷️", "and {} , 2", "{}", "it is {} ?", "🔥 {} 🔥"]


def _hand_made_post(author: int, at_us: int, n: int, record: dict[str, object]) -> bytes:
    """A Jetstream post event; `record` fields override the defaults, None leaves one out."""
    fields = {"createdAt": "2020-01-01T00:00:00Z", "langs": ["en"], **record}
    event = {
        "did": f"did:plc:handmade{author:04d}",
        "time_us": at_us,
        "kind": "commit",
        "commit": {"operation": "create", "collection": "app.bsky.feed.post",
                   "rkey": f"3handmade{n:05d}",
                   "record": {k: v for k, v in fields.items() if v is not None}},
    }  # fmt: skip
    return json.dumps(event).encode()


def test_a_stream_with_bursts_injected_by_hand_in_real_post_shapes(tmp_path: Path) -> None:
    """Posts as Bluesky clients write them, appended out of time order to a synth stream:
    a compound word in varied sentences, a link shared as a card alone (no URL in the text)
    and a hashtag carried only in the post's outline tags. Each alerts within minutes as
    what was injected, and the compound's parts do not alert beside it."""
    stream, lake_dir = tmp_path / "stream.jsonl", tmp_path / "lake"
    cli("synth", "--out", str(stream), "--hours", "2", "--seed", "9", "--posts-per-minute", "120",
        lake_dir=lake_dir)  # fmt: skip
    start = parse_iso(load_truth(Path(f"{stream}.truth.json"))["start"])
    onset = start + timedelta(minutes=100)
    shapes = [
        lambda i: {"text": AROUND[i % 6].format("Spider-Man")},
        lambda i: {"text": AROUND[i % 6].format(""), "embed": {
            "$type": "app.bsky.embed.external",
            "external": {"uri": f"https://www.paper-x.com/story/{i}", "title": "A story"}}},
        lambda i: {"text": AROUND[i % 6].format("🌧️"), "tags": ["QuietStorm"]},
    ]  # fmt: skip
    lines, n = [], 0
    for shape, make in enumerate(shapes):
        for i in range(24):  # 24 authors over 4 minutes, each once
            at = onset + timedelta(minutes=i // 6, seconds=7 * (i % 6) + shape)
            lines.append(_hand_made_post(1000 * shape + i, int(at.timestamp() * 1e6), n, make(i)))
            n += 1
    with stream.open("ab") as handle:  # appended: the file is no longer in time order
        handle.write(b"\n".join(lines) + b"\n")
    cli("ingest", "--source", "file", "--file", str(stream), lake_dir=lake_dir)
    cli("process", "--all", lake_dir=lake_dir)
    new = {
        (a["keyword"], a["kind"]): parse_iso(str(a["window_end"]))
        for a in _alerts(lake_dir)
        if a["status"] == "new"
    }
    for key in [("spider-man", "word"), ("paper-x.com", "domain"), ("#quietstorm", "hashtag")]:
        assert key in new, sorted(new)
        assert new[key] - onset <= timedelta(minutes=3), key
    assert ("spider", "word") not in new and ("man", "word") not in new
    # The same, as a user scores it: a truth written by hand, keywords as people write them,
    # no author counts (the lake has them), and a decoy that did not alert.
    window = {"onset": iso(onset), "end": iso(onset + timedelta(minutes=4))}
    truth = tmp_path / "injected.truth.json"
    truth.write_text(json.dumps({
        "bursts": [{"keyword": "Spider-Man", "kind": "word", **window},
                   {"keyword": "www.paper-x.com", "kind": "domain", **window},
                   {"keyword": "#QuietStorm", "kind": "hashtag", **window}],
        "decoys": [{"keyword": "Spider", "kind": "word"}],
    }))  # fmt: skip
    card = json.loads(cli("evaluate", "--truth", str(truth), "--format", "json",
                          lake_dir=lake_dir).stdout)  # fmt: skip
    assert card["alerted"] == card["qualifying_bursts"] == card["recalled_within_3min"] == 3
    assert card["missed"] == [] and card["decoys_alerted"] == [] and card["decoys"] == 1
    assert set(card["other_keywords_alerted"]) == {k for k, _ in new} - {
        "spider-man",
        "paper-x.com",
        "#quietstorm",
    }  # synth's own bursts, which this truth does not name


def _replayed_with_a_burst(
    tmp_path: Path, minutes_in: int, record_of: Callable[[int], dict[str, object]]
) -> tuple[Path, datetime, dict[str, Any]]:
    """A 1-hour synth stream with 24 hand-made posts appended, one author each, 10 seconds
    apart from `minutes_in` minutes after its start (`record_of(i)`: the i-th post's record
    fields), replayed and processed. Returns the lake, the burst's onset and the truth."""
    stream, lake_dir = tmp_path / "stream.jsonl", tmp_path / "lake"
    cli("synth", "--out", str(stream), "--hours", "1", "--seed", "9", "--posts-per-minute", "120",
        lake_dir=lake_dir)  # fmt: skip
    truth = load_truth(Path(f"{stream}.truth.json"))
    onset = parse_iso(truth["start"]) + timedelta(minutes=minutes_in)
    lines = [
        _hand_made_post(i, int((onset + i * timedelta(seconds=10)).timestamp() * 1e6), i,
                        record_of(i))
        for i in range(24)
    ]  # fmt: skip
    with stream.open("ab") as handle:
        handle.write(b"\n".join(lines) + b"\n")
    cli("ingest", "--source", "file", "--file", str(stream), lake_dir=lake_dir)
    cli("process", "--all", lake_dir=lake_dir)
    return lake_dir, onset, truth


def test_a_burst_in_a_streams_first_quarter_hour_alerts_within_3_minutes(tmp_path: Path) -> None:
    """A replay starts cold: a burst 12 minutes into it, 24 authors over 4 minutes, alerts
    within 3 minutes of its onset on the default settings, and nothing else alerts that
    early (the stream's own bursts start later)."""
    lake_dir, onset, truth = _replayed_with_a_burst(
        tmp_path, 12, lambda i: {"text": AROUND[i % 6].format("Zephyrine")}
    )
    assert all(parse_iso(b["onset"]) > onset + timedelta(minutes=10) for b in truth["bursts"])
    early = [
        (a["keyword"], parse_iso(str(a["window_end"])) - onset)
        for a in _alerts(lake_dir)
        if a["status"] == "new" and parse_iso(str(a["window_end"])) <= onset + timedelta(minutes=10)
    ]
    assert len(early) == 1 and early[0][0] == "zephyrine", early
    assert early[0][1] <= timedelta(minutes=3)


def test_trends_in_one_language_list_a_burst_whose_posts_declare_no_language(
    tmp_path: Path,
) -> None:
    """Japanese posts from a client that leaves `langs` out: the burst alerts as Japanese,
    and `trends --lang ja` lists it where `--lang en` does not."""
    texts = ["{}が発表された！", "{}、楽しみすぎる", "やっと{}だ", "{}", "え、{}？", "{}最高"]
    lake_dir, _, _ = _replayed_with_a_burst(
        tmp_path, 30, lambda i: {"text": texts[i % 6].format("ポケモンレジェンズ"), "langs": None}
    )
    alert = next(a for a in _alerts(lake_dir) if a["keyword"] == "ポケモンレジェンズ")
    assert alert["langs"] == ["ja"]

    def listed(lang: str) -> list[str]:
        lines = cli("trends", "--at", str(alert["minute"]), "--lang", lang, "--format", "json",
                    lake_dir=lake_dir).stdout.splitlines()  # fmt: skip
        return [json.loads(line)["keyword"] for line in lines]

    assert "ポケモンレジェンズ" in listed("ja")
    assert "ポケモンレジェンズ" not in listed("en")


def test_trends_lists_a_ranking_as_json(processed: Path) -> None:
    alerts = _alerts(processed)
    peak = max(alerts, key=lambda a: float(a["score"]))  # type: ignore[arg-type]
    lines = cli(
        "trends", "--at", str(peak["minute"]), "--top", "5", "--format", "json", lake_dir=processed
    ).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert 1 <= len(rows) <= 5
    assert peak["keyword"] in [r["keyword"] for r in rows]  # words of a phrase may tie with it
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def _snapshot(lake: Lake, start: datetime, end: datetime) -> dict[str, pl.DataFrame]:
    return {
        name: lake.read(name, start, end).sort(lake.read(name, start, end).columns)
        for name in (KEYWORD_COUNTS, MINUTE_STATS, TREND_SCORES, ALERTS)
    }


def test_rerunning_a_past_range_gives_identical_rows(processed: Path) -> None:
    lake = Lake(str(processed))
    alerts = _alerts(processed)
    start = parse_iso(str(alerts[0]["minute"])) - timedelta(minutes=20)
    end = start + timedelta(minutes=45)
    before = _snapshot(lake, start, end)
    rerun = cli("process", "--from", iso(start), "--until", iso(end), "--format", "json",
                lake_dir=processed)  # fmt: skip
    summary = json.loads(rerun.stdout)
    assert summary["status"] == "computed" and summary["minutes"] == 45
    assert (summary["start"], summary["end"]) == (iso(start), iso(end)) and summary["seconds"] > 0
    after = _snapshot(lake, start, end)
    for name in before:
        assert before[name].height > 0 or name == ALERTS
        assert before[name].equals(after[name]), name
    assert cli("process", lake_dir=processed).stderr.strip().startswith("nothing to do")
    idle = json.loads(cli("process", "--format", "json", lake_dir=processed).stdout)
    assert idle == {"status": "nothing to do", "start": None, "end": None, "minutes": 0,
                    "seconds": 0.0, "late_from": None}  # fmt: skip


def test_reingesting_the_same_file_lands_nothing_twice(processed: Path, small_stream: Path) -> None:
    result = cli("ingest", "--source", "file", "--file", str(small_stream), lake_dir=processed)
    assert " 0 posts and 0 deletes landed" in result.stderr.replace("\n", " ")


def test_late_posts_recompute_their_minute(small_stream: Path, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    cli("ingest", "--source", "file", "--file", str(small_stream), lake_dir=lake_dir)
    cli("process", lake_dir=lake_dir)
    lake = Lake(str(lake_dir))
    minute = lake.read(MINUTE_STATS).sort("minute")["minute"][30]
    counted = lake.read(KEYWORD_COUNTS, minute, minute + timedelta(minutes=1))
    assert "latecomer" not in counted["keyword"].to_list()

    sink = LakeSink(lake, "late-test")
    from tests.unit.test_lake_and_sink import _event  # a post row builder with a chosen time

    event = _event(0)
    row = dict(event.row)  # type: ignore[arg-type]
    row["text"], row["event_time"] = "latecomer arrives", int(minute.timestamp() * 1e6) + 5_000_000
    sink.add(type(event)("post", row["event_time"], row))  # type: ignore[arg-type]
    sink.close()

    plan = plan_run(lake, timedelta(seconds=10))
    assert plan is not None and plan.late_from == minute
    cli("process", lake_dir=lake_dir)
    counted = lake.read(KEYWORD_COUNTS, minute, minute + timedelta(minutes=1))
    assert "latecomer" in counted["keyword"].to_list()
    stats = lake.read(MINUTE_STATS, minute, minute + timedelta(minutes=1)).row(0, named=True)
    assert stats["posts"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "--source", "file", "--file", "/nonexistent.jsonl"], "no such file"),
        (["ingest", "--source", "file"], "needs --file"),
        (["trends", "--at", "yesterday"], "not an ISO 8601 time"),
        (["ingest", "--source", "file", "--file", "/"], "/ is a directory"),
        (["ingest", "--source", "file", "--format", "frames", "--file", "/"], "is a directory"),
        (["sql", "SELEC nonsense"], "SQL failed"),
        (["evaluate", "--truth", "/nonexistent.json"], "cannot read truth file"),
        (["sql", "  "], "the query holds no statement"),
        (["synth", "--out", "x.jsonl", "--hours", "-1"], "hours"),
        (["process", "--from", "2026-03-02T00:00:00Z"], "needs --until"),
        (
            ["process", "--from", "2026-03-02T00:05:00Z", "--until", "2026-03-02T00:00:00Z"],
            "must fall in a later minute than --from",
        ),
        (["trends", "--lang", "123"], "--lang takes a language code"),
        (["trends", "--kind", "emoji"], "unknown kind 'emoji'"),
        (["ingest", "--source", "file", "--file", "/dev/null"], "not a regular file"),
        # Usage errors, which the command line parser raises before any command runs.
        (["ingest", "--format", "json"], "'json' is not one of 'jetstream', 'frames'"),
        (["ingest", "--source", "file", "stream.jsonl"], "unexpected extra argument"),
        (["alerts", "--bogus"], "No such option: --bogus"),
        (["alerts", "--poll-seconds", "0"], "greater than or equal to 0.05"),
        (["nosuchcommand"], "No such command 'nosuchcommand'"),
    ],
)
def test_bad_input_is_one_line_and_a_nonzero_exit(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = cli(*args, lake_dir=tmp_path / "lake", check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_lake_from_another_version_is_refused_in_one_line(tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    spec = TABLES[KEYWORD_COUNTS]
    old = pa.schema(
        [f if f.name != "author_keys" else pa.field("author_dids", pa.list_(pa.string()))
         for f in spec.schema]
    )  # fmt: skip
    DeltaTable.create(str(lake_dir / KEYWORD_COUNTS), old, partition_by=list(spec.partition_by))
    result = cli("process", "--all", lake_dir=lake_dir, check=False)
    assert result.returncode != 0
    assert "keyword_counts" in result.stderr and "author_dids" in result.stderr
    assert "Traceback" not in result.stderr and "Stack Trace" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_demo_runs_resumes_and_refuses_a_lake_of_another_stream(tmp_path: Path) -> None:
    lake_dir, work = tmp_path / "lake", tmp_path / "demo-data"
    args = ("demo", "--hours", "2", "--posts-per-minute", "80", "--workdir", str(work))
    first = cli(*args, lake_dir=lake_dir)
    assert "0 already landed" in first.stderr
    assert "injected bursts alerted" in first.stdout
    again = cli(*args, lake_dir=lake_dir)
    assert " 0 posts and 0 deletes landed" in again.stderr  # the same stream resumes
    # Another stream (another seed) over the same hours: mixing the two would
    # show neither's trends.
    other = cli(*args, "--seed", "8", "--workdir", str(tmp_path / "elsewhere"), lake_dir=lake_dir,
                check=False)  # fmt: skip
    assert other.returncode == 2
    (line,) = other.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: the lake") and "another stream" in line
    assert "Traceback" not in other.stderr
