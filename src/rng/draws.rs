//! The fixed monthly draw schedule that makes common random numbers work.
//!
//! Run *r* draws only from `ChaCha8Rng::seed_from_u64(seed)` with `set_stream(r)`. Every month
//! it draws the same number of 64-bit words, whatever happens in the run, and splits each word
//! into two 32-bit uniforms. Each uniform has a fixed *slot*: one per ordered pair for the fear
//! noise, one for a hostile act, one for the pair's decision (war, talks, breach, alliance,
//! vassalage, capitulation: only one applies in a given status), one per unordered pair for
//! the outcome of talks (or an ally's decision to join a war), one per unordered pair for the
//! month's contest of a war, and one per scripted event. Before its first month a run draws a
//! *header* of one uniform per ordered pair: the pair's misperception of the run. A slot's number is consumed whether or not its mechanism
//! is on, so switching a mechanism off or changing a parameter never shifts the numbers that
//! the rest of the run sees: scenarios that differ in one word are compared on common random
//! numbers.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::rng::chacha8::{ChaChaBackend, Keystream};

/// The slot layout of one month for a scenario with `n` polities and `events` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawSchedule {
    ordered_pairs: usize,
    dyads: usize,
    events: usize,
}

impl DrawSchedule {
    /// The layout for `polities` polities and `events` scripted events.
    pub fn new(polities: usize, events: usize) -> DrawSchedule {
        let ordered_pairs = polities * polities.saturating_sub(1);
        DrawSchedule {
            ordered_pairs,
            dyads: ordered_pairs / 2,
            events,
        }
    }

    /// Uniforms used per month.
    pub fn uniforms_per_month(&self) -> usize {
        3 * self.ordered_pairs + 2 * self.dyads + self.events
    }

    /// Uniforms drawn once per run before its first month: one per ordered pair (its
    /// misperception, [`header_perception`](Self::header_perception)). Always even.
    pub fn header_uniforms(&self) -> usize {
        self.ordered_pairs
    }

    /// 64-bit ChaCha8 words of the run's header.
    pub fn header_words(&self) -> usize {
        self.header_uniforms() / 2
    }

    /// Slot, in the run's header, of the misperception draw of ordered pair `q`.
    #[inline(always)]
    pub fn header_perception(&self, q: usize) -> usize {
        q
    }

    /// 64-bit ChaCha8 words drawn per month (two uniforms each).
    pub fn words_per_month(&self) -> usize {
        self.uniforms_per_month().div_ceil(2)
    }

    /// Slot of the fear noise of ordered pair `q`.
    #[inline(always)]
    pub fn noise(&self, q: usize) -> usize {
        q
    }

    /// Slot of the hostile-act draw of ordered pair `q`.
    #[inline(always)]
    pub fn provocation(&self, q: usize) -> usize {
        self.ordered_pairs + q
    }

    /// Slot of the decision of ordered pair `q`.
    #[inline(always)]
    pub fn decision(&self, q: usize) -> usize {
        2 * self.ordered_pairs + q
    }

    /// Slot of the talks outcome of unordered pair `d` (in a month in which the pair is not
    /// at war: an ally's decision to join a war against the other polity of the pair).
    #[inline(always)]
    pub fn talks(&self, d: usize) -> usize {
        3 * self.ordered_pairs + d
    }

    /// Slot of the month's contest of unordered pair `d` at war.
    #[inline(always)]
    pub fn contest(&self, d: usize) -> usize {
        3 * self.ordered_pairs + self.dyads + d
    }

    /// Slot of scripted event `e`.
    #[inline(always)]
    pub fn event(&self, e: usize) -> usize {
        3 * self.ordered_pairs + 2 * self.dyads + e
    }
}

/// The random stream of one run: the words of `ChaCha8Rng::seed_from_u64(seed)` on stream
/// `run`, computed by the fastest code this CPU runs ([`crate::rng::chacha8`]; every backend gives
/// the same words).
pub struct RunStream {
    keystream: Keystream,
    words_drawn: u64,
}

impl RunStream {
    /// The stream of run `run` under master seed `seed`.
    pub fn new(seed: u64, run: u64) -> RunStream {
        RunStream {
            keystream: Keystream::fastest(seed, run),
            words_drawn: 0,
        }
    }

    /// The same stream computed by `backend` (`None` when this CPU cannot run it): for tests
    /// and benches that compare the backends.
    pub fn with_backend(seed: u64, run: u64, backend: ChaChaBackend) -> Option<RunStream> {
        Some(RunStream {
            keystream: Keystream::new(seed, run, backend)?,
            words_drawn: 0,
        })
    }

