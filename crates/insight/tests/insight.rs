//! The whole pipeline on the synthetic city, and no-panic properties of every parser.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use tsunagu_insight::adoption::{self, Snapshot, StatusSource};
use tsunagu_insight::areas::{self, AreaTable, MatchMethod};
use tsunagu_insight::categories::CategorySet;
use tsunagu_insight::effect::{self, EffectParams};
use tsunagu_insight::offices::{OfficeMaster, parse_open_data};
use tsunagu_insight::report_csv;
use tsunagu_insight::sample;
use tsunagu_insight::survey::{self, Survey};
use tsunagu_insight::timestudy::{self, GroupBy, Level, NightHours, Phase, Shift, Unit};
use tsunagu_insight::{Day, address, exchange, input};

struct City {
    sample: sample::SampleCity,
    master: OfficeMaster,
    table: AreaTable,
    assignments: areas::Assignments,
}

fn load(seed: u64) -> City {
    let sample = sample::city(seed);
    let files: Vec<_> = sample
        .open_data()
        .into_iter()
        .map(|(n, b)| parse_open_data(n, b).unwrap())
        .collect();
    let master = OfficeMaster::build(&files, &[sample.municipality]);
    let table = AreaTable::parse("areas.csv", sample.file("areas.csv").unwrap()).unwrap();
    assert!(!table.has_errors(), "{:?}", table.issues);
    let (overrides, issues) = areas::parse_overrides(
        "overrides.csv",
        sample.file("overrides.csv").unwrap(),
        &table,
    )
    .unwrap();
    assert!(issues.is_empty());
    let assignments = areas::assign(&master.offices, &table, &overrides);
    City {
        sample,
        master,
        table,
        assignments,
    }
}

#[test]
fn sample_city_offices_and_areas() {
    let c = load(1);
    assert_eq!(c.master.offices.len(), 148);
    assert!(
        c.master.offices.iter().all(|o| o.city == sample::CITY),
        "the neighbour is filtered out"
    );
    assert!(c.master.offices.iter().all(|o| o.name.contains("見本")));
    assert!((8..=11).contains(&c.table.areas.len()));
    assert!((8..=11).contains(&c.table.centers().len()));
    let methods = c.assignments.method_counts();
    for m in [
        MatchMethod::Exact,
        MatchMethod::Normalized,
        MatchMethod::Prefix,
        MatchMethod::Override,
        MatchMethod::Unmatched,
    ] {
        assert!(
            methods.get(&m).copied().unwrap_or(0) > 0,
            "{m:?} in {methods:?}"
        );
    }
    // Only the unlisted 新開地 is unmatched; one of them was overridden.
    for a in c.assignments.unmatched() {
        let o = c.master.get(&a.office).unwrap();
        assert!(o.address.contains("新開地"), "{}", o.address);
    }
    assert!(c.master.issues.iter().any(|e| e.code == "E-INS-OD-GEO"));
    let t = report_csv::offices_table(&c.master, &c.assignments, &c.table);
    assert_eq!(t.rows.len(), 148);
    assert!(t.to_excel_csv().starts_with(b"\xEF\xBB\xBF"));
    // Same seed, same city.
    assert_eq!(sample::city(1).files, c.sample.files);
}

