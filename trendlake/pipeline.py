"""The three computation steps over a range of closed minutes, reading and writing the lake.

Each step replaces exactly the minutes of its range in its tables, chunk by chunk, so a rerun
or backfill of any range converges to the same rows. The Dagster assets call these functions;
so can anyone else (tests, notebooks) without Dagster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
import pyarrow as pa

from trendlake import alerts as alert_rules
from trendlake.config import Settings
from trendlake.copies import SINGLE_MINUTES, TEMPLATE_MINUTES, TEMPLATE_SCHEMA, CopyMemory
from trendlake.lake import Lake
from trendlake.models import (
    ALERTS,
    COPY_SINGLES,
    COPY_TEMPLATES,
    KEYWORD_BASELINES,
    KEYWORD_BLOCKS,
    KEYWORD_COUNTS,
    MINUTE_STATS,
    POSTS,
    TABLES,
    TREND_SCORES,
)
from trendlake.scoring import (
    BASELINE_STEP,
    MIN_PHRASE_BLOCK_AUTHORS,
    SNAPSHOT_SCHEMA,
    advance_snapshot,
    block_sums,
    expectation,
    fresh_minutes,
    history_shares,
    score_windows,
    snapshots_from_blocks,
    snapshots_needed,
    young_history_minutes,
    zscore,
)
from trendlake.timeutil import MINUTE, iso, minutes_between
from trendlake.windows import (
    dedup_posts,
    exact_windows,
    minute_counts,
    minute_volume,
    occurrences_and_memory,
    window_bounds,
    without_floods,
)

SNAPSHOT_FORMAT_KEY = "trendlake.baseline.format"
SNAPSHOT_VOLUME = "active-authors"  # the volume measure shares are taken of (see scoring)
log = logging.getLogger(__name__)

POST_COLUMNS = ["uri", "did", "text", "langs", "hashtags", "links", "event_time", "reply_root"]
WINDOW_COLUMNS = [
    "minute",
    "keyword",
    "kind",
    "key",
    "posts",
    "authors",
    "author_keys",
    "langs",
    "lang_posts",
    "thread_keys",
    "copy_keys",
]
TEMPLATE_COLUMNS = list(TEMPLATE_SCHEMA)
HISTORY_COLUMNS = ["minute", "kind", "authors", "key"]  # and keyword, for rows without a key
ALERT_LOOKBACK = timedelta(hours=24)
Progress = Callable[[int], None]


@dataclass(frozen=True)
class MinuteRange:
    """Closed minutes [start, end) to compute."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"empty minute range {iso(self.start)} .. {iso(self.end)}")

    @property
    def minutes(self) -> int:
        return minutes_between(self.start, self.end)

    def chunks(self, size: int) -> Iterator[MinuteRange]:
        start = self.start
        while start < self.end:
            end = min(start + size * MINUTE, self.end)
            yield MinuteRange(start, end)
            start = end

    def describe(self) -> str:
        return f"{iso(self.start)} .. {iso(self.end)} ({self.minutes} min)"


@dataclass(frozen=True)
class StepResult:
    rows: int
    minutes: int


def _with_date(frame: pl.DataFrame) -> pa.Table:
    return frame.with_columns(date=pl.col("minute").dt.date()).to_arrow()


def _read_posts(lake: Lake, start: datetime, end: datetime) -> pl.DataFrame:
    return lake.read(POSTS, start, end, POST_COLUMNS)


MIN_CHUNK_MINUTES = 10  # the smallest CHUNK_MINUTES


