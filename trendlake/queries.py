"""Read-side queries over the lake: trends of a minute, alerts, alerts against a ground truth,
and DuckDB SQL over every table."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from trendlake.errors import InputError
from trendlake.evaluation import Evaluation, announced, evaluate, reachable_bursts
from trendlake.lake import Lake
from trendlake.models import ALERTS, KEYWORD_COUNTS, POSTS, TABLES, TREND_SCORES
from trendlake.parts import covered
from trendlake.text import KINDS
from trendlake.timeutil import MINUTE, floor_minute, iso, parse_iso

ALERT_FIELDS = [
    "alert_id", "keyword", "kind", "window_start", "window_end", "count", "unique_authors",
    "baseline", "zscore", "score", "confidence", "langs", "status", "minute",
]  # fmt: skip
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")  # BCP 47's shape, loosely
LANGUAGE_SHARE = 0.3  # a keyword trends "in" a language when >= 30% of its posts are in it


def latest_scored_minute(lake: Lake, at: datetime | None) -> datetime | None:
    bounds = lake.time_bounds(TREND_SCORES)
    if bounds is None:
        return None
    latest = bounds[1]
    return latest if at is None else min(latest, floor_minute(at))


def trends_at(
    lake: Lake, at: datetime | None, *, top: int, kind: str | None = None, lang: str | None = None
) -> tuple[datetime | None, list[dict[str, Any]]]:
    """The `top` keywords of one minute by score (only rising ones: z > 0).

    With `lang`, only keywords whose window has at least 30% of its posts in that language.
    Unless `kind` asks for one kind, a word that is part of a phrase, compound or longer Han
    or mixed word with 60% of its authors (`trendlake.parts`) is left out: "大谷翔平"
    trending is one line, not six of its pieces.
    """
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}: use word, phrase, hashtag or domain")
    if lang is not None and not _LANGUAGE_TAG.fullmatch(lang):
        raise InputError(f"--lang takes a language code such as ja or pt-BR, got {lang!r}")
    minute = latest_scored_minute(lake, at)
    if minute is None:
        return None, []
    scores = lake.read(TREND_SCORES, minute, minute + MINUTE).filter(pl.col("zscore") > 0)
    if kind is not None:
        scores = scores.filter(pl.col("kind") == kind)
    elif "cover_authors" in scores.columns:  # not in a lake last processed before it was
        scores = scores.filter(~covered(pl.col("unique_authors"), pl.col("cover_authors")))
    if lang is not None:
        code = lang.split("-", 1)[0].lower()
        scores = scores.with_row_index("_row")
        matching = (
            scores.select("_row", "langs", "lang_shares")
            .explode("langs", "lang_shares")
            .filter((pl.col("langs") == code) & (pl.col("lang_shares") >= LANGUAGE_SHARE))
        )
        scores = scores.join(matching.select("_row"), on="_row", how="semi").drop("_row")
    ranked = scores.sort(["score", "keyword"], descending=[True, False]).head(top)
    rows = ranked.with_row_index("rank", offset=1).to_dicts()
    return minute, rows


def alerts_since(lake: Lake, since: datetime | None) -> list[dict[str, Any]]:
    """Every alert (or those whose window ends after `since`), oldest first."""
    frame = lake.read(ALERTS)
    if since is not None:
        frame = frame.filter(pl.col("window_end") > since)
    frame = frame.sort(["minute", "score"], descending=[False, True])
    return frame.select(ALERT_FIELDS).to_dicts()


def evaluate_alerts(lake: Lake, truth: dict[str, Any], min_authors: int) -> Evaluation:
    """The lake's alerts scored against a ground truth (`evaluation.checked_truth`).

    What the truth leaves out comes from the lake: the stream's start and end from the posts'
    event times, a burst's distinct authors from its keyword's counts between onset and end.
    """
    bounds = lake.time_bounds(POSTS)
    if bounds is None:
        raise InputError("the lake has no posts: ingest the stream, then run trendlake process")
    bursts = [dict(burst) for burst in truth["bursts"]]  # authors filled in below
    truth = {"start": iso(bounds[0]), "end": iso(bounds[1]), **truth, "bursts": bursts}
    keywords = sorted({b["keyword"] for b in bursts})
    counts = lake.read(
        KEYWORD_COUNTS,
        min((parse_iso(b["onset"]) for b in bursts), default=None),
        max((parse_iso(b["end"]) for b in bursts), default=None),
        columns=["minute", "keyword", "kind", "author_keys"],
        where=pl.col("keyword").is_in(keywords),
    )
    for burst in bursts:
        if burst.get("authors") is None:
            inside = counts.filter(
                (pl.col("keyword") == burst["keyword"])
                & (pl.col("kind") == burst["kind"])
                & pl.col("minute").is_between(
                    parse_iso(burst["onset"]), parse_iso(burst["end"]), closed="left"
                )
            )
            burst["authors"] = inside["author_keys"].explode().drop_nulls().n_unique()
    alerts = alerts_since(lake, None)
    return evaluate(truth, announced(alerts), reachable_bursts(truth, counts, min_authors))


def connect(lake: Lake) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with every existing Delta table registered under its name.

    DuckDB's delta extension cannot be downloaded here, so each table is handed over as a
    pyarrow dataset: DuckDB still pushes filters and projections into the Parquet scan.
    """
    connection = duckdb.connect()
    for name in TABLES:
        table = lake.table(name)
        if table is not None:
            connection.register(name, table.to_pyarrow_dataset())
    return connection


def run_sql(lake: Lake, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    connection = connect(lake)
    try:
        result = connection.execute(query)
    except duckdb.Error as exc:
        raise InputError(f"SQL failed: {str(exc).splitlines()[0]}") from None
    if result is None:  # DuckDB returns nothing for a query with no statement ("", "-- x")
        raise InputError("SQL failed: the query holds no statement")
    if result.description is None:
        return [], []
    return [column[0] for column in result.description], result.fetchall()
