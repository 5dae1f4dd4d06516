"""Seeded synthetic Bluesky firehose in Jetstream JSONL, with a ground-truth file.

The stream mimics what the ingester sees from Jetstream: post creates in many
languages with facets, replies and embeds, interleaved with likes, deletes and
identity/account events.  On top of a quiet baseline it injects *bursts*
(keywords that must trend) and *decoys* (volume changes that must not), and
writes both to ``<out>.truth.json`` so detectors can be scored.

Everything is derived from ``random.Random`` instances seeded with strings
(seeded via SHA-512, not ``hash()``), and nothing depends on the wall clock or
on set iteration order, so the same arguments always give byte-identical files.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import stopwordsiso
import wordfreq
import zstandard

__all__ = ["DEFAULT_START", "SynthSummary", "generate"]

DEFAULT_START = datetime(2026, 3, 2, tzinfo=UTC)
TRUTH_VERSION = 1

# Post language shares (percent) and the share of posts whose client sent no `langs`.
LANG_MIX: tuple[tuple[str, float], ...] = (
    ("en", 45.0),
    ("ja", 20.0),
    ("pt", 12.0),
    ("de", 5.0),
    ("es", 5.0),
    ("fr", 4.0),
    ("ko", 4.0),
    ("zh", 1.5),
    ("it", 1.5),
    ("nl", 1.0),
)
NO_LANGS_SHARE = 0.03
# Scripts written without spaces between words.
UNSPACED = frozenset({"ja", "zh"})
# English needs a deep list so mid-frequency words (rank 2000-4000) occur naturally.
VOCAB_DEPTH = {"en": 5000}
DEFAULT_VOCAB_DEPTH = 3000
# Titles, slugs and alt texts use only the head so they never contain the common_word.
HEAD_DEPTH = 1000

# Shares of events / posts, matching the real firehose closely enough.
REPLY_SHARE = 0.15
LINK_SHARE = 0.08
# Of link posts: with a link card (Bluesky's app makes one), and with the card alone, no URL
# in the text (the app allows it; news bots post a headline and a card).
CARD_SHARE = 0.6
CARD_ONLY_SHARE = 0.3
BURST_CARD_SHARE = 0.7  # a story going round is shared as a card more often
BURST_CARD_ONLY_SHARE = 0.35
HASHTAG_SHARE = 0.10
MENTION_SHARE = 0.05
IMAGE_SHARE = 0.12
QUOTE_SHARE = 0.04
LIKE_SHARE = 0.10
DELETE_SHARE = 0.03
IDENTITY_SHARE = 0.003
ACCOUNT_SHARE = 0.002
MISDATED_SHARE = 0.01

RHYTHM_AMPLITUDE = 0.4
RHYTHM_PERIOD_HOURS = 24
# Peak in the US afternoon; the default 00:00-03:00 window then averages ~posts_per_minute.
RHYTHM_PEAK_HOUR_UTC = 19.5
AUTHOR_ZIPF_EXPONENT = 0.7
AUTHORS_PER_PPM = 20
MIN_AUTHORS = 200

BURST_SPACING_MIN = 24
# Opt-in (`cjk_bursts=True`): the new-word bursts are new Han compounds, in these languages
# by turns, made of two words of these vocabulary ranks.
HAN_COMPOUND_LANGS = ("ja", "zh")
HAN_COMPOUND_RANKS = (100, 1500)
BURST_TYPES = ("new_word", "common_word", "hashtag", "phrase", "domain")
BURST_KIND = {
    "new_word": "word",
    "common_word": "word",
    "hashtag": "hashtag",
    "phrase": "phrase",
    "domain": "domain",
}
FLOOD_MINUTES = 15
# Opt-in floods of other shapes (`spam=True`): one account each, except the sockpuppets.
SPAM_TYPES = ("mass_flood", "hashtag_flood", "link_flood", "sockpuppet_flood", "ramp_flood")
SPAM_MINUTES = 20
MASS_FLOOD_FACTOR = 10  # the mass flood alone posts ten times the stream's own rate
SOCKPUPPETS = 4  # accounts of the sockpuppet flood: fewer than the default alert floor of 5
# A copy ring (`spam=True` too): accounts past the alert floor posting one text word for word,
# each copy with its own link to the ring's site, half of them as replies under recent posts,
# at times that overlap the other floods.
RING_TYPE = "copy_ring"
RING_ACCOUNTS = 12
RING_REPLY_SHARE = 0.5
RING_WORDS = 18  # words drawn for the ring's text: enough to hold COPY_MIN_WORDS content words
# A template ring (`spam=True` too): the same, but each copy fills two slots of the text with
# made-up codes of letters and digits (a promo code, a referral), so no two copies are alike.
TEMPLATE_RING_TYPE = "template_ring"
TEMPLATE_CODES = 2
# A sockpuppet ring (`spam=True` too): accounts past the alert floor posting a new word in
# sentences of their own, each several times a minute, more than any person would.
PUPPET_RING_TYPE = "sockpuppet_ring"
PUPPET_RING_ACCOUNTS = 8
PUPPET_RING_POSTS = (60, 100)  # a minute, all accounts together
# A short ring (`spam=True` too): a copy ring whose text is a few words and its link ("check
# my profile", "free followers"), too short for near copies, pasted word for word.
SHORT_RING_TYPE = "short_ring"
SHORT_RING_WORDS = 3
RING_TYPES = (RING_TYPE, TEMPLATE_RING_TYPE, PUPPET_RING_TYPE, SHORT_RING_TYPE)
_ACCOUNTS = {  # the accounts of each flood of many (the others have one)
    "sockpuppet_flood": SOCKPUPPETS,
    RING_TYPE: RING_ACCOUNTS,
    TEMPLATE_RING_TYPE: RING_ACCOUNTS,
    PUPPET_RING_TYPE: PUPPET_RING_ACCOUNTS,
    SHORT_RING_TYPE: RING_ACCOUNTS,
}
# Reply storms under one post, echoing a word of it: a busy thread, not a trend (decoys).
CONVERSATION_AT = (0.45, 0.85)  # where in the post-baseline part each one starts
CONVERSATION_MINUTES = (8, 14)
CONVERSATION_POSTS = (30, 60)
CONVERSATION_DECAY_MINUTES = 4.0  # replies thin out as the post ages
SURGE_MINUTES = 10
SURGE_MULTIPLIER = 3.0
SURGE_WORD = "the"

US_PER_MIN = 60_000_000
US_PER_HOUR = 3_600_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_S32 = "234567abcdefghijklmnopqrstuvwxyz"
_S32_PAIRS = tuple(a + b for a in _S32 for b in _S32)
# 256 is a multiple of 32, so mapping random bytes mod 32 stays uniform.
_B32_TABLE = bytes((b"abcdefghijklmnopqrstuvwxyz234567"[i % 32]) for i in range(256))
_POST = "app.bsky.feed.post"
_LIKE = "app.bsky.feed.like"
_TAG = "app.bsky.richtext.facet#tag"
_LINK = "app.bsky.richtext.facet#link"
_MENTION = "app.bsky.richtext.facet#mention"

EMOJI = ("😂", "❤️", "🔥", "✨", "🙏", "😭", "🥺", "👀", "💀", "🎉")
END_PUNCT = ("", "", ".", ".", "!", "?", "...", "!!")
END_PUNCT_CJK = ("", "", "。", "。", "！", "？", "…", "w")
BACKGROUND_TAGS = (
    "art",
    "photography",
    "bluesky",
    "news",
    "music",
    "gaming",
    "Caturday",
    "BookSky",
    "nature",
    "politics",
    "AI",
    "FollowFriday",
    "SkyWeather",
    "Dogsky",
    "Fotografia",
)
BACKGROUND_TAGS_JA = ("イラスト", "絵描きさんと繋がりたい", "ポケモン", "写真")
# (host, path template); fields are filled by _link_uri.
BACKGROUND_LINKS: tuple[tuple[str, str], ...] = (
    ("www.youtube.com", "watch?v={id}"),
    ("youtu.be", "{id}"),
    ("www.nytimes.com", "{date}/world/{slug}.html"),
    ("www.theguardian.com", "world/{date}/{slug}"),
    ("bsky.app", "profile/{handle}/post/{tid}"),
    ("en.wikipedia.org", "wiki/{Title}"),
    ("github.com", "{name}/{name2}"),
    ("open.spotify.com", "track/{id}"),
    ("www.bbc.com", "news/articles/{id}"),
    ("apnews.com", "article/{slug}-{num}"),
    ("www.twitch.tv", "{name}"),
    ("g1.globo.com", "{date}/{slug}.ghtml"),
    ("www3.nhk.or.jp", "news/html/{date}/k{num}.html"),
    ("www.spiegel.de", "politik/{slug}-a-{num}"),
    ("www.reuters.com", "world/{slug}-{date}/"),
)
PHRASE_FIRST = (
    "quantum",
    "velvet",
    "cosmic",
    "turbo",
    "feral",
    "haunted",
    "sapphire",
    "glitter",
    "lunar",
    "origami",
    "wobbly",
    "crunchy",
    "sparkly",
    "grumpy",
    "soggy",
    "galactic",
)
PHRASE_SECOND = (
    "pancake",
    "waffle",
    "goblin",
    "teacup",
    "noodle",
    "walrus",
    "kazoo",
    "pickle",
    "otter",
    "hamster",
    "pretzel",
    "tortoise",
    "dumpling",
    "trombone",
    "armadillo",
    "platypus",
)
HASHTAG_SUFFIXES = ("Fest", "Day", "Watch", "Wave", "Con", "Cup", "2026", "Live", "Drop")
DOMAIN_SUFFIXES = ("news", "daily", "wire", "times", "post", "report")
# Rank-window words that would make an awkward "trending" example.
COMMON_WORD_BLOCKLIST = frozenset({"asshole", "bitch", "fucking", "shit", "dick", "porn"})

# Sentence lengths 3-25 words, mostly short (mean ~8).
_LENGTHS = tuple(range(3, 26))
_LENGTH_CUM = tuple(accumulate(math.exp(-(n - 3) / 6) for n in _LENGTHS))
_MEAN_LENGTH = sum(n * math.exp(-(n - 3) / 6) for n in _LENGTHS) / _LENGTH_CUM[-1]

# fmt: off
_ONSETS = (
    "b", "br", "d", "dr", "f", "fl", "g", "gl", "k", "kl", "l", "m", "n", "p", "pl",
    "r", "s", "sk", "sn", "t", "tr", "v", "z", "zh",
)
# fmt: on
_VOWELS = ("a", "e", "i", "o", "u", "oo", "ai")
_CODAS = ("", "", "", "b", "k", "l", "m", "n", "p", "r", "sh", "x", "z")


@dataclass(frozen=True)
class SynthSummary:
    """What `generate` wrote."""

    out: Path
    truth: Path
    events: int
    posts: int
    minutes: int
    bursts: int
    decoys: int


class _Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _Piece(NamedTuple):
    """A run of post text; `native` runs are joined without spaces in ja/zh."""

    text: str
    native: bool
    feature: dict[str, str] | None = None


@dataclass(frozen=True)
class _Vocab:
    words: tuple[str, ...]
    cum: tuple[float, ...]
    head_words: tuple[str, ...]
    head_cum: tuple[float, ...]


@dataclass
class _Injection:
    """A planned keyword burst or single-author flood: who posts what, minute by minute."""

    keyword: str
    kind: str
    type: str
    lang: str
    text: str  # what goes into the post: word, phrase, tag (no '#') or domain
    onset: int  # minute index
    counts: list[int]
    author_idx: list[int]  # pool index per post, planned before the pool exists
    shape: str | None = None
    authors: list[str] = field(default_factory=list)  # DID per post, consumed in order
    cursor: int = 0
    thread: list[tuple[str, str]] = field(default_factory=list)  # a conversation's (uri, cid)
    copy: tuple[_Piece, ...] = ()  # a copy ring's text, the keyword in it
    copy_host: str = ""  # a copy ring's site
    codes: int = 0  # made-up codes a template ring fills into each copy

    @property
    def end(self) -> int:
        return self.onset + len(self.counts)

    def count_at(self, minute: int) -> int:
        return self.counts[minute - self.onset] if self.onset <= minute < self.end else 0

    def next_author(self) -> str:
        did = self.authors[self.cursor]
        self.cursor += 1
        return did


@dataclass(frozen=True)
class _Surge:
    onset: int
    end: int
    replace_p: float


@dataclass
class _Plan:
    total: int
    baseline: int
    bursts: list[_Injection]
    flood: _Injection | None
    surge: _Surge | None
    reserved: set[str]
    spam: list[_Injection] = field(default_factory=list)
    conversations: list[_Injection] = field(default_factory=list)

    @property
    def floods(self) -> list[_Injection]:
        """Every single-account (or sockpuppet) flood: the usual one, then the spam ones."""
        return [*([self.flood] if self.flood else []), *self.spam]


@dataclass(frozen=True)
class _Pool:
    dids: tuple[str, ...]
    handles: tuple[str, ...]
    cum: tuple[float, ...]


@dataclass
class _Counters:
    events: int = 0
    posts: int = 0
    watch_hits: dict[str, int] = field(default_factory=dict)
    surge_posts: int = 0
    surge_authors: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------- vocab


@cache
def _freqs(lang: str) -> dict[str, float]:
    return wordfreq.get_frequency_dict(lang)


def _is_word(token: str) -> bool:
    # Letters with optional inner apostrophes: drops digits, "u.s", "°" and similar.
    core = token.replace("'", "")
    return core.isalpha() and not token.startswith("'") and not token.endswith("'")


@cache
def _vocab(lang: str) -> _Vocab:
    depth = VOCAB_DEPTH.get(lang, DEFAULT_VOCAB_DEPTH)
    freqs = _freqs(lang)
    ranked = [w for w in wordfreq.top_n_list(lang, depth) if _is_word(w)]
    # Explicit tie-break on the word itself keeps the order independent of the list file.
    ranked.sort(key=lambda w: (-freqs.get(w, 0.0), w))
    weights = [freqs.get(w, 0.0) for w in ranked]
    cum = tuple(accumulate(weights))
    head = min(HEAD_DEPTH, len(ranked))
    return _Vocab(tuple(ranked), cum, tuple(ranked[:head]), cum[:head])


def _share(lang: str, word: str) -> float:
    """Probability that one sampled word of `lang` is `word`."""
    vocab = _vocab(lang)
    i = vocab.words.index(word)
    return (vocab.cum[i] - (vocab.cum[i - 1] if i else 0.0)) / vocab.cum[-1]


@cache
def _stopwords_en() -> frozenset[str]:
    return frozenset(stopwordsiso.stopwords("en"))


def _known_anywhere(word: str) -> bool:
    return any(word in _freqs(lang) for lang, _ in LANG_MIX)


def _in_sampled_vocab(word: str) -> bool:
    return any(word in _vocab_set(lang) for lang, _ in LANG_MIX)


@cache
def _vocab_set(lang: str) -> frozenset[str]:
    return frozenset(_vocab(lang).words)


# --------------------------------------------------------------------------- ids & time


def _pick(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn with cumulative weights `cum` (what random.choices does, minus overhead)."""
    return bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)


