//! The keyword rules of `trendlake.text`, reproduced step for step.
//!
//! Every function here mirrors one function of `trendlake/text.py` (named in its doc) and
//! follows its code, not only its docstring: the fast `_scan` path, the `_TOKEN_RE` matcher
//! (hand-compiled: every quantifier of that pattern is possessive or cannot backtrack into
//! a different result, so each alternative is a deterministic scan), `_keep_word`,
//! `_cjk_words`, `_hashtag_of`, `domain_of` and `_clean_host`. Character classes come from
//! `tables.rs`, which is generated from Python 3.11 itself.
//!
//! Anything this module cannot reproduce exactly makes it return `Err(Decline)`, and the
//! caller hands the post to the Python implementation instead.

use std::hash::{BuildHasherDefault, Hasher};

use std::sync::{LazyLock, OnceLock};

use icu_segmenter::options::WordBreakInvariantOptions;
use icu_segmenter::{WordSegmenter, WordSegmenterBorrowed};
use nlpo3::tokenizer::newmm::NewmmTokenizer;
use nlpo3::tokenizer::tokenizer_trait::Tokenizer as _;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::tables::*;

/// The post cannot be reproduced exactly here: the Python implementation must take it.
#[derive(Debug)]
pub struct Decline;

pub type Result<T> = std::result::Result<T, Decline>;

// --- a small fast hasher (FxHash) ---------------------------------------------------------

#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;

#[inline(always)]
fn mix(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(SEED)
}

#[inline(always)]
fn read_u64(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
}

#[inline(always)]
fn read_u32(b: &[u8], i: usize) -> u64 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as u64
}

/// A fast hash of a byte string (Fx steps over overlapping words, then a final mix).
#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    let n = b.len();
    let mut h = n as u64;
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            h = mix(h, read_u64(b, i));
            i += 8;
        }
        if i < n {
            h = mix(h, read_u64(b, n - 8));
        }
    } else if n >= 4 {
        h = mix(h, read_u32(b, 0) | (read_u32(b, n - 4) << 32));
    } else if n > 0 {
        h = mix(
            h,
            b[0] as u64 | ((b[n / 2] as u64) << 8) | ((b[n - 1] as u64) << 16),
        );
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// A set of strings for fast membership tests: open addressing over (hash, span) slots,
/// the strings themselves in one byte pool, so a miss rarely touches string bytes.
#[derive(Default, Clone)]
pub struct StopSet {
    pool: Vec<u8>,
    slots: Vec<(u64, u32, u32)>, // (hash, start, len); len u32::MAX marks an empty slot
    len: usize,
}

const EMPTY: u32 = u32::MAX;

/// `a == b` for equal-length byte strings, without a library call for short ones.
#[inline(always)]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if (8..=16).contains(&n) {
        read_u64(a, 0) == read_u64(b, 0) && read_u64(a, n - 8) == read_u64(b, n - 8)
    } else if (4..8).contains(&n) {
        read_u32(a, 0) == read_u32(b, 0) && read_u32(a, n - 4) == read_u32(b, n - 4)
    } else {
        a == b
    }
}

impl StopSet {
    fn find(&self, bytes: &[u8], h: u64) -> (usize, bool) {
        let mask = self.slots.len() - 1;
        let mut i = (h as usize) & mask;
        loop {
            let (sh, start, len) = self.slots[i];
            if len == EMPTY {
                return (i, false);
            }
            if sh == h
                && len as usize == bytes.len()
                && bytes_eq(&self.pool[start as usize..(start + len) as usize], bytes)
            {
                return (i, true);
            }
            i = (i + 1) & mask;
        }
    }

    pub fn contains(&self, word: &str) -> bool {
        self.contains_hashed(word, hash_bytes(word.as_bytes()))
    }

    #[inline]
    pub fn contains_hashed(&self, word: &str, h: u64) -> bool {
        self.len != 0 && self.find(word.as_bytes(), h).1
    }

    pub fn insert(&mut self, word: &str) {
        if (self.len + 1) * 2 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![(0, 0, EMPTY); (old.len() * 2).max(16)];
            for (h, start, len) in old {
                if len != EMPTY {
                    let mask = self.slots.len() - 1;
                    let mut j = (h as usize) & mask;
                    while self.slots[j].2 != EMPTY {
                        j = (j + 1) & mask;
                    }
                    self.slots[j] = (h, start, len);
                }
            }
        }
        let h = hash_bytes(word.as_bytes());
        let (i, found) = self.find(word.as_bytes(), h);
        if !found {
            let start = self.pool.len() as u32;
            self.pool.extend_from_slice(word.as_bytes());
            self.slots[i] = (h, start, word.len() as u32);
            self.len += 1;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.slots
            .iter()
            .filter(|s| s.2 != EMPTY)
            .map(|&(_, start, len)| {
                // SAFETY: only whole str values are copied into the pool.
                unsafe {
                    std::str::from_utf8_unchecked(
                        &self.pool[start as usize..(start + len) as usize],
                    )
                }
            })
    }
}

// --- word segmentation (rule 6: Thai, Lao, Khmer, Burmese) ------------------------------

/// The Thai word list `use_thai_words` named (PyThaiNLP's, found by the Python side).
static THAI_WORDS: OnceLock<String> = OnceLock::new();

/// newmm (PyThaiNLP's dictionary maximal matching, nlpO3's Rust port) over that list, built
/// on first use; None when no list was named or it cannot be read.
static THAI_SEGMENTER: LazyLock<Option<NewmmTokenizer>> = LazyLock::new(|| {
    let text = std::fs::read_to_string(THAI_WORDS.get()?).ok()?;
    let words = text.lines().map(str::trim).filter(|w| !w.is_empty());
    Some(NewmmTokenizer::from_word_list(
        words.map(String::from).collect(),
    ))
});

/// ICU4X's word segmenter with its compiled data: LSTM models for Lao, Khmer and Burmese
/// (and for Thai when no Thai word list is named), rules elsewhere.
static WORD_SEGMENTER: LazyLock<WordSegmenterBorrowed<'static>> =
    LazyLock::new(|| WordSegmenter::new_auto(WordBreakInvariantOptions::default()));

