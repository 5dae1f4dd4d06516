"""Copies of one text, posted by many accounts, count as one voice (`windows.copy_keys`)."""

from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import make_post
from trendlake import keywords_native
from trendlake.windows import (
    COPY_MIN_WORDS,
    copy_keys,
    exact_windows,
    keyword_occurrences,
    minute_counts,
    post_keywords,
    thread_keys,
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


def test_copies_posted_on_their_own_share_a_thread_but_replies_keep_their_root() -> None:
    rows = [make_post(AD, did=f"did:plc:bot{i}") for i in range(3)]
    rows += [make_post(AD, did="did:plc:replier", reply_root=ROOT)]
    rows += [make_post("zorblax", did="did:plc:short1"), make_post("zorblax", did="did:plc:s2")]
    posts = _posts(rows)
    per_post, keywords, kinds = post_keywords(posts)
    copies = copy_keys(per_post, keywords, kinds)
    threads = thread_keys(posts, copies).to_list()
    assert threads[0] == threads[1] == threads[2] == copies[0]
    assert threads[3] == thread_keys(posts)[3] != threads[0]  # the reply root's key
    assert len({threads[3], threads[4], threads[5], threads[0]}) == 4  # short posts: their own


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_a_ring_of_accounts_pasting_one_text_is_one_voice_in_its_window(native: bool) -> None:
    if native and not keywords_native.available():
        pytest.skip("trendlake_native is not built")
    ring = [make_post(AD, did=f"did:plc:bot{i}", minute=i % 3) for i in range(12)]
    people = [
        make_post(f"zorblax {word} is everywhere today", did=f"did:plc:p{i}", minute=i % 3)
        for i, word in enumerate(["sale", "drop", "hype", "launch", "news"])
    ]
    counts = minute_counts(keyword_occurrences(_posts(ring + people)), native=native)
    wanted = (
        counts.select("keyword", "kind")
        .unique()
        .with_columns(minute=pl.lit(counts["minute"].max()))
    )
    windows = exact_windows(counts, wanted.select("minute", "keyword", "kind"), 10, native=native)
    by_keyword = {row["keyword"]: row for row in windows.iter_rows(named=True)}
    assert by_keyword["sneakers"]["unique_authors"] == 12
    assert by_keyword["sneakers"]["unique_threads"] == 1  # the ring alone: one voice
    assert by_keyword["zorblax"]["unique_authors"] == 17
    assert by_keyword["zorblax"]["unique_threads"] == 6  # five people and the ring
