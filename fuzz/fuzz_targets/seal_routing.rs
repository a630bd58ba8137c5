//! Any bytes as the clear routing metadata of an envelope (JSON from the hub): never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tsunagu_seal::RoutingMetadata::from_json_bytes(data);
});
