//! `trendlake_native`: a compiled `trendlake.text.extract_keywords` for whole batches.
//!
//! `Tokenizer(stopwords_of, fallback).extract_batch(texts, langs, hashtags, links)` returns
//! Arrow-ready buffers: per-post pair counts (u32 LE), large_utf8 offsets (i64 LE), the
//! UTF-8 keyword bytes, one kind byte per pair (0 word, 1 phrase, 2 hashtag, 3 domain) and
//! the number of posts handed to `fallback` (the Python implementation) because this code
//! declined them (see `extract::Decline`).

mod extract;
#[rustfmt::skip]
mod tables;

use std::collections::HashMap;
use std::sync::Arc;

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

struct Out {
    counts: Vec<u8>,
    offsets: Vec<u8>,
    data: Vec<u8>,
    kinds: Vec<u8>,
    fallbacks: usize,
}

impl Out {
    fn push(&mut self, word: &str, kind: u8) {
        self.data.extend_from_slice(word.as_bytes());
        self.offsets
            .extend_from_slice(&(self.data.len() as i64).to_le_bytes());
        self.kinds.push(kind);
    }
}

/// Items of a list or tuple (None is empty); anything else is declined.
fn items<'py>(obj: &Bound<'py, PyAny>) -> Result<Vec<Bound<'py, PyAny>>, Decline> {
    if obj.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return Ok(list.iter().collect());
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return Ok(tuple.iter().collect());
    }
    Err(Decline)
}

fn as_str<'a>(obj: &'a Bound<'_, PyAny>) -> Result<&'a str, Decline> {
    // Fails on lone surrogates, which UTF-8 cannot hold: Python takes those.
    obj.cast::<PyString>()
        .map_err(|_| Decline)?
        .to_str()
        .map_err(|_| Decline)
}

/// Truthy str items (`filter(None, ...)`); None and "" are skipped, anything else declined.
fn facet_strs<'a>(items: &'a [Bound<'_, PyAny>]) -> Result<Vec<&'a str>, Decline> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if item.is_none() {
            continue;
        }
        let s = as_str(item)?;
        if !s.is_empty() {
            out.push(s);
        }
    }
    Ok(out)
}