/// Name the Thai word list (a file, one word a line); false when another was named before.
pub fn use_thai_words(path: &str) -> bool {
    THAI_WORDS.set(path.to_string()).is_ok() || THAI_WORDS.get().is_some_and(|p| p == path)
}

/// The pieces of a word token of a segmented script, in order: a token with Thai in it by
/// newmm, others by ICU. Not newmm's safe mode: nlpO3 1.4's cuts text past its first 120
/// characters into fragments and loses part of it, and newmm alone took time linear in the
/// length (6 ms for 30,000 Thai characters, words or random letters).
///
/// The token is in NFKC form (rule 1), which spells the vowel sign AM of Thai and Lao as
/// two characters (U+0E4D U+0E32 for U+0E33: "น้ำ" as "น้ํา"). Word lists and models know
/// the one-character spelling, so the segmenter is given that, and each piece is turned
/// back into NFKC form.
pub fn word_segments(token: &str) -> Vec<String> {
    let text = token
        .replace(THAI_AM_NFKC, THAI_AM)
        .replace(LAO_AM_NFKC, LAO_AM);
    let thai = text.chars().any(|c| in_range(c, '\u{e00}', '\u{e7f}'));
    let pieces = THAI_SEGMENTER
        .as_ref()
        .filter(|_| thai)
        .and_then(|newmm| newmm.segment(&text, false, false).ok())
        .unwrap_or_else(|| {
            let breaks: Vec<usize> = WORD_SEGMENTER.segment_str(&text).collect();
            breaks
                .windows(2)
                .map(|pair| text[pair[0]..pair[1]].to_string())
                .collect()
        });
    pieces
        .into_iter()
        .map(|piece| {
            piece
                .replace(THAI_AM, THAI_AM_NFKC)
                .replace(LAO_AM, LAO_AM_NFKC)
        })
        .collect()
}

const THAI_AM: &str = "\u{e33}";
const THAI_AM_NFKC: &str = "\u{e4d}\u{e32}";
const LAO_AM: &str = "\u{eb3}";
const LAO_AM_NFKC: &str = "\u{ecd}\u{eb2}";

// --- character classes ---------------------------------------------------------------------

#[inline(always)]
pub fn flags(c: char) -> u32 {
    let cp = c as u32;
    if cp < (1 << BLOCK_SHIFT) {
        return BLOCKS[FIRST_BLOCK][cp as usize];
    }
    BLOCKS[INDEX[(cp >> BLOCK_SHIFT) as usize] as usize][(cp & ((1 << BLOCK_SHIFT) - 1)) as usize]
}

#[inline(always)]
pub fn is(c: char, f: u32) -> bool {
    flags(c) & f != 0
}

#[inline]
fn is_w(c: char) -> bool {
    is(c, W)
}

#[inline]
fn is_s(c: char) -> bool {
    is(c, S)
}

/// `str.isalnum()`.
fn is_alnum_str(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| is(c, ALNUM))
}

/// `str.isdigit()`.
fn is_digit_str(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| is(c, DIGIT))
}

/// `_without_joiners(s)` has a character and all of them have flag `f`.
fn all_but_joiners(s: &str, f: u32) -> bool {
    let mut any = false;
    for c in s.chars() {
        if c == '\'' || c == '-' {
            continue;
        }
        if !is(c, f) {
            return false;
        }
        any = true;
    }
    any
}

#[inline]
fn in_range(c: char, first: char, last: char) -> bool {
    first <= c && c <= last
}

#[inline]
fn casefold_of(c: char) -> Option<&'static str> {
    match flags(c) >> CASEFOLD_INDEX_SHIFT {
        0 => None,
        i => Some(CASEFOLD_MAP[i as usize - 1].1),
    }
}

fn compat_of(c: char) -> &'static str {
    let i = COMPAT_MAP
        .binary_search_by_key(&(c as u32), |&(cp, _)| cp)
        .unwrap_or_else(|_| unreachable!());
    COMPAT_MAP[i].1
}

/// `normalize(text)` appended to `out`: NFKC then casefold (ASCII: lower()).
pub fn normalize_into(text: &str, out: &mut String) -> Result<()> {
    let start = out.len();
    if text.is_ascii() {
        out.push_str(text);
        out[start..].make_ascii_lowercase();
        return Ok(());
    }
    // Usual case: every character is NFKC-stable on its own (SAFE) or a COMPAT one whose
    // NFKC form is made of SAFE ones (tables.rs): the NFKC form is then this replacement
    // (the trick of `_nfkc`), and casefold() is per character.
    let mut safe = true;
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    let mut run = 0; // start of the characters copied as they are, not yet pushed
    while i < n {
        let b = bytes[i];
        if b < 0x80 {
            if b.is_ascii_uppercase() {
                out.push_str(&text[run..i]);
                out.push((b + 32) as char);
                run = i + 1;
            }
            i += 1;
            continue;
        }
        let c = text[i..].chars().next().unwrap();
        let len = c.len_utf8();
        let f = flags(c);
        if f & SAFE != 0 {
            if f & CASEFOLD != 0 {
                out.push_str(&text[run..i]);
                out.push_str(casefold_of(c).unwrap_or_else(|| unreachable!()));
                run = i + len;
            }
        } else if f & COMPAT != 0 {
            out.push_str(&text[run..i]);
            out.push_str(compat_of(c));
            run = i + len;
        } else {
            safe = false;
            break;
        }
        i += len;
    }
    if safe {
        out.push_str(&text[run..]);
    }
    if safe {
        return Ok(());
    }
    out.truncate(start);
    let mut push = |c: char| {
        if is(c, CASEFOLD) {
            out.push_str(casefold_of(c).unwrap_or_else(|| unreachable!()));
        } else {
            out.push(c);
        }
    };
    // The crate's NFKC equals Python's on code points assigned in Python's Unicode 14
    // (normalization stability). Code points unassigned there (category Cn) may be assigned
    // in the crate's newer Unicode, with decompositions or combining classes; to Python they
    // are starters that decompose to themselves and compose with nothing, so they cut the
    // text into pieces normalized one by one, and stay as they are.
    let piece = |seg: &str, push: &mut dyn FnMut(char)| {
        if is_nfkc_quick(seg.chars()) == IsNormalized::Yes {
            seg.chars().for_each(&mut *push);
        } else {
            seg.nfkc().for_each(&mut *push);
        }
    };
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if is(c, CN) {
            piece(&text[start..i], &mut push);
            push(c);
            start = i + c.len_utf8();
        }
    }
    piece(&text[start..], &mut push);
    Ok(())
}

