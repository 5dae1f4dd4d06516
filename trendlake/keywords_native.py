"""Batch keyword extraction through the compiled `trendlake_native` tokenizer.

`trendlake_native` (the Rust crate in ``native/``) reproduces `trendlake.text.extract_keywords`
pair for pair; the posts it declines (rare: non-ASCII language tags) are handed back to
`extract_keywords` itself, so the output is identical for every input. It reads the posts'
Arrow columns and returns Arrow buffers, turned into Polars series here, with no Python
object per post or keyword. The crate also runs the hot group-bys of the windows and
baselines, each giving the rows of its Polars reference: sums per keyword key
(`trendlake.keysums`), a minute's keyword counts and exact window distincts
(`trendlake.windows`).
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
    "minute_counts",
    "sum_by_key",
    "tokenizer",
    "window_distincts",
    "word_set_keys",
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


def word_set_keys(
    per_post: pl.Series,
    keywords: pl.Series,
    kinds: pl.Series,
    minutes: pl.Series,
    min_words: int,
    short_min_tokens: int,
    short_near_min_tokens: int,
    templates: pl.DataFrame,
    singles: pl.DataFrame,
    template_memory: int,
    single_memory: int,
) -> tuple[pl.Series, pl.DataFrame, pl.DataFrame]:
    """`trendlake.copies.copy_keys_and_memory`, computed natively (`post_keywords`' three
    series, each post's minute as Int64 microseconds, the templates and singles remembered
    and how long each serve, in microseconds): the keys, and the templates and singles
    formed."""
    import trendlake_native

    n = per_post.len()
    counts = per_post.cast(pl.UInt32).rechunk().to_arrow()
    if counts.null_count:
        raise ValueError("word_set_keys: pair counts must not be null")
    count_data = _bytes(counts.buffers()[1])
    assert count_data is not None
    count_data = count_data[counts.offset * 4 : (counts.offset + n) * 4]
    # Per pair: 1 a word, 2 a hashtag or domain (a short post's key holds them), 0 a phrase.
    token_kinds = (
        pl.select(
            pl.when(kinds == "word")
            .then(1)
            .when(kinds.is_in(["hashtag", "domain"]))
            .then(2)
            .otherwise(0)
            .cast(pl.UInt8)
        )
        .to_series()
        .rechunk()
        .to_arrow()
    )
    kind_data = _bytes(token_kinds.buffers()[1])
    kind_data = (kind_data or memoryview(b""))[
        token_kinds.offset : token_kinds.offset + len(token_kinds)
    ]
    keys, *formed = trendlake_native.word_set_keys(
        n,
        count_data,
        _string_parts(keywords.rechunk().to_arrow()),
        kind_data,
        _int64_data(minutes),
        min_words,
        short_min_tokens,
        short_near_min_tokens,
        _template_parts(templates),
        _template_parts(singles),
        template_memory,
        single_memory,
    )
    series = _int64_series(keys, n).rename("copy_key")
    keys_or_null = pl.select(pl.when(series != 0).then(series)).to_series()
    return keys_or_null, _template_frame(formed[:5]), _template_frame(formed[5:])


def _template_parts(
    frame: pl.DataFrame,
) -> tuple[int, memoryview, memoryview, memoryview, memoryview, memoryview]:
    """Templates (`copies.TEMPLATE_SCHEMA`) as the native call takes them: their number,
    then minutes, keys, short flags, token counts and all token hashes as buffers."""
    columns = frame.select(
        pl.col("minute").dt.cast_time_unit("us").cast(pl.Int64),
        pl.col("key"),
        pl.col("short").cast(pl.UInt8),
        pl.col("token_hashes").list.len().cast(pl.UInt32).alias("counts"),
        pl.col("token_hashes"),
    )
    return (
        columns.height,
        _fixed_width_data(columns["minute"]),
        _fixed_width_data(columns["key"]),
        _fixed_width_data(columns["short"]),
        _fixed_width_data(columns["counts"]),
        _fixed_width_data(columns["token_hashes"].explode().drop_nulls()),
    )


def _template_frame(buffers: Sequence[bytes]) -> pl.DataFrame:
    """The templates a native call returned (minutes, keys, short flags, token counts and
    hashes, as buffers) as a frame of `copies.TEMPLATE_SCHEMA`."""
    t_minutes, t_keys, t_short, t_counts, t_hashes = buffers
    count = len(t_keys) // 8
    lengths = _uint32_series(t_counts, count).cast(pl.Int64)
    offsets = pl.concat([pl.Series([0], dtype=pl.Int64), lengths.cum_sum()]).to_arrow()
    hashes = pa.LargeListArray.from_arrays(offsets, _int64_array(t_hashes))
    return pl.DataFrame(
        {
            "minute": _int64_series(t_minutes, count).cast(pl.Datetime("us", "UTC")),
            "key": _int64_series(t_keys, count),
            "short": pl.Series(
                pa.Array.from_buffers(pa.uint8(), count, [None, pa.py_buffer(t_short)])
            ).cast(pl.Boolean),
            "token_hashes": pl.Series(hashes).cast(pl.List(pl.Int64)),
        }
    )


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
        "row": _uint32_series(first, groups),
    }
    columns.update(
        (name, _int64_series(sum_, groups)) for name, sum_ in zip(values, sums, strict=True)
    )
    return pl.DataFrame(columns)


def minute_counts(occurrences: pl.DataFrame) -> pl.DataFrame:
    """`trendlake.windows.minute_counts` computed natively, its rows in the same order:
    `occurrences` holds minute, keyword, kind, author_key, thread_key, copy_key and lang,
    without nulls."""
    import trendlake_native

    buffers, kinds, langs = trendlake_native.minute_groups(
        occurrences.height,
        _int64_data(occurrences["minute"].cast(pl.Int64)),
        _string_parts(occurrences["keyword"].to_arrow()),
        _string_parts(occurrences["kind"].to_arrow()),
        _int64_data(occurrences["author_key"]),
        _int64_data(occurrences["thread_key"]),
        _int64_data(occurrences["copy_key"]),
        _string_parts(occurrences["lang"].to_arrow()),
    )
    minutes, kind_codes, keyword_offsets, keyword_data, posts = buffers[:5]
    author_offsets, author_keys, thread_offsets, thread_keys = buffers[5:9]
    lang_offsets, lang_codes, lang_posts, keys, copy_offsets, copy_keys = buffers[9:]
    n = len(posts) // 8

    def lists(offsets: bytes, values: pa.Array) -> pa.Array:
        return pa.LargeListArray.from_arrays(_int64_array(offsets, n + 1), values)

    def named(codes: bytes, names: list[str]) -> pa.Array:
        indices = pa.Array.from_buffers(pa.uint32(), len(codes) // 4, [None, pa.py_buffer(codes)])
        return pa.DictionaryArray.from_arrays(indices, pa.array(names, pa.large_utf8())).cast(
            pa.large_utf8()
        )

    counts = pl.DataFrame(
        {
            "minute": _int64_series(minutes, n),
            "keyword": pa.Array.from_buffers(
                pa.large_utf8(),
                n,
                [None, pa.py_buffer(keyword_offsets), pa.py_buffer(keyword_data)],
            ),
            "kind": named(kind_codes, kinds),
            "posts": _int64_series(posts, n),
            "author_keys": lists(author_offsets, _int64_array(author_keys)),
            "thread_keys": lists(thread_offsets, _int64_array(thread_keys)),
            "langs": lists(lang_offsets, named(lang_codes, langs)),
            "lang_posts": lists(lang_offsets, _int64_array(lang_posts)),
            "key": _int64_series(keys, n),
            "copy_keys": lists(copy_offsets, _int64_array(copy_keys)),
        }
    )
    return counts.with_columns(
        pl.col("minute").cast(occurrences.schema["minute"]),
        authors=pl.col("author_keys").list.len().cast(pl.Int64),
    )


def window_distincts(
    counts: pl.DataFrame, wanted: pl.DataFrame, window_minutes: int, recent_minutes: int, top: int
) -> pl.DataFrame:
    """Natively, for `trendlake.windows.exact_windows`: per distinct wanted window (minute,
    key) with a row of `counts` inside it, (window: its index in `wanted`, count,
    unique_authors, unique_threads and recent_threads (null when a row inside has no thread
    keys), recent_authors, previous_authors, unique_copies and recent_copies (null when a row
    inside has no copy keys), langs and lang_shares (its `top` languages by posts, ties by
    name, and their shares of its posts, rounded to 4 places)). `counts` holds minute, key,
    posts, author_keys, thread_keys, copy_keys, langs and lang_posts, without null items in
    the lists."""
    import trendlake_native

    minute = 60_000_000  # µs
    chunks = _chunk_columns(
        [counts["minute"].cast(pl.Int64), *(counts[name] for name in _WINDOW_COLUMNS[1:])]
    )
    lengths = [len(part) for part in chunks["minute"]]
    int64s, lists = _int64_data, _int64_list_parts
    buffers, languages = trendlake_native.window_distincts(
        lengths,
        [int64s(part) for part in chunks["minute"]],
        [int64s(part) for part in chunks["key"]],
        [int64s(part) for part in chunks["posts"]],
        [lists(part) for part in chunks["author_keys"]],
        [lists(part) for part in chunks["thread_keys"]],
        [lists(part) for part in chunks["copy_keys"]],
        [_list_parts(_flat(part.to_arrow(), "langs")) for part in chunks["langs"]],
        [lists(part) for part in chunks["lang_posts"]],
        wanted.height,
        _int64_data(wanted["minute"].cast(pl.Int64)),
        _int64_data(wanted["key"]),
        window_minutes * minute,
        recent_minutes * minute,
        top,
    )
    window, count, authors, threads, known, recent, recent_threads, previous = buffers[:8]
    mix_offsets, mix_codes, mix_posts, mix_total, copies, copies_known, recent_copies = buffers[8:]
    n = len(window) // 4

    def mask(flags: bytes) -> pl.Series:
        return pl.Series(pa.Array.from_buffers(pa.uint8(), n, [None, pa.py_buffer(flags)])) > 0

    entries = len(mix_codes) // 4
    # uint32 offsets read as int32: a step's windows hold far fewer than 2^31 languages.
    offsets = pa.Array.from_buffers(pa.int32(), n + 1, [None, pa.py_buffer(mix_offsets)])
    codes = pa.Array.from_buffers(pa.uint32(), entries, [None, pa.py_buffer(mix_codes)])
    names = pa.DictionaryArray.from_arrays(codes, pa.array(languages, pa.large_utf8()))
    # The shares as `_language_mix` takes them: each language's posts over the window's.
    per_entry = pl.Series(range(n), dtype=pl.UInt32).repeat_by(
        pl.Series(offsets).diff().drop_nulls().cast(pl.UInt32)
    )
    total = _int64_series(mix_total, n).gather(per_entry.explode().drop_nulls())
    shares = (_int64_series(mix_posts, entries) / total).round(4)
    return pl.DataFrame(
        {
            "window": _uint32_series(window, n),
            "count": _int64_series(count, n),
            "unique_authors": _int64_series(authors, n),
            "unique_threads": _int64_series(threads, n),
            "recent_authors": _int64_series(recent, n),
            "recent_threads": _int64_series(recent_threads, n),
            "previous_authors": _int64_series(previous, n),
            "unique_copies": _int64_series(copies, n),
            "recent_copies": _int64_series(recent_copies, n),
            "langs": pa.ListArray.from_arrays(offsets, names.cast(pa.large_utf8())),
            "lang_shares": pa.ListArray.from_arrays(offsets, shares.to_arrow()),
        }
    ).with_columns(
        pl.when(mask(known)).then(pl.col("unique_threads", "recent_threads")),
        pl.when(mask(copies_known)).then(pl.col("unique_copies", "recent_copies")),
    )


_WINDOW_COLUMNS = (
    "minute",
    "key",
    "posts",
    "author_keys",
    "thread_keys",
    "copy_keys",
    "langs",
    "lang_posts",
)


def _chunk_columns(columns: Sequence[pl.Series]) -> dict[str, list[pl.Series]]:
    """Each of `columns` (of one frame) as its chunks, all cut at the same rows (`Lake.read`
    hands frames over so, `aligned_chunks`; a column cut otherwise is cut to the others'),
    empty chunks left out. The native kernels read the chunks where they lie: rechunking
    copied every key list of a window pass's counts. (Not through `DataFrame.select`: with
    one column cut otherwise, it rechunks them all.)"""
    from trendlake.lake import aligned_chunks

    frame = aligned_chunks(pl.DataFrame(columns))
    keep = [length > 0 for length in frame[frame.columns[0]].chunk_lengths()]
    return {
        name: [chunk for chunk, kept in zip(frame[name].get_chunks(), keep, strict=True) if kept]
        for name in frame.columns
    }


class NullItemsError(ValueError):
    """A list column holds a null item, which the native window pass does not read (no
    version of trendlake writes one): `trendlake.windows.exact_windows` then uses Polars."""


def _flat(array: pa.Array, name: str) -> pa.Array:
    """`array` (a list array), after checking that it holds no null item."""
    if array.values.null_count:
        raise NullItemsError(f"{name}: null items in a list")
    return array


def _int64_list_parts(
    series: pl.Series,
) -> tuple[int, memoryview | None, memoryview | None, int, memoryview]:
    """(offset, validity, offsets, values offset, values) of a List(Int64) series without
    null items, as `window_distincts` reads them."""
    array = series.rechunk().to_arrow()
    if array.type != pa.large_list(pa.int64()):
        array = array.cast(pa.large_list(pa.int64()))
    values = array.values
    if values.null_count:
        raise NullItemsError(f"{series.name}: null items in a key list")
    validity, offsets = array.buffers()[:2]
    data = _bytes(values.buffers()[1]) or memoryview(b"")
    return array.offset, _bytes(validity), _bytes(offsets), values.offset, data


def _uint32_series(data: bytes, n: int) -> pl.Series:
    return pl.Series(pa.Array.from_buffers(pa.uint32(), n, [None, pa.py_buffer(data)]))


def _int64_data(series: pl.Series) -> memoryview:
    """The n int64s of a null-free Int64 series, as one buffer."""
    if series.dtype != pl.Int64:
        raise ValueError(f"{series.name}: the native kernels take Int64 columns without nulls")
    return _fixed_width_data(series)


def _fixed_width_data(series: pl.Series) -> memoryview:
    """The values of a null-free integer series, as one buffer (empty: no bytes)."""
    array = series.rechunk().to_arrow()
    if array.null_count:
        raise ValueError(f"{series.name}: the native kernels take columns without nulls")
    width = array.type.bit_width // 8
    data = _bytes(array.buffers()[1]) if len(array) else None
    if data is None:
        return memoryview(b"")
    return data[array.offset * width : (array.offset + len(array)) * width]


def _int64_array(data: bytes, n: int | None = None) -> pa.Array:
    count = len(data) // 8 if n is None else n
    return pa.Array.from_buffers(pa.int64(), count, [None, pa.py_buffer(data)])


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