    /// Fill `month` with the uniforms of the next month, as raw 32-bit integers.
    ///
    /// The month always consumes whole 64-bit words: uniform `2k` is the low half of word `k`
    /// and uniform `2k + 1` its high half, exactly as if each word were drawn with `next_u64`
    /// (a test checks this). The even part of the month is copied out of ChaCha's block buffer
    /// in one `fill` call straight into `month` (ChaCha's output is a stream of 32-bit words,
    /// low half first), which is much cheaper than one call per word; an odd last uniform takes
    /// the low half of one more word.
    #[inline]
    pub fn fill_month(&mut self, month: &mut [u32]) {
        let words = month.len().div_ceil(2);
        let (even, odd) = month.split_at_mut(month.len() & !1);
        self.keystream.fill(even);
        if let Some(last) = odd.first_mut() {
            *last = self.keystream.next_u64() as u32;
        }
        self.words_drawn += words as u64;
    }

    /// Fill `months` with the uniforms of several months at once: month `k` is
    /// `months[k * stride..(k + 1) * stride]` with `stride = 2 * words_per_month`, its first
    /// `uniforms_per_month` entries bit for bit what [`fill_month`](Self::fill_month) would give
    /// it (a test checks this); a month with an odd number of uniforms leaves the high half of its
    /// last word unused, as `fill_month` does. `months.len()` must be a whole number of strides.
    ///
    /// One `fill` for many months saves the per-call bookkeeping of one `fill` per month, a few
    /// percent of a baseline run (README, "Performance").
    #[inline]
    pub fn fill_months(&mut self, months: &mut [u32]) {
        debug_assert!(
            months.len().is_multiple_of(2),
            "months come in whole 64-bit words"
        );
        self.keystream.fill(months);
        self.words_drawn += (months.len() / 2) as u64;
    }

    /// How many 64-bit words this stream has produced.
    pub fn words_drawn(&self) -> u64 {
        self.words_drawn
    }
}

/// Mixed into the master seed to key the streams of parameter draws ([`PriorStream`]), so that
/// they never share a key with the monthly streams of the same batch ("priors!!" in ASCII).
const PRIOR_KEY: u64 = 0x7072_696f_7273_2121;