def _b32(rng: random.Random, nchars: int) -> str:
    """Random lowercase RFC 4648 base32; byte -> char by table, since b32encode is slow."""
    return rng.randbytes(nchars).translate(_B32_TABLE).decode("ascii")


def _did(rng: random.Random) -> str:
    return "did:plc:" + _b32(rng, 24)


def _cid(rng: random.Random, prefix: str = "bafyrei") -> str:
    return prefix + _b32(rng, 52)


def _tid(us: int, clock: int) -> str:
    """atproto TID: 53-bit microsecond timestamp + 10-bit clock id in sortable base32."""
    value = (us << 10) | (clock & 0x3FF)
    # 65 bits = one 5-bit char + six 10-bit pairs; pairs come from a table for speed.
    pairs = [_S32_PAIRS[(value >> shift) & 0x3FF] for shift in (50, 40, 30, 20, 10, 0)]
    return _S32[value >> 60] + "".join(pairs)


def _to_dt(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@lru_cache(maxsize=8192)
def _iso_second(seconds: int) -> str:
    # Events arrive in time order, so consecutive timestamps mostly share their second.
    return f"{_EPOCH + timedelta(seconds=seconds):%Y-%m-%dT%H:%M:%S}"


def _iso_ms(us: int) -> str:
    seconds, micros = divmod(us, 1_000_000)
    return f"{_iso_second(seconds)}.{micros // 1000:03d}Z"


def _iso_s(dt: datetime) -> str:
    return f"{dt:%Y-%m-%dT%H:%M:%S}Z"


def _epoch_us(dt: datetime) -> int:
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _at_uri(did: str, rkey: str, collection: str = _POST) -> str:
    return f"at://{did}/{collection}/{rkey}"


# --------------------------------------------------------------------------- invented words


def _code(rng: random.Random) -> str:
    """A made-up code like "k7xm2q": letters and digits, a word to the tokenizer (not a
    number), never a keyword of the plan (those have no digits)."""
    chars = [rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(4)]
    chars += [rng.choice("23456789") for _ in range(2)]
    rng.shuffle(chars)
    return "".join(chars)


def _syllables(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(n))


def _fresh_word(
    rng: random.Random, reserved: set[str], syllables: int, min_len: int, max_len: int = 10
) -> str:
    """An invented ASCII word found in no language's wordfreq list and not used before."""
    while True:
        word = _syllables(rng, syllables)
        if not min_len <= len(word) <= max_len or word in reserved or _known_anywhere(word):
            continue
        reserved.add(word)
        return word


# --------------------------------------------------------------------------- planning


def _burst_counts(rng: random.Random, duration: int, rate: int, shape: str) -> list[int]:
    ramp = rng.randint(5, 8) if shape == "ramp" else 0
    counts = []
    for minute in range(duration):
        strength = 0.2 + 0.8 * minute / ramp if minute < ramp else 1.0
        counts.append(max(1, round(rate * strength + rng.choice((-1, 0, 0, 1)))))
    # Guarantee room for at least 15 distinct authors, topping up full-strength minutes.
    i = 0
    while sum(counts) < 15:
        counts[-1 - i % duration] += 1
        i += 1
    return counts


def _author_sequence(rng: random.Random, n_pool: int, n_authors: int, n_posts: int) -> list[int]:
    """Every chosen author posts at least once; the rest is drawn among them."""
    chosen = rng.sample(range(n_pool), n_authors)
    sequence = chosen + [rng.choice(chosen) for _ in range(n_posts - n_authors)]
    rng.shuffle(sequence)
    return sequence


def _common_word(rng: random.Random, reserved: set[str], max_share: float) -> str:
    """A mid-frequency English word (rank 2000-4000) rare enough to surge >= 4x."""
    vocab, stop = _vocab("en"), _stopwords_en()
    fitting: list[str] = []
    rarest = ""
    for i in range(1999, min(4000, len(vocab.words))):
        word = vocab.words[i]
        if len(word) < 5 or not (word.isascii() and word.isalpha()):
            continue
        if word in stop or word in COMMON_WORD_BLOCKLIST or word in reserved:
            continue
        rarest = word
        if (vocab.cum[i] - vocab.cum[i - 1]) / vocab.cum[-1] <= max_share:
            fitting.append(word)
    # At very high post rates no word in the window is rare enough: take the rarest one.
    word = rng.choice(fitting) if fitting else rarest
    reserved.add(word)
    return word


def _phrase(rng: random.Random, reserved: set[str]) -> str:
    # Both words stay out of every sampled vocabulary, so the bigram never occurs by chance.
    firsts = [w for w in PHRASE_FIRST if w not in reserved and not _in_sampled_vocab(w)]
    seconds = [w for w in PHRASE_SECOND if w not in reserved and not _in_sampled_vocab(w)]
    first, second = rng.choice(firsts), rng.choice(seconds)
    reserved.update((first, second))
    return f"{first} {second}"


def _hashtag(rng: random.Random, reserved: set[str]) -> str:
    stem = _fresh_word(rng, reserved, 2, 5, 8)
    return stem.capitalize() + rng.choice(HASHTAG_SUFFIXES)


def _domain(rng: random.Random, reserved: set[str]) -> str:
    stem = _fresh_word(rng, reserved, 1, 4, 6)
    return f"{stem}-{rng.choice(DOMAIN_SUFFIXES)}.com"


def _keyword_for(
    btype: str, rng: random.Random, reserved: set[str], max_share: float
) -> tuple[str, str]:
    """(truth keyword, text placed in posts) for one burst type."""
    if btype == "new_word":
        word = _fresh_word(rng, reserved, 3, 6, 9)
        return word, word
    if btype == "common_word":
        word = _common_word(rng, reserved, max_share)
        return word, word
    if btype == "hashtag":
        tag = _hashtag(rng, reserved)
        return "#" + tag.lower(), tag
    if btype == "phrase":
        phrase = _phrase(rng, reserved)
        return phrase, phrase
    domain = _domain(rng, reserved)
    return domain, domain


def _han_compound(rng: random.Random, reserved: set[str], lang: str) -> str:
    """A new compound of two common two-character Han words of `lang` (like 地震速報): its
    halves are everyday words with a baseline, the whole is new to the stream."""
    halves = [
        word
        for word in _vocab(lang).words[HAN_COMPOUND_RANKS[0] : HAN_COMPOUND_RANKS[1]]
        if len(word) == 2 and all("\u4e00" <= char <= "\u9fff" for char in word)
    ]
    while True:
        compound = rng.choice(halves) + rng.choice(halves)
        if compound not in reserved and not _known_anywhere(compound):
            reserved.add(compound)
            return compound


def _max_word_share(rate: int, posts_per_minute: int) -> float:
    """Largest per-word share whose expected English background stays <= rate / 8 at peak."""
    en_share = dict(LANG_MIX)["en"] / sum(share for _, share in LANG_MIX)
    peak_words = (1 + RHYTHM_AMPLITUDE) * posts_per_minute * en_share * _MEAN_LENGTH
    return rate / 8 / peak_words


def _plan_bursts(
    rng: random.Random,
    total: int,
    baseline: int,
    ppm: int,
    reserved: set[str],
    cjk_bursts: bool = False,
) -> list[_Injection]:
    rest = total - baseline
    n_bursts = 0 if rest < 13 else 1 + (rest - 13) // BURST_SPACING_MIN
    bursts: list[_Injection] = []
    ja_hashtag_done = False
    for i in range(n_bursts):
        btype = BURST_TYPES[i % len(BURST_TYPES)]
        shape = "step" if i % 2 == 0 else "ramp"
        onset = min(baseline + 3 + BURST_SPACING_MIN * i + rng.randint(0, 3), total - 10)
        duration = min(rng.randint(10, 30), total - onset)
        rate = rng.randint(3, 10)
        counts = _burst_counts(rng, duration, rate, shape)
        keyword, text = _keyword_for(btype, rng, reserved, _max_word_share(rate, ppm))
        lang = "en"
        if cjk_bursts and btype == "new_word":
            # Its own random stream (seeded by the word it replaces): the plan stays the same.
            lang = HAN_COMPOUND_LANGS[i // len(BURST_TYPES) % len(HAN_COMPOUND_LANGS)]
            own = random.Random(f"trendlake.synth:han:{keyword}")
            keyword = text = _han_compound(own, reserved, lang)
        if btype == "hashtag" and not ja_hashtag_done:
            lang, ja_hashtag_done = "ja", True
        n_pool = _pool_size(ppm)
        n_authors = min(rng.randint(15, 80), sum(counts), n_pool)
        sequence = _author_sequence(rng, n_pool, n_authors, sum(counts))
        burst = _Injection(
            keyword, BURST_KIND[btype], btype, lang, text, onset, counts, sequence, shape
        )
        bursts.append(burst)
    return bursts


def _plan_flood(
    rng: random.Random, total: int, baseline: int, reserved: set[str]
) -> _Injection | None:
    rest = total - baseline
    if rest < FLOOD_MINUTES + 3:
        return None
    onset = min(baseline + round(0.3 * rest) + rng.randint(0, 3), total - FLOOD_MINUTES)
    counts = [rng.randint(20, 40) for _ in range(FLOOD_MINUTES)]
    word = _fresh_word(rng, reserved, 3, 7, 11)
    return _Injection(word, "word", "single_author_flood", "en", word, onset, counts, [])


def _plan_surge(rng: random.Random, total: int, baseline: int) -> _Surge | None:
    rest = total - baseline
    if rest < SURGE_MINUTES + 3:
        return None
    onset = min(baseline + round(0.65 * rest) + rng.randint(0, 3), total - SURGE_MINUTES)
    share = _share("en", SURGE_WORD)
    # Replacing each word with "the" at p = 2s/(1-s) lifts its share from s to 3s.
    replace_p = (SURGE_MULTIPLIER - 1) * share / (1 - share)
    return _Surge(onset, onset + SURGE_MINUTES, replace_p)


def _plan_spam(
    seed: int, total: int, baseline: int, ppm: int, reserved: set[str]
) -> list[_Injection]:
    """One flood of each SPAM_TYPES shape, spread evenly after the baseline, none overlapping.

    Its own random stream, so a stream without spam is byte for byte what it always was.
    """
    rng = random.Random(f"trendlake.synth:{seed}:spam")
    rest = total - baseline
    if rest < len(SPAM_TYPES) * (SPAM_MINUTES + 3):
        return []
    spacing = rest // len(SPAM_TYPES)
    floods = []
    for i, ftype in enumerate(SPAM_TYPES):
        onset = baseline + i * spacing + rng.randint(0, spacing - SPAM_MINUTES - 1)
        keyword = text = _fresh_word(rng, reserved, 3, 6, 9)
        kind = "word"
        if ftype == "mass_flood":
            counts = [MASS_FLOOD_FACTOR * ppm] * SPAM_MINUTES
        elif ftype == "ramp_flood":
            counts = [round(5 + 75 * m / (SPAM_MINUTES - 1)) for m in range(SPAM_MINUTES)]
        elif ftype == "sockpuppet_flood":
            counts = [rng.randint(10, 20) for _ in range(SPAM_MINUTES)]
        else:
            counts = [rng.randint(30, 60) for _ in range(SPAM_MINUTES)]
        if ftype == "hashtag_flood":
            text = _hashtag(rng, reserved)
            keyword, kind = "#" + text.lower(), "hashtag"
        elif ftype == "link_flood":
            keyword = text = _domain(rng, reserved)
            kind = "domain"
        floods.append(_Injection(keyword, kind, ftype, "en", text, onset, counts, []))
    return floods


def _plan_ring(
    seed: int, total: int, baseline: int, reserved: set[str], ring_type: str = RING_TYPE
) -> _Injection | None:
    """A copy ring: RING_ACCOUNTS accounts posting one English text, a new word in it; a
    template ring (TEMPLATE_RING_TYPE) fills TEMPLATE_CODES codes into each copy; a
    sockpuppet ring (PUPPET_RING_TYPE) posts the word in sentences of its own; a short ring
    (SHORT_RING_TYPE) pastes a text of SHORT_RING_WORDS words, the new word and its link.

    Its own random stream, planned last, so the other floods and decoys stay as they were.
    """
    stream = "ring" if ring_type == RING_TYPE else ring_type
    rng = random.Random(f"trendlake.synth:{seed}:{stream}")
    rest = total - baseline
    if rest < SPAM_MINUTES + 3:
        return None
    onset = baseline + rng.randint(0, rest - SPAM_MINUTES - 1)
    keyword = _fresh_word(rng, reserved, 3, 6, 9)
    if ring_type == PUPPET_RING_TYPE:
        counts = [rng.randint(*PUPPET_RING_POSTS) for _ in range(SPAM_MINUTES)]
        return _Injection(keyword, "word", ring_type, "en", keyword, onset, counts, [])
    counts = [rng.randint(12, 24) for _ in range(SPAM_MINUTES)]
    vocab = _vocab("en")
    size = SHORT_RING_WORDS if ring_type == SHORT_RING_TYPE else RING_WORDS
    pieces = _decorate(rng, rng.choices(vocab.words, cum_weights=vocab.cum, k=size), "en")
    pieces.insert(rng.randrange(len(pieces) + 1), _Piece(keyword, True))
    ring = _Injection(keyword, "word", ring_type, "en", keyword, onset, counts, [])
    ring.copy, ring.copy_host = tuple(pieces), _domain(rng, reserved)
    ring.codes = TEMPLATE_CODES if ring_type == TEMPLATE_RING_TYPE else 0
    return ring


def _plan_conversations(
    seed: int, total: int, baseline: int, ppm: int, reserved: set[str]
) -> list[_Injection]:
    """Reply storms: one post, then 30-60 replies from other accounts within minutes, each
    echoing a word of it (an invented name, then a mid-frequency English word).

    Many distinct authors, one thread: a busy conversation, which a trend tool must not
    announce as a trend. Its own random stream, so the rest of the plan is unchanged.
    """
    rng = random.Random(f"trendlake.synth:{seed}:conversations")
    rest = total - baseline
    if rest < CONVERSATION_MINUTES[1] + 3:
        return []
    conversations = []
    for i, at in enumerate(CONVERSATION_AT):
        duration = rng.randint(*CONVERSATION_MINUTES)
        onset = min(baseline + round(at * rest) + rng.randint(0, 3), total - duration)
        n_posts = rng.randint(*CONVERSATION_POSTS)
        weights = [math.exp(-m / CONVERSATION_DECAY_MINUTES) for m in range(duration)]
        counts = _apportion(n_posts, weights)
        if i == 0:
            word = _fresh_word(rng, reserved, 3, 6, 9)
        else:
            word = _common_word(rng, reserved, _max_word_share(4, ppm))
        # Most repliers reply once; some come back to answer.
        n_authors = min(round(0.85 * n_posts), _pool_size(ppm))
        sequence = _author_sequence(rng, _pool_size(ppm), n_authors, n_posts)
        conversations.append(
            _Injection(word, "word", "conversation", "en", word, onset, counts, sequence)
        )
    return conversations


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders)."""
    scale = total / sum(weights)
    counts = [math.floor(w * scale) for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - weights[i] * scale)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _make_plan(
    seed: int, total: int, posts_per_minute: int, spam: bool = False, cjk_bursts: bool = False
) -> _Plan:
    rng = random.Random(f"trendlake.synth:{seed}:plan")
    baseline = min(total, max(60, math.ceil(0.25 * total)))
    reserved: set[str] = {SURGE_WORD}
    bursts = _plan_bursts(rng, total, baseline, posts_per_minute, reserved, cjk_bursts)
    flood = _plan_flood(rng, total, baseline, reserved)
    surge = _plan_surge(rng, total, baseline)
    floods = _plan_spam(seed, total, baseline, posts_per_minute, reserved) if spam else []
    talks = _plan_conversations(seed, total, baseline, posts_per_minute, reserved)
    if spam:
        rings = (_plan_ring(seed, total, baseline, reserved, kind) for kind in RING_TYPES)
        floods += [ring for ring in rings if ring]
    return _Plan(total, baseline, bursts, flood, surge, reserved, floods, talks)


# --------------------------------------------------------------------------- author pool


def _pool_size(posts_per_minute: int) -> int:
    return max(MIN_AUTHORS, AUTHORS_PER_PPM * posts_per_minute)


def _handle(rng: random.Random, reserved: set[str], taken: set[str]) -> str:
    while True:
        stem = _syllables(rng, rng.randint(1, 2))
        name = stem + (str(rng.randint(0, 9999)) if rng.random() < 0.6 else "")
        # A handle's letters must never spell a keyword, or mentions would leak it.
        if stem in reserved or name in taken:
            continue
        taken.add(name)
        return name + ".bsky.social"


def _make_pool(seed: int, posts_per_minute: int, reserved: set[str]) -> _Pool:
    rng = random.Random(f"trendlake.synth:{seed}:pool")
    size = _pool_size(posts_per_minute)
    taken: set[str] = set()
    dids = tuple(_did(rng) for _ in range(size))
    handles = tuple(_handle(rng, reserved, taken) for _ in range(size))
    cum = tuple(accumulate(1.0 / (rank + 1) ** AUTHOR_ZIPF_EXPONENT for rank in range(size)))
    return _Pool(dids, handles, cum)


def _bind_authors(plan: _Plan, pool: _Pool, seed: int) -> None:
    """Swap the planned author indices for real DIDs; give each flood its own accounts."""
    for burst in [*plan.bursts, *plan.conversations]:
        burst.authors = [pool.dids[i] for i in burst.author_idx]
    if plan.flood is not None:
        flood_did = _did(random.Random(f"trendlake.synth:{seed}:flood"))
        plan.flood.authors = [flood_did] * sum(plan.flood.counts)
    for i, flood in enumerate(plan.spam):
        accounts = _ACCOUNTS.get(flood.type, 1)
        rngs = (random.Random(f"trendlake.synth:{seed}:spam:{i}:{n}") for n in range(accounts))
        dids = [_did(rng) for rng in rngs]
        flood.authors = [dids[k % accounts] for k in range(sum(flood.counts))]


# --------------------------------------------------------------------------- text


def _sentence(rng: random.Random, lang: str) -> list[str]:
    vocab = _vocab(lang)
    n = _LENGTHS[_pick(rng, _LENGTH_CUM)]
    return rng.choices(vocab.words, cum_weights=vocab.cum, k=n)


def _decorate(rng: random.Random, words: list[str], lang: str) -> list[_Piece]:
    """Casing and punctuation the way people actually type."""
    words = list(words)
    cjk = lang in UNSPACED
    if not cjk and rng.random() < 0.6:
        words[0] = words[0][:1].upper() + words[0][1:]
    if not cjk and rng.random() < 0.03:
        i = rng.randrange(len(words))
        words[i] = words[i].upper()
    if len(words) > 4 and rng.random() < 0.25:
        i = rng.randrange(1, len(words) - 1)
        words[i] += "、" if cjk else ","
    words[-1] += rng.choice(END_PUNCT_CJK if cjk else END_PUNCT)
    return [_Piece(w, True) for w in words]


def _sprinkle(rng: random.Random, pieces: list[_Piece]) -> None:
    """Occasional numbers and emoji, native so ja/zh keep them glued like real text."""
    if rng.random() < 0.05:
        pieces.insert(rng.randrange(len(pieces) + 1), _Piece(str(rng.randint(1, 2026)), True))
    if rng.random() < 0.15:
        emoji = "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
        pieces.append(_Piece(emoji, True))


def _assemble(pieces: Sequence[_Piece], unspaced: bool) -> tuple[str, list[dict[str, Any]]]:
    """Join pieces and compute facets as UTF-8 byte offsets, as atproto requires."""
    parts: list[str] = []
    facets: list[dict[str, Any]] = []
    nbytes = 0
    prev_native = False
    for piece in pieces:
        if parts:
            sep = "" if unspaced and piece.native and prev_native else " "
            parts.append(sep)
            nbytes += len(sep)
        size = len(piece.text.encode("utf-8"))
        if piece.feature is not None:
            index = {"byteStart": nbytes, "byteEnd": nbytes + size}
            facets.append({"index": index, "features": [piece.feature]})
        parts.append(piece.text)
        nbytes += size
        prev_native = piece.native
    return "".join(parts), facets


def _link_display(uri: str) -> str:
    # The Bluesky app shows links without scheme and shortens long ones.
    bare = uri.split("://", 1)[1]
    return bare if len(bare) <= 30 else bare[:27] + "..."


def _tag_piece(tag: str) -> _Piece:
    return _Piece("#" + tag, False, {"$type": _TAG, "tag": tag})


def _link_piece(uri: str) -> _Piece:
    return _Piece(_link_display(uri), False, {"$type": _LINK, "uri": uri})


# --------------------------------------------------------------------------- stream


class _Stream:
    """Generates the events minute by minute, keeping the reply/delete/like state."""

    RING = 4096

    def __init__(
        self,
        seed: int,
        plan: _Plan,
        pool: _Pool,
        start_us: int,
        ppm: int,
        lang_mix: tuple[tuple[str, float], ...] = LANG_MIX,
    ) -> None:
        self.rng = random.Random(f"trendlake.synth:{seed}:stream")
        self.plan = plan
        self.pool = pool
        self.start_us = start_us
        self.ppm = ppm
        self.last_us = start_us - 1
        self.seq = 5_000_000_000 + self.rng.randrange(10**8)
        self.recent: list[tuple[str, str, str, str]] = []  # uri, cid, root uri, root cid
        self.recent_pos = 0
        self.deletable: list[tuple[str, str]] = []  # did, rkey of background posts
        self.counters = _Counters()
        self.counters.watch_hits = {b.text: 0 for b in plan.bursts if b.type == "common_word"}
        self.injections = [*plan.bursts, *plan.floods, *plan.conversations]
        self.lang_mix = lang_mix
        self.lang_cum = tuple(accumulate(share for _, share in lang_mix))
        self.link_cum = tuple(accumulate(1.0 / (i + 1) for i in range(len(BACKGROUND_LINKS))))
        self.tag_cum = tuple(accumulate(1.0 / (i + 1) for i in range(len(BACKGROUND_TAGS))))

    # ---- per-minute scheduling

    def expected_rate(self, minute: int) -> float:
        hour = ((self.start_us + (minute + 0.5) * US_PER_MIN) / US_PER_HOUR) % 24
        phase = 2 * math.pi * (hour - RHYTHM_PEAK_HOUR_UTC) / RHYTHM_PERIOD_HOURS
        return self.ppm * (1 + RHYTHM_AMPLITUDE * math.cos(phase))

    def _around(self, mean: float) -> int:
        # Poisson-ish: normal with variance equal to the mean, never negative.
        return max(0, round(self.rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0

    def _schedule(self, minute: int) -> list[tuple[str, _Injection | None]]:
        slots: list[tuple[str, _Injection | None]] = []
        slots += [("post", None)] * self._around(self.expected_rate(minute))
        for inj in self.injections:
            slots += [("inject", inj)] * inj.count_at(minute)
        posts = len(slots)
        post_share = 1 - LIKE_SHARE - DELETE_SHARE - IDENTITY_SHARE - ACCOUNT_SHARE
        for name, share in (
            ("like", LIKE_SHARE),
            ("delete", DELETE_SHARE),
            ("identity", IDENTITY_SHARE),
            ("account", ACCOUNT_SHARE),
        ):
            slots += [(name, None)] * self._around(posts * share / post_share)
        self.rng.shuffle(slots)
        return slots

    def minute(self, minute: int) -> bytes:
        slots = self._schedule(minute)
        base = self.start_us + minute * US_PER_MIN
        offsets = sorted(self.rng.randrange(US_PER_MIN) for _ in slots)
        lines = []
        for (name, inj), offset in zip(slots, offsets, strict=True):
            t_us = max(base + offset, self.last_us + 1)
            self.last_us = t_us
            lines.append(json.dumps(self._event(name, inj, t_us, minute), **_JSON))
        self.counters.events += len(lines)
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def _event(self, name: str, inj: _Injection | None, t_us: int, minute: int) -> dict[str, Any]:
        if name == "post":
            return self._background_post(t_us, minute)
        if name == "inject" and inj is not None:
            return self._injected_post(t_us, inj)
        if name == "like":
            return self._like(t_us)
        if name == "delete":
            return self._delete(t_us) or self._like(t_us)
        if name == "identity":
            return self._identity(t_us)
        return self._account(t_us)

    # ---- posts

    def _author(self) -> tuple[str, str]:
        i = _pick(self.rng, self.pool.cum)
        return self.pool.dids[i], self.pool.handles[i]

    def _lang(self) -> str:
        return self.lang_mix[_pick(self.rng, self.lang_cum)][0]

    def _surging(self, minute: int) -> bool:
        surge = self.plan.surge
        return surge is not None and surge.onset <= minute < surge.end

    def _background_post(self, t_us: int, minute: int) -> dict[str, Any]:
        did, _ = self._author()
        lang = self._lang()
        words = _sentence(self.rng, lang)
        if lang == "en" and self._surging(minute):
            words = self._surge_words(words, did)
        for word, hits in self.counters.watch_hits.items():
            if word in words:
                self.counters.watch_hits[word] = hits + 1
        pieces = _decorate(self.rng, words, lang)
        _sprinkle(self.rng, pieces)
        embed = self._decorations(pieces, lang)
        langs = None if self.rng.random() < NO_LANGS_SHARE else [lang]
        return self._post(t_us, did, lang, langs, pieces, embed, deletable=True)

    def _surge_words(self, words: list[str], did: str) -> list[str]:
        assert self.plan.surge is not None
        p = self.plan.surge.replace_p
        words = [SURGE_WORD if self.rng.random() < p else w for w in words]
        if SURGE_WORD in words:
            self.counters.surge_posts += 1
            self.counters.surge_authors.add(did)
        return words

    def _decorations(self, pieces: list[_Piece], lang: str) -> dict[str, Any] | None:
        """Background mentions, hashtags, links and embeds."""
        rng = self.rng
        embed: dict[str, Any] | None = None
        if rng.random() < MENTION_SHARE:
            did, handle = self._author()
            mention = {"$type": _MENTION, "did": did}
            pieces.insert(0, _Piece("@" + handle, False, mention))
        if rng.random() < HASHTAG_SHARE:
            for _ in range(rng.choice((1, 1, 1, 2))):
                pieces.append(_tag_piece(self._background_tag(lang)))
        if rng.random() < LINK_SHARE:
            uri = self._link_uri(lang)
            pieces.append(_link_piece(uri))
            roll = rng.random()
            if roll < CARD_SHARE:
                embed = self._external(uri, lang)
                if roll < CARD_ONLY_SHARE:
                    pieces.pop()
        if embed is None:
            embed = self._media_embed(lang)
        return embed

    def _background_tag(self, lang: str) -> str:
        if lang == "ja" and self.rng.random() < 0.5:
            return self.rng.choice(BACKGROUND_TAGS_JA)
        return BACKGROUND_TAGS[_pick(self.rng, self.tag_cum)]

    def _media_embed(self, lang: str) -> dict[str, Any] | None:
        roll = self.rng.random()
        if roll < IMAGE_SHARE:
            return self._images(lang)
        if roll < IMAGE_SHARE + QUOTE_SHARE and self.recent:
            uri, cid, _, _ = self.rng.choice(self.recent)
            return {"$type": "app.bsky.embed.record", "record": {"cid": cid, "uri": uri}}
        return None

    def _injected_post(self, t_us: int, inj: _Injection) -> dict[str, Any]:
        did = inj.next_author()
        if inj.copy:
            link = _link_piece(f"https://{inj.copy_host}/p/{self.rng.randint(1000, 999999)}")
            codes = [_Piece(_code(self.rng), True) for _ in range(inj.codes)]
            pieces = [*inj.copy[:1], *codes[:1], *inj.copy[1:], *codes[1:], link]
            reply = (
                self._reply_ref() if self.recent and self.rng.random() < RING_REPLY_SHARE else None
            )
            return self._post(t_us, did, "en", ["en"], pieces, None, deletable=False, reply=reply)
        pieces = _decorate(self.rng, _sentence(self.rng, inj.lang), inj.lang)
        _sprinkle(self.rng, pieces)
        embed = self._inject_keyword(pieces, inj)
        if embed is None:
            embed = self._media_embed(inj.lang)
        if inj.type != "conversation":
            return self._post(t_us, did, inj.lang, [inj.lang], pieces, embed, deletable=False)
        reply = self._thread_reply(inj) if inj.thread else None
        event = self._post(
            t_us, did, inj.lang, [inj.lang], pieces, embed, deletable=False, reply=reply
        )
        commit = event["commit"]
        inj.thread.append((_at_uri(did, commit["rkey"]), commit["cid"]))
        return event

    def _thread_reply(self, inj: _Injection) -> dict[str, Any]:
        """A reply in the conversation: to its first post mostly, else to an earlier reply."""
        root_uri, root_cid = inj.thread[0]
        uri, cid = inj.thread[0] if self.rng.random() < 0.6 else self.rng.choice(inj.thread)
        return {"root": {"cid": root_cid, "uri": root_uri}, "parent": {"cid": cid, "uri": uri}}

    def _inject_keyword(self, pieces: list[_Piece], inj: _Injection) -> dict[str, Any] | None:
        rng = self.rng
        native = inj.lang not in UNSPACED
        if inj.kind == "hashtag":
            at = len(pieces) if rng.random() < 0.7 else rng.randrange(len(pieces) + 1)
            pieces.insert(at, _tag_piece(inj.text))
            return None
        if inj.kind == "domain":
            uri = f"https://www.{inj.text}/story/{rng.randint(100, 99999)}"
            pieces.append(_link_piece(uri))
            roll = rng.random()  # one draw decides card and card alone: the other draws stay
            if roll >= BURST_CARD_SHARE:
                return None
            if roll < BURST_CARD_ONLY_SHARE:
                pieces.pop()
            return self._external(uri, inj.lang)
        at = rng.randrange(len(pieces) + 1)
        text = inj.text
        if at == 0 and native and rng.random() < 0.5:
            text = text[:1].upper() + text[1:]
        pieces.insert(at, _Piece(text, native))
        return None

    def _post(
        self,
        t_us: int,
        did: str,
        lang: str,
        langs: list[str] | None,
        pieces: list[_Piece],
        embed: dict[str, Any] | None,
        *,
        deletable: bool,
        reply: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A post event; a reply to a random recent post now and then, unless `reply` is set."""
        rng = self.rng
        created_us = self._created_us(t_us)
        rkey = _tid(created_us, rng.randrange(1024))
        text, facets = _assemble(pieces, lang in UNSPACED)
        record: dict[str, Any] = {"$type": _POST, "text": text, "createdAt": _iso_ms(created_us)}
        if langs is not None:
            record["langs"] = langs
        if facets:
            record["facets"] = facets
        if reply is not None:
            record["reply"] = reply
        elif self.recent and rng.random() < REPLY_SHARE:
            record["reply"] = self._reply_ref()
        if embed is not None:
            record["embed"] = embed
        cid = _cid(rng)
        self._remember(did, rkey, cid, record.get("reply"), deletable=deletable)
        self.counters.posts += 1
        commit: dict[str, Any] = {"rev": _tid(t_us, rng.randrange(1024)), "operation": "create"}
        commit |= {"collection": _POST, "rkey": rkey, "record": record, "cid": cid}
        return {"did": did, "time_us": t_us, "kind": "commit", "commit": commit}

    def _created_us(self, t_us: int) -> int:
        # Clients set createdAt: usually a little before the relay saw it, sometimes way off.
        if self.rng.random() < MISDATED_SHARE:
            shift = self.rng.randint(1 * US_PER_HOUR, 12 * US_PER_HOUR)
            return t_us - shift if self.rng.random() < 0.5 else t_us + shift
        return t_us - self.rng.randint(0, 3_000_000)

    def _reply_ref(self) -> dict[str, Any]:
        uri, cid, root_uri, root_cid = self.rng.choice(self.recent)
        return {"root": {"cid": root_cid, "uri": root_uri}, "parent": {"cid": cid, "uri": uri}}

    def _remember(
        self, did: str, rkey: str, cid: str, reply: dict[str, Any] | None, *, deletable: bool
    ) -> None:
        uri = _at_uri(did, rkey)
        root_uri, root_cid = (reply["root"]["uri"], reply["root"]["cid"]) if reply else (uri, cid)
        entry = (uri, cid, root_uri, root_cid)
        if len(self.recent) < self.RING:
            self.recent.append(entry)
        else:
            self.recent[self.recent_pos] = entry
            self.recent_pos = (self.recent_pos + 1) % self.RING
        if deletable:
            self.deletable.append((did, rkey))

    # ---- embeds

    def _words(self, lang: str, lo: int, hi: int) -> list[str]:
        vocab = _vocab(lang)
        return self.rng.choices(
            vocab.head_words, cum_weights=vocab.head_cum, k=self.rng.randint(lo, hi)
        )

    def _title(self, lang: str, lo: int, hi: int) -> str:
        sep = "" if lang in UNSPACED else " "
        return sep.join(self._words(lang, lo, hi)).capitalize()

    def _images(self, lang: str) -> dict[str, Any]:
        images = []
        for _ in range(self.rng.choice((1, 1, 1, 2, 3, 4))):
            alt = self._title(lang, 2, 8) if self.rng.random() < 0.3 else ""
            width, height = self.rng.choice(((1200, 900), (1080, 1350), (2000, 1125), (800, 800)))
            blob: dict[str, Any] = {"$type": "blob", "ref": {"$link": _cid(self.rng, "bafkrei")}}
            blob |= {"mimeType": "image/jpeg", "size": self.rng.randint(40_000, 990_000)}
            ratio = {"height": height, "width": width}
            images.append({"alt": alt, "aspectRatio": ratio, "image": blob})
        return {"$type": "app.bsky.embed.images", "images": images}

    def _external(self, uri: str, lang: str) -> dict[str, Any]:
        card = {"description": self._title(lang, 5, 15), "title": self._title(lang, 3, 9)}
        return {"$type": "app.bsky.embed.external", "external": {**card, "uri": uri}}

    def _link_uri(self, lang: str) -> str:
        rng = self.rng
        host, template = BACKGROUND_LINKS[_pick(rng, self.link_cum)]
        dt = _to_dt(self.last_us)
        slug_words = self._words("en", 3, 7)
        fields = {
            "id": _b32(rng, 11).upper(),
            "date": f"{dt:%Y/%m/%d}",
            "slug": "-".join(w.replace("'", "") for w in slug_words),
            "Title": "_".join(slug_words[:2]).capitalize(),
            "handle": self.pool.handles[rng.randrange(len(self.pool.handles))],
            "tid": _tid(self.last_us, rng.randrange(1024)),
            "name": _syllables(rng, 2),
            "name2": _syllables(rng, 2),
            "num": str(rng.randint(10_000, 9_999_999)),
        }
        return f"https://{host}/{template.format(**fields)}"

    # ---- other events

    def _like(self, t_us: int) -> dict[str, Any]:
        did, _ = self._author()
        record: dict[str, Any] = {"$type": _LIKE, "createdAt": _iso_ms(self._created_us(t_us))}
        record["subject"] = self._like_subject(t_us)
        rkey = _tid(t_us, self.rng.randrange(1024))
        commit: dict[str, Any] = {
            "rev": _tid(t_us, self.rng.randrange(1024)),
            "operation": "create",
        }
        commit |= {"collection": _LIKE, "rkey": rkey, "record": record, "cid": _cid(self.rng)}
        return {"did": did, "time_us": t_us, "kind": "commit", "commit": commit}

    def _like_subject(self, t_us: int) -> dict[str, str]:
        if self.recent:
            uri, cid, _, _ = self.rng.choice(self.recent)
            return {"cid": cid, "uri": uri}
        # Before any post exists, like an older post from outside the stream, as real likes do.
        older = _tid(t_us - self.rng.randint(1, 48) * US_PER_HOUR, self.rng.randrange(1024))
        return {"cid": _cid(self.rng), "uri": _at_uri(self._author()[0], older)}

    def _delete(self, t_us: int) -> dict[str, Any] | None:
        if not self.deletable:
            return None
        # Most deletions happen soon after posting: pick near the end, swap-remove.
        back = min(len(self.deletable) - 1, int(self.rng.expovariate(1 / 300)))
        i = len(self.deletable) - 1 - back
        self.deletable[i], self.deletable[-1] = self.deletable[-1], self.deletable[i]
        did, rkey = self.deletable.pop()
        commit = {"rev": _tid(t_us, self.rng.randrange(1024)), "operation": "delete"}
        commit |= {"collection": _POST, "rkey": rkey}
        return {"did": did, "time_us": t_us, "kind": "commit", "commit": commit}

    def _next_seq(self) -> int:
        self.seq += self.rng.randint(1, 500)
        return self.seq

    def _identity(self, t_us: int) -> dict[str, Any]:
        did, handle = self._author()
        body = {"did": did, "handle": handle, "seq": self._next_seq(), "time": _iso_ms(t_us)}
        return {"did": did, "time_us": t_us, "kind": "identity", "identity": body}

    def _account(self, t_us: int) -> dict[str, Any]:
        did, _ = self._author()
        active = self.rng.random() < 0.9
        body: dict[str, Any] = {"active": active, "did": did}
        if not active:
            body["status"] = "deactivated"
        body |= {"seq": self._next_seq(), "time": _iso_ms(t_us)}
        return {"did": did, "time_us": t_us, "kind": "account", "account": body}


_JSON: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":")}


