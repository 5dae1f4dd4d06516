"""Baselines, z-scores, velocity and ranking for sliding windows (pure, Polars).

The baseline is history-based and volume-normalised, so a minute's score is a pure function of
the posts up to that minute (no recursive state to carry or repair):

- share of a history minute m = authors(keyword, m) / active(m), where active(m) is the
  number of distinct authors who posted in m. Volume is counted in authors, not posts, for
  the same reason keywords are: one account posting thousands of times a minute would
  otherwise raise every keyword's expectation while it floods (hiding real bursts) and
  lower every baseline for hours after (making common words trend). The history of a
  window is the `baseline_minutes` minutes before the last 10-minute boundary at or before
  the window's start (its `as_of`; minutes without posts do not count). Aligning on
  boundaries lets one snapshot of per-keyword sums (`baseline_snapshots`, cached in
  keyword_baselines) serve ten minutes of windows, instead of every minute re-reading hours
  of keyword counts. A phrase's 10-minute blocks with a single author are left out of its
  history (`block_sums`): they are the long tail, which would fill the snapshots. In a young
  stream, whose boundary has little history, the history runs to the window's start instead
  (`expectation`);
- expected unique authors E = mean(share) * sum of active(m) over the window, so the daily
  rhythm of the whole network moves the expectation instead of making common words trend;
- spread S = std(share) * sqrt(sum of active(m)^2 over the window);
- z = (v - max(E, beta)) / (S + beta), SigniTrend's form with a noise floor beta, so a
  keyword never seen before needs a few authors before it scores at all. v is the window's
  voices: its distinct authors x, but no more than the distinct threads they posted in, so a
  busy conversation (many repliers echoing a word of one post) scores as one voice, nor than
  the distinct texts they posted (`trendlake.copies`), so accounts pasting one text do too;
- velocity = x minus the previous minute's window; score = z * log2(1 + v) *
  (1 + max(velocity, 0) / (1 + x)): significance, breadth and momentum ranked together;
- confidence = Phi(z) (logistic approximation) * the share of the baseline history that
  actually exists, so a score over a cold start reads as less certain.

Shares are summed as fixed-point integers (units of 1e-15), so every sum is exact and the same
whichever order, chunking or snapshot adds it up: a minute scored live and in a backfill give
identical rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from trendlake.keysums import sum_by_key
from trendlake.parts import cover_authors
from trendlake.text import KIND_PHRASE
from trendlake.windows import with_keyword_keys

_KEY = ["keyword", "kind"]
SHARE_UNIT = 10**15  # fixed point: Int64 sums up to 9,223 shares of at most 1 stay exact
BASELINE_STEP = timedelta(minutes=10)  # snapshot spacing; baseline_minutes is a multiple
_STEP_EVERY = "10m"  # BASELINE_STEP as a Polars truncation interval
MIN_PHRASE_BLOCK_AUTHORS = 2  # a phrase's block of history counts from this many authors on
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # what Polars truncates to BASELINE_STEP from
SNAPSHOT_SCHEMA = pl.Schema(
    {
        "as_of": pl.Datetime("us", "UTC"),
        "key": pl.Int64(),  # `keyword_keys`
        "share_sum": pl.Int64(),
        "share_sq_sum": pl.Int64(),
    }
)


def baseline_as_of(minute: pl.Expr, window_minutes: int) -> pl.Expr:
    """The snapshot a window ending at `minute` uses: last boundary <= the window's start."""
    return (minute - pl.duration(minutes=window_minutes - 1)).dt.truncate(_STEP_EVERY)


def snapshots_needed(minutes: Iterable[datetime], window_minutes: int) -> list[datetime]:
    """The distinct `baseline_as_of` of the given window minutes, ascending."""
    frame = pl.DataFrame({"minute": list(minutes)}, schema={"minute": pl.Datetime("us", "UTC")})
    return sorted(frame.select(baseline_as_of(pl.col("minute"), window_minutes))["minute"].unique())


