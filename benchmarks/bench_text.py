"""Throughput of `trendlake.text.extract_keywords` on synthetic multilingual posts.

Run as ``python benchmarks/bench_text.py [--posts N] [--repeat R] [--seed S]``. Posts are
built deterministically from wordfreq's word lists with a seeded `random.Random`, in a
language mix close to Bluesky's, and decorated the way real posts are: links (full URLs
and Bluesky's shortened link text), mentions, hashtags (in text and in facets), emoji,
numbers and punctuation. The naive reference (``lower().split()`` minus stopwords) runs
in the same process so that the ratio is comparable across machines. Rates are CPU time of
this process, best and median of the passes. No timing asserts.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import wordfreq

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trendlake.text import extract_keywords, stopwords_for

# Roughly the language mix of the Bluesky firehose.
LANG_WEIGHTS = {"en": 45, "ja": 20, "pt": 12, "de": 6, "es": 6, "fr": 5, "ko": 4, "zh": 2}
LANG_TAGS = {"pt": "pt-BR", "zh": "zh-Hans"}  # the rest go as their plain code
NO_LANGS = 0.05  # share of posts whose client sends no langs
UNSPACED = frozenset({"ja", "zh"})
VOCAB_SIZE = 5000
POST_CHARS = 100
DOMAINS = (
    "nytimes.com",
    "youtube.com",
    "bsky.app",
    "theguardian.com",
    "github.com",
    "g1.globo.com",
)
EMOJI = ("😂", "🔥", "❤️", "🙏", "👀", "🎉", "😭", "✨", "🇧🇷", "👍🏽")
KO_PARTICLES = ("은", "는", "이", "가", "을", "를", "에서", "의", "도", "")
PUNCT = (".", ".", ",", "!", "?", "…", ":")


@dataclass(frozen=True)
class Post:
    lang: str  # the language it was written in; `langs` is what the client declared
    text: str
    langs: tuple[str, ...]
    hashtags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()


@dataclass
class Vocab:
    words: list[str]
    cum_weights: list[float] = field(default_factory=list)

    @classmethod
    def for_lang(cls, lang: str) -> Vocab:
        words = [w for w in wordfreq.top_n_list(lang, VOCAB_SIZE) if w.isalnum()]
        if lang == "ko":  # wordfreq splits Korean into morphemes; keep the word-like ones
            words = [w for w in words if len(w) >= 2]
        # Zipf-like sampling: common words dominate real text as they do in wordfreq.
        total, cum = 0.0, []
        for rank in range(len(words)):
            total += 1.0 / (rank + 10)
            cum.append(total)
        return cls(words, cum)

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=k)


def build_posts(n: int, seed: int) -> list[Post]:
    rng = random.Random(seed)
    vocabs = {lang: Vocab.for_lang(lang) for lang in LANG_WEIGHTS}
    langs, weights = list(LANG_WEIGHTS), list(LANG_WEIGHTS.values())
    return [make_post(rng, vocabs[lang], lang) for lang in rng.choices(langs, weights, k=n)]


def make_post(rng: random.Random, vocab: Vocab, lang: str) -> Post:
    # ~100 characters for alphabetic scripts; a CJK character carries about as much as two
    # Latin ones, so CJK posts of the same content are about half as long.
    mean = POST_CHARS // 2 if lang in UNSPACED else POST_CHARS
    target = max(10, min(300, int(rng.gauss(mean * 0.7, mean * 0.35))))
    parts: list[str] = []
    hashtags: list[str] = []
    links: list[str] = []
    length = 0
    while length < target:
        piece = sentence(rng, vocab, lang)
        parts.append(piece)
        length += len(piece) + 1
    if rng.random() < 0.15:
        parts.insert(0, f"@{rng.choice(vocab.words)}.bsky.social")
    if rng.random() < 0.12:
        tag = rng.choice(vocab.words).capitalize()
        hashtags.append(tag)
        parts.append("#" + tag)
    if rng.random() < 0.15:
        url = f"https://www.{rng.choice(DOMAINS)}/2024/{rng.randrange(100000)}/story-title"
        links.append(url)
        # Bluesky clients show a link as host + truncated path.
        parts.append(url.removeprefix("https://www.")[:28] + "...")
    if rng.random() < 0.25:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(EMOJI))
    if rng.random() < 0.1:
        parts.insert(rng.randrange(len(parts) + 1), str(rng.randrange(3000)))
    langs = () if rng.random() < NO_LANGS else (LANG_TAGS.get(lang, lang),)
    return Post(lang, " ".join(parts), langs, tuple(hashtags), tuple(links))


def sentence(rng: random.Random, vocab: Vocab, lang: str) -> str:
    words = vocab.sample(rng, rng.randint(3, 12))
    if lang == "ko":
        words = [w + rng.choice(KO_PARTICLES) for w in words]
    if lang in UNSPACED:
        return "".join(words) + rng.choice(("。", "！", "、", ""))
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice(PUNCT)


def naive_keywords(post: Post) -> list[str]:
    """Reference lower bound: whitespace split minus stopwords, nothing else."""
    stop = stopwords_for(post.langs)
    return [w for w in post.text.lower().split() if w not in stop]


def full_keywords(post: Post) -> list[tuple[str, str]]:
    return extract_keywords(post.text, post.langs, post.hashtags, post.links)


@dataclass(frozen=True)
class Rate:
    """Posts per second over `repeat` passes: the best (least disturbed) and the median."""

    best: float
    median: float


def measure(func: Callable[[Post], Sequence[object]], posts: list[Post], repeat: int) -> Rate:
    # CPU time of this process: other processes on a busy machine disturb it less than the
    # wall clock (they still share caches, so compare figures from the same run).
    rates = []
    for _ in range(repeat):
        start = time.process_time()
        for post in posts:
            func(post)
        rates.append(len(posts) / max(time.process_time() - start, 1e-9))
    return Rate(max(rates), statistics.median(rates))


HEADER = f"{'posts/s best':>14}{'median':>10}{'us/post':>9}{'keys/post':>11}"


def row(rate: Rate, keys: float) -> str:
    return f"{rate.best:>14,.0f}{rate.median:>10,.0f}{1e6 / rate.best:>9.2f}{keys:>11.1f}"


def print_comparison(posts: list[Post], repeat: int) -> None:
    chars = statistics.mean(len(p.text) for p in posts)
    print(f"{len(posts)} posts, {chars:.0f} chars/post on average, {repeat} passes")
    print(f"{'implementation':<24}{HEADER}")
    rates = {}
    for name, func in (
        ("extract_keywords", full_keywords),
        ("naive split+stopwords", naive_keywords),
    ):
        rates[name] = rate = measure(func, posts, repeat)
        keys = statistics.mean(len(func(p)) for p in posts)
        print(f"{name:<24}{row(rate, keys)}")
    ratio = rates["naive split+stopwords"].median / rates["extract_keywords"].median
    print(f"extract_keywords is {ratio:.1f}x slower than the naive reference (medians)\n")


def print_by_language(posts: list[Post], repeat: int) -> None:
    """extract_keywords per written language: CJK bigrams and Hangul have their own paths."""
    print(f"{'language':<10}{'posts':>7}{'chars':>7}{HEADER}")
    for lang in LANG_WEIGHTS:
        subset = [p for p in posts if p.lang == lang]
        if not subset:
            continue
        rate = measure(full_keywords, subset, repeat)
        chars = statistics.mean(len(p.text) for p in subset)
        keys = statistics.mean(len(full_keywords(p)) for p in subset)
        print(f"{lang:<10}{len(subset):>7}{chars:>7.0f}{row(rate, keys)}")


def print_native(posts: list[Post], repeat: int) -> None:
    """The compiled tokenizer (`trendlake.keywords_native`) on the same posts as lake rows, one
    batch call per pass, including the Polars series it builds; checks it agrees pair for
    pair."""
    from trendlake import keywords_native

    if not keywords_native.available():
        print("trendlake_native is not installed (pip install ./native): no native comparison")
        return
    frame = pl.DataFrame(
        {
            "text": [p.text for p in posts],
            "langs": [list(p.langs) for p in posts],
            "hashtags": [list(p.hashtags) for p in posts],
            "links": [list(p.links) for p in posts],
        },
        schema={
            "text": pl.String,
            **dict.fromkeys(("langs", "hashtags", "links"), pl.List(pl.String)),
        },
    )
    counts, keywords, kinds = keywords_native.extract_frame(frame)
    pairs = iter(zip(keywords.to_list(), kinds.to_list(), strict=True))
    got = [[next(pairs) for _ in range(count)] for count in counts.to_list()]
    diffs = sum(got[i] != full_keywords(post) for i, post in enumerate(posts))
    fallbacks = keywords_native.extract_buffers(frame)[4]
    rates = []
    for _ in range(repeat):
        start = time.process_time()
        keywords_native.extract_frame(frame)
        rates.append(len(posts) / max(time.process_time() - start, 1e-9))
    native = Rate(max(rates), statistics.median(rates))
    python = measure(full_keywords, posts, repeat)
    keys = statistics.mean(map(len, got))
    print(f"{'implementation':<24}{HEADER}")
    print(f"{'extract_keywords':<24}{row(python, keys)}")
    print(f"{'native batch + series':<24}{row(native, keys)}")
    print(
        f"native is {native.median / python.median:.1f}x faster (medians); "
        f"{diffs} posts differ, {fallbacks} went to the Python fallback\n"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--native", action="store_true", help="only compare with the compiled tokenizer"
    )
    args = parser.parse_args(argv)

    posts = build_posts(args.posts, args.seed)
    for post in posts:  # warm the caches (stopwords, words) so both contenders start equal
        full_keywords(post)
    if not args.native:
        print_comparison(posts, args.repeat)
        print_by_language(posts, args.repeat)
    print_native(posts, args.repeat)


if __name__ == "__main__":
    main()
