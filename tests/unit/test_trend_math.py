"""Windows, baselines and the alert lifecycle on hand-made posts (pure, no lake)."""

from __future__ import annotations

import dataclasses
import gc
import itertools
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import RULES, T0, make_post, score_row
from trendlake import keywords_native
from trendlake.alerts import (
    COOLING,
    ENDED,
    ESCALATING,
    NEW,
    announce,
    eligible,
    prior_state,
    surprise_thresholds,
    windows_scored,
)
from trendlake.ingest.files import read_jetstream_file
from trendlake.ingest.sinks import rows_to_table
from trendlake.lake import Lake
from trendlake.models import POSTS, TREND_SCORES
from trendlake.queries import trends_at
from trendlake.scoring import (
    SHARE_UNIT,
    advance_snapshot,
    baseline_snapshots,
    block_sums,
    fresh_minutes,
    history_shares,
    score_windows,
    snapshots_needed,
    young_history_minutes,
)
from trendlake.surprise import surprise
from trendlake.timeutil import as_datetime
from trendlake.windows import (
    author_key,
    dedup_posts,
    exact_windows,
    keyword_keys,
    keyword_occurrences,
    minute_counts,
    minute_volume,
    post_keywords,
    post_languages,
    window_bounds,
    without_floods,
)

M = timedelta(minutes=1)


def window_counts(
    counts: pl.DataFrame, first: datetime, end: datetime, window_minutes: int, min_authors: int
) -> pl.DataFrame:
    """Every window ending in [first, end) with >= min_authors distinct authors, screened by
    the author bound first: the composition the scores step uses, minus the baseline."""
    wanted = window_bounds(counts, first, end, window_minutes, min_authors).select(
        "minute", "keyword", "kind"
    )
    windows = exact_windows(counts, wanted, window_minutes)
    return windows.filter(pl.col("unique_authors") >= min_authors)


def _posts(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={"event_time": pl.Datetime("us", "UTC")})


def test_a_post_counts_once_per_keyword_and_replays_never_twice() -> None:
    post = make_post("zorblax zorblax zorblax", did="did:plc:a")
    occurrences = keyword_occurrences(_posts([post, dict(post)]))  # a redelivered copy
    counts = minute_counts(occurrences)
    row = counts.filter(pl.col("keyword") == "zorblax").row(0, named=True)
    assert (row["posts"], row["authors"]) == (1, 1)


def test_an_account_past_the_flood_rate_is_left_out_of_that_minute_only() -> None:
    bot, person = "did:plc:bot", "did:plc:person"
    rows = [make_post(f"zorblax {i}", did=bot, second=i) for i in range(31)]  # 31 in minute 0
    rows += [make_post("zorblax again", did=bot, minute=1)]  # one post the next minute
    rows += [make_post(f"zorblax {i}", did=person, second=i) for i in range(30)]  # at the rate
    posts = _posts(rows)
    kept = without_floods(posts, per_minute=30)
    assert kept.columns == posts.columns
    by_account = kept.group_by("did", pl.col("event_time").dt.minute()).len().sort("did")
    assert by_account.rows() == [(bot, 1, 1), (person, 0, 30)]
    counts = minute_counts(keyword_occurrences(kept)).filter(pl.col("keyword") == "zorblax")
    assert counts.select("posts", "authors").rows() == [(30, 1), (1, 1)]
    assert without_floods(posts, per_minute=31).height == posts.height


def test_an_account_posting_one_keyword_past_the_rate_counts_for_none_of_those_posts() -> None:
    bot, person = "did:plc:bot", "did:plc:person"
    topics = ["garden", "kettle", "violin", "harbor"]
    rows = [make_post(f"zorblax wibble {t}", did=bot, second=i) for i, t in enumerate(topics)]
    rows += [make_post("quiet morning walk", did=bot, second=30)]  # no zorblax: counted
    rows += [make_post("zorblax again", did=bot, minute=1)]  # once the next minute: counted
    rows += [make_post(f"zorblax {t}", did=person, second=i) for i, t in enumerate(topics[:3])]
    occurrences = keyword_occurrences(_posts(rows), keyword_posts_per_minute=3)
    counts = minute_counts(occurrences)
    by_keyword = {
        (r["minute"].minute, r["keyword"]): (r["posts"], r["authors"])
        for r in counts.iter_rows(named=True)
    }
    # Minute 0: the bot's four zorblax posts count for nothing, their phrase and other words
    # included; the person's three (at the rate) count; the bot's other post counts.
    assert by_keyword[0, "zorblax"] == (3, 1)
    assert (0, "wibble") not in by_keyword and (0, "zorblax wibble") not in by_keyword
    assert by_keyword[0, "garden"] == (1, 1)  # the person's
    assert by_keyword[0, "morning"] == (1, 1)
    assert by_keyword[1, "zorblax"] == (1, 1)
    # Without the rate, or at four, everything counts.
    for unlimited in (keyword_occurrences(_posts(rows)), keyword_occurrences(_posts(rows), 4)):
        assert unlimited.height > occurrences.height
        everything = minute_counts(unlimited).filter(pl.col("keyword") == "zorblax")
        assert everything.select("posts", "authors").rows() == [(7, 2), (1, 1)]


def test_dedup_keeps_the_earliest_copy_even_of_posts_sorted_by_uri() -> None:
    early = make_post("zorblax", did="did:plc:a", minute=0)
    late = {**early, "event_time": T0 + 5 * M}
    other = make_post("quibble", did="did:plc:b", minute=1)
    once = dedup_posts(_posts([late, other, early]))
    assert once["event_time"].to_list() == [T0, T0 + M]
    assert dedup_posts(once).equals(once)
    # A redelivered copy, even a later one, is dropped.
    twice = pl.concat([once, once.head(1).with_columns(event_time=pl.lit(T0 + 9 * M))])
    assert dedup_posts(twice).sort("uri").equals(once.sort("uri"))


def test_keyword_extraction_pauses_the_collector_and_restores_it() -> None:
    posts = _posts([make_post("zorblax quibble #tag https://example.org/x")])
    assert gc.isenabled()
    _, keywords, _ = post_keywords(posts, native=False)
    assert gc.isenabled()
    assert keywords.to_list() == ["#tag", "example.org", "zorblax", "quibble", "zorblax quibble"]
    gc.disable()
    try:
        post_keywords(posts, native=False)
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()


