"""The compiled tokenizer (native/, `trendlake_native`) against `trendlake.text.extract_keywords`.

The native output must equal the Python one pair for pair, in order, for every input. These
tests compare both on the string literals of test_text.py, the real posts of the AT Protocol
fixtures, a synthetic stream and seeded fuzzed posts, and check the Arrow buffers the batch
call returns. Without the module they are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import random
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trendlake import keywords_native, synth
from trendlake.text import KINDS, extract_keywords
from trendlake.windows import author_key

if not keywords_native.available():
    if os.environ.get("CI"):
        pytest.fail("trendlake_native is not installed (pip install ./native)", pytrace=False)
    pytest.skip("trendlake_native is not installed", allow_module_level=True)

FIXTURES = Path("/work/shared/fixtures/atproto")
TEST_TEXT = Path(__file__).with_name("test_text.py")
ROOT = Path(__file__).resolve().parents[2]

Post = tuple[Any, Any, Any, Any]  # text, langs, hashtags, links as the lake gives them
FRAME_SCHEMA = pl.Schema(
    {
        "text": pl.String(),
        "langs": pl.List(pl.String),
        "hashtags": pl.List(pl.String),
        "links": pl.List(pl.String),
    }
)


def python_pairs(posts: Sequence[Post]) -> list[list[tuple[str, str]]]:
    """What the pipeline's Python path computes for each post."""
    return [
        extract_keywords(text or "", langs or (), tags or (), links or ())
        for text, langs, tags, links in posts
    ]


def frame_of(posts: Sequence[Post]) -> pl.DataFrame:
    """The posts as lake rows: the frame the counts step hands to the native tokenizer."""
    return pl.DataFrame(list(posts), schema=FRAME_SCHEMA, orient="row")


def frame_pairs(frame: pl.DataFrame) -> list[list[tuple[str, str]]]:
    counts, keywords, kinds = keywords_native.extract_frame(frame)
    pairs = iter(zip(keywords.to_list(), kinds.to_list(), strict=True))
    return [[next(pairs) for _ in range(count)] for count in counts.to_list()]


def native_pairs(posts: Sequence[Post]) -> list[list[tuple[str, str]]]:
    return frame_pairs(frame_of(posts))


def assert_same(posts: Sequence[Post]) -> None:
    """The native tokenizer gives the pairs of `extract_keywords` for every post."""
    assert posts
    want = python_pairs(posts)
    got = native_pairs(posts)
    diffs = [(posts[i], got[i], want[i]) for i in range(len(posts)) if got[i] != want[i]]
    assert not diffs, f"{len(diffs)} of {len(posts)} posts differ; first: {diffs[:3]}"


def fallbacks(posts: Sequence[Post]) -> int:
    count: int = keywords_native.extract_buffers(frame_of(posts))[4]
    return count


# --- inputs ---------------------------------------------------------------------------------


