"""Keyword extraction rules (trendlake.text): the contract every trend count depends on."""

from __future__ import annotations

import pytest
import stopwordsiso

from trendlake import keywords_native
from trendlake import text as text_module
from trendlake.text import (
    KIND_DOMAIN,
    KIND_HASHTAG,
    KIND_PHRASE,
    KIND_WORD,
    KINDS,
    domain_of,
    extract_keywords,
    keyword_of,
    normalize,
    stopwords_for,
)


def _of_kind(pairs: list[tuple[str, str]], kind: str) -> list[str]:
    return [keyword for keyword, k in pairs if k == kind]


def words(text: str, langs: tuple[str, ...] = ("en",)) -> list[str]:
    return _of_kind(extract_keywords(text, langs), KIND_WORD)


def phrases(text: str, langs: tuple[str, ...] = ("en",)) -> list[str]:
    return _of_kind(extract_keywords(text, langs), KIND_PHRASE)


# --- normalization ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ", "abc"),  # fullwidth -> ASCII (NFKC)
        ("Straße", "strasse"),  # casefold, not lower
        ("ﬁnance", "finance"),  # ligature
        ("𝐁𝐨𝐥𝐝", "bold"),  # math bold letters people use for emphasis
        ("Ｔｏｋｙｏ！", "tokyo!"),
        ("ｶﾞ", "ガ"),  # halfwidth kana + voiced mark compose: the slow NFKC path
        ("Café", "café"),
        ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),
    ],
)
def test_normalize_is_nfkc_then_casefold(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_agrees_with_unicodedata_on_mixed_text() -> None:
    import unicodedata

    text = "東京は雨！ ＡＢＣ… ｶﾞｷﾞ e\u0301 ¹²³ ㅋㅋ Ⅻ ｱｲ"
    assert normalize(text) == unicodedata.normalize("NFKC", text).casefold()


def test_normalized_spellings_count_as_one_keyword() -> None:
    pairs = extract_keywords("ＦＯＯＴＢＡＬＬ football Football", ("en",))
    assert pairs == [("football", KIND_WORD)]


def test_strasse_word_is_casefolded() -> None:
    assert words("Straße gesperrt", ("de",)) == ["strasse", "gesperrt"]


def test_invisible_format_characters_neither_split_nor_spell_a_word() -> None:
    # A soft hyphen, a zero-width space or a word joiner inside a word: the word people read.
    assert words("soft\u00adware air\u200bdrop word\u2060joiner") == [
        "software", "airdrop", "wordjoiner",
    ]  # fmt: skip
    # A joiner at a word's end, or between Latin letters, is no second spelling of it.
    assert words("zorblax\u200d zorb\u200clax zorblax") == ["zorblax"]
    # A bidirectional mark or a BOM between two words leaves them a phrase.
    assert phrases("solar\u200f eclipse") == phrases("solar \u2066eclipse") == ["solar eclipse"]
    # A mention hidden behind a zero-width space is still a mention.
    assert words("@\u200bsomeone") == []
    tagged = extract_keywords("", (), hashtags=["Air\u00addrop\u200b"])
    assert tagged == [("#airdrop", KIND_HASHTAG)]


def test_joiners_stay_inside_persian_and_indic_words() -> None:
    # Persian spells "I want" with a ZWNJ; Devanagari asks for a half form with a ZWJ.
    assert words("می\u200cخواهم", ("fa",)) == ["می\u200cخواهم"]
    assert words("क\u200dष", ("hi",)) == ["क\u200dष"]
    assert words("می\u200c", ("fa",)) == []  # at the word's end: deleted, "می" is too short


# --- links and domains ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.NYTimes.com/x", "nytimes.com"),
        ("http://example.org:8080/path?q=1", "example.org"),
        ("https://m.youtube.com/watch?v=1", "youtube.com"),
        ("HTTPS://User:pw@WWW.Example.COM:443/", "example.com"),
        ("https://news.bbc.co.uk./a", "news.bbc.co.uk"),
        ("https://bsky.app/profile/alice.bsky.social", "bsky.app"),
        ("https://www.com/", "www.com"),  # never stripped down to a bare TLD
    ],
)
def test_domain_of(url: str, expected: str) -> None:
    assert domain_of(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "at://did:plc:abc/app.bsky.feed.post/1",
        "mailto:bob@example.com",
        "ftp://example.com/file",
        "https://localhost/",
        "http://192.168.0.1/admin",
        "http://[::1]:8080/",
        "https://",
        "not a url",
        "",
    ],
)
def test_domain_of_rejects_non_http_and_junk(url: str) -> None:
    assert domain_of(url) is None


