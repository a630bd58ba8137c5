//! Any bytes as a signed receipt: parsing never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tsunagu_seal::SignedReceipt::from_bytes(data);
});
