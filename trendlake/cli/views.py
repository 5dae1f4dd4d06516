"""Commands that read the lake: trends, alerts, sql."""

from __future__ import annotations

import csv
import io
import sys
from typing import Annotated

import typer

from trendlake import queries
from trendlake.cli.common import Listing, SqlFormat, app, emit, load_settings, plain, time_option
from trendlake.errors import InputError
from trendlake.lake import Lake
from trendlake.timeutil import iso


@app.command()
def trends(
    at: Annotated[
        str | None, typer.Option(help="minute to show (default: the latest computed)")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="how many")] = 20,
    kind: Annotated[str | None, typer.Option(help="word, phrase, hashtag or domain")] = None,
    lang: Annotated[
        str | None, typer.Option(help="only trends in this language (e.g. ja, pt)")
    ] = None,
    format: Annotated[Listing, typer.Option("--format")] = Listing.table,
) -> None:
    """The top trending keywords of one minute, ranked by score."""
    lake = Lake.from_settings(load_settings())
    minute, rows = queries.trends_at(lake, time_option(at), top=top, kind=kind, lang=lang)
    columns = [
        "rank", "keyword", "kind", "unique_authors", "count", "baseline", "zscore",
        "velocity", "score", "confidence", "langs",
    ]  # fmt: skip
    title = (
        f"Trending at {iso(minute)} "
        f"(window {iso(rows[0]['window_start'])} .. {iso(rows[0]['window_end'])})"
        if rows and minute
        else "No trends computed yet"
    )
    emit(rows, columns, format, title)


@app.command()
def alerts(
    since: Annotated[
        str | None, typer.Option(help="alerts whose window ends after this time")
    ] = None,
    format: Annotated[Listing, typer.Option("--format")] = Listing.table,
    follow: Annotated[bool, typer.Option(help="keep printing new alerts")] = False,
) -> None:
    """Trend alerts (every alert when --since is not given)."""
    if follow:
        raise InputError("--follow is not available in this version")
    rows = queries.alerts_since(Lake.from_settings(load_settings()), time_option(since))
    columns = [
        "window_end",
        "status",
        "keyword",
        "kind",
        "unique_authors",
        "count",
        "baseline",
        "zscore",
        "score",
        "alert_id",
    ]
    emit(rows, columns, format, f"{len(rows)} alerts")


@app.command()
def sql(
    query: Annotated[
        str, typer.Argument(help="DuckDB SQL over the lake's tables (posts, keyword_counts, ...)")
    ],
    format: Annotated[SqlFormat, typer.Option("--format")] = SqlFormat.table,
) -> None:
    """Run DuckDB SQL over every Delta table of the lake."""
    names, rows = queries.run_sql(Lake.from_settings(load_settings()), query)
    records = [dict(zip(names, row, strict=True)) for row in rows]
    if format is SqlFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(names)
        writer.writerows([[plain(v) for v in row] for row in rows])
        sys.stdout.write(buffer.getvalue())
        return
    emit(records, names, Listing(format.value), f"{len(records)} rows")
