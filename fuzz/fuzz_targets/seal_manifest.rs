//! Any bytes as a canonical manifest: parsing never panics, and a parsed manifest serialises back
//! to the same canonical bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsunagu_seal::Manifest;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Manifest::from_canonical_bytes(data) {
        let again = m.to_canonical_bytes().expect("a parsed manifest serialises");
        assert_eq!(again, data, "canonical manifests are unique");
    }
});
