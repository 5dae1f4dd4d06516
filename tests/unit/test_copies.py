"""Copies of one text, word for word or nearly, posted by many accounts, count as one voice
(`trendlake.copies`)."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import T0, make_post
from trendlake import copies, keywords_native
from trendlake.config import Settings
from trendlake.copies import (
    COPY_MIN_WORDS,
    SINGLE_MINUTES,
    TEMPLATE_MINUTES,
    copy_keys,
    copy_keys_and_memory,
)
from trendlake.lake import Lake
from trendlake.models import COPY_SINGLES, COPY_TEMPLATES, KEYWORD_COUNTS, POSTS
from trendlake.pipeline import MinuteRange, chunk_minutes, compute_counts
from trendlake.scoring import voices
from trendlake.timeutil import MINUTE as M
from trendlake.windows import (
    author_key,
    exact_windows,
    keyword_occurrences,
    minute_counts,
    post_keywords,
)

AD = "Grab the cheapest sneakers online today, free shipping on every zorblax order"
ROOT = "at://did:plc:op/app.bsky.feed.post/root"


def _posts(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={"event_time": pl.Datetime("us", "UTC")})


def _keys(
    texts: list[str], *, native: bool = True, minutes: list[int] | None = None
) -> list[int | None]:
    """The texts' copy keys; each posted alone, TEMPLATE_MINUTES + 1 minutes after the one
    before, unless `minutes` are given (near copies are clustered within a minute, and a
    post alone matched against the minutes just before)."""
    apart = TEMPLATE_MINUTES + 1
    minutes = minutes if minutes is not None else [apart * i for i in range(len(texts))]
    rows = [make_post(text, did=f"did:plc:{i}", minute=m) for i, (text, m) in
            enumerate(zip(texts, minutes, strict=True))]  # fmt: skip
    posts = _posts(rows)
    minute = posts["event_time"].dt.truncate("1m")
    return copy_keys(*post_keywords(posts, native=native), minute, native=native).to_list()


def _native_or_skip(native: bool) -> None:
    if native and not keywords_native.available():
        pytest.skip("trendlake_native is not built")


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_word_for_word_copies_share_a_key_whatever_their_case_marks_and_order(
    native: bool,
) -> None:
    _native_or_skip(native)
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
    ]
    keys = _keys(same + other, native=native)
    assert keys[0] is not None and set(keys[: len(same)]) == {keys[0]}
    assert keys[len(same)] not in (None, keys[0])
    assert keys[len(same) + 1] not in (None, keys[0], keys[len(same)])


def test_a_post_below_the_minimum_of_words_is_keyed_word_for_word() -> None:
    words = ["zorblax", "quibble", "frobnitz", "wibble", "snorkel", "gadget", "widget"]
    at_minimum = " ".join(words[:COPY_MIN_WORDS])
    below = " ".join(words[: COPY_MIN_WORDS - 1])
    padded = " ".join([*words[: COPY_MIN_WORDS - 1], *words[: COPY_MIN_WORDS - 1]])
    near = " ".join(words[: COPY_MIN_WORDS - 2])  # a word fewer: short posts are not clustered
    keys = _keys([at_minimum, below, padded, near], minutes=[0, 0, 0, 0])
    assert keys[0] == _keys([at_minimum])[0]
    assert keys[1] is not None and keys[1] == keys[2] != keys[0]
    assert keys[3] not in (None, keys[1])


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_short_posts_share_a_key_with_their_hashtags_and_domains_but_one_word_or_tags_alone_none(
    native: bool,
) -> None:
    _native_or_skip(native)
    same = [
        "check my profile zorvexa 😘",
        "Check my PROFILE, zorvexa!!",
        "@someone.bsky.social check my profile zorvexa",
    ]
    spam = [
        "free followers https://getfollowz.example/123",
        "FREE followers https://getfollowz.example/987?ref=x",  # the path does not count
    ]
    other = [
        "free followers https://other.example/1",  # another domain: another text
        "free followers #sale",  # a hashtag more: another text
        "happy new year everyone",  # people write it word for word too: a key of its own
        "mood",  # one word alone: no key
        "#eurovision #esc",  # hashtags alone: no key
        "#eurovision https://vote.example/now",  # no word: no key
        "Spider-Man 🕷️",  # one written word: its parts `spider` and `man` do not count
        "大谷翔平！",  # one written word: its bigrams do not count
    ]
    keys = _keys(same + spam + other, native=native)
    assert keys[0] is not None and set(keys[:3]) == {keys[0]}
    assert keys[3] is not None and keys[3] == keys[4] != keys[0]
    assert len({*keys[:3], keys[3], *keys[5:8]}) == 5
    assert None not in keys[5:8]
    assert keys[8:] == [None] * 5


def test_written_words_leave_out_what_the_tokenizer_made_of_other_words() -> None:
    assert copies.written_words({"spider-man", "spider", "man", "woman"}) == {
        "spider-man",
        "woman",  # `man` inside it is a word of its own, not a part
    }
    han = {"大谷", "谷翔", "翔平", "大谷翔", "谷翔平", "大谷翔平", "最高"}
    assert copies.written_words(han) == {"大谷翔平", "最高"}
    assert copies.written_words({"ポケモンゴー", "最高", "ポケモンゴー最高"}) == {
        "ポケモンゴー最高"
    }


@pytest.mark.skipif(not keywords_native.available(), reason="trendlake_native is not built")
def test_native_and_python_copy_keys_agree_on_many_languages() -> None:
    texts = [
        AD,
        "ポケモンの新作が発表されました、今日の夜に公式サイトで詳しい情報が出るそうです",
        "Der neue Zug nach Berlin fährt heute später ab, alle Reisenden müssen warten",
        "오늘 서울 날씨가 정말 좋아서 공원에 산책하러 갔다가 친구를 만났어요",
        "#Tag only https://example.org/a",
        "今日のライブ最高 #ドラマ",
        "free followers https://getfollowz.example/1",
        "Spider-Man 🕷️ and Iron-Man",
        "大谷翔平がホームランを打った！ #mlb",
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
    _native_or_skip(native)
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
        make_post(f"quibble {' '.join(words)}", did=f"did:plc:s{i}", reply_root=ROOT)
        for i, words in enumerate(_distinct_texts(6, 6))
    ]
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


def _distinct_texts(n: int, words: int) -> list[list[str]]:
    """`n` word lists of `words` made-up words each, no word shared."""
    vocabulary = [f"{a}{b}{c}" for a in "bdfgk" for b in "aeiou" for c in ("lm", "rn", "st")]
    random.Random(n).shuffle(vocabulary)
    return [vocabulary[i * words : (i + 1) * words] for i in range(n)]


AD_TEMPLATE = "Claim your free bonus crypto tokens today with promo code {} before the offer ends"
GREETING = "Hey {} {} you won a prize, claim it now at the winner portal zentrovia"
NAMES = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "nina",
    "oscar",
]


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_near_copies_of_one_minute_share_their_templates_key(native: bool) -> None:
    _native_or_skip(native)
    codes = ["x7k2pq", "m3v9aa", "qq41zt", "bn8w2e", "yy6r0p"]
    ads = [AD_TEMPLATE.format(code) for code in codes]
    rng = random.Random(3)
    greetings = [GREETING.format(*rng.sample(NAMES, 2)) for _ in range(8)]
    people = [" ".join(words) for words in _distinct_texts(4, 7)]
    texts = ads + greetings + people
    keys = _keys(texts, native=native, minutes=[0] * len(texts))
    ad_keys, greeting_keys = keys[: len(ads)], keys[len(ads) : len(ads) + len(greetings)]
    # Every ad, whatever its code, takes the key of the words all ads share; the same key
    # any minute the ring posts, and that of the template posted word for word.
    template = AD_TEMPLATE.format("").replace("  ", " ")
    assert set(ad_keys) == {_keys([template])[0]}
    later = _keys([AD_TEMPLATE.format("zz99aa"), AD_TEMPLATE.format("kk11bb")], minutes=[5, 5])
    assert set(later) == {ad_keys[0]}
    # The greetings, two names of thirteen each: one key, not the ads'.
    assert len(set(greeting_keys)) == 1 and greeting_keys[0] != ad_keys[0]
    # People writing their own texts keep their own keys.
    assert keys[-len(people) :] == [_keys([text])[0] for text in people]


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_short_near_copies_with_enough_tokens_share_their_templates_key(native: bool) -> None:
    _native_or_skip(native)
    codes = ["k7xm2q", "a8bn3p", "zz41qt", "pq9w2e"]
    # 4 words, the code and the domain: 6 tokens, one changed in each copy (5 of 7 alike).
    ring = [f"grab free tokens code {code} https://zentrodrop.example/{code}" for code in codes]
    # People writing 4 tokens a word apart are not clustered (3 of 5 would be enough).
    people = ["watching the eclipse from london today", "watching the eclipse from paris today"]
    texts = ring + people
    keys = _keys(texts, native=native, minutes=[0] * len(texts))
    template = _keys(["grab free tokens code https://zentrodrop.example/x"])[0]
    assert set(keys[: len(ring)]) == {template}
    assert keys[len(ring) :] == [_keys([text])[0] for text in people]
    assert len(set(keys[len(ring) :])) == 2
    # Long and short texts are clustered apart, and their keys never meet.
    assert template != _keys([AD])[0]


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_texts_sharing_less_than_three_fifths_of_their_words_are_not_copies(
    native: bool,
) -> None:
    _native_or_skip(native)
    shared, own_a, own_b, own_c = _distinct_texts(4, 6)
    # 6 shared + 4 own each: 6 of 14 words (0.43); with 1 own each: 6 of 8 (0.75).
    apart = [" ".join(shared + own_a[:4]), " ".join(shared + own_b[:4])]
    close = [" ".join(shared + own_a[:1]), " ".join(shared + own_c[:1])]
    far = _keys(apart, native=native, minutes=[0, 0])
    near = _keys(close, native=native, minutes=[0, 0])
    assert far == [_keys([text])[0] for text in apart] and far[0] != far[1]
    assert near[0] == near[1] == _keys([" ".join(shared)])[0]


def test_the_similarity_needed_is_three_fifths_of_all_words_shared() -> None:
    six, other = list(range(6)), list(range(100, 110))
    assert copies._similar(six + other[:2], six + other[2:4])  # 6 of 10
    assert not copies._similar(six + other[:3], six + other[3:5])  # 6 of 11
    assert copies._similar(six, six)


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_near_copy_keys_do_not_depend_on_the_order_of_the_posts(native: bool) -> None:
    _native_or_skip(native)
    rng = random.Random(11)
    texts = list(dict.fromkeys(_spun_ring(rng)))  # distinct texts, to find each one's key
    texts += [AD_TEMPLATE.format(f"c{i}x") for i in range(6)]
    minutes = [i % 2 for i in range(len(texts))]
    keys = dict(zip(texts, _keys(texts, native=native, minutes=minutes), strict=True))
    order = list(range(len(texts)))
    rng.shuffle(order)
    shuffled = [texts[i] for i in order]
    again = _keys(shuffled, native=native, minutes=[minutes[i] for i in order])
    assert again == [keys[text] for text in shuffled]


@pytest.mark.skipif(not keywords_native.available(), reason="trendlake_native is not built")
def test_native_and_python_near_copy_keys_agree_on_a_random_ring() -> None:
    rng = random.Random(5)
    texts = _spun_ring(rng)
    minutes = [rng.randrange(3) for _ in texts]
    native = _keys(texts, minutes=minutes)
    assert native == _keys(texts, native=False, minutes=minutes)
    assert len(set(native[:120])) <= 20  # the ring folds to a few keys a minute
    assert len(set(native[120:180])) >= 55  # the other posts stay themselves
    assert len(set(native[180:])) < 20  # the short ones cluster among themselves
    assert not set(native[180:]) & set(native[:180])


@pytest.mark.skipif(not keywords_native.available(), reason="trendlake_native is not built")
@pytest.mark.parametrize("seed", [5, 6, 7])
def test_native_and_python_agree_on_slow_rings_and_remembered_templates(seed: int) -> None:
    rng = random.Random(seed)
    texts = _spun_ring(rng)
    minutes = [rng.randrange(30) for _ in texts]  # a few posts a minute: many alone
    for m in range(30):  # and two slow rings, long and short, 1 or 2 copies a minute
        for _ in range(rng.choice((1, 1, 2))):
            texts.append(SLOW.format(_code(rng), rng.randrange(100, 10_000)))
            minutes.append(m)
        if rng.random() < 0.5:
            texts.append(f"grab free tokens code {_code(rng)} https://zentrodrop.example/x")
            minutes.append(m)
    # Minutes 0-14 in one call, then 15-29 given the templates of 5-14 and singles of 12-14.
    early = [i for i, m in enumerate(minutes) if m < 15]
    late = [i for i, m in enumerate(minutes) if m >= 15]
    results = []
    for native in (True, False):
        keys, formed = _keys_and_memory([texts[i] for i in early],
                                        [minutes[i] for i in early], native=native)  # fmt: skip
        remembered = copies.CopyMemory(
            formed.templates.filter(pl.col("minute") >= T0 + timedelta(minutes=5)),
            formed.singles.filter(pl.col("minute") >= T0 + timedelta(minutes=12)),
        )
        later, formed_later = _keys_and_memory(
            [texts[i] for i in late], [minutes[i] for i in late], remembered, native=native
        )
        results.append((keys, formed, later, formed_later))
    (keys, formed, later, formed_later), python = results
    assert keys == python[0] and later == python[2]
    for made, reference in ((formed, python[1]), (formed_later, python[3])):
        assert made.templates.equals(reference.templates)
        assert made.singles.equals(reference.singles)
        assert made.templates.height > 0 and made.singles.height > 0
    assert (formed.templates["short"].any(), formed.templates["short"].all()) == (True, False)
    # The same keys as the thirty minutes in one call.
    whole, _ = _keys_and_memory(texts, minutes)
    assert [whole[i] for i in early] == keys and [whole[i] for i in late] == later


SLOW = (
    "Exclusive members deal on premium vitamin gummies this week, order through our trusted "
    "wellness shop and save: code {} {}"
)
SLOW_TWICE = {3, 9, 16, 22, 28, 34}  # minutes of two copies; one in each other minute


def _made_up(rng: random.Random) -> str:
    return "".join(rng.choices("bdfgklmnprstvz", k=3)) + rng.choice("aeiou") + "x"


def _code(rng: random.Random) -> str:
    return "".join(rng.choices("abcdefghjkmnpqrstuvwxyz0123456789", k=6))


def _slow_ring(rng: random.Random, minutes: int = 30) -> tuple[list[str], list[int]]:
    texts, at = [], []
    for m in range(minutes):
        for _ in range(2 if m in SLOW_TWICE else 1):
            texts.append(SLOW.format(_code(rng), rng.randrange(100, 10_000)))
            at.append(m)
    return texts, at


def _keys_and_memory(
    texts: list[str],
    minutes: list[int],
    memory: copies.CopyMemory | None = None,
    *,
    native: bool = True,
) -> tuple[list[int | None], copies.CopyMemory]:
    rows = [make_post(text, did=f"did:plc:{i}", minute=m) for i, (text, m) in
            enumerate(zip(texts, minutes, strict=True))]  # fmt: skip
    posts = _posts(rows)
    minute = posts["event_time"].dt.truncate("1m")
    keys, formed = copy_keys_and_memory(
        *post_keywords(posts, native=native), minute, memory, native=native
    )
    return keys.to_list(), formed


PEOPLE_ON_GUMMIES = [
    "My kids love these vitamin gummies, they ask for them every single morning now",
    "Tried the premium vitamin gummies from the shop down the road and honestly not bad",
    "Does anyone know if vitamin gummies actually work or is it just candy for adults",
]


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_a_slow_rings_copies_after_its_first_take_the_key_of_its_words(native: bool) -> None:
    _native_or_skip(native)
    ring, minutes = _slow_ring(random.Random(1))
    people = PEOPLE_ON_GUMMIES
    keys = _keys(ring + people, native=native, minutes=[*minutes, 5, 12, 20])
    ring_keys, people_keys = keys[: len(ring)], keys[len(ring) :]
    template = _keys([SLOW.format("", "")], native=native)[0]
    # The first copy is itself; each later one alone in its minute shares the ring's words
    # with the copy of the minute before, and those of two in a minute form its template.
    assert ring_keys[0] != template
    assert set(ring_keys[1:]) == {template}
    # People writing of the ring's words keep their own keys, alone in their minutes too.
    assert people_keys == [_keys([text], native=native)[0] for text in people]
    # Copies more than TEMPLATE_MINUTES apart stay themselves.
    apart = _keys(ring[:5], native=native, minutes=[100 * i for i in range(5)])
    assert len(set(apart)) == 5


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_templates_serve_the_ten_minutes_after_theirs_only(native: bool) -> None:
    _native_or_skip(native)
    rng = random.Random(2)
    pair = [SLOW.format(_code(rng), 1), SLOW.format(_code(rng), 2)]
    later = [SLOW.format(_code(rng), 3) for _ in range(4)]
    at = [0, 0, 0, 1, TEMPLATE_MINUTES, TEMPLATE_MINUTES + SINGLE_MINUTES + 1]
    keys, formed = _keys_and_memory(pair + later, at, native=native)
    template = keys[0]
    # Three copies of minute 0 form it; the next ten minutes' copies alone take it; the
    # last, past them and more than SINGLE_MINUTES after any copy, does not; and a post
    # that took it forms no template.
    assert keys[:3] == [template] * 3
    assert keys[3:5] == [template, template]
    assert keys[5] != template
    assert formed.templates.select("key", "short").rows() == [(template, False)]
    assert formed.templates["minute"].to_list() == [T0]
    # The three copies alone are singles, keyed by their own words.
    assert formed.singles["key"].to_list() == _keys(later[1:], native=native)
    assert formed.singles["minute"].to_list() == [T0 + m * M for m in at[3:]]


def _remembered(
    tokens: list[str], minutes_before: int, key: int, short: bool = False
) -> dict[str, object]:
    """A row of TEMPLATE_SCHEMA: of the tokens' hashes, `minutes_before` minute 20."""
    hashes = sorted({copies._word_hash(w) for w in tokens})
    signed = sorted(h - (1 << 64) if h >= 1 << 63 else h for h in hashes)
    at = T0 + timedelta(minutes=20 - minutes_before)
    return {"minute": at, "key": key, "short": short, "token_hashes": signed}


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_a_post_alone_takes_the_most_alike_template_then_the_latest_then_the_smallest_key(
    native: bool,
) -> None:
    _native_or_skip(native)
    words = _distinct_texts(1, 14)[0]
    post = " ".join(words[:10])

    def key_of(*templates: dict[str, object]) -> int | None:
        frame = pl.DataFrame(list(templates), schema=copies.TEMPLATE_SCHEMA)
        memory = copies.CopyMemory(frame, copies.empty_templates())
        return _keys_and_memory([post], [20], memory, native=native)[0][0]

    own = _keys([post], native=native)[0]
    close, closer = words[:9] + words[10:12], words[:10] + words[10:11]  # 9/12 and 10/11
    template = _remembered
    assert key_of(template(close, 5, 1), template(closer, 8, 2)) == 2
    assert key_of(template(close, 5, 1), template(close, 3, 2)) == 2  # the latest
    assert key_of(template(close, 5, 7), template(close, 5, 3)) == 3  # the smallest key
    assert key_of(template(close, 11, 1)) == own  # too old
    assert key_of(template(close, 0, 1)) == own  # its own minute
    assert key_of(template(close, 5, 1, short=True)) == own  # of short posts
    assert key_of(template(words[4:14], 5, 1)) == own  # 6 of 14 alike


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_a_post_alone_matching_no_template_takes_the_words_it_shares_with_a_single(
    native: bool,
) -> None:
    _native_or_skip(native)
    words = _distinct_texts(1, 14)[0]
    post = " ".join(words[:10])

    def key_of(
        *singles: dict[str, object], templates: tuple[dict[str, object], ...] = ()
    ) -> int | None:
        memory = copies.CopyMemory(
            pl.DataFrame(list(templates), schema=copies.TEMPLATE_SCHEMA),
            pl.DataFrame(list(singles), schema=copies.TEMPLATE_SCHEMA),
        )
        return _keys_and_memory([post], [20], memory, native=native)[0][0]

    def shared(tokens: list[str]) -> int | None:
        return _keys([" ".join(sorted(set(tokens) & set(words[:10])))], native=native)[0]

    own = _keys([post], native=native)[0]
    close, closer = words[:9] + words[10:12], words[:10] + words[10:11]  # 9/12 and 10/11
    single = _remembered
    assert key_of(single(close, 1, 1), single(closer, 2, 2)) == shared(closer)
    assert key_of(single(close, 2, 1), single(words[1:10] + words[12:14], 1, 2)) == shared(
        words[1:10]
    )  # equally alike: the latest
    assert key_of(single(close, 2, 7), single(words[1:12], 2, 3)) == shared(words[1:12])
    assert key_of(single(close, SINGLE_MINUTES + 1, 1)) == own  # too old
    assert key_of(single(close, 0, 1)) == own  # its own minute
    assert key_of(single(close, 2, 1, short=True)) == own  # of short posts
    assert key_of(single(words[4:14], 2, 1)) == own  # 6 of 14 alike
    # A template it matches comes first, however less alike.
    assert key_of(single(closer, 1, 2), templates=(_remembered(close, 5, 9),)) == 9


