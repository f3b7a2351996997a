//! Tells the tests whether the build machine's CPU can run the AVX-512 ChaCha8 kernel
//! (`src/rng/chacha8.rs`), so that its tests are reported as ignored on a CPU without it
//! instead of passing without checking anything. The binary itself decides at run time.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(jinsong_avx512)");
    #[cfg(target_arch = "x86_64")]
    {
        // The features of pulp's `V4` token.
        let all = std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("bmi2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("lzcnt")
            && std::is_x86_feature_detected!("popcnt")
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512cd")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl");
        let target_is_host = std::env::var("TARGET").ok() == std::env::var("HOST").ok();
        if all && target_is_host {
            println!("cargo::rustc-cfg=jinsong_avx512");
        }
    }
}
