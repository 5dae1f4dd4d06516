"""Typed records and their Arrow schemas; each schema is the schema of one Delta table.

Records on the hot path are plain dicts keyed by these column names (no per-record object
construction): the ingester builds them, the sinks turn a batch into one Arrow table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyarrow as pa

UTC_MICROS: Final = pa.timestamp("us", tz="UTC")

POSTS: Final = "posts"
POST_DELETES: Final = "post_deletes"
MINUTE_STATS: Final = "minute_stats"
KEYWORD_COUNTS: Final = "keyword_counts"
TREND_SCORES: Final = "trend_scores"
KEYWORD_BASELINES: Final = "keyword_baselines"
KEYWORD_BLOCKS: Final = "keyword_blocks"
COPY_TEMPLATES: Final = "copy_templates"
COPY_SINGLES: Final = "copy_singles"
ALERTS: Final = "alerts"


@dataclass(frozen=True)
class TableSpec:
    """A Delta table: its name, Arrow schema, partition columns and time column."""

    name: str
    schema: pa.Schema
    partition_by: tuple[str, ...]
    time_column: str
    description: str
    # A cache (rebuilt from other tables on demand): one with another version's columns is
    # recreated empty rather than refused.
    cache: bool = False


def _schema(*fields: tuple[str, pa.DataType, bool, str]) -> pa.Schema:
    return pa.schema(
        [
            pa.field(name, dtype, nullable=nullable, metadata={"description": doc})
            for name, dtype, nullable, doc in fields
        ]
    )


_STR_LIST = pa.list_(pa.string())

POSTS_SCHEMA: Final = _schema(
    ("uri", pa.string(), False, "at://{did}/app.bsky.feed.post/{rkey}: the post's identity"),
    ("cid", pa.string(), True, "content id of the record"),
    ("did", pa.string(), False, "author DID"),
    ("rkey", pa.string(), False, "record key"),
    ("text", pa.string(), True, "post text as written"),
    ("langs", _STR_LIST, True, "languages the client declared"),
    ("created_at", pa.string(), True, "createdAt as the client set it (never used for bucketing)"),
    (
        "event_time",
        UTC_MICROS,
        False,
        "relay time of the event (firehose time / Jetstream time_us)",
    ),
    ("event_date", pa.date32(), False, "UTC date of event_time (partition column)"),
    ("seq", pa.int64(), True, "firehose sequence number (null for Jetstream)"),
    ("reply_root", pa.string(), True, "URI of the thread root when the post is a reply"),
    ("reply_parent", pa.string(), True, "URI of the parent when the post is a reply"),
    ("embed_kind", pa.string(), True, "images, video, external, record or record_with_media"),
    ("hashtags", _STR_LIST, True, "tags from the post's facets and its outline tags (`tags`)"),
    ("mentions", _STR_LIST, True, "DIDs mentioned in the post's facets"),
    ("links", _STR_LIST, True, "URIs of the post's link facets and link card"),
    ("source", pa.string(), False, "jetstream or firehose"),
)

POST_DELETES_SCHEMA: Final = _schema(
    ("uri", pa.string(), False, "URI of the deleted post"),
    ("did", pa.string(), False, "author DID"),
    ("rkey", pa.string(), False, "record key"),
    ("event_time", UTC_MICROS, False, "relay time of the delete"),
    ("event_date", pa.date32(), False, "UTC date of event_time (partition column)"),
    ("seq", pa.int64(), True, "firehose sequence number (null for Jetstream)"),
    ("source", pa.string(), False, "jetstream or firehose"),
)

MINUTE_STATS_SCHEMA: Final = _schema(
    ("minute", UTC_MICROS, False, "start of the event-time minute"),
    ("date", pa.date32(), False, "UTC date of minute (partition column)"),
    ("posts", pa.int64(), False, "distinct posts in the minute"),
    ("authors", pa.int64(), False, "distinct authors in the minute"),
    ("keywords", pa.int64(), False, "distinct keywords in the minute"),
)

KEYWORD_COUNTS_SCHEMA: Final = _schema(
    ("minute", UTC_MICROS, False, "start of the event-time minute"),
    ("date", pa.date32(), False, "UTC date of minute (partition column)"),
    ("keyword", pa.string(), False, "normalised keyword (#tag for hashtags, host for domains)"),
    ("kind", pa.string(), False, "word, phrase, hashtag or domain"),
    ("posts", pa.int64(), False, "posts in the minute containing the keyword (once per post)"),
    ("authors", pa.int64(), False, "distinct authors of those posts (distinct author_keys)"),
    (
        "author_keys",
        pa.list_(pa.int64()),
        False,
        "those authors as 64-bit BLAKE2b keys of their DIDs, sorted (windows union them)",
    ),
    (
        "langs",
        _STR_LIST,
        False,
        "languages of those posts, most frequent first: a post's first declared language "
        "(primary subtag), or for a post that declares none, the language its script names "
        "when more than half of its letters are in it (kana: `ja`, Han alone: `zh`, Hangul: "
        "`ko`, Thai, Greek, Hebrew, Georgian, Armenian), else `und`",
    ),
    ("lang_posts", pa.list_(pa.int64()), False, "posts per language, in the order of langs"),
    # Added after the first release: last and nullable, so older tables gain it in place.
    (
        "thread_keys",
        pa.list_(pa.int64()),
        True,
        "threads of those posts (64-bit keys of each post's reply root, or of the post itself), "
        "sorted; null in rows counted before the column existed",
    ),
    (
        "key",
        pa.int64(),
        True,
        "the keyword as a 64-bit key: BLAKE2b of kind:keyword (trendlake.windows.keyword_keys), "
        "what windows and baselines group by; null in rows counted before the column existed",
    ),
    (
        "copy_keys",
        pa.list_(pa.int64()),
        True,
        "texts of those posts (64-bit keys of the word set of each post with 6 or more "
        "distinct written words, near copies of one minute sharing their template's key; of a "
        "shorter post's words, hashtags and domains when it has a word and 2 of them, near "
        "copies of 5 or more sharing theirs; a post alone in its minute takes the key of a "
        "template of the 10 minutes before it nearly copies (copy_templates), or else of "
        "the words it shares with a post left alone in the 2 minutes before it nearly "
        "copies (copy_singles); "
        "trendlake.copies; else of its author), sorted; null in rows counted before the "
        "column existed",
    ),
)


def _share_sums(time: str, time_doc: str, over: str) -> pa.Schema:
    """A table of per-keyword share sums (scoring.SHARE_UNIT units) over `over`."""
    return _schema(
        (time, UTC_MICROS, False, time_doc),
        ("date", pa.date32(), False, f"UTC date of {time} (partition column)"),
        (
            "key",
            pa.int64(),
            False,
            "the keyword as a 64-bit key: BLAKE2b of kind:keyword (trendlake.windows.keyword_keys)",
        ),
        ("share_sum", pa.int64(), False, f"sum over {over} of authors/active authors, 1e-15 units"),
        (
            "share_sq_sum",
            pa.int64(),
            False,
            f"sum over {over} of those shares squared, 1e-15 units",
        ),
    )


KEYWORD_BASELINES_SCHEMA: Final = _share_sums(
    "as_of", "10-minute boundary: the history is the baseline minutes before", "the history"
)
KEYWORD_BLOCKS_SCHEMA: Final = _share_sums(
    "block", "start of the 10-minute block of history the sums cover", "the block"
)

COPY_TEMPLATES_SCHEMA: Final = _schema(
    ("minute", UTC_MICROS, False, "start of the event-time minute whose posts formed the template"),
    ("date", pa.date32(), False, "UTC date of minute (partition column)"),
    (
        "key",
        pa.int64(),
        False,
        "the template's copy key: the key its cluster's posts took (trendlake.copies)",
    ),
    (
        "short",
        pa.bool_(),
        False,
        "whether it is of short posts (words, hashtags and domains), else of long posts' words",
    ),
    (
        "token_hashes",
        pa.list_(pa.int64()),
        False,
        "64-bit hashes of its tokens as MinHash takes them (trendlake.copies._word_hash), "
        "sorted, distinct: a post left alone in the next 10 minutes near-identical to them "
        "takes its key",
    ),
)

TREND_SCORES_SCHEMA: Final = _schema(
    ("minute", UTC_MICROS, False, "last minute of the window (the window ends one minute later)"),
    ("date", pa.date32(), False, "UTC date of minute (partition column)"),
    ("keyword", pa.string(), False, "normalised keyword"),
    ("kind", pa.string(), False, "word, phrase, hashtag or domain"),
    ("window_start", UTC_MICROS, False, "inclusive start of the sliding window"),
    ("window_end", UTC_MICROS, False, "exclusive end of the sliding window"),
    ("count", pa.int64(), False, "posts in the window containing the keyword"),
    ("unique_authors", pa.int64(), False, "distinct authors in the window (the scored quantity)"),
    ("baseline", pa.float64(), False, "expected unique_authors from the keyword's history"),
    ("baseline_std", pa.float64(), False, "standard deviation of that expectation"),
    ("history_minutes", pa.int64(), False, "minutes of history behind the baseline"),
    (
        "zscore",
        pa.float64(),
        False,
        "(v - max(baseline, beta)) / (baseline_std + beta), v = unique_authors capped by "
        "unique_threads and unique_copies",
    ),
    ("velocity", pa.int64(), False, "unique_authors minus the previous minute's window"),
    ("score", pa.float64(), False, "ranking: z * log2(1 + v) * (1 + growth share)"),
    ("confidence", pa.float64(), False, "Phi(z) times the share of baseline history present"),
    ("langs", _STR_LIST, False, "top languages of the window's posts, most frequent first"),
    ("lang_shares", pa.list_(pa.float64()), False, "share of the window's posts per language"),
    # Added after the first release: last and nullable, so older tables gain it in place.
    (
        "recent_authors",
        pa.int64(),
        True,
        "distinct authors in the window's last recent_minutes, which alerts test too "
        "(null in rows scored before the column existed)",
    ),
    (
        "unique_threads",
        pa.int64(),
        True,
        "distinct threads (reply roots, or the posts themselves) of the window's posts; "
        "z, score and alerts count min(unique_authors, unique_threads, unique_copies) "
        "(null: not known)",
    ),
    (
        "recent_threads",
        pa.int64(),
        True,
        "distinct threads in the window's last recent_minutes (null: not known)",
    ),
    (
        "cover_authors",
        pa.int64(),
        True,
        "words only: most distinct authors of a phrase, compound or longer Han or mixed "
        "word containing this word in the same window; with 60% of its authors, alerts take "
        "the word's surge for the whole's (null: none, or scored before the column existed)",
    ),
    (
        "unique_copies",
        pa.int64(),
        True,
        "distinct texts of the window's posts: copies of a text with 6 or more distinct "
        "written words, word for word or near (its template), count once, as do copies of "
        "a shorter text with its hashtags and domains (near ones from 5 of those); other "
        "posts once per author (null: not known)",
    ),
    (
        "recent_copies",
        pa.int64(),
        True,
        "distinct texts in the window's last recent_minutes (null: not known)",
    ),
)

ALERTS_SCHEMA: Final = _schema(
    ("alert_id", pa.string(), False, "stable id of one trend: hash of keyword, kind and start"),
    (
        "minute",
        UTC_MICROS,
        False,
        "minute of the event: its window raised or escalated the alert, or the trend cooled/ended",
    ),
    ("date", pa.date32(), False, "UTC date of minute (partition column)"),
    ("keyword", pa.string(), False, "normalised keyword"),
    ("kind", pa.string(), False, "word, phrase, hashtag or domain"),
    ("window_start", UTC_MICROS, False, "inclusive start of the window"),
    ("window_end", UTC_MICROS, False, "exclusive end of the window"),
    ("count", pa.int64(), False, "posts in the window"),
    ("unique_authors", pa.int64(), False, "distinct authors in the window"),
    ("baseline", pa.float64(), False, "expected unique_authors"),
    ("zscore", pa.float64(), False, "z-score of the window"),
    ("score", pa.float64(), False, "ranking score"),
    ("confidence", pa.float64(), False, "Phi(z) times the share of baseline history present"),
    ("langs", _STR_LIST, False, "dominant languages (share >= 20%), most frequent first"),
    (
        "status",
        pa.string(),
        False,
        "new, escalating, cooling (first quiet minute) or ended (quiet for ended_minutes)",
    ),
)

COPY_SINGLES_SCHEMA: Final = _schema(
    ("minute", UTC_MICROS, False, "start of the event-time minute of the post"),
    ("date", pa.date32(), False, "UTC date of minute (partition column)"),
    ("key", pa.int64(), False, "the copy key of the post's own text (trendlake.copies)"),
    (
        "short",
        pa.bool_(),
        False,
        "whether it is a short post (words, hashtags and domains), else a long post's words",
    ),
    (
        "token_hashes",
        pa.list_(pa.int64()),
        False,
        "64-bit hashes of its tokens as MinHash takes them (trendlake.copies._word_hash), "
        "sorted, distinct: a post left alone in the next 2 minutes, matching no template, "
        "near-identical to them takes the key of the words they share",
    ),
)

TABLES: Final[dict[str, TableSpec]] = {
    spec.name: spec
    for spec in (
        TableSpec(POSTS, POSTS_SCHEMA, ("event_date",), "event_time", "landed Bluesky posts"),
        TableSpec(
            POST_DELETES, POST_DELETES_SCHEMA, ("event_date",), "event_time", "post tombstones"
        ),
        TableSpec(
            MINUTE_STATS, MINUTE_STATS_SCHEMA, ("date",), "minute", "volume per processed minute"
        ),
        TableSpec(
            KEYWORD_COUNTS, KEYWORD_COUNTS_SCHEMA, ("date",), "minute", "keyword counts per minute"
        ),
        TableSpec(
            KEYWORD_BASELINES,
            KEYWORD_BASELINES_SCHEMA,
            ("date",),
            "as_of",
            "per-keyword history sums every 10 minutes (a cache the scores step rebuilds)",
            cache=True,
        ),
        TableSpec(
            KEYWORD_BLOCKS,
            KEYWORD_BLOCKS_SCHEMA,
            ("date",),
            "block",
            "per-keyword sums of each 10-minute block of history (a cache the scores step "
            "fills as blocks enter the baseline, and reads as they leave it)",
            cache=True,
        ),
        TableSpec(
            COPY_TEMPLATES,
            COPY_TEMPLATES_SCHEMA,
            ("date",),
            "minute",
            "near-copy templates each minute's clusters formed, which the counts step reads "
            "back for the 10 minutes after",
        ),
        TableSpec(
            COPY_SINGLES,
            COPY_SINGLES_SCHEMA,
            ("date",),
            "minute",
            "the posts each minute's near-copy clustering left alone, which the counts step "
            "reads back for the 2 minutes after",
        ),
        TableSpec(
            TREND_SCORES, TREND_SCORES_SCHEMA, ("date",), "minute", "sliding-window trend scores"
        ),
        TableSpec(ALERTS, ALERTS_SCHEMA, ("date",), "minute", "trend alerts"),
    )
}

# The record kinds the ingester hands to a sink.
PostRecord = dict[str, object]
DeleteRecord = dict[str, object]