def compute_counts(
    lake: Lake, span: MinuteRange, settings: Settings, progress: Progress | None = None
) -> StepResult:
    """keyword_counts, minute_stats, copy_templates and copy_singles for every minute of
    `span`.

    A chunk's copy keys take the near-copy templates of the TEMPLATE_MINUTES minutes before
    it from copy_templates, and the singles of the SINGLE_MINUTES before it from
    copy_singles (those of its own minutes it forms itself), so its rows are the same
    however the span is cut into chunks (`trendlake.copies`)."""
    rows = 0
    for chunk in span.chunks(chunk_minutes(lake, span, settings)):
        posts = dedup_posts(_read_posts(lake, chunk.start, chunk.end))
        remembered = CopyMemory(
            lake.read(
                COPY_TEMPLATES,
                chunk.start - TEMPLATE_MINUTES * MINUTE,
                chunk.start,
                TEMPLATE_COLUMNS,
            ),
            lake.read(
                COPY_SINGLES, chunk.start - SINGLE_MINUTES * MINUTE, chunk.start, TEMPLATE_COLUMNS
            ),
        )
        occurrences, formed = occurrences_and_memory(
            without_floods(posts, settings.flood_posts_per_minute),
            settings.flood_keyword_posts_per_minute,
            remembered,
        )
        counts = minute_counts(occurrences)
        volume = minute_volume(posts, counts, chunk.start, chunk.end)
        lake.replace_range(KEYWORD_COUNTS, _with_date(counts), chunk.start, chunk.end)
        lake.replace_range(MINUTE_STATS, _with_date(volume), chunk.start, chunk.end)
        lake.replace_range(COPY_TEMPLATES, _with_date(formed.templates), chunk.start, chunk.end)
        lake.replace_range(COPY_SINGLES, _with_date(formed.singles), chunk.start, chunk.end)
        rows += counts.height
        if progress:
            progress(chunk.minutes)
    _drop_stale_snapshots(lake, span, settings)
    return StepResult(rows, span.minutes)


def chunk_minutes(lake: Lake, span: MinuteRange, settings: Settings) -> int:
    """Minutes a step of a long run over `span` computes at once: CHUNK_MINUTES, or fewer
    when that many minutes hold more than CHUNK_POSTS posts (Delta log statistics).

    At today's volume (2,500 posts a minute) that is 60; at 250,000 a minute it is 1, where
    60 minutes would be 15 million posts in one step. Any split gives the same rows; steps of
    about 150,000 posts were the fastest measured, and peak memory grows with a step's posts
    (README, Speed). A span no longer than the smallest chunk is not measured: a live minute
    does not read the log.
    """
    if span.minutes <= MIN_CHUNK_MINUTES:
        return settings.chunk_minutes
    rate = lake.rows_per_minute(POSTS, span.start, span.end)
    if not rate:
        return settings.chunk_minutes
    return max(1, min(settings.chunk_minutes, int(settings.chunk_posts / rate)))


def _drop_stale_snapshots(lake: Lake, span: MinuteRange, settings: Settings) -> None:
    """Delete the baseline snapshots and block sums that include minutes of `span`.

    Snapshot H sums the minutes [H - baseline, H), so the affected ones are H in
    (start, end + baseline); block B sums [B, B + 10 min), so those are B in (start - 10 min,
    end). The scores step rebuilds them when it needs them. In live mode no snapshot that
    late exists yet, nor a block (a block is stored when it enters a snapshot, ten minutes
    after it ends at the soonest), so nothing is committed.
    """
    lake.delete_range(
        KEYWORD_BASELINES, span.start + MINUTE, span.end + settings.baseline_minutes * MINUTE
    )
    lake.delete_range(KEYWORD_BLOCKS, span.start - BASELINE_STEP + MINUTE, span.end)


