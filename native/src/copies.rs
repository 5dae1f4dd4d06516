//! Keys of posts' texts, so that copies of one text, word for word or nearly, count once.
//!
//! This is `trendlake.copies.copy_keys`, whose Python reference gives the same keys: a post
//! with at least `min_words` distinct words gets BLAKE2b of "copy" followed by each of its
//! distinct words, sorted, after a unit separator; a shorter post with a word, of "short"
//! and its distinct words, hashtags and domains together, when they are at least
//! `short_min_tokens`; any other post gets 0 (no key). Then the posts of each minute whose
//! word sets are near-identical (Jaccard >= 3/5, found with MinHash bands and checked
//! exactly) form clusters, and every post of a cluster takes the key of the words more than
//! half of the cluster's posts have: the ring's template. Long posts are clustered by their
//! words; short ones with at least `short_near_min_tokens` tokens by those, among
//! themselves. A cluster's template is remembered for the template memory after its
//! minute: a post its minute leaves alone takes the key of the remembered template of its
//! class it nearly copies (the most alike, then the latest, then the smallest key), from
//! the templates given (those of the minutes before the posts') or formed by the posts
//! themselves. A post alone that matches no template is matched the same way against the
//! singles of the single memory before its minute (the posts those minutes left alone,
//! keyed by their own text), and takes the key of the words it shares with the best: a
//! ring whose accounts take turns, one copy a minute, has one key after its first copy.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::extract::is;
use crate::tables::CJK;
use crate::{blake2_key_of, check_rows, int64_at, int64_buffer, le_bytes, Bytes, StrArray};

const BANDS: usize = 8;
const ROWS: usize = 3;
const JACCARD: (usize, usize) = (3, 5);
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Per post of `n` (its pair count in `counts`, u32 LE, and its minute in `minutes`, i64
/// LE), the key of its text, as little-endian int64s; `keywords` is the large_utf8 array of
/// every post's pairs one after the other and `token_kinds` one byte per pair: 1 for a
/// word, 2 for a hashtag or domain, 0 for anything else.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn word_set_keys<'py>(
    py: Python<'py>,
    n: usize,
    counts: &Bound<'py, PyAny>,
    keywords: &Bound<'py, PyTuple>,
    token_kinds: &Bound<'py, PyAny>,
    minutes: &Bound<'py, PyAny>,
    min_words: usize,
    short_min_tokens: usize,
    short_near_min_tokens: usize,
    templates: &Bound<'py, PyTuple>,
    singles: &Bound<'py, PyTuple>,
    template_memory: i64,
    single_memory: i64,
) -> PyResult<Bound<'py, PyTuple>> {
    check_rows(n, "word_set_keys")?;
    let remembered = Templates::of(templates)?;
    let remembered_singles = Templates::of(singles)?;
    let missing = || PyValueError::new_err("word_set_keys: buffer missing");
    let counts = Bytes::of(counts)?.ok_or_else(missing)?;
    let token_kinds = Bytes::of(token_kinds)?.ok_or_else(missing)?;
    let minutes = int64_buffer(minutes, n, "word_set_keys")?;
    let (counts, kinds, minutes) = (counts.slice(), token_kinds.slice(), minutes.slice());
    let lengths = Lengths {
        min_words,
        short_min_tokens,
        short_near_min_tokens,
    };
    if counts.len() != n * 4 {
        return Err(PyValueError::new_err(format!(
            "word_set_keys: expected {n} pair counts"
        )));
    }
    let keywords = StrArray::of(keywords)?;
    let mut texts = Texts::with_capacity(n, kinds.len());
    let mut words: Vec<&[u8]> = Vec::new();
    let mut tags: Vec<&[u8]> = Vec::new();
    let mut pair = 0usize;
    for i in 0..n {
        let count = u32::from_le_bytes(counts[i * 4..i * 4 + 4].try_into().unwrap()) as usize;
        let end = pair + count;
        if end > kinds.len() {
            return Err(PyValueError::new_err(
                "word_set_keys: more pairs counted than given",
            ));
        }
        words.clear();
        tags.clear();
        for (j, &kind) in kinds[pair..end].iter().enumerate() {
            match kind {
                1 => words.push(keywords.get_bytes(pair + j)?.unwrap_or_default()),
                2 => tags.push(keywords.get_bytes(pair + j)?.unwrap_or_default()),
                _ => {}
            }
        }
        pair = end;
        texts.push(&mut words, &mut tags, lengths);
    }
    if pair != kinds.len() {
        return Err(PyValueError::new_err(
            "word_set_keys: fewer pairs counted than given",
        ));
    }
    let remembered = Remembered {
        templates: &remembered,
        singles: &remembered_singles,
        template_memory,
        single_memory,
    };
    let (keys, formed, singles) = near_copy_keys(&texts, |i| int64_at(minutes, i), &remembered);
    let mut out = vec![le_bytes(py, &keys, i64::to_le_bytes)];
    out.extend(template_buffers(py, &formed));
    out.extend(template_buffers(py, &singles));
    PyTuple::new(py, out)
}

