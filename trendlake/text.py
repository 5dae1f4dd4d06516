"""Keyword extraction for one post: the hot path of the pipeline.

`extract_keywords` turns a post's text (plus its facet hashtags and links) into the unique
``(keyword, kind)`` pairs that the trend counters count. A post counts at most once per
keyword, so each pair appears at most once. These rules are the project's contract; every
downstream count depends on them.

1. Normalization. Text is NFKC-normalized, then ``casefold()``-ed (``ＡＢＣ`` -> ``abc``,
   ``Straße`` -> ``strasse``, ``𝐁𝐨𝐥𝐝`` -> ``bold``). The typographic apostrophe ``’`` is
   read as ``'``, and the hyphen ``‐`` (U+2010, which NFKC also makes of the non-breaking
   hyphen U+2011) as ``-``, in the text and in facet tags. Format characters that show
   nothing are deleted there too, so they neither split a word nor spell a second one:
   the soft hyphen, zero-width space, word joiner, BOM, the bidirectional marks and
   controls, and the tag characters (``soft\\u00adware`` -> ``software``, ``air\\u200bdrop``
   -> ``airdrop``); a zero-width non-joiner or joiner stays only between two letters or
   marks of U+0600-U+0DFF, Arabic to Sinhala, as Persian and the Indic scripts spell with
   them (``می‌خواهم``). Stopwords and facet tags go through the same `normalize`.
2. Links. ``http(s)://...`` URLs and bare links (``www.x.y...``; ``host.tld/path``, which
   is how Bluesky clients shorten link text; ``host.tld`` for a short list of common TLDs
   such as com/org/net/io/social/uk/de/jp/br) are removed from the text before words are
   tokenized. The domain of each such link and of each of the post's ``links`` (its link
   facets and link card, see `trendlake.ingest.records`) is a ``domain`` keyword, see
   `domain_of`: lowercase host, one leading ``www.`` or ``m.`` stripped, no port, no
   user info; IP addresses and non-http(s) URIs give no domain. ``bsky.app`` is kept: it
   is a real domain. E-mail addresses are removed and give nothing.
3. Mentions (``@someone``, ``@handle.bsky.social``) are removed; they are not keywords.
4. Hashtags. The union of the post's ``hashtags`` (its facet tags and outline tags) and the
   in-text ``#tags`` (``#`` not preceded by a word character, followed by word characters)
   gives ``"#" + normalize(tag)`` of kind ``hashtag``. Hyphens inside an in-text tag belong
   to it, as in the tags Bluesky's clients write (``#Spider-Man`` -> ``#spider-man``, the
   facet's tag). A tag made only of digits (``#1``) is not a hashtag. An in-text ``#tag``
   is removed from the word stream: ``#Eclipse`` counts as ``#eclipse``, not as
   ``eclipse``.
5. Words are maximal runs of Unicode letters and digits (combining marks included, so
   Devanagari or Arabic words stay whole), joined by single apostrophes or hyphens between
   them; every other character separates words. A hyphenated compound is a word
   (``Spider-Man`` -> ``spider-man``, ``covid-19``, ``mar-a-lago``, ``k-pop``), and so is
   each of its parts that these rules keep (``spider``, ``man``; ``covid``; ``mar``,
   ``lago``; ``pop``), right after it: "anti-Trump protests" still speak of ``trump``. A
   part is in no phrase (rule 7: the compound is), and an alert for a compound stands for
   the same surge of its parts (`trendlake.alerts.drop_covered_parts`).
   Apostrophes inside a word: a trailing ``'s`` is dropped (``trump's`` -> ``trump``); a
   French/Italian elided article or pronoun is dropped (``l'homme`` -> ``homme``,
   ``dell'anno`` -> ``anno``); any other apostrophe is kept (``don't``, ``aujourd'hui``),
   which is the form the stopword lists use. A word is dropped when it is:
   - a stopword: the stopword lists of the post's languages (primary subtag, so
     ``pt-BR`` -> ``pt``) plus English always, since English is mixed into every language
     on Bluesky. English, Spanish, Portuguese, French, Italian, German and Dutch use
     function words only (``stopwords_en``, ``stopwords_function``), not stopwords-iso's
     lists, which hold words that trend (``world``, ``new``, ``trabajo``, ``zeit``); other
     languages use stopwords-iso's;
   - shorter than 3 characters, except that a token containing a Hangul syllable needs
     only 2 (Korean words are short);
   - longer than 40 characters (hashes, base64, a sentence of an unsegmented script);
   - made only of digits, hyphens and apostrophes: numbers are not keywords (``2024``,
     ``1,000``, ``1-0``, ``2024-25`` -> nothing), but a token mixing letters and digits is
     a word (``covid19``, ``ps5``, ``covid-19``);
   - made only of Hangul jamo (``ㅋㅋㅋ``, ``ㅠㅠ``): those are emoticons.
   Emoji and symbols are never keywords: they are not letters or digits, so they only
   separate words (and break phrases, rule 7).
6. CJK. Han, Hiragana and Katakana have no spaces, so such a run never becomes one token.
   Each Katakana run of length >= 2 is a word (loanwords: ``ポケモン``). The rest of the
   run (Han and Hiragana) gives its character bigrams of two Han characters (``東京``), of a
   Han character that stands alone and the Hiragana after it (``食べ``, ``猫が``: a
   one-character word or verb stem only counts with what follows it), and of the honorific
   prefix ``お`` or ``ご`` and Han (``お茶``, ``ご飯``). Other bigrams are grammar noise and
   dropped: Hiragana-only ones; Hiragana before Han, where a word ends and the next begins
   (``は東``, ``った時``); and Han after Han before Hiragana, the end of a word the Han
   bigrams already hold and its particle (``最高で`` gives ``最高``, not ``高で``). A lone Han
   character gives nothing.
   Three or four Han characters in a row are also a word, after the segment's bigrams, by
   where they end (``大谷翔平が`` -> ``大谷``, ``谷翔``, ``翔平``, ``平が``, ``大谷翔``,
   ``谷翔平``, ``大谷翔平``): names and compounds such as ``東京都`` or ``人工智能`` are what
   people search for and what trends, and an alert for the whole stands for the surge of
   its pieces (`trendlake.parts`). Only a run of at most 8 Han characters gives them
   (``MAX_HAN_RUN``): Japanese puts kana between its Han words, and a longer run is a
   Chinese clause, whose 3- and 4-grams are mostly made across words and would nearly
   triple the keywords a Chinese post gives. Last, a Katakana word with a run of at most 4
   Han characters right before or after it is a word too, the two joined
   (``東京オリンピック``, ``新型コロナ``, ``コロナ禍``): Japanese compounds mix the scripts.
   Korean is space-separated: a Hangul word loses one trailing particle
   (은 는 이 가 을 를 에 의 도 로 으로 와 과 에서 에게 한테 까지 부터 만) when at least 2
   characters remain (``한국에서`` -> ``한국``; the rule is naive: ``고양이`` -> ``고양``).
   Stopwords apply to all of these tokens.
   Thai, Lao, Khmer and Burmese have no spaces between words either, and their letters
   pair into nothing meaningful: a word token holding a letter of those scripts is cut into
   words. Thai by newmm, PyThaiNLP's dictionary maximal matching over its word list of
   62,000 words (nlpO3's Rust port in the native module, PyThaiNLP's own without it); Lao,
   Khmer and Burmese by ICU's word segmenter (ICU4X's LSTM models, in the native module
   only: without it such a token stays whole, as rule 5 says). Each piece is then a word
   token of its own, kept or dropped by rule 5, and neighbours form phrases by rule 7, as
   if spaces stood between them (``ไปเที่ยวกรุงเทพ`` -> ``ไปเที่ยว``, ``กรุงเทพ``,
   ``ไปเที่ยว กรุงเทพ``). Hashtags and links in these scripts are not cut. The word list
   knows the loanwords and names that trend (``โควิด``, ``ลิซ่า``, ``เมียนมา``), which ICU's
   LSTM model cut in two and its Thai dictionary into syllables, and newmm costs a
   seventeenth of the LSTM's time. A piece keeps NFKC's spelling of the vowel sign AM
   (``น้ำ`` as ``น้ํา``), as every keyword is in NFKC form; the segmenters are given the
   usual one, the one their word lists and models know.
7. Phrases are two kept word tokens next to each other in the text, joined by one space,
   kind ``phrase``. Only whitespace within one line may separate them: a line break (what
   ``str.splitlines`` splits at), punctuation, emoji, a removed URL/mention/hashtag or a
   dropped token (stopword, number, short word) between them breaks adjacency. CJK runs
   give no phrases; Korean, being space-separated, does. A word repeated (``yes yes``) is
   not a phrase.
8. Output order: hashtags, then domains, then words, then phrases; each deduplicated in
   first-seen order.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import stopwordsiso

from trendlake.stopwords_en import ENGLISH_STOPWORDS
from trendlake.stopwords_function import FUNCTION_WORDS

__all__ = [
    "HAN_CHARS",
    "KATAKANA_CHARS",
    "KINDS",
    "KIND_DOMAIN",
    "KIND_HASHTAG",
    "KIND_PHRASE",
    "KIND_WORD",
    "MAX_HAN_GRAM",
    "MAX_HAN_RUN",
    "domain_of",
    "extract_keywords",
    "keyword_of",
    "normalize",
    "stopwords_for",
]

KIND_WORD = "word"
KIND_PHRASE = "phrase"
KIND_HASHTAG = "hashtag"
KIND_DOMAIN = "domain"
KINDS = (KIND_WORD, KIND_PHRASE, KIND_HASHTAG, KIND_DOMAIN)

MIN_WORD_LEN = 3
MIN_HANGUL_WORD_LEN = 2
MAX_WORD_LEN = 40
# Longest run of Han characters counted whole (rule 6): most Chinese and Japanese words and
# names are 2 to 4 characters long. Runs longer than MAX_HAN_RUN give only bigrams.
MAX_HAN_GRAM = 4
MAX_HAN_RUN = 8
# Always-on stopword language: English is mixed into posts of every language on Bluesky.
BASE_STOPWORD_LANG = "en"


# --- character classes ---------------------------------------------------------------------

# Scripts written without spaces that rule 6 segments itself (regex class bodies). They are
# excluded from the word class so that "iphone新作" splits into "iphone" and "新作".
HAN_CHARS = (
    "\u3005-\u3007\u303b"  # 々 〆 〇 〻: iteration/closing marks behave like Han
    "\u30f5\u30f6"  # ヵ ヶ: Katakana in form, but counters inside Han words ("三ヶ月")
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003134f"  # extensions B..H
)
_HIRAGANA_FIRST, _HIRAGANA_LAST = "\u3041", "\u309f"
_HIRAGANA_CHARS = f"{_HIRAGANA_FIRST}-{_HIRAGANA_LAST}"
# Not the ・ middle dot (punctuation) nor ヵ ヶ (above); the ー long-vowel mark (30fc) only
# lengthens a preceding letter, so it cannot start a word.
_KATAKANA_LETTERS = "\u30a1-\u30f4\u30f7-\u30fa\u30fd-\u30ff\u31f0-\u31ff"
KATAKANA_CHARS = _KATAKANA_LETTERS + "\u30fc"
_CJK_CHARS = HAN_CHARS + _HIRAGANA_CHARS + KATAKANA_CHARS
# Thai, Lao, Myanmar (and its extensions), Khmer (and its symbols): scripts written without
# spaces, whose words rule 6 has a segmenter find. Unlike CJK they stay in the word class: a
# word token is cut after it is found, so hashtags and links in them stay whole.
_SEGMENTED_CHARS = (
    "\u0e00-\u0e7f\u0e80-\u0eff"  # Thai, Lao
    "\u1000-\u109f\ua9e0-\ua9ff\uaa60-\uaa7f"  # Myanmar
    "\u1780-\u17ff\u19e0-\u19ff"  # Khmer
)

_THAI_SEARCH = re.compile("[\u0e00-\u0e7f]").search
# NFKC spells the vowel sign AM of Thai (U+0E33) and Lao (U+0EB3) as two characters ("น้ำ"
# as "น้ํา"); word lists and models know the one-character spelling. The segmenters are
# given that, and their pieces turned back into NFKC form (the native one does the same).
_AM_SPELLINGS = (("\u0e4d\u0e32", "\u0e33"), ("\u0ecd\u0eb2", "\u0eb3"))


@lru_cache(maxsize=1)
def _thai_words_path() -> str | None:
    """PyThaiNLP's Thai word list (newmm's dictionary), found without importing PyThaiNLP."""
    spec = importlib.util.find_spec("pythainlp")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0], "corpus", "words_th.txt")
    return str(path) if path.is_file() else None


def _python_word_segments(word: str) -> list[str]:
    """Rule 6 without the native module: a token with Thai in it by PyThaiNLP's own newmm
    (the algorithm and word list the native one runs), in the word list's spelling of the
    vowel sign AM (see `_AM_SPELLINGS`); other scripts stay whole."""
    if not _THAI_SEARCH(word) or _thai_words_path() is None:
        return [word]
    from pythainlp.tokenize.newmm import segment  # 50 ms to import: only when Thai comes

    for nfkc, one in _AM_SPELLINGS:
        word = word.replace(nfkc, one)
    pieces = segment(word)
    for nfkc, one in _AM_SPELLINGS:
        pieces = [piece.replace(one, nfkc) for piece in pieces]
    return pieces


_word_segments: Callable[[str], list[str]]
try:  # the segmenters compiled into the native tokenizer (rule 6)
    import trendlake_native

    _word_segments = trendlake_native.word_segments
    if (_thai_words := _thai_words_path()) is not None:
        trendlake_native.use_thai_words(_thai_words)
except ImportError:  # built without cargo
    _word_segments = _python_word_segments


_HANGUL_FIRST, _HANGUL_LAST = "\uac00", "\ud7a3"  # precomposed syllables
# Jamo: NFKC turns the compatibility jamo people type (ㅋ ㅠ) into these conjoining ones.
_JAMO_FIRST, _JAMO_LAST = "\u1100", "\u11ff"


def _class_body(codepoints: Iterable[int]) -> str:
    """Regex character-class body (no brackets) for ascending code points, as ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in codepoints:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "".join(
        re.escape(chr(first)) + ("-" + re.escape(chr(last)) if last > first else "")
        for first, last in ranges
    )