# --------------------------------------------------------------------------- output


@contextmanager
def _open_sink(out: Path) -> Iterator[_Sink]:
    """Compressed or plain writer chosen by suffix; written aside, then moved into place."""
    part = out.with_name(out.name + ".part")
    try:
        with part.open("wb") as raw:
            if out.name.endswith(".gz"):
                # Fixed mtime and empty name keep gzip headers byte-identical between runs.
                with gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6
                ) as gz:
                    yield gz
            elif out.name.endswith(".zst"):
                with zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False) as zw:
                    yield zw
            else:
                yield raw
    except BaseException:
        # Never leave a half-written stream behind (e.g. Ctrl-C during a long run).
        part.unlink(missing_ok=True)
        raise
    part.replace(out)


def _write_truth(path: Path, truth: dict[str, Any]) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    part.replace(path)


# --------------------------------------------------------------------------- truth


def _minute_iso(start: datetime, minute: int) -> str:
    return _iso_s(start + timedelta(minutes=minute))


def _burst_truth(burst: _Injection, start: datetime, stream: _Stream) -> dict[str, Any]:
    hits = stream.counters.watch_hits.get(burst.text, 0)
    return {
        "keyword": burst.keyword,
        "kind": burst.kind,
        "type": burst.type,
        "shape": burst.shape,
        "lang": burst.lang,
        "onset": _minute_iso(start, burst.onset),
        "end": _minute_iso(start, burst.end),
        "authors": len(set(burst.authors)),
        "posts": sum(burst.counts),
        "peak_posts_per_minute": max(burst.counts),
        # Measured over the whole run from posts that were not part of the burst.
        "background_posts_per_minute": round(hits / stream.plan.total, 4),
    }


