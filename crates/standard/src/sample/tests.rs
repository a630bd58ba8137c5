//! The generated files check clean, form every combination of §2.4, round-trip byte for byte and
//! are deterministic.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::check::check_all;
use crate::finding::Severity;
use crate::record::Document;

fn spec(seed: u64, month: &str, force_v3: bool) -> SampleSpec {
    SampleSpec {
        offices: 14,
        users_per_office: 6,
        month: YearMonth::parse(month).unwrap(),
        seed,
        force_v3,
    }
}

fn cases() -> Vec<SampleSpec> {
    let mut out = Vec::new();
    for seed in [1, 2, 3, 42] {
        out.push(spec(seed, "202504", false));
        out.push(spec(seed, "202504", true));
        out.push(spec(seed, "202410", false));
    }
    // The month before v4: most files v3, next month's 予定削除 already v4.
    out.push(spec(5, "202503", false));
    out
}

#[test]
fn every_generated_set_checks_without_errors_or_warnings() {
    for s in cases() {
        let sample = generate(&s).unwrap();
        let (_, report) = check_all(&sample.clone().into_pairs());
        let problems: Vec<String> = report
            .findings()
            .filter(|f| f.severity != Severity::Info)
            .take(20)
            .map(|f| format!("{} {}", f.code, f.display(crate::Lang::Ja)))
            .collect();
        assert!(problems.is_empty(), "{s:?}:\n{}", problems.join("\n"));
        assert_eq!(report.tally.errors, 0);
        assert_eq!(report.tally.warnings, 0);
        assert!(sample.units > 0 && sample.users > 0);
    }
}

fn combinations(sample: &Sample) -> BTreeSet<Vec<&'static str>> {
    let mut units: BTreeMap<crate::file_name::SendUnitKey, BTreeSet<&'static str>> =
        BTreeMap::new();
    for f in &sample.files {
        let n = StandardFileName::parse(&f.name).unwrap();
        units
            .entry(n.unit_key())
            .or_default()
            .insert(n.kind.prefix());
    }
    units
        .into_values()
        .map(|k| k.into_iter().collect())
        .collect()
}

#[test]
fn every_send_unit_combination_appears() {
    let v4 = generate(&spec(1, "202504", false)).unwrap();
    let got = combinations(&v4);
    let want: &[&[&str]] = &[
        &["UP1KYO", "UP2KYO", "UP3KYO", "UPHOSOKU"],
        &["UPHOSOKU", "UPPLAN", "UPSIKYU"],
        &["DLT1KYO"],
        &["DLTPLAN"],
        &["UPJSK"],
        &["DLTJSK"],
        &["UPKIHON", "UPKIHON_SUB1", "UPKIHON_SUB2", "UPKIHON_IMAGE"],
        &[
            "UPKIHON",
            "UPKIHON_IMAGE",
            "UPKIHON_SUB1",
            "UPKIHON_SUB2",
            "UPYOBO",
            "UPYOBO_SUB",
        ],
        &["UPYOBO", "UPYOBO_SUB"],
        &["DLTKIHON"],
        &["DLTYOBO"],
    ];
    for w in want {
        let mut w: Vec<&str> = w.to_vec();
        w.sort_unstable();
        // Images go with some units only; accept the unit with or without them.
        let without: Vec<&str> = w
            .iter()
            .copied()
            .filter(|k| *k != "UPKIHON_IMAGE")
            .collect();
        assert!(
            got.contains(&w) || got.contains(&without),
            "v4 lacks {w:?}; has {got:?}"
        );
    }
    assert!(got.iter().any(|c| c.contains(&"UPKIHON_IMAGE")));

    let v3 = generate(&spec(1, "202504", true)).unwrap();
    let got = combinations(&v3);
    for w in [
        vec!["UP1KYO", "UP2KYO", "UPHOSOKU"],
        vec!["UPHOSOKU", "UPPLAN", "UPSIKYU"],
        vec!["DLT1KYO"],
        vec!["DLTPLAN"],
        vec!["UPJSK"],
        vec!["DLTJSK"],
    ] {
        assert!(got.contains(&w), "v3 lacks {w:?}");
    }
    assert!(
        got.iter()
            .flatten()
            .all(|k| !k.starts_with("UPKIHON") && !k.starts_with("UPYOBO") && *k != "UP3KYO")
    );
}

