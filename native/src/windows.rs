//! Exact distinct authors, threads and copies of sliding windows, from keyword_counts rows.
//!
//! `trendlake.windows.exact_windows` asks, for each wanted window (its last minute t and
//! keyword key), for the posts and the distinct author, thread and copy keys of the rows of its
//! keyword in (t - window, t], in its last `recent` minutes, and the distinct authors of
//! the window a minute before. Polars spreads the rows over the windows and explodes their
//! lists five times; this reads each row's lists once, from the Arrow buffers, and marks
//! every key with the measures it counts for.

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::extract::FxBuild;
use crate::{check_rows, int64_at, int64_buffer, le_bytes, offset_at, valid_at, Bytes, ListArray};

/// An Arrow large_list<int64>: (offset, validity, offsets, values offset, values).
struct Int64Lists {
    offset: usize,
    validity: Option<Bytes>,
    offsets: Bytes,
    values_offset: usize,
    values: Bytes,
}

impl Int64Lists {
    fn of(parts: &Bound<'_, PyTuple>) -> PyResult<Int64Lists> {
        if parts.len() != 5 {
            return Err(PyValueError::new_err(
                "an int64 list array is (offset, validity, offsets, values offset, values)",
            ));
        }
        let missing = || PyValueError::new_err("int64 list array buffer missing");
        Ok(Int64Lists {
            offset: parts.get_item(0)?.extract()?,
            validity: Bytes::of(&parts.get_item(1)?)?,
            offsets: Bytes::of(&parts.get_item(2)?)?.ok_or_else(missing)?,
            values_offset: parts.get_item(3)?.extract()?,
            values: Bytes::of(&parts.get_item(4)?)?.ok_or_else(missing)?,
        })
    }

    /// Row i's items as little-endian int64 bytes; None for a null list.
    fn get(&self, i: usize) -> PyResult<Option<&[u8]>> {
        let i = i + self.offset;
        if !valid_at(self.validity.as_ref().map(Bytes::slice), i) {
            return Ok(None);
        }
        let offsets = self.offsets.slice();
        let start = (offset_at(offsets, i)? + self.values_offset) * 8;
        let end = (offset_at(offsets, i + 1)? + self.values_offset) * 8;
        self.values
            .slice()
            .get(start..end)
            .map(Some)
            .ok_or_else(|| PyValueError::new_err("Arrow list values out of range"))
    }
}

const INSIDE: u8 = 1;
const RECENT: u8 = 2;
const PREVIOUS: u8 = 4;

/// Per window the measures `exact_windows` reads, and its rows inside it.
#[derive(Default)]
struct Found {
    window: Vec<u32>,
    count: Vec<i64>,
    authors: Vec<i64>,
    threads: Vec<i64>,
    threads_known: Vec<u8>,
    recent_authors: Vec<i64>,
    recent_threads: Vec<i64>,
    copies: Vec<i64>,
    copies_known: Vec<u8>,
    recent_copies: Vec<i64>,
    previous_authors: Vec<i64>,
    // The language mix: per window its top languages (codes into `languages`) with their
    // posts, and the posts of all its languages.
    mix_offsets: Vec<u32>,
    mix_codes: Vec<u32>,
    mix_posts: Vec<i64>,
    mix_total: Vec<i64>,
    languages: Vec<String>,
}

