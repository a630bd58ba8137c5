//! Any text as a JSON form: parsing and converting to CSV never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsunagu_standard::json_form;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(doc) = json_form::parse(s) {
        let _ = json_form::from_json(&doc);
    }
});
