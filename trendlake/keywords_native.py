"""Batch keyword extraction through the compiled `trendlake_native` tokenizer.

`trendlake_native` (the Rust crate in ``native/``) reproduces `trendlake.text.extract_keywords`
pair for pair; the posts it declines (rare: non-ASCII language tags) are handed back to
`extract_keywords` itself, so the output is identical for every input. It reads the posts'
Arrow columns and returns Arrow buffers, turned into Polars series here, with no Python
object per post or keyword. The crate also sums Int64 columns per 64-bit key
(`trendlake.keysums`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from trendlake.text import KINDS, _normalized_stopwords, extract_keywords

__all__ = [
    "author_keys",
    "available",
    "extract_buffers",
    "extract_frame",
    "sum_by_key",
    "tokenizer",
]

_per_thread = threading.local()
_KIND_CATEGORIES = pa.array(list(KINDS), pa.large_utf8())


def available() -> bool:
    """Whether the compiled module can be imported."""
    try:
        import trendlake_native  # noqa: F401
    except ImportError:
        return False
    return True


def tokenizer() -> Any:
    """This thread's `trendlake_native.Tokenizer`, made on first use.

    One per thread: a Tokenizer is borrowed mutably for a whole batch (its stopword caches),
    and a second thread using it meanwhile would fail with "Already borrowed".
    """
    made: Any = getattr(_per_thread, "tokenizer", None)
    if made is None:
        import trendlake_native

        made = trendlake_native.Tokenizer(_normalized_stopwords, extract_keywords)
        _per_thread.tokenizer = made
    return made


def extract_frame(posts: pl.DataFrame) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Keywords of a frame of posts: (count per post: UInt32, keyword: String, kind: String).

    The keyword and kind series hold every post's pairs one after the other, in the order of
    `extract_keywords`; the counts say how many pairs each post has.
    """
    return _series(posts.height, extract_buffers(posts))


def extract_buffers(posts: pl.DataFrame) -> tuple[bytes, bytes, bytes, bytes, int]:
    """The native call itself: the text, langs, hashtags and links columns read straight from
    their Arrow buffers (no Python object per post); returns the pair counts, keyword
    offsets, keyword bytes, kind codes, and how many posts went to the Python fallback."""
    arrays = [posts[name].to_arrow() for name in ("text", "langs", "hashtags", "links")]
    result: tuple[bytes, bytes, bytes, bytes, int] = tokenizer().extract_arrow(
        posts.height, _string_parts(arrays[0]), *(_list_parts(a) for a in arrays[1:])
    )
    return result


def author_keys(dids: pl.Series) -> pl.Series:
    """`trendlake.windows.author_key` of every DID (a null DID gets 0), computed natively."""
    import trendlake_native

    keys = trendlake_native.author_keys(len(dids), _string_parts(dids.to_arrow()))
    array = pa.Array.from_buffers(pa.int64(), len(dids), [None, pa.py_buffer(keys)])
    return pl.Series(dids.name, array, dtype=pl.Int64)


def sum_by_key(frame: pl.DataFrame, key: str, values: Sequence[str]) -> pl.DataFrame:
    """`trendlake.keysums.sum_by_key`, computed natively: `key` and `values` are Int64
    columns without nulls."""
    import trendlake_native

    n = frame.height
    distinct, first, sums = trendlake_native.sum_by_key(
        n, _int64_data(frame[key]), tuple(_int64_data(frame[name]) for name in values)
    )
    groups = len(first) // 4
    columns = {
        key: _int64_series(distinct, groups),
        "row": pl.Series(pa.Array.from_buffers(pa.uint32(), groups, [None, pa.py_buffer(first)])),
    }
    columns.update(
        (name, _int64_series(sum_, groups)) for name, sum_ in zip(values, sums, strict=True)
    )
    return pl.DataFrame(columns)


def _int64_data(series: pl.Series) -> memoryview:
    """The n int64s of a null-free Int64 series, as one buffer."""
    array = series.rechunk().to_arrow()
    if array.type != pa.int64() or array.null_count:
        raise ValueError(f"{series.name}: sum_by_key takes Int64 columns without nulls")
    data = _bytes(array.buffers()[1])
    assert data is not None
    return data[array.offset * 8 : (array.offset + len(array)) * 8]


def _int64_series(data: bytes, n: int) -> pl.Series:
    return pl.Series(pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(data)]))


_Parts = tuple[int, memoryview | None, memoryview | None, memoryview]


def _string_parts(array: pa.Array) -> _Parts:
    """(offset, validity, offsets, data) of a large_utf8 array, as `extract_arrow` reads them."""
    if array.type != pa.large_utf8():
        array = array.cast(pa.large_utf8())
    validity, offsets, data = array.buffers()
    return array.offset, _bytes(validity), _bytes(offsets), _bytes(data) or memoryview(b"")


def _list_parts(array: pa.Array) -> tuple[int, memoryview | None, memoryview | None, _Parts]:
    """(offset, validity, offsets, items) of a large_list<large_utf8> array."""
    if array.type != pa.large_list(pa.large_utf8()):
        array = array.cast(pa.large_list(pa.large_utf8()))
    validity, offsets = array.buffers()[:2]
    # `values` is the whole child array, which the (unsliced) offsets index.
    return array.offset, _bytes(validity), _bytes(offsets), _string_parts(array.values)


def _bytes(buffer: pa.Buffer | None) -> memoryview | None:
    # pyarrow exports its buffers as signed bytes ("b"); the native side reads unsigned.
    return None if buffer is None else memoryview(buffer).cast("B")


def _series(
    n_posts: int, buffers: tuple[bytes, bytes, bytes, bytes, int]
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """The buffers of `extract_buffers` as Polars series, without a Python object per pair."""
    counts, offsets, data, kinds, _ = buffers
    n_pairs = len(kinds)
    count_arr = pa.Array.from_buffers(pa.uint32(), n_posts, [None, pa.py_buffer(counts)])
    keyword_arr = pa.Array.from_buffers(
        pa.large_utf8(), n_pairs, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    codes = pa.Array.from_buffers(pa.uint8(), n_pairs, [None, pa.py_buffer(kinds)])
    kind_arr = pa.DictionaryArray.from_arrays(codes, _KIND_CATEGORIES)
    kind = pl.Series("kind", kind_arr.cast(pa.large_utf8()), dtype=pl.String)
    return (
        pl.Series("count", count_arr),
        pl.Series("keyword", keyword_arr),
        kind,
    )