/// Templates as Python takes them back: minutes, keys, short flags (a byte each), token
/// counts (u32) and every template's token hashes, each as int64s sorted as such.
fn template_buffers<'py>(py: Python<'py>, templates: &Templates) -> [Bound<'py, PyBytes>; 5] {
    let counts: Vec<u32> = (0..templates.len())
        .map(|t| templates.hashes(t).len() as u32)
        .collect();
    let short: Vec<u8> = templates.short.iter().map(|&s| s as u8).collect();
    let mut hashes: Vec<i64> = Vec::with_capacity(templates.hashes.len());
    for t in 0..templates.len() {
        let first = hashes.len();
        hashes.extend(templates.hashes(t).iter().map(|&h| h as i64));
        hashes[first..].sort_unstable();
    }
    [
        le_bytes(py, &templates.minutes, i64::to_le_bytes),
        le_bytes(py, &templates.keys, i64::to_le_bytes),
        PyBytes::new(py, &short),
        le_bytes(py, &counts, u32::to_le_bytes),
        le_bytes(py, &hashes, i64::to_le_bytes),
    ]
}

/// What the minutes before the posts' left them: templates, which serve `template_memory`
/// after their minute, and singles (posts left alone, keyed by their own text), which serve
/// `single_memory` after theirs.
struct Remembered<'t> {
    templates: &'t Templates,
    singles: &'t Templates,
    template_memory: i64,
    single_memory: i64,
}

/// Clusters' templates: each one's minute, key, whether it is of short posts, and its
/// tokens' hashes (sorted, distinct), one template after the other.
#[derive(Default)]
struct Templates {
    minutes: Vec<i64>,
    keys: Vec<i64>,
    short: Vec<bool>,
    hashes: Vec<u64>,
    starts: Vec<usize>,
}

impl Templates {
    /// From Python: (n, minutes as int64s, keys as int64s, short as one byte each, token
    /// counts as u32s, every template's token hashes as int64s, one after the other).
    fn of(parts: &Bound<'_, PyTuple>) -> PyResult<Templates> {
        let bad = |what: &str| PyValueError::new_err(format!("word_set_keys: templates {what}"));
        let n: usize = parts.get_item(0)?.extract()?;
        let buffer = |i: usize| -> PyResult<Bytes> {
            Bytes::of(&parts.get_item(i)?)?.ok_or_else(|| bad("buffer missing"))
        };
        let (minutes, keys, short) = (buffer(1)?, buffer(2)?, buffer(3)?);
        let (counts, hashes) = (buffer(4)?, buffer(5)?);
        let (minutes, keys, short) = (minutes.slice(), keys.slice(), short.slice());
        let (counts, hashes) = (counts.slice(), hashes.slice());
        if minutes.len() != n * 8
            || keys.len() != n * 8
            || short.len() != n
            || counts.len() != n * 4
        {
            return Err(bad("of the wrong length"));
        }
        let mut templates = Templates::default();
        let mut own = Vec::new();
        let mut at = 0usize;
        for t in 0..n {
            let count = u32::from_le_bytes(counts[t * 4..t * 4 + 4].try_into().unwrap()) as usize;
            if (at + count) * 8 > hashes.len() {
                return Err(bad("with more hashes counted than given"));
            }
            own.clear();
            own.extend((at..at + count).map(|j| int64_at(hashes, j) as u64));
            at += count;
            own.sort_unstable();
            own.dedup();
            templates.push(int64_at(minutes, t), int64_at(keys, t), short[t] != 0, &own);
        }
        if at * 8 != hashes.len() {
            return Err(bad("with fewer hashes counted than given"));
        }
        Ok(templates)
    }

