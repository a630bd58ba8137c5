//! Fixture files (tests/fixtures, made by make_fixtures.py from the spec): valid ones check clean,
//! each broken one shows exactly the problem it was made with.

use std::path::{Path, PathBuf};

use tsunagu_standard::check::check_all;
use tsunagu_standard::{Document, FileKind, LayoutVersion, Severity, read, write_csv};

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir(dir))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn valid_fixtures_have_no_errors_or_warnings() {
    let files = load("valid");
    assert_eq!(files.len(), 19);
    let (docs, report) = check_all(&files);
    let problems: Vec<String> = report
        .findings()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.display(tsunagu_standard::Lang::Ja).to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(docs.len(), 19);
    // Every §2.4 combination present in the fixtures forms one send unit.
    assert_eq!(report.units.len(), 8);
}

#[test]
fn v3_and_v4_files_side_by_side() {
    let files = load("valid");
    let (docs, _) = check_all(&files);
    let version = |prefix: &str| {
        docs.iter()
            .filter_map(Document::as_csv)
            .find(|c| c.file_name.starts_with(prefix))
            .map(|c| (c.version(), c.layout.fields.len()))
            .unwrap()
    };
    assert_eq!(version("UPPLAN_202503"), (LayoutVersion::V3, 22));
    assert_eq!(version("UPPLAN_202504"), (LayoutVersion::V4, 25));
    assert_eq!(version("UPSIKYU_202503"), (LayoutVersion::V3, 34));
    assert_eq!(version("UPSIKYU_202504"), (LayoutVersion::V4, 37));
}

#[test]
fn extension_characters_half_width_kana_and_multiline_text_are_read() {
    let files = load("valid");
    let (docs, _) = check_all(&files);
    let csv = |prefix: &str| {
        docs.iter()
            .filter_map(Document::as_csv)
            .find(|c| c.file_name.starts_with(prefix))
            .unwrap()
    };
    let hosoku = csv("UPHOSOKU_000000");
    let r = &hosoku.records[0];
    assert_eq!(hosoku.get(r, "name"), "髙橋　﨑子");
    assert_eq!(hosoku.get(r, "name_kana"), "ﾀｶﾊｼ ｻｷｺ");
    assert_eq!(hosoku.get(r, "address2"), "①号棟");
    let p1 = csv("UP1KYO");
    let text = p1.get(&p1.records[0], "assessment_result");
    assert!(text.contains("\r\n") && text.contains('、') && text.contains("「自宅で暮らしたい」"));
    let p2 = csv("UP2KYO");
    assert_eq!(
        p2.get(&p2.records[0], "service_content"),
        "入浴介助、\"声かけ\"を含む"
    );
    let annex = csv("UPSIKYU_202504");
    assert_eq!(annex.get(&annex.records[1], "units"), "-30");
}

#[test]
fn canonical_files_write_back_byte_identical() {
    for (name, bytes) in load("valid") {
        let Some(Document::Csv(file)) = read(&name, &bytes).document else {
            panic!("{name}")
        };
        let written = write_csv(file.layout, file.records.iter().map(|r| &r.fields)).unwrap();
        if file.canonical {
            assert_eq!(written, bytes, "{name}");
        } else {
            // Not canonical (`""` for empty text): written back, it reads to the same records.
            let Some(Document::Csv(again)) = read(&name, &written).document else {
                panic!()
            };
            assert_eq!(
                again.records.iter().map(|r| &r.fields).collect::<Vec<_>>(),
                file.records.iter().map(|r| &r.fields).collect::<Vec<_>>()
            );
            assert!(again.canonical, "{name}");
        }
    }
}

#[test]
fn json_form_round_trips_to_identical_bytes() {
    use tsunagu_standard::json_form;
    for (name, bytes) in load("valid") {
        let Some(Document::Csv(file)) = read(&name, &bytes).document else {
            continue;
        };
        let doc = json_form::to_json(&file);
        let text = serde_json::to_string(&doc).unwrap();
        let back = json_form::parse(&text).unwrap();
        let (back_name, back_bytes) = json_form::from_json(&back).unwrap();
        assert_eq!(back_name, name);
        if file.canonical {
            assert_eq!(back_bytes, bytes, "{name}");
        }
    }
}