@pytest.mark.skipif(not keywords_native.available(), reason="trendlake_native is not built")
def test_native_and_python_extraction_give_the_same_occurrences() -> None:
    texts = ["Zorblax QUIBBLE!", "ポケモン新作 発表", "read https://www.example.org/a #News", ""]
    posts = _posts(
        [
            make_post(text, did=f"did:plc:{i}", langs=["ja"] if i == 1 else ["en"])
            for i, text in enumerate(texts)
        ]
    )
    native = post_keywords(posts)
    python = post_keywords(posts, native=False)
    for ours, reference in zip(native, python, strict=True):
        assert ours.to_list() == reference.to_list()
    assert native[0].to_list() == [3, 4, 3, 0]  # ポケモン, 新作, 発表, ポケモン新作


def test_posts_without_keywords_add_no_occurrences() -> None:
    posts = _posts(
        [
            make_post("the and of", did="did:plc:a"),  # stopwords only
            make_post("zorblax quibble", did="did:plc:b", minute=1),
            make_post("", did="did:plc:c"),
            make_post("zorblax", did="did:plc:d", minute=2),
        ]
    )
    occurrences = keyword_occurrences(posts).sort("minute", "keyword")
    b, d = author_key("did:plc:b"), author_key("did:plc:d")
    assert occurrences.select("author_key", "keyword").rows() == [
        (b, "quibble"),
        (b, "zorblax"),
        (b, "zorblax quibble"),
        (d, "zorblax"),
    ]
    assert occurrences["minute"].null_count() == 0


def test_bucketing_is_by_event_minute() -> None:
    posts = _posts(
        [
            make_post("zorblax", minute=0, second=59),
            make_post("zorblax", minute=1, second=0, did="did:plc:b"),
        ]
    )
    counts = minute_counts(keyword_occurrences(posts)).filter(pl.col("keyword") == "zorblax")
    assert counts["minute"].to_list() == [T0, T0 + M]


def test_window_counts_distinct_authors_exactly_over_the_window() -> None:
    # Author a posts in minutes 0, 1 and 5; b in minute 2; c in minute 9.
    posts = _posts(
        [
            make_post("zorblax", did="did:plc:a", minute=0),
            make_post("zorblax", did="did:plc:a", minute=1),
            make_post("zorblax", did="did:plc:b", minute=2),
            make_post("zorblax", did="did:plc:a", minute=5),
            make_post("zorblax", did="did:plc:c", minute=9),
        ]
    )
    windows = window_counts(
        minute_counts(keyword_occurrences(posts)), T0, T0 + 12 * M, window_minutes=3, min_authors=1
    )
    by_minute = {
        r["minute"]: (r["count"], r["unique_authors"])
        for r in windows.filter(pl.col("keyword") == "zorblax").iter_rows(named=True)
    }
    assert by_minute[T0 + 1 * M] == (2, 1)  # minutes -1..1: a twice
    assert by_minute[T0 + 2 * M] == (3, 2)  # minutes 0..2: a, a, b
    assert by_minute[T0 + 4 * M] == (1, 1)  # minutes 2..4: b
    assert T0 + 8 * M not in by_minute  # minutes 6..8: nobody
    assert by_minute[T0 + 11 * M] == (1, 1)  # minutes 9..11: c
    assert windows["window_end"].to_list()[0] - windows["window_start"].to_list()[0] == 3 * M


def test_window_screen_drops_keywords_that_cannot_reach_the_author_floor() -> None:
    posts = _posts(
        [make_post("zorblax", did=f"did:plc:{i}") for i in range(2)]
        + [make_post("quibble", did=f"did:plc:{i}") for i in range(5)]
    )
    windows = window_counts(
        minute_counts(keyword_occurrences(posts)), T0, T0 + M, window_minutes=5, min_authors=3
    )
    assert set(windows["keyword"]) == {"quibble"}


native_or_not = pytest.mark.parametrize(
    "native",
    [
        pytest.param(
            True,
            marks=pytest.mark.skipif(
                not keywords_native.available(), reason="the native module is not built"
            ),
        ),
        False,
    ],
)


@native_or_not
def test_windows_count_threads_and_the_recent_minutes_exactly(native: bool) -> None:
    root = make_post("zorblax!", did="did:plc:a", minute=0)
    elsewhere = "at://did:plc:z/app.bsky.feed.post/other"  # a thread without the word at its root
    posts = _posts(
        [
            root,
            make_post("zorblax yes", did="did:plc:b", minute=0, reply_root=str(root["uri"])),
            make_post("zorblax no", did="did:plc:c", minute=1, reply_root=str(root["uri"])),
            make_post("zorblax!!", did="did:plc:d", minute=1, reply_root=str(root["uri"])),
            make_post("so zorblax", did="did:plc:e", minute=2, reply_root=str(root["uri"])),
            make_post("zorblax today", did="did:plc:f", minute=2),
            make_post("zorblax here", did="did:plc:g", minute=2),
            make_post("zorblax too", did="did:plc:g", minute=2, reply_root=elsewhere),
        ]
    )
    counts = minute_counts(keyword_occurrences(posts))
    wanted = pl.DataFrame(
        {"minute": [T0 + 2 * M], "keyword": ["zorblax"], "kind": ["word"]},
        schema_overrides={"minute": pl.Datetime("us", "UTC")},
    )
    (row,) = exact_windows(counts, wanted, 10, 1, native=native).iter_rows(named=True)
    # The window: 7 authors in 4 threads (a's, f's post, g's post, the one elsewhere).
    assert row["unique_threads"] == 4
    # Its last minute: e (in a's thread), f and g: 3 authors in 4 threads.
    assert (row["recent_authors"], row["recent_threads"]) == (3, 4)
    # A minute counted before threads were (thread_keys null): threads unknown, not zero.
    older = counts.with_columns(
        pl.when(pl.col("minute") == T0)
        .then(None)
        .otherwise(pl.col("thread_keys"))
        .alias("thread_keys")
    )
    (row,) = exact_windows(older, wanted, 10, 1, native=native).iter_rows(named=True)
    assert (row["unique_threads"], row["recent_authors"], row["recent_threads"]) == (None, 3, None)