def test_urls_in_text_give_domains_and_no_words() -> None:
    pairs = extract_keywords(
        "Read https://www.NYTimes.com/2024/05/climate-report.html today", ("en",)
    )
    assert ("nytimes.com", KIND_DOMAIN) in pairs
    link_words = {"nytimes", "com", "climate", "report", "html", "2024"}
    assert not link_words & set(_of_kind(pairs, KIND_WORD))


def test_bare_links_in_text_are_removed() -> None:
    # Bluesky clients show link facets as host + truncated path, without the scheme.
    pairs = extract_keywords(
        "Wildfire update theguardian.com/world/2024/jun/... and www.Example.org", ("en",)
    )
    assert _of_kind(pairs, KIND_DOMAIN) == ["theguardian.com", "example.org"]
    assert _of_kind(pairs, KIND_WORD) == ["wildfire", "update"]


def test_a_full_stop_without_space_is_not_a_domain() -> None:
    assert words("I totally agree.Nothing else matters") == [
        "totally", "agree", "nothing", "else", "matters",
    ]  # fmt: skip


def test_facet_links_and_text_urls_are_deduplicated() -> None:
    pairs = extract_keywords(
        "nytimes.com/2024/05/clim...",
        ("en",),
        links=["https://www.nytimes.com/2024/05/climate", "https://m.nytimes.com/x"],
    )
    assert pairs == [("nytimes.com", KIND_DOMAIN)]


def test_url_in_parentheses_keeps_its_domain() -> None:
    pairs = extract_keywords("(source: https://example.com/a)", ("en",))
    assert _of_kind(pairs, KIND_DOMAIN) == ["example.com"]


def test_email_addresses_are_removed() -> None:
    pairs = extract_keywords("mail someone.else@example.com zorblax", ("en",))
    assert pairs == [("mail", KIND_WORD), ("zorblax", KIND_WORD)]


# --- mentions -------------------------------------------------------------------------------


def test_mentions_are_removed() -> None:
    pairs = extract_keywords("@alice.bsky.social @Bob thanks for the zorblax", ("en",))
    assert pairs == [("thanks", KIND_WORD), ("zorblax", KIND_WORD)]