/// What NFKC leaves of the hyphens U+2010 and U+2011: read as '-' (rule 1).
const HYPHEN: char = '\u{2010}';

/// `_plain_marks`: the apostrophe ’ read as ', the hyphen ‐ as -, invisible format
/// characters deleted (`visible`).
fn plain_marks(norm: &mut String) {
    if norm.contains('\u{2019}') {
        *norm = norm.replace('\u{2019}', "'");
    }
    if norm.contains(HYPHEN) {
        *norm = norm.replace(HYPHEN, "-");
    }
    visible(norm);
}

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';

/// `_INVISIBLE`: format characters that show nothing, deleted wherever they stand.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}')
}

/// `_kept_joiner`'s test of a joiner's neighbour: a letter or mark of U+0600-U+0DFF.
fn joins(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        ('\u{600}'..='\u{DFF}').contains(&c) && c != ZWNJ && c != ZWJ && (is(c, L) || is(c, M))
    })
}

/// Whether `b` (UTF-8) holds an invisible character or a joiner, read from its bytes: a
/// decoding pass over every non-ASCII post cost the tokenizer 5%.
fn holds_invisible(b: &[u8]) -> bool {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    b.iter().enumerate().any(|(i, &x)| match x {
        0xC2 => at(i + 1) == 0xAD,
        0xE2 => matches!(
            (at(i + 1), at(i + 2)),
            (0x80, 0x8B..=0x8F | 0xAA..=0xAE) | (0x81, 0xA0 | 0xA6..=0xA9)
        ),
        0xEF => at(i + 1) == 0xBB && at(i + 2) == 0xBF,
        0xF3 => at(i + 1) == 0xA0 && matches!(at(i + 2), 0x80 | 0x81),
        _ => false,
    })
}

/// `_visible`: `norm` without its invisible format characters; a ZWNJ or ZWJ stays only
/// between two letters or marks of Arabic to Sinhala (rule 1).
fn visible(norm: &mut String) {
    if !holds_invisible(norm.as_bytes()) {
        return;
    }
    let chars: Vec<char> = norm.chars().collect();
    let mut out = String::with_capacity(norm.len());
    for (i, &c) in chars.iter().enumerate() {
        let joiner = c == ZWNJ || c == ZWJ;
        if is_invisible(c)
            || joiner
                && !(i > 0 && joins(chars.get(i - 1).copied()) && joins(chars.get(i + 1).copied()))
        {
            continue;
        }
        out.push(c);
    }
    *norm = out;
}

fn normalize(text: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out)?;
    Ok(out)
}

/// `str.strip()` (whitespace).
fn strip_ws(s: &str) -> &str {
    s.trim_matches(|c: char| is_s(c))
}

/// `word.strip(_EDGE_PUNCT)`.
fn strip_edge(s: &str) -> &str {
    s.trim_matches(|c: char| is(c, EDGE))
}

// --- the per-post extractor -------------------------------------------------------------

type Span = (u32, u32);

/// Reusable buffers for one post at a time. Every keyword is a byte span of `arena`.
#[derive(Default)]
pub struct Post {
    pub arena: Vec<u8>,
    pub tags: Vec<Span>,
    pub domains: Vec<Span>,
    pub words: Vec<Span>,
    pub word_hashes: Vec<u64>,
    pub phrases: Vec<Span>,
    chars: Vec<char>,
    dedup_table: std::cell::Cell<Vec<(u64, u32)>>,
    dedup_small: std::cell::Cell<Vec<(u64, Span)>>,
    norm: String,
    tmp: String,
}

impl Post {
    pub fn clear(&mut self) {
        self.arena.clear();
        self.tags.clear();
        self.domains.clear();
        self.words.clear();
        self.word_hashes.clear();
        self.phrases.clear();
    }

    pub fn get(&self, span: Span) -> &str {
        // SAFETY: spans are only ever made around whole UTF-8 strings pushed to the arena.
        unsafe { std::str::from_utf8_unchecked(&self.arena[span.0 as usize..span.1 as usize]) }
    }

    fn push_str(&mut self, s: &str) -> Span {
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(s.as_bytes());
        (start, self.arena.len() as u32)
    }