def _posts_table(texts: list[str], minutes: list[int], dids: list[str]) -> pl.DataFrame:
    rows = [make_post(text, did=did, minute=m, second=i % 60) for i, (text, m, did) in
            enumerate(zip(texts, minutes, dids, strict=True))]  # fmt: skip
    return _posts(rows).with_columns(
        cid=pl.lit("bafy"),
        rkey=pl.col("uri").str.split("/").list.last(),
        created_at=pl.lit(None, pl.String),
        event_date=pl.col("event_time").dt.date(),
        seq=pl.lit(None, pl.Int64),
        reply_parent=pl.col("reply_root"),
        embed_kind=pl.lit(None, pl.String),
        mentions=pl.lit([], pl.List(pl.String)),
        source=pl.lit("jetstream"),
    )


def test_counts_with_templates_are_the_same_in_one_chunk_or_minute_by_minute(
    tmp_path: Path,
) -> None:
    rng = random.Random(4)
    ring, minutes = _slow_ring(rng, 40)
    dids = [f"did:plc:slowring{rng.randrange(15)}" for _ in ring]
    # 150 posts a minute of people, each of 7 made-up words: 1,000 posts are 6 minutes.
    people = [" ".join(_made_up(rng) for _ in range(7)) for _ in range(6_000)]
    texts = ring + people + PEOPLE_ON_GUMMIES
    minutes += [i % 40 for i in range(len(people))] + [5, 12, 20]
    dids += [f"did:plc:p{i % 2_000}" for i in range(len(people))]
    dids += ["did:plc:g1", "did:plc:g2", "did:plc:g3"]
    posts = _posts_table(texts, minutes, dids).to_arrow()
    span = MinuteRange(T0, T0 + 40 * M)
    lakes = []
    for chunk_posts in (None, 1_000, 0):  # one chunk, chunks of about 7 minutes, minutes
        lake = Lake(str(tmp_path / f"lake{chunk_posts}"))
        lake.append(POSTS, posts)
        settings = Settings(lake_uri=lake.uri, chunk_posts=chunk_posts or 150_000)
        if chunk_posts == 1_000:
            assert 4 <= chunk_minutes(lake, span, settings) <= 8
        if chunk_posts == 0:
            for m in range(40):
                compute_counts(lake, MinuteRange(T0 + m * M, T0 + (m + 1) * M), settings)
        else:
            compute_counts(lake, span, settings)
        lakes.append(lake)
    for table in (KEYWORD_COUNTS, COPY_TEMPLATES, COPY_SINGLES):
        whole = lakes[0].read(table).sort(pl.all())
        assert whole.height > 0
        for other in lakes[1:]:
            assert whole.equals(other.read(table).sort(pl.all())), table
    counts = lakes[0].read(KEYWORD_COUNTS)
    gummies = counts.filter(pl.col("keyword") == "gummies").sort("minute")
    copies_of = set(gummies["copy_keys"].explode().to_list())
    # The ring's 40 minutes: its first copy, then the words its copies share; and the three
    # people.
    assert len(copies_of) == 1 + 1 + 3


def _spun_ring(rng: random.Random) -> list[str]:
    """120 copies of a 12-word text with 2 or 3 words swapped in each, then 60 other posts
    of the same 40 words: clusters that chain, where the order of the checks matters; then
    40 short posts of 4 of the text's first 5 words and a link or hashtag of four."""
    vocabulary = [words[0] for words in _distinct_texts(40, 1)]
    base = rng.sample(vocabulary, 12)
    texts = []
    for _ in range(120):
        words = list(base)
        for i in rng.sample(range(12), rng.choice((2, 3))):
            words[i] = rng.choice(vocabulary)
        texts.append(" ".join(words))
    others = [" ".join(rng.sample(vocabulary, 8)) for _ in range(60)]
    # Short ones, some near copies of each other: 4 of the 40 words and a domain or a tag.
    tails = ["https://a.example/1", "https://b.example/2", "#spin", "#spun"]
    short = [f"{' '.join(rng.sample(base[:5], 4))} {rng.choice(tails)}" for _ in range(40)]
    return texts + others + short
