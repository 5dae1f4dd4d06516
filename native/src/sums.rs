//! Sums of Int64 columns per Int64 key, in one pass over a hash map.
//!
//! The windows and baselines group millions of rows a minute at high volume by 64-bit
//! keyword keys (BLAKE2b, so evenly spread), and most keys are seen once or twice: a
//! general hash group-by spends most of its time on that. This is
//! `trendlake.keysums.sum_by_key`, whose Polars fallback gives the same rows.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::extract::FxBuild;
use crate::{check_rows, int64_at, int64_buffer, le_bytes, Bytes};

/// (distinct keys, the row each was first seen at, per value column its sums).
type Sums<'py> = (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Vec<Bound<'py, PyBytes>>,
);

/// Per distinct key of `keys` (n little-endian int64s), in first-seen order: the key (int64),
/// the index of its first row (uint32) and, per buffer of `values` (n int64s each), the sum
/// of its rows (wrapping on overflow, as Polars sums Int64).
#[pyfunction]
pub fn sum_by_key<'py>(
    py: Python<'py>,
    n: usize,
    keys: &Bound<'py, PyAny>,
    values: &Bound<'py, PyTuple>,
) -> PyResult<Sums<'py>> {
    check_rows(n, "sum_by_key")?;
    let keys = int64_buffer(keys, n, "sum_by_key keys")?;
    let columns = values
        .iter()
        .map(|v| int64_buffer(&v, n, "sum_by_key values"))
        .collect::<PyResult<Vec<Bytes>>>()?;
    let columns: Vec<&[u8]> = columns.iter().map(Bytes::slice).collect();
    let (distinct, first, sums) = group(n, keys.slice(), &columns);
    Ok((
        le_bytes(py, &distinct, i64::to_le_bytes),
        le_bytes(py, &first, u32::to_le_bytes),
        sums.iter()
            .map(|s| le_bytes(py, s, i64::to_le_bytes))
            .collect(),
    ))
}

thread_local! {
    // Kept between calls: allocated afresh, the 76 MB of 2.4 million scattered rows cost
    // more in page faults than the scatter itself.
    static SCRATCH: RefCell<Vec<i64>> = const { RefCell::new(Vec::new()) };
    static ROW_GROUPS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// Rows per partition aimed at: a partition's hash map then stays in the CPU caches.
const ROWS_PER_PARTITION: usize = 4096;

fn group(n: usize, keys: &[u8], columns: &[&[u8]]) -> (Vec<i64>, Vec<u32>, Vec<Vec<i64>>) {
    // One hash map over a million keys misses the caches on nearly every row (70 ns a row
    // at 2.4 million rows). So the rows are first scattered by the top bits of their key's
    // hash into partitions small enough for the caches, each grouped on its own, and the
    // groups put back in the order their keys first occur.
    let bits = (n / ROWS_PER_PARTITION)
        .max(1)
        .next_power_of_two()
        .trailing_zeros()
        .min(12);
    let partition = |key: i64| -> usize {
        if bits == 0 {
            0
        } else {
            ((key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
        }
    };
    let parts = 1usize << bits;
    let mut starts = vec![0usize; parts + 1];
    for i in 0..n {
        starts[partition(int64_at(keys, i)) + 1] += 1;
    }
    for p in 0..parts {
        starts[p + 1] += starts[p];
    }
    // Each row's key, row index and values, side by side in its partition.
    let width = columns.len();
    let stride = 2 + width;
    let mut rows = SCRATCH.with(|scratch| std::mem::take(&mut *scratch.borrow_mut()));
    rows.clear();
    rows.resize(n * stride, 0);
    let mut next = starts.clone();
    for i in 0..n {
        let key = int64_at(keys, i);
        let p = partition(key);
        let slot = &mut rows[next[p] * stride..(next[p] + 1) * stride];
        next[p] += 1;
        slot[0] = key;
        slot[1] = i as i64;
        for (value, column) in slot[2..].iter_mut().zip(columns) {
            *value = int64_at(column, i);
        }
    }
    // Per partition: its groups as (first row, key, sums...), rows in ascending order.
    let mut groups: Vec<i64> = Vec::new();
    let mut index: HashMap<i64, usize, FxBuild> = HashMap::default();
    for p in 0..parts {
        index.clear();
        for slot in rows[starts[p] * stride..starts[p + 1] * stride].chunks_exact(stride) {
            let at = match index.entry(slot[0]) {
                Entry::Occupied(entry) => *entry.get(),
                Entry::Vacant(entry) => {
                    let at = groups.len();
                    entry.insert(at);
                    groups.extend_from_slice(&[slot[1], slot[0]]);
                    groups.resize(at + stride, 0);
                    at
                }
            };
            for (sum, value) in groups[at + 2..at + stride].iter_mut().zip(&slot[2..]) {
                *sum = sum.wrapping_add(*value);
            }
        }
    }
    // Back in first-occurrence order: each group is found at its first row.
    let count = groups.len() / stride;
    let mut at_row = ROW_GROUPS.with(|scratch| std::mem::take(&mut *scratch.borrow_mut()));
    at_row.clear();
    at_row.resize(n, u32::MAX);
    for g in 0..count {
        at_row[groups[g * stride] as usize] = g as u32;
    }
    let mut distinct = Vec::with_capacity(count);
    let mut first = Vec::with_capacity(count);
    let mut sums: Vec<Vec<i64>> = vec![Vec::with_capacity(count); width];
    for (row, &g) in at_row.iter().enumerate() {
        if g != u32::MAX {
            let group = &groups[g as usize * stride..(g as usize + 1) * stride];
            first.push(row as u32);
            distinct.push(group[1]);
            for (column, sum) in sums.iter_mut().zip(&group[2..]) {
                column.push(*sum);
            }
        }
    }
    SCRATCH.with(|scratch| *scratch.borrow_mut() = rows);
    ROW_GROUPS.with(|scratch| *scratch.borrow_mut() = at_row);
    (distinct, first, sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(values: &[i64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn sums_follow_the_first_seen_order_of_the_keys() {
        let keys = bytes(&[7, -3, 7, 9, -3, 7]);
        let ones = bytes(&[1, 1, 1, 1, 1, 1]);
        let amounts = bytes(&[10, 20, 30, 40, 50, i64::MAX]);
        let (distinct, first, sums) = group(6, &keys, &[&ones, &amounts]);
        assert_eq!(distinct, vec![7, -3, 9]);
        assert_eq!(first, vec![0, 1, 3]);
        assert_eq!(sums[0], vec![3, 2, 1]);
        assert_eq!(sums[1], vec![40i64.wrapping_add(i64::MAX), 70, 40]);
    }

    #[test]
    fn many_partitions_give_the_sums_of_one() {
        // 50,000 rows make 16 partitions; keys repeat across the whole range.
        let n = 50_000;
        let keys: Vec<i64> = (0..n)
            .map(|i| ((i * 7919) % 12_345) as i64 * 1_000_003)
            .collect();
        let values: Vec<i64> = (0..n).map(|i| i as i64).collect();
        let (distinct, first, sums) = group(n, &bytes(&keys), &[&bytes(&values)]);
        assert_eq!(distinct.len(), 12_345);
        let mut expected: HashMap<i64, (usize, i64)> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            let entry = expected.entry(*k).or_insert((i, 0));
            entry.1 += values[i];
        }
        assert!(first.windows(2).all(|w| w[0] < w[1]));
        for ((key, row), sum) in distinct.iter().zip(&first).zip(&sums[0]) {
            assert_eq!(expected[key], (*row as usize, *sum));
        }
    }
}