def test_english_stopwords_are_function_words_only() -> None:
    # stopwords-iso's English list would drop every content word here.
    pairs = extract_keywords("Happy New Year from the World Cup, welcome home!", ("en",))
    assert [k for k, kind in pairs if kind == KIND_WORD] == [
        "happy", "new", "year", "world", "cup", "welcome", "home",
    ]  # fmt: skip
    assert [k for k, kind in pairs if kind == KIND_PHRASE] == [
        "happy new", "new year", "world cup", "welcome home",
    ]  # fmt: skip
    # Function words still go, whichever way a post spells them.
    assert extract_keywords("I'm sure they'd have been there, dont you think", ("en",)) == [
        ("sure", KIND_WORD), ("think", KIND_WORD),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "brk", ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
def test_a_line_break_ends_a_phrase(brk: str) -> None:
    assert phrases(f"grumpy{brk}noodle") == []
    assert words(f"grumpy{brk}noodle") == ["grumpy", "noodle"]
    assert phrases(f"happy grumpy{brk}noodle soup") == ["happy grumpy", "noodle soup"]
    assert phrases(f"東京 grumpy{brk}noodle soup") == ["noodle soup"]  # the CJK path too


def test_blanks_within_a_line_keep_a_phrase() -> None:
    for blank in (" ", "\t", "  \t ", "\u3000", "\xa0"):
        assert phrases(f"grumpy{blank}noodle") == ["grumpy noodle"]


def test_mention_breaks_phrase_adjacency() -> None:
    assert phrases("zorblax @bob quintessa") == []


# --- hashtags -------------------------------------------------------------------------------


def test_hashtags_from_facets_and_text_are_united_and_deduplicated() -> None:
    pairs = extract_keywords(
        "Watching the #Eclipse with friends #Totality2024 #eclipse",
        ("en",),
        hashtags=["Eclipse", "SolarEclipse"],
    )
    assert _of_kind(pairs, KIND_HASHTAG) == ["#eclipse", "#solareclipse", "#totality2024"]


def test_hashtag_text_is_not_also_a_word() -> None:
    pairs = extract_keywords("#Eclipse tonight", ("en",))
    assert ("eclipse", KIND_WORD) not in pairs
    assert ("#eclipse", KIND_HASHTAG) in pairs


def test_digit_only_tags_are_not_hashtags() -> None:
    pairs = extract_keywords("We're #1 again", ("en",), hashtags=["2024"])
    assert _of_kind(pairs, KIND_HASHTAG) == []


def test_hash_inside_a_word_is_not_a_hashtag() -> None:
    pairs = extract_keywords("issue#42 and c#sharp", ("en",))
    assert _of_kind(pairs, KIND_HASHTAG) == []


def test_facet_tags_are_normalized_and_may_carry_a_hash() -> None:
    pairs = extract_keywords("", (), hashtags=["ＢｌｕｅＳｋｙ", "#Art", " "])
    assert pairs == [("#bluesky", KIND_HASHTAG), ("#art", KIND_HASHTAG)]


def test_japanese_hashtag() -> None:
    pairs = extract_keywords("#ポケモン 最高", ("ja",))
    assert _of_kind(pairs, KIND_HASHTAG) == ["#ポケモン"]
    assert "ポケモン" not in _of_kind(pairs, KIND_WORD)


# --- stopwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "kept"),
    [
        ("en", "the quick brown fox and the lazy dog", ["quick", "brown", "fox", "lazy", "dog"]),
        ("pt", "eu não sei porque você está aqui hoje zorblax", ["sei", "hoje", "zorblax"]),
        ("pt-BR", "isso não é o governo zorblax", ["governo", "zorblax"]),
        ("de", "ich habe das nicht gewusst zorblax", ["gewusst", "zorblax"]),
        ("es", "pero también tenemos que hablar zorblax", ["hablar", "zorblax"]),
        ("fr", "nous avons aussi été dans zorblax", ["zorblax"]),
    ],
)
def test_stopwords_of_the_post_language_are_dropped(lang: str, text: str, kept: list[str]) -> None:
    assert words(text, (lang,)) == kept


@pytest.mark.parametrize(
    ("lang", "text", "kept"),
    [
        ("es", "hoy el trabajo en estados unidos", ["hoy", "trabajo", "estados", "unidos"]),
        ("it", "l'anno della vita in città", ["anno", "vita", "città"]),
        ("pt", "o trabalho de um dia", ["trabalho", "dia"]),
        ("de", "die Zeit für ein Jahr", ["zeit", "jahr"]),
        ("fr", "la droite au début", ["droite", "début"]),
    ],
)
def test_content_words_in_stopwords_iso_lists_stay_keywords(
    lang: str, text: str, kept: list[str]
) -> None:
    # stopwords-iso's lists hold them; a stopword could never trend, even as "estados unidos".
    assert all(word in stopwordsiso.stopwords(lang) for word in kept if word != "unidos"), kept
    assert words(text, (lang,)) == kept
    if lang == "es":
        assert ("estados unidos", KIND_PHRASE) in extract_keywords(text, (lang,))


def test_stopwords_are_per_language() -> None:
    # "nicht" is only a stopword when the post is German.
    assert words("nicht zorblax", ("fr",)) == ["nicht", "zorblax"]
    assert words("nicht zorblax", ("de",)) == ["zorblax"]


