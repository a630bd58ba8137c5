//! Any bytes as the decrypted plaintext of an envelope (manifest ‖ signature ‖ files, length
//! prefixed): the strict framing parser never panics or allocates from a forged length.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tsunagu_seal::parse_plaintext(data);
});