@native_or_not
def test_a_window_carries_the_authors_of_the_window_a_minute_before(native: bool) -> None:
    posted = [("a", 0), ("b", 0), ("c", 10), ("c", 11), ("d", 11)]  # (author, minute)
    posts = _posts([make_post("zorblax", did=f"did:plc:{a}", minute=m) for a, m in posted])
    # Minute 0 counted before threads were: outside both windows, it changes nothing.
    counts = minute_counts(keyword_occurrences(posts)).with_columns(
        thread_keys=pl.when(pl.col("minute") == T0).then(None).otherwise(pl.col("thread_keys"))
    )
    wanted = pl.DataFrame(
        {"minute": [T0 + 10 * M, T0 + 11 * M], "keyword": ["zorblax"] * 2, "kind": ["word"] * 2},
        schema_overrides={"minute": pl.Datetime("us", "UTC")},
    )
    rows = exact_windows(counts, wanted, 10, native=native).select(
        "count", "unique_authors", "unique_threads", "previous_authors"
    )
    # Minute 10's window (minutes 1-10) holds c; the one before (0-9) a and b.
    # Minute 11's (2-11) holds c and d; the one before is minute 10's.
    assert rows.rows() == [(1, 1, 1, 2), (3, 2, 3, 1)]


@pytest.mark.parametrize("targets", [1, 2, 4])
def test_live_window_bounds_equal_the_backfill_ones(targets: int) -> None:
    # A few windows (live mode) are summed in one group-by; many are spread row by row.
    # Both must give the same rows for the same windows.
    posts = _posts(
        [
            make_post(f"zorblax quibble w{i % 3}", did=f"did:plc:{i % 5}", minute=i % 14)
            for i in range(60)
        ]
    )
    counts = minute_counts(keyword_occurrences(posts))
    key = ["minute", "keyword", "kind"]
    everything = window_bounds(counts, T0, T0 + 16 * M, window_minutes=4)
    for first in (T0 + 3 * M, T0 + 12 * M):
        few = window_bounds(counts, first, first + targets * M, window_minutes=4)
        expected = everything.filter(
            (pl.col("minute") >= first) & (pl.col("minute") < first + targets * M)
        )
        assert few.height > 0
        assert few.sort(key).equals(expected.select(few.columns).sort(key))


@pytest.mark.parametrize("targets", [2, 16])
def test_screened_window_bounds_are_the_windows_whose_bound_reaches_the_screen(
    targets: int,
) -> None:
    # A long run screens while it sums (a keyword whose authors cannot reach the screen is
    # never spread): the rows must be those of summing everything and then screening.
    posts = _posts(
        [make_post(f"zorblax w{i % 3}", did=f"did:plc:{i % 5}", minute=i % 14) for i in range(40)]
        + [make_post(f"lonely{i} quibble", did="did:plc:z", minute=i) for i in range(6)]
    )
    counts = minute_counts(keyword_occurrences(posts))
    key = ["minute", "keyword", "kind"]
    end = T0 + targets * M
    everything = window_bounds(counts, T0, end, window_minutes=4)
    screened = window_bounds(counts, T0, end, window_minutes=4, screen=3)
    assert 0 < screened.height < everything.height
    assert screened["author_bound"].min() == 3  # the screen is inclusive
    assert not screened["keyword"].str.starts_with("lonely").any()
    expected = everything.filter(pl.col("author_bound") >= 3)
    assert screened.sort(key).equals(expected.select(screened.columns).sort(key))


def _history(keyword: str, per_minute: list[int], start: int, kind: str = "word") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "minute": [T0 + (start + i) * M for i in range(len(per_minute))],
            "keyword": [keyword] * len(per_minute),
            "kind": [kind] * len(per_minute),
            "authors": per_minute,
        },
        schema_overrides={"minute": pl.Datetime("us", "UTC")},
    )


def _volume(minutes: range, active: int) -> pl.DataFrame:
    """minute_stats rows for scoring: `active` distinct authors posted in each minute."""
    return pl.DataFrame(
        {"minute": [T0 + m * M for m in minutes], "authors": [active] * len(minutes)},
        schema_overrides={"minute": pl.Datetime("us", "UTC")},
    )


def _window(
    minute: int, authors: int, keyword: str = "zorblax", previous: int = 0
) -> dict[str, object]:
    return {
        "minute": T0 + minute * M,
        "keyword": keyword,
        "kind": "word",
        "count": authors,
        "unique_authors": authors,
        "window_start": T0 + (minute - 9) * M,
        "window_end": T0 + (minute + 1) * M,
        "langs": ["en", "ja"],
        "lang_shares": [0.75, 0.25],
        "recent_authors": authors // 2,
        "unique_threads": authors,
        "recent_threads": authors // 2,
        "previous_authors": previous,
        "unique_copies": authors,
        "recent_copies": authors // 2,
    }


def _score(
    windows: list[dict[str, object]],
    history: pl.DataFrame,
    volume: pl.DataFrame,
    short_of: int = 0,
) -> pl.DataFrame:
    """Score windows over 60 minutes of history; with `short_of` (the minutes of history an
    alert needs) as the scores step does, with the fresh shares exact histories need."""
    frame = pl.DataFrame(
        windows,
        schema_overrides={
            k: pl.Datetime("us", "UTC") for k in ("minute", "window_start", "window_end")
        },
    )
    shares = history_shares(history, volume)
    baselines = baseline_snapshots(shares, snapshots_needed(frame["minute"], 10), 60)
    span = fresh_minutes(frame["minute"].to_list(), volume, 10, 60, short_of)
    fresh = None if span is None else shares.filter(pl.col("minute").is_between(*span, "left"))
    return score_windows(
        frame, baselines, volume, window_minutes=10, baseline_minutes=60, noise_floor=2.0,
        fresh=fresh, short_of=short_of,
    )  # fmt: skip


def _score_exact(
    windows: list[dict[str, object]], history: pl.DataFrame, volume: pl.DataFrame
) -> pl.DataFrame:
    return _score(windows, history, volume, short_of=10)