def history_shares(history: pl.DataFrame, volume: pl.DataFrame) -> pl.DataFrame:
    """(minute, key, phrase, authors, s1, s2): each history row's keyword key
    (`keyword_keys`), whether it is a phrase, distinct authors, share and squared share,
    fixed point.

    `volume` holds minute_stats rows (minute, authors): the active authors of each minute.
    `history` needs its keywords only for rows without a `key`.
    """
    # A lookup, not a join: joining millions of rows to a few minutes took three times as long.
    active = pl.col("minute").replace_strict(
        volume["minute"], volume["authors"], default=None, return_dtype=pl.Int64
    )
    share = (
        with_keyword_keys(history)
        .select("minute", "kind", "key", "authors", active=active)
        .drop_nulls("active")  # a minute without volume has no share
        .with_columns(s=pl.col("authors") / pl.col("active"))
    )
    return share.select(
        "minute",
        "key",
        phrase=pl.col("kind") == KIND_PHRASE,
        authors="authors",
        s1=(pl.col("s") * SHARE_UNIT).round().cast(pl.Int64),
        s2=(pl.col("s") ** 2 * SHARE_UNIT).round().cast(pl.Int64),
    )


def block_sums(shares: pl.DataFrame) -> pl.DataFrame:
    """(block, key, s1, s2): `history_shares` summed per keyword and 10-minute block, less a
    phrase's blocks with fewer than MIN_PHRASE_BLOCK_AUTHORS authors (per-minute distinct
    authors summed).

    Two words side by side are nearly always a pair never written before: they are the long
    tail, new in every block, that would fill the snapshots. In 191 minutes of synth at
    today's volume, 347,754 of the 792,213 (keyword, block) cells are phrases and 1,286 of
    those have two authors or more; at 100 times the volume one block holds 1.6 million
    phrases, 181,000 with two or more. Words keep every block: a rare word's single authors
    are its baseline (leaving out the words' too made dozens of rare words trend on
    `make eval`).
    """
    first, last = shares["minute"].min(), shares["minute"].max()
    one_block = (
        isinstance(first, datetime)
        and isinstance(last, datetime)
        and block_of(first) == block_of(last)
    )
    sums = ["s1", "s2"]
    # Words and phrases apart: only phrases need their authors summed.
    words, phrases = shares.filter(~pl.col("phrase")), shares.filter(pl.col("phrase"))
    if one_block:
        # The blocks entering a snapshot come one at a time: summed by the key alone
        # (`sum_by_key`: 0.07 s against 0.22 s of Polars' group-by for one block at 250,000
        # posts a minute).
        assert isinstance(first, datetime)
        grouped = pl.concat(
            [
                sum_by_key(words, "key", sums),
                sum_by_key(
                    phrases.with_columns(pl.col("authors").cast(pl.Int64)),
                    "key",
                    [*sums, "authors"],
                ).filter(pl.col("authors") >= MIN_PHRASE_BLOCK_AUTHORS),
            ],
            how="diagonal",
        ).with_columns(block=pl.lit(block_of(first), dtype=shares.schema["minute"]))
    else:
        by = [pl.col("minute").dt.truncate(_STEP_EVERY).alias("block"), "key"]
        grouped = pl.concat(
            [
                words.group_by(by).agg(pl.col(sums).sum()),
                phrases.group_by(by)
                .agg(pl.col(sums).sum(), pl.col("authors").sum())
                .filter(pl.col("authors") >= MIN_PHRASE_BLOCK_AUTHORS),
            ],
            how="diagonal",
        )
    return grouped.select("block", "key", "s1", "s2")


def block_of(minute: datetime) -> datetime:
    """The start of the 10-minute block (BASELINE_STEP) holding `minute`."""
    return minute - (minute - _EPOCH) % BASELINE_STEP


def baseline_snapshots(
    shares: pl.DataFrame, as_of: Sequence[datetime], baseline_minutes: int
) -> pl.DataFrame:
    """Per boundary H in `as_of` and keyword: share sums over the minutes [H - baseline, H),
    of the blocks `block_sums` keeps.

    `shares` are `history_shares` covering those minutes. Sums go through the 10-minute
    blocks, so many boundaries cost little more than one.
    """
    return snapshots_from_blocks(block_sums(shares), as_of, baseline_minutes)


def snapshots_from_blocks(
    blocks: pl.DataFrame, as_of: Sequence[datetime], baseline_minutes: int
) -> pl.DataFrame:
    """`baseline_snapshots` from the `block_sums` of the history."""
    if not as_of:
        return pl.DataFrame(schema=SNAPSHOT_SCHEMA)
    span = timedelta(minutes=baseline_minutes)
    frames = [
        blocks.filter((pl.col("block") >= boundary - span) & (pl.col("block") < boundary))
        .group_by("key")
        .agg(share_sum=pl.col("s1").sum(), share_sq_sum=pl.col("s2").sum())
        .with_columns(as_of=pl.lit(boundary, dtype=SNAPSHOT_SCHEMA["as_of"]))
        for boundary in as_of
    ]
    return pl.concat(frames).select(list(SNAPSHOT_SCHEMA)).sort("as_of", "key")