#[test]
fn sample_city_adoption_survey_and_outreach() {
    let c = load(2);
    let s: &Survey = &c.sample.survey;
    let [w1, w2] = sample::wave_days();
    let (jan, i1) = survey::parse_answers(
        s,
        "answers_2025-01.csv",
        c.sample.file("answers_2025-01.csv").unwrap(),
        &[],
    )
    .unwrap();
    let (jul, i2) = survey::parse_answers(
        s,
        "answers_2025-07.csv",
        c.sample.file("answers_2025-07.csv").unwrap(),
        &[],
    )
    .unwrap();
    assert!(i1.is_empty() && i2.is_empty(), "{i1:?} {i2:?}");
    assert!(jan.len() > 100 && jul.len() > 100);
    let mut obs = survey::adoption_observations(s, &jan, w1);
    obs.extend(survey::adoption_observations(s, &jul, w2));
    let (list, issues) = adoption::parse_status_list(
        "status_list.csv",
        c.sample.file("status_list.csv").unwrap(),
        w1,
    )
    .unwrap();
    assert!(issues.is_empty());
    assert!(list.iter().all(|o| o.source == StatusSource::List));
    obs.extend(list);
    let s1 = Snapshot::at(w1, &obs);
    let s2 = Snapshot::at(w2, &obs);
    let report =
        adoption::adoption_by_area(&c.master.offices, &c.table, &c.assignments, &s2, Some(&s1));
    assert!(report.total.rate.part > report.total.previous.unwrap().part);
    let sum: u32 = report.rows.iter().map(|r| r.offices).sum();
    assert_eq!(sum, report.total.offices);
    assert!(!adoption::departures(&s1, &s2).is_empty());

    let results = survey::survey_results(s, &jul, &c.master.offices, &c.table, &c.assignments);
    let total = results.groups.last().unwrap();
    let h1: u32 = total.questions[0].choices.iter().map(|c| c.count).sum();
    assert_eq!(h1, total.questions[0].answered);
    assert!(results.outside.is_empty());

    let (edges, ei) =
        exchange::parse_edges("edges.csv", c.sample.file("edges.csv").unwrap()).unwrap();
    let (partners, pi) =
        exchange::parse_partners("partners.csv", c.sample.file("partners.csv").unwrap()).unwrap();
    assert!(ei.is_empty() && pi.is_empty());
    assert_eq!(edges, c.sample.edges);
    let lists = adoption::outreach(
        &c.master.offices,
        &c.table,
        &c.assignments,
        &s2,
        &edges,
        &partners,
    );
    assert!(!lists.is_empty());
    for l in &lists {
        for w in l.entries.windows(2) {
            assert!(w[0].adopted_partners >= w[1].adopted_partners);
        }
    }
    let top = &lists[0].entries[0];
    assert!(top.rank == 1 && top.adopted_partners > 0);

    let e = effect::effect(&c.master.offices, &edges, &EffectParams::default());
    assert_eq!(e.per_month.len(), 3);
    assert!(e.per_month.iter().all(|m| m.saving.total_yen() > 0.0));
    assert!(e.unknown_offices.is_empty());
    for t in [
        report_csv::adoption_table(&report),
        report_csv::outreach_table(&lists),
        report_csv::effect_month_table(&e),
        report_csv::assumptions_table(&e),
    ] {
        let bytes = t.to_excel_csv();
        let back = input::CsvTable::parse("x.csv", &bytes).unwrap();
        assert_eq!(back.encoding, input::TextEncoding::Utf8Bom);
        assert_eq!(back.rows.len(), t.rows.len());
    }
}

#[test]
fn sample_city_time_studies() {
    let c = load(3);
    let set = CategorySet::center();
    let (recs, issues) = timestudy::parse_records(
        "timestudy_center.csv",
        c.sample.file("timestudy_center.csv").unwrap(),
        &set,
        Phase::Single,
    )
    .unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    let rows = timestudy::composition(&recs, &set, GroupBy::All, NightHours::default(), None);
    let all = rows.iter().find(|r| r.shift == Shift::All).unwrap();
    let clerical = all
        .groups
        .iter()
        .find(|g| g.code == "S")
        .unwrap()
        .percent
        .unwrap();
    assert!((45.0..75.0).contains(&clerical), "clerical {clerical}");
    let per_center =
        timestudy::composition(&recs, &set, GroupBy::Center, NightHours::default(), None);
    assert_eq!(
        per_center.iter().filter(|r| r.shift == Shift::All).count(),
        8
    );

    let cw = CategorySet::care_worker();
    let (recs, issues) = timestudy::parse_records(
        "cw.csv",
        c.sample.file("timestudy_care_worker.csv").unwrap(),
        &cw,
        Phase::Single,
    )
    .unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    let rows = timestudy::composition(&recs, &cw, GroupBy::Person, NightHours::default(), None);
    assert!(
        rows.iter()
            .any(|r| r.key == "K04" && r.shift == Shift::Night && r.total_minutes > 0)
    );
    assert!(
        !rows
            .iter()
            .any(|r| r.key == "K01" && r.shift == Shift::Night && r.total_minutes > 0)
    );

    let ex = CategorySet::exchange();
    let (recs, issues) = timestudy::parse_records(
        "ex.csv",
        c.sample.file("timestudy_exchange.csv").unwrap(),
        &ex,
        Phase::Single,
    )
    .unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    let cmp = timestudy::compare(&recs, &ex, Level::Category, Unit::PerPerson);
    let fax = cmp.iter().find(|c| c.code == "fax").unwrap();
    assert_eq!((fax.before.n, fax.after.n), (12, 12));
    assert!(fax.mean_change.unwrap() < 0.0);
    let p = EffectParams::default().with_city_study(&recs);
    assert_eq!(p.fax_minutes.basis, effect::Basis::CityStudy);
    assert!(p.sender_minutes() > 0.0);
    let t = report_csv::comparison_table(&cmp);
    assert_eq!(t.rows.len(), ex.categories.len());
}