def compute_scores(
    lake: Lake, span: MinuteRange, settings: Settings, progress: Progress | None = None
) -> StepResult:
    """trend_scores: sliding-window counts, distinct authors and threads, and z-scores for
    `span`.

    A window gets a row when its distinct authors reach the screen (3) and it runs above its
    baseline. The author bound (per-minute authors summed) and the baseline decide first which
    windows can qualify; only those have their author and thread keys unioned (over the window,
    its last `recent_minutes`, and for velocity the window a minute before), which is what
    keeps a minute cheap at high volume.
    """
    window = settings.window_minutes * MINUTE
    screen = _screen(settings)
    rows = 0
    for chunk in span.chunks(chunk_minutes(lake, span, settings)):
        # From the first minute of the window a minute before the chunk's first (velocity).
        counts = lake.read(KEYWORD_COUNTS, chunk.start - window, chunk.end, WINDOW_COLUMNS)
        bounds = window_bounds(counts, chunk.start, chunk.end, settings.window_minutes, screen)
        as_of = snapshots_needed(_each_minute(chunk.start, chunk.end), settings.window_minutes)
        # Only the screened keywords' baselines: every keyword of the history, once per
        # boundary of the chunk, made the joins below hold gigabytes on a long run.
        keys = bounds.select("key").unique()
        baselines = _snapshots(lake, as_of, settings).join(keys, on="key", how="semi")
        volume = lake.read(
            MINUTE_STATS,
            as_of[0] - settings.baseline_minutes * MINUTE - MINUTE,
            chunk.end,
            ["minute", "authors"],
        )
        fresh = _fresh_shares(lake, chunk, volume, keys, settings)
        expected = expectation(
            bounds,
            baselines,
            volume,
            window_minutes=settings.window_minutes,
            baseline_minutes=settings.baseline_minutes,
            fresh=fresh,
            short_of=young_history_minutes(settings.min_history_minutes),
        )
        bound_z = zscore(pl.col("author_bound").cast(pl.Float64), settings.noise_floor)
        passing = expected.filter(bound_z > 0).select("minute", "keyword", "kind", "key")
        windows = exact_windows(counts, passing, settings.window_minutes, settings.recent_minutes)
        scores = score_windows(
            windows,
            baselines,
            volume,
            window_minutes=settings.window_minutes,
            baseline_minutes=settings.baseline_minutes,
            noise_floor=settings.noise_floor,
            fresh=fresh,
            short_of=young_history_minutes(settings.min_history_minutes),
        ).filter(pl.col("unique_authors") >= screen)
        lake.replace_range(TREND_SCORES, _with_date(scores), chunk.start, chunk.end)
        rows += scores.height
        if progress:
            progress(chunk.minutes)
    return StepResult(rows, span.minutes)


def _fresh_shares(
    lake: Lake, chunk: MinuteRange, volume: pl.DataFrame, keys: pl.DataFrame, settings: Settings
) -> pl.DataFrame | None:
    """The shares exact histories need (see `scoring.expectation`), of the keywords whose
    `keyword_keys` are in `keys`; None when every window of the chunk keeps its boundary's
    history, as every one does once a stream has run `young_history_minutes` past its first
    boundary."""
    span = fresh_minutes(
        _each_minute(chunk.start, chunk.end),
        volume,
        settings.window_minutes,
        settings.baseline_minutes,
        young_history_minutes(settings.min_history_minutes),
    )
    if span is None:
        return None
    # `volume` already holds these minutes' active authors: only their counts are read.
    counts = _read_history(lake, *span)
    return history_shares(counts, volume).join(keys, on="key", how="semi")


def _each_minute(start: datetime, end: datetime) -> list[datetime]:
    return [start + i * MINUTE for i in range(minutes_between(start, end))]


def _snapshots(lake: Lake, as_of: list[datetime], settings: Settings) -> pl.DataFrame:
    """Baseline snapshots for the boundaries `as_of`: from keyword_baselines, or built.

    A missing snapshot is advanced from the one 10 minutes before it when that exists (adding
    the block entering the history and subtracting the one leaving it), else built from the
    whole history; either way it is written, one commit per boundary (live mode: one every
    10 minutes). A boundary with no history at all has no rows and is rebuilt each time,
    which costs nothing.

    Block sums are stored (keyword_blocks) as blocks enter, so the block leaving 3 hours
    later is read back instead of summed again from its keyword counts: at 250,000 posts a
    minute that is 0.02 s against 0.38 s.
    """
    step, history = BASELINE_STEP, settings.baseline_minutes * MINUTE
    _forget_other_snapshots(lake, settings)
    known = _stored_snapshots(lake, as_of[0], as_of[-1] + MINUTE)
    for boundary in as_of:
        if boundary in known:
            continue
        if boundary == as_of[0]:
            # The one before is read only now: a minute whose snapshot is stored (9 in 10
            # live) reads one snapshot, not two.
            known.update(_stored_snapshots(lake, boundary - step, boundary - step + MINUTE))
        previous = known.get(boundary - step)
        if previous is not None:
            entering = _block_sums(lake, boundary - step, boundary - step + MINUTE)
            leaving = _block_sums(lake, boundary - step - history, boundary - history)
            built = advance_snapshot(previous, entering, leaving, boundary)
        else:
            blocks = _block_sums(lake, boundary - history, boundary)
            built = snapshots_from_blocks(blocks, [boundary], settings.baseline_minutes)
        known[boundary] = built
        if built.height:
            frame = built.with_columns(date=pl.col("as_of").dt.date()).to_arrow()
            lake.replace_range(KEYWORD_BASELINES, frame, boundary, boundary + MINUTE)
    return pl.concat([known[boundary] for boundary in as_of])