/// (buffers, languages): the wanted windows (`n_wanted` last minutes and keyword keys,
/// distinct pairs) of the rows (minute, key, posts, author key lists, thread key lists,
/// copy key lists, language lists, post count lists; minutes in µs) that have a row inside
/// them, in the order wanted: wanted index (u32), posts, distinct authors, distinct threads,
/// 1 when every row inside has its threads known (u8), recent authors, recent threads,
/// previous window's authors; then the language mix: offsets (u32, one more than windows)
/// into the top languages' codes (u32, into `languages`) and posts, and each window's posts
/// of all languages; then distinct copies, 1 when every row inside has its copies known
/// (u8), and recent copies. Int64s unless said.
///
/// The rows come in chunks (`lengths` rows each, in order): every column is a sequence of
/// its parts, one per chunk, all cut at the same rows, so a multi-chunk Polars frame is read
/// where it lies instead of being copied into one chunk first.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn window_distincts<'py>(
    py: Python<'py>,
    lengths: Vec<usize>,
    minutes: &Bound<'py, PyAny>,
    keys: &Bound<'py, PyAny>,
    posts: &Bound<'py, PyAny>,
    authors: &Bound<'py, PyAny>,
    threads: &Bound<'py, PyAny>,
    copies: &Bound<'py, PyAny>,
    langs: &Bound<'py, PyAny>,
    lang_posts: &Bound<'py, PyAny>,
    n_wanted: usize,
    wanted_minutes: &Bound<'py, PyAny>,
    wanted_keys: &Bound<'py, PyAny>,
    window: i64,
    recent: i64,
    top: usize,
) -> PyResult<(Vec<Bound<'py, PyBytes>>, Vec<String>)> {
    let n = lengths.iter().sum::<usize>();
    check_rows(n, "window_distincts")?;
    check_rows(n_wanted, "window_distincts")?;
    let (wanted_minutes, wanted_keys) = (
        int64_buffer(wanted_minutes, n_wanted, "wanted minutes")?,
        int64_buffer(wanted_keys, n_wanted, "wanted keys")?,
    );
    let chunks = |column: &Bound<'py, PyAny>, what: &str| -> PyResult<Vec<Bound<'py, PyAny>>> {
        let parts: Vec<Bound<'py, PyAny>> = column.extract()?;
        if parts.len() != lengths.len() {
            return Err(PyValueError::new_err(format!(
                "{what}: expected {} chunks, got {}",
                lengths.len(),
                parts.len()
            )));
        }
        Ok(parts)
    };
    let int64s = |column: &Bound<'py, PyAny>, what: &str| -> PyResult<Vec<Bytes>> {
        chunks(column, what)?
            .iter()
            .zip(&lengths)
            .map(|(part, &len)| int64_buffer(part, len, what))
            .collect()
    };
    let lists = |column: &Bound<'py, PyAny>, what: &str| -> PyResult<Vec<Int64Lists>> {
        chunks(column, what)?
            .iter()
            .map(|part| Int64Lists::of(part.cast::<PyTuple>()?))
            .collect()
    };
    let (minutes, keys, posts) = (
        int64s(minutes, "minutes")?,
        int64s(keys, "keys")?,
        int64s(posts, "posts")?,
    );
    let (authors, threads) = (lists(authors, "authors")?, lists(threads, "threads")?);
    let copies = lists(copies, "copies")?;
    let lang_posts = lists(lang_posts, "lang_posts")?;
    let langs = chunks(langs, "langs")?
        .iter()
        .map(|part| ListArray::of(part.cast::<PyTuple>()?))
        .collect::<PyResult<Vec<_>>>()?;
    let mut starts = Vec::with_capacity(lengths.len() + 1);
    starts.push(0);
    let mut parts = Vec::with_capacity(lengths.len());
    for (c, &len) in lengths.iter().enumerate() {
        starts.push(starts[c] + len);
        parts.push(Chunk {
            len,
            minutes: minutes[c].slice(),
            keys: keys[c].slice(),
            posts: posts[c].slice(),
            authors: &authors[c],
            threads: &threads[c],
            copies: &copies[c],
            langs: &langs[c],
            lang_posts: &lang_posts[c],
        });
    }
    let rows = Rows {
        chunks: parts,
        starts,
    };
    let wanted = Wanted {
        n: n_wanted,
        minutes: wanted_minutes.slice(),
        keys: wanted_keys.slice(),
        window,
        recent,
        top,
    };
    let found = distincts(&rows, &wanted)?;
    let i64s = |v: &[i64]| le_bytes(py, v, i64::to_le_bytes);
    let u32s = |v: &[u32]| le_bytes(py, v, u32::to_le_bytes);
    let buffers = vec![
        u32s(&found.window),
        i64s(&found.count),
        i64s(&found.authors),
        i64s(&found.threads),
        PyBytes::new(py, &found.threads_known),
        i64s(&found.recent_authors),
        i64s(&found.recent_threads),
        i64s(&found.previous_authors),
        u32s(&found.mix_offsets),
        u32s(&found.mix_codes),
        i64s(&found.mix_posts),
        i64s(&found.mix_total),
        i64s(&found.copies),
        PyBytes::new(py, &found.copies_known),
        i64s(&found.recent_copies),
    ];
    Ok((buffers, found.languages))
}

