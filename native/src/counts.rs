//! A minute's keyword counts from its keyword occurrences, in one pass.
//!
//! `trendlake.windows.minute_counts` groups the occurrences (minute, keyword, kind, author
//! key, thread key, copy key, language) of a step's posts by (minute, keyword, kind): posts,
//! the sorted distinct author, thread and copy keys, the language mix, and the keyword's
//! key. Polars
//! builds the two sorted key lists and the mix in three group-bys over about a million
//! occurrences a minute at 250,000 posts a minute; this groups once, then sorts each
//! group's keys in place.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::extract::{hash_bytes, FxBuild};
use crate::{blake2_key, check_rows, int64_at, int64_buffer, le_bytes, StrArray};

/// A group's identity, hashed once from its keyword's bytes.
#[derive(Clone, Copy)]
struct GroupKey<'a> {
    hash: u64,
    minute: i64,
    kind: u32,
    keyword: &'a [u8],
}

impl Hash for GroupKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for GroupKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.minute == other.minute && self.kind == other.kind && self.keyword == other.keyword
    }
}

impl Eq for GroupKey<'_> {}

/// Names interned as codes, first seen first: a handful (kinds, languages), found by a
/// linear search after the last one asked for (consecutive occurrences come from the same
/// post, so mostly share it).
#[derive(Default)]
struct Names<'a> {
    names: Vec<&'a [u8]>,
    last: Option<(&'a [u8], u32)>,
}

impl<'a> Names<'a> {
    fn code(&mut self, name: &'a [u8]) -> u32 {
        if let Some((last, code)) = self.last {
            if last == name {
                return code;
            }
        }
        let code = match self.names.iter().position(|known| *known == name) {
            Some(code) => code as u32,
            None => {
                self.names.push(name);
                (self.names.len() - 1) as u32
            }
        };
        self.last = Some((name, code));
        code
    }

    fn strings(&self) -> PyResult<Vec<String>> {
        self.names
            .iter()
            .map(|name| {
                String::from_utf8(name.to_vec())
                    .map_err(|_| PyValueError::new_err("Arrow string data is not UTF-8"))
            })
            .collect()
    }
}

/// Which of a member's keys a list holds.
type KeyOf = fn(&Member) -> i64;

/// One occurrence's keys and language code, moved next to its group's.
#[derive(Clone, Copy, Default)]
struct Member {
    author: i64,
    thread: i64,
    copy: i64,
    lang: u32,
}

#[derive(Default)]
struct Out {
    minutes: Vec<i64>,
    kinds: Vec<u32>,
    keyword_offsets: Vec<i64>,
    keyword_data: Vec<u8>,
    posts: Vec<i64>,
    author_offsets: Vec<i64>,
    author_keys: Vec<i64>,
    thread_offsets: Vec<i64>,
    thread_keys: Vec<i64>,
    copy_offsets: Vec<i64>,
    copy_keys: Vec<i64>,
    lang_offsets: Vec<i64>,
    langs: Vec<u32>,
    lang_posts: Vec<i64>,
    keys: Vec<i64>,
}

fn text<'a>(array: &'a StrArray, i: usize, what: &str) -> PyResult<&'a [u8]> {
    array
        .get_bytes(i)?
        .ok_or_else(|| PyValueError::new_err(format!("minute_groups: null {what}")))
}

/// (buffers, kind names, language names).
type Groups<'py> = (Vec<Bound<'py, PyBytes>>, Vec<String>, Vec<String>);