def _block_sums(lake: Lake, start: datetime, end: datetime) -> pl.DataFrame:
    """`block_sums` of the blocks starting in [start, end) (`start` on a block boundary):
    read back from keyword_blocks where stored, the others summed from the history, then
    stored."""
    stored = lake.read(KEYWORD_BLOCKS, start, end).select(
        "block", "key", s1="share_sum", s2="share_sq_sum"
    )
    have = set(stored["block"].unique().to_list())
    missing = [block for block in _each_block(start, end) if block not in have]
    if not missing:
        return stored
    # From the first missing block to the last: a block stored between them is summed
    # again, to the same integers, rather than read apart.
    low, high = missing[0], missing[-1] + BASELINE_STEP
    blocks = block_sums(_history_shares(lake, low, high))
    if blocks.height:
        frame = blocks.select(
            "block", date=pl.col("block").dt.date(), key="key", share_sum="s1", share_sq_sum="s2"
        )
        lake.replace_range(KEYWORD_BLOCKS, frame.to_arrow(), low, high)
    kept = stored.filter((pl.col("block") < low) | (pl.col("block") >= high))
    return pl.concat([kept, blocks])


def _each_block(start: datetime, end: datetime) -> list[datetime]:
    blocks = [start]
    while blocks[-1] + BASELINE_STEP < end:
        blocks.append(blocks[-1] + BASELINE_STEP)
    return blocks


def _stored_snapshots(lake: Lake, start: datetime, end: datetime) -> dict[datetime, pl.DataFrame]:
    """The snapshots in keyword_baselines whose boundary lies in [start, end), by boundary."""
    stored = lake.read(KEYWORD_BASELINES, start, end)
    return {
        key[0]: frame.select(list(SNAPSHOT_SCHEMA))
        for key, frame in stored.partition_by("as_of", as_dict=True).items()
    }


_PHRASE_RULE = f"phrase-blocks>={MIN_PHRASE_BLOCK_AUTHORS}"  # see `block_sums`


def block_format() -> str:
    """What the sums of a stored block mean: the volume measure, per keyword key
    (`keyword_keys`), less the phrases' blocks with few authors (`block_sums`)."""
    return f"{SNAPSHOT_VOLUME}/keyed/{_PHRASE_RULE}"


def snapshot_format(settings: Settings) -> str:
    """What the sums of a stored baseline snapshot mean: as `block_format`, over the
    history span."""
    return f"{SNAPSHOT_VOLUME}/{settings.baseline_minutes}m/keyed/{_PHRASE_RULE}"


def _forget_other_snapshots(lake: Lake, settings: Settings) -> None:
    """Empty keyword_baselines (and keyword_blocks) when its snapshots (its blocks) were
    summed another way.

    A snapshot is advanced from the one before it, so one built by an older formula or for
    another `baseline_minutes` would carry its sums into every later snapshot for good. Each
    table records the format it holds (a table property); both are caches, rebuilt from
    keyword_counts when needed.
    """
    for name, wanted in (
        (KEYWORD_BASELINES, snapshot_format(settings)),
        (KEYWORD_BLOCKS, block_format()),
    ):
        found = lake.table_property(name, SNAPSHOT_FORMAT_KEY)
        if found != wanted:
            if found is not None:
                log.warning("%s were summed as %s, now %s: rebuilding", name, found, wanted)
            lake.reset(name, {SNAPSHOT_FORMAT_KEY: wanted})