    fn push(&mut self, minute: i64, key: i64, short: bool, hashes: &[u64]) {
        self.starts.push(self.hashes.len());
        self.minutes.push(minute);
        self.keys.push(key);
        self.short.push(short);
        self.hashes.extend_from_slice(hashes);
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    fn hashes(&self, t: usize) -> &[u64] {
        let end = self.starts.get(t + 1).copied().unwrap_or(self.hashes.len());
        &self.hashes[self.starts[t]..end]
    }

    /// The same templates ordered by (minute, key), once each.
    fn ordered(&self) -> Templates {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_unstable_by_key(|&t| (self.minutes[t], self.keys[t]));
        order.dedup_by_key(|t| (self.minutes[*t], self.keys[*t]));
        let mut out = Templates::default();
        for t in order {
            out.push(self.minutes[t], self.keys[t], self.short[t], self.hashes(t));
        }
        out
    }
}

/// A map keyed by band keys, which are mixed already: they are their own hash.
#[derive(Default)]
struct BandHasher(u64);

impl Hasher for BandHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Each band key's last entry in a `Chains`.
type ByBand = HashMap<u64, u32, BuildHasherDefault<BandHasher>>;

/// The templates in each band bucket as chains through two arrays: an entry's template
/// (its source and position) and the bucket's entry before it (NONE: the first). No list
/// per bucket: ten minutes of templates at 100x fill a million buckets.
#[derive(Default)]
struct Chains {
    heads: ByBand,
    codes: Vec<u32>,
    before: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl Chains {
    fn push(&mut self, band: u64, code: u32) {
        let entry = self.codes.len() as u32;
        self.codes.push(code);
        self.before
            .push(self.heads.insert(band, entry).unwrap_or(NONE));
    }

    fn bucket(&self, band: u64) -> impl Iterator<Item = u32> + '_ {
        let mut entry = self.heads.get(&band).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            (entry != NONE).then(|| {
                let code = self.codes[entry as usize];
                entry = self.before[entry as usize];
                code
            })
        })
    }
}

/// How many words a long post needs, and how many words and tags a short post's key and
/// its near copies need.
#[derive(Clone, Copy)]
struct Lengths {
    min_words: usize,
    short_min_tokens: usize,
    short_near_min_tokens: usize,
}

/// Every clustered post's distinct tokens (a long post's words, a short post's words and
/// tags) and their hashes, each sorted, one post after the other, with its key, whether it
/// is short, and its MinHash band keys; a post that is not clustered has no tokens or
/// bands, and a key only of its text word for word (or none: 0).
///
/// All of it is computed in the posts' own order: clustering visits them by key, and
/// reading words from the Arrow buffers in that order missed the caches on every word.
struct Texts<'a> {
    words: Vec<&'a [u8]>,
    word_starts: Vec<usize>,
    hashes: Vec<u64>,
    hash_starts: Vec<usize>,
    keys: Vec<i64>,
    short: Vec<bool>,
    bands: Vec<[u64; BANDS]>,
}

impl<'a> Texts<'a> {
    fn with_capacity(posts: usize, words: usize) -> Self {
        let mut word_starts = Vec::with_capacity(posts + 1);
        word_starts.push(0);
        let mut hash_starts = Vec::with_capacity(posts + 1);
        hash_starts.push(0);
        Texts {
            words: Vec::with_capacity(words),
            word_starts,
            hashes: Vec::with_capacity(words),
            hash_starts,
            keys: Vec::with_capacity(posts),
            short: Vec::with_capacity(posts),
            bands: Vec::with_capacity(posts),
        }
    }

