"""Types of the compiled tokenizer (native/src/lib.rs); maturin ships this stub with it."""

from collections.abc import Callable, Sequence

# Arrow buffers as `trendlake.keywords_native` passes them: a large_utf8 array as
# (offset, validity, offsets, data); a large_list<large_utf8> as (offset, validity, offsets,
# items), items being the former.
_StringParts = tuple[int, memoryview | None, memoryview | None, memoryview]
_ListParts = tuple[int, memoryview | None, memoryview | None, _StringParts]

class Tokenizer:
    def __init__(
        self,
        stopwords_of: Callable[[str], frozenset[str]],
        fallback: Callable[
            [str, Sequence[str], Sequence[str], Sequence[str]], list[tuple[str, str]]
        ],
    ) -> None: ...
    def extract_arrow(
        self,
        n: int,
        texts: _StringParts,
        langs: _ListParts,
        hashtags: _ListParts,
        links: _ListParts,
    ) -> tuple[bytes, bytes, bytes, bytes, int]:
        """Pair counts per post, keyword offsets, keyword bytes, kind codes, and how many
        posts went to the fallback."""

def author_keys(n: int, dids: _StringParts) -> bytes:
    """`trendlake.windows.author_key` of `n` DIDs, as little-endian int64s."""

def word_segments(text: str) -> list[str]:
    """The pieces of a word token of Thai, Lao, Khmer or Burmese, in order."""

def use_thai_words(path: str) -> bool:
    """Name the Thai word list `word_segments` reads on first use; False when another was
    named before in this process."""

def sum_by_key(
    n: int, keys: memoryview, values: tuple[memoryview, ...]
) -> tuple[bytes, bytes, list[bytes]]:
    """Per distinct key of `n` int64 keys, first seen first: the keys (int64), the row each
    was first seen at (uint32), and per int64 buffer of `values` its sums."""

_Int64ListParts = tuple[int, memoryview | None, memoryview | None, int, memoryview]

def window_distincts(
    lengths: Sequence[int],
    minutes: Sequence[memoryview],
    keys: Sequence[memoryview],
    posts: Sequence[memoryview],
    authors: Sequence[_Int64ListParts],
    threads: Sequence[_Int64ListParts],
    copies: Sequence[_Int64ListParts],
    langs: Sequence[_ListParts],
    lang_posts: Sequence[_Int64ListParts],
    n_wanted: int,
    wanted_minutes: memoryview,
    wanted_keys: memoryview,
    window: int,
    recent: int,
    top: int,
) -> tuple[list[bytes], list[str]]:
    """The rows come in chunks of `lengths` rows, each column as its parts per chunk.
    Per wanted window with rows inside it: its index, posts, distinct authors, threads,
    whether its threads are known, recent authors and threads, previous authors; then its
    top languages (offsets, codes into the names returned, posts) and all its posts; then
    its distinct copies, whether they are known, and its recent copies."""

def minute_groups(
    n: int,
    minutes: memoryview,
    keywords: _StringParts,
    kinds: _StringParts,
    authors: memoryview,
    threads: memoryview,
    copies: memoryview,
    langs: _StringParts,
) -> tuple[list[bytes], list[str], list[str]]:
    """Per (minute, keyword, kind) of `n` occurrences, ordered so: the buffers of
    `trendlake.windows.minute_counts`' columns, the kind names and the language names."""

_Templates = tuple[int, memoryview, memoryview, memoryview, memoryview, memoryview]

def word_set_keys(
    n: int,
    counts: memoryview,
    keywords: _StringParts,
    token_kinds: memoryview,
    minutes: memoryview,
    min_words: int,
    short_min_tokens: int,
    short_near_min_tokens: int,
    templates: _Templates,
    singles: _Templates,
    template_memory: int,
    single_memory: int,
) -> tuple[bytes, ...]:
    """Per post of `n` (pair counts as uint32s, minutes as int64s, a byte per pair: 1 a
    word, 2 a hashtag or domain, 0 else), the key of its text when it has at least
    `min_words` distinct words, or for a shorter post with a word, of its words, hashtags
    and domains when they are at least `short_min_tokens`; else 0. Little-endian int64s:
    near copies of one minute (long posts, and short ones of at least
    `short_near_min_tokens` tokens, apart) share their cluster's template key, and a post
    its minute leaves alone the key of a template of the `template_memory` before its
    minute it nearly copies, or else of the words it shares with the single (a post left
    alone) of the `single_memory` before it it nearly copies (`trendlake.copies`).
    `templates` and `singles` are those remembered: (count, minutes as int64s, keys as
    int64s, a byte each: 1 short, token hash counts as uint32s, the hashes as int64s).
    Returns the keys, then the templates the posts formed and then their singles, each
    ordered by minute and key, in the same five buffers."""