struct Wanted<'a> {
    n: usize,
    minutes: &'a [u8],
    keys: &'a [u8],
    window: i64,
    recent: i64,
    top: usize,
}

/// One chunk of the rows: `len` rows of each column.
struct Chunk<'a> {
    len: usize,
    minutes: &'a [u8],
    keys: &'a [u8],
    posts: &'a [u8],
    authors: &'a Int64Lists,
    threads: &'a Int64Lists,
    copies: &'a Int64Lists,
    langs: &'a ListArray,
    lang_posts: &'a Int64Lists,
}

/// The rows in chunks; row r is row r - starts[c] of chunk c, starts[c] <= r < starts[c + 1].
struct Rows<'a> {
    chunks: Vec<Chunk<'a>>,
    starts: Vec<usize>,
}

impl Rows<'_> {
    /// Row r's chunk and its row in it.
    #[inline]
    fn locate(&self, r: usize) -> (&Chunk<'_>, usize) {
        let c = match self.chunks.len() {
            1 => 0,
            _ => self.starts.partition_point(|&start| start <= r) - 1,
        };
        (&self.chunks[c], r - self.starts[c])
    }
}

/// The keys of one window, each with the measures it counts for: collected, then sorted
/// and merged. (A hash set reused across windows cost more: clearing one is a memset of
/// its whole capacity, which the largest window sets for all after it.)
#[derive(Default)]
struct Marks {
    items: Vec<(i64, u8)>,
}

impl Marks {
    fn clear(&mut self) {
        self.items.clear();
    }

    fn mark(&mut self, items: &[u8], flags: u8) {
        self.items.extend(
            items
                .chunks_exact(8)
                .map(|item| (i64::from_le_bytes(item.try_into().unwrap()), flags)),
        );
    }

    /// Distinct keys with each of `flags`, in order.
    fn counts<const N: usize>(&mut self, flags: [u8; N]) -> [i64; N] {
        self.items.sort_unstable_by_key(|(key, _)| *key);
        let mut counts = [0i64; N];
        let mut i = 0;
        while i < self.items.len() {
            let (key, mut merged) = self.items[i];
            i += 1;
            while i < self.items.len() && self.items[i].0 == key {
                merged |= self.items[i].1;
                i += 1;
            }
            for (count, flag) in counts.iter_mut().zip(flags) {
                *count += (merged & flag != 0) as i64;
            }
        }
        counts
    }
}

