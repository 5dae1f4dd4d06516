"""Scoring announcements against a synthetic stream's truth."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import pytest

from tests.conftest import T0
from trendlake.errors import InputError
from trendlake.evaluation import (
    announced,
    checked_truth,
    evaluate,
    onset_oracle,
    reachable_bursts,
    scorecard,
)
from trendlake.windows import author_key

M = timedelta(minutes=1)


def _burst(keyword: str, kind: str, onset: str, end: str, authors: int) -> dict[str, object]:
    day = "2026-03-02T"
    return {
        "keyword": keyword,
        "kind": kind,
        "onset": day + onset,
        "end": day + end,
        "authors": authors,
    }


TRUTH: dict[str, Any] = {  # a ground truth, as its JSON file decodes
    "start": "2026-03-02T00:00:00Z",
    "end": "2026-03-02T02:00:00Z",
    "bursts": [
        _burst("zorblax", "word", "01:00:00Z", "01:20:00Z", 30),
        _burst("#slow", "hashtag", "01:30:00Z", "01:50:00Z", 20),
        _burst("missed", "word", "00:10:00Z", "00:20:00Z", 16),
    ],
    "decoys": [
        {"keyword": "flood", "kind": "word", "type": "single_author_flood"},
        {"keyword": None, "kind": None, "type": "daily_rhythm"},
    ],
}  # fmt: skip


def test_recall_latency_precision_and_decoys() -> None:
    result = evaluate(
        TRUTH,
        [
            ("zorblax", "word", T0 + 62 * M),  # 2 min after onset
            ("zorblax", "word", T0 + 125 * M),  # long after the burst: a false alert
            ("#slow", "hashtag", T0 + 95 * M),  # 5 min after onset
            ("flood", "word", T0 + 40 * M),  # a decoy
            ("noise", "word", T0 + 50 * M),
        ],
    )
    assert result.detected == ["zorblax", "#slow"] and result.missed == ["missed"]
    assert result.recall == pytest.approx(2 / 3)
    assert result.recall_in_time == pytest.approx(1 / 3)  # only zorblax within 3 minutes
    assert result.latencies_s == [120.0, 300.0]
    assert result.precision == pytest.approx(2 / 5)
    assert result.false_per_hour == pytest.approx(3 / 2)
    assert result.decoys == 1 and result.decoys_alerted == ["flood"]
    assert result.false_alerts == ["noise"]


def test_only_new_alert_rows_are_announcements_and_totals_add_up() -> None:
    rows = [
        {"keyword": "zorblax", "kind": "word", "window_end": T0 + 61 * M, "status": "new"},
        {"keyword": "zorblax", "kind": "word", "window_end": T0 + 65 * M, "status": "escalating"},
    ]
    assert announced(rows) == [("zorblax", "word", T0 + 61 * M)]
    total = evaluate(TRUTH, announced(rows))
    total.add(evaluate(TRUTH, []))
    assert (total.bursts, len(total.detected), total.hours) == (6, 1, 4.0)


def test_recall_over_reachable_bursts_leaves_out_slow_ramps() -> None:
    announcements = [("zorblax", "word", T0 + 62 * M), ("#slow", "hashtag", T0 + 95 * M)]
    result = evaluate(TRUTH, announcements, reachable={("zorblax", "word"), ("#slow", "hashtag")})
    assert (result.reachable, result.reachable_in_time) == (2, 1)  # #slow came 5 min late
    assert result.recall_reachable == pytest.approx(1 / 2)
    assert evaluate(TRUTH, announcements).reachable == 0


def test_reachable_bursts_need_enough_distinct_authors_in_three_minutes() -> None:
    def row(keyword: str, kind: str, minute: int, dids: str) -> dict[str, object]:
        keys = [author_key(did) for did in dids]
        return {"minute": T0 + minute * M, "keyword": keyword, "kind": kind, "author_keys": keys}

    counts = pl.DataFrame(
        [
            row("zorblax", "word", 60, "abc"),
            row("zorblax", "word", 62, "cdef"),  # 6 distinct by minute 3
            row("#slow", "hashtag", 90, "ab"),
            row("#slow", "hashtag", 92, "ac"),
            row("#slow", "hashtag", 93, "defg"),  # too late: minute 4
            row("missed", "word", 10, "abcdef"),
        ],
        schema_overrides={"minute": pl.Datetime("us", "UTC")},
    )
    found = reachable_bursts(TRUTH, counts, min_authors=6)
    assert found == {("zorblax", "word"), ("missed", "word")}


def test_recall_in_time_by_burst_shape() -> None:
    truth = {**TRUTH, "bursts": [dict(b) for b in TRUTH["bursts"]]}
    truth["bursts"][1]["shape"] = "ramp"  # #slow ramps up; the others carry no shape: steps
    announcements = [("zorblax", "word", T0 + 62 * M), ("#slow", "hashtag", T0 + 95 * M)]
    result = evaluate(truth, announcements)
    assert result.recall_in_time_of("step") == (1, 2)  # zorblax on time, missed never
    assert result.recall_in_time_of("ramp") == (0, 1)  # 5 minutes after its onset
    result.add(evaluate(truth, [("#slow", "hashtag", T0 + 92 * M)]))
    assert result.recall_in_time_of("ramp") == (1, 2)


def test_the_onset_oracle_flags_what_is_surprising_within_three_minutes_of_onset() -> None:
    def row(keyword: str, minute: int, dids: str) -> dict[str, object]:
        keys = [author_key(did) for did in dids]
        return {"minute": T0 + minute * M, "keyword": keyword, "kind": "word", "author_keys": keys}

    truth = {
        "start": "2026-03-02T00:00:00Z",
        "bursts": [
            _burst("fresh", "word", "01:00:00Z", "01:20:00Z", 30),  # 6 authors from nothing
            _burst("busy", "word", "01:00:00Z", "01:20:00Z", 30),  # 6 where 1 a minute post
            _burst("slow", "word", "01:30:00Z", "01:50:00Z", 20),  # 1 a minute from nothing
            _burst("small", "word", "01:00:00Z", "01:20:00Z", 14),  # below 15 authors
        ],
    }
    counts = pl.DataFrame(
        [row("fresh", 60, "abcdef"), row("small", 60, "abcdef")]
        + [row("busy", m, "xyz"[m % 3]) for m in range(60)]
        + [row("busy", 60, "abcdef")]
        + [row("slow", 90 + m, "abc"[m]) for m in range(3)]
        + [row("slow", 93, "defghij")],  # a minute too late
        schema_overrides={"minute": pl.Datetime("us", "UTC")},
    )
    # Surprises: fresh 11.4; busy 3.1 (6 against 1 expected); slow 2.3, 3.7, 5.0 by minute 3.
    assert onset_oracle(truth, counts, 5.5, history_minutes=180) == {("fresh", "word")}
    assert onset_oracle(truth, counts, 4.9, history_minutes=180) == {
        ("fresh", "word"),
        ("slow", "word"),
    }
    # The busy word's 6 authors are measured against its own rate of 1 a minute.
    assert ("busy", "word") not in onset_oracle(truth, counts, 3.2, history_minutes=180)
    assert ("busy", "word") in onset_oracle(truth, counts, 3.1, history_minutes=180)


def test_a_truth_written_by_hand_is_checked_and_its_keywords_normalized() -> None:
    written: dict[str, Any] = {
        "bursts": [
            _burst("Spider-Man", "word", "01:00:00Z", "01:20:00Z", 30),
            _burst("#QuietStorm", "hashtag", "01:00:00Z", "01:20:00Z", 20),
            _burst("https://WWW.Paper.com/a", "domain", "01:00:00Z", "01:20:00Z", 20),
            {"keyword": "New  York", "kind": "phrase", "onset": "2026-03-02T01:00Z",
             "end": "2026-03-02T01:20Z"},  # no author count: the lake has it
        ],
        "decoys": [{"keyword": "QuietStorm", "kind": "hashtag"}, TRUTH["decoys"][1]],
    }  # fmt: skip
    truth = checked_truth(written, "mine.json")
    assert [b["keyword"] for b in truth["bursts"]] == [
        "spider-man", "#quietstorm", "paper.com", "new york",
    ]  # fmt: skip
    assert truth["decoys"] == [{"keyword": "#quietstorm", "kind": "hashtag"}]
    assert written["bursts"][0]["keyword"] == "Spider-Man"  # the input is left as it was


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "a JSON object with a list of 'bursts'"),
        ({"bursts": [{"keyword": "x", "kind": "verb"}]}, "burst 1: kind must be one of"),
        ({"bursts": [_burst("", "word", "01:00Z", "01:10Z", 3)]}, "'' is no word keyword"),
        ({"bursts": [_burst("x", "word", "soon", "01:10Z", 3)]}, "burst 1: 'onset': not an ISO"),
        ({"bursts": [_burst("x", "word", "01:10Z", "01:00Z", 3)]}, "'end' must come after"),
        ({"bursts": [_burst("x", "word", "01:00Z", "01:10Z", -1)]}, "'authors' must be a whole"),
        ({"bursts": [], "decoys": {"keyword": "x"}}, "'decoys' must be a list"),
        ({"bursts": [], "decoys": [{"keyword": "x", "kind": None}]}, "decoy 1: kind must be"),
        ({"bursts": [], "start": 5}, "'start' must be an ISO 8601 time"),
        (
            {"bursts": [], "start": "2026-03-02T05:00:00Z", "end": "2026-03-02T01:00:00Z"},
            "the stream's 'end' must come after its 'start'",
        ),
    ],
)
def test_a_bad_truth_is_refused_naming_the_item(raw: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        checked_truth(raw, "mine.json")


def test_the_scorecard_names_every_figure_of_an_evaluation() -> None:
    t = T0.replace(hour=1)
    result = evaluate(TRUTH, [("zorblax", "word", t + 2 * M), ("other", "word", t)])
    card = scorecard(result)
    assert card["bursts"] == 3 and card["alerted"] == 1
    assert card["missed"] == ["#slow", "missed"]
    assert card["recalled_within_3min"] == 1 and card["qualifying_bursts"] == 3
    assert card["median_latency_min"] == 2.0 and card["precision"] == 0.5
    assert card["other_keywords_alerted"] == ["other"] and card["false_alerts_per_hour"] == 0.5