def _decoys_truth(plan: _Plan, start: datetime, stream: _Stream) -> list[dict[str, Any]]:
    decoys: list[dict[str, Any]] = []
    for flood in plan.floods:
        decoys.append(
            {
                "keyword": flood.keyword,
                "kind": flood.kind,
                "type": flood.type,
                "onset": _minute_iso(start, flood.onset),
                "end": _minute_iso(start, flood.end),
                "authors": len(set(flood.authors)),
                "posts": sum(flood.counts),
                "peak_posts_per_minute": max(flood.counts),
            }
        )
    for talk in plan.conversations:
        decoys.append(
            {
                "keyword": talk.keyword,
                "kind": talk.kind,
                "type": talk.type,
                "onset": _minute_iso(start, talk.onset),
                "end": _minute_iso(start, talk.end),
                "authors": len(set(talk.authors)),
                "posts": sum(talk.counts),
                "threads": 1,
            }
        )
    if plan.surge is not None:
        decoys.append(
            {
                "keyword": SURGE_WORD,
                "kind": "word",
                "type": "stopword_surge",
                "onset": _minute_iso(start, plan.surge.onset),
                "end": _minute_iso(start, plan.surge.end),
                "authors": len(stream.counters.surge_authors),
                "posts": stream.counters.surge_posts,
                "multiplier": SURGE_MULTIPLIER,
            }
        )
    decoys.append(
        {
            "keyword": None,
            "kind": None,
            "type": "daily_rhythm",
            "onset": _iso_s(start),
            "end": _minute_iso(start, plan.total),
            "amplitude": RHYTHM_AMPLITUDE,
            "period_hours": RHYTHM_PERIOD_HOURS,
            "peak_hour_utc": RHYTHM_PEAK_HOUR_UTC,
        }
    )
    return decoys