def _prefix_at(
    left: pl.DataFrame, at: str, right: pl.DataFrame, by: list[str] | None, names: dict[str, str]
) -> pl.DataFrame:
    """Join the latest prefix-sum row of `right` at or before `left[at]` (0 when none)."""
    right = (
        right.select(["minute", *(by or []), *names]).rename(names).rename({"minute": f"_{at}_m"})
    )
    # Both sides are sorted by the as-of key; within `by` groups that order is what counts.
    joined = left.sort(at).join_asof(
        right.sort(f"_{at}_m"),
        left_on=at,
        right_on=f"_{at}_m",
        by=by,
        strategy="backward",
        check_sortedness=by is None,
    )
    return joined.drop(f"_{at}_m").with_columns(pl.col(list(names.values())).fill_null(0))


def advance_snapshot(
    previous: pl.DataFrame, entering: pl.DataFrame, leaving: pl.DataFrame, as_of: datetime
) -> pl.DataFrame:
    """The snapshot at `as_of` from the one BASELINE_STEP before it, without re-reading history.

    `entering` and `leaving` are the `block_sums` of the blocks that join ([as_of - step,
    as_of)) and leave ([as_of - step - baseline, as_of - baseline)) the history. Integer
    sums of the same blocks make this exactly `baseline_snapshots` of the whole history; a
    keyword whose sum drops to 0 has left it (every minute with an author adds at least one
    unit).
    """
    parts = [
        previous.select("key", s1=pl.col("share_sum"), s2=pl.col("share_sq_sum")),
        entering.select("key", "s1", "s2"),
        leaving.select("key", -pl.col("s1"), -pl.col("s2")),
    ]
    return (
        sum_by_key(pl.concat(parts), "key", ["s1", "s2"])
        .select("key", share_sum="s1", share_sq_sum="s2")
        .filter(pl.col("share_sum") > 0)
        .with_columns(as_of=pl.lit(as_of, dtype=SNAPSHOT_SCHEMA["as_of"]))
        .select(list(SNAPSHOT_SCHEMA))
        .sort("key")
    )


def expectation(
    rows: pl.DataFrame,
    baselines: pl.DataFrame,
    volume: pl.DataFrame,
    *,
    window_minutes: int,
    baseline_minutes: int,
    fresh: pl.DataFrame | None = None,
    short_of: int = 0,
) -> pl.DataFrame:
    """Add baseline (E), baseline_std (S) and history_minutes to window rows (minute, key).

    `baselines` are snapshots (see `baseline_snapshots`) for every as_of the rows use;
    `volume` the minute_stats rows (minute, authors) from the earliest history minute on.

    A window's history is the `baseline_minutes` before its snapshot's boundary (as_of).
    In a young stream that history can be shorter than `short_of` minutes (see
    `young_history_minutes`) while the minutes up to the window's start would make it long
    enough: the stream's first alerts would wait up to 9 minutes for the next boundary, or
    stand on half the history there is. Such a window takes the `baseline_minutes` before
    its start instead, when no minute with posts leaves the history between the two (a
    young stream, or one back from a pause, has none): the snapshot plus `fresh`, the
    `history_shares` of the minutes `fresh_minutes` names, every one of them (less than a
    block, which `block_sums` cannot judge yet).
    """
    volume = volume.select("minute", active=pl.col("authors").cast(pl.Int64)).sort("minute")
    vol_prefix = volume.with_columns(
        v_n=(pl.col("active") > 0).cast(pl.Int64).cum_sum(),  # minutes with posts = history
        v_p=pl.col("active").cum_sum(),
        v_q=(pl.col("active") ** 2).cum_sum(),
    )
    one, span = pl.duration(minutes=1), pl.duration(minutes=baseline_minutes)
    keyed = "key" in rows.columns
    rows = with_keyword_keys(rows).with_columns(
        as_of=baseline_as_of(pl.col("minute"), window_minutes)
    )
    rows = rows.with_columns(
        _t=pl.col("minute"),
        _w=pl.col("minute") - pl.duration(minutes=window_minutes),  # the minute before the window
        _hi=pl.col("as_of") - one,
        _lo=pl.col("as_of") - span - one,
    )
    rows = _prefix_at(rows, "_t", vol_prefix, None, {"v_p": "p_t", "v_q": "q_t"})
    rows = _prefix_at(rows, "_w", vol_prefix, None, {"v_p": "p_w", "v_q": "q_w"})
    rows = _prefix_at(rows, "_hi", vol_prefix, None, {"v_n": "n_hi"})
    rows = _prefix_at(rows, "_lo", vol_prefix, None, {"v_n": "n_lo"})
    rows = rows.join(baselines, on=["as_of", "key"], how="left").with_columns(
        pl.col("share_sum", "share_sq_sum").fill_null(0),
        _n=pl.col("n_hi") - pl.col("n_lo"),
    )
    if fresh is not None:  # only a chunk with exact histories pays for this
        rows = _exact_histories(rows, vol_prefix, fresh, span, short_of)
    n = pl.col("_n")
    mean = pl.when(n > 0).then(pl.col("share_sum") / SHARE_UNIT / n).otherwise(0.0)
    second = pl.when(n > 0).then(pl.col("share_sq_sum") / SHARE_UNIT / n).otherwise(0.0)
    window_active = (pl.col("p_t") - pl.col("p_w")).cast(pl.Float64)
    window_sq = (pl.col("q_t") - pl.col("q_w")).cast(pl.Float64)
    return rows.with_columns(
        history_minutes=n.cast(pl.Int64),
        baseline=mean * window_active,
        baseline_std=((second - mean**2).clip(lower_bound=0.0) * window_sq).sqrt(),
    ).drop(
        "as_of", "_t", "_w", "_hi", "_lo", "_n", "p_t", "q_t", "p_w", "q_w", "n_hi", "n_lo",
        "share_sum", "share_sq_sum", *([] if keyed else ["key"]),
    )  # fmt: skip