    fn push_chars(&mut self, prefix: Option<char>, chars: &[char]) -> Span {
        let start = self.arena.len() as u32;
        let mut buf = [0u8; 4];
        if let Some(p) = prefix {
            self.arena
                .extend_from_slice(p.encode_utf8(&mut buf).as_bytes());
        }
        for &c in chars {
            self.arena
                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        (start, self.arena.len() as u32)
    }

    /// `words.append(kept)` (`h`: its hash when known).
    fn push_word(&mut self, kept: &str, h: Option<u64>) -> Span {
        let span = self.push_str(kept);
        self.words.push(span);
        self.word_hashes
            .push(h.unwrap_or_else(|| hash_bytes(kept.as_bytes())));
        span
    }

    /// `_append_parts`: the kept parts of a hyphenated compound (nothing for other words).
    fn push_parts(&mut self, kept: &str, stop: &StopSet) {
        if kept.contains('-') {
            for part in kept.split('-') {
                if let Some(p) = keep_word(part, stop) {
                    self.push_word(p, None);
                }
            }
        }
    }

    /// `words.append(kept)` and the phrase with the previous kept word; returns kept's span.
    fn add_word(&mut self, kept: &str, prev: Option<Span>, h: Option<u64>) -> Span {
        let span = self.push_word(kept, h);
        if let Some(p) = prev {
            if self.get(p) != kept {
                let start = self.arena.len() as u32;
                self.arena.extend_from_within(p.0 as usize..p.1 as usize);
                self.arena.push(b' ');
                self.arena
                    .extend_from_within(span.0 as usize..span.1 as usize);
                self.phrases.push((start, self.arena.len() as u32));
            }
        }
        span
    }

    /// `extract_keywords` minus the final dedup (the caller emits with `emit`).
    /// `tags`/`links` are the facet lists with falsy items already removed.
    pub fn extract(
        &mut self,
        text: &str,
        stop: Option<&StopSet>,
        tags: &[&str],
        links: &[&str],
    ) -> Result<()> {
        self.clear();
        for tag in tags {
            self.facet_tag(tag)?;
        }
        for link in links {
            if let Some(host) = url_host_ignorecase(link) {
                self.clean_host_push(host)?;
            }
        }
        if text.is_empty() {
            return Ok(());
        }
        let stop = stop.expect("stopwords are needed for a non-empty text");
        // Line by line, as `text.splitlines()`: a line break ends phrase adjacency. Line
        // breaks are blanks, so cutting there changes no token.
        if text.is_ascii() {
            let mut norm = std::mem::take(&mut self.norm);
            norm.clear();
            norm.push_str(text);
            norm.make_ascii_lowercase();
            for line in norm.split(is_line_break) {
                self.scan(line, stop);
            }
            self.norm = norm;
        } else {
            let mut norm = std::mem::take(&mut self.norm);
            norm.clear();
            let r = normalize_into(text, &mut norm);
            if r.is_err() {
                self.norm = norm;
                return r;
            }
            plain_marks(&mut norm);
            // Text of a segmented script goes this way too: `scan` would take a token of it
            // for a plain word.
            if !norm.is_ascii() && norm.chars().any(|c| is(c, CJK | SEGMENTED)) {
                let mut chars = std::mem::take(&mut self.chars);
                for line in norm.split(is_line_break) {
                    chars.clear();
                    chars.extend(line.chars());
                    self.scan_chunk(&chars, None, stop)?;
                }
                self.chars = chars;
            } else {
                for line in norm.split(is_line_break) {
                    self.scan(line, stop);
                }
            }
            self.norm = norm;
        }
        Ok(())
    }

    /// `_hashtag_of`.
    fn facet_tag(&mut self, tag: &str) -> Result<()> {
        let mut norm = normalize(tag)?;
        if norm.contains(HYPHEN) {
            norm = norm.replace(HYPHEN, "-"); // as in the text: rule 1
        }
        visible(&mut norm);
        let t = strip_ws(&norm);
        let t = t.strip_prefix('#').unwrap_or(t);
        if t.is_empty() || is_digit_str(t) {
            return Ok(());
        }
        let start = self.arena.len() as u32;
        self.arena.push(b'#');
        self.arena.extend_from_slice(t.as_bytes());
        self.tags.push((start, self.arena.len() as u32));
        Ok(())
    }

    /// `_clean_host`, appending the domain when there is one.
    fn clean_host_push(&mut self, host: &str) -> Result<()> {
        if let Some(d) = clean_host(host)? {
            let span = self.push_str(&d);
            self.domains.push(span);
        }
        Ok(())
    }

    /// `_scan`: text without CJK, cut at blanks. One pass per chunk gathers what the usual
    /// case (a plain word) needs; the other chunks are looked at again.
    fn scan(&mut self, text: &str, stop: &StopSet) {
        let mut prev: Option<Span> = None;
        let mut chars = std::mem::take(&mut self.chars);
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut i = 0;
        loop {
            // Skip blanks.
            while i < n {
                let b = bytes[i];
                if b < 0x80 {
                    if BLOCKS[FIRST_BLOCK][b as usize] & S == 0 {
                        break;
                    }
                    i += 1;
                } else {
                    let c = text[i..].chars().next().unwrap();
                    if !is_s(c) {
                        break;
                    }
                    i += c.len_utf8();
                }
            }
            if i >= n {
                break;
            }
            // The chunk: up to the next blank.
            let start = i;
            let mut all_alnum = true;
            let mut ascii = true;
            while i < n {
                let b = bytes[i];
                if b < 0x80 {
                    let f = BLOCKS[FIRST_BLOCK][b as usize];
                    if f & S != 0 {
                        break;
                    }
                    all_alnum &= f & ALNUM != 0;
                    i += 1;
                } else {
                    let c = text[i..].chars().next().unwrap();
                    let f = flags(c);
                    if f & S != 0 {
                        break;
                    }
                    all_alnum &= f & ALNUM != 0;
                    ascii = false;
                    i += c.len_utf8();
                }
            }
            let chunk = &text[start..i];
            let word: &str;
            let joins_next: bool;
            let mut checked_stop = false;
            let mut plain_ascii = ascii; // ASCII without "'" or "-"
            let mut hash = None;
            if all_alnum {
                let h = hash_bytes(chunk.as_bytes());
                hash = Some(h);
                if stop.contains_hashed(chunk, h) {
                    prev = None;
                    continue;
                }
                word = chunk;
                joins_next = true;
                checked_stop = true;
            } else {
                let w = strip_edge(chunk);
                if !(is_alnum_str(w) || is_joined_word(w)) || has_scheme_sep(chunk) {
                    if !w.is_empty() && chunk.chars().any(is_w) {
                        chars.clear();
                        chars.extend(chunk.chars());
                        // No CJK here, so the chunk matcher cannot decline.
                        prev = self.scan_chunk(&chars, prev, stop).unwrap_or(None);
                    } else {
                        prev = None;
                    }
                    continue;
                }
                if chunk.chars().next() != w.chars().next() {
                    prev = None;
                }
                joins_next = chunk.chars().next_back() == w.chars().next_back();
                word = w;
                plain_ascii = word.is_ascii() && !word.contains('\'') && !word.contains('-');
            }
            let kept = if plain_ascii {
                let n = word.len();
                if (MIN_WORD_LEN..=MAX_WORD_LEN).contains(&n) && !is_digit_str(word) && {
                    let h = *hash.get_or_insert_with(|| hash_bytes(word.as_bytes()));
                    checked_stop || !stop.contains_hashed(word, h)
                } {
                    Some(word)
                } else {
                    None
                }
            } else {
                hash = None;
                keep_word(word, stop)
            };
            match kept {
                None => prev = None,
                Some(k) => {
                    let span = self.add_word(k, prev, hash);
                    self.push_parts(k, stop);
                    prev = if joins_next { Some(span) } else { None };
                }
            }
        }
        self.chars = chars;
    }

    /// `_scan_chunk`: `_TOKEN_RE.findall` over `c`, with the phrase state `prev`.
    fn scan_chunk(
        &mut self,
        c: &[char],
        mut prev: Option<Span>,
        stop: &StopSet,
    ) -> Result<Option<Span>> {
        let mut i = 0;
        let mut tmp = std::mem::take(&mut self.tmp);
        while let Some((end, tok)) = next_token(c, i) {
            i = end;
            match tok {
                Tok::Word(s, e) => {
                    tmp.clear();
                    tmp.extend(&c[s..e]);
                    if !tmp.is_ascii() && tmp.chars().any(|ch| is(ch, SEGMENTED)) {
                        // Rule 6: each piece a segmenter cuts the token into is a word token.
                        for piece in word_segments(&tmp) {
                            prev = self.add_token(&piece, prev, stop);
                        }
                    } else {
                        prev = self.add_token(&tmp, prev, stop);
                    }
                    continue;
                }
                Tok::Nothing => {}
                Tok::Cjk(s, e) => self.cjk_words(&c[s..e], stop),
                Tok::Tag(s, e) => {
                    let span = self.push_chars(Some('#'), &c[s..e]);
                    self.tags.push(span);
                }
                Tok::UrlHost(s, e) | Tok::BareHost(s, e) => {
                    if e > s {
                        tmp.clear();
                        tmp.extend(&c[s..e]);
                        let r = self.clean_host_push(&tmp);
                        if r.is_err() {
                            self.tmp = tmp;
                            return Err(Decline);
                        }
                    }
                }
            }
            prev = None;
        }
        self.tmp = tmp;
        Ok(prev)
    }

    /// `_add_word`: rules 5 and 7 for one word token after the phrase state `prev`; returns
    /// the phrase state after it.
    fn add_token(&mut self, word: &str, prev: Option<Span>, stop: &StopSet) -> Option<Span> {
        keep_word(word, stop).map(|k| {
            let span = self.add_word(k, prev, None);
            self.push_parts(k, stop);
            span
        })
    }

    /// Push a CJK word (`_cjk_words`) unless it is a stopword.
    fn push_unless_stopword(&mut self, word: &str, stop: &StopSet) {
        let h = hash_bytes(word.as_bytes());
        if !stop.contains_hashed(word, h) {
            self.push_word(word, Some(h));
        }
    }

    /// `_cjk_words`.
    fn cjk_words(&mut self, c: &[char], stop: &StopSet) {
        let n = c.len();
        let mut i = 0;
        let mut buf = String::new();
        let mut katakana_words = false;
        while i < n {
            if is(c[i], KATA_L) {
                let mut m = i + 1;
                while m < n && is(c[m], KATA_C) {
                    m += 1;
                }
                if m > i + 1 {
                    katakana_words = true;
                    buf.clear();
                    buf.extend(&c[i..m]);
                    self.push_unless_stopword(&buf, stop);
                    i = m;
                    continue;
                }
            }
            if is(c[i], HANHIRA) {
                let mut m = i + 1;
                while m < n && is(c[m], HANHIRA) {
                    m += 1;
                }
                if m - i >= 2 {
                    let seg = &c[i..m];
                    let mut prev = seg[0];
                    let mut prev_kana = in_range(prev, HIRAGANA_FIRST, HIRAGANA_LAST);
                    // prev is not Han after Han
                    let mut prev_alone = true;
                    for &ch in &seg[1..] {
                        let kana = in_range(ch, HIRAGANA_FIRST, HIRAGANA_LAST);
                        let keep = if prev_kana {
                            !kana && JA_PREFIXES.contains(&prev)
                        } else {
                            !kana || prev_alone
                        };
                        if keep {
                            let mut bytes = [0u8; 8];
                            let a = prev.encode_utf8(&mut bytes).len();
                            let b = ch.encode_utf8(&mut bytes[a..]).len();
                            // SAFETY: two whole UTF-8 encoded characters.
                            let bigram = unsafe { std::str::from_utf8_unchecked(&bytes[..a + b]) };
                            self.push_unless_stopword(bigram, stop);
                        }
                        prev_alone = prev_kana || kana;
                        prev = ch;
                        prev_kana = kana;
                    }
                    if seg.len() > 2 {
                        self.han_grams(seg, stop, &mut buf);
                    }
                    i = m;
                    continue;
                }
            }
            i += 1;
        }
        if katakana_words && c.iter().any(|&ch| is_han(ch)) {
            self.mixed_words(c, stop, &mut buf);
        }
    }

    /// `_mixed_words`: each Katakana word joined with a run of at most MAX_HAN_GRAM Han
    /// characters right before or after it.
    fn mixed_words(&mut self, c: &[char], stop: &StopSet, buf: &mut String) {
        // The previous piece: (start, end, is a Han run, is a Katakana word).
        let mut prev: Option<(usize, usize, bool, bool)> = None;
        let mut i = 0;
        while i < c.len() {
            let (end, han, katakana) = if is_han(c[i]) {
                let mut m = i + 1;
                while m < c.len() && is_han(c[m]) {
                    m += 1;
                }
                (m, true, false)
            } else if is(c[i], KATA_L) {
                let mut m = i + 1;
                while m < c.len() && is(c[m], KATA_C) {
                    m += 1;
                }
                (m, false, m > i + 1)
            } else {
                (i + 1, false, false)
            };
            if let Some((start, _, prev_han, prev_katakana)) = prev {
                let joined = (prev_han && katakana && i - start <= MAX_HAN_GRAM)
                    || (prev_katakana && han && end - i <= MAX_HAN_GRAM);
                if joined {
                    buf.clear();
                    buf.extend(&c[start..end]);
                    self.push_unless_stopword(buf, stop);
                }
            }
            prev = Some((i, end, han, katakana));
            i = end;
        }
    }

    /// The 3- and 4-grams of each Han run of 3 to MAX_HAN_RUN characters of a Han/Hiragana
    /// segment, run by run, by where they end (`_cjk_words`).
    fn han_grams(&mut self, seg: &[char], stop: &StopSet, buf: &mut String) {
        let is_kana = |c: char| in_range(c, HIRAGANA_FIRST, HIRAGANA_LAST);
        let mut i = 0;
        while i < seg.len() {
            if is_kana(seg[i]) {
                i += 1;
                continue;
            }
            let mut m = i + 1;
            while m < seg.len() && !is_kana(seg[m]) {
                m += 1;
            }
            let run = &seg[i..m];
            if (3..=MAX_HAN_RUN).contains(&run.len()) {
                for end in 3..=run.len() {
                    for length in 3..=end.min(MAX_HAN_GRAM) {
                        buf.clear();
                        buf.extend(&run[end - length..end]);
                        self.push_unless_stopword(buf, stop);
                    }
                }
            }
            i = m;
        }
    }
}

/// A Han character of rule 6 (Han/Hiragana, not Hiragana).
fn is_han(c: char) -> bool {
    is(c, HANHIRA) && !in_range(c, HIRAGANA_FIRST, HIRAGANA_LAST)
}

/// Where `str.splitlines` cuts: every one of these is also a blank (`\s`).
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// `"://" in chunk`.
#[inline]
fn has_scheme_sep(chunk: &str) -> bool {
    let b = chunk.as_bytes();
    b.len() >= 3 && (0..b.len() - 2).any(|i| b[i] == b':' && b[i + 1] == b'/' && b[i + 2] == b'/')
}

/// `_is_joined_word`.
fn is_joined_word(w: &str) -> bool {
    (w.contains('\'') || w.contains('-'))
        && all_but_joiners(w, ALNUM)
        && !["''", "--", "'-", "-'"].iter().any(|pair| w.contains(pair))
}

/// `_keep_word`.
pub fn keep_word<'w>(word: &'w str, stop: &StopSet) -> Option<&'w str> {
    let mut w = word;
    if w.contains('\'') {
        w = strip_apostrophe(w);
    }
    if w.is_ascii() {
        let n = w.len();
        if !(MIN_WORD_LEN..=MAX_WORD_LEN).contains(&n)
            || all_but_joiners(w, DIGIT)
            || stop.contains(w)
        {
            return None;
        }
        return Some(w);
    }
    keep_unicode_word(w, stop)
}