/// The place of a parameter path in a run's stream of parameter draws: its FNV-1a 64-bit hash,
/// read as a ChaCha block number. The draws of a path begin at the first word of that block, so
/// they depend on the path alone: adding a prior elsewhere moves no other value.
pub fn place_of(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The stream of a run's parameter draws (its priors), separate from the monthly stream:
/// the words of `ChaCha8Rng::seed_from_u64(seed ^ PRIOR_KEY)` on stream `run`, each path read from
/// its own place ([`place_of`]). Run *r* draws the same value for a path whatever else the
/// scenario holds.
///
/// Each path reads a few words from a block of its own, so the stream computes one ChaCha8
/// block at a time (scalar: the same words as `ChaCha8Rng`, which a test checks) rather than
/// the four that `ChaCha8Rng` computes on every seek.
#[derive(Clone, Debug)]
pub struct PriorStream {
    key: [u32; 8],
    run: u64,
    block: u64,
    words: [u32; 16],
    at: usize,
}

impl PriorStream {
    /// The parameter streams of the batch with master seed `seed`.
    pub fn new(seed: u64) -> PriorStream {
        let bytes = ChaCha8Rng::seed_from_u64(seed ^ PRIOR_KEY).get_seed();
        let key = std::array::from_fn(|w| {
            u32::from_le_bytes([bytes[4 * w], bytes[4 * w + 1], bytes[4 * w + 2], bytes[4 * w + 3]])
        });
        PriorStream {
            key,
            run: 0,
            block: 0,
            words: [0; 16],
            at: 16,
        }
    }

    /// Go to the draws of the path at `place` in run `run`: block `place` of stream `run`.
    pub fn seek(&mut self, run: u64, place: u64) {
        self.run = run;
        self.block = place;
        self.at = 16;
    }

    /// The next uniform in the open interval (0, 1), from 53 bits of one 64-bit word (two
    /// 32-bit words of the keystream, the first in the low half).
    pub fn uniform(&mut self) -> f64 {
        if self.at >= 16 {
            self.words = chacha8_block(&self.key, self.block, self.run);
            self.block = self.block.wrapping_add(1);
            self.at = 0;
        }
        let word = u64::from(self.words[self.at]) | (u64::from(self.words[self.at + 1]) << 32);
        self.at += 2;
        ((word >> 11) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// Block `block` of ChaCha8 under `key` on stream `stream` (the layout of `rand_chacha`: words
/// 12–13 the block counter, 14–15 the stream).
fn chacha8_block(key: &[u32; 8], block: u64, stream: u64) -> [u32; 16] {
    let mut init = [0u32; 16];
    init[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    init[4..12].copy_from_slice(key);
    init[12] = block as u32;
    init[13] = (block >> 32) as u32;
    init[14] = stream as u32;
    init[15] = (stream >> 32) as u32;
    let mut x = init;
    let qr = |x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize| {
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(16);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(12);
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(8);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(7);
    };
    for _ in 0..4 {
        qr(&mut x, 0, 4, 8, 12);
        qr(&mut x, 1, 5, 9, 13);
        qr(&mut x, 2, 6, 10, 14);
        qr(&mut x, 3, 7, 11, 15);
        qr(&mut x, 0, 5, 10, 15);
        qr(&mut x, 1, 6, 11, 12);
        qr(&mut x, 2, 7, 8, 13);
        qr(&mut x, 3, 4, 9, 14);
    }
    for (w, i) in x.iter_mut().zip(init) {
        *w = w.wrapping_add(i);
    }
    x
}

/// A raw 32-bit draw as a uniform number in the open interval (0, 1).
#[inline(always)]
pub fn uniform(raw: u32) -> f64 {
    (f64::from(raw) + 0.5) * (1.0 / 4_294_967_296.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_prior_stream_gives_the_words_of_chacha8rng() {
        for (seed, run, place) in [
            (1125u64, 0u64, 0u64),
            (7, 3, super::place_of("polities.jin.greed")),
            (0, u64::MAX, u64::MAX - 1),
        ] {
            let mut ours = super::PriorStream::new(seed);
            ours.seek(run, place);
            let mut reference = ChaCha8Rng::seed_from_u64(seed ^ super::PRIOR_KEY);
            reference.set_stream(run);
            reference.set_word_pos(u128::from(place) * 16);
            // Across a block boundary: 8 words per block.
            for _ in 0..20 {
                let want = ((reference.next_u64() >> 11) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0);
                assert_eq!(ours.uniform(), want);
            }
        }
    }

    #[test]
    fn slots_do_not_overlap() {
        let s = DrawSchedule::new(5, 3);
        let mut seen = vec![false; s.uniforms_per_month()];
        for q in 0..20 {
            for slot in [s.noise(q), s.provocation(q), s.decision(q)] {
                assert!(!seen[slot]);
                seen[slot] = true;
            }
        }
        for d in 0..10 {
            for slot in [s.talks(d), s.contest(d)] {
                assert!(!seen[slot]);
                seen[slot] = true;
            }
        }
        for e in 0..3 {
            assert!(!seen[s.event(e)]);
            seen[s.event(e)] = true;
        }
        assert!(seen.iter().all(|&x| x));
        assert_eq!(s.words_per_month(), (60 + 20 + 3usize).div_ceil(2));
        assert_eq!(s.header_uniforms(), 20);
        assert_eq!(s.header_words(), 10);
        assert!((0..20).all(|q| s.header_perception(q) == q));
    }

    #[test]
    fn uniforms_are_open_interval() {
        assert!(uniform(0) > 0.0);
        assert!(uniform(u32::MAX) < 1.0);
    }

    #[test]
    fn month_is_the_halves_of_next_u64_words() {
        // An odd month (the last uniform is the low half of a whole word) and an even one.
        let mut month = vec![0u32; 2 * 37 + 1];
        let mut stream = RunStream::new(7, 3);
        stream.fill_month(&mut month);
        stream.fill_month(&mut month);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        rng.set_stream(3);
        for _ in 0..38 {
            rng.next_u64();
        }
        for k in 0..38 {
            let w = rng.next_u64();
            assert_eq!(month[2 * k], w as u32);
            if 2 * k + 1 < month.len() {
                assert_eq!(month[2 * k + 1], (w >> 32) as u32);
            }
        }
        assert_eq!(stream.words_drawn(), 76);
    }

    #[test]
    fn several_months_at_once_are_the_months_one_by_one() {
        for uniforms in [7usize, 8] {
            let stride = 2 * uniforms.div_ceil(2);
            let mut bulk = vec![0u32; 5 * stride];
            let mut stream = RunStream::new(11, 2);
            stream.fill_months(&mut bulk[..2 * stride]);
            stream.fill_months(&mut bulk[2 * stride..]);
            let mut single = RunStream::new(11, 2);
            let mut month = vec![0u32; uniforms];
            for k in 0..5 {
                single.fill_month(&mut month);
                assert_eq!(month[..], bulk[k * stride..k * stride + uniforms]);
            }
            assert_eq!(stream.words_drawn(), single.words_drawn());
        }
    }

    #[test]
    fn streams_differ_and_repeat() {
        let mut a = vec![0u32; 7];
        let mut b = vec![0u32; 7];
        RunStream::new(1, 0).fill_month(&mut a);
        RunStream::new(1, 0).fill_month(&mut b);
        assert_eq!(a, b);
        RunStream::new(1, 1).fill_month(&mut b);
        assert_ne!(a, b);
    }
}