def test_a_young_streams_history_is_every_minute_before_the_window_not_the_boundary() -> None:
    # Posts from minute 0. The window ending at 18 starts at 9; its boundary, 0, has no
    # history, short of the 10 minutes an alert needs: the window takes minutes 0-8.
    history = _history("zorblax", [0] * 4 + [3] * 5 + [9] * 10, 0)  # 3 a minute in 4-8
    volume = _volume(range(0, 19), 100)
    assert fresh_minutes([T0 + 18 * M], volume, 10, 60, 10) == (T0, T0 + 9 * M)
    snapshot_only = _score([_window(18, 30)], history, volume).row(0, named=True)
    exact = _score_exact([_window(18, 30)], history, volume).row(0, named=True)
    assert (snapshot_only["history_minutes"], exact["history_minutes"]) == (0, 9)
    assert snapshot_only["baseline"] == pytest.approx(0.0)
    # A share of 3/100 in 5 of the 9 minutes, times the window's 1,000 active authors.
    assert exact["baseline"] == pytest.approx(5 * 0.03 / 9 * 1000)
    # The boundary of the window ending at 25 (minute 10) has 10 minutes: it keeps them.
    assert fresh_minutes([T0 + 25 * M], _volume(range(0, 26), 100), 10, 60, 10) is None


def test_a_boundary_under_10_minutes_of_history_is_young_though_an_alert_may_stand_on_it() -> None:
    # Posts from minute 5. The window ending at 23 starts at 14; its boundary, 10, has 5
    # minutes of history, enough for 3 minutes needed, but minutes 10-13 nearly double it.
    assert young_history_minutes(3) == 10 and young_history_minutes(30) == 30
    history = _history("zorblax", [1] * 19, 5)
    volume = _volume(range(5, 24), 100)
    assert fresh_minutes([T0 + 23 * M], volume, 10, 60, 3) is None
    assert fresh_minutes([T0 + 23 * M], volume, 10, 60, young_history_minutes(3)) == (
        T0 + 10 * M,
        T0 + 14 * M,
    )
    young = _score([_window(23, 20)], history, volume, short_of=young_history_minutes(3))
    assert young.row(0, named=True)["history_minutes"] == 9  # minutes 5-13, not 5-9
    # From the boundary at 20 on, the history holds 15 minutes: it stays the boundary's.
    assert fresh_minutes([T0 + 33 * M], _volume(range(5, 34), 100), 10, 60, 10) is None


def test_once_a_stream_outlives_its_history_the_snapshot_history_stays() -> None:
    history = _history("zorblax", [0, 1, 2, 1] * 25, 0)
    volume = _volume(range(0, 101), 100)
    assert fresh_minutes([T0 + m * M for m in range(80, 101)], volume, 10, 60, 10) is None
    windows = [_window(m, 20) for m in (95, 100)]
    assert _score_exact(windows, history, volume).equals(_score(windows, history, volume))


def test_after_a_pause_as_long_as_the_history_the_window_gets_every_minute_before_it() -> None:
    history = _history("zorblax", [1] * 101, 0)
    volume = pl.concat([_volume(range(0, 21), 100), _volume(range(81, 101), 100)])
    # Window 91-100, boundary 90: its history has 9 minutes with posts, short of 10, and
    # nothing was posted in [30, 31): minute 90 joins the history.
    exact = _score_exact([_window(100, 20)], history, volume).row(0, named=True)
    assert exact["history_minutes"] == 10  # minutes 81-90; the boundary's history has 81-89
    assert _score([_window(100, 20)], history, volume).row(0, named=True)["history_minutes"] == 9


def test_a_keyword_never_seen_scores_by_the_noise_floor() -> None:
    scored = _score(
        [_window(100, 12)], _history("other", [1] * 60, 30), _volume(range(0, 101), 100)
    )
    row = scored.row(0, named=True)
    assert row["baseline"] == 0.0 and row["history_minutes"] == 60
    assert row["zscore"] == pytest.approx((12 - 2.0) / 2.0)


def test_a_conversation_scores_by_its_threads_not_its_repliers() -> None:
    # 12 authors: in 12 threads, in 3 (one post and its replies, say), threads unknown.
    windows = [
        _window(100, 12, keyword="apart"),
        _window(100, 12, keyword="talk") | {"unique_threads": 3},
        _window(100, 12, keyword="unknown") | {"unique_threads": None},
    ]
    history, volume = _history("other", [1] * 60, 30), _volume(range(0, 101), 100)
    z = {r["keyword"]: r["zscore"] for r in _score(windows, history, volume).iter_rows(named=True)}
    assert z["apart"] == z["unknown"] == pytest.approx((12 - 2.0) / 2.0)
    assert z["talk"] == pytest.approx((3 - 2.0) / 2.0)


def test_the_baseline_follows_the_keyword_share_of_volume() -> None:
    # 2 authors per 100 posts each history minute; the window has 200 posts a minute.
    history = _history("zorblax", [2] * 60, 30)
    volume = pl.concat([_volume(range(30, 90), 100), _volume(range(91, 101), 200)])
    scored = _score([_window(100, 40)], history, volume)
    row = scored.row(0, named=True)
    assert row["baseline"] == pytest.approx(0.02 * 2000)  # the daily rhythm moves the expectation
    assert row["baseline_std"] == pytest.approx(0.0)
    assert row["zscore"] == pytest.approx(0.0)


def test_a_burst_over_a_noisy_baseline_has_a_high_z_and_velocity() -> None:
    history = _history("zorblax", [0, 1, 2, 1] * 15, 30)
    volume = _volume(range(0, 101), 100)
    scored = _score([_window(100, 60, previous=20)], history, volume)
    row = scored.row(0, named=True)
    assert row["baseline"] == pytest.approx(10.0)
    assert row["zscore"] > 4
    assert row["velocity"] == 40


def _scored(
    minute: int,
    score: float,
    z: float = 6.0,
    authors: int = 20,
    baseline: float = 1.0,
    history: int = 120,
    keyword: str = "zorblax",
) -> dict[str, object]:
    return score_row(
        minute, score, keyword=keyword, z=z, authors=authors, baseline=baseline, history=history
    )


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema_overrides={
            k: pl.Datetime("us", "UTC") for k in ("minute", "window_start", "window_end")
        },
    )


def test_eligibility_needs_every_threshold() -> None:
    rows = _frame(
        [
            _scored(1, 10, keyword="ok"),
            _scored(1, 10, z=3.9, keyword="low_z"),
            _scored(1, 10, authors=7, keyword="few_authors"),
            _scored(1, 10, baseline=15, keyword="low_ratio"),
            _scored(1, 10, history=10, keyword="cold_start"),
            # z 4.5 and 3x the baseline, but a Poisson(7.5) count reaches 23 by chance
            _scored(1, 10, z=4.5, authors=23, baseline=7.54, keyword="unsurprising"),
        ]
    )
    assert eligible(rows, RULES)["keyword"].to_list() == ["ok"]


