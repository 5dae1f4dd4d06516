"""Alert rules and lifecycle (pure): when a window is alert-worthy, and what to say about it.

A window is eligible when its z-score, distinct authors and ratio to the baseline all pass
their thresholds, enough history stands behind the baseline, and its distinct authors, or
those of its last few minutes, are surprising enough given that history (`trendlake.surprise`:
an exact tail that allows for skewed counts and for a baseline estimated from little history,
which the z-score ignores). How surprising depends on how many windows were tested: a minute
that scores W windows meets a one-in-10^s streak about 60 W / 10^s times an hour by chance,
so the threshold is the larger of the configured one and log10(60 W / chance alerts an hour
allowed) (`surprise_thresholds`).

One trend of a keyword lives through `new -> escalating* -> cooling -> ended`:

- `new`: the first eligible window of a trend. A keyword announces a new trend only once per
  cooldown (counted from its previous announcement) unless the score beats the last announced
  score by the escalation factor; an eligible window the cooldown silences starts no trend.
- `escalating`: an eligible window whose score is at least the escalation factor times the
  trend's last announced score.
- `cooling`: the first minute the trend's window is no longer eligible. Emitted once per
  announcement: a trend that becomes eligible again without escalating stays `cooling`.
- `ended`: no eligible window for `ended_after`; the trend is over.

Each row is a function of the scores up to its minute, so reruns give identical rows. Cooling
and ended rows carry the trend's last eligible window (its counts and score) at the minute of
the transition. The alert id hashes the keyword, its kind and the trend's first minute, so it is
stable under reruns; (alert_id, minute) identifies one row, which publishers deduplicate on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from trendlake.parts import cover_authors, covered
from trendlake.scoring import voices
from trendlake.surprise import surprises
from trendlake.timeutil import MINUTE, as_datetime, iso

NEW = "new"
ESCALATING = "escalating"
COOLING = "cooling"
ENDED = "ended"
STATUSES = (NEW, ESCALATING, COOLING, ENDED)
ANNOUNCING = frozenset({NEW, ESCALATING})


@dataclass(frozen=True)
class AlertRules:
    z_threshold: float
    min_authors: int
    min_ratio: float
    min_history_minutes: int
    cooldown: timedelta
    escalation_factor: float
    surprise_threshold: float  # -log10 of the chance of so many authors (see surprise)
    chance_alerts_per_hour: float  # what chance may alert, given the windows tested
    window_minutes: int  # the window the scores were computed over
    recent_minutes: int  # the shorter window ending at the same minute, tested too
    ended_after: timedelta = timedelta(minutes=30)


@dataclass
class Trend:
    """An open trend: its id, last eligible window and what was last said about it."""

    alert_id: str
    last_window: dict[str, object]
    announced_score: float
    cooling: bool = False

    @property
    def last_eligible(self) -> datetime:
        return self.last_window["minute"]  # type: ignore[return-value]


@dataclass
class KeywordState:
    """What the lifecycle remembers of one keyword: its open trend and last announcement."""

    trend: Trend | None = None
    announced_at: datetime | None = None
    announced_score: float = 0.0
    rows: list[dict[str, object]] = field(default_factory=list)


DOMINANT_SHARE = 0.2


def surprise_thresholds(windows: pl.DataFrame, rules: AlertRules) -> pl.DataFrame:
    """(minute, threshold): the surprise a window of each minute needs.

    `windows` holds (minute, windows): how many windows each minute scored. Each is a test
    that chance passes once in 10^threshold, so a minute's threshold rises until its windows,
    tested every minute for an hour, would pass it `rules.chance_alerts_per_hour` times by
    chance (a Bonferroni bound), and never falls below `rules.surprise_threshold`.
    """
    tests_per_hour = pl.col("windows").cast(pl.Float64) * 60 / rules.chance_alerts_per_hour
    return windows.select(
        "minute",
        threshold=pl.max_horizontal(pl.lit(rules.surprise_threshold), tests_per_hour.log10()),
    )


def windows_scored(scores: pl.DataFrame) -> pl.DataFrame:
    """(minute, windows) of score rows: what `surprise_thresholds` reads."""
    return scores.group_by("minute").agg(windows=pl.len())


def eligible(
    scores: pl.DataFrame, rules: AlertRules, windows: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The score rows that pass every alert threshold, minus words a phrase, compound or
    longer Han or mixed word explains (`drop_covered_parts`).

    The thresholds count voices: distinct authors, but no more than the distinct threads
    they posted in, so a busy conversation (many repliers echoing a word of one post) counts
    once, as do accounts pasting one text (distinct copies, `trendlake.copies`) and one
    author flooding. A
    window must be surprising in full or in its last `recent_minutes` (against that share of
    the baseline): a burst's first minutes stand out there before they outweigh the rest of
    the window, which a common word's background fills. The surprise needed rises with the
    windows each minute scored (`surprise_thresholds`): `windows` gives them as (minute,
    windows) when `scores` holds only some of a minute's rows; by default `scores` holds
    them all.
    """
    if windows is None:
        windows = windows_scored(scores)
    scores = scores.with_columns(
        voices=voices(pl.col("unique_authors"), pl.col("unique_threads"), pl.col("unique_copies")),
        # null recent_authors: scored before the column existed
        recent_voices=voices(
            pl.col("recent_authors").fill_null(0), pl.col("recent_threads"), pl.col("recent_copies")
        ),
    )
    passing = scores.filter(
        (pl.col("zscore") >= rules.z_threshold)
        & (pl.col("voices") >= rules.min_authors)
        & (pl.col("voices") >= rules.min_ratio * pl.col("baseline"))
        & (pl.col("history_minutes") >= rules.min_history_minutes)
    )
    expected, history = passing["baseline"], passing["history_minutes"]
    best = surprises(passing["voices"], expected, history, rules.window_minutes)
    if rules.recent_minutes < rules.window_minutes:
        recent = surprises(
            passing["recent_voices"],
            expected * rules.recent_minutes / rules.window_minutes,
            history,
            rules.recent_minutes,
        )
        best = best.zip_with(best >= recent, recent)
    needed = passing.select("minute").join(
        surprise_thresholds(windows, rules), on="minute", how="left", maintain_order="left"
    )["threshold"]
    # A minute missing from `windows` scored nothing else: it needs the configured threshold.
    needed = needed.fill_null(rules.surprise_threshold)
    found = passing.filter(best >= needed).drop("voices", "recent_voices")
    return drop_covered_parts(found)


