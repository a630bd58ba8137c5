//! Every checking rule, one case each: a valid fixture unit with one change must show the rule's
//! code (and the unchanged unit shows none).

use std::path::Path;

use tsunagu_standard::check::check_all;
use tsunagu_standard::{Document, read, write_csv};

type Files = Vec<(String, Vec<u8>)>;

fn unit(serial: &str) -> Files {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let mut out: Files = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(serial))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "{serial}");
    out
}

/// Sets `key` of record `index` (0-based) in the file whose name starts with `prefix`.
fn set(files: &mut Files, prefix: &str, index: usize, key: &str, value: &str) {
    let (name, bytes) = files
        .iter_mut()
        .find(|(n, _)| n.starts_with(prefix))
        .unwrap();
    let Some(Document::Csv(file)) = read(name, bytes).document else {
        panic!("{name}")
    };
    let i = file.layout.index(key).unwrap_or_else(|| panic!("{key}"));
    let mut rows: Vec<Vec<String>> = file.records.iter().map(|r| r.fields.to_vec()).collect();
    rows[index][i] = value.to_string();
    *bytes = write_csv(file.layout, &rows).unwrap();
}

/// Appends a copy of record `index` with `key` set to `value`.
fn push_copy(files: &mut Files, prefix: &str, index: usize, key: &str, value: &str) {
    let (name, bytes) = files
        .iter_mut()
        .find(|(n, _)| n.starts_with(prefix))
        .unwrap();
    let Some(Document::Csv(file)) = read(name, bytes).document else {
        panic!("{name}")
    };
    let i = file.layout.index(key).unwrap();
    let mut rows: Vec<Vec<String>> = file.records.iter().map(|r| r.fields.to_vec()).collect();
    let mut copy = rows[index].clone();
    copy[i] = value.to_string();
    rows.push(copy);
    *bytes = write_csv(file.layout, &rows).unwrap();
}

/// Rewrites the CSVバージョン of every record in place (bytes), keeping the field count.
fn set_version(files: &mut Files, prefix: &str, version: &str) {
    let (_, bytes) = files
        .iter_mut()
        .find(|(n, _)| n.starts_with(prefix))
        .unwrap();
    let text = String::from_utf8_lossy(bytes).into_owned(); // only ASCII is touched
    assert!(text.starts_with("202407,"));
    let mut out = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        match line.strip_prefix(b"202407,") {
            Some(rest) => {
                out.extend_from_slice(version.as_bytes());
                out.push(b',');
                out.extend_from_slice(rest);
            }
            None => out.extend_from_slice(line),
        }
    }
    *bytes = out;
}

fn codes(files: &Files) -> Vec<String> {
    check_all(files)
        .1
        .findings()
        .map(|f| f.code.clone())
        .collect()
}

fn assert_code(files: &Files, code: &str) {
    let found = codes(files);
    assert!(
        found.iter().any(|c| c == code),
        "expected {code}, got {found:?}"
    );
}

const PLAN: &str = "20250320090000"; // 1表 + 2表 + 3表 + 補足(000000)
const USE: &str = "20250325090000"; // 第6表 + 第7表 + 補足(202504)
const ACTUAL: &str = "20250503100000"; // 実績
const PREVENTIVE: &str = "20250321090000"; // 基本情報 + 別表 + 支援計画書 + 別表

#[test]
fn unchanged_units_are_clean() {
    for serial in [PLAN, USE, ACTUAL, PREVENTIVE] {
        let found: Vec<String> = codes(&unit(serial))
            .into_iter()
            .filter(|c| !c.starts_with('I'))
            .collect();
        assert!(found.is_empty(), "{serial}: {found:?}");
    }
}

#[test]
fn field_rules() {
    let cases: &[(&str, &str, usize, &str, &str, &str)] = &[
        (USE, "UPPLAN", 0, "service_date", "", "E-FLD-001"),
        (USE, "UPPLAN", 0, "planner_name", "", "W-FLD-001"),
        (USE, "UPPLAN", 0, "service_count", "123", "E-FLD-002"),
        (USE, "UPSIKYU", 0, "service_units", "1234567", "W-FLD-002"),
        (USE, "UPPLAN", 0, "start_time", "2500", "E-FLD-003"),
        (USE, "UPPLAN", 0, "over_30_days", "2", "E-FLD-004"),
        (USE, "UPPLAN", 8, "tais_code", "00001－000010", "W-FLD-005"),
        (USE, "UPPLAN", 0, "identifier", "x", "W-FLD-006"),
        (
            PLAN,
            "UP1KYO",
            0,
            "certification_end",
            "20240101",
            "W-FLD-007",
        ),
        (USE, "UPPLAN", 0, "insured_number", "H12345678", "E-FLD-003"),
        (
            USE,
            "UPPLAN",
            0,
            "insured_number",
            "H1234567890",
            "E-FLD-002",
        ),
        (USE, "UPSIKYU", 0, "unit_price", "11.4", "E-FLD-003"),
        (PLAN, "UP1KYO", 0, "postal_code", "6830001", "E-FLD-003"),
    ];
    for (serial, prefix, index, key, value, code) in cases {
        let mut files = unit(serial);
        set(&mut files, prefix, *index, key, value);
        assert_code(&files, code);
    }
}