def _is_mark(cp: int) -> bool:
    # Variation selectors are marks too, but they follow emoji, not letters.
    return unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me") and not 0xFE00 <= cp <= 0xFE0F


# Combining marks, which `re`'s \w leaves out: without them Devanagari "हिन्दी" would split
# at every vowel sign. ZWNJ/ZWJ join letters inside Persian and Indic words. BMP only:
# marks beyond it belong to historic scripts, and a class with astral ranges is several
# times slower to test, which `re` does at the end of every word.
_MARKS = _class_body(cp for cp in range(0x10000) if _is_mark(cp)) + "\u200c\u200d"
# Starters of the BMP that NFKC changes on their own (fullwidth forms, "…", NBSP, "²", ...).
# Astral ones (math bold letters) are rare enough for the slow path, and would slow the class.
_COMPAT_MAP = {
    char: nfkc
    for char, nfkc in (
        (chr(cp), unicodedata.normalize("NFKC", chr(cp)))
        for cp in range(0xA0, 0x10000)
        if not 0xD800 <= cp <= 0xDFFF and not unicodedata.combining(chr(cp))
    )
    if nfkc != char
}
_COMPAT_RE = re.compile(f"[{_class_body(sorted(map(ord, _COMPAT_MAP)))}]")
_LETTER = rf"[^\W_{_CJK_CHARS}]"
# Letters with combining marks inside; possessive so a failed try never backtracks.
_WORD_RUN = rf"{_LETTER}++(?:[{_MARKS}]++{_LETTER}*+)*+"

