//! The ChaCha8 keystream of a run, sixteen blocks at a time with AVX-512 where the CPU has it.
//!
//! A run draws every number from `rand_chacha`'s `ChaCha8Rng` (see [`crate::rng::draws`]): the key
//! comes from `ChaCha8Rng::seed_from_u64(seed)` and the stream is the run index. This module
//! computes the *same* 32-bit words, in the same order, with one AVX-512 instruction working on
//! sixteen ChaCha blocks side by side (one 512-bit register per state word), then transposes the
//! result so that the words come out in stream order. On the development machine that is about
//! twice as fast as `rand_chacha`'s AVX2 code (README, "Performance"), and the draws are a third
//! of a run's time.
//!
//! It is an implementation of the generator, not a different one: tests compare its words with
//! `ChaCha8Rng`'s for several keys, streams, block counters (including a carry into the high
//! word of the counter) and fill lengths, and every result file of the project is byte-identical
//! whichever path produced the draws. Where the CPU lacks AVX-512 (or off x86-64),
//! [`Keystream`] simply wraps `ChaCha8Rng`.
//!
//! The crate keeps `#![forbid(unsafe_code)]`: the one `unsafe` step of using CPU-specific
//! instructions (checking at run time that the CPU has them) is done by the `pulp` crate, whose
//! `V4` token can only be obtained on a CPU with AVX-512.
//!
//! The ChaCha state of block `c` on stream `s` is the four constant words, the eight key words,
//! the 64-bit block counter `c` (low word first) and the 64-bit stream `s` (low word first); 8
//! rounds; the output is the final state plus the initial one, word by word (Bernstein's
//! ChaCha, with `rand_chacha`'s 64-bit counter and 64-bit stream).

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// 32-bit words in one ChaCha block.
const BLOCK_WORDS: usize = 16;
/// Blocks computed side by side by the wide kernel.
const LANES: usize = 16;
/// Words produced by one pass of the wide kernel (1 KiB).
pub const GROUP_WORDS: usize = BLOCK_WORDS * LANES;

/// Set this environment variable to `portable` to make [`ChaChaBackend::fastest`] (and so
/// every run) use `rand_chacha`'s code even on a CPU with AVX-512: the results are the same
/// bytes either way (a test runs the CLI both ways), only slower. Read once per process.
pub const BACKEND_VARIABLE: &str = "JINSONG_CHACHA_BACKEND";

/// Which code computes the keystream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChaChaBackend {
    /// Sixteen blocks at a time with AVX-512 (x86-64 CPUs that have AVX-512F/BW/CD/DQ/VL).
    Avx512,
    /// `rand_chacha`'s own `ChaCha8Rng` (its AVX2 or SSE2 code on x86-64), on any CPU.
    Portable,
}

impl ChaChaBackend {
    /// The fastest backend this CPU can run (detected once per process), unless
    /// [`BACKEND_VARIABLE`] is `portable`.
    pub fn fastest() -> ChaChaBackend {
        if wide::detect().is_some() {
            ChaChaBackend::Avx512
        } else {
            ChaChaBackend::Portable
        }
    }
}

/// The ChaCha8 keystream of stream `stream` under master seed `seed`, as 32-bit words.
pub struct Keystream {
    source: Source,
}

enum Source {
    Portable(Box<ChaCha8Rng>),
    #[cfg(target_arch = "x86_64")]
    Wide(Box<wide::WideStream>),
}

impl Keystream {
    /// The keystream of `ChaCha8Rng::seed_from_u64(seed)` on stream `stream`, computed by
    /// `backend`; `None` when this CPU cannot run `backend`.
    pub fn new(seed: u64, stream: u64, backend: ChaChaBackend) -> Option<Keystream> {
        let rng = reference(seed, stream);
        let source = match backend {
            ChaChaBackend::Portable => Source::Portable(Box::new(rng)),
            #[cfg(target_arch = "x86_64")]
            ChaChaBackend::Avx512 => Source::Wide(Box::new(wide::WideStream::new(
                wide::detect()?,
                rng.get_seed(),
                stream,
            ))),
            #[cfg(not(target_arch = "x86_64"))]
            ChaChaBackend::Avx512 => return None,
        };
        Some(Keystream { source })
    }

    /// The keystream of `seed` on stream `stream`, computed by the fastest backend this CPU runs.
    pub fn fastest(seed: u64, stream: u64) -> Keystream {
        Keystream::new(seed, stream, ChaChaBackend::fastest()).unwrap_or_else(|| Keystream {
            source: Source::Portable(Box::new(reference(seed, stream))),
        })
    }