def test_english_stopwords_apply_to_every_language() -> None:
    assert words("através the zorblax", ("pt",)) == ["zorblax"]
    assert words("the zorblax", ()) == ["zorblax"]


def test_japanese_and_korean_stopwords_apply() -> None:
    assert "その他" not in words("その他", ("ja",))
    assert words("우리 방탄소년단", ("ko",)) == ["방탄소년단"]
    assert words("우리 방탄소년단", ("en",)) == ["우리", "방탄소년단"]


def test_stopwords_for_is_cached_normalized_and_always_english() -> None:
    pt = stopwords_for(["pt-BR"])
    assert stopwords_for(("pt-BR",)) is pt
    assert {"não", "the", "don't"} <= pt
    assert stopwords_for("de") == stopwords_for(["de"])  # a lone string is one language
    assert stopwords_for(["xx-unknown"]) == stopwords_for([])
    assert all(word == normalize(word) for word in stopwords_for(["de", "ja", "ko", "fr"]))


# --- words: length, numbers, emoji, apostrophes -----------------------------------------------


def test_minimum_word_length_is_three_for_alphabetic_scripts() -> None:
    assert words("ox zorb ab xyz", ()) == ["zorb", "xyz"]
    assert words("да мир путин", ("en",)) == ["мир", "путин"]


def test_overlong_tokens_are_dropped() -> None:
    assert words("a" * 41 + " zorblax") == ["zorblax"]


def test_numbers_are_not_keywords_but_alphanumerics_are() -> None:
    assert words("2024 1,000 3.14 ٢٠٢٤ covid19 ps5 zorblax") == ["covid19", "ps5", "zorblax"]


def test_a_hyphenated_compound_is_a_word_and_so_are_its_kept_parts() -> None:
    assert words("Spider-Man, covid-19 vaccine; Mar-a-Lago k-pop") == [
        "spider-man", "spider", "man", "covid-19", "covid", "vaccine",
        "mar-a-lago", "mar", "lago", "k-pop", "pop",
    ]  # fmt: skip
    # "anti-Trump" still speaks of trump; a part already seen is not counted twice.
    assert words("trump rally, anti-Trump protest") == [
        "trump", "rally", "anti-trump", "anti", "protest",
    ]  # fmt: skip
    # The compound joins phrases as one word; its parts are in none. Its possessive goes.
    assert phrases("the new Spider-Man's trailer") == ["new spider-man", "spider-man trailer"]


def test_the_unicode_hyphen_joins_as_the_ascii_one_in_text_and_facet_tags() -> None:
    # U+2010, and U+2011 (the non-breaking hyphen, which NFKC turns into U+2010).
    assert words("COVID\u201019 and Spider\u2011Man") == [
        "covid-19", "covid", "spider-man", "spider", "man",
    ]  # fmt: skip
    pairs = extract_keywords("#K\u2010Pop", ("en",), hashtags=["K\u2011Pop"])
    assert pairs == [("#k-pop", KIND_HASHTAG)]
    assert keyword_of("Spider\u2010Man", KIND_WORD) == "spider-man"


def test_hyphens_that_join_no_two_runs_separate_words() -> None:
    assert words("well--known pre- -post a-'b zorb-") == ["well", "known", "pre", "post", "zorb"]


def test_numbers_joined_by_hyphens_or_apostrophes_are_numbers() -> None:
    assert words("won 1-0 in the 2024-25 season, 1'000 fans") == ["won", "season", "fans"]


def test_hyphens_inside_an_in_text_hashtag_belong_to_it_as_in_facet_tags() -> None:
    pairs = extract_keywords("#Spider-Man! #tag- day", ("en",), hashtags=["spider-man"])
    assert pairs == [("#spider-man", KIND_HASHTAG), ("#tag", KIND_HASHTAG), ("day", KIND_WORD)]


