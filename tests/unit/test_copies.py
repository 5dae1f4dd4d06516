"""Copies of one text, posted by many accounts, count as one voice (`windows.copy_keys`)."""

from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import make_post
from trendlake import keywords_native
from trendlake.scoring import voices
from trendlake.windows import (
    COPY_MIN_WORDS,
    author_key,
    copy_keys,
    exact_windows,
    keyword_occurrences,
    minute_counts,
    post_keywords,
)

AD = "Grab the cheapest sneakers online today, free shipping on every zorblax order"
ROOT = "at://did:plc:op/app.bsky.feed.post/root"


def _posts(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={"event_time": pl.Datetime("us", "UTC")})


def _keys(texts: list[str], *, native: bool = True) -> list[int | None]:
    posts = _posts([make_post(text, did=f"did:plc:{i}") for i, text in enumerate(texts)])
    return copy_keys(*post_keywords(posts, native=native), native=native).to_list()


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_word_for_word_copies_share_a_key_whatever_their_case_marks_and_order(
    native: bool,
) -> None:
    if native and not keywords_native.available():
        pytest.skip("trendlake_native is not built")
    same = [
        AD,
        AD.upper() + "!!! 🔥🔥",
        f"@someone.bsky.social {AD} https://shop.example/p/12345",
        "free shipping on every zorblax order: grab the cheapest sneakers online today",
        f"{AD} {AD}",  # a repeat adds no word
        f"{AD} 48213 #deal",  # numbers are no words, hashtags count apart
    ]
    other = [
        AD.replace("sneakers", "boots"),  # a word changed
        AD + " tomorrow",  # a word more
        "happy new year everyone",  # too short to tell a copy from the same thought
    ]
    keys = _keys(same + other, native=native)
    assert keys[0] is not None and set(keys[: len(same)]) == {keys[0]}
    assert keys[len(same)] not in (None, keys[0])
    assert keys[len(same) + 1] not in (None, keys[0], keys[len(same)])
    assert keys[-1] is None


def test_a_post_needs_the_minimum_of_distinct_words_for_a_key() -> None:
    words = ["zorblax", "quibble", "frobnitz", "wibble", "snorkel", "gadget", "widget"]
    at_minimum = " ".join(words[:COPY_MIN_WORDS])
    below = " ".join(words[: COPY_MIN_WORDS - 1])
    padded = " ".join([*words[: COPY_MIN_WORDS - 1], *words[: COPY_MIN_WORDS - 1]])
    assert _keys([at_minimum, below, padded]) == [_keys([at_minimum])[0], None, None]


@pytest.mark.skipif(not keywords_native.available(), reason="trendlake_native is not built")
def test_native_and_python_copy_keys_agree_on_many_languages() -> None:
    texts = [
        AD,
        "ポケモンの新作が発表されました、今日の夜に公式サイトで詳しい情報が出るそうです",
        "Der neue Zug nach Berlin fährt heute später ab, alle Reisenden müssen warten",
        "오늘 서울 날씨가 정말 좋아서 공원에 산책하러 갔다가 친구를 만났어요",
        "#Tag only https://example.org/a",
        "",
        "Última hora: el Ayuntamiento aprueba el nuevo plan de movilidad urbana sostenible",
    ]
    native = _keys(texts)
    assert native == _keys(texts, native=False)
    assert sum(key is not None for key in native) >= 4


def test_each_occurrence_carries_its_texts_key_or_else_its_authors() -> None:
    rows = [make_post(AD, did=f"did:plc:bot{i}") for i in range(2)]
    rows += [make_post(AD, did="did:plc:replier", reply_root=ROOT)]  # a pasted reply
    rows += [make_post("zorblax", did="did:plc:short")]
    occurrences = keyword_occurrences(_posts(rows)).filter(pl.col("keyword") == "zorblax")
    by_author = {r["author_key"]: r for r in occurrences.iter_rows(named=True)}
    copies = [by_author[author_key(f"did:plc:{name}")]["copy_key"] for name in ("bot0", "bot1")]
    replier = by_author[author_key("did:plc:replier")]
    assert copies[0] == copies[1] == replier["copy_key"] == _keys([AD])[0]
    assert replier["thread_key"] == author_key(ROOT)  # threads stay threads
    short = by_author[author_key("did:plc:short")]
    assert short["copy_key"] == short["author_key"]


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_a_ring_pasting_one_text_is_one_voice_however_it_posts(native: bool) -> None:
    if native and not keywords_native.available():
        pytest.skip("trendlake_native is not built")
    ring = [make_post(AD, did=f"did:plc:bot{i}", minute=i % 3) for i in range(6)]
    ring += [  # the same text pasted as replies under six other posts
        make_post(AD, did=f"did:plc:bot{i}", minute=i % 3, reply_root=f"{ROOT}{i}")
        for i in range(6, 12)
    ]
    people = [
        make_post(f"zorblax {word} is everywhere today", did=f"did:plc:p{i}", minute=i % 3)
        for i, word in enumerate(["sale", "drop", "hype", "launch", "news"])
    ]
    storm = [  # one busy thread: long replies, each its own text, under one post
        make_post(f"{word} quibble reply number with many more words {i}", did=f"did:plc:s{i}",
                  reply_root=ROOT)
        for i, word in enumerate(["alpha", "beta", "gamma", "delta", "omega", "sigma"])
    ]  # fmt: skip
    counts = minute_counts(keyword_occurrences(_posts(ring + people + storm)), native=native)
    last = counts["minute"].max()
    wanted = counts.select("keyword", "kind").unique().with_columns(minute=pl.lit(last))
    windows = exact_windows(counts, wanted, 10, native=native)
    by_keyword = {row["keyword"]: row for row in windows.iter_rows(named=True)}
    sneakers = by_keyword["sneakers"]
    assert (sneakers["unique_authors"], sneakers["unique_threads"]) == (12, 12)
    assert sneakers["unique_copies"] == 1  # the ring alone: one voice
    zorblax = by_keyword["zorblax"]
    assert (zorblax["unique_authors"], zorblax["unique_copies"]) == (17, 6)  # 5 people, 1 ring
    quibble = by_keyword["quibble"]
    assert (quibble["unique_authors"], quibble["unique_copies"]) == (6, 6)
    assert quibble["unique_threads"] == 1  # the storm: one voice by its thread
    voiced = windows.select(
        "keyword",
        v=voices(pl.col("unique_authors"), pl.col("unique_threads"), pl.col("unique_copies")),
    )
    v = dict(voiced.iter_rows())
    assert (v["sneakers"], v["zorblax"], v["quibble"]) == (1, 6, 1)


def test_windows_of_minutes_counted_before_copies_were_have_none() -> None:
    posts = _posts([make_post(AD, did=f"did:plc:bot{i}") for i in range(3)])
    counts = minute_counts(keyword_occurrences(posts)).with_columns(
        copy_keys=pl.lit(None, pl.List(pl.Int64))
    )
    wanted = counts.select("minute", "keyword", "kind")
    for native in (True, False):
        windows = exact_windows(counts, wanted, 10, native=native)
        assert windows["unique_copies"].is_null().all()
        assert windows["recent_copies"].is_null().all()
        assert (windows["unique_authors"] == 3).all()
    assert exact_windows(counts.drop("copy_keys"), wanted, 10)["unique_copies"].is_null().all()
