"""Sums of Int64 columns per 64-bit key: the group-by the windows and baselines run over
millions of rows a minute at high volume."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from trendlake import keywords_native


def sum_by_key(
    frame: pl.DataFrame, key: str, values: Sequence[str], *, native: bool = True
) -> pl.DataFrame:
    """(key, row, *values): one row per distinct `key` of `frame`, in the order the keys
    first occur; `row` (UInt32) is the index of that first row, to take other columns from
    it, and each of `values` is summed. Keys and values are Int64 without nulls.

    Keyword keys are BLAKE2b hashes and most of them occur once or twice in a minute's
    windows: the compiled single pass over a hash map (native/src/sums.rs) summed 2.15
    million rows in 0.07 s of CPU where Polars' group-by took 0.28 s. Without it (or with
    `native` False, for comparisons), Polars gives the same rows.
    """
    nulls = frame.select(pl.col(key, *values).null_count()).row(0)
    if any(nulls):
        raise ValueError(f"sum_by_key: nulls in {[key, *values]} ({nulls})")
    if native and keywords_native.available():
        return keywords_native.sum_by_key(frame, key, values)
    return (
        frame.with_row_index("row")
        .group_by(key, maintain_order=True)
        .agg(pl.col("row").first(), pl.col(list(values)).sum())
        .select(key, "row", *values)
    )
