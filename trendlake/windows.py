"""Keyword occurrences, per-minute counts and sliding windows over event time (pure, Polars)."""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import cache
from itertools import chain

import polars as pl

from trendlake import keywords_native
from trendlake.copies import CopyMemory, copy_keys_and_memory, empty_memory
from trendlake.keysums import sum_by_key
from trendlake.text import extract_keywords
from trendlake.timeutil import MINUTE, as_datetime, minutes_between

OCCURRENCE_SCHEMA = pl.Schema(
    {
        "minute": pl.Datetime("us", "UTC"),
        "author_key": pl.Int64(),
        "thread_key": pl.Int64(),
        "copy_key": pl.Int64(),
        "lang": pl.String(),
        "keyword": pl.String(),
        "kind": pl.String(),
    }
)
TOP_LANGUAGES = 3
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FEW_TARGETS = 4  # up to this many window minutes, spread rows by copying (see _spread)
UNDETERMINED = "und"

log = logging.getLogger(__name__)


def primary_language(langs: list[str] | None) -> str:
    """A post's language for the mix: the primary subtag of its first declared language."""
    if not langs:
        return UNDETERMINED
    return langs[0].split("-", 1)[0].strip().lower() or UNDETERMINED


def _primary_languages(langs: pl.Series) -> pl.Series:
    """`primary_language` of each post, computed once per distinct first language."""
    first = langs.list.first()
    names = {tag: primary_language([tag]) for tag in first.drop_nulls().unique().to_list()}
    return first.replace_strict(names, default=UNDETERMINED, return_dtype=pl.String)


# Scripts that name one language (Han without kana reads as Chinese). Latin, Cyrillic,
# Arabic or Devanagari text could be any of many languages: it stays undetermined.
_SCRIPT_LANGUAGES = {
    "ko": r"\p{Hangul}",
    "th": r"\p{Thai}",
    "el": r"\p{Greek}",
    "he": r"\p{Hebrew}",
    "ka": r"\p{Georgian}",
    "hy": r"\p{Armenian}",
}


def post_languages(posts: pl.DataFrame) -> pl.Series:
    """Each post's language for the mix: its first declared language (`primary_language`),
    or for a post that declares none, the language its script names, when more than half of
    its letters are in that script: kana (with Han) is Japanese, Han alone Chinese, Hangul
    Korean, and Thai, Greek, Hebrew, Georgian and Armenian their languages.

    Clients that leave `langs` out (bots, scripts, some third-party apps) would otherwise
    hide a Japanese trend from `trends --lang ja`. Only the mix reads this: stopwords
    follow the declared languages alone.
    """
    declared = _primary_languages(posts["langs"])
    unknown = (declared == UNDETERMINED).arg_true()
    if unknown.is_empty():
        return declared
    text = posts["text"].gather(unknown).fill_null("").to_frame("text")
    count = pl.col("text").str.count_matches
    counts = text.select(
        letters=count(r"[\p{L}\p{M}]"),
        kana=count(r"[\p{Hiragana}\p{Katakana}]"),
        han=count(r"\p{Han}"),
        **{code: count(script) for code, script in _SCRIPT_LANGUAGES.items()},
    )
    majority = pl.col("letters") / 2
    japanese = (pl.col("kana") > 0) & (pl.col("kana") + pl.col("han") > majority)
    guess = pl.when(japanese).then(pl.lit("ja")).when(pl.col("han") > majority).then(pl.lit("zh"))
    for code in _SCRIPT_LANGUAGES:
        guess = guess.when(pl.col(code) > majority).then(pl.lit(code))
    guessed = counts.select(guess.otherwise(pl.lit(UNDETERMINED)).alias("lang"))["lang"]
    return declared.scatter(unknown, guessed)