fn strip_apostrophe(w: &str) -> &str {
    let i = w.find('\'').unwrap();
    let head = &w[..i];
    if ELISIONS.contains(&head) {
        return &w[i + 1..];
    }
    if let Some(s) = w.strip_suffix("'s") {
        return s;
    }
    w
}

fn is_hangul(c: char) -> bool {
    in_range(c, HANGUL_FIRST, HANGUL_LAST)
}

fn keep_unicode_word<'w>(word: &'w str, stop: &StopSet) -> Option<&'w str> {
    let mut w = word;
    let mut hash = None;
    if is_hangul(w.chars().next_back().unwrap()) {
        let h = hash_bytes(w.as_bytes());
        if stop.contains_hashed(w, h) {
            return None;
        }
        let stripped = strip_particle(w);
        if stripped.len() == w.len() {
            hash = Some(h);
        }
        w = stripped;
    }
    let n = char_count(w);
    if n < MIN_WORD_LEN && !(n == MIN_HANGUL_WORD_LEN && w.chars().any(is_hangul)) {
        return None;
    }
    if n > MAX_WORD_LEN
        || all_but_joiners(w, NUMERIC)
        || stop.contains_hashed(w, hash.unwrap_or_else(|| hash_bytes(w.as_bytes())))
    {
        return None;
    }
    if in_range(w.chars().next().unwrap(), JAMO_FIRST, JAMO_LAST)
        && w.chars().all(|c| in_range(c, JAMO_FIRST, JAMO_LAST))
    {
        return None;
    }
    Some(w)
}