def drop_covered_parts(rows: pl.DataFrame) -> pl.DataFrame:
    """Drop a word whose surge is the surge of a phrase, compound or longer Han or mixed
    word containing it (`trendlake.parts`): a whole scored in the same window with
    PHRASE_COVER of its authors (the rows' `cover_authors`), or an eligible one of the same
    minute (for rows scored before that column existed, and the methods `make eval`
    compares).

    The whole need not be eligible itself: when a new name made of everyday words ends, it
    falls under the z threshold first, while its parts' own background keeps them a little
    higher ("警察沖縄" would leave "警察" trending alone at its end).
    """
    authors = pl.col("unique_authors")
    explained = covered(authors, pl.col("_eligible"))
    if "cover_authors" in rows.columns:
        explained |= covered(authors, pl.col("cover_authors"))
    return rows.with_columns(_eligible=cover_authors(rows)).filter(~explained).drop("_eligible")


def alert_id(keyword: str, kind: str, start: datetime) -> str:
    return hashlib.sha256(f"{kind}\x1f{keyword}\x1f{iso(start)}".encode()).hexdigest()[:20]


def announce(
    candidates: pl.DataFrame,
    prior: dict[tuple[str, str], KeywordState],
    rules: AlertRules,
    until: datetime | None = None,
) -> list[dict[str, object]]:
    """Alert rows for the eligible windows of a range, continuing the `prior` keyword states.

    `until` is the (exclusive) end of the range: cooling and ended transitions of open trends
    are emitted for minutes before it. Without it the range ends after the last candidate.
    Rows come out sorted by minute, kind and keyword.
    """
    if until is None:
        until = as_datetime(candidates["minute"].max()) + MINUTE if candidates.height else None
    by_key: dict[tuple[str, str], list[dict[str, object]]] = {}
    for row in candidates.sort("minute", "kind", "keyword").iter_rows(named=True):
        by_key.setdefault((row["keyword"], row["kind"]), []).append(row)
    found: list[dict[str, object]] = []
    for key in sorted(set(by_key) | set(prior)):
        found.extend(_lifecycle(key, by_key.get(key, []), prior.get(key), rules, until))
    found.sort(key=lambda a: (a["minute"], a["kind"], a["keyword"]))
    return found


