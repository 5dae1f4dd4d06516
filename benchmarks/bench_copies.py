"""CPU of a minute's copy keys (`trendlake.copies`): exact keys and near-copy clusters.

Run as ``python benchmarks/bench_copies.py [--repeat R]``. One minute of posts, at today's
Bluesky volume (2,500) and at 100x (250,000), in three shapes:

- mixed: `bench_text`'s multilingual posts (links, mentions, tags, emoji; about 100
  characters): 83% have the 6 distinct words a long post's key needs, nearly all the rest
  a short post's key (a word and two words, hashtags or domains);
- long: every post 12 distinct English words drawn at random, none like another: the most
  work for the clustering (every post hashed, banded and bucketed) and none of it folds;
- ring: the long posts, a tenth of them replaced by a ring's template with a made-up code
  filled into each copy, so that the clusters and their templates are computed too.

Each minute is given the templates it forms as if each of the TEMPLATE_MINUTES minutes
before had formed them too (a post alone in it is then looked up among ten times as many),
and as singles (posts left alone) those another minute of the same shape leaves alone, as
if each of the SINGLE_MINUTES minutes before had posted it.

Each is timed natively (the pipeline's path) and, at 2,500 posts, by the Python reference,
in the same process, with their ratio and whether their keys are the same; `folded` counts
the posts whose key is a cluster's template rather than their own words' (the ring's
copies; on the others, texts folded by chance). Figures are CPU seconds of this process,
the best of the passes. No asserts.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import wordfreq
from rich.console import Console
from rich.table import Table

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_text import build_posts

from trendlake import keywords_native
from trendlake.copies import (
    COPY_MIN_WORDS,
    SHORT_COPY_MIN_TOKENS,
    SINGLE_MINUTES,
    TEMPLATE_MINUTES,
    CopyMemory,
    copy_keys_and_memory,
)
from trendlake.windows import post_keywords

RATES = (2_500, 250_000)
PYTHON_UP_TO = 2_500  # the Python reference takes about a second per 2,500 long posts
LIST = pl.List(pl.String)
MINUTE_US = 60_000_000


def frame(texts: list[str], langs: list[list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"text": texts, "langs": langs, "hashtags": [[]] * len(texts), "links": [[]] * len(texts)},
        schema={"text": pl.String, "langs": LIST, "hashtags": LIST, "links": LIST},
    )


def mixed(n: int, seed: int = 7) -> pl.DataFrame:
    posts = build_posts(n, seed=seed)
    return pl.DataFrame(
        {
            "text": [p.text for p in posts],
            "langs": [list(p.langs) for p in posts],
            "hashtags": [list(p.hashtags) for p in posts],
            "links": [list(p.links) for p in posts],
        },
        schema={"text": pl.String, "langs": LIST, "hashtags": LIST, "links": LIST},
    )


def long(n: int, ring_share: float = 0.0, seed: int = 0) -> pl.DataFrame:
    rng = random.Random(n)
    words = [w for w in wordfreq.top_n_list("en", 30_000)[1_000:] if w.isalpha() and len(w) > 3]
    template = " ".join(rng.sample(words, 14))
    rng.seed(n + seed)  # the ring's template is the same whatever the seed
    texts = []
    for _ in range(n):
        if rng.random() < ring_share:
            code = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(6))
            texts.append(f"{template} code {code}7")
        else:
            texts.append(" ".join(rng.sample(words, 12)))
    return frame(texts, [["en"]] * n)


def best_cpu(run: Callable[[], pl.Series], repeat: int) -> tuple[float, pl.Series]:
    best, keys = float("inf"), pl.Series(dtype=pl.Int64)
    for _ in range(repeat):
        started = time.process_time()
        keys = run()
        best = min(best, time.process_time() - started)
    return best, keys


def measure(posts: pl.DataFrame, others: pl.DataFrame, repeat: int) -> tuple[str, ...]:
    """The table's figures for one minute of `posts`, `others` (of the same shape) posted in
    each of the SINGLE_MINUTES minutes before."""
    per_post, keywords, kinds = post_keywords(posts)
    n = posts.height
    minute = TEMPLATE_MINUTES * MINUTE_US
    one_minute = pl.Series("minute", [minute] * n, dtype=pl.Int64)
    apart = pl.Series("minute", range(0, n * MINUTE_US, MINUTE_US), dtype=pl.Int64)
    # What the minute forms, as if each of the minutes before had formed it too.
    _, formed = copy_keys_and_memory(per_post, keywords, kinds, one_minute)

    def before(frame: pl.DataFrame, minutes: int) -> pl.DataFrame:
        return pl.concat(
            frame.with_columns(pl.lit(m * MINUTE_US).cast(pl.Datetime("us", "UTC")).alias("minute"))
            for m in range(TEMPLATE_MINUTES - minutes, TEMPLATE_MINUTES)
        )

    _, left_alone = copy_keys_and_memory(*post_keywords(others), one_minute)
    remembered = CopyMemory(
        before(formed.templates, TEMPLATE_MINUTES), before(left_alone.singles, SINGLE_MINUTES)
    )

    def keys_of(minutes: pl.Series, native: bool = True) -> pl.Series:
        memory = remembered if minutes is one_minute else None
        keys, _ = copy_keys_and_memory(per_post, keywords, kinds, minutes, memory, native=native)
        return keys

    native, keys = best_cpu(lambda: keys_of(one_minute), repeat)
    folded = int((keys != keys_of(apart)).sum())  # apart, each post keeps its own key
    python = ratio = same = "-"
    if n <= PYTHON_UP_TO:
        seconds, reference = best_cpu(lambda: keys_of(one_minute, native=False), 1)
        python, ratio = f"{seconds:.3f}", f"{seconds / max(native, 1e-9):.0f}x"
        same = "yes" if reference.to_list() == keys.to_list() else "NO"
    return (
        f"{keys.count() / n:.0%}",
        f"{folded:,}",
        f"{formed.templates.height:,}",
        f"{formed.singles.height:,}",
        f"{native:.3f}",
        python,
        ratio,
        same,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not keywords_native.available():
        print("trendlake_native is not installed (pip install ./native): nothing to compare")
        return
    table = Table(title="copy keys of one minute (CPU seconds, best of passes)")
    columns = (
        "posts/min",
        "shape",
        "with a key",
        "folded",
        "templates",
        "singles",
        "native",
        "Python",
        "ratio",
        "same",
    )
    for name in columns:
        table.add_column(name, justify="right")
    shapes: dict[str, Callable[[int, int], pl.DataFrame]] = {
        "mixed": lambda n, seed: mixed(n, 7 + seed),
        "long": lambda n, seed: long(n, seed=seed),
        "ring": lambda n, seed: long(n, ring_share=0.1, seed=seed),
    }
    for rate in RATES:
        for shape, build in shapes.items():
            row = measure(build(rate, 0), build(rate, 1), args.repeat)
            table.add_row(f"{rate:,}", shape, *row)
    Console(width=120).print(table)
    print(
        f"with a key: {COPY_MIN_WORDS} distinct words or more, or a short post's key of "
        f"{SHORT_COPY_MIN_TOKENS} words, hashtags or domains; folded: posts whose key is their "
        "cluster's template, not their own words' (or a remembered one's); templates: those "
        f"the minute forms, each timed as remembered from the {TEMPLATE_MINUTES} minutes "
        "before as well; singles: the posts it leaves alone; it is timed with another "
        f"minute's remembered from the {SINGLE_MINUTES} minutes before; ratio: Python / "
        "native; same: the two gave the same keys"
    )


if __name__ == "__main__":
    main()
