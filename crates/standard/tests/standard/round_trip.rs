//! Property tests: any generated valid file survives write → read → write byte-identically, and
//! arbitrary bytes never panic the reader or the checker.

use proptest::prelude::*;
use tsunagu_standard::check::check_bytes;
use tsunagu_standard::layout::{self, Format, LayoutVersion, Requirement};
use tsunagu_standard::{Document, FileKind, read, write_csv};

/// Characters free text is made of: kanji, kana, NEC/IBM extensions, half-width kana, CSV
/// metacharacters and line breaks.
const TEXT_CHARS: &[char] = &[
    'あ', '山', '田', '介', '護', '①', '㈱', '髙', '﨑', 'ｱ', 'ﾊ', 'ﾟ', ',', '"', '\n', '\r', ' ',
    'a', '1', '～', '―', '￥',
];

fn value(format: Format) -> BoxedStrategy<String> {
    let digits = |n: usize| {
        proptest::collection::vec(0u8..10, n)
            .prop_map(|v| v.iter().map(|d| char::from(b'0' + d)).collect::<String>())
    };
    let date =
        (1940u16..2030, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}"));
    let month = (1990u16..2030, 1u8..=12).prop_map(|(y, m)| format!("{y:04}{m:02}"));
    let time = (0u8..24, 0u8..60).prop_map(|(h, m)| format!("{h:02}{m:02}"));
    match format {
        Format::CsvVersion => Just("202407".to_string()).boxed(),
        Format::InsurerNumber => digits(6).boxed(),
        Format::InsuredNumber => {
            prop_oneof![digits(10), digits(9).prop_map(|d| format!("H{d}"))].boxed()
        }
        Format::OfficeNumber | Format::OfficeNumberOrAllNines | Format::Plain => digits(10).boxed(),
        Format::AllNines => Just("9999999999".to_string()).boxed(),
        Format::Date | Format::DateOrZeros => date.boxed(),
        Format::YearMonth | Format::YearMonthOrZeros => month.boxed(),
        Format::Time | Format::TimeOrNone => time.boxed(),
        Format::PostalCode => (digits(3), digits(4))
            .prop_map(|(a, b)| format!("{a}-{b}"))
            .boxed(),
        Format::Phone => (digits(4), digits(4))
            .prop_map(|(a, b)| format!("0{a}-{b}"))
            .boxed(),
        Format::Integer => (-9999i32..99999).prop_map(|n| n.to_string()).boxed(),
        Format::Count => (0u32..99).prop_map(|n| n.to_string()).boxed(),
        Format::Decimal2 => (10u32..12, 0u32..100)
            .prop_map(|(i, f)| format!("{i}.{f:02}"))
            .boxed(),
        Format::SequenceNo => (1u8..=99).prop_map(|n| n.to_string()).boxed(),
        Format::FreeText => proptest::collection::vec(proptest::sample::select(TEXT_CHARS), 1..12)
            .prop_map(|v| v.into_iter().collect::<String>())
            .boxed(),
        Format::Code(list) => proptest::sample::select(
            list.entries
                .iter()
                .map(|(c, _)| c.to_string())
                .collect::<Vec<_>>(),
        )
        .boxed(),
        Format::ServiceCode | Format::AnnexServiceCode => {
            digits(6).prop_map(|d| format!("11{}", &d[2..])).boxed()
        }
        Format::ServiceKind => Just("11".to_string()).boxed(),
        Format::EquipmentCode => (digits(5), digits(6))
            .prop_map(|(a, b)| format!("{a}-{b}"))
            .boxed(),
        Format::DayFlags => proptest::collection::vec(proptest::bool::ANY, 31)
            .prop_map(|v| {
                v.into_iter()
                    .map(|b| if b { '1' } else { '0' })
                    .collect::<String>()
            })
            .boxed(),
        Format::Unused => Just(String::new()).boxed(),
    }
}

fn records_for(kind: FileKind, version: LayoutVersion) -> BoxedStrategy<Vec<Vec<String>>> {
    let layout = layout::layout(kind, version).unwrap();
    let fields: Vec<BoxedStrategy<String>> = layout
        .fields
        .iter()
        .map(|f| {
            let v = value(f.format);
            if f.requirement == Requirement::Optional {
                prop_oneof![1 => Just(String::new()), 3 => v].boxed()
            } else {
                v
            }
        })
        .collect();
    proptest::collection::vec(fields, 1..6).boxed()
}

fn any_layout() -> impl Strategy<Value = (FileKind, LayoutVersion)> {
    let all: Vec<(FileKind, LayoutVersion)> = FileKind::ALL
        .iter()
        .flat_map(|k| [(*k, LayoutVersion::V4), (*k, LayoutVersion::V3)])
        .filter(|(k, v)| layout::layout(*k, *v).is_some())
        .collect();
    proptest::sample::select(all)
}

