"""Shared pieces of the command line: the app, consoles, settings, progress and output."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from trendlake.config import Settings
from trendlake.errors import InputError
from trendlake.timeutil import iso, parse_iso

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Trending keywords on the Bluesky firehose."
)
# Piped output (CI logs, files) gets a wide fixed width instead of rich's 80 columns.
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


class Listing(StrEnum):
    table = "table"
    json = "json"


class SqlFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def load_settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:  # pydantic's validation error names the variable
        first = str(exc).splitlines()
        raise InputError(f"bad configuration: {' '.join(first[:3])}") from None


def progress_bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def time_option(value: str | None) -> datetime | None:
    return None if value is None else parse_iso(value)


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


def cell(value: Any) -> str:
    """A table cell: lists read as comma-separated values."""
    if isinstance(value, list):
        return ",".join(str(plain(v)) for v in value)
    return str(plain(value))


def emit(rows: list[dict[str, Any]], columns: list[str], format: Listing, title: str) -> None:
    if format is Listing.json:
        for row in rows:
            sys.stdout.write(
                json.dumps({k: plain(v) for k, v in row.items()}, ensure_ascii=False, default=str)
                + "\n"
            )
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(
            column,
            justify="right" if rows and isinstance(rows[0].get(column), int | float) else "left",
        )
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    out.print(table)
