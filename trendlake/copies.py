"""Copy keys: posts of one text, word for word or nearly, share a key.

Windows count the distinct texts of a keyword's posts (its copies) beside its authors and
threads, so accounts pasting one advertisement, as posts of their own or as replies under
many others, are one voice and not a trend.

A post's text is the set of its distinct words, as the tokenizer kept them: case,
punctuation, emoji, numbers, hashtags, mentions, link paths, word order and repeats do not
tell two copies apart.

How long a post is counts its written words: the tokenizer also gives the parts of a
hyphenated word (``spider-man``: ``spider``, ``man``) and the pieces of a Han or kana run
(``大谷翔平``: ``大谷``, ``翔平``, ...), which are left out of that count, so "Spider-Man 🕷️"
is one word and so is "大谷翔平". A short post, with fewer than COPY_MIN_WORDS written
words, is keyed by those words, its hashtags and link domains together, word for word, when
it has a word and SHORT_COPY_MIN_TOKENS of them in all: a ring of accounts pasting "check
my profile" under other people's posts, or "free followers" and a link, is one voice too.
People who write "happy new year" word for word count once for that text, and once more for
each other text they write; a post of one word or of hashtags alone ("Spider-Man 🕷️",
"#eurovision", an artist's "#art #illustration") has no key, as those are written alike by
people copying nobody.

Spam rings vary their text to slip past exact matching: a promo code, a name greeted, a
word swapped in each copy. So the posts of one minute whose word sets are near-identical
(Jaccard similarity >= 3/5, found with MinHash in NEAR_BANDS bands of NEAR_ROWS rows and
checked exactly) form a cluster, and each post of a cluster takes the key of the words more
than half of the cluster's posts share: its template, the same key in every minute the ring
posts. Short posts of SHORT_NEAR_MIN_TOKENS words, hashtags and domains or more are
clustered the same way among themselves ("grab free tokens, code k7xm2q" and a link, a code
in each copy); shorter ones only match word for word: people write four words a word apart
too often ("watching the eclipse from london/paris today"), and at three a changed word
leaves half alike. The clusters are a pure function of the minute's posts (their order
does not matter).

A slow ring posts a copy or two a minute in all: in a minute of two copies they cluster, but
a copy alone in its minute would keep the key of its own words, a code of its own in each,
and ten minutes of such copies were ten voices. So a cluster's template is remembered for
the TEMPLATE_MINUTES minutes after its own (m + 1 .. m + 10): a post its minute leaves
alone (clustered with none, of a class that is clustered) takes the key of a remembered
template of its class (long or short) whose tokens it nearly matches, by the same test
(MinHash bands, then Jaccard >= 3/5 exactly): of several, the most alike, then the latest,
then the smallest key. A post alone that matches none keeps the key of its own words. Only
clusters form templates, never a post that took one, so a minute's keys are a pure function
of the posts of its minute and the TEMPLATE_MINUTES before it, and recomputing a minute
gives the same keys.

A ring can post slower still: one copy a minute from accounts taking turns never forms a
cluster, and each copy, a code of its own, was a voice of its own (thirty accounts, one
copy each over thirty minutes, alerted on their ad's words). So a post left alone that
matches no template is matched, by the same test, against the singles of the
SINGLE_MINUTES minutes before its own: the posts those minutes left alone, as their own
texts. Of those it nearly matches (the most alike, then the latest, then the smallest
key), it takes the key of the words it shares with that one: the words a ring's copies
have in common, the same key for every copy after its first, however the copies pair up.
A single is a pure function of its minute's posts, so a minute's keys are still one of
the posts of its minute and the TEMPLATE_MINUTES before it. SINGLE_MINUTES = 2 bounds
what a ring posting alone in its minutes can reach: of its copies in a ten-minute window,
those matching no copy of the two minutes before them are three minutes apart, four at
most (minutes 0, 3, 6 and 9, and then no other copy), or three and the key the others
share: four voices, short of the five an alert needs by default. Each minute remembered
costs: at 100x a minute leaves about 220,000 posts alone, each indexed by its 8 bands.
People posting near-identical long texts in minutes of their own (a headline shared as the
post) count as two voices the same way; two in one minute already counted as one.

The counts step stores each minute's templates and singles (copy_templates and
copy_singles: the key, whether it is short, and the tokens' hashes as `_word_hash` gives
them, sorted) and gives a chunk of minutes those of the TEMPLATE_MINUTES and
SINGLE_MINUTES minutes before it; the chunk's own minutes serve its later ones, however
the span is cut into chunks.

The compiled module (`native/src/copies.rs`) gives exactly these keys; this module is its
reference and the fallback without it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import polars as pl

from trendlake import keywords_native
from trendlake.text import has_cjk

COPY_MIN_WORDS = 6
SHORT_COPY_MIN_TOKENS = 2  # a short post's words, hashtags and domains a key needs
SHORT_NEAR_MIN_TOKENS = 5  # and to be clustered: see the module docstring
NEAR_BANDS = 8  # MinHash bands; with NEAR_ROWS rows a pair at similarity 0.6 meets in one
NEAR_ROWS = 3  # band with probability 0.91, a pair at 0.3 with 0.2 (then checked exactly)
NEAR_JACCARD = (3, 5)  # shared words * 5 >= all words * 3: similarity 0.6 or more
TEMPLATE_MINUTES = 10  # a template serves the posts left alone in the minutes after it
SINGLE_MINUTES = 2  # a post left alone serves those of the minutes after it: see the docstring

_MASK = (1 << 64) - 1
_FNV_OFFSET, _FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
_GOLDEN = 0x9E3779B97F4A7C15
_MINUTE_US = 60_000_000
_TEMPLATE_US = TEMPLATE_MINUTES * _MINUTE_US
_SINGLE_US = SINGLE_MINUTES * _MINUTE_US
_SEEDS = tuple(((i + 1) * _GOLDEN) & _MASK for i in range(NEAR_BANDS * NEAR_ROWS))


class CopyMemory(NamedTuple):
    """What a span of minutes leaves the minutes after it (both TEMPLATE_SCHEMA, one row per
    minute and key, ordered so): the templates its clusters formed, which serve the
    TEMPLATE_MINUTES after their minute, and its singles, the posts its minutes left alone
    (keyed by their own text), which serve the SINGLE_MINUTES after theirs."""

    templates: pl.DataFrame
    singles: pl.DataFrame


def copy_keys(
    per_post: pl.Series,
    keywords: pl.Series,
    kinds: pl.Series,
    minutes: pl.Series,
    *,
    native: bool = True,
    memory: CopyMemory | None = None,
) -> pl.Series:
    """Per post (`post_keywords`' three series and each post's minute), a 64-bit key of its
    text, or null for a post without one (module docstring); `memory` is that of the
    minutes before (`copy_keys_and_memory`)."""
    keys, _ = copy_keys_and_memory(per_post, keywords, kinds, minutes, memory, native=native)
    return keys


def copy_keys_and_memory(
    per_post: pl.Series,
    keywords: pl.Series,
    kinds: pl.Series,
    minutes: pl.Series,
    memory: CopyMemory | None = None,
    *,
    native: bool = True,
) -> tuple[pl.Series, CopyMemory]:
    """`copy_keys`, and the templates and singles the posts' minutes formed. `minutes` are
    datetimes, or integers taken as microseconds since the epoch.

    `memory` (None: none) holds those formed before the posts' first minute: a post alone
    in minute m takes the key of a template formed in m - TEMPLATE_MINUTES .. m - 1 that its
    words nearly match, or else the key of the words it shares with a single of
    m - SINGLE_MINUTES .. m - 1 it nearly matches, whether given in `memory` or formed by
    these posts (module docstring). Those of other minutes are ignored, so the keys of a
    span of minutes do not depend on how it is cut into calls, given each call the memory
    of the TEMPLATE_MINUTES minutes before it.
    """
    if isinstance(minutes.dtype, pl.Datetime):
        minutes = minutes.dt.cast_time_unit("us")
    minute_numbers = minutes.cast(pl.Int64)  # microseconds since the epoch
    memory = memory if memory is not None else empty_memory()
    if native and keywords_native.available():
        keys, formed, singles = keywords_native.word_set_keys(
            per_post,
            keywords,
            kinds,
            minute_numbers,
            COPY_MIN_WORDS,
            SHORT_COPY_MIN_TOKENS,
            SHORT_NEAR_MIN_TOKENS,
            memory.templates,
            memory.singles,
            _TEMPLATE_US,
            _SINGLE_US,
        )
        return keys, CopyMemory(formed, singles)
    words, kind_names = keywords.to_list(), kinds.to_list()
    texts: list[_Text | None] = []
    position = 0
    for count in per_post.to_list():
        own = range(position, position + count)
        position += count
        texts.append(
            _text(
                {words[j] for j in own if kind_names[j] == "word"},
                {words[j] for j in own if kind_names[j] in ("hashtag", "domain")},
            )
        )
    found, made, made_singles = _near_copy_keys(
        texts,
        minute_numbers.to_list(),
        _templates_of(memory.templates),
        _templates_of(memory.singles),
    )
    return pl.Series("copy_key", found, dtype=pl.Int64), CopyMemory(
        _template_frame(made), _template_frame(made_singles)
    )


TEMPLATE_SCHEMA: dict[str, pl.DataType] = {
    "minute": pl.Datetime("us", "UTC"),
    "key": pl.Int64(),
    "short": pl.Boolean(),
    "token_hashes": pl.List(pl.Int64()),
}


def empty_templates() -> pl.DataFrame:
    return pl.DataFrame(schema=TEMPLATE_SCHEMA)


def empty_memory() -> CopyMemory:
    return CopyMemory(empty_templates(), empty_templates())


@dataclass(frozen=True)
class Template:
    """A cluster's template, or a single (a post its minute left alone): its minute
    (microseconds since the epoch), key (a single's: of its own text), whether it is of short
    posts, and its tokens' hashes (`_word_hash`, sorted, distinct)."""

    minute: int
    key: int
    short: bool
    hashes: tuple[int, ...]


def _templates_of(frame: pl.DataFrame) -> list[Template]:
    rows = frame.select(
        pl.col("minute").dt.cast_time_unit("us").cast(pl.Int64), "key", "short", "token_hashes"
    ).iter_rows()
    return [
        Template(minute, key, short, tuple(sorted({h & _MASK for h in hashes})))
        for minute, key, short, hashes in rows
    ]


def _template_frame(templates: list[Template]) -> pl.DataFrame:
    def signed(h: int) -> int:
        return h - (1 << 64) if h >= 1 << 63 else h

    rows = sorted(templates, key=lambda t: (t.minute, t.key))
    return pl.DataFrame(
        {
            "minute": [t.minute for t in rows],
            "key": [t.key for t in rows],
            "short": [t.short for t in rows],
            "token_hashes": [sorted(signed(h) for h in t.hashes) for t in rows],
        },
        schema={**TEMPLATE_SCHEMA, "minute": pl.Int64()},
    ).with_columns(pl.col("minute").cast(pl.Datetime("us", "UTC")))


@dataclass(frozen=True)
class _Text:
    """What a post's key is taken of: its sorted tokens, under `tag` ("copy": a long post's
    words; "short": a short post's words, hashtags and domains), and whether near copies
    of it are looked for."""

    tokens: list[str]
    tag: str
    clustered: bool


def _text(words: set[str], tags: set[str]) -> _Text | None:
    written = written_words(words)
    if len(written) >= COPY_MIN_WORDS:
        return _Text(sorted(words), "copy", True)
    tokens = sorted(written | tags)
    if not written or len(tokens) < SHORT_COPY_MIN_TOKENS:
        return None
    return _Text(tokens, "short", len(tokens) >= SHORT_NEAR_MIN_TOKENS)


def written_words(words: set[str]) -> set[str]:
    """The distinct `words` of a post less those the tokenizer made of others: the parts of
    a hyphenated word, and a Han or kana token inside a longer one."""
    parts = {part for word in words if "-" in word for part in word.split("-")}
    cjk = [word for word in words if has_cjk(word)]
    inside = {word for word in cjk if any(word != other and word in other for other in cjk)}
    return {word for word in words if word not in parts and word not in inside}


def set_key(words: list[str], tag: str = "copy") -> int:
    """BLAKE2b (8 bytes) of `tag` and each of the sorted `words` after a unit separator:
    "copy" for a long post's words, "short" for a short post's words, hashtags and domains
    (no word holds "#" or ".", so the two kinds of set never meet)."""
    text = tag + "".join("\x1f" + word for word in words)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _near_copy_keys(
    texts: list[_Text | None],
    minutes: list[int | None],
    remembered: list[Template],
    remembered_singles: list[Template],
) -> tuple[list[int | None], list[Template], list[Template]]:
    keys = [None if text is None else set_key(text.tokens, text.tag) for text in texts]
    # Long and short texts are clustered apart: their tokens are not of one kind.
    groups: defaultdict[tuple[int | None, str], list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        if text is not None and text.clustered:
            groups[minutes[i], text.tag].append(i)
    formed: dict[tuple[int, int], Template] = {}
    alone: list[tuple[int, list[int], list[int]]] = []  # (post, its hashes, its bands)
    for (minute, tag), posts in groups.items():
        # Ordered by key, so the clusters do not depend on the order the posts came in.
        posts.sort(key=lambda i: (keys[i], i))
        sets = [texts[i].tokens for i in posts]  # type: ignore[union-attr]
        hashes = [sorted({_word_hash(word) for word in words}) for words in sets]
        bands = [_bands(own) for own in hashes]
        cluster_of = _clusters([keys[i] for i in posts], hashes, bands)
        members: defaultdict[int, list[int]] = defaultdict(list)
        for local, root in enumerate(cluster_of):
            members[root].append(local)
        for cluster in members.values():
            if len(cluster) < 2:
                alone.append((posts[cluster[0]], hashes[cluster[0]], bands[cluster[0]]))
                continue
            template = _majority_words([sets[local] for local in cluster])
            if template:
                key = set_key(template, tag)
                for local in cluster:
                    keys[posts[local]] = key
                if minute is not None:
                    tokens = tuple(sorted({_word_hash(word) for word in template}))
                    formed[minute, key] = Template(minute, key, tag == "short", tokens)
    # A post its minute left alone takes the key of the template of the minutes before
    # that it matches best: most alike, then the latest, then the smallest key.
    memory = {(t.minute, t.key): t for t in remembered}
    memory.update(formed)
    by_band = _by_band(memory.values())
    # Every post left alone is a single, keyed by its own text (before it takes another).
    singles = [
        Template(at, own_key, text.tag == "short", tuple(post_hashes))
        for i, post_hashes, _ in alone
        if (at := minutes[i]) is not None
        and (own_key := keys[i]) is not None
        and (text := texts[i]) is not None
    ]
    unmatched: list[tuple[int, list[int], list[int]]] = []
    for i, post_hashes, post_bands in alone:
        best = _best_match(texts[i], minutes[i], post_hashes, post_bands, by_band, _TEMPLATE_US)
        if best is not None:
            keys[i] = best.key
        elif minutes[i] is not None:
            unmatched.append((i, post_hashes, post_bands))
    # A post left alone that matches no template takes the key of the words it shares with
    # the post left alone of the SINGLE_MINUTES before it that it matches best.
    by_band = _by_band([*remembered_singles, *singles])
    for i, post_hashes, post_bands in unmatched:
        text = texts[i]
        assert text is not None
        best = _best_match(text, minutes[i], post_hashes, post_bands, by_band, _SINGLE_US)
        if best is not None:
            theirs = set(best.hashes)
            shared = [token for token in text.tokens if _word_hash(token) in theirs]
            keys[i] = set_key(shared, text.tag)
    return keys, list(formed.values()), singles


def _by_band(templates: Iterable[Template]) -> defaultdict[int, list[Template]]:
    by_band: defaultdict[int, list[Template]] = defaultdict(list)
    for template in templates:
        for band in _bands(list(template.hashes)):
            by_band[band].append(template)
    return by_band


def _best_match(
    text: _Text | None,
    at: int | None,
    post_hashes: list[int],
    post_bands: list[int],
    by_band: defaultdict[int, list[Template]],
    memory: int,
) -> Template | None:
    """Of the templates (or singles) in `by_band` of the `memory` before minute `at` and of
    the text's class, the one it nearly matches that is most alike, then the latest, then
    of the smallest key."""
    if at is None or text is None:
        return None
    short = text.tag == "short"
    best: tuple[Fraction, int, int] | None = None
    chosen: Template | None = None
    for band in post_bands:
        for t in by_band.get(band, ()):
            if t.short != short or not at - memory <= t.minute < at:
                continue
            if not _similar(post_hashes, list(t.hashes)):
                continue
            shared = len(set(post_hashes).intersection(t.hashes))
            union = len(post_hashes) + len(t.hashes) - shared
            rank = (Fraction(shared, union), t.minute, -t.key)
            if best is None or rank > best:
                best, chosen = rank, t
    return chosen


def _clusters(keys: list[int | None], hashes: list[list[int]], bands: list[list[int]]) -> list[int]:
    """Each set's cluster (its first member's position): sets joined by MinHash bands and
    an exact similarity check against the first set seen in each band bucket. The sets come
    ordered by key with their `keys`, so a copy word for word joins the one before it
    directly."""
    parent = list(range(len(hashes)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_in: dict[int, int] = {}
    for p, own in enumerate(hashes):
        if p and keys[p] == keys[p - 1]:
            # Its bands are the previous set's: checking them again would join the same.
            parent[p] = find(p - 1)
            continue
        for bucket in bands[p]:
            rep = first_in.setdefault(bucket, p)
            if rep == p:
                continue
            a, b = find(p), find(rep)
            if a != b and _similar(own, hashes[rep]):
                parent[max(a, b)] = min(a, b)
    return [find(p) for p in range(len(hashes))]


def _bands(hashes: list[int]) -> list[int]:
    """The MinHash signature of a set's token hashes as one key per band. Row i's hash of a
    token is its hash xor seed i, times the golden ratio."""
    signature = [min(((h ^ seed) * _GOLDEN) & _MASK for h in hashes) for seed in _SEEDS]
    return [
        _band_key(band, signature[band * NEAR_ROWS : (band + 1) * NEAR_ROWS])
        for band in range(NEAR_BANDS)
    ]


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