def dedup_posts(posts: pl.DataFrame) -> pl.DataFrame:
    """One row per post URI (replays and redeliveries never count twice); keeps the earliest.

    Posts without copies (nearly every minute, and always the second time) pass through as
    they are, for the price of counting distinct URIs: a tenth of the sort.
    """
    if posts["uri"].n_unique() == posts.height:
        return posts
    return posts.sort(["uri", "event_time"]).unique(subset="uri", keep="first", maintain_order=True)


def without_floods(posts: pl.DataFrame, per_minute: int) -> pl.DataFrame:
    """The posts minus those of any account that posted more than `per_minute` in a minute.

    Nobody writes dozens of posts a minute by hand. A flooding account counts once in a
    window's distinct authors, but once per minute in the history a baseline is taken of:
    left in, one account posting 3,000 times a minute made every word it used look common
    for hours after. Its posts stay in the posts table; only the counts leave them out.
    """
    minute = pl.col("event_time").dt.truncate("1m").alias("_minute")
    per_account = posts.group_by(minute, "did").len()
    flooding = per_account.filter(pl.col("len") > per_minute).select("_minute", "did")
    if flooding.is_empty():
        return posts
    return (
        posts.with_columns(minute)
        .join(flooding, on=["_minute", "did"], how="anti", maintain_order="left")
        .drop("_minute")
    )


def keyword_occurrences(
    posts: pl.DataFrame, keyword_posts_per_minute: int | None = None
) -> pl.DataFrame:
    """(minute, author_key, thread_key, copy_key, lang, keyword, kind): each post's distinct
    keywords, by minute. A post's thread is its reply root, or the post itself; its copy key
    is the key of its text (`trendlake.copies`), or its author's key when it has none.

    With `keyword_posts_per_minute`, an account posting one keyword more often than that in
    a minute is flooding it: its posts of that minute with that keyword count for nothing
    (see `_keyword_flood_posts`)."""
    return occurrences_and_memory(posts, keyword_posts_per_minute)[0]


def occurrences_and_memory(
    posts: pl.DataFrame,
    keyword_posts_per_minute: int | None = None,
    memory: CopyMemory | None = None,
) -> tuple[pl.DataFrame, CopyMemory]:
    """`keyword_occurrences`, the copy keys given the near-copy `memory` of the minutes
    before the posts', and the templates and singles the posts' minutes formed
    (`trendlake.copies.copy_keys_and_memory`)."""
    posts = dedup_posts(posts)
    per_post, keywords, kinds = post_keywords(posts)
    # Each post's row index, once per keyword it has (the repeat runs in Polars).
    rows = (
        pl.Series("i", range(posts.height), dtype=pl.UInt32)
        .repeat_by(per_post)
        .explode(empty_as_null=False)  # a post without keywords adds no row
    )
    if rows.is_empty():
        return pl.DataFrame(schema=OCCURRENCE_SCHEMA), empty_memory()
    authors = author_keys(posts["did"])
    minutes = posts["event_time"].dt.truncate("1m")
    copies, formed = copy_keys_and_memory(per_post, keywords, kinds, minutes, memory)
    copies = copies.fill_null(authors)
    if keyword_posts_per_minute is not None:
        flooded = _keyword_flood_posts(
            rows, keywords, kinds, minutes, authors, keyword_posts_per_minute
        )
        if flooded is not None:
            kept = ~flooded.gather(rows)
            rows, keywords, kinds = rows.filter(kept), keywords.filter(kept), kinds.filter(kept)
    occurrences = pl.DataFrame(
        {
            "minute": minutes.gather(rows),
            "author_key": authors.gather(rows),
            "thread_key": thread_keys(posts).gather(rows),
            "copy_key": copies.gather(rows),
            "lang": post_languages(posts).gather(rows),
            "keyword": keywords,
            "kind": kinds,
        },
        schema=OCCURRENCE_SCHEMA,
    )
    return occurrences, formed


