"""Generate native/src/tables.rs: the character classes of trendlake.text, from Python.

Run with the project's Python 3.11 (its `unicodedata` is Unicode 14.0, the one the pure
Python tokenizer uses):  ``.venv/bin/python native/gen_tables.py``.

Every class is computed by asking Python itself, one code point at a time: the compiled
regex classes of `trendlake.text` (``\\w``, ``\\s``, ``\\d``, `_LETTER`, `_MARKS`, the CJK
classes), the str predicates (`isalnum`, `isdigit`, `isnumeric`, `isspace`), `casefold()`,
and `unicodedata.category` (for the unassigned code points the native code declines).
The Rust side never uses Rust's own notion of these classes.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trendlake import text as tl

OUT = Path(__file__).resolve().parent / "src" / "tables.rs"
BLOCK = 256

FLAGS = {
    "W": re.compile(r"\w"),
    "S": re.compile(r"\s"),
    "D": re.compile(r"\d"),
    "L": re.compile(tl._LETTER),
    "M": re.compile(f"[{tl._MARKS}]"),
    "CJK": re.compile(f"[{tl._CJK_CHARS}]"),
    "HANHIRA": re.compile(f"[{tl.HAN_CHARS}{tl._HIRAGANA_CHARS}]"),
    "KATA_L": re.compile(f"[{tl._KATAKANA_LETTERS}]"),
    "KATA_C": re.compile(f"[{tl.KATAKANA_CHARS}]"),
    "HIRA": re.compile(f"[{tl._HIRAGANA_CHARS}]"),
    "SEGMENTED": re.compile(f"[{tl._SEGMENTED_CHARS}]"),
}
PRED = {
    "ALNUM": str.isalnum,
    "DIGIT": str.isdigit,
    "NUMERIC": str.isnumeric,
    "CN": lambda c: unicodedata.category(c) == "Cn",
    "CASEFOLD": lambda c: c.casefold() != c,
    "EDGE": lambda c: c in tl._EDGE_PUNCT,
    "SAFE": lambda c: c in SAFE_CHARS,
    "COMPAT": lambda c: c in COMPAT_MAP,
}
NAMES = list(FLAGS) + list(PRED)
assert len(NAMES) <= 20  # bits 20.. hold the casefold index


def safe_chars() -> set[str]:
    """Characters that leave any text in NFKC form when it is made only of them: assigned,
    canonical combining class 0, their own NFKC, and never the second half of a canonical
    composition (NFKC_Quick_Check "Maybe"), so NFKC is skipped for such texts."""
    maybe = {chr(cp) for cp in range(0x1161, 0x1176)} | {chr(cp) for cp in range(0x11A8, 0x11C3)}
    for cp in range(0x110000):
        ch = chr(cp)
        dec = unicodedata.decomposition(ch)
        if dec and not dec.startswith("<"):
            parts = dec.split()
            if len(parts) == 2 and unicodedata.normalize("NFC", ch) == ch:
                maybe.add(chr(int(parts[1], 16)))
    return {
        ch
        for ch in map(chr, range(0x110000))
        if unicodedata.category(ch) not in ("Cn", "Cs")
        and unicodedata.combining(ch) == 0
        and unicodedata.normalize("NFKC", ch) == ch
        and ch not in maybe
    }


SAFE_CHARS = safe_chars()
# Characters NFKC changes on their own (class 0, like `_COMPAT_MAP` in text.py but all
# planes) whose NFKC form is made of SAFE characters: a text of SAFE and COMPAT characters
# is in NFKC form once each COMPAT one is replaced by its NFKC form (the forms are unique,
# and the replacement is compatibility-equivalent), so NFKC needs no general algorithm.
COMPAT_MAP = {
    ch: nfkc
    for ch, nfkc in (
        (ch, unicodedata.normalize("NFKC", ch))
        for ch in map(chr, range(0x110000))
        if unicodedata.category(ch) not in ("Cn", "Cs") and unicodedata.combining(ch) == 0
    )
    if nfkc != ch and all(c in SAFE_CHARS for c in nfkc)
}


def main() -> None:
    text, blocks, casefold = render()
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}: {blocks} blocks, {casefold} casefold entries")


def render() -> tuple[str, int, int]:
    """tables.rs's text, and its number of blocks and casefold entries."""
    assert unicodedata.unidata_version == "14.0.0", unicodedata.unidata_version
    values = []
    casefold: list[tuple[int, str]] = []
    for cp in range(0x110000):
        ch = chr(cp)
        v = 0
        for bit, name in enumerate(NAMES):
            hit = FLAGS[name].fullmatch(ch) if name in FLAGS else PRED[name](ch)
            if hit:
                v |= 1 << bit
        # str.split() and re's \s must agree (text.py relies on it; so does the Rust code).
        assert ch.isspace() == bool(FLAGS["S"].fullmatch(ch)), hex(cp)
        assert (ch.isalnum() or ch == "_") == bool(FLAGS["W"].fullmatch(ch)), hex(cp)
        assert ch.isdecimal() == bool(FLAGS["D"].fullmatch(ch)), hex(cp)
        if ch.casefold() != ch:
            casefold.append((cp, ch.casefold()))
            v |= len(casefold) << 20  # index + 1 into CASEFOLD_MAP
        values.append(v)
    # _URL_HOST_RE is IGNORECASE: check which characters its literals and classes match.
    ic = {}
    for lit in "https:/":
        ic[lit] = [
            cp for cp in range(0x110000) if re.fullmatch(re.escape(lit), chr(cp), re.IGNORECASE)
        ]
    for cls in (r"[^\s/?#@]", r"[^\s/?#:]", r"\s"):
        plain, ci = re.compile(cls), re.compile(cls, re.IGNORECASE)
        for cp in range(0x110000):
            assert bool(plain.fullmatch(chr(cp))) == bool(ci.fullmatch(chr(cp))), (cls, cp)
    blocks: list[tuple[int, ...]] = []
    index_of: dict[tuple[int, ...], int] = {}
    index = []
    for start in range(0, 0x110000, BLOCK):
        blk = tuple(values[start : start + BLOCK])
        if blk not in index_of:
            index_of[blk] = len(blocks)
            blocks.append(blk)
        index.append(index_of[blk])
    lines = [
        "// @generated by native/gen_tables.py from Python "
        f"{sys.version.split()[0]} (unicodedata {unicodedata.unidata_version}).",
        "// Do not edit: rerun `.venv/bin/python native/gen_tables.py`.",
        "#![allow(dead_code)]",
        "",
    ]
    for bit, name in enumerate(NAMES):
        lines.append(f"pub const {name}: u32 = 1 << {bit};")
    lines.append("pub const CASEFOLD_INDEX_SHIFT: u32 = 20;")
    lines.append("/// (code point, NFKC form casefolded) of the COMPAT characters.")
    lines.append(f"pub static COMPAT_MAP: [(u32, &str); {len(COMPAT_MAP)}] = [")
    for ch, nfkc in sorted(COMPAT_MAP.items()):
        lines.append(f'    ({ord(ch)}, "{rust_escape(nfkc.casefold())}"),')
    lines.append("];")
    lines.append(f"pub const BLOCK_SHIFT: u32 = {BLOCK.bit_length() - 1};")
    lines.append(f"pub const FIRST_BLOCK: usize = {index[0]};")
    lines.append(f"pub static INDEX: [u16; {len(index)}] = [")
    for i in range(0, len(index), 32):
        lines.append("    " + ", ".join(map(str, index[i : i + 32])) + ",")
    lines.append("];")
    lines.append(f"pub static BLOCKS: [[u32; {BLOCK}]; {len(blocks)}] = [")
    for blk in blocks:
        lines.append("    [")
        for i in range(0, BLOCK, 32):
            lines.append("        " + ", ".join(map(str, blk[i : i + 32])) + ",")
        lines.append("    ],")
    lines.append("];")
    lines.append("/// (code point, chr(cp).casefold()) for every code point casefold() changes.")
    lines.append(f"pub static CASEFOLD_MAP: [(u32, &str); {len(casefold)}] = [")
    for cp, folded in casefold:
        esc = "".join(f"\\u{{{ord(c):x}}}" for c in folded)
        lines.append(f'    ({cp}, "{esc}"),')
    lines.append("];")
    for lit, cps in ic.items():
        name = {"/": "SLASH", ":": "COLON"}.get(lit, lit.upper())
        lines.append(f"pub const IC_{name}: &[char] = &[{', '.join(repr_char(c) for c in cps)}];")
    lines.append(f'pub const EDGE_PUNCT: &str = "{rust_escape(tl._EDGE_PUNCT)}";')
    lines.append(
        f"pub const BARE_TLDS: &[&str] = &[{', '.join(q(t) for t in tl._BARE_TLDS.split('|'))}];"
    )
    lines.append(
        f"pub const ELISIONS: &[&str] = &[{', '.join(q(t) for t in sorted(tl._ELISIONS))}];"
    )
    particles_2 = ", ".join(q(t) for t in sorted(tl._KO_PARTICLES_2))
    lines.append(f"pub const KO_PARTICLES_2: &[&str] = &[{particles_2}];")
    particles_1 = ", ".join(repr_char(ord(t)) for t in sorted(tl._KO_PARTICLES_1))
    lines.append(f"pub const KO_PARTICLES_1: &[char] = &[{particles_1}];")
    prefixes = ", ".join(repr_char(ord(t)) for t in sorted(tl._JA_PREFIXES))
    lines.append(f"pub const JA_PREFIXES: &[char] = &[{prefixes}];")
    for name in (
        "HANGUL_FIRST",
        "HANGUL_LAST",
        "JAMO_FIRST",
        "JAMO_LAST",
        "HIRAGANA_FIRST",
        "HIRAGANA_LAST",
    ):
        lines.append(f"pub const {name}: char = {repr_char(ord(getattr(tl, '_' + name)))};")
    for name in (
        "MIN_WORD_LEN",
        "MIN_HANGUL_WORD_LEN",
        "MAX_WORD_LEN",
        "MAX_HAN_GRAM",
        "MAX_HAN_RUN",
    ):
        lines.append(f"pub const {name}: usize = {getattr(tl, name)};")
    lines.append(f"pub const BASE_STOPWORD_LANG: &str = {q(tl.BASE_STOPWORD_LANG)};")
    return "\n".join(lines) + "\n", len(blocks), len(casefold)


def repr_char(cp: int) -> str:
    return f"'\\u{{{cp:x}}}'"


def rust_escape(s: str) -> str:
    return "".join(f"\\u{{{ord(c):x}}}" for c in s)


def q(s: str) -> str:
    return f'"{rust_escape(s)}"'


if __name__ == "__main__":
    main()
