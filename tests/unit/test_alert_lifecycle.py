"""The alert lifecycle new -> escalating -> cooling -> ended (pure), and its rows on a lake."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import jsonschema
import polars as pl
import pytest

from tests.conftest import RULES, T0, score_row
from trendlake.alerts import (
    COOLING,
    ENDED,
    ESCALATING,
    NEW,
    alert_id,
    announce,
    eligible,
    prior_state,
)
from trendlake.config import Settings
from trendlake.lake import Lake
from trendlake.models import ALERTS, TREND_SCORES
from trendlake.pipeline import MinuteRange, compute_alerts
from trendlake.publish.payload import event_id, schema, to_payload

M = timedelta(minutes=1)
TIMES = ("minute", "window_start", "window_end")


def _scored(
    minute: int, score: float, keyword: str = "zorblax", z: float = 6.0
) -> dict[str, object]:
    return score_row(minute, score, keyword=keyword, z=z, count=30)


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={k: pl.Datetime("us", "UTC") for k in TIMES})


def _steps(found: list[dict[str, object]]) -> list[tuple[int, str]]:
    return [(int((a["minute"] - T0) / M), str(a["status"])) for a in found]  # type: ignore[operator]


def test_a_trend_cools_at_its_first_quiet_minute_and_ends_after_the_quiet_period() -> None:
    rows = _frame([_scored(1, 10), _scored(2, 25), _scored(3, 12)])
    found = announce(rows, {}, RULES, until=T0 + 120 * M)
    assert _steps(found) == [(1, NEW), (2, ESCALATING), (4, COOLING), (33, ENDED)]
    assert {a["alert_id"] for a in found} == {alert_id("zorblax", "word", T0 + M)}
    cooling, ended = found[2], found[3]
    # cooling and ended carry the last eligible window (minute 3), not the escalated one
    assert cooling["window_end"] == ended["window_end"] == T0 + 4 * M
    assert cooling["score"] == ended["score"] == 12


def test_transitions_wait_until_their_minute_is_computed() -> None:
    rows = _frame([_scored(1, 10), _scored(2, 11)])
    assert _steps(announce(rows, {}, RULES, until=T0 + 3 * M)) == [(1, NEW)]
    assert _steps(announce(rows, {}, RULES, until=T0 + 4 * M)) == [(1, NEW), (3, COOLING)]
    assert _steps(announce(rows, {}, RULES, until=T0 + 32 * M))[-1] == (3, COOLING)
    assert _steps(announce(rows, {}, RULES, until=T0 + 33 * M))[-1] == (32, ENDED)


def test_a_revival_stays_cooling_unless_it_escalates_and_then_cools_again() -> None:
    rows = _frame(
        [
            _scored(1, 10),
            _scored(5, 15),  # back, but not doubled: no row, still cooling
            _scored(9, 30),  # doubled: escalating, and it may cool again
        ]
    )
    found = announce(rows, {}, RULES, until=T0 + 60 * M)
    assert _steps(found) == [(1, NEW), (2, COOLING), (9, ESCALATING), (10, COOLING), (39, ENDED)]


def test_the_cooldown_silences_a_new_trend_unless_its_score_escalates() -> None:
    rows = _frame(
        [
            _scored(0, 10, keyword="quiet"),
            _scored(40, 15, keyword="quiet"),  # ended at 30; 40 min after its alert: silenced
            _scored(70, 15, keyword="quiet"),  # the cooldown is over: a new trend
            _scored(0, 10, keyword="loud"),
            _scored(40, 25, keyword="loud"),  # inside the cooldown, but 2.5x the last alert
        ]
    )
    found = announce(rows, {}, RULES, until=T0 + 71 * M)
    quiet = [a for a in found if a["keyword"] == "quiet"]
    loud = [a for a in found if a["keyword"] == "loud"]
    assert _steps(quiet) == [(0, NEW), (1, COOLING), (30, ENDED), (70, NEW)]
    assert _steps(loud) == [
        (0, NEW),
        (1, COOLING),
        (30, ENDED),
        (40, NEW),
        (41, COOLING),
        (70, ENDED),
    ]
    assert loud[3]["alert_id"] == alert_id("loud", "word", T0 + 40 * M) != loud[0]["alert_id"]


SCENARIO = [
    *[_scored(m, 10 + m) for m in range(0, 6)],
    _scored(8, 40),
    *[_scored(m, 12, keyword="other") for m in (3, 4, 40, 41, 75)],
    _scored(100, 50),
    _scored(101, 200),
    _scored(140, 20, keyword="other"),
]


@pytest.mark.parametrize("cuts", [[5], [2, 9], [33, 34, 71], [1, 4, 8, 30, 39, 101, 120]])
def test_any_split_into_ranges_gives_the_rows_of_one_pass(cuts: list[int]) -> None:
    scores = eligible(_frame(SCENARIO), RULES)
    end = T0 + 180 * M
    whole = announce(scores, {}, RULES, until=end)
    bounds = [T0, *(T0 + c * M for c in cuts), end]
    pieces: list[dict[str, object]] = []
    for start, stop in itertools.pairwise(bounds):
        before = scores.filter(
            (pl.col("minute") >= start - RULES.ended_after) & (pl.col("minute") < start)
        )
        prior = prior_state(pieces, before)
        chunk = scores.filter((pl.col("minute") >= start) & (pl.col("minute") < stop))
        pieces += [a for a in announce(chunk, prior, RULES, until=stop) if a["minute"] >= start]  # type: ignore[operator]
    assert pieces == whole
    assert {s for _, s in _steps(whole)} == {NEW, ESCALATING, COOLING, ENDED}


def test_every_row_the_lifecycle_emits_validates_against_the_published_schema() -> None:
    found = announce(eligible(_frame(SCENARIO), RULES), {}, RULES, until=T0 + 180 * M)
    validator = jsonschema.Draft202012Validator(schema())
    for row in found:
        validator.validate(to_payload(row))
    assert len({event_id(row) for row in found}) == len(found)  # one row per trend and minute


def _lake_scores(lake: Lake) -> None:
    frame = _frame(SCENARIO).with_columns(date=pl.col("minute").dt.date())
    lake.replace_range(TREND_SCORES, frame.to_arrow(), T0, T0 + 180 * M)


def test_the_alerts_table_is_the_same_for_any_chunking_and_on_rerun(tmp_path: Path) -> None:
    tables = []
    for chunk_minutes in (240, 10, 13):
        lake = Lake(str(tmp_path / f"lake{chunk_minutes}"))
        _lake_scores(lake)
        settings = Settings(
            lake_uri=lake.uri,
            chunk_minutes=chunk_minutes,
            z_threshold=4,
            min_authors=8,
            min_history_minutes=30,
            ended_minutes=30,
        )
        compute_alerts(lake, MinuteRange(T0, T0 + 180 * M), settings)
        first = lake.read(ALERTS).sort("minute", "keyword")
        compute_alerts(lake, MinuteRange(T0 + 20 * M, T0 + 110 * M), settings)  # a rerun
        assert lake.read(ALERTS).sort("minute", "keyword").equals(first)
        tables.append(first)
    assert tables[0].height == len(
        announce(eligible(_frame(SCENARIO), RULES), {}, RULES, until=T0 + 180 * M)
    )
    assert all(t.equals(tables[0]) for t in tables[1:])


def test_every_window_its_minute_scored_raises_the_surprise_an_alert_needs(
    tmp_path: Path,
) -> None:
    # 15 authors where 2 were expected (surprise 7.2): alone in its minute it needs 6.8 at
    # this allowance (log10(60 / 1e-5)); beside 99 windows scored but far from any alert
    # (z 0.5: never read as candidates) it needs 8.8.
    burst = score_row(60, 10, keyword="fifteen", z=4.0, authors=15, baseline=2.0)
    quiet = [score_row(60, 1, keyword=f"w{i}", z=0.5, authors=3) for i in range(99)]
    settings = Settings(lake_uri=str(tmp_path), chance_alerts_per_hour=1e-5)
    announced = []
    for name, rows in (("alone", [burst]), ("busy", [burst, *quiet])):
        lake = Lake(str(tmp_path / name))
        frame = _frame(rows).with_columns(date=pl.col("minute").dt.date())
        lake.replace_range(TREND_SCORES, frame.to_arrow(), T0, T0 + 180 * M)
        compute_alerts(lake, MinuteRange(T0, T0 + 180 * M), settings)
        announced.append(lake.read(ALERTS).filter(pl.col("status") == NEW)["keyword"].to_list())
    assert announced == [["fifteen"], []]