/// (buffers, kind names, language names): per (minute, keyword, kind) group of the `n`
/// occurrences (minutes in µs, keywords, kinds, author keys, thread keys, copy keys,
/// languages), ordered by minute, kind and keyword: minute, kind code (u32), keyword
/// offsets (one more than groups) and bytes, posts, author key offsets and sorted distinct
/// keys, the same for thread keys, language offsets, codes (u32) and posts (most posts
/// first, ties by name), the keyword's key (BLAKE2b of kind:keyword), and copy key offsets
/// and sorted distinct keys. Int64s unless said.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn minute_groups<'py>(
    py: Python<'py>,
    n: usize,
    minutes: &Bound<'py, PyAny>,
    keywords: &Bound<'py, PyTuple>,
    kinds: &Bound<'py, PyTuple>,
    authors: &Bound<'py, PyAny>,
    threads: &Bound<'py, PyAny>,
    copies: &Bound<'py, PyAny>,
    langs: &Bound<'py, PyTuple>,
) -> PyResult<Groups<'py>> {
    check_rows(n, "minute_groups")?;
    let minutes = int64_buffer(minutes, n, "minutes")?;
    let (authors, threads, copies) = (
        int64_buffer(authors, n, "authors")?,
        int64_buffer(threads, n, "threads")?,
        int64_buffer(copies, n, "copies")?,
    );
    let (keywords, kinds, langs) = (
        StrArray::of(keywords)?,
        StrArray::of(kinds)?,
        StrArray::of(langs)?,
    );
    let (minutes, authors, threads, copies) = (
        minutes.slice(),
        authors.slice(),
        threads.slice(),
        copies.slice(),
    );
    let mut kind_names = Names::default();
    let mut lang_names = Names::default();
    // Pass 1: each occurrence's group and language.
    let mut index: HashMap<GroupKey<'_>, u32, FxBuild> =
        HashMap::with_capacity_and_hasher(n / 4 + 16, FxBuild::default());
    let mut groups: Vec<GroupKey<'_>> = Vec::new();
    let mut group_of = Vec::with_capacity(n);
    let mut lang_of = Vec::with_capacity(n);
    for i in 0..n {
        let keyword = text(&keywords, i, "keyword")?;
        let minute = int64_at(minutes, i);
        let kind = kind_names.code(text(&kinds, i, "kind")?);
        let hash = hash_bytes(keyword)
            ^ (minute as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (kind as u64).rotate_left(32);
        let key = GroupKey {
            hash,
            minute,
            kind,
            keyword,
        };
        let group = *index.entry(key).or_insert_with(|| {
            groups.push(key);
            (groups.len() - 1) as u32
        });
        group_of.push(group);
        lang_of.push(lang_names.code(text(&langs, i, "lang")?));
    }
    drop(index);
    // Out in the order minute_counts returns: by minute, kind and keyword (as UTF-8 bytes
    // sort, so as strings do), which spares a sort of the lists afterwards. Each group's
    // sort key starts with its keyword's first 8 bytes, so most comparisons never reach
    // the keyword bytes themselves (scattered through memory).
    let mut kind_rank = vec![0u32; kind_names.names.len()];
    let mut by_name: Vec<usize> = (0..kind_names.names.len()).collect();
    by_name.sort_by_key(|&k| kind_names.names[k]);
    for (rank, &k) in by_name.iter().enumerate() {
        kind_rank[k] = rank as u32;
    }
    let prefix = |keyword: &[u8]| {
        let mut head = [0u8; 8];
        let n = keyword.len().min(8);
        head[..n].copy_from_slice(&keyword[..n]);
        u64::from_be_bytes(head)
    };
    let mut sort_keys: Vec<(i64, u32, u64, u32)> = groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let rank = kind_rank[group.kind as usize];
            (group.minute, rank, prefix(group.keyword), g as u32)
        })
        .collect();
    sort_keys.sort_unstable_by(|a, b| {
        (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)).then_with(|| {
            groups[a.3 as usize]
                .keyword
                .cmp(groups[b.3 as usize].keyword)
        })
    });
    let sorted: Vec<u32> = sort_keys.iter().map(|key| key.3).collect();
    drop(sort_keys);
    let mut rank = vec![0u32; groups.len()];
    for (r, &g) in sorted.iter().enumerate() {
        rank[g as usize] = r as u32;
    }
    // Pass 2: each occurrence's author, thread, copy and language moved next to those of its
    // group (a counting sort by the group's rank), so the groups are read in order.
    let mut starts = vec![0usize; groups.len() + 1];
    for &g in &group_of {
        starts[rank[g as usize] as usize + 1] += 1;
    }
    for r in 0..groups.len() {
        starts[r + 1] += starts[r];
    }
    let mut next = starts.clone();
    let mut members_of = vec![Member::default(); n];
    for (i, &g) in group_of.iter().enumerate() {
        let r = rank[g as usize] as usize;
        members_of[next[r]] = Member {
            author: int64_at(authors, i),
            thread: int64_at(threads, i),
            copy: int64_at(copies, i),
            lang: lang_of[i],
        };
        next[r] += 1;
    }
    let mut out = Out::default();
    for offsets in [
        &mut out.keyword_offsets,
        &mut out.author_offsets,
        &mut out.thread_offsets,
        &mut out.copy_offsets,
        &mut out.lang_offsets,
    ] {
        offsets.push(0);
    }
    let mut scratch: Vec<i64> = Vec::new();
    let mut mix: Vec<(u32, i64)> = Vec::new();
    let mut name = Vec::new();
    for (r, &g) in sorted.iter().enumerate() {
        let group = &groups[g as usize];
        let members = &members_of[starts[r]..starts[r + 1]];
        out.minutes.push(group.minute);
        out.kinds.push(group.kind);
        out.keyword_data.extend_from_slice(group.keyword);
        out.keyword_offsets.push(out.keyword_data.len() as i64);
        out.posts.push(members.len() as i64);
        let lists: [(_, _, KeyOf); 3] = [
            (&mut out.author_offsets, &mut out.author_keys, |m| m.author),
            (&mut out.thread_offsets, &mut out.thread_keys, |m| m.thread),
            (&mut out.copy_offsets, &mut out.copy_keys, |m| m.copy),
        ];
        for (offsets, values, key) in lists {
            scratch.clear();
            scratch.extend(members.iter().map(key));
            scratch.sort_unstable();
            scratch.dedup();
            values.extend_from_slice(&scratch);
            offsets.push(values.len() as i64);
        }
        mix.clear();
        for &Member { lang: code, .. } in members {
            match mix.iter_mut().find(|(c, _)| *c == code) {
                Some((_, count)) => *count += 1,
                None => mix.push((code, 1)),
            }
        }
        let languages = &lang_names.names; // compared as bytes: as UTF-8 strings sort
        mix.sort_by(|(a, na), (b, nb)| {
            nb.cmp(na)
                .then_with(|| languages[*a as usize].cmp(languages[*b as usize]))
        });
        out.langs.extend(mix.iter().map(|(code, _)| *code));
        out.lang_posts.extend(mix.iter().map(|(_, count)| *count));
        out.lang_offsets.push(out.langs.len() as i64);
        name.clear();
        name.extend_from_slice(kind_names.names[group.kind as usize]);
        name.push(b':');
        name.extend_from_slice(group.keyword);
        out.keys.push(blake2_key(&name));
    }
    let i64s = |v: &[i64]| le_bytes(py, v, i64::to_le_bytes);
    let u32s = |v: &[u32]| le_bytes(py, v, u32::to_le_bytes);
    let buffers = vec![
        i64s(&out.minutes),
        u32s(&out.kinds),
        i64s(&out.keyword_offsets),
        PyBytes::new(py, &out.keyword_data),
        i64s(&out.posts),
        i64s(&out.author_offsets),
        i64s(&out.author_keys),
        i64s(&out.thread_offsets),
        i64s(&out.thread_keys),
        i64s(&out.lang_offsets),
        u32s(&out.langs),
        i64s(&out.lang_posts),
        i64s(&out.keys),
        i64s(&out.copy_offsets),
        i64s(&out.copy_keys),
    ];
    Ok((buffers, kind_names.strings()?, lang_names.strings()?))
}