/// `len()` of a str: its code points.
#[inline]
fn char_count(w: &str) -> usize {
    w.bytes().filter(|&b| (b as i8) >= -0x40).count()
}

/// `_strip_particle`.
fn strip_particle(w: &str) -> &str {
    let n = char_count(w);
    if n >= 4 {
        // Each particle is exactly two characters, so ending with it is `word[-2:] == p`.
        for p in KO_PARTICLES_2 {
            if let Some(stem) = w.strip_suffix(p) {
                return stem;
            }
        }
    }
    if n >= 3 {
        let c1 = w.chars().next_back().unwrap();
        if KO_PARTICLES_1.contains(&c1) {
            return &w[..w.len() - c1.len_utf8()];
        }
    }
    w
}

// --- _TOKEN_RE ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    UrlHost(usize, usize),
    Word(usize, usize),
    BareHost(usize, usize),
    Tag(usize, usize),
    Cjk(usize, usize),
    Nothing,
}

#[inline]
fn at(c: &[char], i: usize) -> Option<char> {
    c.get(i).copied()
}

fn starts_with(c: &[char], i: usize, lit: &str) -> bool {
    (i..).zip(lit.chars()).all(|(k, l)| at(c, k) == Some(l))
}

fn run(c: &[char], mut k: usize, pred: impl Fn(char) -> bool) -> usize {
    while k < c.len() && pred(c[k]) {
        k += 1;
    }
    k
}