def test_the_surprise_needed_rises_with_the_windows_a_minute_scored() -> None:
    # 15 authors where 2 were expected: a surprise of 7.2, past the configured 5.
    row = score_row(1, 10, keyword="fifteen", z=4.0, authors=15, baseline=2.0)
    assert 7 < surprise(15, 2.0, 120, 10) < 7.5
    rows = _frame([row])
    minute = T0 + timedelta(minutes=1)
    quiet = pl.DataFrame({"minute": [minute], "windows": [600]})
    busy = quiet.with_columns(windows=pl.lit(2_000_000, pl.Int64))
    # 600 windows a minute, tested for an hour at 10^-5 each, pass 0.36 times by chance
    # (more than the 0.1 allowed: 5.56 needed); 2 million pass 1,200 times (9.08 needed).
    needed = surprise_thresholds(pl.concat([quiet, busy.with_columns(pl.col("minute") + M)]), RULES)
    assert needed["threshold"].round(2).to_list() == [5.56, 9.08]
    assert eligible(rows, RULES, quiet)["keyword"].to_list() == ["fifteen"]
    assert eligible(rows, RULES, busy).is_empty()
    # A handful of windows keeps the configured threshold; by default `rows` are them all.
    assert surprise_thresholds(windows_scored(rows), RULES)["threshold"].to_list() == [5.0]
    assert eligible(rows, RULES)["keyword"].to_list() == ["fifteen"]


def test_a_burst_surprising_in_its_recent_minutes_is_eligible_before_its_window_is() -> None:
    # 11 authors against 2.2 expected in 10 minutes is no surprise, but all 11 came in the
    # last 3 minutes, where 0.66 were expected.
    def row(keyword: str, recent: int) -> dict[str, object]:
        return score_row(1, 10, keyword=keyword, z=4.0, authors=11, recent=recent, baseline=2.2)

    rows = _frame([row("equal", 11), row("spread", 4)])
    assert eligible(rows, RULES)["keyword"].to_list() == ["equal"]
    # With the recent window as long as the window, only the window's surprise counts.
    whole = dataclasses.replace(RULES, recent_minutes=RULES.window_minutes)
    assert eligible(rows, whole).is_empty()


def test_a_conversation_counts_as_one_voice_however_many_reply() -> None:
    # 20 authors against 1 expected: a trend when they post apart, not when they all reply
    # in two threads. Threads not known (rows scored before they were counted): authors.
    rows = _frame(
        [
            score_row(1, 10, keyword="apart", authors=20, threads=20),
            score_row(1, 10, keyword="one_thread", authors=20, threads=2),
            score_row(1, 10, keyword="unknown", authors=20, threads=None)
            | {"unique_threads": None},
            score_row(1, 10, keyword="recent_apart", authors=9, recent=9, baseline=2.2),
            score_row(
                1, 10, keyword="recent_thread", authors=9, recent=9, recent_threads=1, baseline=2.2
            ),
        ]
    )
    assert eligible(rows, RULES)["keyword"].to_list() == ["apart", "unknown", "recent_apart"]


def test_lifecycle_announces_once_escalates_and_restarts_after_cooldown() -> None:
    rows = _frame(
        [
            _scored(1, 10),
            _scored(2, 12),
            _scored(3, 25),
            _scored(4, 26),
            _scored(50, 30),
            _scored(200, 5),
        ]
    )
    found = announce(rows, {}, RULES)
    # Minute 50 is inside the cooldown after the trend ended (minute 34) and does not double
    # the last announced score: it raises nothing.
    assert [(a["minute"], a["status"]) for a in found] == [
        (T0 + M, NEW),
        (T0 + 3 * M, ESCALATING),
        (T0 + 5 * M, COOLING),
        (T0 + 34 * M, ENDED),
        (T0 + 200 * M, NEW),
    ]
    assert len({a["alert_id"] for a in found[:4]}) == 1
    assert found[0]["alert_id"] != found[4]["alert_id"]


def test_prior_state_continues_a_trend_across_runs() -> None:
    rows = _frame([_scored(1, 10), _scored(2, 11), _scored(3, 30)])
    whole = announce(rows, {}, RULES)
    first = announce(rows.filter(pl.col("minute") < T0 + 2 * M), {}, RULES)
    prior = prior_state(first, eligible(rows.filter(pl.col("minute") < T0 + 2 * M), RULES))
    second = announce(rows.filter(pl.col("minute") >= T0 + 2 * M), prior, RULES)
    assert first + second == whole


def test_minute_volume_counts_distinct_posts_authors_keywords() -> None:
    posts = _posts(
        [
            make_post("zorblax quibble", did="did:plc:a"),
            make_post("zorblax", did="did:plc:b"),
            make_post("zorblax", did="did:plc:b"),
        ]
    )
    volume = minute_volume(posts, minute_counts(keyword_occurrences(posts)), T0, T0 + 3 * M)
    assert volume["posts"].to_list() == [3, 0, 0]  # quiet minutes get a row
    first = volume.row(0, named=True)
    assert (first["posts"], first["authors"], first["keywords"]) == (
        3,
        2,
        3,
    )  # zorblax, quibble, the phrase


def test_language_mix_and_dominant_languages() -> None:
    posts = _posts(
        [make_post("zorblax", did=f"did:plc:j{i}", langs=["ja"]) for i in range(6)]
        + [make_post("zorblax", did=f"did:plc:e{i}", langs=["en-US"]) for i in range(3)]
        + [make_post("zorblax", did="did:plc:x", langs=[])]
    )
    windows = window_counts(
        minute_counts(keyword_occurrences(posts)), T0, T0 + M, window_minutes=5, min_authors=1
    )
    row = windows.filter(pl.col("keyword") == "zorblax").row(0, named=True)
    assert row["langs"] == ["ja", "en", "und"]
    assert row["lang_shares"] == [0.6, 0.3, 0.1]
    scored = _scored(1, 10)
    scored.update(langs=row["langs"], lang_shares=row["lang_shares"])
    (alert,) = announce(_frame([scored]), {}, RULES)
    assert alert["langs"] == ["ja", "en"]  # und at 10% is not dominant