def _exact_histories(
    rows: pl.DataFrame, vol_prefix: pl.DataFrame, fresh: pl.DataFrame, span: pl.Expr, short_of: int
) -> pl.DataFrame:
    """`expectation`'s exact histories: for each row that gets one, its history's minutes
    (`_n`) and share sums over the `baseline_minutes` before the window's start."""
    rows = rows.with_columns(_wb=pl.col("_w") - span)
    rows = _prefix_at(rows, "_w", vol_prefix, None, {"v_n": "n_w"})
    rows = _prefix_at(rows, "_wb", vol_prefix, None, {"v_n": "n_wb"})
    exact = (
        (pl.col("_hi") < pl.col("_w"))  # the window starts after its boundary
        & (pl.col("_n") < short_of)
        & (pl.col("n_wb") == pl.col("n_lo"))  # no minute with posts leaves the history
    )
    by_key = fresh.sort("minute").with_columns(
        f1=pl.col("s1").cum_sum().over("key"), f2=pl.col("s2").cum_sum().over("key")
    )
    rows = _prefix_at(rows, "_w", by_key, ["key"], {"f1": "f1_w", "f2": "f2_w"})
    rows = _prefix_at(rows, "_hi", by_key, ["key"], {"f1": "f1_hi", "f2": "f2_hi"})
    return rows.with_columns(
        share_sum=pl.col("share_sum")
        + pl.when(exact).then(pl.col("f1_w") - pl.col("f1_hi")).otherwise(0),
        share_sq_sum=pl.col("share_sq_sum")
        + pl.when(exact).then(pl.col("f2_w") - pl.col("f2_hi")).otherwise(0),
        _n=pl.when(exact).then(pl.col("n_w") - pl.col("n_wb")).otherwise(pl.col("_n")),
    ).drop("_wb", "n_w", "n_wb", "f1_w", "f2_w", "f1_hi", "f2_hi")