fn is_w_dash(ch: char) -> bool {
    is_w(ch) || ch == '-'
}

/// `_WORD_RUN` from `k` (where a `_LETTER` is): `L++(?:M++L*+)*+`.
fn word_run_end(c: &[char], k: usize) -> usize {
    let mut k = run(c, k + 1, |x| is(x, L));
    loop {
        let m = run(c, k, |x| is(x, M));
        if m == k {
            return k;
        }
        k = run(c, m, |x| is(x, L));
    }
}

/// `_WORD` from `j`: `WR(?:['-]WR)*+`.
fn word_end(c: &[char], j: usize) -> usize {
    let mut k = word_run_end(c, j);
    while matches!(at(c, k), Some('\'' | '-')) && at(c, k + 1).is_some_and(|x| is(x, L)) {
        k = word_run_end(c, k + 1);
    }
    k
}

/// One `_TOKEN_RE` match searched from `i`: (end, groups), None when no more.
pub fn next_token(c: &[char], i: usize) -> Option<(usize, Tok)> {
    let n = c.len();
    let j = run(c, i, is_s);
    if j == n {
        return None;
    }
    let ch = c[j];
    // 1: https?://(?:[^\s/?#@]*@)?([\w.-]*)\S*
    if ch == 'h' && starts_with(c, j, "http") {
        let mut k = j + 4;
        if at(c, k) == Some('s') && starts_with(c, k + 1, "://") {
            k += 4;
        } else if starts_with(c, k, "://") {
            k += 3;
        } else {
            k = usize::MAX;
        }
        if k != usize::MAX {
            let m = run(c, k, |x| !is_s(x) && !matches!(x, '/' | '?' | '#' | '@'));
            let hs = if at(c, m) == Some('@') { m + 1 } else { k };
            let he = run(c, hs, |x| is_w(x) || x == '.' || x == '-');
            let e = run(c, he, |x| !is_s(x));
            return Some((e, Tok::UrlHost(hs, he)));
        }
    }
    let letter = is(ch, L);
    // 2: (_WORD)(?![.@+-]\w)
    let mut wend = 0;
    if letter {
        wend = word_end(c, j);
        let glued =
            matches!(at(c, wend), Some('.' | '@' | '+' | '-')) && at(c, wend + 1).is_some_and(is_w);
        if !glued {
            return Some((wend, Tok::Word(j, wend)));
        }
    }
    // 3: [\w.+-]++@[\w-]+(?:\.[\w-]+)+
    let k = run(c, j, |x| is_w(x) || matches!(x, '.' | '+' | '-'));
    // Alternative 4 needs a '.' after [\w-] characters from here: inside this run.
    let has_dot = c[j..k].contains(&'.');
    {
        if k > j && at(c, k) == Some('@') {
            let mut m = run(c, k + 1, is_w_dash);
            if m > k + 1 {
                let mut groups = 0;
                while at(c, m) == Some('.') {
                    let e = run(c, m + 1, is_w_dash);
                    if e == m + 1 {
                        break;
                    }
                    m = e;
                    groups += 1;
                }
                if groups > 0 {
                    return Some((m, Tok::Nothing));
                }
            }
        }
    }
    // 4: bare links
    if let Some(he) = if has_dot { bare_host_end(c, j) } else { None } {
        let mut e = he;
        if at(c, e) == Some(':') && at(c, e + 1).is_some_and(|x| is(x, D)) {
            e = run(c, e + 1, |x| is(x, D));
        }
        if matches!(at(c, e), Some('/' | '?' | '#')) {
            e = run(c, e + 1, |x| !is_s(x));
        }
        return Some((e, Tok::BareHost(j, he)));
    }
    // 5: @(?<!\w@)[\w.-]+
    if ch == '@' && !(j > 0 && is_w(c[j - 1])) {
        let e = run(c, j + 1, |x| is_w(x) || x == '.' || x == '-');
        if e > j + 1 {
            return Some((e, Tok::Nothing));
        }
    }
    // 6: \#(?<!\w\#)(\d*+[^\W\d](?:\w|[MARKS])*+(?:-(?:\w|[MARKS])++)*+)
    if ch == '#' && !(j > 0 && is_w(c[j - 1])) {
        let k = run(c, j + 1, |x| is(x, D));
        if at(c, k).is_some_and(|x| is_w(x) && !is(x, D)) {
            let mut e = run(c, k + 1, |x| is(x, W | M));
            while at(c, e) == Some('-') && at(c, e + 1).is_some_and(|x| is(x, W | M)) {
                e = run(c, e + 2, |x| is(x, W | M));
            }
            return Some((e, Tok::Tag(j + 1, e)));
        }
    }
    // 7: (_WORD)
    if letter {
        return Some((wend, Tok::Word(j, wend)));
    }
    // 8: ([CJK]+)
    if is(ch, CJK) {
        let e = run(c, j + 1, |x| is(x, CJK));
        return Some((e, Tok::Cjk(j, e)));
    }
    // 9: [^\w\s\#@]+
    if !is(ch, W | S) && ch != '#' && ch != '@' {
        let e = run(c, j + 1, |x| !is(x, W | S) && x != '#' && x != '@');
        return Some((e, Tok::Nothing));
    }
    // 10: [\#@_]
    Some((j + 1, Tok::Nothing))
}