@pytest.mark.parametrize(
    ("text", "langs", "expected"),
    [
        ("新しいゲームが楽しい", [], "ja"),  # kana with Han
        ("ポケモン", [], "ja"),
        ("今天的新闻很重要", [], "zh"),  # Han without kana
        ("서울에서 만나요", [], "ko"),
        ("สวัสดีครับ", [], "th"),  # vowel signs are marks: they count as the script's
        ("Καλημέρα κόσμε", [], "el"),
        ("שלום עולם", [], "he"),
        ("Привет мир", [], "und"),  # Russian, Ukrainian, Bulgarian...: not guessed
        ("good morning", [], "und"),
        ("東京 trip with my friends", [], "und"),  # Latin letters are the majority
        ("🔥🔥 2024", [], "und"),
        ("新しいゲーム", ["en-US"], "en"),  # a declared language always wins
    ],
)
def test_a_post_without_languages_is_put_in_the_mix_by_its_script(
    text: str, langs: list[str], expected: str
) -> None:
    posts = _posts([make_post(text, langs=langs)])
    assert post_languages(posts).to_list() == [expected]


def test_undeclared_japanese_posts_count_as_japanese_in_a_keywords_mix() -> None:
    posts = _posts(
        [make_post("ポケモン 新作", did=f"did:plc:j{i}", langs=[]) for i in range(3)]
        + [make_post("ポケモン", did="did:plc:e", langs=["en"])]
    )
    windows = window_counts(
        minute_counts(keyword_occurrences(posts)), T0, T0 + M, window_minutes=5, min_authors=1
    )
    row = windows.filter(pl.col("keyword") == "ポケモン").row(0, named=True)
    assert (row["langs"], row["lang_shares"]) == (["ja", "en"], [0.75, 0.25])


def test_a_phrase_explains_its_words_surge() -> None:
    rows = _frame(
        [
            _scored(5, 20, authors=20, keyword="grumpy noodle") | {"kind": "phrase"},
            _scored(5, 20, authors=22, keyword="grumpy"),
            _scored(5, 20, authors=60, keyword="noodle"),  # noodle trends beyond the phrase
        ]
    )
    kept = eligible(rows, RULES).sort("keyword")["keyword"].to_list()
    assert kept == ["grumpy noodle", "noodle"]


def test_a_hyphenated_compound_explains_its_parts_surge_as_a_phrase_does() -> None:
    rows = _frame(
        [
            _scored(5, 20, authors=20, keyword="spider-man"),
            _scored(5, 20, authors=24, keyword="spider"),
            _scored(5, 20, authors=50, keyword="man"),  # man trends beyond the compound
            # A hashtag or a domain with a hyphen is no compound word: "comic" stays.
            _scored(5, 20, authors=20, keyword="#web-comic") | {"kind": "hashtag"},
            _scored(5, 20, authors=20, keyword="comic-strip.com") | {"kind": "domain"},
            _scored(5, 20, authors=20, keyword="comic"),
        ]
    )
    kept = eligible(rows, RULES).sort("keyword")["keyword"].to_list()
    assert kept == ["#web-comic", "comic", "comic-strip.com", "man", "spider-man"]


def test_a_han_name_explains_the_surge_of_its_pieces() -> None:
    # "大谷翔平" trending makes every bigram and 3-gram of it trend by the same authors.
    pieces = ["大谷", "谷翔", "翔平", "大谷翔", "谷翔平"]
    rows = _frame(
        [
            _scored(5, 20, authors=20, keyword="大谷翔平"),
            *(_scored(5, 20, authors=21, keyword=piece) for piece in pieces),
            _scored(5, 20, authors=20, keyword="東京都"),
            _scored(5, 20, authors=60, keyword="東京"),  # 東京 trends beyond 東京都
            _scored(5, 20, authors=20, keyword="京都"),
            _scored(5, 20, authors=20, keyword="谷翔"),  # a minute later: nothing covers it
        ]
    )
    rows = rows.with_columns(
        minute=pl.when(pl.int_range(pl.len()) == pl.len() - 1)
        .then(pl.col("minute") + M)
        .otherwise(pl.col("minute"))
    )
    kept = eligible(rows, RULES).sort("minute", "keyword").select("minute", "keyword").rows()
    minute = rows["minute"][0]
    assert kept == [
        (minute, "大谷翔平"),
        (minute, "東京"),
        (minute, "東京都"),
        (minute + M, "谷翔"),
    ]


def test_a_word_inside_a_scored_whole_is_its_part_even_when_the_whole_is_not_eligible() -> None:
    # The end of a new name of everyday words: the name has fallen under the z threshold,
    # its part 警察 not yet, but the name still holds 21 of its 24 authors.
    rows = _frame(
        [
            _scored(5, 20, authors=21, z=3.3, keyword="警察沖縄"),
            score_row(5, 20, authors=24, keyword="警察", cover=21),
            score_row(5, 20, authors=40, keyword="沖縄", cover=21),  # 沖縄 trends beyond it
        ]
    )
    assert eligible(rows, RULES)["keyword"].to_list() == ["沖縄"]


def test_scores_carry_the_authors_of_the_widest_whole_containing_each_word() -> None:
    windows = [
        _window(100, 12, keyword="grumpy noodle") | {"kind": "phrase"},
        _window(100, 9, keyword="crunchy noodle") | {"kind": "phrase"},
        _window(100, 30, keyword="noodle"),
        _window(100, 8, keyword="spider-man"),
        _window(100, 10, keyword="spider"),
        _window(100, 7, keyword="大谷翔平"),
        _window(100, 7, keyword="谷翔"),
        _window(100, 6, keyword="東京オリンピック"),
        _window(100, 9, keyword="オリンピック"),
        _window(100, 9, keyword="東京"),
        _window(100, 9, keyword="grumpy"),
        _window(101, 9, keyword="grumpy"),  # a minute without the phrase
        _window(100, 9, keyword="#noodle") | {"kind": "hashtag"},  # only words are parts
    ]
    history = pl.concat([_history(w["keyword"], [1] * 60, 40) for w in windows[:11]])  # type: ignore[arg-type]
    scored = _score(windows, history, _volume(range(40, 102), 100))
    cover = {
        (row["keyword"], row["minute"]): row["cover_authors"]
        for row in scored.iter_rows(named=True)
    }
    minute = T0 + 100 * M
    assert cover[("noodle", minute)] == 12
    assert cover[("grumpy", minute)] == 12
    assert cover[("grumpy", minute + M)] is None
    assert cover[("spider", minute)] == 8
    assert cover[("谷翔", minute)] == 7
    assert cover[("オリンピック", minute)] == cover[("東京", minute)] == 6
    assert cover[("#noodle", minute)] is None
    assert cover[("grumpy noodle", minute)] is None


