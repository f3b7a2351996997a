//! The seeded mutation of a file's (or an argument's) bytes shared by the hostile-input tests
//! (`hostile.rs`) and the mutation tests (`mutated.rs`): one edit drawn by a proptest strategy
//! (bytes deleted, inserted, replaced; lines duplicated, deleted, swapped), and its application.

use proptest::prelude::*;

/// One edit of a file's (or an argument's) bytes.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Delete `len` bytes at a fraction of the length.
    Delete(f64, usize),
    /// Insert a token at a fraction of the length.
    Insert(f64, &'static str),
    /// Replace one byte.
    Byte(f64, u8),
    /// Duplicate the line at a fraction of the line count.
    DuplicateLine(f64),
    /// Delete the line at a fraction of the line count.
    DeleteLine(f64),
    /// Swap two lines.
    SwapLines(f64, f64),
}

/// The strategy of one edit: a deletion of 1 to `max_delete - 1` bytes, an insertion of one of
/// `tokens`, a byte replaced, or a line duplicated, deleted or swapped.
pub fn mutation(tokens: &'static [&'static str], max_delete: usize) -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), 1..max_delete).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (at.clone(), prop::sample::select(tokens)).prop_map(|(a, t)| Mutation::Insert(a, t)),
        (at.clone(), any::<u8>()).prop_map(|(a, b)| Mutation::Byte(a, b)),
        at.clone().prop_map(Mutation::DuplicateLine),
        at.clone().prop_map(Mutation::DeleteLine),
        (at.clone(), at).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

/// Apply one edit to `bytes` (positions are fractions of the length or of the line count,
/// clamped to the last byte or line).
pub fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let index = |f: f64, len: usize| ((f * len as f64) as usize).min(len.saturating_sub(1));
    let lines = |b: &[u8]| -> Vec<Vec<u8>> { b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect() };
    match *m {
        Mutation::Delete(a, n) => {
            let i = index(a, bytes.len());
            let j = (i + n).min(bytes.len());
            bytes.drain(i..j);
        }
        Mutation::Insert(a, t) => {
            let i = index(a, bytes.len() + 1);
            bytes.splice(i..i, t.bytes());
        }
        Mutation::Byte(a, b) => {
            let i = index(a, bytes.len());
            if let Some(x) = bytes.get_mut(i) {
                *x = b;
            }
        }
        Mutation::DuplicateLine(a) => {
            let mut l = lines(bytes);
            let i = index(a, l.len());
            let copy = l[i].clone();
            l.insert(i, copy);
            *bytes = l.join(&b'\n');
        }
        Mutation::DeleteLine(a) => {
            let mut l = lines(bytes);
            let i = index(a, l.len());
            l.remove(i);
            *bytes = l.join(&b'\n');
        }
        Mutation::SwapLines(a, b) => {
            let mut l = lines(bytes);
            let (i, j) = (index(a, l.len()), index(b, l.len()));
            l.swap(i, j);
            *bytes = l.join(&b'\n');
        }
    }
}