def _lifecycle(
    key: tuple[str, str],
    windows: list[dict[str, object]],
    prior: KeywordState | None,
    rules: AlertRules,
    until: datetime | None,
) -> Iterator[dict[str, object]]:
    """One keyword's rows: its eligible windows (oldest first) through the state machine."""
    state = KeywordState(
        trend=None if prior is None or prior.trend is None else _copy(prior.trend),
        announced_at=None if prior is None else prior.announced_at,
        announced_score=0.0 if prior is None else prior.announced_score,
    )
    for row in windows:
        minute: datetime = row["minute"]  # type: ignore[assignment]
        yield from _transitions(state, minute, rules)
        score = float(row["score"])  # type: ignore[arg-type]
        trend = state.trend
        if trend is None:
            quiet = state.announced_at is None or minute - state.announced_at >= rules.cooldown
            if quiet or score >= rules.escalation_factor * state.announced_score:
                state.trend = Trend(alert_id(*key, minute), row, score)
                state.announced_at, state.announced_score = minute, score
                yield _alert(row, state.trend.alert_id, NEW)
            continue  # inside the cooldown an eligible window starts no trend
        trend.last_window = row
        if score >= rules.escalation_factor * trend.announced_score:
            trend.announced_score, trend.cooling = score, False
            state.announced_at, state.announced_score = minute, score
            yield _alert(row, trend.alert_id, ESCALATING)
    if until is not None:
        yield from _transitions(state, until, rules)


def _transitions(
    state: KeywordState, before: datetime, rules: AlertRules
) -> Iterator[dict[str, object]]:
    """Cooling and ended rows of the open trend for minutes before `before` (not eligible)."""
    trend = state.trend
    if trend is None:
        return
    cools_at = trend.last_eligible + MINUTE
    if not trend.cooling and cools_at < before:
        trend.cooling = True
        yield _transition(trend, cools_at, COOLING)
    ends_at = trend.last_eligible + rules.ended_after
    if ends_at < before:
        state.trend = None
        yield _transition(trend, ends_at, ENDED)


def prior_state(
    previous_alerts: Iterable[dict[str, object]], previous_eligible: pl.DataFrame
) -> dict[tuple[str, str], KeywordState]:
    """Keyword states before a range, from its alert rows and eligible windows before it.

    `previous_alerts` are alert rows from before the range (oldest first), covering at least
    one cooldown; `previous_eligible` the eligible score rows within `ended_after` before it
    (a trend with no eligible window there has ended).
    """
    last_window = {
        (str(row["keyword"]), str(row["kind"])): row
        for row in previous_eligible.sort("minute").iter_rows(named=True)
    }
    states: dict[tuple[str, str], KeywordState] = {}
    for row in previous_alerts:
        key = (str(row["keyword"]), str(row["kind"]))
        state = states.setdefault(key, KeywordState())
        status = str(row["status"])
        if status in ANNOUNCING:
            state.announced_at, state.announced_score = row["minute"], float(row["score"])  # type: ignore[assignment, arg-type]
        if status == ENDED or key not in last_window:
            state.trend = None
        elif status == NEW or state.trend is None or state.trend.alert_id != row["alert_id"]:
            state.trend = Trend(str(row["alert_id"]), last_window[key], float(row["score"]))  # type: ignore[arg-type]
        elif status == ESCALATING:
            state.trend.announced_score, state.trend.cooling = float(row["score"]), False  # type: ignore[arg-type]
        if status == COOLING and state.trend is not None:
            state.trend.cooling = True
    for key, state in states.items():
        if state.trend is not None:
            state.trend.last_window = last_window[key]
    return states


def _copy(trend: Trend) -> Trend:
    return Trend(trend.alert_id, trend.last_window, trend.announced_score, trend.cooling)


def _transition(trend: Trend, minute: datetime, status: str) -> dict[str, object]:
    return _alert(trend.last_window, trend.alert_id, status) | {"minute": minute}


def _alert(row: dict[str, object], identifier: str, status: str) -> dict[str, object]:
    return {
        "alert_id": identifier,
        "minute": row["minute"],
        "keyword": row["keyword"],
        "kind": row["kind"],
        "window_start": row["window_start"],
        "window_end": row["window_end"],
        "count": row["count"],
        "unique_authors": row["unique_authors"],
        "baseline": row["baseline"],
        "zscore": row["zscore"],
        "score": row["score"],
        "confidence": row["confidence"],
        "langs": [
            lang
            for lang, share in zip(row["langs"], row["lang_shares"], strict=True)  # type: ignore[call-overload]
            if share >= DOMINANT_SHARE
        ],
        "status": status,
    }
