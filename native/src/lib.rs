//! `trendlake_native`: a compiled `trendlake.text.extract_keywords` for whole batches.
//!
//! `Tokenizer(stopwords_of, fallback).extract_arrow(n, texts, langs, hashtags, links)` reads
//! a batch of posts from their Arrow columns' buffers and returns Arrow-ready buffers: per-post pair counts (u32 LE), large_utf8 offsets (i64 LE), the
//! UTF-8 keyword bytes, one kind byte per pair (0 word, 1 phrase, 2 hashtag, 3 domain) and
//! the number of posts handed to `fallback` (the Python implementation) because this code
//! declined them (see `extract::Decline`).
//!
//! Beside it, the group-bys the windows and baselines run over millions of keyword rows a
//! minute at high volume, each giving the rows of its Polars reference: sums per keyword key
//! (`sums`), a minute's keyword counts (`counts`) and exact window distincts (`windows`);
//! and the keys of posts' word sets that fold copies of one text (`copies`).

mod copies;
mod counts;
mod extract;
mod sums;
mod windows;
#[rustfmt::skip]
mod tables;

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use extract::{dedup_each, primary_of, Decline, FxBuild, Post, StopSet};

const KIND_WORD: u8 = 0;
const KIND_PHRASE: u8 = 1;
const KIND_HASHTAG: u8 = 2;
const KIND_DOMAIN: u8 = 3;

#[pyclass(module = "trendlake_native")]
struct Tokenizer {
    stopwords_of: Py<PyAny>,
    fallback: Py<PyAny>,
    by_primary: HashMap<String, Arc<StopSet>, FxBuild>,
    // Key: the sorted distinct primaries, each prefixed with its length.
    by_primaries: HashMap<Vec<u8>, Arc<StopSet>, FxBuild>,
    // Key: the raw language strings of a post, each prefixed with its length (bounded).
    by_langs: HashMap<Vec<u8>, Arc<StopSet>, FxBuild>,
    key: Vec<u8>,
}

// Languages are user-chosen strings: the caches are bounded (cleared when full), like the
// lru_caches of trendlake.text.
const MAX_CACHED_LANG_KEYS: usize = 4096;
const MAX_CACHED_PRIMARY_SETS: usize = 512;
const MAX_CACHED_PRIMARIES: usize = 256;

/// (pair counts, keyword offsets, keyword bytes, kinds, fallbacks) of a batch.
type Buffers<'py> = (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    usize,
);

struct Out {
    counts: Vec<u8>,
    offsets: Vec<u8>,
    data: Vec<u8>,
    kinds: Vec<u8>,
    fallbacks: usize,
}

impl Out {
    fn with_capacity(posts: usize) -> Out {
        let mut out = Out {
            counts: Vec::with_capacity(posts * 4),
            offsets: Vec::with_capacity(posts * 8 * 12 + 8),
            data: Vec::with_capacity(posts * 96),
            kinds: Vec::with_capacity(posts * 12),
            fallbacks: 0,
        };
        out.offsets.extend_from_slice(&0i64.to_le_bytes());
        out
    }

    /// A natively extracted post's pairs, each kind deduplicated in first-seen order.
    fn push_post(&mut self, post: &Post) {
        dedup_each(post, &post.tags, None, |w| self.push(w, KIND_HASHTAG));
        dedup_each(post, &post.domains, None, |w| self.push(w, KIND_DOMAIN));
        if !post.words.is_empty() {
            dedup_each(post, &post.words, Some(&post.word_hashes), |w| {
                self.push(w, KIND_WORD)
            });
            dedup_each(post, &post.phrases, None, |w| self.push(w, KIND_PHRASE));
        }
    }