    /// Adds a post of `words` and `tags` (in any order, repeats allowed; left sorted).
    fn push(&mut self, words: &mut Vec<&'a [u8]>, tags: &mut Vec<&'a [u8]>, lengths: Lengths) {
        // Byte order of UTF-8 is code point order: Python's `sorted` of the same strings.
        words.sort_unstable();
        words.dedup();
        let (mut key, mut bands) = (0, [0u64; BANDS]);
        let written = written_words(words);
        let short = !written.is_empty() && written.len() < lengths.min_words;
        let mut clustered: &[&'a [u8]] = &[];
        if short {
            // Its written words, hashtags and domains together (no word holds "#" or ".",
            // so a tag never equals a word).
            tags.extend_from_slice(&written);
            tags.sort_unstable();
            tags.dedup();
            if tags.len() >= lengths.short_min_tokens {
                key = tagged_set_key(b"short", tags);
            }
            if tags.len() >= lengths.short_near_min_tokens.max(lengths.short_min_tokens) {
                clustered = tags;
            }
        } else if written.len() >= lengths.min_words.max(1) {
            key = set_key(words);
            clustered = words;
        }
        if !clustered.is_empty() {
            self.words.extend_from_slice(clustered);
            let first = self.hashes.len();
            self.hashes
                .extend(clustered.iter().map(|token| word_hash(token)));
            self.hashes[first..].sort_unstable();
            let distinct = dedup_in_place(&mut self.hashes[first..]);
            self.hashes.truncate(first + distinct);
            bands = band_keys(&self.hashes[first..]);
        }
        self.word_starts.push(self.words.len());
        self.hash_starts.push(self.hashes.len());
        self.keys.push(key);
        self.short.push(short);
        self.bands.push(bands);
    }

    fn words(&self, i: usize) -> &[&'a [u8]] {
        &self.words[self.word_starts[i]..self.word_starts[i + 1]]
    }

    fn hashes(&self, i: usize) -> &[u64] {
        &self.hashes[self.hash_starts[i]..self.hash_starts[i + 1]]
    }
}

/// The sorted, distinct `words` of a post less those the tokenizer made of others: the
/// parts of a hyphenated word, and a Han or kana token inside a longer one
/// (`trendlake.copies.written_words`).
fn written_words<'w, 'a>(words: &'w [&'a [u8]]) -> Cow<'w, [&'a [u8]]> {
    let hyphenated = words.iter().any(|word| word.contains(&b'-'));
    let cjk: Vec<usize> = (0..words.len()).filter(|&i| has_cjk(words[i])).collect();
    if !hyphenated && cjk.is_empty() {
        return Cow::Borrowed(words); // nothing was made of other words
    }
    let parts: Vec<&[u8]> = words
        .iter()
        .filter(|word| word.contains(&b'-'))
        .flat_map(|word| word.split(|&b| b == b'-'))
        .collect();
    let inside =
        |i: usize| cjk.contains(&i) && cjk.iter().any(|&j| j != i && contains(words[j], words[i]));
    Cow::Owned(
        (0..words.len())
            .filter(|&i| !parts.contains(&words[i]) && !inside(i))
            .map(|i| words[i])
            .collect(),
    )
}

/// Whether a UTF-8 word holds a Han, Hiragana or Katakana character: the tokenizer's own
/// class for rule 6 (`tables::CJK`, generated from `trendlake.text`).
fn has_cjk(word: &[u8]) -> bool {
    // Every character of the class is encoded from one of these lead bytes (U+3005-U+9FFF,
    // U+F900-U+FAFF, U+20000-U+3134F): most words have none and are not decoded.
    word.iter().any(|&b| matches!(b, 0xE3..=0xE9 | 0xEF | 0xF0))
        && std::str::from_utf8(word).is_ok_and(|text| text.chars().any(|c| is(c, CJK)))
}

/// Whether `needle` occurs in `hay` (on UTF-8, only at character boundaries).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|window| window == needle)
}

/// The MinHash signature of a set's word hashes, BANDS bands of ROWS rows, as one key per
/// band. Row i's hash of a word is its hash xor seed i, times the golden ratio: one
/// multiply a row, the word hashes being mixed already.
fn band_keys(hashes: &[u64]) -> [u64; BANDS] {
    let mut signature = [u64::MAX; BANDS * ROWS];
    for &h in hashes {
        for (i, slot) in signature.iter_mut().enumerate() {
            let seed = (i as u64 + 1).wrapping_mul(GOLDEN);
            *slot = (*slot).min((h ^ seed).wrapping_mul(GOLDEN));
        }
    }
    let mut bands = [0u64; BANDS];
    for (band, key) in bands.iter_mut().enumerate() {
        let rows = &signature[band * ROWS..(band + 1) * ROWS];
        *key = rows
            .iter()
            .fold(band as u64, |key, &value| fmix(value ^ key));
    }
    bands
}

/// Moves the distinct values of a sorted slice to its front; returns how many there are.
fn dedup_in_place<T: PartialEq + Copy>(values: &mut [T]) -> usize {
    let mut kept = 0;
    for i in 0..values.len() {
        if kept == 0 || values[i] != values[kept - 1] {
            values[kept] = values[i];
            kept += 1;
        }
    }
    kept
}

