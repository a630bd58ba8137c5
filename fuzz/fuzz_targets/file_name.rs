//! Any text as a file name: parsing never panics, and a parsed name prints canonically and
//! parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsunagu_standard::StandardFileName;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(name) = StandardFileName::parse(s) {
        let canonical = name.to_string();
        let again = StandardFileName::parse(&canonical).expect("a canonical name parses");
        assert_eq!(again.to_string(), canonical);
    }
});