    fn into_py(self, py: Python<'_>) -> Buffers<'_> {
        (
            PyBytes::new(py, &self.counts),
            PyBytes::new(py, &self.offsets),
            PyBytes::new(py, &self.data),
            PyBytes::new(py, &self.kinds),
            self.fallbacks,
        )
    }

    fn push(&mut self, word: &str, kind: u8) {
        self.data.extend_from_slice(word.as_bytes());
        self.offsets
            .extend_from_slice(&(self.data.len() as i64).to_le_bytes());
        self.kinds.push(kind);
    }
}

impl Tokenizer {
    /// The stopword set of a post whose language strings (None items skipped) are given.
    fn stopwords_of_strs(
        &mut self,
        py: Python<'_>,
        langs: &[Option<&str>],
    ) -> PyResult<Result<Arc<StopSet>, Decline>> {
        self.key.clear();
        for s in langs.iter().flatten() {
            self.key.extend_from_slice(&(s.len() as u32).to_le_bytes());
            self.key.extend_from_slice(s.as_bytes());
        }
        self.stopwords_of_key(py)
    }

    /// The stopword set for the language strings encoded in `self.key`.
    fn stopwords_of_key(&mut self, py: Python<'_>) -> PyResult<Result<Arc<StopSet>, Decline>> {
        if let Some(set) = self.by_langs.get(self.key.as_slice()) {
            return Ok(Ok(set.clone()));
        }
        let mut strs: Vec<&str> = Vec::new();
        let mut at = 0;
        while at < self.key.len() {
            let len = u32::from_le_bytes(self.key[at..at + 4].try_into().unwrap()) as usize;
            strs.push(std::str::from_utf8(&self.key[at + 4..at + 4 + len]).unwrap());
            at += 4 + len;
        }
        let mut prims: Vec<String> = Vec::with_capacity(strs.len() + 1);
        prims.push(tables::BASE_STOPWORD_LANG.to_string());
        let mut buf = String::new();
        for s in &strs {
            if primary_of(s, &mut buf).is_err() {
                return Ok(Err(Decline));
            }
            if !buf.is_empty() && !prims.contains(&buf) {
                prims.push(buf.clone());
            }
        }
        prims.sort_unstable();
        let mut key = Vec::with_capacity(16);
        for p in &prims {
            key.extend_from_slice(&(p.len() as u32).to_le_bytes());
            key.extend_from_slice(p.as_bytes());
        }
        let set = match self.by_primaries.get(key.as_slice()) {
            Some(set) => set.clone(),
            None => {
                let set = if prims.len() == 1 {
                    self.primary(py, &prims[0])?
                } else {
                    let mut union = StopSet::default();
                    for p in &prims {
                        let part = self.primary(py, p)?;
                        for w in part.iter() {
                            union.insert(w);
                        }
                    }
                    Arc::new(union)
                };
                if self.by_primaries.len() >= MAX_CACHED_PRIMARY_SETS {
                    self.by_primaries.clear();
                }
                self.by_primaries.insert(key, set.clone());
                set
            }
        };
        let key = self.key.clone();
        if self.by_langs.len() >= MAX_CACHED_LANG_KEYS {
            self.by_langs.clear();
        }
        self.by_langs.insert(key, set.clone());
        Ok(Ok(set))
    }

    fn primary(&mut self, py: Python<'_>, lang: &str) -> PyResult<Arc<StopSet>> {
        if let Some(set) = self.by_primary.get(lang) {
            return Ok(set.clone());
        }
        let words = self.stopwords_of.bind(py).call1((lang,))?;
        let mut set = StopSet::default();
        for w in words.try_iter()? {
            let w = w?;
            let s = w
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("stopwords_of must yield str"))?;
            set.insert(s.to_str()?);
        }
        let set = Arc::new(set);
        if self.by_primary.len() >= MAX_CACHED_PRIMARIES {
            self.by_primary.clear();
        }
        self.by_primary.insert(lang.to_string(), set.clone());
        Ok(set)
    }
}

#[pymethods]
impl Tokenizer {
    #[new]
    fn new(stopwords_of: Py<PyAny>, fallback: Py<PyAny>) -> Self {
        Tokenizer {
            stopwords_of,
            fallback,
            by_primary: HashMap::default(),
            by_primaries: HashMap::default(),
            by_langs: HashMap::default(),
            key: Vec::new(),
        }
    }