def contract_literals() -> list[str]:
    """Every string literal of test_text.py (the contract's own examples)."""
    tree = ast.parse(TEST_TEXT.read_text(encoding="utf-8"))
    return sorted(
        {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
    )


LANG_CHOICES: list[Any] = [
    ["en"], ["ja"], ["ko"], ["pt-BR"], ["de"], ["fr"], ["it"], ["es"], ["zh-Hans"], ["ar"],
    ["hi"], ["th"], ["ru"], ["tr"], ["fa"], ["en", "ja"], ["ko", "en-US"], [" EN ", "pt_BR"],
    [], None, [None, "de"], ["", "xx"], ["ÉN"], ["-fr", "it"],
]  # fmt: skip

PIECES = [
    "hello", "World", "THE", "the", "and", "trump's", "Trump’s", "don't", "rock'n'roll",
    "l'homme", "L’Homme", "dell'anno", "qu'il", "aujourd'hui", "''", "'s", "a'b'c", "x'",
    "covid-19", "Spider-Man's", "mar-a-lago", "1-0", "2024-25", "a--b", "x'-y", "-pre", "post-",
    "COVID\u201019", "Spider\u2011Man", "#k\u2010pop", "a\u2010-b",
    "#Spider-Man", "#tag-", "#a-1", "#1-a", "한국-일본에서", "l'homme-orchestre", "1'000", "９-１",
    "covid19", "ps5", "2024", "1,000", "²", "½", "①", "٣٤٥", "_", "snake_case",
    "Straße", "ſtraße", "ﬁne", "İstanbul", "ǅemal", "\u212aelvin", "ΣΊΣΥΦΟΣ", "ŉ", "\u212b",
    "e\u0301", "a\u0308\u0301", "\u0301abc", "x\u20dd", "ab\u200ccd", "ab\u200dcd", "soft\u00ad",
    "हिन्दी", "नमस्ते", "العربية", "مَرْحَبًا", "می‌خواهم", "ภาษาไทย", "မြန်မာ", "שָׁלוֹם", "Москва",
    "ไปเที่ยวกรุงเทพ", "ที่เชียงใหม่", "iphoneใหม่", "#ประเทศไทย", "๒๕๖๗", "ສະບາຍດີ", "ខ្ញុំស្រលាញ់",
    "ရန်ကုန်မြို့", "ไทย-ลาว", "ก์", "\u0e31", "น้ำท่วมหนัก", "ทำงานที่บริษัท", "ลิซ่าแบล็กพิงก์",
    "โควิด19ระบาด", "ฟุตบอลทีมชาติไทยชนะเวียดนาม",
    "한국에서", "고양이", "서울은", "나는", "한국", "가", "학교에서", "때문에", "ㅋㅋㅋ",
    "ㅠㅠ", "ᄏᄏᄏ", "한ㅋ", "\u1100\u1161\u11a8", "사람들한테", "x한", "ポケモン", "東京タワー",
    "今日は良い天気です", "ｶﾀｶﾅ", "ﾎﾟｹﾓﾝ", "ー", "ーポケ", "ア・イ", "三ヶ月", "人々", "〆切",
    "ゝゞ", "か\u3099", "\u3099",
    "゛", "iphone新作", "我爱你", "漢", "𠀋𠀋", "！", "（笑）", "ｗｗｗ", "　", "Ａｐｐｌｅ",
    "https://example.com", "HTTPS://WWW.Example.COM/Path?q=1#x", "http://user:pw@host.org:8080/x",
    "(https://x.com)", "https://192.168.0.1/", "https://www.com", "https://m.youtube.com/w",
    "https://ｅｘａｍｐｌｅ.com", "https://例え.jp/x", "https://", "http:/x", "ftp://x.org",
    "https://a@b@c.com", "https://x.com:443", "https://ex..com", "www.example.com", "www.example",
    "WWW.Nytimes.Com/2024/x", "nytimes.com", "nytimes.com/x", "agree.it", "foo.bar.baz/qux",
    "foo.co-op", "foo.com.zz", "x.io:8080", "x.ai?q", "1.2.3.4", "é.com", "_x.com", "x-.com",
    "me@example.com", "first.last+tag@sub.example.org", "a@b", "@someone", "@handle.bsky.social",
    "@@x", "#Eclipse", "#2024", "#1abc", "#_", "#", "##x", "a#b", "#東京", "#한국", "#ＡＢＣ",
    "#e\u0301t\u0301e", "#x\u200dy", "#١٢٣", "😂", "❤️", "👍🏽", "👨\u200d👩\u200d👧", "🇧🇷",
    "1\ufe0f\u20e3", "…", "—", "«", "“quoted”", "¡hola!", "°C", "™", "㎏", "𝐁𝐨𝐥𝐝", "𝟏𝟐𝟑", "ⓐⓑⓒ",
    "\u00a0", "\u2003", "\x1c", "\x85", "\u2028", "\x00", "\t", "\ue000", "\ufffd", "\u0378",
    "a" * 40, "b" * 41, "한" * 41, "ア" * 45, "é" * 41, "\U0001fae8", "\U00031350",
    "\U0001e030x", "a\U00010efd\u0300", "\U0001e4ec", "e\U000e0080\u0301",
    "air\u200bdrop", "soft\u00adware", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202b", "\u2067",
    "\U000e0041", "क\u200dष", "क\u200d", "می\u200c", "\u200cخواهم", "ab\u200c\u200dcd", "#x\u200by",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "", "", "\n", ", ", ". ", "!", "-", ".", "'", "’", "/", "@", "#"]
LINKS = [
    "https://example.com", "HTTPS://WWW.Example.COM/x", "httpſ://x.com", "https://192.168.0.1/",
    "ftp://x.org", "http://www.com", "https://m.youtube.com/x", "https://ｅｘａｍｐｌｅ.com",
    "  https://lead.space/", "", None, "not a url", "https://a@b@c.com", "hTtPs://MiXeD.Io",
    "https://\u212a.com", "http://www.m.example.com", "https://user:pw@host.org:8080/",
]  # fmt: skip
TAGS = [
    "Eclipse",
    "#Eclipse",
    "123",
    "",
    None,
    " tag ",
    "ＡＢＣ",
    "東京",
    "#",
    "##x",
    "²",
    "e\u0301",
    "Tag\u200b",
    "\u200bAir\u00addrop",
]


def fuzzed_posts(seed: int, n: int) -> list[Post]:
    rng = random.Random(seed)
    posts: list[Post] = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 12)):
            piece = rng.choice(PIECES)
            if rng.random() < 0.15:
                other = rng.choice(PIECES)
                piece = piece[: rng.randint(0, len(piece))] + other[rng.randint(0, len(other)) :]
            if rng.random() < 0.1:
                piece = piece.upper()
            parts.append(piece + rng.choice(SEPARATORS))
        text: str | None = "".join(parts) if rng.random() > 0.02 else None
        tags = None if rng.random() < 0.6 else rng.sample(TAGS, rng.randint(0, 3))
        links = None if rng.random() < 0.6 else rng.sample(LINKS, rng.randint(0, 3))
        posts.append((text, rng.choice(LANG_CHOICES), tags, links))
    return posts


