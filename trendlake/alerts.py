"""Alert rules and lifecycle (pure): when a window is alert-worthy, and when to announce it.

A window is eligible when its z-score, distinct authors and ratio to the baseline all pass
their thresholds and enough history stands behind the baseline. One trend is one run of
eligible windows of a keyword with gaps shorter than the cooldown; it is announced once
(`new`) and again only when its score grows by the escalation factor (`escalating`). The
alert id is a hash of the keyword, its kind and the trend's first minute, so it is stable
under reruns and publishing an alert twice is harmless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import polars as pl

from trendlake.timeutil import iso

NEW = "new"
ESCALATING = "escalating"


@dataclass(frozen=True)
class AlertRules:
    z_threshold: float
    min_authors: int
    min_ratio: float
    min_history_minutes: int
    cooldown: timedelta
    escalation_factor: float


@dataclass(frozen=True)
class TrendState:
    """What the lifecycle remembers of a keyword's current trend."""

    alert_id: str
    last_eligible: datetime
    announced_score: float


PHRASE_COVER = 0.6  # a phrase with >= 60% of a word's authors explains the word's surge
DOMINANT_SHARE = 0.2


def eligible(scores: pl.DataFrame, rules: AlertRules) -> pl.DataFrame:
    """The score rows that pass every alert threshold, minus words their phrase explains."""
    passing = scores.filter(
        (pl.col("zscore") >= rules.z_threshold)
        & (pl.col("unique_authors") >= rules.min_authors)
        & (pl.col("unique_authors") >= rules.min_ratio * pl.col("baseline"))
        & (pl.col("history_minutes") >= rules.min_history_minutes)
    )
    return drop_phrase_parts(passing)


def drop_phrase_parts(rows: pl.DataFrame) -> pl.DataFrame:
    """Drop a word whose surge is the surge of an eligible phrase containing it (same minute).

    "grumpy noodle" trending makes "grumpy" and "noodle" trend by the same authors; one
    alert for the phrase says it all.
    """
    phrases = (
        rows.filter(pl.col("kind") == "phrase")
        .select("minute", word=pl.col("keyword").str.split(" "), phrase_authors="unique_authors")
        .explode("word")
    )
    covered = (
        rows.filter(pl.col("kind") == "word")
        .join(phrases, left_on=["minute", "keyword"], right_on=["minute", "word"])
        .filter(pl.col("phrase_authors") >= PHRASE_COVER * pl.col("unique_authors"))
        .select("minute", "keyword", "kind")
        .unique()
    )
    return rows.join(covered, on=["minute", "keyword", "kind"], how="anti")


def alert_id(keyword: str, kind: str, start: datetime) -> str:
    return hashlib.sha256(f"{kind}\x1f{keyword}\x1f{iso(start)}".encode()).hexdigest()[:20]


def announce(
    candidates: pl.DataFrame, prior: dict[tuple[str, str], TrendState], rules: AlertRules
) -> list[dict[str, object]]:
    """Alert rows for eligible windows (sorted by minute), continuing the `prior` trends."""
    state = dict(prior)
    alerts: list[dict[str, object]] = []
    for row in candidates.sort("minute", "kind", "keyword").iter_rows(named=True):
        key = (row["keyword"], row["kind"])
        minute: datetime = row["minute"]
        current = state.get(key)
        if current is None or minute - current.last_eligible >= rules.cooldown:
            current = TrendState(alert_id(*key, minute), minute, row["score"])
            alerts.append(_alert(row, current.alert_id, NEW))
        elif row["score"] >= rules.escalation_factor * current.announced_score:
            current = replace(current, announced_score=row["score"])
            alerts.append(_alert(row, current.alert_id, ESCALATING))
        state[key] = replace(current, last_eligible=minute)
    return alerts


def prior_state(
    previous_alerts: Iterable[dict[str, object]], previous_eligible: pl.DataFrame
) -> dict[tuple[str, str], TrendState]:
    """Trends still open before a range: their latest alert and their last eligible minute.

    `previous_alerts` are alert rows from before the range (oldest first); `previous_eligible`
    the eligible score rows within one cooldown before it.
    """
    last_seen = {
        (kw, kind): minute
        for kw, kind, minute in previous_eligible.group_by("keyword", "kind")
        .agg(pl.col("minute").max())
        .iter_rows()
    }
    state: dict[tuple[str, str], TrendState] = {}
    for row in previous_alerts:
        key = (str(row["keyword"]), str(row["kind"]))
        if key in last_seen:
            state[key] = TrendState(str(row["alert_id"]), last_seen[key], float(row["score"]))  # type: ignore[arg-type]
    return state


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