/// Each post's key (0 for a post without one), near copies of one minute sharing their
/// cluster's template key, and a post its minute leaves alone the key of the template of
/// the template memory before its minute it matches best (remembered, or formed by these
/// posts), or else the key of the words it shares with the single of the single memory
/// before it it matches best; and the templates and singles these posts formed, each
/// ordered by (minute, key).
fn near_copy_keys(
    texts: &Texts,
    minute_of: impl Fn(usize) -> i64,
    remembered: &Remembered,
) -> (Vec<i64>, Templates, Templates) {
    let mut keys = texts.keys.clone();
    let mut formed = Templates::default();
    let mut alone: Vec<usize> = Vec::new();
    // Ordered by minute, then key, so the clusters do not depend on the posts' order; long
    // and short posts apart, as their tokens are not of one kind.
    let group = |i: usize| (minute_of(i), texts.short[i]);
    let mut order: Vec<usize> = (0..keys.len())
        .filter(|&i| keys[i] != 0 && !texts.words(i).is_empty())
        .collect();
    order.sort_unstable_by_key(|&i| (group(i), keys[i], i));
    let mut buckets = Vec::new();
    let mut own = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let this = group(order[start]);
        let end = start + order[start..].partition_point(|&i| group(i) == this);
        let posts = &order[start..end];
        let cluster_of = clusters(posts, texts, &mut buckets);
        let mut size = vec![0u32; posts.len()];
        for &root in &cluster_of {
            size[root] += 1;
        }
        alone.extend(
            cluster_of
                .iter()
                .zip(posts)
                .filter(|&(&root, _)| size[root] == 1)
                .map(|(_, &i)| i),
        );
        let mut grouped: Vec<(usize, usize)> = cluster_of
            .iter()
            .zip(posts)
            .filter(|&(&root, _)| size[root] >= 2)
            .map(|(&root, &i)| (root, i))
            .collect();
        grouped.sort_unstable();
        for cluster in grouped.chunk_by(|a, b| a.0 == b.0) {
            let first = cluster[0].1;
            // Copies word for word keep their key: their template is their text.
            if cluster.iter().all(|&(_, i)| keys[i] == keys[first]) {
                formed.push(this.0, keys[first], this.1, texts.hashes(first));
                continue;
            }
            let members = cluster.iter().map(|&(_, i)| texts.words(i));
            let template = majority_words(members, cluster.len());
            if !template.is_empty() {
                let tag: &[u8] = if this.1 { b"short" } else { b"copy" };
                let key = tagged_set_key(tag, &template);
                for &(_, i) in cluster {
                    keys[i] = key;
                }
                own.clear();
                own.extend(template.iter().map(|token| word_hash(token)));
                own.sort_unstable();
                own.dedup();
                formed.push(this.0, key, this.1, &own);
            }
        }
        start = end;
    }
    let formed = formed.ordered();
    alone.sort_unstable(); // read in the posts' order: their bands and hashes lie so
    let mut singles = Templates::default();
    for &i in &alone {
        singles.push(minute_of(i), keys[i], texts.short[i], texts.hashes(i));
    }
    let singles = singles.ordered();
    let sources = [remembered.templates, &formed];
    let matches = best_matches(
        texts,
        &minute_of,
        &alone,
        sources,
        remembered.template_memory,
    );
    let mut unmatched = Vec::new();
    for (&i, found) in alone.iter().zip(matches) {
        match found {
            Some((s, t)) => keys[i] = sources[s].keys[t],
            None => unmatched.push(i),
        }
    }
    let sources = [remembered.singles, &singles];
    let matches = best_matches(
        texts,
        &minute_of,
        &unmatched,
        sources,
        remembered.single_memory,
    );
    let mut shared_words = Vec::new();
    for (&i, found) in unmatched.iter().zip(matches) {
        if let Some((s, t)) = found {
            // The words it shares with that single (its words are sorted, so are these).
            let theirs = sources[s].hashes(t);
            shared_words.clear();
            shared_words.extend(
                texts
                    .words(i)
                    .iter()
                    .filter(|word| theirs.binary_search(&word_hash(word)).is_ok()),
            );
            let tag: &[u8] = if texts.short[i] { b"short" } else { b"copy" };
            keys[i] = tagged_set_key(tag, &shared_words);
        }
    }
    (keys, formed, singles)
}