def fixture_posts() -> list[Post]:
    """The real posts of the AT Protocol fixtures, as the ingest turns them into rows."""
    import libipld

    from tests.ingest.ingest_relay import real_post_records
    from trendlake.ingest.records import post_row

    posts: list[Post] = []
    for block in real_post_records():
        row = post_row(
            did="did:plc:x", rkey="r", cid=None, record=libipld.decode_dag_cbor(block),
            event_time_us=0, seq=None, source="fixture",
        )  # fmt: skip
        posts.append((row["text"], row["langs"], row["hashtags"], row["links"]))
    return posts


# --- equality -------------------------------------------------------------------------------


def test_native_matches_python_on_the_contract_examples() -> None:
    literals = contract_literals()
    posts: list[Post] = []
    for text in literals:
        for langs in (["en"], ["ja", "ko"], ["fr", "it"], None):
            posts.append((text, langs, None, None))
        posts.append(("", ["en"], [text], [text]))  # as a facet tag and a facet link
    assert_same(posts)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="AT Protocol fixtures not present")
def test_native_matches_python_on_real_fixture_posts() -> None:
    posts = fixture_posts()
    assert len(posts) > 100
    assert_same(posts)
    assert fallbacks(posts) == 0


def test_native_matches_python_on_a_synthetic_stream(tmp_path: Path) -> None:
    from trendlake.ingest.files import read_jetstream_file

    stream = tmp_path / "stream.jsonl"
    synth.generate(stream, hours=0.1, seed=11, posts_per_minute=800)
    posts: list[Post] = []
    for e in read_jetstream_file(stream):
        if e.kind == "post":
            assert e.row is not None
            posts.append((e.row["text"], e.row["langs"], e.row["hashtags"], e.row["links"]))
    assert len(posts) > 2000
    assert_same(posts)
    assert fallbacks(posts) <= len(posts) // 1000  # declining must be rare on real-like text