def _keyword_flood_posts(
    rows: pl.Series,
    keywords: pl.Series,
    kinds: pl.Series,
    minutes: pl.Series,
    authors: pl.Series,
    per_minute: int,
) -> pl.Series | None:
    """Per post (`minutes` and `authors` are the posts'), whether it carries a keyword its
    author posted more than `per_minute` times in its minute; None if no post does. `rows`
    is each keyword pair's post.

    A handful of accounts each posting a word ten times a minute is a flood, not a handful
    of people: above the author floor, it alerted as a trend, and so did the phrases the
    word made with the words around it. Nobody writes one word into several posts a minute
    by hand for long. Only the posts of authors with more posts than that in the minute
    can be such posts, so only theirs are counted.
    """
    per_author = pl.DataFrame({"minute": minutes, "author": authors})
    busy = per_author.select(pl.len().over("minute", "author") > per_minute).to_series()
    if not busy.any():
        return None
    suspect = busy.gather(rows)
    post = rows.filter(suspect)
    pairs = pl.DataFrame(
        {
            "post": post,
            "minute": minutes.gather(post),
            "author": authors.gather(post),
            "keyword": keywords.filter(suspect),
            "kind": kinds.filter(suspect),
        }
    )
    flooding = pl.len().over("minute", "author", "keyword", "kind") > per_minute
    flooded = pairs.filter(flooding).get_column("post")
    if flooded.is_empty():
        return None
    return pl.repeat(False, minutes.len(), eager=True).scatter(flooded, True)