/// Host end of `www\.[\w-]+(?:\.[\w-]+)+ | (?:[^\W_][\w-]*+\.)+(?:TLD(?![\w-])|[a-z][a-z0-9-]*+(?=/))`.
fn bare_host_end(c: &[char], j: usize) -> Option<usize> {
    if starts_with(c, j, "www.") {
        let m = run(c, j + 4, is_w_dash);
        if m > j + 4 {
            let mut k = m;
            let mut groups = 0;
            while at(c, k) == Some('.') {
                let e = run(c, k + 1, is_w_dash);
                if e == k + 1 {
                    break;
                }
                k = e;
                groups += 1;
            }
            if groups > 0 {
                return Some(k);
            }
        }
    }
    // Positions right after each "label." unit.
    let mut dots: Vec<usize> = Vec::new();
    let mut k = j;
    while at(c, k).is_some_and(|x| is_w(x) && x != '_') {
        let m = run(c, k + 1, is_w_dash);
        if at(c, m) != Some('.') {
            break;
        }
        k = m + 1;
        dots.push(k);
    }
    for &p in dots.iter().rev() {
        let r = run(c, p, is_w_dash);
        if r > p && r - p <= 6 {
            let mut buf = [0u8; 32];
            let mut len = 0;
            let mut ascii = true;
            for &x in &c[p..r] {
                if !x.is_ascii() {
                    ascii = false;
                    break;
                }
                buf[len] = x as u8;
                len += 1;
            }
            if ascii && BARE_TLDS.iter().any(|t| t.as_bytes() == &buf[..len]) {
                return Some(r);
            }
        }
        if at(c, p).is_some_and(|x| x.is_ascii_lowercase()) {
            let m = run(c, p + 1, |x| {
                x.is_ascii_lowercase() || x.is_ascii_digit() || x == '-'
            });
            if at(c, m) == Some('/') {
                return Some(m);
            }
        }
    }
    None
}

/// `_URL_HOST_RE.match(url).group(1)` (IGNORECASE).
pub fn url_host_ignorecase(url: &str) -> Option<&str> {
    let s = url.trim_start_matches(|c: char| is_s(c));
    let mut it = s.char_indices();
    for set in [IC_H, IC_T, IC_T, IC_P] {
        match it.next() {
            Some((_, c)) if set.contains(&c) => {}
            _ => return None,
        }
    }
    let rest_at = it.clone().next().map(|(i, _)| i).unwrap_or(s.len());
    let mut rest = &s[rest_at..];
    if let Some(c) = rest.chars().next() {
        if IC_S.contains(&c) && rest[c.len_utf8()..].starts_with("://") {
            rest = &rest[c.len_utf8()..];
        }
    }
    let rest = rest.strip_prefix("://")?;
    let user_end = rest
        .find(|c: char| is_s(c) || matches!(c, '/' | '?' | '#' | '@'))
        .unwrap_or(rest.len());
    let host = if rest[user_end..].starts_with('@') {
        &rest[user_end + 1..]
    } else {
        rest
    };
    let end = host
        .find(|c: char| is_s(c) || matches!(c, '/' | '?' | '#' | ':'))
        .unwrap_or(host.len());
    Some(&host[..end])
}

/// `_clean_host`.
pub fn clean_host(host: &str) -> Result<Option<String>> {
    if host.is_empty() {
        return Ok(None);
    }
    let h = host.rsplit('@').next().unwrap();
    let h = h.split(':').next().unwrap();
    let norm = normalize(h)?;
    let h = norm.trim_end_matches('.');
    if h.chars().count() > 253 || !host_re_fullmatch(h) {
        return Ok(None);
    }
    for prefix in ["www.", "m."] {
        if let Some(rest) = h.strip_prefix(prefix) {
            if rest.contains('.') {
                return Ok(Some(rest.to_string()));
            }
        }
    }
    Ok(Some(h.to_string()))
}

/// `_HOST_RE.fullmatch`: `(?:[\w-]+\.)+[^\W\d_][\w-]*[^\W_]`.
fn host_re_fullmatch(h: &str) -> bool {
    let Some(dot) = h.rfind('.') else {
        return false;
    };
    let (head, last) = (&h[..dot], &h[dot + 1..]);
    for label in head.split('.') {
        if label.is_empty() || !label.chars().all(is_w_dash) {
            return false;
        }
    }
    let chars: Vec<char> = last.chars().collect();
    if chars.len() < 2 {
        return false;
    }
    let first = chars[0];
    let lastc = chars[chars.len() - 1];
    is_w(first)
        && !is(first, D)
        && first != '_'
        && is_w(lastc)
        && lastc != '_'
        && chars[1..chars.len() - 1].iter().all(|&x| is_w_dash(x))
}

/// Dedup in first-seen order and hand each keyword to `emit` (`known`: the spans' hashes).
pub fn dedup_each(post: &Post, spans: &[Span], known: Option<&[u64]>, mut emit: impl FnMut(&str)) {
    if spans.len() == 1 {
        emit(post.get(spans[0]));
    } else if spans.len() <= 32 {
        let mut seen = post.dedup_small.take();
        seen.clear();
        for (k, &s) in spans.iter().enumerate() {
            let w = post.get(s);
            let h = match known {
                Some(hs) => hs[k],
                None => hash_bytes(w.as_bytes()),
            };
            if !seen.iter().any(|&(sh, ss)| sh == h && post.get(ss) == w) {
                seen.push((h, s));
                emit(w);
            }
        }
        post.dedup_small.set(seen);
    } else {
        let size = (spans.len() * 2).next_power_of_two();
        let mask = size - 1;
        let mut table = post.dedup_table.take();
        table.clear();
        table.resize(size, (0, u32::MAX));
        for (k, &s) in spans.iter().enumerate() {
            let w = post.get(s);
            let h = match known {
                Some(hs) => hs[k],
                None => hash_bytes(w.as_bytes()),
            };
            let mut i = (h as usize) & mask;
            loop {
                let (th, tk) = table[i];
                if tk == u32::MAX {
                    table[i] = (h, k as u32);
                    emit(w);
                    break;
                }
                if th == h && post.get(spans[tk as usize]) == w {
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        post.dedup_table.set(table);
    }
}

/// The primary subtag of one language tag, as `_stopwords_for_key` computes it, or Decline
/// for non-ASCII tags (Unicode `lower()`/`strip()` are left to Python).
pub fn primary_of(lang: &str, out: &mut String) -> Result<()> {
    if !lang.is_ascii() {
        return Err(Decline);
    }
    out.clear();
    let head = lang.split(['_', '-']).next().unwrap();
    out.extend(strip_ws(head).chars().map(|c| c.to_ascii_lowercase()));
    Ok(())
}