def young_history_minutes(min_history_minutes: int) -> int:
    """The `short_of` for `expectation` and `fresh_minutes`: a boundary's history is short
    while no alert may stand on it, and while it is under one snapshot step, which the up
    to 9 minutes from the boundary to a window's start can double.

    On cut synth streams, the first rule alone (with 3 minutes of history needed) left a
    burst 10 minutes into a stream waiting 13 minutes for its alert; both rules gave 6.
    """
    return max(min_history_minutes, BASELINE_STEP // timedelta(minutes=1))


def fresh_minutes(
    minutes: Sequence[datetime],
    volume: pl.DataFrame,
    window_minutes: int,
    baseline_minutes: int,
    short_of: int,
) -> tuple[datetime, datetime] | None:
    """[start, end) of the minutes whose shares `expectation` needs for the exact histories
    of windows ending at `minutes`, or None when every window keeps its boundary's history.

    `volume` as for `expectation`. A window's history is exact (see there) when its start
    is past its boundary, the boundary's history has fewer than `short_of` minutes with
    posts, and none lies in [boundary - baseline, start - baseline); it then needs the
    minutes [boundary, start).
    """
    active = sorted(volume.filter(pl.col("authors") > 0)["minute"].to_list())
    span, step = timedelta(minutes=baseline_minutes), timedelta(minutes=window_minutes - 1)
    starts, ends = [], []
    for minute in minutes:
        start = minute - step
        boundary = block_of(start)
        if (
            boundary < start
            and _count_between(active, boundary - span, boundary) < short_of
            and not _count_between(active, boundary - span, start - span)
        ):
            starts.append(boundary)
            ends.append(start)
    return (min(starts), max(ends)) if starts else None


def _count_between(ordered: list[datetime], low: datetime, high: datetime) -> int:
    """How many values of the ascending `ordered` lie in [low, high)."""
    return bisect.bisect_left(ordered, high) - bisect.bisect_left(ordered, low)


def voices(authors: pl.Expr, threads: pl.Expr, copies: pl.Expr) -> pl.Expr:
    """Distinct authors, capped by the distinct threads and the distinct copies (texts) where
    those are known (not null)."""
    return pl.min_horizontal(authors, threads.fill_null(authors), copies.fill_null(authors))


def zscore(x: pl.Expr, noise_floor: float) -> pl.Expr:
    """SigniTrend's z with noise floor beta, over rows that have baseline and baseline_std."""
    return (x - pl.max_horizontal(pl.col("baseline"), pl.lit(noise_floor))) / (
        pl.col("baseline_std") + noise_floor
    )


def score_windows(
    windows: pl.DataFrame,
    baselines: pl.DataFrame,
    volume: pl.DataFrame,
    *,
    window_minutes: int,
    baseline_minutes: int,
    noise_floor: float,
    fresh: pl.DataFrame | None = None,
    short_of: int = 0,
) -> pl.DataFrame:
    """Add baseline, baseline_std, history_minutes, zscore, velocity, score and
    cover_authors (`trendlake.parts`: which alerts read to tell a word from the phrase or
    name it is part of) to `windows` (the rows `exact_windows` gives: velocity is
    unique_authors - previous_authors).
    `baselines`, `volume`, `fresh` and `short_of` as for `expectation`.
    """
    rows = expectation(
        windows,
        baselines,
        volume,
        window_minutes=window_minutes,
        baseline_minutes=baseline_minutes,
        fresh=fresh,
        short_of=short_of,
    )
    x = pl.col("unique_authors").cast(pl.Float64)
    v = voices(pl.col("unique_authors"), pl.col("unique_threads"), pl.col("unique_copies")).cast(
        pl.Float64
    )
    rows = rows.with_columns(zscore=zscore(v, noise_floor))
    rows = rows.with_columns(
        velocity=(pl.col("unique_authors") - pl.col("previous_authors")).cast(pl.Int64)
    )
    momentum = 1.0 + pl.col("velocity").clip(lower_bound=0) / (1.0 + x)
    coverage = (pl.col("history_minutes") / baseline_minutes).clip(upper_bound=1.0)
    rows = rows.with_columns(
        score=pl.when(pl.col("zscore") > 0)
        .then(pl.col("zscore") * (1.0 + v).log(2) * momentum)
        .otherwise(pl.col("zscore")),
        confidence=(coverage / (1.0 + (-1.702 * pl.col("zscore")).exp())).round(4),
    )
    return rows.select(
        "minute",
        *_KEY,
        "window_start",
        "window_end",
        "count",
        "unique_authors",
        "baseline",
        "baseline_std",
        "history_minutes",
        "zscore",
        "velocity",
        "score",
        "confidence",
        "langs",
        "lang_shares",
        "recent_authors",
        "unique_threads",
        "recent_threads",
        "unique_copies",
        "recent_copies",
        cover_authors=cover_authors(rows),
    ).sort("minute", "kind", "keyword")