#[test]
fn json_form_refuses_unknown_keys_and_kinds() {
    use tsunagu_standard::json_form;
    let (name, bytes) = load("valid")
        .into_iter()
        .find(|(n, _)| n.starts_with("DLTPLAN"))
        .unwrap();
    let Some(Document::Csv(file)) = read(&name, &bytes).document else {
        panic!()
    };
    let mut doc = json_form::to_json(&file);
    doc.records[0].insert("no_such_field".into(), "x".into());
    assert!(matches!(
        json_form::from_json(&doc),
        Err(json_form::JsonFormError::UnknownKey { record: 1, .. })
    ));
    let mut doc = json_form::to_json(&file);
    doc.kind = "UPPLAN".into();
    assert!(matches!(
        json_form::from_json(&doc),
        Err(json_form::JsonFormError::Kind(_))
    ));
}

#[test]
fn each_broken_fixture_shows_its_problem() {
    let expected: &[(&str, &str, Option<u64>)] = &[
        ("20250401000001", "E-ENC-001", Some(2)),
        ("20250401000002", "W-ENC-002", None),
        ("20250401000003", "E-REC-001", Some(1)),
        ("20250401000004", "E-FLD-003", Some(1)),
        ("20250401000005", "E-MON-001", Some(1)),
        ("20250401000006", "E-SCH-002", Some(1)),
        ("20250401000007", "E-ANX-001", Some(1)),
        ("20250401000008", "E-PL2-001", Some(2)),
        ("20250401000009", "E-HSK-001", Some(1)),
        ("20250401000010", "E-VER-001", None),
        ("20250401000011", "E-VER-003", Some(2)),
        ("20250401000012", "E-ENC-003", Some(1)),
        ("20250401000013", "E-NAME-005", None),
        ("20250401000014", "E-FLD-003", Some(1)),
        ("20250401000015", "I-CSV-003", None),
    ];
    let files = load("broken");
    let (_, report) = check_all(&files);
    for (serial, code, line) in expected {
        let file = report
            .files
            .iter()
            .find(|f| f.file.contains(serial))
            .unwrap();
        let found = file.findings.iter().find(|f| f.code == *code);
        let Some(found) = found else {
            panic!("{serial}: expected {code}, got {:#?}", file.findings)
        };
        assert_eq!(found.line, *line, "{serial} {code}");
        // Messages never quote field values (personal data): the offending value isn't in them.
        assert!(!found.message.contains("20250431") && !found.message.contains("0000012345"));
        let unexpected: Vec<&str> = file
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.code != *code && f.code != "E-SCH-001")
            .map(|f| f.code.as_str())
            .collect();
        assert!(unexpected.is_empty(), "{serial}: {unexpected:?}");
    }
    // A lone file is not a send unit of the standard.
    assert!(
        report
            .units
            .iter()
            .all(|u| u.findings.iter().any(|f| f.code == "E-UNT-001"))
    );
}

#[test]
fn send_unit_rules() {
    let files = load("valid");
    let mut unit: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|(n, _)| n.contains("20250325090000"))
        .collect();
    assert_eq!(unit.len(), 3);
    let codes = |files: &[(String, Vec<u8>)]| -> Vec<String> {
        check_all(files)
            .1
            .units
            .iter()
            .flat_map(|u| u.findings.iter().map(|f| f.code.clone()))
            .collect()
    };
    assert!(codes(&unit).is_empty());
    // Without the 第7表 the combination is not one of the standard's.
    let without_annex: Vec<_> = unit
        .iter()
        .filter(|(n, _)| !n.starts_with("UPSIKYU"))
        .cloned()
        .collect();
    assert_eq!(codes(&without_annex), vec!["E-UNT-001"]);
    // The 補足 of a 利用票 unit carries the same month.
    let idx = unit
        .iter()
        .position(|(n, _)| n.starts_with("UPHOSOKU"))
        .unwrap();
    unit[idx].0 = unit[idx].0.replace("UPHOSOKU_202504", "UPHOSOKU_202505");
    assert!(codes(&unit).contains(&"E-UNT-004".to_string()));
    let kinds: Vec<FileKind> = check_all(&unit).0.iter().map(|d| d.name().kind).collect();
    assert!(kinds.contains(&FileKind::ServiceAnnex));
}