def _read_history(lake: Lake, start: datetime, end: datetime) -> pl.DataFrame:
    """keyword_counts rows of [start, end) as `history_shares` needs them: without the
    keywords (a third of the time), unless a row has no key to stand for its keyword."""
    history = lake.read(KEYWORD_COUNTS, start, end, HISTORY_COLUMNS)
    if history["key"].has_nulls():  # counted before keyword_counts had keys
        history = lake.read(KEYWORD_COUNTS, start, end, ["keyword", *HISTORY_COLUMNS])
    return history


def _history_shares(lake: Lake, start: datetime, end: datetime) -> pl.DataFrame:
    history = _read_history(lake, start, end)
    return history_shares(history, lake.read(MINUTE_STATS, start, end, ["minute", "authors"]))


def compute_alerts(
    lake: Lake,
    span: MinuteRange,
    settings: Settings,
    progress: Progress | None = None,
    metadata: dict[str, str] | None = None,
) -> StepResult:
    """alerts: eligible windows of `span` run through the trend lifecycle."""
    rules = rules_from(settings)
    # Only rows past the z threshold can be eligible, and only eligible rows drive the
    # lifecycle: at 250,000 posts a minute the 30 minutes before a live minute hold 2.5
    # million score rows; read whole, they made the step 0.39 s of CPU instead of 0.20.
    candidate = pl.col("zscore") >= rules.z_threshold
    rows = 0
    for chunk in span.chunks(settings.chunk_minutes):
        first = chunk.start - rules.ended_after
        # The surprise an alert needs rises with every window its minute scored, read from
        # the minute column alone.
        windows = alert_rules.windows_scored(lake.read(TREND_SCORES, first, chunk.end, ["minute"]))
        before = lake.read(TREND_SCORES, first, chunk.start, where=candidate)
        previous = lake.read(ALERTS, chunk.start - ALERT_LOOKBACK, chunk.start).sort("minute")
        prior = alert_rules.prior_state(
            previous.iter_rows(named=True), alert_rules.eligible(before, rules, windows)
        )
        scores = lake.read(TREND_SCORES, chunk.start, chunk.end, where=candidate)
        found = alert_rules.announce(
            alert_rules.eligible(scores, rules, windows), prior, rules, until=chunk.end
        )
        # A transition before the chunk belongs to an earlier chunk's rows (only a partial
        # rerun over inconsistent history can produce one); this chunk never writes it.
        found = [row for row in found if row["minute"] >= chunk.start]  # type: ignore[operator]
        schema = TABLES[ALERTS].schema
        frame = pl.DataFrame(found, schema=pl.from_arrow(schema.empty_table()).schema)  # type: ignore[union-attr]
        lake.replace_range(
            ALERTS, _with_date(frame.drop("date")), chunk.start, chunk.end, metadata=metadata
        )
        rows += frame.height
        if progress:
            progress(chunk.minutes)
    return StepResult(rows, span.minutes)


def rules_from(settings: Settings) -> alert_rules.AlertRules:
    return alert_rules.AlertRules(
        z_threshold=settings.z_threshold,
        min_authors=settings.min_authors,
        min_ratio=settings.min_ratio,
        min_history_minutes=settings.min_history_minutes,
        cooldown=settings.cooldown_minutes * MINUTE,
        escalation_factor=settings.escalation_factor,
        ended_after=settings.ended_minutes * MINUTE,
        surprise_threshold=settings.surprise_threshold,
        chance_alerts_per_hour=settings.chance_alerts_per_hour,
        window_minutes=settings.window_minutes,
        recent_minutes=settings.recent_minutes,
    )


def _screen(settings: Settings) -> int:
    """Distinct authors a window needs to get a score row: enough for a trends listing."""
    return min(3, settings.min_authors)


def run_all(
    lake: Lake, span: MinuteRange, settings: Settings, metadata: dict[str, str] | None = None
) -> dict[str, StepResult]:
    """The three steps in order, without Dagster (used by tests and benchmarks)."""
    return {
        KEYWORD_COUNTS: compute_counts(lake, span, settings),
        TREND_SCORES: compute_scores(lake, span, settings),
        ALERTS: compute_alerts(lake, span, settings, metadata=metadata),
    }