    /// The keywords of `n` posts read from Arrow arrays: texts a large_utf8 (offset, validity, offsets,
    /// data) tuple; langs, hashtags and links large_list<large_utf8> (offset, validity,
    /// offsets, items) tuples; `n` posts. No Python object is made per post, except for the
    /// rare post handed to the fallback.
    fn extract_arrow<'py>(
        &mut self,
        py: Python<'py>,
        n: usize,
        texts: &Bound<'py, PyTuple>,
        langs: &Bound<'py, PyTuple>,
        hashtags: &Bound<'py, PyTuple>,
        links: &Bound<'py, PyTuple>,
    ) -> PyResult<Buffers<'py>> {
        let texts = StrArray::of(texts)?;
        let (langs, hashtags, links) = (
            ListArray::of(langs)?,
            ListArray::of(hashtags)?,
            ListArray::of(links)?,
        );
        let mut out = Out::with_capacity(n);
        let mut post = Post::default();
        let (mut lang_items, mut tag_items, mut link_items) = (Vec::new(), Vec::new(), Vec::new());
        let (mut tag_strs, mut link_strs): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        for i in 0..n {
            let text = texts.get(i)?.unwrap_or("");
            langs.get(i, &mut lang_items)?;
            hashtags.get(i, &mut tag_items)?;
            links.get(i, &mut link_items)?;
            // `filter(None, ...)`: None and "" items mean nothing.
            tag_strs.clear();
            tag_strs.extend(tag_items.iter().flatten().filter(|s| !s.is_empty()));
            link_strs.clear();
            link_strs.extend(link_items.iter().flatten().filter(|s| !s.is_empty()));
            let before = out.kinds.len();
            let stop = if text.is_empty() {
                Ok(None)
            } else {
                self.stopwords_of_strs(py, &lang_items)?.map(Some)
            };
            let done =
                stop.and_then(|stop| post.extract(text, stop.as_deref(), &tag_strs, &link_strs));
            match done {
                Ok(()) => out.push_post(&post),
                Err(Decline) => {
                    out.fallbacks += 1;
                    self.fall_back(py, &mut out, text, [&lang_items, &tag_items, &link_items])?;
                }
            }
            out.counts
                .extend_from_slice(&((out.kinds.len() - before) as u32).to_le_bytes());
        }
        Ok(out.into_py(py))
    }
}

impl Tokenizer {
    /// `fallback(text, langs or (), tags or (), links or ())`, its pairs appended (a null
    /// text arrives as "", as `text or ""` makes it).
    fn fall_back(
        &self,
        py: Python<'_>,
        out: &mut Out,
        text: &str,
        [langs, tags, links]: [&Vec<Option<&str>>; 3],
    ) -> PyResult<()> {
        let pairs = self.fallback.bind(py).call1((
            PyString::new(py, text),
            py_items(py, langs)?,
            py_items(py, tags)?,
            py_items(py, links)?,
        ))?;
        for pair in pairs.try_iter()? {
            let pair = pair?;
            let (word, kind): (String, String) = pair.extract()?;
            let kind = match kind.as_str() {
                "word" => KIND_WORD,
                "phrase" => KIND_PHRASE,
                "hashtag" => KIND_HASHTAG,
                "domain" => KIND_DOMAIN,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "unknown keyword kind {other:?}"
                    )))
                }
            };
            out.push(&word, kind);
        }
        Ok(())
    }
}

/// A read-only view of a Python buffer (a pyarrow Buffer), alive while `_keep` is.
struct Bytes {
    _keep: PyBuffer<u8>,
    ptr: *const u8,
    len: usize,
}

impl Bytes {
    fn of(obj: &Bound<'_, PyAny>) -> PyResult<Option<Bytes>> {
        if obj.is_none() {
            return Ok(None);
        }
        let buf = PyBuffer::<u8>::get(obj)?;
        if !buf.is_c_contiguous() {
            return Err(PyValueError::new_err("Arrow buffers must be contiguous"));
        }
        let (ptr, len) = (buf.buf_ptr() as *const u8, buf.len_bytes());
        Ok(Some(Bytes {
            _keep: buf,
            ptr,
            len,
        }))
    }