def test_native_matches_python_on_fuzzed_posts() -> None:
    posts = fuzzed_posts(seed=20260328, n=20_000)
    assert_same(posts)
    # Pairs of pieces, each alone and glued, exercise every boundary between kinds.
    rng = random.Random(7)
    pairs = [(a + b, ["en", "ko", "ja"], None, None) for a in PIECES for b in rng.sample(PIECES, 8)]
    assert_same(pairs + [(p, ["en"], None, None) for p in PIECES])


def test_thai_segments_match_pythainlps_own_newmm() -> None:
    # Without the native module, Thai is cut by PyThaiNLP's Python newmm (text.py rule 6):
    # nlpO3's port in the native module must cut words the same, in tokens of up to 300
    # characters and with the NFKC spelling of the vowel sign AM. (On malformed text, a vowel
    # mark with no consonant before it, the two ports may cut differently.)
    from trendlake import text as text_module

    rng = random.Random(3)
    tokens = [text_module.normalize(t) for t in THAI_TOKENS]
    tokens += ["".join(rng.choices(tokens, k=rng.randint(2, 16))) for _ in range(300)]
    assert max(map(len, tokens)) > 250 and any("\u0e4d\u0e32" in token for token in tokens)
    for token in tokens:
        native = text_module._word_segments(token)
        assert native == text_module._python_word_segments(token), token
        assert "".join(native) == token


THAI_TOKENS = [
    "ไปเที่ยวกรุงเทพ", "ที่เชียงใหม่", "iphoneใหม่", "ภาษาไทย", "๒๕๖๗", "น้ำท่วมหนัก", "ไทย-ลาว",
    "ทำงานที่บริษัท", "ลิซ่าแบล็กพิงก์", "โควิด19ระบาด", "ฟุตบอลทีมชาติไทยชนะเวียดนาม", "ข่าวด่วน",
    "ทรัมป์ชนะการเลือกตั้งสหรัฐ", "แอปเปิ้ลเปิดตัวไอโฟนรุ่นใหม่", "ซีรีส์เกาหลีเรื่องใหม่สนุกมาก",
]  # fmt: skip


def test_many_distinct_language_tags_overflow_the_caches_harmlessly() -> None:
    langs = [[f"q{i}", "ja"] for i in range(600)] + [
        [f"de-{i}", f"X{i % 300}"] for i in range(1500)
    ]
    posts: list[Post] = [
        ("Der Hund und die Katze の 東京タワー the cat", lang, None, None) for lang in langs
    ]
    assert_same(posts + posts[:50])


def test_declined_posts_go_to_the_fallback_and_still_match() -> None:
    posts: list[Post] = [
        ("bonjour le monde entier", ["ÉN"], None, None),  # a non-ASCII language tag
        ("plain words here", ["en"], None, None),
        ("hola mundo bonito", ["es", "ñ-x"], None, None),
    ]
    assert_same(posts)
    assert fallbacks(posts) == 2


def test_code_points_unassigned_in_python_unicode_are_handled_natively() -> None:
    # Assigned after Unicode 14 (Python 3.11): emoji, a CJK extension H ideograph, a
    # superscript Cyrillic letter with a compatibility decomposition, combining marks.
    newer = ["\U0001fae8", "\U00031350", "\U0001e030", "\U00010efd", "\U0001e4ec", "\u0378"]
    posts: list[Post] = [
        (f"{a}e{b}\u0301x{c} caf{b}e\u0301 \u1100{b}\u1161 ｶ{b}ﾞ", ["en", "ko"], [f"t{b}"], None)
        for a in newer
        for b in newer
        for c in ("", "\u0300", "\u0316")
    ]
    assert_same(posts)
    assert fallbacks(posts) == 0


# --- the buffers ----------------------------------------------------------------------------


