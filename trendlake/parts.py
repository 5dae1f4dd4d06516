"""Which keywords are parts of which (pure, Polars): a phrase's words, a hyphenated
compound's parts, the shorter slices of a word of three or four Han characters, and the
Katakana word and Han run (and its slices) a mixed word joins (text rule 6).

"grumpy noodle" trending makes "grumpy" and "noodle" trend by the same authors, as
"spider-man" makes "spider" trend, "大谷翔平" every bigram and 3-gram of it, and
"東京オリンピック" both "東京" and "オリンピック".
A word's surge is its whole's when a whole containing it has PHRASE_COVER of its authors in
the same window: one alert for the phrase, compound or name says it all.
"""

from __future__ import annotations

import polars as pl

from trendlake.text import HAN_CHARS, KATAKANA_CHARS, KIND_PHRASE, KIND_WORD, MAX_HAN_GRAM

PHRASE_COVER = 0.6  # a whole with >= 60% of a word's authors explains the word's surge

# A compound; a word of three or more Han characters, whose pieces are its slices; a
# Katakana word joined with a Han run.
_HAN = f"[{HAN_CHARS}]"
_KATAKANA = f"[{KATAKANA_CHARS}]"
_MIXED = f"^{_HAN}+{_KATAKANA}+$|^{_KATAKANA}+{_HAN}+$"
_WHOLE_WORD = f"-|^{_HAN}{{3,}}$|{_MIXED}"


def _is_whole() -> pl.Expr:
    """Keyword rows that have parts: phrases, compounds, Han words of 3+ characters and
    Katakana words joined with Han."""
    word = pl.col("kind") == KIND_WORD
    return (pl.col("kind") == KIND_PHRASE) | word & pl.col("keyword").str.contains(_WHOLE_WORD)


def _han_slices(keyword: pl.Expr) -> list[pl.Expr]:
    """The slices of 2 to MAX_HAN_GRAM - 1 characters (shorter ones at the word's end)."""
    return [
        keyword.str.slice(offset, length)
        for length in range(2, MAX_HAN_GRAM)
        for offset in range(MAX_HAN_GRAM - length + 1)
    ]


def whole_parts(rows: pl.DataFrame) -> pl.DataFrame:
    """(minute, word, whole_authors): each whole of `rows` once per word it contains."""
    keyword = pl.col("keyword")
    wholes = rows.filter(_is_whole()).select(
        "minute", "kind", "keyword", whole_authors="unique_authors"
    )
    phrase = pl.col("kind") == KIND_PHRASE
    compound = ~phrase & keyword.str.contains("-", literal=True)
    mixed = ~phrase & ~compound & keyword.str.contains(_MIXED)
    han = keyword.str.replace_all(_KATAKANA, "")  # the Han run of a mixed word
    # Each kind of whole apart: in one when/then every branch would run on every row, and
    # slicing the phrases cost more than the rest of the scores step's parts together.
    kinds = (
        (phrase, keyword.str.split(" ")),
        (compound, keyword.str.split("-")),
        (mixed, pl.concat_list(han, keyword.str.replace_all(_HAN, ""), *_han_slices(han))),
        # Every slice of a Han word is one of its keywords: the text gives them all.
        (~phrase & ~compound & ~mixed, pl.concat_list(_han_slices(keyword))),
    )
    return (
        pl.concat([wholes.filter(which).with_columns(word=words) for which, words in kinds])
        .explode("word")
        .filter((pl.col("word") != keyword) & (pl.col("word").str.len_chars() >= 2))
        .select("minute", "word", "whole_authors")
    )


def cover_authors(rows: pl.DataFrame) -> pl.Series:
    """For each row of `rows` (minute, keyword, kind, unique_authors): the most distinct
    authors of a whole of the same minute that contains it (null: none does)."""
    best = (
        whole_parts(rows)
        .group_by("minute", "word")
        .agg(cover_authors=pl.col("whole_authors").max())
        .with_columns(kind=pl.lit(KIND_WORD))
    )
    return rows.select("minute", "keyword", "kind").join(
        best,
        left_on=["minute", "keyword", "kind"],
        right_on=["minute", "word", "kind"],
        how="left",
        maintain_order="left",
    )["cover_authors"]


def covered(authors: pl.Expr, cover: pl.Expr) -> pl.Expr:
    """Whether a word with `authors` is explained by a whole with `cover` authors."""
    return cover.is_not_null() & (cover >= PHRASE_COVER * authors)