    fn slice(&self) -> &[u8] {
        // SAFETY: the buffer is exported read-only and held by `_keep` for self's lifetime.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

fn valid_at(bitmap: Option<&[u8]>, i: usize) -> bool {
    bitmap.is_none_or(|b| b[i / 8] & (1 << (i % 8)) != 0)
}

/// Refuse more rows than the kernels' u32 row indices can number.
fn check_rows(n: usize, what: &str) -> PyResult<()> {
    if n > u32::MAX as usize {
        return Err(PyValueError::new_err(format!(
            "{what} takes at most 2^32 - 1 rows"
        )));
    }
    Ok(())
}

/// `n` little-endian int64s from Python (a buffer), checked for length.
fn int64_buffer(obj: &Bound<'_, PyAny>, n: usize, what: &str) -> PyResult<Bytes> {
    let bytes =
        Bytes::of(obj)?.ok_or_else(|| PyValueError::new_err(format!("{what}: buffer missing")))?;
    if bytes.slice().len() != n * 8 {
        return Err(PyValueError::new_err(format!(
            "{what}: expected {n} int64s"
        )));
    }
    Ok(bytes)
}

#[inline(always)]
fn int64_at(bytes: &[u8], i: usize) -> i64 {
    i64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap())
}

/// Values as little-endian bytes for Python (Arrow buffers).
fn le_bytes<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    values: &[T],
    to_bytes: fn(T) -> [u8; N],
) -> Bound<'py, PyBytes> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| to_bytes(*v)).collect();
    PyBytes::new(py, &bytes)
}

fn offset_at(offsets: &[u8], i: usize) -> PyResult<usize> {
    let bytes = offsets
        .get(i * 8..i * 8 + 8)
        .ok_or_else(|| PyValueError::new_err("Arrow offsets out of range"))?;
    Ok(i64::from_le_bytes(bytes.try_into().unwrap()) as usize)
}

/// An Arrow large_utf8 array: (offset, validity, offsets, data) from Python.
struct StrArray {
    offset: usize,
    validity: Option<Bytes>,
    offsets: Bytes,
    data: Bytes,
}

impl StrArray {
    fn of(parts: &Bound<'_, PyTuple>) -> PyResult<StrArray> {
        if parts.len() != 4 {
            return Err(PyValueError::new_err(
                "a string array is (offset, validity, offsets, data)",
            ));
        }
        let missing = || PyValueError::new_err("string array buffer missing");
        Ok(StrArray {
            offset: parts.get_item(0)?.extract()?,
            validity: Bytes::of(&parts.get_item(1)?)?,
            offsets: Bytes::of(&parts.get_item(2)?)?.ok_or_else(missing)?,
            data: Bytes::of(&parts.get_item(3)?)?.ok_or_else(missing)?,
        })
    }

    fn get(&self, i: usize) -> PyResult<Option<&str>> {
        match self.get_bytes(i)? {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| PyValueError::new_err("Arrow string data is not UTF-8")),
        }
    }

    /// String `i`'s bytes, not checked for UTF-8 (for callers that only compare them).
    fn get_bytes(&self, i: usize) -> PyResult<Option<&[u8]>> {
        let i = i + self.offset;
        if !valid_at(self.validity.as_ref().map(Bytes::slice), i) {
            return Ok(None);
        }
        let offsets = self.offsets.slice();
        let (start, end) = (offset_at(offsets, i)?, offset_at(offsets, i + 1)?);
        self.data
            .slice()
            .get(start..end)
            .map(Some)
            .ok_or_else(|| PyValueError::new_err("Arrow string data out of range"))
    }
}

/// An Arrow large_list<large_utf8> array: (offset, validity, list offsets, items).
struct ListArray {
    offset: usize,
    validity: Option<Bytes>,
    offsets: Bytes,
    items: StrArray,
}