#[test]
fn areas_tables_serialize_for_the_dashboard() {
    let c = load(4);
    let json = serde_json::to_string(&c.assignments).unwrap();
    assert!(json.contains("\"method\":\"Override\""));
    let json = serde_json::to_string(&c.master.offices[0]).unwrap();
    assert!(json.contains("\"number\":\"997"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in "\\PC{0,120}") {
        let set = CategorySet::exchange();
        let s = Survey::builtin("p", "p");
        let day = Day::new(2025, 1, 1).unwrap();
        for b in [bytes.as_slice(), text.as_bytes()] {
            let _ = parse_open_data("p.csv", b);
            let _ = AreaTable::parse("p.csv", b);
            let _ = survey::parse_answers(&s, "p.csv", b, &[]);
            let _ = survey::parse_tokens("p.csv", b);
            let _ = timestudy::parse_records("p.csv", b, &set, Phase::Single);
            let _ = exchange::parse_edges("p.csv", b);
            let _ = exchange::parse_partners("p.csv", b);
            let _ = adoption::parse_status_list("p.csv", b, day);
        }
        let _ = address::normalize(&text);
        let _ = address::town_part(&text, Some("鳥取県"), &["米子市"]);
        let _ = Day::parse(&text);
        let _ = timestudy::parse_clock(&text);
        let _ = tsunagu_insight::MunicipalityCode::parse(&text);
    }

    #[test]
    fn csv_shaped_input_never_panics(rows in proptest::collection::vec(proptest::collection::vec("[0-9A-Za-z ,\"時分本町丁目一二三－\\-:/]{0,12}", 0..6), 0..6)) {
        let body: String = rows.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\r\n");
        let set = CategorySet::care_worker();
        for header in [
            "圏域コード,圏域名,地域包括支援センター,町丁目",
            "対象者ID,日付,開始,終了,分,業務,時期,件数",
            "事業所番号,H1,R1,タイムスタンプ",
            "月,送信元事業所番号,送信先事業所番号,件数",
        ] {
            let text = format!("{header}\r\n{body}");
            if let Ok(t) = AreaTable::parse("a.csv", text.as_bytes()) {
                let _ = t.match_address(&body, "県", "市");
            }
            let _ = timestudy::parse_records("t.csv", text.as_bytes(), &set, Phase::Before);
            let _ = survey::parse_answers(&Survey::builtin("p", "p"), "s.csv", text.as_bytes(), &[]);
            let _ = exchange::parse_edges("e.csv", text.as_bytes());
        }
    }

    #[test]
    fn normalisation_is_idempotent(s in "[0-9０-９一二三十本西町丁目番地号大字の\\- ー－]{0,20}") {
        let once = address::normalize(&s);
        prop_assert_eq!(address::normalize(&once), once.clone());
    }
}

/// Inputs the fuzzer once crashed on (tests/fuzz-regressions), replayed as the `insight_survey`
/// fuzz target feeds them.
#[test]
fn fuzz_regressions_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let survey = tsunagu_insight::survey::Survey::builtin("h1", "導入状況");
        let _ = tsunagu_insight::survey::parse_answers(&survey, "answers.csv", &data, &[]);
        let _ = tsunagu_insight::timestudy::parse_records(
            "timestudy.csv",
            &data,
            &tsunagu_insight::categories::CategorySet::exchange(),
            tsunagu_insight::timestudy::Phase::Single,
        );
    }
}
