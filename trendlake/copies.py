"""Copy keys: posts of one text, word for word or nearly, share a key.

Windows count the distinct texts of a keyword's posts (its copies) beside its authors and
threads, so accounts pasting one advertisement, as posts of their own or as replies under
many others, are one voice and not a trend.

A post's text is the set of its distinct words, as the tokenizer kept them: case,
punctuation, emoji, numbers, hashtags, mentions, link paths, word order and repeats do not
tell two copies apart.

A short post, with fewer than COPY_MIN_WORDS words, is keyed by its words, hashtags and
link domains together, word for word, when it has a word and SHORT_COPY_MIN_TOKENS of them
in all: a ring of accounts pasting "check my profile" under other people's posts, or "free
followers" and a link, is one voice too. People who write "happy new year" word for word
count once for that text, and once more for each other text they write; a post of one
word or of hashtags alone ("#eurovision", an artist's "#art #illustration") has no key, as
those are written alike by people copying nobody.

Spam rings vary their text to slip past exact matching: a promo code, a name greeted, a
word swapped in each copy. So the posts of one minute whose word sets are near-identical
(Jaccard similarity >= 3/5, found with MinHash in NEAR_BANDS bands of NEAR_ROWS rows and
checked exactly) form a cluster, and each post of a cluster takes the key of the words more
than half of the cluster's posts share: its template, the same key in every minute the ring
posts. A post alone in its minute keeps the key of its own words. The clusters are a pure
function of the minute's posts (their order does not matter), so recomputing a minute gives
the same keys.

The compiled module (`native/src/copies.rs`) gives exactly these keys; this module is its
reference and the fallback without it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

import polars as pl

from trendlake import keywords_native

COPY_MIN_WORDS = 6
SHORT_COPY_MIN_TOKENS = 2  # a short post's words, hashtags and domains a key needs
NEAR_BANDS = 8  # MinHash bands; with NEAR_ROWS rows a pair at similarity 0.6 meets in one
NEAR_ROWS = 3  # band with probability 0.91, a pair at 0.3 with 0.2 (then checked exactly)
NEAR_JACCARD = (3, 5)  # shared words * 5 >= all words * 3: similarity 0.6 or more

_MASK = (1 << 64) - 1
_FNV_OFFSET, _FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
_GOLDEN = 0x9E3779B97F4A7C15
_SEEDS = tuple(((i + 1) * _GOLDEN) & _MASK for i in range(NEAR_BANDS * NEAR_ROWS))


def copy_keys(
    per_post: pl.Series,
    keywords: pl.Series,
    kinds: pl.Series,
    minutes: pl.Series,
    *,
    native: bool = True,
) -> pl.Series:
    """Per post (`post_keywords`' three series and each post's minute), a 64-bit key of its
    text, or null for a post without one (module docstring)."""
    minute_numbers = minutes.cast(pl.Int64)
    if native and keywords_native.available():
        return keywords_native.word_set_keys(
            per_post, keywords, kinds, minute_numbers, COPY_MIN_WORDS, SHORT_COPY_MIN_TOKENS
        )
    words, kind_names = keywords.to_list(), kinds.to_list()
    sets: list[list[str] | None] = []  # the long posts' words, which near copies cluster by
    short: list[int | None] = []
    position = 0
    for count in per_post.to_list():
        end = position + count
        own = range(position, end)
        distinct = sorted({words[j] for j in own if kind_names[j] == "word"})
        position = end
        sets.append(distinct if len(distinct) >= COPY_MIN_WORDS else None)
        tags = {words[j] for j in own if kind_names[j] in ("hashtag", "domain")}
        tokens = len(distinct) + len(tags)
        long_or_bare = len(distinct) >= COPY_MIN_WORDS or not distinct
        short.append(
            None
            if long_or_bare or tokens < SHORT_COPY_MIN_TOKENS
            else set_key(sorted(tags.union(distinct)), "short")
        )
    keys = _near_copy_keys(sets, minute_numbers.to_list())
    merged = [key if key is not None else other for key, other in zip(keys, short, strict=True)]
    return pl.Series("copy_key", merged, dtype=pl.Int64)


def set_key(words: list[str], tag: str = "copy") -> int:
    """BLAKE2b (8 bytes) of `tag` and each of the sorted `words` after a unit separator:
    "copy" for a long post's words, "short" for a short post's words, hashtags and domains
    (no word holds "#" or ".", so the two kinds of set never meet)."""
    text = tag + "".join("\x1f" + word for word in words)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _near_copy_keys(sets: list[list[str] | None], minutes: list[int | None]) -> list[int | None]:
    keys: list[int | None] = [None if words is None else set_key(words) for words in sets]
    by_minute: defaultdict[int | None, list[int]] = defaultdict(list)
    for i, words in enumerate(sets):
        if words is not None:
            by_minute[minutes[i]].append(i)
    for posts in by_minute.values():
        # Ordered by key, so the clusters do not depend on the order the posts came in.
        posts.sort(key=lambda i: (keys[i], i))
        cluster_of = _clusters([(keys[i], sets[i] or []) for i in posts])
        members: defaultdict[int, list[int]] = defaultdict(list)
        for local, root in enumerate(cluster_of):
            members[root].append(posts[local])
        for cluster in members.values():
            if len(cluster) < 2:
                continue
            template = _majority_words([sets[i] or [] for i in cluster])
            if template:
                key = set_key(template)
                for i in cluster:
                    keys[i] = key
    return keys


def _clusters(sets: list[tuple[int | None, list[str]]]) -> list[int]:
    """Each set's cluster (its first member's position): sets joined by MinHash bands and
    an exact similarity check against the first set seen in each band bucket. The sets come
    ordered by key with it, so a copy word for word joins the one before it directly."""
    hashes = [sorted({_word_hash(word) for word in words}) for _, words in sets]
    parent = list(range(len(sets)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_in: dict[int, int] = {}
    for p, own in enumerate(hashes):
        if p and sets[p][0] == sets[p - 1][0]:
            # Its bands are the previous set's: checking them again would join the same.
            parent[p] = find(p - 1)
            continue
        # Row i's hash of a word: its hash xor seed i, times the golden ratio.
        signature = [min(((h ^ seed) * _GOLDEN) & _MASK for h in own) for seed in _SEEDS]
        for band in range(NEAR_BANDS):
            rows = signature[band * NEAR_ROWS : (band + 1) * NEAR_ROWS]
            bucket = _band_key(band, rows)
            rep = first_in.setdefault(bucket, p)
            if rep == p:
                continue
            a, b = find(p), find(rep)
            if a != b and _similar(own, hashes[rep]):
                parent[max(a, b)] = min(a, b)
    return [find(p) for p in range(len(sets))]


def _similar(a: list[int], b: list[int]) -> bool:
    shared = len(set(a).intersection(b))
    return shared * NEAR_JACCARD[1] >= (len(a) + len(b) - shared) * NEAR_JACCARD[0]


def _majority_words(sets: list[list[str]]) -> list[str]:
    counts = Counter(word for words in sets for word in words)
    return sorted(word for word, n in counts.items() if 2 * n > len(sets))


def _band_key(band: int, rows: list[int]) -> int:
    key = band
    for value in rows:
        key = _fmix(value ^ key)
    return key


def _word_hash(word: str) -> int:
    """FNV-1a of the UTF-8 bytes, finalized: fast natively and the same everywhere."""
    h = _FNV_OFFSET
    for byte in word.encode():
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return _fmix(h)


def _fmix(k: int) -> int:
    """MurmurHash3's 64-bit finalizer."""
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _MASK
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _MASK
    return k ^ (k >> 33)