# Bare domains without a path must end in one of these TLDs: a wider net would catch
# sentences missing the space after a full stop ("agree.it is").
_BARE_TLDS = (
    "com|org|net|edu|gov|io|co|app|dev|social|xyz|info|news|blog|tv|ai|ly|gg|"
    "uk|de|fr|jp|br|ca|au|eu|nl|ch|pl|ru|kr|cn|tw|nz|mx"
)

# One pass over the normalized text; each match also eats the whitespace before it, so the
# search never restarts on a blank. Alternatives are tried in order. A plain word comes
# first for speed, but only when no '.', '@', '+' or '-' glues it to more word characters;
# then links, e-mails, mentions and hashtags get their chance before the word is matched
# again unguarded. A URL runs to the next blank, but its host stops at the first character
# a host cannot hold, so "(https://x.com)" gives "x.com". Groups: 1 host of a scheme URL,
# 2 guarded word, 3 host of a bare link, 4 hashtag, 5 unguarded word, 6 CJK run. A match
# with every group empty (mention, e-mail, punctuation, emoji) only breaks adjacency.
# Apostrophes and hyphens join runs: "don't", "spider-man", "covid-19", "mar-a-lago".
_WORD = rf"{_WORD_RUN}(?:['-]{_WORD_RUN})*+"
_TOKEN_RE = re.compile(
    rf"""
    \s*+(?:
      https?://(?:[^\s/?\#@]*@)?([\w.-]*)\S*
    | ({_WORD})(?![.@+-]\w)
    | [\w.+-]++@[\w-]+(?:\.[\w-]+)+
    | ( www\.[\w-]+(?:\.[\w-]+)+
      | (?:[^\W_][\w-]*+\.)+(?:(?:{_BARE_TLDS})(?![\w-])|[a-z][a-z0-9-]*+(?=/))
      )(?::\d+)?(?:[/?\#]\S*)?
    | @(?<!\w@)[\w.-]+
    | \#(?<!\w\#)(\d*+[^\W\d](?:\w|[{_MARKS}])*+(?:-(?:\w|[{_MARKS}])++)*+)
    | ({_WORD})
    | ([{_CJK_CHARS}]+)
    | [^\w\s\#@]+ | [\#@_]
    )
    """,
    re.VERBOSE,
)