/// For each post of `alone` (left alone by its minute, in the posts' order), the template
/// of the `memory` before its minute, of its own class, it is most alike (Jaccard >=
/// JACCARD), then the latest, then of the smallest key, as (source, position): of the
/// templates given (all before the posts') or formed by the posts.
fn best_matches(
    texts: &Texts,
    minute_of: &impl Fn(usize) -> i64,
    alone: &[usize],
    sources: [&Templates; 2],
    memory: i64,
) -> Vec<Option<(usize, usize)>> {
    let mut found = vec![None; alone.len()];
    if alone.is_empty() || sources.iter().all(|s| s.len() == 0) {
        return found;
    }
    // Only templates some post can take: of the memory before the first post's minute up to
    // the last's; of the templates given (all before the posts'), one a key, its latest, as
    // an older one with its key and tokens is never taken before it.
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for &i in alone {
        first = first.min(minute_of(i));
        last = last.max(minute_of(i));
    }
    let given = sources[0];
    let mut latest: HashMap<i64, usize> = HashMap::with_capacity(given.len());
    for t in 0..given.len() {
        let slot = latest.entry(given.keys[t]).or_insert(t);
        if given.minutes[t] > given.minutes[*slot] {
            *slot = t;
        }
    }
    let mut by_band = Chains::default();
    for (s, source) in sources.iter().enumerate() {
        for t in 0..source.len() {
            let at = source.minutes[t];
            if at >= last || at < first.saturating_sub(memory) {
                continue;
            }
            if s == 0 && latest[&source.keys[t]] != t {
                continue;
            }
            for band in band_keys(source.hashes(t)) {
                by_band.push(band, ((t << 1) | s) as u32);
            }
        }
    }
    for (slot, &i) in found.iter_mut().zip(alone) {
        let (minute, short, own) = (minute_of(i), texts.short[i], texts.hashes(i));
        // (shared, union, minute, key, source, position) of the best match so far.
        let mut best: Option<(usize, usize, i64, i64, usize, usize)> = None;
        for band in &texts.bands[i] {
            for code in by_band.bucket(*band) {
                let (s, t) = ((code & 1) as usize, (code >> 1) as usize);
                let source = sources[s];
                let at = source.minutes[t];
                if source.short[t] != short || at >= minute || at < minute.saturating_sub(memory) {
                    continue;
                }
                let theirs = source.hashes(t);
                let shared = shared(own, theirs);
                let union = own.len() + theirs.len() - shared;
                if shared * JACCARD.1 < union * JACCARD.0 {
                    continue;
                }
                let key = source.keys[t];
                let better = match best {
                    None => true,
                    Some((b_shared, b_union, m, k, _, _)) => {
                        (shared * b_union, at, -(key as i128)) > (b_shared * union, m, -(k as i128))
                    }
                };
                if better {
                    best = Some((shared, union, at, key, s, t));
                }
            }
        }
        *slot = best.map(|(_, _, _, _, s, t)| (s, t));
    }
    found
}