def _truth(seed: int, hours: float, ppm: int, start: datetime, stream: _Stream) -> dict[str, Any]:
    plan = stream.plan
    return {
        "generator": "trendlake.synth",
        "version": TRUTH_VERSION,
        "seed": seed,
        "start": _iso_s(start),
        "end": _minute_iso(start, plan.total),
        "hours": hours,
        "minutes": plan.total,
        "posts_per_minute": ppm,
        "baseline_end": _minute_iso(start, plan.baseline),
        "events": stream.counters.events,
        "posts": stream.counters.posts,
        "bursts": [_burst_truth(b, start, stream) for b in plan.bursts],
        "decoys": _decoys_truth(plan, start, stream),
    }


# --------------------------------------------------------------------------- entry point


def _validate(hours: float, posts_per_minute: int) -> None:
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise ValueError(f"hours must be a number, got {hours!r}")
    if not math.isfinite(hours) or hours <= 0:
        raise ValueError(f"hours must be a finite number > 0, got {hours!r}")
    if isinstance(posts_per_minute, bool) or not isinstance(posts_per_minute, int):
        raise ValueError(f"posts_per_minute must be an integer, got {posts_per_minute!r}")
    if posts_per_minute < 10:
        raise ValueError(f"posts_per_minute must be >= 10, got {posts_per_minute}")