fn distincts(rows: &Rows<'_>, wanted: &Wanted<'_>) -> PyResult<Found> {
    let (window, recent) = (wanted.window, wanted.recent);
    // The wanted windows of each key, by last minute.
    let mut by_key: HashMap<i64, Vec<u32>, FxBuild> = HashMap::default();
    for w in 0..wanted.n {
        by_key
            .entry(int64_at(wanted.keys, w))
            .or_default()
            .push(w as u32);
    }
    // Each row's windows: those of its key whose last minute t has t - window <= minute <= t
    // (the window and the one a minute before it).
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for (chunk, &start) in rows.chunks.iter().zip(&rows.starts) {
        for i in 0..chunk.len {
            if let Some(windows) = by_key.get(&int64_at(chunk.keys, i)) {
                let minute = int64_at(chunk.minutes, i);
                for &w in windows {
                    let t = int64_at(wanted.minutes, w as usize);
                    if t - window <= minute && minute <= t {
                        pairs.push((w, (start + i) as u32));
                    }
                }
            }
        }
    }
    // Rows grouped by window, each window's in row order (a counting sort).
    let mut starts = vec![0usize; wanted.n + 1];
    for &(w, _) in &pairs {
        starts[w as usize + 1] += 1;
    }
    for w in 0..wanted.n {
        starts[w + 1] += starts[w];
    }
    let mut next = starts.clone();
    let mut ordered = vec![0u32; pairs.len()];
    for &(w, r) in &pairs {
        ordered[next[w as usize]] = r;
        next[w as usize] += 1;
    }
    drop(pairs);
    let mut found = Found::default();
    found.mix_offsets.push(0);
    let (mut authors, mut threads) = (Marks::default(), Marks::default());
    let mut copies = Marks::default();
    let mut mix = Mix::default();
    let mut names: Vec<Option<&str>> = Vec::new();
    for w in 0..wanted.n {
        let t = int64_at(wanted.minutes, w);
        authors.clear();
        threads.clear();
        copies.clear();
        mix.clear();
        let (mut posts, mut inside_rows) = (0i64, 0usize);
        let (mut known, mut copies_known) = (true, true);
        for &r in &ordered[starts[w]..starts[w + 1]] {
            let (row, r) = rows.locate(r as usize);
            let minute = int64_at(row.minutes, r);
            let mut flags = 0u8;
            if minute > t - window {
                flags |= INSIDE;
            }
            if minute > t - recent {
                flags |= RECENT;
            }
            if minute < t {
                flags |= PREVIOUS;
            }
            if let Some(items) = row.authors.get(r)? {
                authors.mark(items, flags);
            }
            if flags & (INSIDE | RECENT) != 0 {
                let inside = flags & (INSIDE | RECENT);
                for (lists, marks, known) in [
                    (row.threads, &mut threads, &mut known),
                    (row.copies, &mut copies, &mut copies_known),
                ] {
                    match lists.get(r)? {
                        Some(items) => marks.mark(items, inside),
                        None if flags & INSIDE != 0 => *known = false,
                        None => {}
                    }
                }
            }
            if flags & INSIDE != 0 {
                posts = posts.wrapping_add(int64_at(row.posts, r));
                inside_rows += 1;
                row.langs.get(r, &mut names)?;
                let counts = row.lang_posts.get(r)?.unwrap_or(&[]);
                if counts.len() != names.len() * 8 {
                    return Err(PyValueError::new_err(
                        "langs and lang_posts differ in length",
                    ));
                }
                for (name, count) in names.iter().zip(counts.chunks_exact(8)) {
                    let count = i64::from_le_bytes(count.try_into().unwrap());
                    mix.add(&mut found.languages, name.unwrap_or(""), count);
                }
            }
        }
        if inside_rows == 0 {
            continue; // only the minute before the window: no window to report
        }
        let [inside, recent_authors, previous] = authors.counts([INSIDE, RECENT, PREVIOUS]);
        let [inside_threads, recent_threads] = threads.counts([INSIDE, RECENT]);
        found.window.push(w as u32);
        found.count.push(posts);
        found.authors.push(inside);
        found.recent_authors.push(recent_authors);
        found.previous_authors.push(previous);
        found.threads.push(inside_threads);
        found.recent_threads.push(recent_threads);
        found.threads_known.push(known as u8);
        let [inside_copies, recent_copies] = copies.counts([INSIDE, RECENT]);
        found.copies.push(inside_copies);
        found.recent_copies.push(recent_copies);
        found.copies_known.push(copies_known as u8);
        found.mix_total.push(mix.total());
        for (code, count) in mix.top(&found.languages, wanted.top) {
            found.mix_codes.push(code);
            found.mix_posts.push(count);
        }
        found.mix_offsets.push(found.mix_codes.len() as u32);
    }
    Ok(found)
}

/// One window's posts per language, languages interned as codes into a list of names.
#[derive(Default)]
struct Mix {
    codes: HashMap<String, u32, FxBuild>,
    counts: Vec<(u32, i64)>,
}

impl Mix {
    fn clear(&mut self) {
        self.counts.clear();
    }

    fn add(&mut self, languages: &mut Vec<String>, name: &str, count: i64) {
        let code = match self.codes.get(name) {
            Some(code) => *code,
            None => {
                let code = languages.len() as u32;
                languages.push(name.to_string());
                self.codes.insert(name.to_string(), code);
                code
            }
        };
        match self.counts.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += count,
            None => self.counts.push((code, count)),
        }
    }

    fn total(&self) -> i64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    /// The `top` languages by posts, ties broken by name (as `_language_mix` sorts them).
    fn top(&mut self, languages: &[String], top: usize) -> Vec<(u32, i64)> {
        self.counts.sort_by(|(a, na), (b, nb)| {
            nb.cmp(na)
                .then_with(|| languages[*a as usize].cmp(&languages[*b as usize]))
        });
        self.counts.iter().take(top).copied().collect()
    }
}
