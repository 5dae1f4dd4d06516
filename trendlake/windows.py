"""Keyword occurrences, per-minute counts and sliding windows over event time (pure, Polars)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from trendlake.text import extract_keywords
from trendlake.timeutil import MINUTE

OCCURRENCE_SCHEMA = {
    "minute": pl.Datetime("us", "UTC"),
    "did": pl.String,
    "lang": pl.String,
    "keyword": pl.String,
    "kind": pl.String,
}
TOP_LANGUAGES = 3
UNDETERMINED = "und"


def primary_language(langs: list[str] | None) -> str:
    """A post's language for the mix: the primary subtag of its first declared language."""
    if not langs:
        return UNDETERMINED
    return langs[0].split("-", 1)[0].strip().lower() or UNDETERMINED


def dedup_posts(posts: pl.DataFrame) -> pl.DataFrame:
    """One row per post URI (replays and redeliveries never count twice); keeps the earliest."""
    return posts.sort(["uri", "event_time"]).unique(subset="uri", keep="first", maintain_order=True)


def keyword_occurrences(posts: pl.DataFrame) -> pl.DataFrame:
    """(minute, did, keyword, kind): each post's distinct keywords, bucketed by event minute."""
    posts = dedup_posts(posts)
    per_post = [
        extract_keywords(text or "", langs or (), tags or (), links or ())
        for text, langs, tags, links in zip(
            posts["text"].to_list(),
            posts["langs"].to_list(),
            posts["hashtags"].to_list(),
            posts["links"].to_list(),
            strict=True,
        )
    ]
    index = [i for i, found in enumerate(per_post) for _ in found]
    if not index:
        return pl.DataFrame(schema=OCCURRENCE_SCHEMA)
    rows = pl.Series("i", index, dtype=pl.UInt32)
    return pl.DataFrame(
        {
            "minute": posts["event_time"].dt.truncate("1m").gather(rows),
            "did": posts["did"].gather(rows),
            "lang": pl.Series([primary_language(v) for v in posts["langs"].to_list()]).gather(rows),
            "keyword": [keyword for found in per_post for keyword, _ in found],
            "kind": [kind for found in per_post for _, kind in found],
        },
        schema=OCCURRENCE_SCHEMA,
    )


def minute_counts(occurrences: pl.DataFrame) -> pl.DataFrame:
    """Per (minute, keyword, kind): posts, distinct authors, the authors, the language mix.

    The sorted author list is what lets any window count distinct authors exactly from this
    table alone (no second pass over the posts); the language mix (post counts per language,
    most frequent first) adds up across the minutes of a window the same way.
    """
    key = ["minute", "keyword", "kind"]
    langs = (
        occurrences.group_by(*key, "lang")
        .agg(n=pl.len().cast(pl.Int64))
        .sort(["n", "lang"], descending=[True, False])
        .group_by(key, maintain_order=True)
        .agg(langs=pl.col("lang"), lang_posts=pl.col("n"))
    )
    counts = occurrences.group_by(key).agg(
        posts=pl.len().cast(pl.Int64),
        authors=pl.col("did").n_unique().cast(pl.Int64),
        author_dids=pl.col("did").unique().sort(),
    )
    return counts.join(langs, on=key).sort("minute", "kind", "keyword")


def minute_volume(
    posts: pl.DataFrame, occurrences: pl.DataFrame, start: datetime, end: datetime
) -> pl.DataFrame:
    """Per minute of [start, end): distinct posts, authors and keywords (the volume baseline).

    Every minute gets a row, quiet ones with zeros, so a missing row always means "not
    processed" and the gap check can tell the two apart.
    """
    posts = dedup_posts(posts).with_columns(minute=pl.col("event_time").dt.truncate("1m"))
    every = pl.DataFrame(
        {"minute": pl.datetime_range(start, end, "1m", closed="left", time_unit="us", eager=True)}
    ).with_columns(pl.col("minute").dt.replace_time_zone("UTC"))
    volume = posts.group_by("minute").agg(
        posts=pl.len().cast(pl.Int64), authors=pl.col("did").n_unique().cast(pl.Int64)
    )
    keywords = occurrences.group_by("minute").agg(
        keywords=pl.struct("keyword", "kind").n_unique().cast(pl.Int64)
    )
    return (
        every.join(volume, on="minute", how="left")
        .join(keywords, on="minute", how="left")
        .with_columns(pl.col("posts", "authors", "keywords").fill_null(0))
        .sort("minute")
    )


def window_counts(
    counts: pl.DataFrame,
    first: datetime,
    end: datetime,
    window_minutes: int,
    min_authors: int,
) -> pl.DataFrame:
    """Sliding windows ending at each minute t in [first, end): count and exact distinct authors.

    `counts` are keyword_counts rows (minute_counts output) covering
    [first - window + 1 min, end); the window of minute t covers minutes (t - window, t].
    A count screen first: a keyword whose authors summed over the whole range stay below
    `min_authors` cannot reach it in any window, so it is never expanded. Only the screened
    rows are spread over the windows they belong to and their author lists unioned.
    """
    key = ["keyword", "kind"]
    totals = counts.group_by(key).agg(n=pl.col("authors").sum())
    screened = counts.join(
        totals.filter(pl.col("n") >= min_authors).select(key), on=key, how="semi"
    )
    spread = (
        screened.select("minute", *key, "posts", "author_dids", "langs", "lang_posts")
        .with_columns(offset=pl.int_ranges(0, window_minutes))
        .explode("offset")
        .with_columns(target=pl.col("minute") + pl.duration(minutes=pl.col("offset")))
        .filter((pl.col("target") >= first) & (pl.col("target") < end))
    )
    windows = (
        spread.group_by("target", *key)
        .agg(
            count=pl.col("posts").sum().cast(pl.Int64),
            unique_authors=pl.col("author_dids")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .n_unique()
            .cast(pl.Int64),
        )
        .filter(pl.col("unique_authors") >= min_authors)
    )
    windows = windows.join(_language_mix(spread), on=["target", *key]).rename({"target": "minute"})
    return windows.with_columns(
        window_start=pl.col("minute") - pl.duration(minutes=window_minutes - 1),
        window_end=pl.col("minute") + MINUTE,
    ).sort("minute", "kind", "keyword")


def _language_mix(spread: pl.DataFrame) -> pl.DataFrame:
    """Per window: the top languages of its posts and their shares (ties broken by code)."""
    window = ["target", "keyword", "kind"]
    by_lang = (
        spread.select(*window, "langs", "lang_posts")
        .explode("langs", "lang_posts")
        .group_by(*window, lang="langs")
        .agg(n=pl.col("lang_posts").sum())
    )
    return (
        by_lang.with_columns(share=pl.col("n") / pl.col("n").sum().over(window))
        .sort(["n", "lang"], descending=[True, False])
        .group_by(window, maintain_order=True)
        .agg(
            langs=pl.col("lang").head(TOP_LANGUAGES),
            lang_shares=pl.col("share").head(TOP_LANGUAGES).round(4),
        )
    )
