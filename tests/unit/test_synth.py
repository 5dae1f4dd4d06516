"""The synthetic firehose: Jetstream shape, determinism, realism, truth that matches the data."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import wordfreq
import zstandard

from trendlake import synth

DID = re.compile(r"did:plc:[a-z2-7]{24}")
TID = re.compile(r"[2-7a-z]{13}")
CID = re.compile(r"bafyrei[a-z2-7]{52}")
CREATED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
# Letters with inner apostrophes: the same notion of "word" the generator samples.
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
POST_KEYS = {"$type", "text", "createdAt", "langs", "facets", "reply", "embed"}
US_PER_MIN = 60_000_000


@dataclass(frozen=True)
class Stream:
    path: Path
    truth: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def posts(self) -> list[dict[str, Any]]:
        return [e for e in self.events if _is_post_create(e)]


def _is_post_create(event: dict[str, Any]) -> bool:
    commit = event.get("commit", {})
    return commit.get("collection") == "app.bsky.feed.post" and commit["operation"] == "create"


def _lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    elif path.name.endswith(".zst"):
        raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
    return raw.decode("utf-8").splitlines()


def _load(path: Path) -> Stream:
    truth = json.loads(Path(str(path) + ".truth.json").read_text("utf-8"))
    return Stream(path, truth, [json.loads(line) for line in _lines(path)])


def _us(iso: str) -> int:
    moment = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000


def _facet_slices(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    raw = record["text"].encode("utf-8")
    return [
        (raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8"), f["features"][0])
        for f in record.get("facets", [])
    ]


def _has_keyword(record: dict[str, Any], kind: str, keyword: str) -> bool:
    """Whether a post carries a truth keyword, read the way a detector would."""
    if kind == "hashtag":
        features = [feature for _, feature in _facet_slices(record)]
        return any("#" + f.get("tag", "").lower() == keyword for f in features)
    if kind == "domain":
        uris = [f.get("uri", "") for _, f in _facet_slices(record)] + _card_uris(record)
        return any(re.match(rf"https://(www\.)?{re.escape(keyword)}/", u) for u in uris)
    text = record["text"].lower()
    if kind == "phrase":
        return keyword in text
    return keyword in WORD.findall(text)


def _card_uris(record: dict[str, Any]) -> list[str]:
    embed = record.get("embed") or {}
    return [embed["external"]["uri"]] if embed.get("$type") == "app.bsky.embed.external" else []


def _matching(stream: Stream, kind: str, keyword: str) -> list[dict[str, Any]]:
    return [p for p in stream.posts if _has_keyword(p["commit"]["record"], kind, keyword)]


def _three_hours(
    factory: pytest.TempPathFactory, name: str, *, spam: bool = False, cjk_bursts: bool = False
) -> Stream:
    """Three hours at a low rate: every burst type and decoy, still quick to parse."""
    out = factory.mktemp(name) / f"{name}.jsonl"
    synth.generate(out, hours=3.0, seed=3, posts_per_minute=60, spam=spam, cjk_bursts=cjk_bursts)
    return _load(out)


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Stream:
    return _three_hours(tmp_path_factory, "stream")


# --------------------------------------------------------------------------- determinism


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a" / "s.jsonl.gz", tmp_path / "b" / "s.jsonl.gz", tmp_path / "c.jsonl.gz"
    for out, seed in ((a, 5), (b, 5), (c, 6)):
        synth.generate(out, hours=1.5, seed=seed, posts_per_minute=20)
    assert a.read_bytes() == b.read_bytes()
    assert Path(f"{a}.truth.json").read_bytes() == Path(f"{b}.truth.json").read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_compressed_outputs_hold_the_same_lines_as_plain(tmp_path: Path) -> None:
    outs = [tmp_path / name for name in ("s.jsonl", "s.jsonl.gz", "s.jsonl.zst")]
    for out in outs:
        synth.generate(out, hours=0.5, seed=2, posts_per_minute=30)
    plain, gz, zst = (_lines(out) for out in outs)
    assert len(plain) > 500
    assert plain == gz == zst
    assert outs[1].read_bytes()[:2] == b"\x1f\x8b"
    assert outs[2].read_bytes()[:4] == b"\x28\xb5\x2f\xfd"


def test_summary_and_progress_match_the_files(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    out = tmp_path / "s.jsonl"
    summary = synth.generate(
        out, hours=0.25, posts_per_minute=40, progress=lambda d, t: calls.append((d, t))
    )
    truth = json.loads(summary.truth.read_text("utf-8"))
    assert summary.out == out
    assert summary.minutes == 15
    assert calls == [(m, 15) for m in range(1, 16)]
    assert summary.events == truth["events"] == len(_lines(out))
    assert summary.posts == truth["posts"]
    assert truth["start"] == "2026-03-02T00:00:00Z" and truth["end"] == "2026-03-02T00:15:00Z"
    assert summary.bursts == len(truth["bursts"]) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": -1.0}, "hours"),
        ({"hours": float("nan")}, "hours"),
        ({"posts_per_minute": 9}, "posts_per_minute"),
        ({"posts_per_minute": 50.5}, "posts_per_minute"),
    ],
)
def test_bad_arguments_raise_value_error(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        synth.generate(tmp_path / "s.jsonl", **kwargs)
    assert not (tmp_path / "s.jsonl").exists()


# --------------------------------------------------------------------------- Jetstream shape


def test_every_line_has_the_exact_jetstream_keys(stream: Stream) -> None:
    kinds: Counter[str] = Counter()
    for event in stream.events:
        kinds[event["kind"]] += 1
        assert set(event) == {"did", "time_us", "kind", event["kind"]}
        assert DID.fullmatch(event["did"])
        if event["kind"] == "commit":
            _check_commit(event["commit"])
        elif event["kind"] == "identity":
            assert set(event["identity"]) == {"did", "handle", "seq", "time"}
        else:
            assert event["kind"] == "account"
            assert {"active", "did", "seq", "time"} <= set(event["account"])
    assert kinds["identity"] > 0 and kinds["account"] > 0


def _check_commit(commit: dict[str, Any]) -> None:
    assert TID.fullmatch(commit["rev"]) and TID.fullmatch(commit["rkey"])
    if commit["operation"] == "delete":
        assert set(commit) == {"rev", "operation", "collection", "rkey"}
        return
    assert set(commit) == {"rev", "operation", "collection", "rkey", "record", "cid"}
    assert CID.fullmatch(commit["cid"])
    record = commit["record"]
    assert record["$type"] == commit["collection"]
    assert CREATED_AT.fullmatch(record["createdAt"])
    if commit["collection"] == "app.bsky.feed.post":
        assert {"$type", "text", "createdAt"} <= set(record) <= POST_KEYS


def test_time_us_strictly_increases_within_the_run(stream: Stream) -> None:
    times = [e["time_us"] for e in stream.events]
    assert all(b > a for a, b in pairwise(times))
    assert _us(stream.truth["start"]) <= times[0]
    assert times[-1] < _us(stream.truth["end"])


def test_created_at_is_client_time_and_sometimes_far_off(stream: Stream) -> None:
    def skew(post: dict[str, Any]) -> float:
        created = datetime.fromisoformat(post["commit"]["record"]["createdAt"])
        return post["time_us"] / 1e6 - created.timestamp()

    skews = [skew(p) for p in stream.posts]
    far = sum(abs(s) >= 3600 for s in skews) / len(skews)
    assert 0.003 < far < 0.02
    assert sum(-0.001 <= s <= 3.001 for s in skews) / len(skews) > 0.97


def test_facet_offsets_slice_the_utf8_text(stream: Stream) -> None:
    seen: Counter[str] = Counter()
    for post in stream.posts:
        for piece, feature in _facet_slices(post["commit"]["record"]):
            kind = feature["$type"].rsplit("#", 1)[1]
            seen[kind] += 1
            if kind == "tag":
                assert piece == "#" + feature["tag"]
            elif kind == "mention":
                assert re.fullmatch(r"@[a-z0-9]+\.bsky\.social", piece)
                assert DID.fullmatch(feature["did"])
            else:
                bare = feature["uri"].removeprefix("https://")
                assert piece in (bare, bare[:27] + "...")
    assert min(seen["tag"], seen["mention"], seen["link"]) > 100
    assert any(not p["commit"]["record"]["text"].isascii() for p in stream.posts)


def test_replies_likes_and_deletes_point_at_earlier_posts(stream: Stream) -> None:
    seen_uris: set[str] = set()
    counts: Counter[str] = Counter()
    for event in stream.events:
        commit = event.get("commit")
        if commit is None:
            continue
        uri = f"at://{event['did']}/app.bsky.feed.post/{commit['rkey']}"
        if commit["operation"] == "delete":
            counts["delete"] += 1
            assert uri in seen_uris
        elif commit["collection"] == "app.bsky.feed.like":
            counts["like"] += 1
            assert not seen_uris or commit["record"]["subject"]["uri"] in seen_uris
        else:
            reply = commit["record"].get("reply")
            counts["reply"] += reply is not None
            assert reply is None or reply["parent"]["uri"] in seen_uris
            seen_uris.add(uri)
    n_posts, n_events = len(stream.posts), len(stream.events)
    assert 0.12 < counts["reply"] / n_posts < 0.18
    assert 0.08 < counts["like"] / n_events < 0.12
    assert 0.02 < counts["delete"] / n_events < 0.04


def test_language_mix_is_roughly_the_real_one(stream: Stream) -> None:
    langs = Counter((p["commit"]["record"].get("langs") or ["none"])[0] for p in stream.posts)
    share = {lang: n / len(stream.posts) for lang, n in langs.items()}
    assert 0.40 < share["en"] < 0.52
    assert 0.16 < share["ja"] < 0.24
    assert 0.09 < share["pt"] < 0.15
    for lang in ("de", "es", "fr", "ko", "none"):
        assert 0.015 < share[lang] < 0.07, lang
    # Japanese is written without spaces; only facets (tags, links, mentions) bring them in.
    ja = [r for p in stream.posts if (r := p["commit"]["record"]).get("langs") == ["ja"]]
    plain = [r["text"] for r in ja if "facets" not in r]
    assert sum(" " in text for text in plain) / len(plain) < 0.02


# --------------------------------------------------------------------------- truth


def test_bursts_are_scheduled_as_specified(stream: Stream) -> None:
    truth = stream.truth
    bursts = truth["bursts"]
    assert len(bursts) >= 4
    assert {b["type"] for b in bursts} == set(synth.BURST_TYPES)
    assert {b["shape"] for b in bursts} == {"step", "ramp"}
    assert len({b["keyword"] for b in bursts}) == len(bursts)
    assert "ja" in {b["lang"] for b in bursts}
    for burst in bursts:
        assert truth["baseline_end"] <= burst["onset"] < burst["end"] <= truth["end"]
        assert 15 <= burst["authors"] <= 80
        assert burst["peak_posts_per_minute"] >= 4 * burst["background_posts_per_minute"]
        minutes = (_us(burst["end"]) - _us(burst["onset"])) // US_PER_MIN
        assert 10 <= minutes <= 30
    for minute in range(0, truth["minutes"] * US_PER_MIN, US_PER_MIN):
        at = _us(truth["start"]) + minute
        assert sum(_us(b["onset"]) <= at < _us(b["end"]) for b in bursts) <= 2


def test_burst_keywords_appear_as_the_truth_says(stream: Stream) -> None:
    for burst in stream.truth["bursts"]:
        onset, end = _us(burst["onset"]), _us(burst["end"])
        posts = _matching(stream, burst["kind"], burst["keyword"])
        inside = [p for p in posts if onset <= p["time_us"] < end]
        authors = {p["did"] for p in inside}
        if burst["type"] == "common_word":
            # Background posts may also use the word during the burst.
            assert len(authors) >= burst["authors"]
            assert len(inside) >= burst["posts"]
        else:
            assert len(authors) == burst["authors"], burst["keyword"]
            assert len(inside) == len(posts) == burst["posts"], burst["keyword"]


def test_a_link_burst_is_shared_in_text_with_a_card_and_as_a_card_alone(stream: Stream) -> None:
    burst = next(b for b in stream.truth["bursts"] if b["kind"] == "domain")
    posts = [p["commit"]["record"] for p in _matching(stream, "domain", burst["keyword"])]
    in_text = [r for r in posts if burst["keyword"] in r["text"]]
    card_alone = [r for r in posts if r not in in_text]
    assert in_text and card_alone
    assert all(_card_uris(r) for r in card_alone)
    assert any(_card_uris(r) for r in in_text) and not all(_card_uris(r) for r in in_text)


def test_common_word_stays_at_its_background_rate_outside_the_burst(stream: Stream) -> None:
    burst = next(b for b in stream.truth["bursts"] if b["type"] == "common_word")
    word, minutes = burst["keyword"], stream.truth["minutes"]
    assert re.fullmatch(r"[a-z]{5,}", word)
    assert word in wordfreq.top_n_list("en", 4000)[1999:]
    posts = _matching(stream, "word", word)
    onset, end = _us(burst["onset"]), _us(burst["end"])
    outside = [p for p in posts if not onset <= p["time_us"] < end]
    background = burst["background_posts_per_minute"]
    assert len(outside) / minutes <= 2 * background + 0.05
    # Truth's background was measured from exactly the non-burst posts.
    assert abs(len(posts) - burst["posts"] - round(background * minutes)) <= 1


def test_new_keywords_are_in_no_word_list(stream: Stream) -> None:
    invented = [b["keyword"] for b in stream.truth["bursts"] if b["type"] == "new_word"]
    invented += [d["keyword"] for d in stream.truth["decoys"] if d["type"] == "single_author_flood"]
    for word in invented:
        assert re.fullmatch(r"[a-z]+", word)
        for lang in ("en", "ja", "pt", "de", "es", "fr", "ko", "zh", "it", "nl"):
            # The raw lists: word_frequency() would need MeCab/jieba for ja/zh/ko.
            assert word not in wordfreq.get_frequency_dict(lang), (word, lang)


def test_flood_decoy_is_one_author(stream: Stream) -> None:
    flood = next(d for d in stream.truth["decoys"] if d["type"] == "single_author_flood")
    posts = _matching(stream, "word", flood["keyword"])
    assert flood["authors"] == 1
    assert len({p["did"] for p in posts}) == 1
    assert len(posts) == flood["posts"] >= 20 * 14
    assert all(_us(flood["onset"]) <= p["time_us"] < _us(flood["end"]) for p in posts)
    burst_words = {b["keyword"] for b in stream.truth["bursts"]}
    assert flood["keyword"] not in burst_words


def test_conversations_are_one_thread_of_many_authors(stream: Stream) -> None:
    talks = [d for d in stream.truth["decoys"] if d["type"] == "conversation"]
    assert len(talks) == len(synth.CONVERSATION_AT)
    for talk in talks:
        posts = _matching(stream, "word", talk["keyword"])
        roots = Counter(
            p["commit"]["record"]["reply"]["root"]["uri"]
            for p in posts
            if "reply" in p["commit"]["record"]
        )
        root_uri = roots.most_common(1)[0][0]
        (root,) = [p for p in posts if _uri(p) == root_uri]
        replies = [p for p in posts if _root_of(p) == root_uri]
        thread = [root, *replies]
        assert "reply" not in root["commit"]["record"]  # the post everyone answers
        assert len(thread) == talk["posts"] >= synth.CONVERSATION_POSTS[0]
        assert len({p["did"] for p in thread}) == talk["authors"] >= 20
        uris = {_uri(p) for p in thread}
        assert all(p["commit"]["record"]["reply"]["parent"]["uri"] in uris for p in replies)
        assert all(_us(talk["onset"]) <= p["time_us"] < _us(talk["end"]) for p in thread)
        assert root["time_us"] == min(p["time_us"] for p in thread)
    invented, common = (t["keyword"] for t in talks)
    assert invented not in wordfreq.get_frequency_dict("en")
    assert common in wordfreq.top_n_list("en", 4000)[1999:]


def _uri(post: dict[str, Any]) -> str:
    return f"at://{post['did']}/app.bsky.feed.post/{post['commit']['rkey']}"


def _root_of(post: dict[str, Any]) -> str | None:
    reply = post["commit"]["record"].get("reply")
    return reply["root"]["uri"] if reply else None


def test_stopword_surge_triples_the(stream: Stream) -> None:
    surge = next(d for d in stream.truth["decoys"] if d["type"] == "stopword_surge")
    onset, end = _us(surge["onset"]), _us(surge["end"])

    def rate(inside: bool) -> float:
        en = [
            p["commit"]["record"]["text"].lower()
            for p in stream.posts
            if p["commit"]["record"].get("langs") == ["en"]
            and (onset <= p["time_us"] < end) == inside
        ]
        words = [w for text in en for w in WORD.findall(text)]
        return words.count("the") / len(words)

    assert 2.2 < rate(True) / rate(False) < 4.0
    assert surge["authors"] > 50


def test_daily_rhythm_is_recorded_and_visible(stream: Stream) -> None:
    rhythm = next(d for d in stream.truth["decoys"] if d["type"] == "daily_rhythm")
    assert rhythm["keyword"] is None and rhythm["kind"] is None
    assert rhythm["amplitude"] == 0.4 and rhythm["period_hours"] == 24
    injected = {
        p["commit"]["cid"]
        for item in stream.truth["bursts"] + stream.truth["decoys"][:1]
        for p in _matching(stream, item["kind"], item["keyword"])
    }
    hour = Counter(
        (p["time_us"] - _us(stream.truth["start"])) // (60 * US_PER_MIN)
        for p in stream.posts
        if p["commit"]["cid"] not in injected
    )
    # 00:00 -> 03:00 UTC lies on the falling side of a 19:30 peak: about -20% by hour three.
    assert 0.7 < hour[2] / hour[0] < 0.9


@pytest.fixture(scope="module")
def spam_stream(tmp_path_factory: pytest.TempPathFactory) -> Stream:
    return _three_hours(tmp_path_factory, "spam", spam=True)


def test_spam_adds_floods_of_other_shapes_and_changes_nothing_else(
    stream: Stream, spam_stream: Stream
) -> None:
    spam = [d for d in spam_stream.truth["decoys"] if d["type"] in synth.SPAM_TYPES]
    assert [d["type"] for d in spam] == list(synth.SPAM_TYPES)

    # The same bursts and the usual decoys: the floods come on top of them. (Only the
    # measured background rate of a common word differs: the background is drawn anew.)
    def planned(truth: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in b.items() if k != "background_posts_per_minute"}
            for b in truth["bursts"]
        ]

    assert planned(spam_stream.truth) == planned(stream.truth)
    spam_types = (*synth.SPAM_TYPES, *synth.RING_TYPES)
    usual = [d for d in spam_stream.truth["decoys"] if d["type"] not in spam_types]
    assert [d["keyword"] for d in usual] == [d["keyword"] for d in stream.truth["decoys"]]
    spans = sorted((_us(d["onset"]), _us(d["end"])) for d in spam)
    assert all(end <= start for (_, end), (start, _) in pairwise(spans))  # one at a time


def test_each_flood_is_its_accounts_alone(spam_stream: Stream) -> None:
    for flood in (d for d in spam_stream.truth["decoys"] if d["type"] in synth.SPAM_TYPES):
        posts = _matching(spam_stream, flood["kind"], flood["keyword"])
        accounts = {p["did"] for p in posts}
        expected = synth.SOCKPUPPETS if flood["type"] == "sockpuppet_flood" else 1
        assert flood["authors"] == len(accounts) == expected, flood["type"]
        assert len(posts) == flood["posts"], flood["type"]
        assert all(_us(flood["onset"]) <= p["time_us"] < _us(flood["end"]) for p in posts)
        if flood["type"] == "mass_flood":  # ten times the stream's own rate, every minute
            assert flood["peak_posts_per_minute"] == synth.MASS_FLOOD_FACTOR * 60
            assert len(posts) == 20 * flood["peak_posts_per_minute"]


def _ring_posts(stream: Stream, ring_type: str) -> list[dict[str, Any]]:
    """The posts of the ring of `ring_type`, checked to be its own accounts' alone, in its
    minutes."""
    (ring,) = [d for d in stream.truth["decoys"] if d["type"] == ring_type]
    posts = _matching(stream, ring["kind"], ring["keyword"])
    assert ring["authors"] == len({p["did"] for p in posts}) == synth._ACCOUNTS[ring_type]
    assert len(posts) == ring["posts"] > 0
    assert all(_us(ring["onset"]) <= p["time_us"] < _us(ring["end"]) for p in posts)
    ring_accounts = {p["did"] for p in posts}
    assert sum(p["did"] in ring_accounts for p in stream.posts) == len(posts)  # nothing else
    if ring_type != synth.PUPPET_RING_TYPE:
        records = [p["commit"]["record"] for p in posts]
        replies = [r["reply"]["root"]["uri"] for r in records if "reply" in r]
        assert 0.3 < len(replies) / len(records) < 0.7  # pasted under others' posts too
        assert len(set(replies)) > len(replies) / 2  # under many posts, not one thread
    return posts


def test_a_copy_ring_posts_one_text_word_for_word_from_its_own_accounts(
    spam_stream: Stream,
) -> None:
    records = [p["commit"]["record"] for p in _ring_posts(spam_stream, synth.RING_TYPE)]
    # One text; only the link's path differs from copy to copy.
    texts = {r["text"].rsplit(" ", 1)[0] for r in records}
    assert len(texts) == 1 and len({r["text"] for r in records}) > 1


def test_a_short_ring_pastes_a_few_words_its_word_and_a_link(spam_stream: Stream) -> None:
    records = [p["commit"]["record"] for p in _ring_posts(spam_stream, synth.SHORT_RING_TYPE)]
    texts = {r["text"].rsplit(" ", 1)[0] for r in records}  # the link left out
    assert len(texts) == 1 and len({r["text"] for r in records}) > 1
    (text,) = texts
    assert len(text.split()) <= synth.SHORT_RING_WORDS + 2  # the words, its word, an emoji
    # Too short for near copies: its text is keyed word for word with its link's domain.
    links = [f["features"][0]["uri"] for r in records for f in r["facets"]]
    assert len(links) == len(records) and len({link.split("/")[2] for link in links}) == 1


def test_a_sockpuppet_ring_posts_its_word_several_times_a_minute_from_each_account(
    spam_stream: Stream,
) -> None:
    posts = _ring_posts(spam_stream, synth.PUPPET_RING_TYPE)
    per_minute = Counter((p["did"], p["time_us"] // 60_000_000) for p in posts)
    low, high = synth.PUPPET_RING_POSTS
    assert min(per_minute.values()) >= low // synth.PUPPET_RING_ACCOUNTS - 1
    assert max(per_minute.values()) <= high // synth.PUPPET_RING_ACCOUNTS + 1
    texts = [p["commit"]["record"]["text"] for p in posts]
    assert len(set(texts)) > 0.9 * len(texts)  # sentences of their own, not copies


def test_a_template_ring_fills_made_up_codes_into_each_copy(spam_stream: Stream) -> None:
    records = [p["commit"]["record"] for p in _ring_posts(spam_stream, synth.TEMPLATE_RING_TYPE)]
    words = [r["text"].rsplit(" ", 1)[0].split() for r in records]  # the link left out
    codes = [[w for w in text if re.fullmatch(r"[a-z]*[2-9][a-z2-9]*", w)] for text in words]
    assert all(len(found) == synth.TEMPLATE_CODES for found in codes)
    assert len({tuple(found) for found in codes}) == len(records)  # no two copies alike
    pairs = zip(words, codes, strict=True)
    template = {tuple(w for w in text if w not in found) for text, found in pairs}
    assert len(template) == 1  # the rest is one text


@pytest.fixture(scope="module")
def cjk_stream(tmp_path_factory: pytest.TempPathFactory) -> Stream:
    return _three_hours(tmp_path_factory, "cjk", cjk_bursts=True)


def test_cjk_bursts_are_new_han_compounds_of_everyday_words(
    stream: Stream, cjk_stream: Stream
) -> None:
    bursts = cjk_stream.truth["bursts"]
    compounds = [b for b in bursts if b["type"] == "new_word"]
    assert [b["lang"] for b in compounds] == ["ja", "zh"][: len(compounds)] and compounds
    for burst in compounds:
        word, lang = burst["keyword"], burst["lang"]
        assert re.fullmatch(r"[\u4e00-\u9fff]{4}", word), word
        vocabulary = wordfreq.get_frequency_dict(lang)
        assert word not in vocabulary and {word[:2], word[2:]} <= vocabulary.keys()
        posts = [p for p in cjk_stream.posts if word in p["commit"]["record"]["text"]]
        assert len(posts) == burst["posts"]
        assert len({p["did"] for p in posts}) == burst["authors"]
        assert all(p["commit"]["record"]["langs"] == [lang] for p in posts)

    # The other bursts keep their types, shapes and times.
    def plan(truth: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(b["type"], b["shape"], b["onset"]) for b in truth["bursts"]]

    assert plan(cjk_stream.truth) == plan(stream.truth)