def test_a_hyphenated_host_is_still_a_link() -> None:
    pairs = extract_keywords("see my-site.com and mail foo-bar@x.com", ("en",))
    assert pairs == [("my-site.com", KIND_DOMAIN), ("see", KIND_WORD), ("mail", KIND_WORD)]


def test_emoji_and_symbols_are_not_keywords() -> None:
    pairs = extract_keywords("🔥🔥 zorblax ❤️ © ™ → 🇧🇷 👍🏽", ("en",))
    assert pairs == [("zorblax", KIND_WORD)]


def test_apostrophes() -> None:
    assert words("don't can’t won't") == []  # contractions are stopwords as written
    assert words("Trump’s plan", ("en",)) == ["trump", "plan"]
    # An elided article goes; "aujourd'hui" (today) stays whole, a word like "hoy" and "today".
    assert words("l'homme d’affaires aujourd'hui", ("fr",)) == ["homme", "affaires", "aujourd'hui"]
    assert words("rock'n'roll") == ["rock'n'roll"]


def test_combining_marks_stay_inside_words() -> None:
    assert words("नमस्ते दुनिया", ("hi",)) == ["नमस्ते", "दुनिया"]


# --- CJK ------------------------------------------------------------------------------------


def test_japanese_yields_han_bigrams_and_katakana_words() -> None:
    text = "今日は東京タワーでポケモンのイベントがありました！"
    found = words(text, ("ja",))
    assert {"今日", "東京", "タワー", "ポケモン", "イベント"} <= set(found)
    hiragana_only = [w for w in found if all("\u3041" <= c <= "\u309f" for c in w)]
    assert hiragana_only == []  # "ありました" gives nothing
    assert all(len(w) <= 5 for w in found)  # never one giant token (東京タワー is not one)
    assert "ン新" not in words("ポケモン新作", ("ja",))  # Katakana is never in a bigram


def test_lone_han_and_long_vowel_mark_give_nothing() -> None:
    assert words("雨", ("ja",)) == []
    assert words("ーー ひらがなだけ", ("ja",)) == []


def test_chinese_han_bigrams_and_longer_han_grams() -> None:
    assert words("天气很好", ("zh",)) == ["天气", "气很", "很好", "天气很", "气很好", "天气很好"]


def test_han_names_and_compounds_up_to_four_characters_are_words() -> None:
    # A burst of a name or compound must be countable as written, not only as its bigrams.
    found = words("大谷翔平が東京都で人工知能の話をした", ("ja",))
    assert {"大谷翔平", "東京都", "人工知能"} <= set(found)
    assert {"大谷", "翔平", "東京", "人工", "知能"} <= set(found)  # the bigrams stay
    # Grams never cross kana, and stop at four Han characters.
    assert not [w for w in found if len(w) > 2 and not all(_is_han(c) for c in w)]
    assert max(map(len, words("中華人民共和国", ("zh",)))) == 4
    # After the segment's bigrams come the longer grams, by where they end.
    assert words("大谷翔平が", ("ja",)) == [
        "大谷", "谷翔", "翔平", "大谷翔", "谷翔平", "大谷翔平",
    ]  # fmt: skip


def test_a_han_run_longer_than_eight_characters_gives_only_bigrams() -> None:
    # A Chinese clause: its 3- and 4-grams would be mostly made across words.
    clause = "今天人工智能发展很快"
    assert words(clause, ("zh",)) == [clause[i : i + 2] for i in range(len(clause) - 1)]
    assert "人工智能" in words("今天，人工智能发展很快", ("zh",))  # punctuation ends a run


def test_a_katakana_word_joins_the_han_run_beside_it() -> None:
    assert "東京オリンピック" in words("東京オリンピックが始まる", ("ja",))
    assert words("コロナ禍で", ("ja",)) == ["コロナ", "禍で", "コロナ禍"]
    found = words("ワールドカップ日本代表", ("ja",))
    assert found[-1] == "ワールドカップ日本代表" and "日本代表" in found
    # Not across kana, not with a Han run of more than four, not a lone Katakana letter.
    assert words("東京のオリンピック", ("ja",)) == ["東京", "オリンピック"]
    assert "衆議院選挙ポスター" not in words("衆議院選挙ポスター", ("ja",))
    assert words("東京ア", ("ja",)) == ["東京"]