#[test]
fn month_version_and_supplement_rules() {
    let mut f = unit(USE);
    push_copy(&mut f, "UPPLAN", 0, "target_month", "202505");
    assert_code(&f, "E-MON-001");
    assert_code(&f, "E-MON-002");

    let mut f = unit(USE);
    set(&mut f, "UPPLAN", 1, "csv_version", "202208");
    assert_code(&f, "E-VER-003");

    let mut f = unit(USE);
    set(&mut f, "UPHOSOKU", 0, "plan_date", "20250320");
    assert_code(&f, "E-HSK-003");

    let mut f = unit(PLAN);
    set(&mut f, "UPHOSOKU", 0, "plan_date", "00000000");
    assert_code(&f, "E-HSK-002");

    let mut f = unit(PLAN);
    set(&mut f, "UPHOSOKU", 0, "target_month", "202504");
    assert_code(&f, "E-HSK-001");
}

#[test]
fn version_rules() {
    // 202504 (4.0) is read as v4 with a warning; 3表 does not exist in v3.
    let mut f = unit(PLAN);
    for prefix in ["UP1KYO", "UP2KYO", "UP3KYO", "UPHOSOKU"] {
        let n = if prefix == "UP2KYO" { 4 } else { 1 };
        for i in 0..n {
            set(&mut f, prefix, i, "csv_version", "202504");
        }
    }
    assert_code(&f, "W-VER-002");
    let mut f = unit(PLAN);
    for i in 0..4 {
        set(&mut f, "UP3KYO", i, "csv_version", "202208");
    }
    assert_code(&f, "E-VER-004");
    // A v4 file name with v3 data.
    let mut f = unit(USE);
    set_version(&mut f, "UPSIKYU", "202208");
    let codes = codes(&f);
    assert!(codes.contains(&"E-REC-001".into()), "{codes:?}");
    assert!(codes.contains(&"W-VER-005".into()), "{codes:?}");
}

#[test]
fn service_line_rules() {
    let cases: &[(&str, usize, &str, &str, &str)] = &[
        ("UPPLAN", 0, "service_date", "20250501", "E-SCH-001"),
        ("UPPLAN", 8, "tais_code", "", "E-SCH-002"),
        ("UPPLAN", 0, "service_code", "331111", "W-SCH-003"),
        (
            "UPPLAN",
            8,
            "daily_rate_days",
            "1111111111111111111111111111111",
            "W-SCH-004",
        ),
        ("UPPLAN", 0, "detail_no", "1", "W-SCH-005"),
        ("UPPLAN", 0, "end_time", "9999", "W-SCH-006"),
    ];
    for (prefix, index, key, value, code) in cases {
        let mut files = unit(USE);
        set(&mut files, prefix, *index, key, value);
        assert_code(&files, code);
    }
    let mut f = unit(ACTUAL);
    set(&mut f, "UPJSK", 0, "provider_code", "3100000999");
    assert_code(&f, "W-SCH-007");
}

#[test]
fn annex_rules() {
    // Record 4 (index 4) is the 999999 total; index 2 the 11AAAA subtotal.
    let cases: &[(usize, &str, &str, &str)] = &[
        (4, "service_code", "171007", "E-ANX-001"),
        (4, "provider_code", "3100000101", "E-ANX-003"),
        (4, "units", "1", "E-ANX-004"),
        (2, "discount_rate", "95", "E-ANX-005"),
        (2, "service_code", "111111", "E-ANX-006"),
        (2, "service_code", "15AAAA", "W-ANX-007"),
        (3, "tais_code", "", "E-SCH-002"),
        (0, "office_code", "1234567890", "E-FLD-003"),
    ];
    for (index, key, value, code) in cases {
        let mut files = unit(USE);
        set(&mut files, "UPSIKYU", *index, key, value);
        assert_code(&files, code);
    }
    let mut f = unit(USE);
    push_copy(&mut f, "UPSIKYU", 4, "service_code", "999999");
    assert_code(&f, "E-ANX-002");
}

#[test]
fn hierarchy_and_weekly_rules() {
    // 2表: record 4 (index 3) is 課題2; making it 課題1/目標1/内容1 duplicates record 1.
    let mut f = unit(PLAN);
    set(&mut f, "UP2KYO", 3, "issue_no", "1");
    assert_code(&f, "E-PL2-001");
    assert_code(&f, "W-PL2-002");
    let mut f = unit(PLAN);
    set(&mut f, "UP2KYO", 1, "goal_no", "");
    set(&mut f, "UP2KYO", 1, "issue_no", "");
    assert_code(&f, "I-PL2-003");
    let mut f = unit(PLAN);
    set(&mut f, "UP3KYO", 0, "daily_activity", "起床");
    assert_code(&f, "W-PL3-001");
    let mut f = unit(PREVENTIVE);
    set(&mut f, "UPYOBO_SUB", 1, "service_no", "1");
    assert_code(&f, "W-YSB-001");
}