impl Tokenizer {
    /// The stopword set of a post's `langs` (list, tuple or None), as `stopwords_for`.
    fn stopwords(
        &mut self,
        py: Python<'_>,
        langs: &Bound<'_, PyAny>,
    ) -> PyResult<Result<Arc<StopSet>, Decline>> {
        // Key: the str items, each prefixed with its length; non-str items are skipped, as
        // `isinstance(lang, str)` does.
        self.key.clear();
        fn add(key: &mut Vec<u8>, item: &Bound<'_, PyAny>) -> Result<(), Decline> {
            if let Ok(s) = item.cast::<PyString>() {
                let s = s.to_str().map_err(|_| Decline)?;
                key.extend_from_slice(&(s.len() as u32).to_le_bytes());
                key.extend_from_slice(s.as_bytes());
            }
            Ok(())
        }
        let mut res = Ok(());
        if langs.is_none() {
        } else if let Ok(list) = langs.cast::<PyList>() {
            for item in list.iter() {
                res = res.and_then(|_| add(&mut self.key, &item));
            }
        } else if let Ok(tuple) = langs.cast::<PyTuple>() {
            for item in tuple.iter() {
                res = res.and_then(|_| add(&mut self.key, &item));
            }
        } else {
            res = Err(Decline);
        }
        if let Err(d) = res {
            return Ok(Err(d));
        }
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

    /// One post natively; Ok(Err(Decline)) when Python must take it.
    fn one(
        &mut self,
        py: Python<'_>,
        post: &mut Post,
        text: &Bound<'_, PyAny>,
        langs: &Bound<'_, PyAny>,
        tags: &Bound<'_, PyAny>,
        links: &Bound<'_, PyAny>,
    ) -> PyResult<Result<(), Decline>> {
        let text = if text.is_none() {
            ""
        } else {
            match as_str(text) {
                Ok(s) => s,
                Err(d) => return Ok(Err(d)),
            }
        };
        let (tag_items, link_items) = match (items(tags), items(links)) {
            (Ok(t), Ok(l)) => (t, l),
            _ => return Ok(Err(Decline)),
        };
        let (tags, links) = match (facet_strs(&tag_items), facet_strs(&link_items)) {
            (Ok(t), Ok(l)) => (t, l),
            _ => return Ok(Err(Decline)),
        };
        let stop = if text.is_empty() {
            None
        } else {
            match self.stopwords(py, langs)? {
                Ok(set) => Some(set),
                Err(d) => return Ok(Err(d)),
            }
        };
        Ok(post.extract(text, stop.as_deref(), &tags, &links))
    }
}

/// Item `i` of a list, borrowed (no reference count traffic); `i` must be in range.
fn get<'a, 'py>(seq: &'a Bound<'py, PyList>, i: usize) -> Borrowed<'a, 'py, PyAny> {
    debug_assert!(i < seq.len());
    // SAFETY: `i < len`, so PyList_GetItem returns a borrowed, non-null reference, which the
    // list keeps alive while `seq` is borrowed (no Python code runs in between that could
    // change the list: only `stopwords_of` and `fallback`, which are given other objects).
    unsafe {
        Borrowed::from_ptr(
            seq.py(),
            pyo3::ffi::PyList_GetItem(seq.as_ptr(), i as pyo3::ffi::Py_ssize_t),
        )
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

    /// (counts, offsets, data, kinds, fallbacks) for equal-length lists of posts.
    #[allow(clippy::type_complexity)]
    fn extract_batch<'py>(
        &mut self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        langs: &Bound<'py, PyAny>,
        hashtags: &Bound<'py, PyAny>,
        links: &Bound<'py, PyAny>,
    ) -> PyResult<(
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        usize,
    )> {
        let as_list = |o: &Bound<'py, PyAny>| -> PyResult<Bound<'py, PyList>> {
            match o.cast::<PyList>() {
                Ok(l) => Ok(l.clone()),
                Err(_) => Ok(PyList::new(
                    py,
                    o.try_iter()?.collect::<PyResult<Vec<_>>>()?,
                )?),
            }
        };
        let (texts, langs, hashtags, links) = (
            as_list(texts)?,
            as_list(langs)?,
            as_list(hashtags)?,
            as_list(links)?,
        );
        let n = texts.len();
        if langs.len() != n || hashtags.len() != n || links.len() != n {
            return Err(PyValueError::new_err(
                "texts, langs, hashtags and links differ in length",
            ));
        }
        let mut out = Out {
            counts: Vec::with_capacity(n * 4),
            offsets: Vec::with_capacity(n * 8 * 12 + 8),
            data: Vec::with_capacity(n * 96),
            kinds: Vec::with_capacity(n * 12),
            fallbacks: 0,
        };
        out.offsets.extend_from_slice(&0i64.to_le_bytes());
        let mut post = Post::default();
        for i in 0..n {
            let (t, l, h, k) = (
                get(&texts, i),
                get(&langs, i),
                get(&hashtags, i),
                get(&links, i),
            );
            let before = out.kinds.len();
            match self.one(py, &mut post, &t, &l, &h, &k)? {
                Ok(()) => {
                    dedup_each(&post, &post.tags, None, |w| out.push(w, KIND_HASHTAG));
                    dedup_each(&post, &post.domains, None, |w| out.push(w, KIND_DOMAIN));
                    if !post.words.is_empty() {
                        dedup_each(&post, &post.words, Some(&post.word_hashes), |w| {
                            out.push(w, KIND_WORD)
                        });
                        dedup_each(&post, &post.phrases, None, |w| out.push(w, KIND_PHRASE));
                    }
                }
                Err(Decline) => {
                    out.fallbacks += 1;
                    let (t, l, h, k) = (t.to_owned(), l.to_owned(), h.to_owned(), k.to_owned());
                    self.fall_back(py, &mut out, &t, &l, &h, &k)?;
                }
            }
            out.counts
                .extend_from_slice(&((out.kinds.len() - before) as u32).to_le_bytes());
        }
        Ok((
            PyBytes::new(py, &out.counts),
            PyBytes::new(py, &out.offsets),
            PyBytes::new(py, &out.data),
            PyBytes::new(py, &out.kinds),
            out.fallbacks,
        ))
    }
}

impl Tokenizer {
    /// `fallback(text or "", langs or (), tags or (), links or ())`, pairs appended.
    fn fall_back(
        &self,
        py: Python<'_>,
        out: &mut Out,
        t: &Bound<'_, PyAny>,
        l: &Bound<'_, PyAny>,
        h: &Bound<'_, PyAny>,
        k: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let empty = PyTuple::empty(py).into_any();
        let or = |o: &Bound<'_, PyAny>, d: &Bound<'_, PyAny>| -> PyResult<Py<PyAny>> {
            Ok(if o.is_truthy()? {
                o.clone().unbind()
            } else {
                d.clone().unbind()
            })
        };
        let text = or(t, PyString::new(py, "").as_any())?;
        let pairs =
            self.fallback
                .bind(py)
                .call1((text, or(l, &empty)?, or(h, &empty)?, or(k, &empty)?))?;
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

#[pymodule]
fn trendlake_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Tokenizer>()?;
    Ok(())
}