def test_bigrams_across_a_word_end_are_not_words() -> None:
    # は東 and った時 straddle two words, and so do 日は and 京に: the end of a Han word
    # (which 今日 and 東京 hold) and its particle. お茶 and ご飯 are words, and a Han
    # character alone counts with the Hiragana after it: 行っ, 猫が.
    assert words("今日は東京に行った時", ("ja",)) == ["今日", "東京", "行っ"]
    assert words("お茶とご飯", ("ja",)) == ["お茶", "茶と", "ご飯"]
    assert words("最高でした、猫が好き", ("ja",)) == ["最高", "猫が", "好き"]


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def test_cjk_gives_no_phrases() -> None:
    assert phrases("東京 大阪 名古屋", ("ja",)) == []


def test_latin_next_to_han_splits() -> None:
    assert words("iPhone新作", ("ja",)) == ["iphone", "新作"]


def test_korean_particles_are_stripped() -> None:
    assert words("한국에서 방탄소년단이 콘서트를 했다", ("ko",)) == [
        "한국",
        "방탄소년단",
        "콘서트",
        "했다",
    ]


def test_korean_particle_strip_keeps_two_characters() -> None:
    # "사이" ends like the particle 이, but stripping would leave one character.
    assert words("사이 나라의", ("ko",)) == ["사이", "나라"]


def test_korean_two_character_words_and_jamo_laughter() -> None:
    assert words("정말 ㅋㅋㅋ ㅠㅠ 노래", ("ko",)) == ["정말", "노래"]


def test_korean_gives_phrases() -> None:
    assert phrases("방탄소년단 콘서트", ("ko",)) == ["방탄소년단 콘서트"]


needs_native = pytest.mark.skipif(
    not keywords_native.available(), reason="ICU's segmenter comes with trendlake_native"
)


def test_thai_is_cut_into_words_with_phrases_between_neighbours() -> None:
    # newmm over PyThaiNLP's word list: "travel to Bangkok" -> ไปเที่ยว | กรุงเทพ
    pairs = extract_keywords("ไปเที่ยวกรุงเทพ", ("th",))
    assert _of_kind(pairs, KIND_WORD) == ["ไปเที่ยว", "กรุงเทพ"]
    assert _of_kind(pairs, KIND_PHRASE) == ["ไปเที่ยว กรุงเทพ"]


def test_thai_loanwords_and_names_stay_whole() -> None:
    # What trends: Lisa of Blackpink, covid, Myanmar, Trump, the US election.
    assert words("ลิซ่าแบล็กพิงก์ โควิดระบาด แผ่นดินไหวที่เมียนมา", ("th",)) == [
        "ลิซ่า",
        "แบล็ก",
        "พิงก์",
        "โควิด",
        "ระบาด",
        "แผ่นดินไหว",
        "เมียนมา",
    ]
    assert words("ทรัมป์ชนะการเลือกตั้งสหรัฐ", ("th",)) == [
        "ทรัมป์",
        "ชนะ",
        "การเลือกตั้ง",
        "สหรัฐ",
    ]


@needs_native
@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("ສະບາຍດີ ປະເທດລາວ", "lo", ["ສະບາຍ", "ປະເທດ", "ລາວ"]),  # Lao
        ("ខ្ញុំស្រលាញ់ប្រទេសកម្ពុជា", "km", ["ខ្ញុំ", "ស្រលាញ់", "ប្រទេស", "កម្ពុជា"]),  # Khmer
        ("ရန်ကုန်မြို့", "my", ["ရန်", "ကုန်", "မြို့"]),  # Burmese
    ],
)
def test_lao_khmer_and_burmese_are_cut_into_words(
    text: str, lang: str, expected: list[str]
) -> None:
    assert words(text, (lang,)) == expected


