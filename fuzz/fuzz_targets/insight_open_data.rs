//! Any bytes as an MHLW 介護サービス情報公表 open-data CSV: parsing never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tsunagu_insight::offices::parse_open_data("jigyosho_110.csv", data);
});
