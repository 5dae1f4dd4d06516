"""What cutting Thai into words costs: the tokenizer on Thai posts against English ones.

Thai words are found by newmm over PyThaiNLP's word list (`trendlake.text`, rule 6), which
costs more a character than the rest of the tokenizer. Run as ``python
benchmarks/bench_segment.py [--posts N] [--repeat R]``: it builds posts of the same lengths
in Thai (from common Thai words, clauses separated by spaces as Thai writes them) and in
English (wordfreq's list), tokenizes both as the counts step does in this process
(`post_keywords`: the native tokenizer, or the Python one when it is not built), and
prints CPU time per post and per character, their ratio, and what a share of Thai posts
adds to a minute at today's volume and at 100 times it. No timing asserts.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import polars as pl
import wordfreq
from rich.console import Console
from rich.table import Table

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trendlake import keywords_native
from trendlake.windows import post_keywords

# Common Thai words (wordfreq has no Thai list): places, news, daily life, feelings.
THAI_WORDS = [
    "กรุงเทพ", "ประเทศไทย", "รัฐบาล", "นายกรัฐมนตรี", "เลือกตั้ง", "ฟุตบอล", "ทีมชาติ", "ข่าว",
    "วันนี้", "อากาศ", "ร้อน", "ฝนตก", "น้ำท่วม", "แผ่นดินไหว", "เชียงใหม่", "ภูเก็ต", "อาหาร",
    "ร้านอาหาร", "กาแฟ", "เพลง", "คอนเสิร์ต", "ภาพยนตร์", "ละคร", "นักแสดง", "โทรศัพท์",
    "มือถือ", "ราคา", "เศรษฐกิจ", "โรงเรียน", "มหาวิทยาลัย", "นักเรียน", "ครู", "เพื่อน",
    "ครอบครัว", "ความรัก", "ทำงาน", "บริษัท", "ตลาด", "รถไฟฟ้า", "สนามบิน", "เที่ยว", "ทะเล",
    "ภูเขา", "สวย", "อร่อย", "สนุก", "เหนื่อย", "ดีใจ", "เสียใจ", "ขอบคุณ", "ครับ", "ค่ะ",
    "มาก", "จริงๆ", "ที่", "และ", "ของ", "ใน", "เป็น", "ไม่", "ได้", "จะ", "มี", "ให้",
]  # fmt: skip
POST_CHARS = (40, 200)  # uniform lengths, in characters, of both languages' posts
TODAY_PER_MINUTE = 2_500
SHARES = (0.005, 0.01, 0.02)


def posts(rng: random.Random, words: list[str], joiner: str, n: int) -> list[str]:
    """`n` posts of `words` drawn at random, clauses of 2 to 6 words, lengths in POST_CHARS."""
    out = []
    for _ in range(n):
        target = rng.randint(*POST_CHARS)
        clauses: list[str] = []
        while sum(map(len, clauses)) + len(clauses) < target:
            clauses.append(joiner.join(rng.choices(words, k=rng.randint(2, 6))))
        out.append(" ".join(clauses)[:target])
    return out


def frame(texts: list[str], lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "text": texts,
            "langs": [[lang]] * len(texts),
            "hashtags": [[] for _ in texts],
            "links": [[] for _ in texts],
        },
        schema={
            "text": pl.String,
            "langs": pl.List(pl.String),
            "hashtags": pl.List(pl.String),
            "links": pl.List(pl.String),
        },
    )


def best_cpu(batch: pl.DataFrame, repeat: int) -> float:
    """Least CPU seconds of `repeat` tokenizations of the batch."""
    post_keywords(batch.head(100))  # warm up: word list, models, stopword sets
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        post_keywords(batch)
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    english = [w for w in wordfreq.top_n_list("en", 5000) if w.isalpha()]
    batches = {
        "th": frame(posts(rng, list(THAI_WORDS), "", args.posts), "th"),
        "en": frame(posts(rng, english, " ", args.posts), "en"),
    }
    tokenizer = "native" if keywords_native.available() else "Python (native not built)"
    table = Table(title=f"{tokenizer} tokenizer, {args.posts:,} posts each, best of {args.repeat}")
    for column in ("posts", "chars a post", "µs a post", "ns a char", "ratio to en"):
        table.add_column(column, justify="right")
    cpu = {lang: best_cpu(batch, args.repeat) for lang, batch in batches.items()}
    per_post = {lang: cpu[lang] / batches[lang].height for lang in batches}
    for lang, batch in batches.items():
        chars = int(batch["text"].str.len_chars().sum())
        table.add_row(
            lang,
            f"{chars / batch.height:.0f}",
            f"{per_post[lang] * 1e6:.1f}",
            f"{cpu[lang] / chars * 1e9:.0f}",
            f"{per_post[lang] / per_post['en']:.1f}x",
        )
    console = Console()
    console.print(table)
    extra = per_post["th"] - per_post["en"]
    for rate in (TODAY_PER_MINUTE, 100 * TODAY_PER_MINUTE):
        added = ", ".join(f"{share:.1%} Thai: +{rate * share * extra:.2f} s" for share in SHARES)
        console.print(f"CPU a minute at {rate:,} posts: {added}")


if __name__ == "__main__":
    main()