def test_thai_stopwords_apply_to_the_pieces() -> None:
    # "heavy flooding in Chiang Mai": ที่ ("in", "that") is a Thai stopword, and a dropped
    # piece breaks adjacency as a dropped word does in any language.
    text = "น้ำท่วมหนักที่เชียงใหม่"
    flood = normalize("น้ำท่วม")  # NFKC spells its vowel sign AM as two characters
    assert "ที่" in stopwords_for(("th",))
    assert words(text, ("th",)) == [flood, "หนัก", "เชียงใหม่"]
    assert phrases(text, ("th",)) == [f"{flood} หนัก"]
    assert phrases(text, ("en",)) == [f"{flood} หนัก", "หนัก ที่", "ที่ เชียงใหม่"]


def test_thai_words_with_the_vowel_sign_am_are_found_in_nfkc_text() -> None:
    # NFKC turns ำ (U+0E33) into U+0E4D U+0E32, a spelling the word list does not hold: the
    # segmenter is given the usual one, and the keywords stay in NFKC form, as every
    # keyword is, so a truth file's "น้ำท่วม" (flood) matches through keyword_of.
    assert normalize("น้ำ") == "\u0e19\u0e49\u0e4d\u0e32"
    assert words("น้ำท่วมกรุงเทพ ทำงาน", ("th",)) == [
        keyword_of("น้ำท่วม", KIND_WORD),
        "กรุงเทพ",
        keyword_of("ทำงาน", KIND_WORD),
    ]


def test_latin_glued_to_thai_splits_and_thai_hashtags_and_links_stay_whole() -> None:
    pairs = extract_keywords("#ประเทศไทย iphoneใหม่ https://www.thairath.co.th/news", ("th",))
    assert _of_kind(pairs, KIND_HASHTAG) == ["#ประเทศไทย"]
    assert _of_kind(pairs, KIND_DOMAIN) == ["thairath.co.th"]
    assert _of_kind(pairs, KIND_WORD) == ["iphone", "ใหม่"]
    assert _of_kind(pairs, KIND_PHRASE) == ["iphone ใหม่"]


def test_without_the_native_module_thai_is_cut_alike_and_the_rest_stays_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "ลิซ่าแบล็กพิงก์ ไปเที่ยวกรุงเทพ ສະບາຍດີ ປະເທດລາວ"
    native = extract_keywords(text, ("th",))
    monkeypatch.setattr(text_module, "_word_segments", text_module._python_word_segments)
    python = extract_keywords(text, ("th",))
    thai = [pair for pair in python if not any("\u0e80" <= c <= "\u0eff" for c in pair[0])]
    assert thai == [pair for pair in native if pair in thai]
    assert ("ສະບາຍດີ", KIND_WORD) in python and ("ປະເທດລາວ", KIND_WORD) in python


# --- phrases ---------------------------------------------------------------------------------


def test_adjacent_kept_words_form_phrases() -> None:
    pairs = extract_keywords("Taylor Swift concert tickets", ("en",))
    assert _of_kind(pairs, KIND_PHRASE) == [
        "taylor swift",
        "swift concert",
        "concert tickets",
    ]


@pytest.mark.parametrize("gap", [".", ",", "!", "?", " - ", " 🔥 ", " the ", " 42 ", " #tag "])
def test_punctuation_emoji_stopwords_and_numbers_break_adjacency(gap: str) -> None:
    assert phrases(f"zorblax{gap}quintessa") == []


def test_url_breaks_adjacency() -> None:
    assert phrases("zorblax https://example.com quintessa") == []


def test_repeated_word_is_not_a_phrase() -> None:
    assert phrases("zorblax zorblax") == []
    assert phrases("zorblax zorblax quintessa") == ["zorblax quintessa"]


# --- counting once, empties, output shape ------------------------------------------------------


def test_a_post_counts_once_per_keyword() -> None:
    pairs = extract_keywords("zorblax zorblax. Zorblax! ZORBLAX zorblax quintessa", ("en",))
    assert pairs.count(("zorblax", KIND_WORD)) == 1
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "🔥🔥🔥", "the and of", "...!!!"])
def test_nothing_to_count(text: str) -> None:
    assert extract_keywords(text, ("en",)) == []


