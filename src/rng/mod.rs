//! Random numbers: one ChaCha8 stream per run, read on a fixed monthly schedule of draw slots
//! ([`draws`]) so that scenarios differing in one word are compared on common random numbers;
//! the keystream computed sixteen blocks at a time where the CPU has AVX-512 ([`chacha8`]).

pub mod chacha8;
pub mod draws;