#[test]
fn names_parse_round_trip_and_serials_increase_per_unit() {
    for s in [spec(2, "202504", false), spec(2, "202504", true)] {
        let sample = generate(&s).unwrap();
        let mut last: Option<crate::file_name::Serial> = None;
        for f in &sample.files {
            let n = StandardFileName::parse(&f.name).unwrap();
            assert_eq!(n.to_string(), f.name);
            assert!(n.serial.is_real_timestamp());
            if let Some(l) = last {
                assert!(n.serial >= l, "files are in ファイル連番 order");
            }
            last = Some(n.serial);
            // Files of another service month (deletions) follow that month's version.
            let version = if s.force_v3 {
                LayoutVersion::V3
            } else {
                LayoutVersion::for_service_month(n.year_month().unwrap_or(s.month))
            };
            assert_eq!(
                n.sender_kind.is_some(),
                version == LayoutVersion::V4,
                "{}",
                f.name
            );
        }
        // One serial per unit: no two units share one.
        let mut by_serial: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in &sample.files {
            let n = StandardFileName::parse(&f.name).unwrap();
            by_serial
                .entry(n.serial.to_string())
                .or_default()
                .insert(format!("{}{}", n.sender, n.recipient));
        }
        assert!(by_serial.values().all(|v| v.len() == 1));
        assert_eq!(by_serial.len(), sample.units);
    }
}

#[test]
fn output_is_deterministic_for_a_seed() {
    let a = generate(&spec(9, "202504", false)).unwrap();
    let b = generate(&spec(9, "202504", false)).unwrap();
    assert_eq!(a.files, b.files);
    let c = generate(&spec(10, "202504", false)).unwrap();
    assert_ne!(a.files, c.files);
}

#[test]
fn reading_and_writing_back_is_byte_identical() {
    for s in [spec(3, "202504", false), spec(3, "202410", false)] {
        let sample = generate(&s).unwrap();
        for f in &sample.files {
            let outcome = crate::read(&f.name, &f.bytes);
            match outcome.document {
                Some(Document::Csv(c)) => {
                    let again = write_csv(c.layout, c.records.iter().map(|r| &r.fields)).unwrap();
                    assert!(again == f.bytes, "{} differs after read → write", f.name);
                    assert!(c.canonical);
                }
                Some(Document::Image(_)) => assert!(f.bytes.starts_with(&[0xFF, 0xD8, 0xFF])),
                None => panic!("{} did not read", f.name),
            }
        }
    }
}

#[test]
fn the_tricky_paths_are_exercised() {
    let sample = generate(&SampleSpec {
        offices: 24,
        users_per_office: 20,
        ..spec(4, "202504", false)
    })
    .unwrap();
    let mut text = String::new();
    for f in &sample.files {
        if let Some(Document::Csv(c)) = crate::read(&f.name, &f.bytes).document {
            for r in &c.records {
                for v in &r.fields {
                    text.push_str(v);
                    text.push('\u{1F}');
                }
            }
        }
    }
    for needle in ["髙", "﨑", "①", "㈱", "ﾞ", "\r\n", "\"", "、", ",", "H"] {
        assert!(text.contains(needle), "no {needle:?} in the sample");
    }
    assert!(text.contains("\u{1F}-47\u{1F}"), "a negative 減算 line");
    assert!(text.contains("\u{1F}999999\u{1F}"));
    assert!(text.contains("AAAA\u{1F}"));
    assert!(
        text.split('\u{1F}')
            .any(|v| v.len() == 31 && v.contains('1') && v.bytes().all(|b| b == b'0' || b == b'1'))
    );
    assert!(
        text.split('\u{1F}')
            .any(|v| v.len() == 12 && v.as_bytes()[5] == b'-')
    );
    assert!(
        text.split('\u{1F}')
            .any(|v| v.len() == 10 && v.starts_with('H'))
    );
}

#[test]
fn sizes_are_realistic() {
    let sample = generate(&spec(6, "202504", false)).unwrap();
    for f in sample
        .files
        .iter()
        .filter(|f| f.name.starts_with("UPPLAN_"))
    {
        let Some(Document::Csv(c)) = crate::read(&f.name, &f.bytes).document else {
            panic!("{}", f.name);
        };
        let mut per_user: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &c.records {
            *per_user.entry(c.get(r, "insured_number")).or_default() += 1;
        }
        assert!(
            per_user.values().all(|n| (1..=80).contains(n)),
            "{per_user:?}"
        );
    }
}

#[test]
fn too_small_specs_are_refused() {
    assert_eq!(
        generate(&SampleSpec {
            offices: 1,
            ..spec(1, "202504", false)
        })
        .unwrap_err(),
        SampleError::TooFewOffices
    );
    assert_eq!(
        generate(&SampleSpec {
            users_per_office: 0,
            ..spec(1, "202504", false)
        })
        .unwrap_err(),
        SampleError::NoUsers
    );
    // Two offices: one 居宅 and one provider are enough.
    let s = generate(&SampleSpec {
        offices: 2,
        users_per_office: 1,
        ..spec(1, "202504", false)
    })
    .unwrap();
    let (_, report) = check_all(&s.into_pairs());
    assert_eq!(report.tally.errors, 0);
}