    /// Fill `dest` with the next `dest.len()` words of the stream: exactly what
    /// `ChaCha8Rng::fill(dest)` would give from the same position.
    #[inline]
    pub fn fill(&mut self, dest: &mut [u32]) {
        match &mut self.source {
            Source::Portable(rng) => rng.fill(dest),
            #[cfg(target_arch = "x86_64")]
            Source::Wide(wide) => wide.fill(dest),
        }
    }

    /// The next two words as one `u64`, the first word in the low half (as `ChaCha8Rng`'s
    /// `next_u64` gives them).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        match &mut self.source {
            Source::Portable(rng) => rng.next_u64(),
            #[cfg(target_arch = "x86_64")]
            Source::Wide(wide) => {
                let mut pair = [0u32; 2];
                wide.fill(&mut pair);
                u64::from(pair[0]) | (u64::from(pair[1]) << 32)
            }
        }
    }
}

/// `ChaCha8Rng::seed_from_u64(seed)` on stream `stream`: the generator every backend computes.
fn reference(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

#[cfg(target_arch = "x86_64")]
mod wide {
    use super::{BLOCK_WORDS, GROUP_WORDS, LANES};
    use pulp::x86::V4;
    use pulp::{cast, NullaryFnOnce};
    use std::arch::x86_64::__m512i;
    use std::sync::OnceLock;

    /// The AVX-512 token, if this CPU has AVX-512 and [`BACKEND_VARIABLE`](super::BACKEND_VARIABLE)
    /// does not ask for the portable code (checked once per process).
    pub fn detect() -> Option<V4> {
        static TOKEN: OnceLock<Option<V4>> = OnceLock::new();
        *TOKEN.get_or_init(|| {
            let portable = std::env::var_os(super::BACKEND_VARIABLE).is_some_and(|v| v == "portable");
            if portable {
                None
            } else {
                V4::try_new()
            }
        })
    }

    /// A keystream computed a group of sixteen blocks at a time; the words of a group that a
    /// fill does not take wait in `spare` for the next fill.
    pub struct WideStream {
        simd: V4,
        key: [u32; 8],
        stream: u64,
        /// Counter of the next block to compute.
        block: u64,
        spare: [u32; GROUP_WORDS],
        /// Words of `spare` already handed out (`GROUP_WORDS`: none left).
        used: usize,
    }

    impl WideStream {
        pub fn new(simd: V4, seed: [u8; 32], stream: u64) -> WideStream {
            let key = std::array::from_fn(|k| {
                u32::from_le_bytes([seed[4 * k], seed[4 * k + 1], seed[4 * k + 2], seed[4 * k + 3]])
            });
            WideStream {
                simd,
                key,
                stream,
                block: 0,
                spare: [0; GROUP_WORDS],
                used: GROUP_WORDS,
            }
        }

        /// Whole groups are computed straight into `dest`; only a last partial group goes
        /// through `spare`.
        #[inline]
        pub fn fill(&mut self, dest: &mut [u32]) {
            let waiting = (GROUP_WORDS - self.used).min(dest.len());
            let (head, rest) = dest.split_at_mut(waiting);
            head.copy_from_slice(&self.spare[self.used..self.used + waiting]);
            self.used += waiting;
            let whole = rest.len() - rest.len() % GROUP_WORDS;
            let (body, tail) = rest.split_at_mut(whole);
            compute(self.simd, self.key, self.stream, &mut self.block, body);
            if !tail.is_empty() {
                compute(self.simd, self.key, self.stream, &mut self.block, &mut self.spare);
                tail.copy_from_slice(&self.spare[..tail.len()]);
                self.used = tail.len();
            }
        }

        /// Move to block `block` (tests start near a counter carry this way).
        #[cfg(test)]
        pub fn skip_to_block(&mut self, block: u64) {
            self.block = block;
            self.used = GROUP_WORDS;
        }
    }

    /// Compute `out.len() / GROUP_WORDS` whole groups of stream `stream` under `key` into `out`,
    /// from block `*block` on, and move `*block` past them.
    fn compute(simd: V4, key: [u32; 8], stream: u64, block: &mut u64, out: &mut [u32]) {
        if out.is_empty() {
            return;
        }
        let groups = out.len() / GROUP_WORDS;
        simd.vectorize(Groups {
            simd,
            key,
            stream,
            block: *block,
            out,
        });
        *block = block.wrapping_add((groups * LANES) as u64);
    }

    /// One call of the kernel, run by `V4::vectorize` in code compiled for AVX-512.
    struct Groups<'a> {
        simd: V4,
        key: [u32; 8],
        stream: u64,
        block: u64,
        out: &'a mut [u32],
    }

    /// The ChaCha quarter round on four state words, each a register of sixteen blocks.
    #[inline(always)]
    fn quarter_round(s: V4, x: &mut [__m512i; BLOCK_WORDS], a: usize, b: usize, c: usize, d: usize) {
        let f = s.avx512f;
        x[a] = f._mm512_add_epi32(x[a], x[b]);
        x[d] = f._mm512_rol_epi32::<16>(f._mm512_xor_si512(x[d], x[a]));
        x[c] = f._mm512_add_epi32(x[c], x[d]);
        x[b] = f._mm512_rol_epi32::<12>(f._mm512_xor_si512(x[b], x[c]));
        x[a] = f._mm512_add_epi32(x[a], x[b]);
        x[d] = f._mm512_rol_epi32::<8>(f._mm512_xor_si512(x[d], x[a]));
        x[c] = f._mm512_add_epi32(x[c], x[d]);
        x[b] = f._mm512_rol_epi32::<7>(f._mm512_xor_si512(x[b], x[c]));
    }

    impl NullaryFnOnce for Groups<'_> {
        type Output = ();

        #[inline(always)]
        fn call(self) {
            let s = self.simd;
            let f = s.avx512f;
            let splat = |w: u32| f._mm512_set1_epi32(w as i32);
            let mut fixed = [f._mm512_setzero_si512(); BLOCK_WORDS];
            for (w, c) in [0x6170_7865u32, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]
                .into_iter()
                .enumerate()
            {
                fixed[w] = splat(c);
            }
            for (w, &k) in self.key.iter().enumerate() {
                fixed[4 + w] = splat(k);
            }
            fixed[14] = splat(self.stream as u32);
            fixed[15] = splat((self.stream >> 32) as u32);
            let mut block = self.block;
            for group in self.out.chunks_exact_mut(GROUP_WORDS) {
                // Lane k computes block `block + k`; the counter carries into its high word.
                let counters: [u64; LANES] = std::array::from_fn(|k| block.wrapping_add(k as u64));
                let mut init = fixed;
                init[12] = cast(counters.map(|c| c as u32));
                init[13] = cast(counters.map(|c| (c >> 32) as u32));
                block = block.wrapping_add(LANES as u64);
                let mut x = init;
                for _ in 0..4 {
                    quarter_round(s, &mut x, 0, 4, 8, 12);
                    quarter_round(s, &mut x, 1, 5, 9, 13);
                    quarter_round(s, &mut x, 2, 6, 10, 14);
                    quarter_round(s, &mut x, 3, 7, 11, 15);
                    quarter_round(s, &mut x, 0, 5, 10, 15);
                    quarter_round(s, &mut x, 1, 6, 11, 12);
                    quarter_round(s, &mut x, 2, 7, 8, 13);
                    quarter_round(s, &mut x, 3, 4, 9, 14);
                }
                for (xw, iw) in x.iter_mut().zip(init) {
                    *xw = f._mm512_add_epi32(*xw, iw);
                }
                // Transpose: register w holds word w of the sixteen blocks; block b must come out
                // as sixteen consecutive words. First, within each 128-bit lane L (blocks 4L to
                // 4L + 3), t[g][m] gathers words 4g..4g + 3 of block 4L + m.
                let mut t = [[f._mm512_setzero_si512(); 4]; 4];
                for (g, tg) in t.iter_mut().enumerate() {
                    let lo01 = f._mm512_unpacklo_epi32(x[4 * g], x[4 * g + 1]);
                    let hi01 = f._mm512_unpackhi_epi32(x[4 * g], x[4 * g + 1]);
                    let lo23 = f._mm512_unpacklo_epi32(x[4 * g + 2], x[4 * g + 3]);
                    let hi23 = f._mm512_unpackhi_epi32(x[4 * g + 2], x[4 * g + 3]);
                    tg[0] = f._mm512_unpacklo_epi64(lo01, lo23);
                    tg[1] = f._mm512_unpackhi_epi64(lo01, lo23);
                    tg[2] = f._mm512_unpacklo_epi64(hi01, hi23);
                    tg[3] = f._mm512_unpackhi_epi64(hi01, hi23);
                }
                // Then block 4L + m is lane L of t[0][m], t[1][m], t[2][m] and t[3][m].
                let blocks: &mut [pulp::u32x16] = pulp::bytemuck::cast_slice_mut(group);
                for m in 0..4 {
                    let a = f._mm512_shuffle_i32x4::<0b01_00_01_00>(t[0][m], t[1][m]);
                    let b = f._mm512_shuffle_i32x4::<0b11_10_11_10>(t[0][m], t[1][m]);
                    let c = f._mm512_shuffle_i32x4::<0b01_00_01_00>(t[2][m], t[3][m]);
                    let d = f._mm512_shuffle_i32x4::<0b11_10_11_10>(t[2][m], t[3][m]);
                    blocks[m] = cast(f._mm512_shuffle_i32x4::<0b10_00_10_00>(a, c));
                    blocks[4 + m] = cast(f._mm512_shuffle_i32x4::<0b11_01_11_01>(a, c));
                    blocks[8 + m] = cast(f._mm512_shuffle_i32x4::<0b10_00_10_00>(b, d));
                    blocks[12 + m] = cast(f._mm512_shuffle_i32x4::<0b11_01_11_01>(b, d));
                }
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod wide {
    /// No wide kernel off x86-64.
    pub fn detect() -> Option<()> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ChaCha8Rng` on stream `stream` of `seed`, moved to 32-bit word `word`.
    fn reference_at(seed: u64, stream: u64, word: u128) -> ChaCha8Rng {
        let mut rng = reference(seed, stream);
        rng.set_word_pos(word);
        rng
    }

    /// Fill lengths that cross group boundaries in every way: empty, short, odd, a whole group,
    /// several groups, a group and a bit.
    const LENGTHS: [usize; 12] = [0, 1, 7, 84, 255, 256, 257, 3 * 256, 1000, 4032, 1, 5 * 256 + 3];

    fn check(backend: ChaChaBackend) {
        for (seed, stream) in [(1125u64, 0u64), (1125, 7), (0, u64::MAX), (42, 1 << 40)] {
            let Some(mut ours) = Keystream::new(seed, stream, backend) else {
                return;
            };
            let mut theirs = reference_at(seed, stream, 0);
            for len in LENGTHS {
                let mut a = vec![0u32; len];
                let mut b = vec![0u32; len];
                ours.fill(&mut a);
                theirs.fill(&mut b[..]);
                assert_eq!(a, b, "{backend:?}, seed {seed}, stream {stream}, fill of {len}");
                assert_eq!(ours.next_u64(), theirs.next_u64());
            }
        }
    }

    #[test]
    fn portable_keystream_is_chacha8rng() {
        check(ChaChaBackend::Portable);
    }

    /// On a CPU without AVX-512 the kernel cannot run: its tests are reported as ignored
    /// (`build.rs` sets `jinsong_avx512` where the build machine has it).
    #[test]
    #[cfg_attr(
        not(jinsong_avx512),
        ignore = "this CPU has no AVX-512: the kernel cannot run here"
    )]
    fn wide_keystream_is_chacha8rng() {
        assert!(
            Keystream::new(1, 2, ChaChaBackend::Avx512).is_some(),
            "the CPU has AVX-512 but the kernel is off (is JINSONG_CHACHA_BACKEND=portable set?)"
        );
        check(ChaChaBackend::Avx512);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    #[cfg_attr(
        not(jinsong_avx512),
        ignore = "this CPU has no AVX-512: the kernel cannot run here"
    )]
    fn wide_counter_carries_into_its_high_word() {
        let simd = wide::detect().expect("the CPU has AVX-512 but the kernel is off");
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        rng.set_stream(3);
        let mut ours = wide::WideStream::new(simd, rng.get_seed(), 3);
        // Start 5 blocks before the low word of the counter wraps, so that one group holds
        // blocks on both sides of the carry.
        let start = (1u64 << 32) - 5;
        let mut theirs = reference_at(9, 3, u128::from(start) * 16);
        let mut a = vec![0u32; 2 * GROUP_WORDS + 5];
        let mut b = a.clone();
        let mut skip = wide::WideStream::new(simd, rng.get_seed(), 3);
        skip.skip_to_block(start);
        skip.fill(&mut a);
        theirs.fill(&mut b[..]);
        assert_eq!(a, b);
        // And the stream from 0 is not the stream from the carry.
        ours.fill(&mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn fastest_backend_runs_here() {
        assert!(Keystream::new(1, 2, ChaChaBackend::fastest()).is_some());
    }
}
