"""`sum_by_key`: the compiled single pass and the Polars group-by give the same rows."""

from __future__ import annotations

import random

import polars as pl
import pytest

from trendlake import keywords_native
from trendlake.keysums import sum_by_key

needs_native = pytest.mark.skipif(
    not keywords_native.available(), reason="the native module is not built"
)


def _frame(rows: int, distinct: int, seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    keys = [rng.randrange(-(2**63), 2**63) for _ in range(distinct)]
    return pl.DataFrame(
        {
            "key": [keys[rng.randrange(distinct)] for _ in range(rows)],
            "a": [rng.randrange(-1000, 1000) for _ in range(rows)],
            "b": [rng.randrange(0, 10**15) for _ in range(rows)],
        },
        schema={"key": pl.Int64, "a": pl.Int64, "b": pl.Int64},
    )


def test_each_key_once_in_the_order_it_first_occurs_with_its_first_row_and_sums() -> None:
    frame = pl.DataFrame({"key": [7, -3, 7, 9, -3, 7], "n": [1, 2, 3, 4, 5, 6]})
    for native in (True, False):
        sums = sum_by_key(frame, "key", ["n"], native=native)
        assert sums.rows() == [(7, 0, 10), (-3, 1, 7), (9, 3, 4)]
        assert sums.schema == pl.Schema({"key": pl.Int64, "row": pl.UInt32, "n": pl.Int64})


@needs_native
@pytest.mark.parametrize(("rows", "distinct"), [(0, 1), (1, 1), (5_000, 4_000), (200_000, 30_000)])
def test_the_native_sums_equal_polars(rows: int, distinct: int) -> None:
    # 200,000 rows spread over 64 partitions natively; sums near 2^63 wrap as Polars' do.
    frame = _frame(rows, distinct, seed=rows)
    native = sum_by_key(frame, "key", ["a", "b"])
    assert native.height == frame["key"].n_unique()
    assert native.equals(sum_by_key(frame, "key", ["a", "b"], native=False))


@needs_native
def test_chunked_and_sliced_columns_are_read_whole_and_from_their_offset() -> None:
    frame = _frame(30_000, 5_000, seed=3)
    pieces = pl.concat([frame.slice(0, 10_000), frame.slice(10_000)], rechunk=False)
    assert pieces.n_chunks() == 2
    expected = sum_by_key(frame, "key", ["a"], native=False)
    assert sum_by_key(pieces, "key", ["a"]).equals(expected)
    tail = frame.slice(12_345)
    assert sum_by_key(tail, "key", ["a"]).equals(sum_by_key(tail, "key", ["a"], native=False))


@pytest.mark.parametrize("native", [True, False])
def test_nulls_are_refused(native: bool) -> None:
    frame = pl.DataFrame({"key": [1, None], "n": [1, 2]})
    with pytest.raises(ValueError, match="nulls"):
        sum_by_key(frame, "key", ["n"], native=native)