/// Each of the `posts`' cluster (its first member's position among them): posts joined by
/// MinHash bands and an exact similarity check against the first post in each band bucket.
/// The posts come ordered by key, so a copy word for word joins the one before it directly.
///
/// The buckets are sorted (band key, position) pairs, not a hash map: a minute at 100x
/// fills two million of them, and sorting beat inserting into a map.
fn clusters(posts: &[usize], texts: &Texts, buckets: &mut Vec<(u64, usize)>) -> Vec<usize> {
    buckets.clear();
    let mut parent: Vec<usize> = Vec::with_capacity(posts.len());
    for (p, &i) in posts.iter().enumerate() {
        if p > 0 && texts.keys[i] == texts.keys[posts[p - 1]] {
            // Its bands are the previous post's: checking them again would join the same.
            parent.push(p - 1);
            continue;
        }
        parent.push(p);
        buckets.extend(texts.bands[i].iter().map(|&band| (band, p)));
    }
    buckets.sort_unstable();
    for bucket in buckets.chunk_by(|a, b| a.0 == b.0) {
        let rep = bucket[0].1;
        for &(_, p) in &bucket[1..] {
            let (a, b) = (find(&mut parent, p), find(&mut parent, rep));
            if a != b && similar(texts.hashes(posts[p]), texts.hashes(posts[rep])) {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    (0..parent.len()).map(|p| find(&mut parent, p)).collect()
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Jaccard similarity of two sorted, distinct hash lists >= JACCARD.
fn similar(a: &[u64], b: &[u64]) -> bool {
    let shared = shared(a, b);
    shared * JACCARD.1 >= (a.len() + b.len() - shared) * JACCARD.0
}

/// How many values two sorted, distinct hash lists share.
fn shared(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

/// The words more than half of the cluster's `size` sets have, sorted.
fn majority_words<'a, 'w: 'a>(
    sets: impl Iterator<Item = &'a [&'w [u8]]>,
    size: usize,
) -> Vec<&'w [u8]> {
    let mut counts: HashMap<&[u8], usize> = HashMap::new();
    for words in sets {
        for &word in words {
            *counts.entry(word).or_default() += 1;
        }
    }
    let mut template: Vec<&[u8]> = counts
        .into_iter()
        .filter(|&(_, count)| 2 * count > size)
        .map(|(word, _)| word)
        .collect();
    template.sort_unstable();
    template
}

/// `blake2_key` of "copy" and each word after a 0x1f byte.
fn set_key(words: &[&[u8]]) -> i64 {
    tagged_set_key(b"copy", words)
}

/// `blake2_key` of `tag` and each word after a 0x1f byte.
fn tagged_set_key(tag: &[u8], words: &[&[u8]]) -> i64 {
    let separated = words.iter().flat_map(|word| [&b"\x1f"[..], word]);
    blake2_key_of(std::iter::once(tag).chain(separated))
}

/// FNV-1a of the bytes, finalized: `trendlake.copies._word_hash`.
fn word_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for &byte in bytes {
        h = (h ^ byte as u64).wrapping_mul(0x0000_0100_0000_01B3);
    }
    fmix(h)
}

/// MurmurHash3's 64-bit finalizer.
fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    k ^= k >> 33;
    k = k.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    k ^ (k >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    static EMPTY: Templates = Templates {
        minutes: Vec::new(),
        keys: Vec::new(),
        short: Vec::new(),
        hashes: Vec::new(),
        starts: Vec::new(),
    };

    fn nothing(template_memory: i64, single_memory: i64) -> Remembered<'static> {
        Remembered {
            templates: &EMPTY,
            singles: &EMPTY,
            template_memory,
            single_memory,
        }
    }

    const LENGTHS: Lengths = Lengths {
        min_words: 6,
        short_min_tokens: 2,
        short_near_min_tokens: 4,
    };

    #[test]
    fn fmix_and_word_hash_match_the_python_reference() {
        // Values printed by trendlake.copies._fmix and _word_hash.
        assert_eq!(fmix(1), 0xB456_BCFC_34C2_CB2C);
        assert_eq!(word_hash(b"zorblax"), 0x2F55_DB2D_8B70_F15B);
    }

    #[test]
    fn near_copies_of_one_minute_share_their_template_key() {
        let template: Vec<&[u8]> = vec![b"bonus", b"claim", b"code", b"crypto", b"free", b"offer"];
        let mut texts = Texts::with_capacity(4, 28);
        for code in [&b"aa11"[..], b"bb22", b"cc33"] {
            let mut words = template.clone();
            words.push(code);
            texts.push(&mut words, &mut Vec::new(), LENGTHS);
        }
        let other: Vec<&[u8]> = vec![b"garden", b"morning", b"roses", b"sunny", b"today", b"walk"];
        texts.push(&mut other.clone(), &mut Vec::new(), LENGTHS);
        let keys = near_copy_keys(&texts, |_| 0, &nothing(0, 0)).0;
        assert_eq!(keys[0], set_key(&template));
        assert_eq!(keys[0], keys[1]);
        assert_eq!(keys[1], keys[2]);
        assert_eq!(keys[3], set_key(&other));
        // In different minutes they are not clustered.
        let apart = near_copy_keys(&texts, |i| i as i64, &nothing(0, 0)).0;
        assert_ne!(apart[0], apart[1]);
    }

    #[test]
    fn a_copy_alone_takes_the_key_of_a_template_of_the_ten_minutes_before() {
        let template: Vec<&[u8]> = vec![b"bonus", b"claim", b"code", b"crypto", b"free", b"offer"];
        let mut texts = Texts::with_capacity(5, 35);
        for code in [&b"aa11"[..], b"bb22", b"cc33", b"dd44", b"ee55"] {
            let mut words = template.clone();
            words.push(code);
            texts.push(&mut words, &mut Vec::new(), LENGTHS);
        }
        let minutes = [0, 0, 3, 10, 11];
        let (keys, formed, _) = near_copy_keys(&texts, |i| minutes[i], &nothing(10, 0));
        let key = set_key(&template);
        assert_eq!(&keys[..4], &[key; 4]);
        assert_ne!(keys[4], key); // eleven minutes after the template
        assert_eq!(
            (formed.len(), formed.keys[0], formed.minutes[0]),
            (1, key, 0)
        );
        // The same posts after the first two, given the template they formed.
        let mut later = Texts::with_capacity(3, 21);
        for code in [&b"cc33"[..], b"dd44", b"ee55"] {
            let mut words = template.clone();
            words.push(code);
            later.push(&mut words, &mut Vec::new(), LENGTHS);
        }
        let given = Remembered {
            templates: &formed,
            ..nothing(10, 0)
        };
        let (again, none, _) = near_copy_keys(&later, |i| minutes[i + 2], &given);
        assert_eq!(again, &keys[2..]);
        assert_eq!(none.len(), 0);
    }

    #[test]
    fn a_copy_alone_matching_none_takes_the_key_of_the_words_it_shares_with_a_single_before() {
        let template: Vec<&[u8]> = vec![b"bonus", b"claim", b"code", b"crypto", b"free", b"offer"];
        let mut texts = Texts::with_capacity(4, 28);
        let mut own = Vec::new();
        for code in [&b"aa11"[..], b"bb22", b"cc33", b"dd44"] {
            let mut words = template.clone();
            words.push(code);
            words.sort_unstable();
            own.push(set_key(&words));
            texts.push(&mut words, &mut Vec::new(), LENGTHS);
        }
        let minutes = [0, 1, 4, 8];
        let (keys, formed, singles) = near_copy_keys(&texts, |i| minutes[i], &nothing(10, 3));
        let key = set_key(&template);
        // The first is itself; the next two share the template's words with the one before;
        // the last is four minutes after any other.
        assert_eq!(keys, [own[0], key, key, own[3]]);
        assert_eq!(formed.len(), 0);
        assert_eq!(singles.keys, own);
        assert_eq!(singles.minutes, minutes);
        // The last two, given the singles of the first two: the same keys.
        let mut later = Texts::with_capacity(2, 14);
        for code in [&b"cc33"[..], b"dd44"] {
            let mut words = template.clone();
            words.push(code);
            later.push(&mut words, &mut Vec::new(), LENGTHS);
        }
        let mut first_two = Templates::default();
        for t in 0..2 {
            let (minute, key, short) = (singles.minutes[t], singles.keys[t], singles.short[t]);
            first_two.push(minute, key, short, singles.hashes(t));
        }
        let given = Remembered {
            singles: &first_two,
            ..nothing(10, 3)
        };
        let (again, _, _) = near_copy_keys(&later, |i| minutes[i + 2], &given);
        assert_eq!(again, &keys[2..]);
    }

    #[test]
    fn written_words_leave_out_hyphen_parts_and_han_or_kana_inside_longer_ones() {
        let words: Vec<&[u8]> = vec![b"man", b"spider", b"spider-man", b"woman"];
        assert_eq!(*written_words(&words), [&b"spider-man"[..], b"woman"]);
        let han: Vec<&str> = vec!["大谷", "大谷翔", "大谷翔平", "翔平", "谷翔", "谷翔平"];
        let han: Vec<&[u8]> = han.iter().map(|w| w.as_bytes()).collect();
        assert_eq!(*written_words(&han), ["大谷翔平".as_bytes()]);
    }

    #[test]
    fn short_posts_are_keyed_word_for_word_with_their_tags_and_never_clustered() {
        let mut texts = Texts::with_capacity(5, 8);
        for _ in 0..2 {
            let (mut words, mut tags): (Vec<&[u8]>, Vec<&[u8]>) =
                (vec![b"free", b"followers"], vec![b"spam.example"]);
            texts.push(&mut words, &mut tags, LENGTHS);
        }
        texts.push(
            &mut vec![&b"free"[..]],
            &mut vec![&b"other.example"[..]],
            LENGTHS,
        );
        texts.push(&mut vec![&b"mood"[..]], &mut Vec::new(), LENGTHS); // one word alone
        texts.push(
            &mut Vec::new(),
            &mut vec![&b"#art"[..], b"#sketch"],
            LENGTHS,
        ); // no word
        let keys = near_copy_keys(&texts, |_| 0, &nothing(0, 0)).0;
        let expected: Vec<&[u8]> = vec![b"followers", b"free", b"spam.example"];
        assert_eq!(keys[0], tagged_set_key(b"short", &expected));
        assert_eq!(keys[0], keys[1]);
        assert_ne!(keys[2], keys[0]);
        assert_ne!(keys[2], 0);
        assert_eq!(&keys[3..], &[0, 0]);
    }
}
