"""Baselines, z-scores, velocity and ranking for sliding windows (pure, Polars).

The baseline is history-based and volume-normalised, so a minute's score is a pure function of
the posts up to that minute (no recursive state to carry or repair):

- share of a history minute m = authors(keyword, m) / posts(m); the history is the
  `baseline_minutes` minutes before the current window (minutes without posts do not count);
- expected unique authors E = mean(share) * posts in the window, so the daily rhythm of the
  whole network moves the expectation instead of making common words trend;
- spread S = std(share) * sqrt(sum of posts(m)^2 over the window);
- z = (x - max(E, beta)) / (S + beta), SigniTrend's form with a noise floor beta, so a
  keyword never seen before needs a few authors before it scores at all;
- velocity = x minus the previous minute's window; score = z * log2(1 + x) *
  (1 + max(velocity, 0) / (1 + x)): significance, breadth and momentum ranked together;
- confidence = Phi(z) (logistic approximation) * the share of the baseline history that
  actually exists, so a score over a cold start reads as less certain.

Shares are summed as fixed-point integers (units of 1e-15), so every sum is exact and the
same whichever order or chunking adds it up: a live minute and a backfill over it give
identical rows. A chunk of a few minutes (live mode) sums each window's history directly; a
long chunk (backfill) uses per-keyword prefix sums and as-of joins, one pass over the rows.
"""

from __future__ import annotations

import polars as pl

_KEY = ["keyword", "kind"]
SHARE_UNIT = 10**15  # fixed point: Int64 sums up to 9,223 shares of at most 1 stay exact
DIRECT_MAX_MINUTES = 4  # up to this many window minutes, sum each one's history directly


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


def score_windows(
    windows: pl.DataFrame,
    history: pl.DataFrame,
    volume: pl.DataFrame,
    *,
    window_minutes: int,
    baseline_minutes: int,
    noise_floor: float,
) -> pl.DataFrame:
    """Add baseline, baseline_std, history_minutes, zscore, velocity and score to `windows`.

    `windows` holds window rows for [first - 1 min, end) (the extra minute feeds velocity);
    `history` holds keyword_counts rows (minute, keyword, kind, authors) and `volume` the
    minute_stats rows (minute, posts) reaching `window_minutes + baseline_minutes` back.
    """
    window = pl.duration(minutes=window_minutes)
    span = pl.duration(minutes=window_minutes + baseline_minutes)
    volume = volume.select("minute", pl.col("posts").cast(pl.Int64)).sort("minute")
    vol_prefix = volume.with_columns(
        v_n=(pl.col("posts") > 0).cast(pl.Int64).cum_sum(),  # minutes with posts = history
        v_p=pl.col("posts").cum_sum(),
        v_q=(pl.col("posts") ** 2).cum_sum(),
    )
    share = (
        history.select("minute", *_KEY, "authors")
        .join(volume, on="minute", how="inner")
        .with_columns(s=pl.col("authors") / pl.col("posts"))
        .select(
            "minute",
            *_KEY,
            s1=(pl.col("s") * SHARE_UNIT).round().cast(pl.Int64),
            s2=(pl.col("s") ** 2 * SHARE_UNIT).round().cast(pl.Int64),
        )
    )
    rows = windows.with_columns(
        _hi=pl.col("minute") - window, _lo=pl.col("minute") - span, _t=pl.col("minute")
    )
    rows = _prefix_at(rows, "_t", vol_prefix, None, {"v_p": "p_t", "v_q": "q_t"})
    rows = _prefix_at(rows, "_hi", vol_prefix, None, {"v_n": "n_hi", "v_p": "p_hi", "v_q": "q_hi"})
    rows = _prefix_at(rows, "_lo", vol_prefix, None, {"v_n": "n_lo"})
    rows = _with_share_sums(rows, share)

    n = (pl.col("n_hi") - pl.col("n_lo")).cast(pl.Float64)
    mean = pl.when(n > 0).then(pl.col("sum_s1") / SHARE_UNIT / n).otherwise(0.0)
    second = pl.when(n > 0).then(pl.col("sum_s2") / SHARE_UNIT / n).otherwise(0.0)
    window_posts = (pl.col("p_t") - pl.col("p_hi")).cast(pl.Float64)
    window_sq = (pl.col("q_t") - pl.col("q_hi")).cast(pl.Float64)
    rows = rows.with_columns(
        history_minutes=(pl.col("n_hi") - pl.col("n_lo")).cast(pl.Int64),
        baseline=mean * window_posts,
        baseline_std=((second - mean**2).clip(lower_bound=0.0) * window_sq).sqrt(),
    )
    x = pl.col("unique_authors").cast(pl.Float64)
    rows = rows.with_columns(
        zscore=(x - pl.max_horizontal(pl.col("baseline"), pl.lit(noise_floor)))
        / (pl.col("baseline_std") + noise_floor)
    )
    previous = rows.select(
        (pl.col("minute") + pl.duration(minutes=1)).alias("minute"),
        *_KEY,
        prev=pl.col("unique_authors"),
    )
    rows = rows.join(previous, on=["minute", *_KEY], how="left").with_columns(
        velocity=(pl.col("unique_authors") - pl.col("prev").fill_null(0)).cast(pl.Int64)
    )
    momentum = 1.0 + pl.col("velocity").clip(lower_bound=0) / (1.0 + x)
    coverage = (pl.col("history_minutes") / baseline_minutes).clip(upper_bound=1.0)
    rows = rows.with_columns(
        score=pl.when(pl.col("zscore") > 0)
        .then(pl.col("zscore") * (1.0 + x).log(2) * momentum)
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
    ).sort("minute", "kind", "keyword")


def _with_share_sums(rows: pl.DataFrame, share: pl.DataFrame) -> pl.DataFrame:
    """Add sum_s1, sum_s2: each window's share sums over its history minutes (_lo, _hi].

    Integer sums, so both ways below give the same numbers to the last digit.
    """
    targets = rows.select("minute", "_lo", "_hi").unique()
    if targets.height <= DIRECT_MAX_MINUTES:
        # Live mode: a handful of window minutes; filter and sum each one's history.
        sums = pl.concat(
            [
                share.filter((pl.col("minute") > lo) & (pl.col("minute") <= hi))
                .group_by(_KEY)
                .agg(sum_s1=pl.col("s1").sum(), sum_s2=pl.col("s2").sum())
                .with_columns(minute=pl.lit(minute, dtype=rows.schema["minute"]))
                for minute, lo, hi in targets.iter_rows()
            ],
            how="vertical_relaxed",
        )
        return rows.join(sums, on=["minute", *_KEY], how="left").with_columns(
            pl.col("sum_s1", "sum_s2").fill_null(0)
        )
    prefix = share.sort([*_KEY, "minute"]).with_columns(
        s1=pl.col("s1").cum_sum().over(_KEY), s2=pl.col("s2").cum_sum().over(_KEY)
    )
    rows = _prefix_at(rows, "_hi", prefix, _KEY, {"s1": "s1_hi", "s2": "s2_hi"})
    rows = _prefix_at(rows, "_lo", prefix, _KEY, {"s1": "s1_lo", "s2": "s2_lo"})
    return rows.with_columns(
        sum_s1=pl.col("s1_hi") - pl.col("s1_lo"), sum_s2=pl.col("s2_hi") - pl.col("s2_lo")
    )