def post_keywords(
    posts: pl.DataFrame, *, native: bool = True
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """`extract_keywords` of every post: the number of pairs per post, then the keywords and
    kinds of all the pairs, post after post.

    The compiled tokenizer (native/) gives exactly the pairs `extract_keywords` gives, five
    to ten times faster depending on the language mix, reading the columns' Arrow buffers
    and making no Python object per post or keyword. Without it (or with `native` False,
    for comparisons) this runs the Python one.
    """
    if native and keywords_native.available():
        return keywords_native.extract_frame(posts)
    if native:
        _warn_pure_python()
    lists = ("langs", "hashtags", "links")
    # Empty lists as nulls: most posts have no tags or links, and None costs no object.
    inputs = posts.select(
        "text",
        *(pl.when(pl.col(name).list.len() > 0).then(pl.col(name)).alias(name) for name in lists),
    )
    with _gc_paused():
        columns = [inputs[name].to_list() for name in ("text", *lists)]
        pairs = [
            extract_keywords(text or "", langs or (), tags or (), links or ())
            for text, langs, tags, links in zip(*columns, strict=True)
        ]
        flat = list(chain.from_iterable(pairs))
        return (
            pl.Series("count", list(map(len, pairs)), dtype=pl.UInt32),
            pl.Series("keyword", [keyword for keyword, _ in flat], dtype=pl.String),
            pl.Series("kind", [kind for _, kind in flat], dtype=pl.String),
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a batch builds its millions of lists and tuples.

    They hold no cycles, yet every 700 allocations the collector would walk them all: at
    250,000 posts a minute that tripled the cost of turning four columns into lists.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@cache
def _warn_pure_python() -> None:
    log.warning(
        "the native tokenizer (trendlake_native) is not installed: keywords are extracted in "
        "pure Python, five to ten times slower (build it with `make venv`, which needs cargo)"
    )


def author_key(did: str) -> int:
    """A DID's 64-bit key: BLAKE2b, stable across versions and machines.

    Windows union these instead of DID strings (8 bytes each, no string decoding); two of a
    million authors share a key with probability about 3e-8, the price of that speed.
    """
    digest = hashlib.blake2b(did.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)  # Delta has no unsigned integers


def author_keys(dids: pl.Series) -> pl.Series:
    """`author_key` of each DID: natively when built, else hashed once per distinct DID."""
    if keywords_native.available():
        return keywords_native.author_keys(dids).rename("author_key")
    distinct = dids.unique().to_list()
    keys = dict(zip(distinct, map(author_key, distinct), strict=True))
    # An empty mapping would keep the strings' dtype.
    return dids.replace_strict(keys, default=0, return_dtype=pl.Int64).rename("author_key")


def keyword_keys(frame: pl.DataFrame) -> pl.Series:
    """Each row's keyword as a 64-bit key: `author_key` of "kind:keyword" (no kind has a colon).

    Baseline snapshots hold every keyword of hours of history, hundreds of thousands at
    today's volume: summed, joined and stored by these keys instead of two strings, building
    one took a sixth of the time. Two of ten million keywords share a key with probability
    about 3e-6; they would share a baseline.
    """
    names = frame.select(pl.concat_str("kind", pl.lit(":"), "keyword")).to_series()
    return author_keys(names).rename("key")


def thread_keys(posts: pl.DataFrame) -> pl.Series:
    """Each post's thread as a 64-bit key (`author_key` of the URI): its reply root, or itself.

    A busy thread brings many distinct authors to the words of its first post within minutes;
    windows count its threads too, so one conversation is not taken for a trend.
    """
    return author_keys(posts["reply_root"].fill_null(posts["uri"])).rename("thread_key")


def minute_counts(occurrences: pl.DataFrame, *, native: bool = True) -> pl.DataFrame:
    """Per (minute, keyword, kind): posts, distinct authors, the authors, their threads and
    texts, the language mix.

    Distinct authors are distinct author keys, the measure the windows use too. The sorted
    author keys (and thread and copy keys) are what let any window count distinct authors
    (threads, texts) exactly from this table alone (no second pass over the posts); the
    language mix (post counts per language, most frequent first) adds up across the minutes
    of a window the same way.
    """
    columns = ["minute", "keyword", "kind", "posts", "author_keys", "thread_keys", "authors"]
    if native and keywords_native.available() and not any(occurrences.null_count().row(0)):
        # Already in the order below (minute, kind, keyword).
        return keywords_native.minute_counts(occurrences).select(
            *columns, "langs", "lang_posts", "key", "copy_keys"
        )
    key = ["minute", "keyword", "kind"]
    langs = (
        occurrences.group_by(*key, "lang")
        .agg(n=pl.len().cast(pl.Int64))
        .sort(["n", "lang"], descending=[True, False])
        .group_by(key, maintain_order=True)
        .agg(langs=pl.col("lang"), lang_posts=pl.col("n"))
    )
    counts = (
        occurrences.group_by(key)
        .agg(
            posts=pl.len().cast(pl.Int64),
            author_keys=pl.col("author_key").unique().sort(),
            thread_keys=pl.col("thread_key").unique().sort(),
            copy_keys=pl.col("copy_key").unique().sort(),
        )
        .with_columns(authors=pl.col("author_keys").list.len().cast(pl.Int64))
    )
    counts = counts.join(langs, on=key)
    return (
        counts.with_columns(keyword_keys(counts))
        .select(*columns, "langs", "lang_posts", "key", "copy_keys")
        .sort("minute", "kind", "keyword")
    )


def with_keyword_keys(counts: pl.DataFrame) -> pl.DataFrame:
    """`counts` (keyword_counts rows) with every row's `key` (`keyword_keys`): the rows
    counted before the table had the column get theirs now."""
    if "key" in counts.columns and not counts["key"].has_nulls():
        return counts
    return counts.with_columns(keyword_keys(counts))


def minute_volume(
    posts: pl.DataFrame, counts: pl.DataFrame, start: datetime, end: datetime
) -> pl.DataFrame:
    """Per minute of [start, end): distinct posts, authors and keywords (the volume baseline).

    `counts` are the `minute_counts` of the same posts: one row per distinct keyword of a
    minute, so counting rows gives the distinct keywords without hashing them again. Every
    minute gets a row, quiet ones with zeros, so a missing row always means "not processed"
    and the gap check can tell the two apart.
    """
    posts = dedup_posts(posts).with_columns(minute=pl.col("event_time").dt.truncate("1m"))
    every = pl.DataFrame(
        {"minute": pl.datetime_range(start, end, "1m", closed="left", time_unit="us", eager=True)}
    ).with_columns(pl.col("minute").dt.replace_time_zone("UTC"))
    volume = posts.group_by("minute").agg(
        posts=pl.len().cast(pl.Int64), authors=pl.col("did").n_unique().cast(pl.Int64)
    )
    keywords = counts.group_by("minute").agg(keywords=pl.len().cast(pl.Int64))
    return (
        every.join(volume, on="minute", how="left")
        .join(keywords, on="minute", how="left")
        .with_columns(pl.col("posts", "authors", "keywords").fill_null(0))
        .sort("minute")
    )


_NAMES = ["keyword", "kind"]  # what a `key` stands for


def _spread(
    counts: pl.DataFrame, columns: list[str], first: datetime, end: datetime, window_minutes: int
) -> pl.DataFrame:
    """Each minute row (its `columns`) once per window it belongs to: target t in [first,
    end), t - row < W."""
    counts = counts.select("minute", *columns)
    targets = minutes_between(first, end)
    if 0 < targets <= FEW_TARGETS:
        # Live mode: a minute or two of windows; copying rows out beats exploding every row
        # into `window_minutes` copies and dropping most of them.
        width = pl.duration(minutes=window_minutes)
        return pl.concat(
            [
                counts.filter(
                    (pl.col("minute") > target - width) & (pl.col("minute") <= target)
                ).with_columns(target=pl.lit(target, dtype=counts.schema["minute"]))
                for target in (first + i * MINUTE for i in range(targets))
            ]
        )
    return (
        counts.with_columns(offset=pl.int_ranges(0, window_minutes))
        .explode("offset")
        .with_columns(target=pl.col("minute") + pl.duration(minutes=pl.col("offset")))
        .filter((pl.col("target") >= first) & (pl.col("target") < end))
        .drop("offset")
    )


def window_bounds(
    counts: pl.DataFrame, first: datetime, end: datetime, window_minutes: int, screen: int = 0
) -> pl.DataFrame:
    """Per window ending at t in [first, end): posts and an upper bound of distinct authors,
    for the windows whose bound reaches `screen`.

    The bound (the per-minute distinct authors summed) is cheap: no author lists. A window
    whose bound cannot pass a screen never needs its exact count. Keywords are grouped by
    their 64-bit `key` (which the rows keep): grouping by two strings took twice as long
    (1.05 s against 0.53 s a minute at 250,000 posts a minute).
    """
    counts = with_keyword_keys(counts)
    targets = minutes_between(first, end)
    if 0 < targets <= FEW_TARGETS:
        few = _few_window_bounds(
            counts, [first + i * MINUTE for i in range(targets)], window_minutes, screen
        )
        return few.filter(pl.col("author_bound") >= screen)
    # Each row is copied once per window it falls in: the keywords go through that as
    # integer keys, not strings (copied strings took 2.7 GiB for a 4-hour step at 2,500 posts
    # a minute, integers 1.6 GiB), and a keyword whose authors over all the rows fall short
    # of the screen is not copied at all.
    keys = (
        counts.group_by("key")
        .agg(pl.col("keyword", "kind").first(), total=pl.col("authors").sum())
        .filter(pl.col("total") >= screen)
        .drop("total")
    )
    rows = counts.join(keys.select("key"), on="key", how="semi")
    return (
        _spread(rows, ["key", "posts", "authors"], first, end, window_minutes)
        .group_by("target", "key")
        .agg(
            count=pl.col("posts").sum().cast(pl.Int64),
            author_bound=pl.col("authors").sum().cast(pl.Int64),
        )
        .filter(pl.col("author_bound") >= screen)
        .join(keys, on="key")
        .select(pl.col("target").alias("minute"), *_NAMES, "key", "count", "author_bound")
    )


def _few_window_bounds(
    counts: pl.DataFrame, targets: list[datetime], window_minutes: int, screen: int
) -> pl.DataFrame:
    """`window_bounds` for a few windows (live mode) in one group-by over the keywords.

    Each window's sums are columns zeroed outside it, so the rows are grouped by keyword
    once (`sum_by_key`), not once per window they fall in.
    """
    width = window_minutes * MINUTE
    minute = pl.col("minute")
    columns: list[pl.Expr] = []
    for i, target in enumerate(targets):
        inside = (minute > target - width) & (minute <= target)
        columns += [
            pl.when(inside).then(pl.col("posts")).otherwise(0).alias(f"count_{i}"),
            pl.when(inside).then(pl.col("authors")).otherwise(0).alias(f"author_bound_{i}"),
        ]
    names = [column.meta.output_name() for column in columns]
    sums = sum_by_key(counts.select("key", *(c.cast(pl.Int64) for c in columns)), "key", names)
    # The keywords of the windows that can pass the screen, from their first rows: most
    # keys fall short, and their strings need not be copied.
    bounds = pl.max_horizontal(f"author_bound_{i}" for i in range(len(targets)))
    sums = sums.filter(bounds >= screen)
    sums = sums.with_columns(counts.select(pl.col(_NAMES).gather(sums["row"])))
    return pl.concat(
        [
            sums.select(
                minute=pl.lit(target, dtype=counts.schema["minute"]),
                keyword="keyword",
                kind="kind",
                key="key",
                count=pl.col(f"count_{i}").cast(pl.Int64),
                author_bound=pl.col(f"author_bound_{i}").cast(pl.Int64),
            ).filter(pl.col("count") > 0)
            for i, target in enumerate(targets)
        ]
    )


def exact_windows(
    counts: pl.DataFrame,
    wanted: pl.DataFrame,
    window_minutes: int,
    recent_minutes: int | None = None,
    *,
    native: bool = True,
) -> pl.DataFrame:
    """Count, exact distinct authors, threads and copies of the `wanted` windows (minute,
    keyword, kind, and `key` if they have it), the distinct authors, threads and copies of
    their last `recent_minutes` (default: the whole window), and the distinct authors of the
    window a minute before (for velocity).

    `counts` are keyword_counts rows covering the wanted windows and the minute before each;
    the window of minute t covers minutes (t - window, t]. A window with a minute counted
    before threads were (thread_keys null) has no thread counts (null): its threads are
    unknown, not zero; so with copies (copy_keys null, or no such column). The compiled pass
    (native/src/windows.rs; `native` False for comparisons) reads each row's keys once;
    without it, Polars gives the same rows.
    """
    counts = with_keyword_keys(counts)
    if "copy_keys" not in counts.columns:
        counts = counts.with_columns(copy_keys=pl.lit(None, pl.List(pl.Int64)))
    wanted = with_keyword_keys(wanted)
    recent_minutes = recent_minutes or window_minutes
    windows = None
    if native and keywords_native.available():
        # Checked where the native pass reads the lists: exploding five list columns to
        # count their null items cost 0.07 s a minute at 250,000 posts a minute.
        with suppress(keywords_native.NullItemsError):
            windows = _native_windows(counts, wanted, window_minutes, recent_minutes)
    if windows is None:
        windows = _polars_windows(counts, wanted, window_minutes, recent_minutes)
    names = wanted.select("key", *_NAMES).unique("key")
    windows = (
        windows.join(names, on="key")
        .rename({"target": "minute"})
        .select("minute", *_NAMES, "key", pl.exclude("minute", "target", "key", *_NAMES))
    )
    return windows.with_columns(
        window_start=pl.col("minute") - pl.duration(minutes=window_minutes - 1),
        window_end=pl.col("minute") + MINUTE,
    ).sort("minute", "kind", "keyword")


def _native_windows(
    counts: pl.DataFrame, wanted: pl.DataFrame, window_minutes: int, recent_minutes: int
) -> pl.DataFrame:
    """`_polars_windows` in one compiled pass (`keywords_native.window_distincts`): at
    250,000 posts a minute, `exact_windows` of a live minute's 135,642 windows took 0.50 s
    of CPU this way and 0.80 s through Polars."""
    targets = wanted.select("minute", "key").unique(maintain_order=True)
    found = keywords_native.window_distincts(
        counts, targets, window_minutes, recent_minutes, TOP_LANGUAGES
    )
    at = targets.rename({"minute": "target"})[found["window"]]
    return pl.concat([at, found.drop("window")], how="horizontal")


def _polars_windows(
    counts: pl.DataFrame, wanted: pl.DataFrame, window_minutes: int, recent_minutes: int
) -> pl.DataFrame:
    """(target, key, count, unique_authors, unique_threads, recent_authors, recent_threads,
    previous_authors, unique_copies, recent_copies, langs, lang_shares) of the wanted
    windows with rows inside them.

    Only rows of wanted windows are spread, over window + 1 minutes, and their keys unioned
    in one group-by: the window a minute before shares all but one of its minutes (hashing
    the keywords once for both saved 0.24 s of 1.09 at 250,000 posts a minute).
    """
    lists = ["author_keys", "thread_keys", "copy_keys", "langs", "lang_posts"]
    # A window whose rows all lie in the minute before it has none inside: the join with
    # the language mix leaves it out.
    spread = _spread_wanted(counts, wanted, ["posts", *lists], window_minutes + 1)
    minute, target = pl.col("minute"), pl.col("target")
    inside = minute > target - pl.duration(minutes=window_minutes)
    recent = minute > target - pl.duration(minutes=recent_minutes)
    unknown = pl.col("thread_keys").filter(inside).is_null().any()
    no_copies = pl.col("copy_keys").filter(inside).is_null().any()
    windows = spread.group_by("target", "key").agg(
        count=pl.col("posts").filter(inside).sum().cast(pl.Int64),
        unique_authors=_distinct("author_keys", inside),
        unique_threads=pl.when(unknown).then(None).otherwise(_distinct("thread_keys", inside)),
        recent_authors=_distinct("author_keys", recent),
        recent_threads=pl.when(unknown).then(None).otherwise(_distinct("thread_keys", recent)),
        previous_authors=_distinct("author_keys", minute < target),
        unique_copies=pl.when(no_copies).then(None).otherwise(_distinct("copy_keys", inside)),
        recent_copies=pl.when(no_copies).then(None).otherwise(_distinct("copy_keys", recent)),
    )
    return windows.join(_language_mix(spread.filter(inside)), on=["target", "key"])


def _spread_wanted(
    counts: pl.DataFrame, wanted: pl.DataFrame, columns: list[str], window_minutes: int
) -> pl.DataFrame:
    """The `columns` of the counts rows of each wanted window (by `key`), with its minute as
    `target`."""
    # An empty range when nothing is wanted: the frame keeps its schema.
    first = as_datetime(wanted["minute"].min()) if wanted.height else EPOCH
    end = as_datetime(wanted["minute"].max()) + MINUTE if wanted.height else EPOCH
    # Keywords first (a cheap semi-join), so only their rows are spread with their lists.
    keywords = wanted.select("key").unique()
    counts = counts.join(keywords, on="key", how="semi")
    spread = _spread(counts, ["key", *columns], first, end, window_minutes)
    if wanted.height < keywords.height * minutes_between(first, end):
        # Only to save work: unwanted windows are not wrong. Live mode wants every window of
        # every keyword it spreads and skips the join.
        targets = wanted.select(target="minute", key="key")
        spread = spread.join(targets, on=["target", "key"], how="semi")
    return spread


def _distinct(column: str, where: pl.Expr | None = None) -> pl.Expr:
    """Distinct keys of a window's list column (of its minutes `where` holds), as Int64."""
    values = pl.col(column) if where is None else pl.col(column).filter(where)
    return values.list.explode(keep_nulls=False, empty_as_null=False).n_unique().cast(pl.Int64)


def _language_mix(spread: pl.DataFrame) -> pl.DataFrame:
    """Per window: the top languages of its posts and their shares (ties broken by code)."""
    window = ["target", "key"]
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