#[test]
fn send_unit_rules() {
    let rename = |f: &mut Files, prefix: &str, from: &str, to: &str| {
        let e = f.iter_mut().find(|(n, _)| n.starts_with(prefix)).unwrap();
        e.0 = e.0.replace(from, to);
    };
    // A 2表 alone, a second 2表 in the same unit, a 別表 without its parent.
    let f: Files = unit(PLAN)
        .into_iter()
        .filter(|(n, _)| n.starts_with("UP2KYO"))
        .collect();
    assert_code(&f, "E-UNT-001");
    let mut f = unit(USE);
    let mut second = f
        .iter()
        .find(|(n, _)| n.starts_with("UPPLAN"))
        .unwrap()
        .clone();
    second.0 = second.0.replace("UPPLAN_202504", "UPPLAN_202505");
    f.push(second);
    assert_code(&f, "E-UNT-002");
    let f: Files = unit(PREVENTIVE)
        .into_iter()
        .filter(|(n, _)| !n.starts_with("UPKIHON_3"))
        .collect();
    assert_code(&f, "E-UNT-003");
    let mut f = unit(USE);
    rename(&mut f, "UPHOSOKU", "UPHOSOKU_202504", "UPHOSOKU_202505");
    set(&mut f, "UPHOSOKU", 0, "target_month", "202505");
    assert_code(&f, "E-UNT-004");
    // Records that do not link: a 7表 user without a 6表, a 2表 plan without a 1表.
    let mut f = unit(USE);
    set(&mut f, "UPSIKYU", 0, "insured_number", "0000099999");
    assert_code(&f, "E-UNT-005");
    let mut f = unit(PLAN);
    set(&mut f, "UP1KYO", 0, "plan_date", "20250321");
    assert_code(&f, "E-UNT-005");
    let mut f = unit(USE);
    set(&mut f, "UPHOSOKU", 0, "insured_number", "0000099999");
    assert_code(&f, "W-UNT-006");
    // A 予定 sent by a service office; a unit to itself; a v4 plan unit without 3表.
    let mut f = unit(USE);
    for (n, _) in &mut f {
        *n = n.replace("3100000001_43", "3100000001_15");
    }
    assert_code(&f, "W-UNT-007");
    let mut f = unit(USE);
    for (n, _) in &mut f {
        *n = n.replace("_3100000101_11_", "_3100000001_11_");
    }
    assert_code(&f, "W-UNT-008");
    let f: Files = unit(PLAN)
        .into_iter()
        .filter(|(n, _)| !n.starts_with("UP3KYO"))
        .collect();
    assert_code(&f, "W-UNT-010");
    let mut f = unit(USE);
    set_version(&mut f, "UPSIKYU", "202208");
    assert_code(&f, "W-UNT-009");
}

#[test]
fn name_and_image_rules() {
    let f = vec![(
        "UPKIHON_IMAGE_3100000201_46_3100000301_A2_20250321090000_0001.JPG".to_string(),
        b"not a jpeg".to_vec(),
    )];
    assert_code(&f, "E-IMG-001");
    let mut f = unit(ACTUAL);
    f[0].0 = f[0].0.replace("_11_3100000001_43_", "_110_3100000001_430_");
    assert_code(&f, "W-NAME-010");
    let mut f = unit(ACTUAL);
    f[0].0 = f[0].0.replace("20250503100000", "20250503106100");
    assert_code(&f, "W-NAME-011");
    let f = vec![(unit(ACTUAL)[0].0.clone(), Vec::new())];
    assert_code(&f, "W-CSV-002");
    let mut f = unit(ACTUAL);
    let mut with_header = b"CSV,HEADER\r\n".to_vec();
    with_header.extend_from_slice(&f[0].1);
    f[0].1 = with_header;
    assert_code(&f, "W-CSV-001");
}

#[test]
fn repeated_findings_are_summarised() {
    let mut f = unit(USE);
    for _ in 0..30 {
        push_copy(&mut f, "UPPLAN", 0, "start_time", "2500");
    }
    let (_, report) = check_all(&f);
    let plan = report
        .files
        .iter()
        .find(|r| r.file.starts_with("UPPLAN"))
        .unwrap();
    assert_eq!(
        plan.findings
            .iter()
            .filter(|x| x.code == "E-FLD-003")
            .count(),
        20
    );
    assert!(
        plan.findings
            .iter()
            .any(|x| x.code == "I-CHK-001" && x.message.contains("10 件"))
    );
}