def test_frame_series_decode_to_the_python_pairs() -> None:
    posts: list[Post] = [
        ("Hello world, the #Eclipse is at https://www.NYTimes.com/x today", ["en"], ["Sun"], None),
        (None, None, None, None),
        ("", ["en"], ["#2024", "Tag"], ["https://bsky.app/profile/x", None]),
        ("🔥🔥🔥 the and of", ["en"], [], []),
        ("東京タワーに行きました。ポケモン最高", ["ja"], [], []),
        ("한국에서 고양이를 봤어요 ㅋㅋㅋ", ["ko"], None, None),
    ]
    counts, keywords, kinds = keywords_native.extract_frame(frame_of(posts))
    want = python_pairs(posts)
    assert counts.dtype == pl.UInt32 and keywords.dtype == pl.String and kinds.dtype == pl.String
    assert counts.to_list() == [len(pairs) for pairs in want]
    assert int(counts.sum()) == len(keywords) == len(kinds)
    assert list(zip(keywords.to_list(), kinds.to_list(), strict=True)) == [
        pair for pairs in want for pair in pairs
    ]
    assert set(kinds.to_list()) <= set(KINDS)
    assert counts[1] == 0 and counts[3] == 0  # None text, and a post with nothing to count


def test_empty_batch() -> None:
    counts, keywords, kinds = keywords_native.extract_frame(frame_of([]))
    assert counts.len() == keywords.len() == kinds.len() == 0
    raw = keywords_native.extract_buffers(frame_of([]))
    assert raw[1] == (0).to_bytes(8, "little") and raw[4] == 0


def test_threads_extract_at_once_each_with_its_own_tokenizer() -> None:
    # Declined posts (a non-ASCII language tag) run Python code mid-batch, where another
    # thread can take over: with one shared Tokenizer that failed with "Already borrowed".
    posts: list[Post] = [
        (f"zorblax quibble número {i}", ["pt", "ñx"] if i % 3 == 0 else ["en"], None, None)
        for i in range(3000)
    ]
    want = python_pairs(posts)
    results: list[list[list[tuple[str, str]]]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                results.append(native_pairs(posts))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 20
    assert all(result == want for result in results)


def test_the_arrow_path_reads_slices_nulls_and_declined_posts() -> None:
    posts: list[Post] = [
        ("zorblax quibble", ["en"], None, None),
        (None, None, ["Tag"], None),
        ("hola mundo bonito", ["es", None], [None, "", "fiesta"], ["https://x.org/a", None]),
        ("", [], [], []),
        ("bonjour le monde entier", ["ÉN"], None, None),  # declined: goes to Python
        ("東京タワーの夜景 #夜景", ["ja"], None, ["https://www.nhk.or.jp/x"]),
    ] * 3
    frame = pl.DataFrame(
        posts,
        schema=FRAME_SCHEMA,
        orient="row",
    )
    for start, length in ((0, len(posts)), (1, 4), (5, 9), (len(posts) - 1, 1), (3, 0)):
        rows = frame.slice(start, length)
        assert frame_pairs(rows) == python_pairs(posts[start : start + length])
    assert any(frame_pairs(frame.slice(4, 1))[0])  # the declined post still has its pairs


def test_native_author_keys_are_the_blake2b_keys() -> None:
    dids = [f"did:plc:{random.Random(i).getrandbits(80):x}" for i in range(2000)]
    dids += ["did:web:example.com", "", "did:plc:ü-non-ascii"]
    series = pl.Series("did", [*dids, None], dtype=pl.String)
    keys = keywords_native.author_keys(series).to_list()
    assert keys[:-1] == [author_key(did) for did in dids]
    assert keys[-1] == 0
    assert keywords_native.author_keys(series.slice(5, 3)).to_list() == keys[5:8]


def test_the_committed_tables_are_the_ones_python_generates() -> None:
    # native/src/tables.rs holds trendlake.text's character classes, computed by asking
    # Python; a change to them (or to the generator) must come with the regenerated file.
    spec = importlib.util.spec_from_file_location("gen_tables", ROOT / "native" / "gen_tables.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    text, _, _ = generator.render()
    committed = (ROOT / "native" / "src" / "tables.rs").read_text(encoding="utf-8")
    # The first line names the Python patch release that generated it; the rest must match.
    assert text.split("\n", 1)[1] == committed.split("\n", 1)[1]
