"""Read-side queries over the lake: trends of a minute, alerts, and DuckDB SQL over every table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from trendlake.errors import InputError
from trendlake.lake import Lake
from trendlake.models import ALERTS, TABLES, TREND_SCORES
from trendlake.timeutil import MINUTE, floor_minute

ALERT_FIELDS = [
    "alert_id", "keyword", "kind", "window_start", "window_end", "count", "unique_authors",
    "baseline", "zscore", "score", "confidence", "langs", "status", "minute",
]  # fmt: skip
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
    """
    minute = latest_scored_minute(lake, at)
    if minute is None:
        return None, []
    scores = lake.read(TREND_SCORES, minute, minute + MINUTE).filter(pl.col("zscore") > 0)
    if kind is not None:
        if kind not in {"word", "phrase", "hashtag", "domain"}:
            raise InputError(f"unknown kind {kind!r}: use word, phrase, hashtag or domain")
        scores = scores.filter(pl.col("kind") == kind)
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