impl ListArray {
    fn of(parts: &Bound<'_, PyTuple>) -> PyResult<ListArray> {
        if parts.len() != 4 {
            return Err(PyValueError::new_err(
                "a list array is (offset, validity, offsets, items)",
            ));
        }
        Ok(ListArray {
            offset: parts.get_item(0)?.extract()?,
            validity: Bytes::of(&parts.get_item(1)?)?,
            offsets: Bytes::of(&parts.get_item(2)?)?
                .ok_or_else(|| PyValueError::new_err("list offsets missing"))?,
            items: StrArray::of(parts.get_item(3)?.cast::<PyTuple>()?)?,
        })
    }

    /// The items of list `i` into `out` (None items kept as None); a null list is empty.
    fn get<'a>(&'a self, i: usize, out: &mut Vec<Option<&'a str>>) -> PyResult<()> {
        out.clear();
        let i = i + self.offset;
        if !valid_at(self.validity.as_ref().map(Bytes::slice), i) {
            return Ok(());
        }
        let offsets = self.offsets.slice();
        for j in offset_at(offsets, i)?..offset_at(offsets, i + 1)? {
            out.push(self.items.get(j)?);
        }
        Ok(())
    }
}

/// Python's `items or ()` for list items read from Arrow: a list, or () when empty.
fn py_items<'py>(py: Python<'py>, items: &[Option<&str>]) -> PyResult<Bound<'py, PyAny>> {
    if items.is_empty() {
        return Ok(PyTuple::empty(py).into_any());
    }
    Ok(PyList::new(py, items.iter().map(|s| s.map(|s| PyString::new(py, s))))?.into_any())
}

/// `trendlake.windows.author_key` of every string of a large_utf8 array (offset, validity,
/// offsets, data): BLAKE2b with an 8-byte digest, read little-endian as a signed integer.
/// Returns the keys as little-endian i64 bytes; a null string gets 0.
#[pyfunction]
fn author_keys<'py>(
    py: Python<'py>,
    n: usize,
    dids: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyBytes>> {
    let dids = StrArray::of(dids)?;
    let mut out = Vec::with_capacity(n * 8);
    for i in 0..n {
        let key = dids.get(i)?.map_or(0, |did| blake2_key(did.as_bytes()));
        out.extend_from_slice(&key.to_le_bytes());
    }
    Ok(PyBytes::new(py, &out))
}

/// BLAKE2b of `bytes` with an 8-byte digest, read little-endian as a signed integer: the
/// author, thread and keyword keys of `trendlake.windows`.
fn blake2_key(bytes: &[u8]) -> i64 {
    blake2_key_of([bytes])
}

/// `blake2_key` of the concatenation of `parts`, without building it.
fn blake2_key_of<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> i64 {
    use blake2::digest::{Update, VariableOutput};
    let mut digest = [0u8; 8];
    let mut hasher = blake2::Blake2bVar::new(8).expect("8 is a valid digest size");
    for part in parts {
        hasher.update(part);
    }
    hasher
        .finalize_variable(&mut digest)
        .expect("the buffer holds the digest");
    i64::from_le_bytes(digest)
}

/// The pieces of a word token of Thai, Lao, Khmer or Burmese, in order: what
/// `trendlake.text` cuts such a token into (Thai by newmm over the word list named by
/// `use_thai_words`, the others by ICU's LSTM models).
#[pyfunction]
fn word_segments(text: &str) -> Vec<String> {
    extract::word_segments(text)
}

/// Name the Thai word list `word_segments` reads on first use (a file, one word a line);
/// false when another was named before in this process.
#[pyfunction]
fn use_thai_words(path: &str) -> bool {
    extract::use_thai_words(path)
}

#[pymodule]
fn trendlake_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Tokenizer>()?;
    m.add_function(wrap_pyfunction!(author_keys, m)?)?;
    m.add_function(wrap_pyfunction!(word_segments, m)?)?;
    m.add_function(wrap_pyfunction!(use_thai_words, m)?)?;
    m.add_function(wrap_pyfunction!(sums::sum_by_key, m)?)?;
    m.add_function(wrap_pyfunction!(windows::window_distincts, m)?)?;
    m.add_function(wrap_pyfunction!(counts::minute_groups, m)?)?;
    m.add_function(wrap_pyfunction!(copies::word_set_keys, m)?)?;
    Ok(())
}
