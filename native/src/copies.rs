//! Keys of posts' word sets, so that copies of one text count as one thread.
//!
//! This is `trendlake.windows.copy_keys`, whose Python fallback gives the same keys: a
//! post with at least `min_words` distinct words gets BLAKE2b of "copy" followed by each of
//! its distinct words, sorted, after a unit separator; a shorter post gets 0 (no key).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::{blake2_key_of, check_rows, Bytes, StrArray};

/// Per post of `n` (its pair count in `counts`, u32 LE), the key of its word set, as
/// little-endian int64s; `keywords` is the large_utf8 array of every post's pairs one after
/// the other and `is_word` one byte per pair, 1 for a word.
#[pyfunction]
pub fn word_set_keys<'py>(
    py: Python<'py>,
    n: usize,
    counts: &Bound<'py, PyAny>,
    keywords: &Bound<'py, PyTuple>,
    is_word: &Bound<'py, PyAny>,
    min_words: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    check_rows(n, "word_set_keys")?;
    let missing = || PyValueError::new_err("word_set_keys: buffer missing");
    let counts = Bytes::of(counts)?.ok_or_else(missing)?;
    let is_word = Bytes::of(is_word)?.ok_or_else(missing)?;
    let (counts, is_word) = (counts.slice(), is_word.slice());
    if counts.len() != n * 4 {
        return Err(PyValueError::new_err(format!(
            "word_set_keys: expected {n} pair counts"
        )));
    }
    let keywords = StrArray::of(keywords)?;
    let mut out = Vec::with_capacity(n * 8);
    let mut words: Vec<&[u8]> = Vec::new();
    let mut pair = 0usize;
    for i in 0..n {
        let count = u32::from_le_bytes(counts[i * 4..i * 4 + 4].try_into().unwrap()) as usize;
        let end = pair + count;
        if end > is_word.len() {
            return Err(PyValueError::new_err(
                "word_set_keys: more pairs counted than given",
            ));
        }
        words.clear();
        for (j, &flag) in is_word[pair..end].iter().enumerate() {
            if flag == 1 {
                words.push(keywords.get_bytes(pair + j)?.unwrap_or_default());
            }
        }
        pair = end;
        // Byte order of UTF-8 is code point order: Python's `sorted` of the same strings.
        words.sort_unstable();
        words.dedup();
        let key = if words.len() >= min_words.max(1) {
            set_key(&words)
        } else {
            0
        };
        out.extend_from_slice(&key.to_le_bytes());
    }
    if pair != is_word.len() {
        return Err(PyValueError::new_err(
            "word_set_keys: fewer pairs counted than given",
        ));
    }
    Ok(PyBytes::new(py, &out))
}

/// `blake2_key` of "copy" and each word after a 0x1f byte.
fn set_key(words: &[&[u8]]) -> i64 {
    let separated = words.iter().flat_map(|word| [&b"\x1f"[..], word]);
    blake2_key_of(std::iter::once(&b"copy"[..]).chain(separated))
}