# Inside a CJK run: Katakana words, and the Han/Hiragana segments between them.
_CJK_SPLIT_RE = re.compile(
    rf"([{_KATAKANA_LETTERS}][{KATAKANA_CHARS}]++)|([{HAN_CHARS}{_HIRAGANA_CHARS}]{{2,}}+)"
)
_HAN_RUN_RE = re.compile(f"[{HAN_CHARS}]{{3,}}")
_HAN_CHAR_RE = re.compile(f"[{HAN_CHARS}]")
# A CJK run as pieces: a Han run, a Katakana run, or any other one character.
_CJK_PIECE_RE = re.compile(
    rf"([{HAN_CHARS}]++)|([{_KATAKANA_LETTERS}][{KATAKANA_CHARS}]*+)"
    rf"|[^{HAN_CHARS}{_KATAKANA_LETTERS}]"
)
_JAMO_ONLY_RE = re.compile(rf"[{_JAMO_FIRST}-{_JAMO_LAST}]+")
_URL_HOST_RE = re.compile(r"\s*https?://(?:[^\s/?#@]*@)?([^\s/?#:]*)", re.IGNORECASE)
# Dot-separated labels; the TLD starts with a letter, which rejects IPv4 addresses.
_HOST_RE = re.compile(r"(?:[\w-]+\.)+[^\W\d_][\w-]*[^\W_]")

# Elided French/Italian articles and pronouns: "l'homme" is about "homme".
# fmt: off
_ELISIONS = frozenset((
    "l", "d", "j", "c", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
    "un", "all", "dall", "dell", "nell", "sull", "quell",
))
# fmt: on
_KO_PARTICLES_2 = frozenset(("으로", "에서", "에게", "한테", "까지", "부터"))
_KO_PARTICLES_1 = frozenset("은는이가을를에의도로와과만")
# Hiragana that starts a word before Han (お茶, ご飯); any other Hiragana before a Han
# character ends the word before it (は東, が人, った時).
_JA_PREFIXES = frozenset("おご")


# --- public helpers ---------------------------------------------------------------------


def normalize(text: str) -> str:
    """NFKC then casefold: the one spelling every keyword and stopword is compared in."""
    if text.isascii():
        # NFKC is the identity on ASCII and casefold equals lower; isascii() is O(1).
        return text.lower()
    if not unicodedata.is_normalized("NFKC", text):
        text = _nfkc(text)
    return text.casefold()