def _normalize_start(start: datetime | None) -> datetime:
    """UTC, whole seconds: naive datetimes are taken as UTC."""
    if start is None:
        return DEFAULT_START
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    return start.replace(microsecond=0)


def generate(
    out: Path,
    *,
    hours: float = 3.0,
    seed: int = 7,
    posts_per_minute: int = 300,
    start: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    lang_mix: Mapping[str, float] | None = None,
    spam: bool = False,
    cjk_bursts: bool = False,
) -> SynthSummary:
    """Write a synthetic Jetstream JSONL stream to `out` and its truth to `out`.truth.json.

    `out` is gzip-compressed if it ends in `.gz`, zstd if `.zst`, plain otherwise.
    `progress(done_minutes, total_minutes)` is called after each generated minute.
    `lang_mix` (language -> weight, languages among LANG_MIX's) replaces the background
    language mix, e.g. a Japanese-heavy network; bursts keep their own languages.
    `spam` adds floods of other shapes as decoys (SPAM_TYPES): one account posting ten times
    the stream's rate, hashtag, link and ramp floods by one account, and 4 sockpuppets; and a
    ring of 12 accounts posting one text word for word (RING_TYPE), another filling two
    made-up codes into each copy of theirs (TEMPLATE_RING_TYPE), 8 sockpuppets posting a new
    word 8-12 times a minute each (PUPPET_RING_TYPE), and 12 accounts pasting three words, a
    new word and a link (SHORT_RING_TYPE).
    `cjk_bursts` makes the new-word bursts new Han compounds posted in Japanese and Chinese
    by turns (``地震速報``-like: two everyday words, new together).
    """
    _validate(hours, posts_per_minute)
    mix = _validate_mix(lang_mix)
    out = Path(out)
    start_dt = _normalize_start(start)
    total = max(1, round(hours * 60))
    plan = _make_plan(seed, total, posts_per_minute, spam, cjk_bursts)
    pool = _make_pool(seed, posts_per_minute, plan.reserved)
    _bind_authors(plan, pool, seed)
    stream = _Stream(seed, plan, pool, _epoch_us(start_dt), posts_per_minute, mix)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _open_sink(out) as sink:
        for minute in range(total):
            sink.write(stream.minute(minute))
            if progress is not None:
                progress(minute + 1, total)
    truth_path = Path(str(out) + ".truth.json")
    truth = _truth(seed, float(hours), posts_per_minute, start_dt, stream)
    _write_truth(truth_path, truth)
    n_decoys = len(truth["decoys"])
    return SynthSummary(
        out,
        truth_path,
        stream.counters.events,
        stream.counters.posts,
        total,
        len(plan.bursts),
        n_decoys,
    )


def _validate_mix(lang_mix: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    if lang_mix is None:
        return LANG_MIX
    known = dict(LANG_MIX)
    unknown = sorted(set(lang_mix) - set(known))
    if unknown:
        raise ValueError(
            f"unknown languages in lang_mix: {', '.join(unknown)} (use {', '.join(known)})"
        )
    if not lang_mix or any(w < 0 for w in lang_mix.values()) or sum(lang_mix.values()) <= 0:
        raise ValueError("lang_mix needs non-negative weights with a positive sum")
    return tuple((lang, float(lang_mix[lang])) for lang in sorted(lang_mix))
