//! Any bytes as a survey answer CSV (Excel or a form service export) and as time-study records:
//! parsing never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsunagu_insight::categories::CategorySet;
use tsunagu_insight::survey::{Survey, parse_answers};
use tsunagu_insight::timestudy::{Phase, parse_records};

fuzz_target!(|data: &[u8]| {
    let survey = Survey::builtin("h1", "導入状況");
    let _ = parse_answers(&survey, "answers.csv", data, &[]);
    let _ = parse_records("timestudy.csv", data, &CategorySet::exchange(), Phase::Single);
});