_HYPHEN = "\u2010"  # what NFKC leaves of the non-breaking hyphen U+2011 too


def _plain_marks(normalized: str) -> str:
    """Rule 1's typography: the apostrophe ’ read as ', the hyphen ‐ as -, invisible
    format characters deleted (`_visible`)."""
    return _visible(normalized.replace("’", "'").replace(_HYPHEN, "-"))


# Rule 1: format characters that show nothing. Soft hyphen, zero-width space, word joiner,
# BOM, bidirectional marks and controls, tag characters: deleted wherever they stand, so
# "soft\u00adware" and a filter-dodging "air\u200bdrop" are the words people read.
_INVISIBLE = "\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\U000e0000-\U000e007f"
_JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}{_JOINERS}]")
# Persian and the Indic scripts spell words with ZWNJ/ZWJ between letters (می‌خواهم): a joiner
# stays between two letters or marks of Arabic to Sinhala (U+0600-U+0DFF), and goes
# elsewhere, where it only makes a second spelling of a word ("airdrop\u200d").
_JOINING_SCRIPTS = ("\u0600", "\u0dff")
_JOINED_RE = re.compile(f"{_LETTER}|[{_MARKS}]")


def _visible(text: str) -> str:
    """`text` without its invisible format characters (rule 1)."""
    if not _INVISIBLE_RE.search(text):
        return text
    return _INVISIBLE_RE.sub(_kept_joiner, text)


def _kept_joiner(match: re.Match[str]) -> str:
    text, at = match.string, match.start()
    if match.group() in _JOINERS and 0 < at < len(text) - 1:
        first, last = _JOINING_SCRIPTS
        if all(
            first <= c <= last and c not in _JOINERS and _JOINED_RE.match(c)
            for c in (text[at - 1], text[at + 1])
        ):
            return match.group()
    return ""


def _nfkc(text: str) -> str:
    """`unicodedata.normalize("NFKC", text)`, fast when only a few characters change.

    CPython's NFKC costs ~130 ns per character on CJK text, and Japanese posts nearly always
    need it for one fullwidth "！". Replacing each compatibility character by its own NFKC
    form keeps the text compatibility-equivalent; when the result is in NFKC form it is
    therefore *the* NFKC form (the normal form is unique), otherwise we fall back.
    """
    text = _COMPAT_RE.sub(_compat_replacement, text)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def _compat_replacement(match: re.Match[str]) -> str:
    return _COMPAT_MAP[match.group()]


def domain_of(url: str) -> str | None:
    """Domain keyword of an http(s) URL, or None for other schemes and junk.

    ``https://www.NYTimes.com:443/x`` -> ``nytimes.com``. The host is normalized like text;
    one leading ``www.`` or ``m.`` is stripped when a dotted name remains. IP addresses are
    not domains.
    """
    match = _URL_HOST_RE.match(url)
    return _clean_host(match.group(1)) if match else None


def keyword_of(term: str, kind: str) -> str | None:
    """The keyword trendlake counts for `term` taken as `kind`, None when it counts none.

    For matching keywords written by people (a ground-truth file): ``Spider-Man`` as a word
    is ``spider-man``, ``#QuietStorm`` or ``QuietStorm`` as a hashtag ``#quietstorm``,
    ``https://www.Paper.com/x`` or ``www.paper.com`` as a domain ``paper.com``.
    """
    if kind == KIND_HASHTAG:
        return _hashtag_of(term)
    if kind == KIND_DOMAIN:
        return domain_of(term if "://" in term else f"https://{term.strip()}")
    return " ".join(_plain_marks(normalize(term)).split()) or None


def stopwords_for(langs: Sequence[str]) -> frozenset[str]:
    """Normalized stopwords of the given languages plus English (cached)."""
    if type(langs) is not tuple:  # once per post: the usual tuple skips both tests
        # A lone "en" would otherwise read as ("e", "n").
        langs = (langs,) if isinstance(langs, str) else tuple(langs)
    return _stopwords_for_key(langs)


# --- stopwords ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _stopwords_for_key(langs: tuple[str, ...]) -> frozenset[str]:
    # Keyed by the raw tuple so the per-post lookup is one hash; languages are user-chosen
    # strings, hence the bound.
    primaries = {
        lang.replace("_", "-").split("-", 1)[0].strip().lower()
        for lang in langs
        if isinstance(lang, str)
    }
    primaries.add(BASE_STOPWORD_LANG)
    return _stopwords_for_primaries(frozenset(primaries))


@lru_cache(maxsize=512)
def _stopwords_for_primaries(primaries: frozenset[str]) -> frozenset[str]:
    words: set[str] = set()
    for lang in primaries:
        if lang:
            words.update(_normalized_stopwords(lang))
    return frozenset(words)


@lru_cache(maxsize=128)
def _normalized_stopwords(lang: str) -> frozenset[str]:
    # Unknown languages give an empty set from stopwordsiso.
    known = ENGLISH_STOPWORDS if lang == "en" else FUNCTION_WORDS.get(lang)
    words = stopwordsiso.stopwords(lang) if known is None else known
    return frozenset(normalize(word).replace("’", "'") for word in words)