fn file_name(kind: FileKind, version: LayoutVersion) -> String {
    let month = if kind.has_month() {
        if kind == FileKind::UserSupplement {
            "_000000"
        } else {
            "_202504"
        }
    } else {
        ""
    };
    let (sk, rk) = if version == LayoutVersion::V4 {
        ("_43", "_11")
    } else {
        ("", "")
    };
    format!(
        "{}{month}_3100000001{sk}_3100000101{rk}_20250401090000.CSV",
        kind.prefix()
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn write_read_write_is_byte_identical(
        ((kind, version), records) in any_layout().prop_flat_map(|kv| (Just(kv), records_for(kv.0, kv.1)))
    ) {
        let layout = layout::layout(kind, version).unwrap();
        let mut records = records;
        if version == LayoutVersion::V3 {
            for r in &mut records { r[0] = "202208".into(); }
        }
        let bytes = write_csv(layout, &records).unwrap();
        let name = file_name(kind, version);
        let outcome = read(&name, &bytes);
        let Some(Document::Csv(file)) = outcome.document else { panic!("{:?}", outcome.findings) };
        prop_assert_eq!(file.layout.version, version);
        let read_back: Vec<Vec<String>> = file.records.iter().map(|r| r.fields.to_vec()).collect();
        // `～`, `―`, `￥` are CP932 already; nothing is substituted, so values come back as written.
        prop_assert_eq!(&read_back, &records);
        prop_assert!(file.canonical);
        let again = write_csv(layout, file.records.iter().map(|r| &r.fields)).unwrap();
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), kind in any_layout()) {
        let name = file_name(kind.0, kind.1);
        let _ = check_bytes(&name, &bytes);
    }

    #[test]
    fn csv_like_text_never_panics(
        lines in proptest::collection::vec(proptest::collection::vec("[0-9A-Z\",\r\n あ]{0,8}", 0..30), 0..20),
        kind in any_layout(),
    ) {
        let text: String = lines.iter().map(|l| format!("202407,{}\r\n", l.join(","))).collect();
        let name = file_name(kind.0, kind.1);
        let _ = check_bytes(&name, text.as_bytes());
        let _ = check_bytes(&name, &tsunagu_standard::encoding::encode_cp932(&text).unwrap_or_default());
    }

    #[test]
    fn file_names_never_panic(s in "[A-Z0-9_.a-z]{0,80}") {
        let _ = tsunagu_standard::StandardFileName::parse(&s);
    }
}

#[test]
fn substitutes_are_written_and_unmappable_refused() {
    let layout = layout::layout(FileKind::CarePlan1Delete, LayoutVersion::V4).unwrap();
    let l2 = layout::layout(FileKind::BasicInfoSchedule, LayoutVersion::V4).unwrap();
    let rec = vec![
        "202407".into(),
        "312017".into(),
        "0000012345".into(),
        "20250310".into(),
        "10時〜12時 −5 ¥100".into(),
        "".into(),
        "".into(),
    ];
    let bytes = write_csv(l2, [rec.clone()]).unwrap();
    let Some(Document::Csv(file)) = read(
        "UPKIHON_SUB1_3100000001_43_3100000101_11_20250401090000.CSV",
        &bytes,
    )
    .document
    else {
        panic!()
    };
    assert_eq!(&file.records[0].fields[4], "10時～12時 －5 ￥100");
    let mut bad = rec;
    bad[5] = "吉田𠮷".into();
    let err = write_csv(l2, [bad]).unwrap_err();
    assert_eq!(err.code(), "E-WRT-002");
    assert!(err.to_string().contains("項目6「本人の生活状況」"), "{err}");
    assert!(err.to_string().contains("U+20BB7"));
    let short = write_csv(layout, [vec!["202407".to_string()]]).unwrap_err();
    assert_eq!(short.code(), "E-WRT-001");
}

/// Inputs the fuzzer once crashed on (tests/fixtures/fuzz), replayed the way the
/// `standard_read` fuzz target builds them.
#[test]
fn fuzz_regressions_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let Some((&selector, body)) = data.split_first() else {
            continue;
        };
        let kind = FileKind::ALL[usize::from(selector) % FileKind::ALL.len()];
        let month = if kind.has_month() { "_202504" } else { "" };
        let (sk, rk) = if selector & 0x80 == 0 {
            ("_43", "_11")
        } else {
            ("", "")
        };
        let ext = if kind.is_image() { "_0001.jpg" } else { ".CSV" };
        let name = format!(
            "{}{month}_3100000001{sk}_3100000101{rk}_20250401090000{ext}",
            kind.prefix()
        );
        let half = body.len() / 2;
        let other = format!("UPHOSOKU{month}_3100000001{sk}_3100000101{rk}_20250401090000.CSV");
        let _ = tsunagu_standard::check::check_all(&[
            (name.as_str(), &body[..half]),
            (other.as_str(), &body[half..]),
        ]);
    }
}