def test_output_order_is_hashtags_domains_words_phrases() -> None:
    pairs = extract_keywords(
        "zorblax quintessa https://example.com #tagged",
        ("en",),
        hashtags=["fromfacet"],
        links=["https://other.org/x"],
    )
    assert pairs == [
        ("#fromfacet", KIND_HASHTAG),
        ("#tagged", KIND_HASHTAG),
        ("other.org", KIND_DOMAIN),
        ("example.com", KIND_DOMAIN),
        ("zorblax", KIND_WORD),
        ("quintessa", KIND_WORD),
        ("zorblax quintessa", KIND_PHRASE),
    ]


def test_kinds_are_only_the_four() -> None:
    text = "Ｈｅｌｌｏ #World https://x.com/a @bob 東京タワー 한국에서 covid19 rock music!"
    pairs = extract_keywords(text, ["en", "ja", "ko"], ["Tag"], ["https://bsky.app/x"])
    assert pairs
    assert {kind for _, kind in pairs} <= set(KINDS)
    assert {kind for _, kind in pairs} == set(KINDS)


def test_langs_may_be_a_list() -> None:
    assert extract_keywords("nicht zorblax", ["de"]) == [("zorblax", KIND_WORD)]


# --- fast paths -------------------------------------------------------------------------------


def _through_the_tokenizer(text: str, langs: tuple[str, ...]) -> tuple[list[str], ...]:
    """Tags, domains, words, phrases of `_TOKEN_RE` run on the whole text, as before the
    blank-split fast path existed."""
    out: tuple[list[str], ...] = ([], [], [], [])
    normalized = normalize(text).replace("’", "'")
    text_module._scan_chunk(normalized, None, stopwords_for(langs), *out)
    return out


def _through_the_fast_path(text: str, langs: tuple[str, ...]) -> tuple[list[str], ...]:
    out: tuple[list[str], ...] = ([], [], [], [])
    normalized = normalize(text).replace("’", "'")
    text_module._scan(normalized, stopwords_for(langs), *out)
    return out


@pytest.mark.parametrize(
    "text",
    [
        "Taylor Swift, concert tickets! (Sold out) ...again",
        "«Bonjour» l'homme, d’affaires; aujourd'hui — c'est 'fini' dogs' it''s ''",
        "http:// https://x.com/a (https://y.org) x.com/b www.z.net agree.It",
        "mail a.b+c@d.co me @bob: @alice.bsky.social, #Tag. #1 ##x issue#42",
        "covid-19 1,000 3.14 __init__ a_b x+y ps5 2024 🔥fire🔥 ❤️ 👍🏽 ok!!",
        "Straße ΣΊΣΥΦΟΣ ＡＢＣ！ 𝐁𝐨𝐥𝐝 a¨b ´x ﬁnance İstanbul नमस्ते, دنیا",
        "한국에서, 방탄소년단이! ㅋㅋㅋ 사이 (나라의)",
        "tab\tnew\nline\x1cfs\u2028ls\u3000ideographic",
    ],
)
@pytest.mark.parametrize("langs", [("en",), ("fr",), ("de",), ("ko",)])
def test_blank_split_fast_path_matches_the_tokenizer(text: str, langs: tuple[str, ...]) -> None:
    # The fast path cuts the text at blanks and reads "word," without the regex; every
    # output list, in order and with repeats, must be what the tokenizer alone gives.
    assert _through_the_fast_path(text, langs) == _through_the_tokenizer(text, langs)
    assert _through_the_fast_path(text.upper(), langs) == _through_the_tokenizer(
        text.upper(), langs
    )


def test_ascii_text_skips_normalize_but_agrees_with_it() -> None:
    # ASCII text is only lower()-ed; a trailing emoji sends the same text through normalize.
    text = "The QUICK brown fox, don't STOP! #Tag https://Example.COM/x zorblax"
    assert extract_keywords(text, ("en",)) == extract_keywords(text + " 🔥", ("en",))