# --- extraction -------------------------------------------------------------------------
#
# How `extract_keywords` is fast. `_TOKEN_RE` is exact but slow: it tries up to nine
# alternatives at every token, and `findall` builds a 6-tuple per token. Most tokens are a
# plain word between blanks, possibly with punctuation around it ("Hello," "world!"), so the
# text is first cut at blanks with `str.split()`, such chunks are recognized with a few str
# methods, and only the others (links, mentions, hashtags, e-mails, emoji, CJK, "1,000")
# go through `_TOKEN_RE`, one chunk at a time.
#
# Why that is exact: `str.split()` splits on exactly the characters `\s` matches; no
# `_TOKEN_RE` alternative matches across a blank; its look-behinds and its look-ahead read
# a blank as they read a string edge; and every other character starts a match. So the
# token stream of the text is the concatenation of the token streams of its chunks.


def extract_keywords(
    text: str,
    langs: Sequence[str] = (),
    hashtags: Sequence[str] = (),
    links: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """Unique (keyword, kind) pairs of one post, in first-seen order (rules in module doc)."""
    # Most posts have no facets: skip building the comprehensions for them.
    tags = _facet_tags(hashtags) if hashtags else []
    domains = _facet_domains(links) if links else []
    words: list[str] = []
    phrases: list[str] = []
    if text:
        stop = stopwords_for(langs)
        # Line by line: a line break ends phrase adjacency (rule 7). Line breaks are blanks,
        # so cutting there changes no token.
        if text.isascii():
            # `normalize` inlined: NFKC is the identity on ASCII, and casefold() is lower().
            # ASCII text has no ’ and no CJK.
            for line in text.lower().splitlines():
                _scan(line, stop, tags, domains, words, phrases)
        else:
            text = _plain_marks(normalize(text))
            # Checked after NFKC, which turns halfwidth kana into CJK characters, and "…"
            # into ASCII. CJK text has few blanks: cutting it into chunks would only add work.
            # Text of a segmented script goes this way too: `_scan` would take a token of it
            # for a plain word.
            if not text.isascii() and _UNSPACED_SEARCH(text):
                for line in text.splitlines():
                    _scan_chunk(line, None, stop, tags, domains, words, phrases)
            else:
                for line in text.splitlines():
                    _scan(line, stop, tags, domains, words, phrases)
    # dict.fromkeys deduplicates in first-seen order; empty lists skip the comprehension.
    pairs = [(tag, KIND_HASHTAG) for tag in dict.fromkeys(tags)] if tags else []
    if domains:
        pairs += [(domain, KIND_DOMAIN) for domain in dict.fromkeys(domains)]
    if words:
        pairs += [(word, KIND_WORD) for word in dict.fromkeys(words)]
        if phrases:
            pairs += [(phrase, KIND_PHRASE) for phrase in dict.fromkeys(phrases)]
    return pairs


def _facet_tags(hashtags: Sequence[str]) -> list[str]:
    # filter(None, ...): lake rows may hold null list items; they mean nothing.
    return [tag for tag in map(_hashtag_of, filter(None, hashtags)) if tag]


def _facet_domains(links: Sequence[str]) -> list[str]:
    return [domain for domain in map(domain_of, filter(None, links)) if domain]


# Punctuation that may surround a plain word: characters that are neither word characters
# nor blanks, nor '#' or '@' (which start hashtags and mentions), nor combining marks
# (which belong to the word before them). Each run of them is one `[^\w\s\#@]+` match,
# which only breaks phrase adjacency. '_' is a word character but matches `[\#@_]` on its
# own and breaks adjacency the same way, so it may be stripped too.
_EDGE_PUNCT = (
    "!\"$%&'()*+,-./:;<=>?[\\]^_`{|}~"  # ASCII punctuation but '#' and '@'
    "¡¿«»‘“”„‹›–—•·°§¶†"  # common non-ASCII punctuation that NFKC leaves alone
)
_CJK_SEARCH = re.compile(f"[{_CJK_CHARS}]").search


def has_cjk(text: str) -> bool:
    """Whether `text` holds a Han, Hiragana or Katakana character (rule 6's class)."""
    return _CJK_SEARCH(text) is not None


# Text that goes through `_TOKEN_RE` whole: CJK runs, and word tokens to cut (rule 6).
_UNSPACED_SEARCH = re.compile(f"[{_CJK_CHARS}{_SEGMENTED_CHARS}]").search
_SEGMENTED_SEARCH = re.compile(f"[{_SEGMENTED_CHARS}]").search
# In text without CJK, a chunk without word characters ("🔥", "❤️", "->") holds only
# adjacency breaks: every alternative of `_TOKEN_RE` that yields something needs one.
_WORD_CHAR_SEARCH = re.compile(r"\w").search


def _scan(
    text: str,
    stop: frozenset[str],
    tags: list[str],
    domains: list[str],
    words: list[str],
    phrases: list[str],
) -> None:
    """Tokenize normalized text into the four output lists (appends; dedup is the caller's).

    The text must hold no CJK character: a CJK run would pass here for a plain word.
    """
    prev: str | None = None  # last kept word while phrase adjacency holds
    kept: str | None
    for chunk in text.split():
        if chunk.isalnum():  # the usual case: a plain word between blanks
            if chunk in stop:  # about half of all words; without "'", always dropped
                prev = None
                continue
            word = chunk
            joins_next = True
        else:
            word = chunk.strip(_EDGE_PUNCT)
            if not (word.isalnum() or _is_joined_word(word)) or "://" in chunk:
                # Punctuation only, links, mentions, hashtags, e-mails, emoji, "1,000",
                # "--"... ("http://" would otherwise read as the word "http").
                if word and _WORD_CHAR_SEARCH(chunk):
                    prev = _scan_chunk(chunk, prev, stop, tags, domains, words, phrases)
                else:
                    prev = None
                continue
            # One word in punctuation: `_TOKEN_RE` would read punctuation, the guarded word
            # (only punctuation follows it, so its look-ahead holds), punctuation.
            if chunk[0] != word[0]:
                prev = None
            joins_next = chunk[-1] == word[-1]
        if word.isascii() and "'" not in word and "-" not in word:
            # Inlined `_keep_word` for plain ASCII words, which are most tokens.
            if not (
                MIN_WORD_LEN <= len(word) <= MAX_WORD_LEN
                and word not in stop
                and not word.isdigit()
            ):
                prev = None
                continue
            kept = word
        elif (kept := _keep_word(word, stop)) is None:
            prev = None
            continue
        words.append(kept)
        if "-" in kept:
            _append_parts(kept, stop, words)
        if prev is not None and prev != kept:
            phrases.append(f"{prev} {kept}")
        prev = kept if joins_next else None


def _append_parts(compound: str, stop: frozenset[str], words: list[str]) -> None:
    """Append the parts of a hyphenated compound that rule 5 keeps as words of their own."""
    for part in compound.split("-"):
        if (kept := _keep_word(part, stop)) is not None:
            words.append(kept)


def _is_joined_word(word: str) -> bool:
    """Whether `word` (stripped of edge punctuation) is letter/digit runs joined by single
    apostrophes or hyphens ("don't", "spider-man"): one `_WORD` match, which `_keep_word`
    handles. Two joiners in a row ("a--b", "x'-y") end the word instead."""
    return (
        ("'" in word or "-" in word)
        and _without_joiners(word).isalnum()
        and not any(pair in word for pair in _DOUBLE_JOINERS)
    )


_DOUBLE_JOINERS = ("''", "--", "'-", "-'")


def _without_joiners(word: str) -> str:
    return word.replace("'", "").replace("-", "") if "'" in word or "-" in word else word


def _scan_chunk(
    chunk: str,
    prev: str | None,
    stop: frozenset[str],
    tags: list[str],
    domains: list[str],
    words: list[str],
    phrases: list[str],
) -> str | None:
    """`_TOKEN_RE` on normalized text, or one blank-free chunk of it, into the four output
    lists; `prev` is the phrase state before it, and the state after it is returned."""
    for url_host, word, bare_host, tag, unguarded_word, cjk in _TOKEN_RE.findall(chunk):
        if word := word or unguarded_word:
            if not word.isascii() and _SEGMENTED_SEARCH(word):
                # Rule 6: each piece a segmenter cuts the token into is a word token.
                for piece in _word_segments(word):
                    prev = _add_word(piece, prev, stop, words, phrases)
            else:
                prev = _add_word(word, prev, stop, words, phrases)
            continue
        prev = None
        if cjk:
            _cjk_words(cjk, stop, words)
        elif tag:  # the pattern already refuses digit-only tags
            tags.append("#" + tag)
        elif (url_host or bare_host) and (domain := _clean_host(url_host or bare_host)):
            # Tested first: most tokens here are punctuation, mentions or e-mails (no host).
            domains.append(domain)
    return prev


def _add_word(
    word: str, prev: str | None, stop: frozenset[str], words: list[str], phrases: list[str]
) -> str | None:
    """Rules 5 and 7 for one word token after the phrase state `prev`: append its keyword,
    its kept parts and the phrase it ends; return the phrase state after it."""
    kept = _keep_word(word, stop)
    if kept:
        words.append(kept)
        if "-" in kept:
            _append_parts(kept, stop, words)
        if prev is not None and prev != kept:
            phrases.append(f"{prev} {kept}")
    return kept


# Cached: words recur, and for a Hangul or accented word the rules cost several calls. The
# key holds the stopword set (its hash is cached), so a result never outlives its set.
@lru_cache(maxsize=1 << 15)
def _keep_word(word: str, stop: frozenset[str]) -> str | None:
    """The keyword a space-script token stands for, or None when rule 5 drops it."""
    if "'" in word:
        word = _strip_apostrophe(word)
    if word.isascii():
        n = len(word)
        if n < MIN_WORD_LEN or n > MAX_WORD_LEN or word in stop:
            return None
        if _without_joiners(word).isdigit():  # "2024", "1-0", "2024-25": numbers
            return None
        return word
    return _keep_unicode_word(word, stop)


def _strip_apostrophe(word: str) -> str:
    head, _, tail = word.partition("'")
    if head in _ELISIONS:
        return tail
    if word.endswith("'s"):
        return word[:-2]
    return word


def _keep_unicode_word(word: str, stop: frozenset[str]) -> str | None:
    if _HANGUL_FIRST <= word[-1] <= _HANGUL_LAST:
        if word in stop:  # the list holds inflected forms too ("때문에")
            return None
        word = _strip_particle(word)
    n = len(word)
    if n < MIN_WORD_LEN and not (n == MIN_HANGUL_WORD_LEN and _has_hangul_syllable(word)):
        return None
    if n > MAX_WORD_LEN or _without_joiners(word).isnumeric() or word in stop:
        return None
    if _JAMO_FIRST <= word[0] <= _JAMO_LAST and _JAMO_ONLY_RE.fullmatch(word):
        return None
    return word


def _strip_particle(word: str) -> str:
    """Drop one trailing Korean particle when at least two characters remain."""
    if len(word) >= 4 and word[-2:] in _KO_PARTICLES_2:
        return word[:-2]
    if len(word) >= 3 and word[-1] in _KO_PARTICLES_1:
        return word[:-1]
    return word


def _has_hangul_syllable(pair: str) -> bool:
    # Only asked about two-character words, so no loop.
    first, second = pair[0], pair[1]
    return _HANGUL_FIRST <= first <= _HANGUL_LAST or _HANGUL_FIRST <= second <= _HANGUL_LAST


def _cjk_words(run: str, stop: frozenset[str], out: list[str]) -> None:
    """Append the Katakana words, Han-bearing bigrams, Han 3- and 4-grams and Katakana words
    joined with their Han neighbours of one CJK run (rule 6) to `out`.

    The bigram loop is a plain loop, inlined here: measured faster than building every
    bigram in C (map/zip, slices) and filtering, and than a zero-width-lookahead regex,
    because most of the cost is creating each bigram string anyway.
    """
    katakana_words = False
    for katakana, segment in _CJK_SPLIT_RE.findall(run):
        if katakana:
            katakana_words = True
            if katakana not in stop:
                out.append(katakana)
            continue
        # A Han/Hiragana segment: its bigrams of two Han, of a lone Han and Hiragana, and of
        # an honorific prefix and Han.
        prev = segment[0]
        prev_kana = _HIRAGANA_FIRST <= prev <= _HIRAGANA_LAST
        prev_alone = True  # prev is not Han after Han
        for char in segment[1:]:
            kana = _HIRAGANA_FIRST <= char <= _HIRAGANA_LAST
            if (not kana and prev in _JA_PREFIXES) if prev_kana else (not kana or prev_alone):
                bigram = prev + char
                if bigram not in stop:
                    out.append(bigram)
            prev_alone = prev_kana or kana
            prev, prev_kana = char, kana
        # Then the 3- and 4-grams of its Han runs, by where they end.
        if len(segment) > 2:
            for han in _HAN_RUN_RE.findall(segment):
                if len(han) <= MAX_HAN_RUN:
                    for end in range(3, len(han) + 1):
                        for length in range(3, min(end, MAX_HAN_GRAM) + 1):
                            gram = han[end - length : end]
                            if gram not in stop:
                                out.append(gram)
    if katakana_words and _HAN_CHAR_RE.search(run):
        _mixed_words(run, stop, out)


def _mixed_words(run: str, stop: frozenset[str], out: list[str]) -> None:
    """Append each Katakana word joined with a run of at most MAX_HAN_GRAM Han characters
    right before or after it (``東京オリンピック``, ``コロナ禍``, ``ワールドカップ日本代表``)."""
    pieces = [
        (han, katakana if len(katakana) > 1 else "") for han, katakana in _CJK_PIECE_RE.findall(run)
    ]
    for (han, katakana), (next_han, next_katakana) in itertools.pairwise(pieces):
        if han and next_katakana and len(han) <= MAX_HAN_GRAM:
            word = han + next_katakana
        elif katakana and next_han and len(next_han) <= MAX_HAN_GRAM:
            word = katakana + next_han
        else:
            continue
        if word not in stop:
            out.append(word)


# Cached, like `_clean_host`: tags and link hosts repeat across posts far more than words do
# (trending tags, youtube.com, bsky.app), and each costs a normalize and a regex or two.
@lru_cache(maxsize=4096)
def _hashtag_of(tag: str) -> str | None:
    """Keyword of a facet tag (given without '#', any case), None when not a hashtag."""
    tag = _visible(normalize(tag).replace(_HYPHEN, "-")).strip()  # as in the text: rule 1
    tag = tag.removeprefix("#")
    if not tag or tag.isdigit():
        return None
    return "#" + tag


@lru_cache(maxsize=4096)
def _clean_host(host: str) -> str | None:
    """Rule 2 applied to a raw host: drop user info and port, lowercase, strip www./m."""
    if not host:  # also the cheap exit for punctuation, mentions and e-mails in _scan
        return None
    host = host.rpartition("@")[2].partition(":")[0]
    host = normalize(host).rstrip(".")
    if len(host) > 253 or not _HOST_RE.fullmatch(host):
        return None
    for prefix in ("www.", "m."):
        # Only one prefix, and never down to a bare TLD ("www.com" stays).
        if host.startswith(prefix) and "." in host[len(prefix) :]:
            return host[len(prefix) :]
    return host