def test_a_window_uses_the_snapshot_of_the_last_boundary_before_it_starts() -> None:
    # Windows ending at 98 and 99 start at 89 and 90: snapshots as of 80 and 90.
    assert snapshots_needed([T0 + 98 * M, T0 + 99 * M, T0 + 100 * M], 10) == [
        T0 + 80 * M,
        T0 + 90 * M,
    ]


def test_snapshots_sum_exactly_the_history_before_their_boundary() -> None:
    history = pl.concat(
        [
            _history("zorblax", [0, 1, 2, 1, 3] * 14, 25),
            _history("quux", [1, 0, 0, 2] * 17, 28),
            # One author in the block from minute 40, two in the one from 50.
            _history("lone star", [1] + [0] * 9 + [1, 1], 40, "phrase"),
            _history("lone", [1] + [0] * 9 + [1, 1], 40),
        ]
    )
    volume = _volume(range(0, 110), 97)
    as_of = [T0 + m * M for m in (60, 70, 80, 90, 100)]
    snapshots = baseline_snapshots(history_shares(history, volume), as_of, 60)
    names = {
        author_key(f"{kind}:{word}"): word
        for word, kind in history.select("keyword", "kind").unique().iter_rows()
    }
    for row in snapshots.iter_rows(named=True):
        lo, hi = row["as_of"] - 60 * M, row["as_of"]
        mine = history.filter(
            (pl.col("keyword") == names[row["key"]])
            & (pl.col("minute") >= lo)
            & (pl.col("minute") < hi)
        )
        blocks: dict[int, list[int]] = {}
        for minute, authors in zip(mine["minute"], mine["authors"], strict=True):
            blocks.setdefault((minute - T0) // (10 * M), []).append(authors)
        is_phrase = " " in names[row["key"]]
        kept = [a for block in blocks.values() if sum(block) >= 2 or not is_phrase for a in block]
        assert row["share_sum"] == sum(round(a / 97 * SHARE_UNIT) for a in kept)
        assert row["share_sq_sum"] == sum(round((a / 97) ** 2 * SHARE_UNIT) for a in kept)
    assert snapshots.height == 20  # every keyword at every boundary
    # The phrase's history is its block of two authors, without the block of one; the word
    # with the same authors keeps both.
    phrase = snapshots.filter(pl.col("key") == author_key("phrase:lone star"))
    assert phrase["share_sum"].to_list() == [2 * round(SHARE_UNIT / 97)] * 5
    word = snapshots.filter(pl.col("key") == author_key("word:lone"))
    assert word["share_sum"].to_list() == [3 * round(SHARE_UNIT / 97)] * 5


@pytest.mark.parametrize("native", [True, False])
def test_keyword_keys_hash_the_kind_with_the_keyword(
    native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if native and not keywords_native.available():
        pytest.skip("the native module is not built")
    monkeypatch.setattr(keywords_native, "available", lambda: native)
    frame = pl.DataFrame(
        {"keyword": ["zorblax", "zorblax", "new york"], "kind": ["word", "hashtag", "phrase"]}
    )
    keys = keyword_keys(frame)
    assert keys.name == "key"
    assert keys.to_list() == [
        author_key("word:zorblax"),
        author_key("hashtag:zorblax"),  # the same text of another kind is another keyword
        author_key("phrase:new york"),
    ]
    assert keyword_keys(frame.clear()).dtype == pl.Int64


def test_advancing_a_snapshot_equals_building_it_from_the_whole_history() -> None:
    history = pl.concat(
        [
            _history("zorblax", [0, 1, 2, 1, 3] * 14, 25),
            _history("quux", [1, 0, 0, 2] * 17, 28),
            _history("gone", [1, 2], 21),  # leaves the history between the two snapshots
            # Blocks entering the history: a phrase's with one author is left out of it.
            _history("once more", [1], 84, "phrase"),
            _history("twice more", [1, 1], 84, "phrase"),
            _history("once", [1], 84),
        ]
    )
    shares = history_shares(history, _volume(range(0, 110), 97))
    at_80, at_90 = T0 + 80 * M, T0 + 90 * M

    def between(lo: int, hi: int) -> pl.DataFrame:
        minutes = pl.col("minute").is_between(T0 + lo * M, T0 + hi * M, closed="left")
        return block_sums(shares.filter(minutes))

    previous = baseline_snapshots(shares, [at_80], 60)
    advanced = advance_snapshot(previous, between(80, 90), between(20, 30), at_90)
    assert author_key("word:gone") in previous["key"].to_list()
    assert author_key("word:gone") not in advanced["key"].to_list()
    assert author_key("phrase:twice more") in advanced["key"].to_list()
    assert author_key("phrase:once more") not in advanced["key"].to_list()
    assert author_key("word:once") in advanced["key"].to_list()
    assert advanced.equals(baseline_snapshots(shares, [at_90], 60))


def test_no_wanted_windows_gives_an_empty_frame() -> None:
    counts = minute_counts(keyword_occurrences(_posts([make_post("zorblax")])))
    wanted = pl.DataFrame(
        schema={"minute": pl.Datetime("us", "UTC"), "keyword": pl.String, "kind": pl.String}
    )
    assert exact_windows(counts, wanted, 10).height == 0


def test_trends_list_a_name_once_not_its_pieces_unless_words_are_asked_for(
    tmp_path: Path,
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    rows = [
        score_row(5, 30.0, keyword="大谷翔平", authors=20),
        score_row(5, 29.0, keyword="谷翔平", authors=20, cover=20),
        score_row(5, 28.0, keyword="大谷", authors=30, cover=20),
        score_row(5, 27.0, keyword="翔平", authors=40, cover=20),  # trends beyond the name
        score_row(5, 26.0, keyword="grumpy noodle", authors=12),
        score_row(5, 25.0, keyword="noodle", authors=12, cover=12),
    ]
    frame = _frame(rows).with_columns(date=pl.col("minute").dt.date())
    lake.replace_range(TREND_SCORES, frame.to_arrow(), T0, T0 + 10 * M)
    _, listed = trends_at(lake, None, top=10)
    assert [r["keyword"] for r in listed] == ["大谷翔平", "翔平", "grumpy noodle"]
    _, words = trends_at(lake, None, top=10, kind="word")
    assert [r["keyword"] for r in words] == ["大谷翔平", "谷翔平", "大谷", "翔平", "noodle"]


def _synth_posts(stream: Path, minutes: int) -> tuple[pl.DataFrame, datetime]:
    """The first `minutes` of a synth stream's posts, and its first minute."""
    rows = [e.row for e in read_jetstream_file(stream) if e.kind == "post" and e.row]
    posts = pl.from_arrow(rows_to_table(rows, POSTS))
    assert isinstance(posts, pl.DataFrame)
    start = as_datetime(posts["event_time"].min()).replace(second=0, microsecond=0)
    return posts.filter(pl.col("event_time") < start + minutes * M), start


@native_or_not
def test_a_minutes_language_mix_ties_go_by_language_code(native: bool) -> None:
    langs = [["pt"], ["de"], ["ja"], ["de"], ["pt"], ["en"]]
    posts = _posts(
        [make_post("zorblax", did=f"did:plc:{i}", langs=lang) for i, lang in enumerate(langs)]
    )
    counts = minute_counts(keyword_occurrences(posts), native=native)
    row = counts.row(0, named=True)
    assert (row["langs"], row["lang_posts"]) == (["de", "pt", "en", "ja"], [2, 2, 1, 1])
    assert (row["posts"], row["authors"]) == (6, 6)
    assert row["author_keys"] == sorted(author_key(f"did:plc:{i}") for i in range(6))


@pytest.mark.skipif(not keywords_native.available(), reason="the native module is not built")
def test_native_minute_counts_equal_polars_on_a_synth_stream(small_stream: Path) -> None:
    posts, _ = _synth_posts(small_stream, 40)
    occurrences = keyword_occurrences(posts)
    native = minute_counts(occurrences)
    assert native.height > 5_000
    assert native["langs"].list.len().max() > 1  # type: ignore[operator]
    assert native.equals(minute_counts(occurrences, native=False))


@pytest.mark.skipif(not keywords_native.available(), reason="the native module is not built")
@pytest.mark.parametrize("targets", [1, 30])
def test_native_exact_windows_equal_polars_on_a_synth_stream(
    small_stream: Path, targets: int
) -> None:
    # One window a keyword (live mode) and thirty (a backfill step), over 40 minutes of a
    # stream with bursts, some minutes counted before threads were (thread_keys null).
    posts, start = _synth_posts(small_stream, 40)
    counts = minute_counts(keyword_occurrences(posts)).with_columns(
        thread_keys=pl.when(pl.col("minute") == start + 12 * M)
        .then(None)
        .otherwise(pl.col("thread_keys"))
    )
    first = start + (39 - targets + 1) * M
    wanted = window_bounds(counts, first, start + 40 * M, 10, 2).select("minute", "keyword", "kind")
    native = exact_windows(counts, wanted, 10, 3)
    assert native.height > 200
    # Only the backfill's windows reach back to the minute without thread keys.
    assert (native["unique_threads"].null_count() > 0) == (targets > 1)
    assert native.equals(exact_windows(counts, wanted, 10, 3, native=False))


@pytest.mark.skipif(not keywords_native.available(), reason="the native module is not built")
def test_native_exact_windows_read_a_frame_in_chunks(small_stream: Path) -> None:
    # `Lake.read` hands over frames in a few chunks, which the native pass reads where they
    # lie: cut at other rows (an empty chunk among them, and one column cut elsewhere), the
    # windows are those of the frame in one chunk, and Polars'.
    posts, start = _synth_posts(small_stream, 40)
    counts = minute_counts(keyword_occurrences(posts)).with_columns(
        thread_keys=pl.when(pl.col("minute") == start + 12 * M)
        .then(None)
        .otherwise(pl.col("thread_keys"))
    )
    n = counts.height
    cuts = [0, n // 3, n // 3, n // 2, n]
    chunked = pl.concat(
        [counts.slice(a, b - a) for a, b in itertools.pairwise(cuts)], rechunk=False
    )
    copies = counts["copy_keys"]
    chunked = chunked.with_columns(
        pl.concat([copies.slice(0, n // 4), copies.slice(n // 4)], rechunk=False)
    )
    assert chunked["author_keys"].n_chunks() >= 3
    assert chunked["copy_keys"].chunk_lengths() != chunked["author_keys"].chunk_lengths()
    wanted = window_bounds(counts, start + 10 * M, start + 40 * M, 10, 2).select(
        "minute", "keyword", "kind"
    )
    native = exact_windows(chunked, wanted, 10, 3)
    assert native.height > 200
    assert native.equals(exact_windows(counts.rechunk(), wanted, 10, 3))
    assert native.equals(exact_windows(chunked, wanted, 10, 3, native=False))


@pytest.mark.skipif(not keywords_native.available(), reason="the native module is not built")
@pytest.mark.parametrize("column", ["author_keys", "langs"])
def test_lists_with_a_null_item_are_windowed_by_polars(small_stream: Path, column: str) -> None:
    # No version writes a null item into a key or language list, and the native pass does
    # not read one: such a frame is windowed by Polars, the same as without the native pass.
    posts, start = _synth_posts(small_stream, 20)
    counts = minute_counts(keyword_occurrences(posts))
    first = counts.filter(pl.col("minute") == start + 15 * M).row(0, named=True)
    row = (pl.col("key") == first["key"]) & (pl.col("minute") == first["minute"])
    inner = pl.String if column == "langs" else pl.Int64
    appended = [(column, pl.lit(None, inner))] + ([("lang_posts", pl.lit(1))] * (column == "langs"))
    counts = counts.with_columns(
        pl.when(row).then(pl.concat_list(name, item)).otherwise(name).alias(name)
        for name, item in appended
    )
    assert counts[column].list.explode().null_count() == 1
    assert counts[column].null_count() == 0
    with pytest.raises(keywords_native.NullItemsError):
        keywords_native.window_distincts(counts, counts.select("minute", "key"), 10, 3, 3)
    wanted = window_bounds(counts, start + 10 * M, start + 20 * M, 10, 2).select(
        "minute", "keyword", "kind"
    )
    assert exact_windows(counts, wanted, 10, 3).equals(
        exact_windows(counts, wanted, 10, 3, native=False)
    )
