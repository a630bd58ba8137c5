//! Forms tests: synthetic files built with the typed records and read back, rendered, and
//! checked for structure.

use super::*;
use crate::layout::{
    self, BasicInfo, BasicInfoHistory, BasicInfoSchedule, CarePlan1, CarePlan1Delete, CarePlan2,
    CarePlan3, LayoutVersion, PreventivePlan, PreventivePlanSupport, ServiceAnnex, ServiceLine,
    ServiceScheduleDelete,
};
use crate::{StandardFileName, read, write_csv};

const INSURER: &str = "131011";
const INSURED: &str = "0000100001";
const CM: &str = "1310100001";
const HELPER: &str = "1310200002";

/// A document from typed records, written canonically and read back.
pub(crate) fn doc<T: TypedRecord>(name: &str, records: &[T]) -> Document {
    let parsed = StandardFileName::parse(name).expect("test file name");
    let layout = layout::layout(parsed.kind, LayoutVersion::V4).expect("layout");
    let rows: Vec<Vec<String>> = records.iter().map(|r| r.to_fields(layout)).collect();
    let bytes = write_csv(layout, &rows).expect("write");
    read(name, &bytes).document.expect("read")
}

fn s(v: &str) -> String {
    v.to_string()
}

fn line(date: &str, start: &str, end: &str, code: &str) -> ServiceLine {
    ServiceLine {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        created_date: s("20250325"),
        target_month: date[..6].to_string(),
        planner_office: s(CM),
        planner_name: s("試験 ケアマネ"),
        units: s("396"),
        service_date: s(date),
        start_time: s(start),
        end_time: s(end),
        service_count: s("1"),
        service_code: s(code),
        provider_code: s(HELPER),
        provider_name: s("つなぐ訪問介護"),
        over_30_days: s("0"),
        ..Default::default()
    }
}

fn supplement(plan_date: &str, month: &str) -> UserSupplement {
    UserSupplement {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        plan_date: s(plan_date),
        name_kana: s("ｼｹﾝ ﾀﾛｳ"),
        name: s("試験 太郎"),
        sex: s("1"),
        birth_date: s("19400101"),
        certification_status: s("2"),
        care_level: s("21"),
        benefit_limit: s("16765"),
        limit1_service_kind: s("11"),
        limit1_limit: s("10000"),
        limit1_total_units: s("1584"),
        limit1_excess_units: s("0"),
        target_month: s(month),
        ..Default::default()
    }
}

fn planned(month: &str, lines: &[ServiceLine]) -> Document {
    doc(
        &format!("UPPLAN_{month}_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        lines,
    )
}

fn actual(month: &str, lines: &[ServiceLine]) -> Document {
    doc(
        &format!("UPJSK_{month}_{HELPER}_11_{CM}_43_20250501090000.CSV"),
        lines,
    )
}

/// The `<tr>`s of the first `<tbody>` that follows `marker`.
fn body_rows<'a>(html: &'a str, marker: &str) -> Vec<&'a str> {
    let start = html.find(marker).expect("marker");
    let rest = &html[start..];
    let b = rest.find("<tbody>").expect("tbody");
    let e = rest[b..].find("</tbody>").expect("end") + b;
    rest[b..e].split("<tr").skip(1).collect()
}

fn header_days(html: &str) -> usize {
    let start = html.find("<th>日付</th>").expect("date header");
    let row = &html[start..html[start..].find("</tr>").expect("row end") + start];
    row.matches("<th class=\"d").count()
}

#[test]
fn grid_has_one_column_per_day_of_the_month() {
    let may = planned("202505", &[line("20250502", "0900", "1000", "111211")]);
    let html = render_html(&[&may]);
    assert_eq!(header_days(&html), 31);
    let april = planned("202504", &[line("20250403", "0900", "1000", "111211")]);
    let html = render_html(&[&april]);
    assert_eq!(header_days(&html), 30);
    // 2025-04-01 is a Tuesday: weekday initials start with 火.
    let wd = html.find("<th>曜日</th>").expect("weekday row");
    let after = &html[wd..];
    assert!(
        after.starts_with("<th>曜日</th><th class=\"d \">火</th>"),
        "{}",
        &after[..80]
    );
    assert!(after.contains("<th class=\"d sat\">土</th>"));
    assert!(after.contains("<th class=\"d sun\">日</th>"));
}

/// Day cells of a grid row, as their texts.
fn day_cells(row: &str) -> Vec<String> {
    row.split("<td class=\"d")
        .skip(1)
        .map(|c| {
            let open = c.find('>').expect("cell") + 1;
            let close = c.find("</td>").expect("cell end");
            c[open..close].to_string()
        })
        .collect()
}

#[test]
fn planned_service_marks_its_day_and_actuals_share_the_line() {
    let lines = [
        line("20250403", "0900", "1000", "111211"),
        line("20250410", "0900", "1000", "111211"),
        line("20250405", "1400", "1500", "112111"),
    ];
    let plan = planned("202504", &lines);
    let done = actual("202504", &[line("20250403", "0900", "1000", "111211")]);
    let supp = doc(
        &format!("UPHOSOKU_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[supplement("00000000", "202504")],
    );
    let html = render_html(&[&plan, &done, &supp]);
    let rows = body_rows(&html, "月間サービス計画及び実績の記録");
    // Two lines × (予定, 実績).
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows[0].contains("9:00～10:00") && rows[0].contains("予定"));
    let plan_cells = day_cells(rows[0]);
    assert_eq!(plan_cells.len(), 30);
    assert_eq!(plan_cells[2], "1", "3日 has the mark");
    assert_eq!(plan_cells[9], "1");
    assert_eq!(plan_cells.iter().filter(|c| !c.is_empty()).count(), 2);
    assert!(rows[0].contains("<td class=\"total\">2</td>"));
    let actual_cells = day_cells(rows[1]);
    assert!(rows[1].contains("実績"));
    assert_eq!(actual_cells[2], "1");
    assert!(rows[1].contains("<td class=\"total\">1</td>"));
    // The 14:00 line comes second, with a 実績 row left empty.
    assert!(rows[2].contains("14:00～15:00"));
    assert_eq!(day_cells(rows[2])[4], "1");
    assert!(day_cells(rows[3]).iter().all(String::is_empty));
    // Header from the 補足: code meanings and 和暦.
    assert!(html.contains("要介護１"));
    assert!(html.contains("男性"));
    assert!(html.contains("昭和15年1月1日"));
    assert!(html.contains("令和7年4月分"));
    assert!(html.contains("試験 太郎"));
    // The 補足 was used by the grid, so it is not shown again field by field.
    assert!(!html.contains("利用者補足情報</div>"));
}

#[test]
fn newest_schedule_file_wins() {
    let old = planned("202504", &[line("20250403", "0900", "1000", "111211")]);
    let new = doc(
        &format!("UPPLAN_202504_{CM}_43_{HELPER}_11_20250328120000.CSV"),
        &[line("20250404", "0900", "1000", "111211")],
    );
    let html = render_html(&[&new, &old]);
    let rows = body_rows(&html, "月間サービス計画及び実績の記録");
    assert_eq!(rows.len(), 2);
    let cells = day_cells(rows[0]);
    assert_eq!(cells[2], "");
    assert_eq!(cells[3], "1");
    assert!(html.contains(
        "UPPLAN_202504_1310100001_43_1310200002_11_20250325120000.CSV）は表示していません"
    ));
}

fn annex(code: &str, units: &str, count: &str, service_units: &str) -> ServiceAnnex {
    ServiceAnnex {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        created_date: s("20250325"),
        target_month: s("202504"),
        provider_name: s("つなぐ訪問介護"),
        provider_code: s(HELPER),
        service_code: s(code),
        units: s(units),
        count: s(count),
        service_units: s(service_units),
        over_30_days: s("0"),
        ..Default::default()
    }
}

#[test]
fn annex_shows_lines_subtotals_and_total_distinctly() {
    let mut total = annex("999999", "0", "", "1584");
    total.provider_code = s("9999999999");
    total.total_cost = s("18057");
    let d = doc(
        &format!("UPSIKYU_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[
            annex("111211", "396", "4", "1584"),
            annex("114000", "-30", "4", "-120"),
            annex("11AAAA", "0", "", "1464"),
            total,
        ],
    );
    let supp = doc(
        &format!("UPHOSOKU_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[supplement("00000000", "202504")],
    );
    let html = render_html(&[&d, &supp]);
    let rows = body_rows(&html, "区分支給限度管理・利用者負担計算");
    assert_eq!(rows.len(), 4);
    assert!(rows[0].starts_with(" class=\"line\""));
    assert!(rows[1].contains("-120"), "negative 減算 units are shown");
    assert!(rows[2].starts_with(" class=\"subtotal\"") && rows[2].contains("訪問介護 小計"));
    assert!(rows[3].starts_with(" class=\"total\"") && rows[3].contains("合計"));
    assert!(
        rows[3].contains("16,765"),
        "区分支給限度基準額 on the total line"
    );
    assert!(rows[3].contains("18,057"));
    assert!(html.contains("10,000"), "種類別支給限度管理 from the 補足");
}

fn plan2_row(
    nos: (&str, &str, &str),
    issue: &str,
    long: &str,
    short: &str,
    content: &str,
) -> CarePlan2 {
    CarePlan2 {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        created_date: s("20250320"),
        plan_date: s("20250320"),
        issue_no: s(nos.0),
        issue: s(issue),
        goal_no: s(nos.1),
        long_term_goal: s(long),
        short_term_goal: s(short),
        support_no: s(nos.2),
        service_content: s(content),
        insurance_covered: s("Y"),
        service_type: s("訪問介護"),
        ..Default::default()
    }
}

#[test]
fn plan2_merges_carried_forward_rows() {
    // The spec's example (§5.4): 課題 1,1,1,1,2; 目標 1,1,1,2,1; 内容 1,2,3,1,1.
    let rows = [
        plan2_row(("1", "1", "1"), "課題１", "長期１", "短期１", "内容a"),
        plan2_row(("1", "1", "2"), "", "", "", "内容b"),
        plan2_row(("1", "1", "3"), "", "", "短期２", "内容c"),
        plan2_row(("1", "2", "1"), "", "長期２", "短期３", "内容d"),
        plan2_row(
            ("2", "1", "1"),
            "課題２",
            "長期３",
            "短期４",
            "<script>alert(1)</script>",
        ),
    ];
    let d = doc(
        &format!("UP2KYO_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &rows,
    );
    let html = render_html(&[&d]);
    let body = body_rows(&html, "生活全般の解決すべき");
    assert_eq!(body.len(), 5);
    assert!(body[0].contains("<td rowspan=\"4\" class=\"pre\">課題１</td>"));
    assert!(body[0].contains("<td rowspan=\"3\" class=\"pre\">長期１</td>"));
    assert!(body[0].contains("<td rowspan=\"2\" class=\"pre\">短期１</td>"));
    assert!(
        !body[1].contains("rowspan"),
        "row 2 is covered: {}",
        body[1]
    );
    assert!(body[2].contains("<td rowspan=\"1\" class=\"pre\">短期２</td>"));
    assert!(!body[2].contains("長期"));
    assert!(body[3].contains("長期２") && !body[3].contains("課題"));
    assert!(body[4].contains("<td rowspan=\"1\" class=\"pre\">課題２</td>"));
    assert!(body[0].contains("<td class=\"c\">○</td>"));
    // Free text is escaped.
    assert!(!html.contains("<script>"));
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
}

#[test]
fn plan1_shows_meanings_and_japanese_dates() {
    let p = CarePlan1 {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        created_date: s("20250320"),
        planner_name: s("試験 ケアマネ"),
        support_office_name: s("つなぐ居宅介護支援"),
        support_office_number: s(CM),
        plan_date: s("20250320"),
        first_plan_date: s("20240401"),
        plan_category: s("52"),
        certification_status: s("2"),
        certification_start: s("20250401"),
        certification_end: s("20260331"),
        care_level: s("22"),
        overall_policy: s("在宅生活を続けられるよう支援します。\n二行目"),
        livelihood_reason: s("1"),
        ..Default::default()
    };
    let d = doc(
        &format!("UP1KYO_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[p],
    );
    let supp = doc(
        &format!("UPHOSOKU_000000_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[supplement("20250320", "000000")],
    );
    let html = render_html(&[&d, &supp]);
    assert!(html.contains("<span class=\"choice sel\">要介護２</span>"));
    assert!(html.contains("<span class=\"choice\">要介護１</span>"));
    assert!(html.contains("<span class=\"choice sel\">初回</span>"));
    assert!(html.contains("<span class=\"choice sel\">継続</span>"));
    assert!(html.contains("<span class=\"choice\">紹介</span>"));
    assert!(html.contains("<span class=\"choice sel\">1. 一人暮らし</span>"));
    assert!(html.contains("令和7年4月1日 ～ 令和8年3月31日"));
    assert!(html.contains("令和7年3月20日"));
    assert!(html.contains("試験 太郎"));
    assert!(html.contains("二行目"));
}

#[test]
fn plan3_places_slots_in_the_week_grid() {
    let base = CarePlan3 {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        created_date: s("20250320"),
        plan_date: s("20250320"),
        ..Default::default()
    };
    let rows = [
        CarePlan3 {
            service_content: s("訪問介護"),
            weekday: s("1"),
            service_start: s("1200"),
            service_end: s("1600"),
            ..base.clone()
        },
        CarePlan3 {
            service_content: s("通所介護"),
            weekday: s("4"),
            service_start: s("1000"),
            service_end: s("1200"),
            ..base.clone()
        },
        CarePlan3 {
            daily_activity: s("起床"),
            activity_start: s("0600"),
            activity_end: s("0600"),
            ..base.clone()
        },
        CarePlan3 {
            non_weekly_service: s("福祉用具貸与"),
            ..base.clone()
        },
    ];
    let d = doc(
        &format!("UP3KYO_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &rows,
    );
    let html = render_html(&[&d]);
    assert!(html.contains("rowspan=\"4\" class=\"slot\">訪問介護\n12:00～16:00</td>"));
    assert!(html.contains("rowspan=\"2\" class=\"slot\">通所介護\n10:00～12:00</td>"));
    assert!(html.contains("6:00 起床"));
    assert!(html.contains("福祉用具貸与"));
    let body = body_rows(&html, "主な日常生活上の活動");
    assert_eq!(body.len(), 25, "24 hours + 週単位以外");
    // Hour 13 on Monday is covered by the 12:00 block: one cell fewer than other rows.
    let cells = |r: &str| r.matches("<td").count();
    assert_eq!(cells(body[13]) + 1, cells(body[9]));
}

#[test]
fn deletions_say_what_is_deleted() {
    let d = doc(
        &format!("DLTPLAN_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[ServiceScheduleDelete {
            csv_version: s("202407"),
            insurer_number: s(INSURER),
            insured_number: s(INSURED),
            delete_month: s("202504"),
        }],
    );
    let html = render_html(&[&d]);
    assert!(html.contains("令和7年4月分のサービス利用票（予定）"));
    assert!(html.contains("第7表（別表）も連動して削除"));
    let text = summary_text(&d);
    assert!(
        text.contains("削除: 令和7年4月分のサービス利用票（予定）"),
        "{text}"
    );
    let d1 = doc(
        &format!("DLT1KYO_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[CarePlan1Delete {
            csv_version: s("202407"),
            insurer_number: s(INSURER),
            insured_number: s(INSURED),
            plan_date: s("20250320"),
        }],
    );
    assert!(summary_text(&d1).contains("第2表・第3表も連動して削除"));
}

#[test]
fn preventive_forms_render_with_their_annexes() {
    let b = BasicInfo {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        consultation_date: s("20250310"),
        plan_type: s("1"),
        name: s("試験 花子"),
        sex: s("2"),
        birth_date: s("19450505"),
        care_level: s("12"),
        dementia_independence: s("03"),
        emergency1_name: s("試験 一郎"),
        ..Default::default()
    };
    let sub1 = BasicInfoSchedule {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        consultation_date: s("20250310"),
        time: s("7:00"),
        person_status: s("起床・朝食"),
        ..Default::default()
    };
    let sub2 = BasicInfoHistory {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        consultation_date: s("20250310"),
        onset: s("R2年4月"),
        disease: s("高血圧症"),
        progress: s("01"),
        ..Default::default()
    };
    let body = format!("{CM}_46_{HELPER}_A2_20250325120000");
    let docs = [
        doc(&format!("UPKIHON_{body}.CSV"), &[b]),
        doc(&format!("UPKIHON_SUB1_{body}.CSV"), &[sub1]),
        doc(&format!("UPKIHON_SUB2_{body}.CSV"), &[sub2]),
    ];
    let refs: Vec<&Document> = docs.iter().collect();
    let html = render_html(&refs);
    for want in [
        "利用者基本情報",
        "試験 花子",
        "女性",
        "要支援１",
        "Ⅱａ",
        "起床・朝食",
        "高血圧症",
        "治療中",
        "試験 一郎",
    ] {
        assert!(html.contains(want), "{want}");
    }

    let base = PreventivePlanSupport {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        plan_date: s("20250315"),
        ..Default::default()
    };
    let y = PreventivePlan {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        plan_date: s("20250315"),
        plan_type: s("1"),
        user_name: s("試験 花子"),
        support_level: s("2"),
        mobility_has_issue: s("1"),
        checklist_exercise: s("3"),
        program_exercise: s("1"),
        ..Default::default()
    };
    let subs = [
        PreventivePlanSupport {
            issue_no: s("1"),
            overall_issue: s("転倒の不安"),
            support_no: s("1"),
            support_point: s("筋力を保つ"),
            service_no: s("1"),
            service_type: s("通所型サービス"),
            ..base.clone()
        },
        PreventivePlanSupport {
            service_no: s("2"),
            service_type: s("福祉用具貸与"),
            ..base.clone()
        },
    ];
    let docs = [
        doc(&format!("UPYOBO_{body}.CSV"), &[y]),
        doc(&format!("UPYOBO_SUB_{body}.CSV"), &subs),
    ];
    let refs: Vec<&Document> = docs.iter().collect();
    let html = render_html(&refs);
    assert!(html.contains("<span class=\"choice sel\">要支援２</span>"));
    assert!(html.contains("3/5"));
    assert!(html.contains("<td rowspan=\"2\" class=\"pre\">転倒の不安</td>"));
    assert!(html.contains("<td rowspan=\"2\" class=\"pre\">筋力を保つ</td>"));
    assert!(html.contains("福祉用具貸与"));
}

#[test]
fn page_is_self_contained_and_printable() {
    let d = planned("202504", &[line("20250403", "0900", "1000", "111211")]);
    let html = render_html(&[&d]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("@page { size: A4 landscape;"));
    assert!(html.contains("\"Noto Sans CJK JP\""));
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<link"));
}

#[test]
fn summary_of_a_schedule_lists_lines_and_days() {
    let d = planned(
        "202504",
        &[
            line("20250403", "0900", "1000", "111211"),
            line("20250410", "0900", "1000", "111211"),
        ],
    );
    let text = summary_text(&d);
    assert!(text.contains("サービス利用票（第６表）予定"), "{text}");
    assert!(text.contains("CSVバージョン: 202407"));
    assert!(
        text.contains("送信元: 1310100001（43 居宅介護支援） → 送信先: 1310200002（11 訪問介護）")
    );
    assert!(text.contains("対象年月: 令和7年4月（202504）"));
    assert!(text.contains("20250325120000"));
    assert!(text.contains("利用者: 1 人　レコード: 2 件"));
    assert!(
        text.contains("9:00～10:00 訪問介護 111211 つなぐ訪問介護: 3,10 日（2 回）"),
        "{text}"
    );
}

#[test]
fn summary_of_plan1_names_the_care_level() {
    let p = CarePlan1 {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        created_date: s("20250320"),
        plan_date: s("20250320"),
        care_level: s("21"),
        ..Default::default()
    };
    let d = doc(
        &format!("UP1KYO_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[p],
    );
    let text = summary_text(&d);
    assert!(text.contains("要介護状態区分 21（要介護１）"), "{text}");
    assert!(text.contains("居宅サービス計画作成（変更）日 令和7年3月20日"));
}

#[test]
fn a_lone_supplement_is_shown_field_by_field() {
    let supp = doc(
        &format!("UPHOSOKU_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &[supplement("00000000", "202504")],
    );
    let html = render_html(&[&supp]);
    assert!(html.contains("利用者補足情報"));
    assert!(html.contains("21（要介護１）"));
    assert!(html.contains("1（男性）"));
}

/// Writes a richer synthetic set of files for looking at the page in a browser:
/// `TSUNAGU_FORMS_OUT=/tmp/forms cargo test -p tsunagu-standard write_visual_fixtures -- --ignored`
#[test]
#[ignore = "writes files for the visual check"]
fn write_visual_fixtures() {
    let Ok(dir) = std::env::var("TSUNAGU_FORMS_OUT") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("out dir");
    let put = |name: &str, d: &Document| {
        let c = d.as_csv().expect("csv");
        let bytes = write_csv(c.layout, c.records.iter().map(|r| r.fields.clone())).expect("write");
        std::fs::write(dir.join(name), bytes).expect("write file");
    };
    const DAY: &str = "1310300003";
    const RENT: &str = "1310400004";
    let month = YearMonth::new(2025, 4).expect("month");
    let mut plan = Vec::new();
    let mut act = Vec::new();
    for day in 1..=month.days() {
        let date = crate::month::Date {
            year: 2025,
            month: 4,
            day,
        };
        let ymd = date.to_string();
        match date.weekday() {
            0 | 2 | 4 => {
                plan.push(line(&ymd, "0900", "0945", "112111"));
                if day != 16 {
                    act.push(line(&ymd, "0900", "0945", "112111"));
                }
            }
            1 | 3 => {
                for code in ["155211", "155301"] {
                    let mut l = line(&ymd, "0930", "1630", code);
                    l.provider_code = s(DAY);
                    l.provider_name = s("みらいデイサービス");
                    plan.push(l);
                }
            }
            5 if day % 2 == 0 => {
                let mut l = line(&ymd, "1400", "1430", "131111");
                l.provider_code = s("1310500005");
                l.provider_name = s("あおぞら訪問看護ステーション");
                plan.push(l);
            }
            _ => {}
        }
    }
    act.push(line("20250417", "0900", "0945", "112111"));
    let mut rent = line("20250401", "9999", "9999", "171001");
    rent.provider_code = s(RENT);
    rent.provider_name = s("ひかり福祉用具");
    rent.tais_code = s("00001-000010");
    rent.equipment_name = s("車いす（自走式）");
    plan.push(rent);
    put(
        &format!("UPPLAN_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &planned("202504", &plan),
    );
    put(
        &format!("UPJSK_202504_{HELPER}_11_{CM}_43_20250501090000.CSV"),
        &actual("202504", &act),
    );
    let mut supp = supplement("00000000", "202504");
    supp.limit_start_date = s("20250401");
    supp.limit_end_date = s("20260331");
    supp.address1 = s("鳥取県米子市（架空）1-2-3");
    put(
        &format!("UPHOSOKU_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &doc(
            &format!("UPHOSOKU_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
            &[supp],
        ),
    );
    let a = |office: &str, name: &str, code: &str, units: &str, count: &str, su: &str| {
        let mut r = annex(code, units, count, su);
        r.provider_code = s(office);
        r.provider_name = s(name);
        if !code.ends_with("AAAA") && code != "999999" {
            r.benefit_managed_units = s(su);
            r.category_limit_within_units = s(su);
            r.unit_price = s("10.84");
            r.benefit_rate = s("90");
        }
        r
    };
    let mut total = a("9999999999", "", "999999", "0", "", "6334");
    total.category_limit_within_units = s("6334");
    total.unit_price = s("");
    total.total_cost = s("68660");
    total.insurance_claim = s("61794");
    total.copay_insured = s("6866");
    let annex_rows = [
        a(HELPER, "つなぐ訪問介護", "112111", "244", "13", "3172"),
        a(HELPER, "つなぐ訪問介護", "116275", "-30", "1", "-30"),
        a(HELPER, "つなぐ訪問介護", "11AAAA", "0", "", "3142"),
        a(DAY, "みらいデイサービス", "155211", "658", "4", "2632"),
        a(DAY, "みらいデイサービス", "155301", "40", "4", "160"),
        a(DAY, "みらいデイサービス", "15AAAA", "0", "", "2792"),
        a(
            "1310500005",
            "あおぞら訪問看護ステーション",
            "131111",
            "314",
            "2",
            "628",
        ),
        a(RENT, "ひかり福祉用具", "171001", "500", "1", "500"),
        total,
    ];
    let annex_doc = doc(
        &format!("UPSIKYU_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &annex_rows,
    );
    put(
        &format!("UPSIKYU_202504_{CM}_43_{HELPER}_11_20250325120000.CSV"),
        &annex_doc,
    );
    let p1 = CarePlan1 {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        created_date: s("20250320"),
        postal_code: s("683-0000"),
        address1: s("鳥取県米子市（架空）1-2-3"),
        planner_name: s("試験 ケアマネ"),
        support_office_name: s("つなぐ居宅介護支援事業所"),
        support_office_address1: s("鳥取県米子市（架空）4-5-6"),
        support_office_number: s(CM),
        plan_date: s("20250320"),
        first_plan_date: s("20230401"),
        plan_category: s("21"),
        certification_status: s("2"),
        certification_date: s("20250315"),
        certification_start: s("20250401"),
        certification_end: s("20260331"),
        care_level: s("22"),
        assessment_result: s(
            "本人：住み慣れた自宅で、できることは自分でしながら暮らしたい。\n家族（長女）：転倒が心配なので、見守りと入浴の支援をお願いしたい。",
        ),
        committee_opinion: s("特になし"),
        overall_policy: s(
            "転倒を防ぎながら、日中の活動量を保ち、自宅での生活を続けられるよう支援します。\n緊急連絡先：長女 000-0000-0000（架空）",
        ),
        livelihood_reason: s("1"),
        ..Default::default()
    };
    let name = format!("{CM}_43_{HELPER}_11_20250321100000.CSV");
    put(
        &format!("UP1KYO_{name}"),
        &doc(&format!("UP1KYO_{name}"), &[p1]),
    );
    put(
        &format!("UPHOSOKU_000000_{name}"),
        &doc(
            &format!("UPHOSOKU_000000_{name}"),
            &[supplement("20250320", "000000")],
        ),
    );
    let mut rows2 = vec![
        plan2_row(
            ("1", "1", "1"),
            "転ばずに家の中を移動したい",
            "屋内を安全に一人で移動できる",
            "手すりを使って寝室からトイレまで歩ける",
            "移動時の見守り・声かけ",
        ),
        plan2_row(("1", "1", "2"), "", "", "", "手すりの設置状況の確認"),
        plan2_row(
            ("1", "1", "3"),
            "",
            "",
            "下肢の筋力を保つ",
            "機能訓練（集団体操）",
        ),
        plan2_row(
            ("1", "2", "1"),
            "",
            "外出の機会を持てる",
            "週2回デイサービスに通う",
            "送迎・入浴介助",
        ),
        plan2_row(
            ("2", "1", "1"),
            "清潔を保ちたい",
            "週2回入浴できる",
            "安全に入浴できる",
            "入浴介助",
        ),
    ];
    let extra = [
        ("月水金", "訪問介護", "つなぐ訪問介護", "6か月"),
        ("適宜", "家族", "", "6か月"),
        ("火木", "通所介護", "みらいデイサービス", "6か月"),
        ("火木", "通所介護", "みらいデイサービス", "6か月"),
        ("火木", "通所介護", "みらいデイサービス", "6か月"),
    ];
    for (r, (freq, kind, office, period)) in rows2.iter_mut().zip(extra) {
        r.frequency = s(freq);
        r.service_type = s(kind);
        r.provider_name = s(office);
        r.period = s(period);
        if kind == "家族" {
            r.insurance_covered = s("N");
        }
        if !r.long_term_goal.is_empty() {
            r.long_term_period = s("R7.4.1～R8.3.31");
        }
        if !r.short_term_goal.is_empty() {
            r.short_term_period = s("R7.4.1～R7.9.30");
        }
    }
    put(
        &format!("UP2KYO_{name}"),
        &doc(&format!("UP2KYO_{name}"), &rows2),
    );
    let base3 = CarePlan3 {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(INSURED),
        created_date: s("20250320"),
        plan_date: s("20250320"),
        ..Default::default()
    };
    let mut rows3 = Vec::new();
    for (wd, content, a, b) in [
        ("1", "訪問介護", "0900", "0945"),
        ("3", "訪問介護", "0900", "0945"),
        ("5", "訪問介護", "0900", "0945"),
        ("2", "通所介護", "0930", "1630"),
        ("4", "通所介護", "0930", "1630"),
        ("6", "訪問看護", "1400", "1430"),
    ] {
        rows3.push(CarePlan3 {
            service_content: s(content),
            weekday: s(wd),
            service_start: s(a),
            service_end: s(b),
            ..base3.clone()
        });
    }
    for (act, t) in [
        ("起床", "0600"),
        ("朝食", "0730"),
        ("昼食", "1200"),
        ("夕食", "1800"),
        ("就寝", "2100"),
    ] {
        rows3.push(CarePlan3 {
            daily_activity: s(act),
            activity_start: s(t),
            activity_end: s(t),
            ..base3.clone()
        });
    }
    rows3.push(CarePlan3 {
        non_weekly_service: s("福祉用具貸与（車いす）、通院（月1回・長女が同行）"),
        ..base3.clone()
    });
    put(
        &format!("UP3KYO_{name}"),
        &doc(&format!("UP3KYO_{name}"), &rows3),
    );

    // 介護予防: another synthetic user.
    let other = "0000100002";
    let body = format!("{CM}_46_{HELPER}_A2_20250318090000");
    let info = BasicInfo {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(other),
        consultation_date: s("20250310"),
        plan_type: s("1"),
        outsourced: s("2"),
        author: s("試験 包括"),
        consultation_method: s("01"),
        consultation_count: s("01"),
        current_situation: s("01"),
        name_kana: s("ｼｹﾝ ﾊﾅｺ"),
        name: s("試験 花子"),
        sex: s("2"),
        birth_date: s("19450505"),
        address: s("鳥取県米子市（架空）7-8-9"),
        phone: s("0000-00-0000"),
        disability_independence: s("11"),
        dementia_independence: s("02"),
        care_level: s("12"),
        certification_start: s("20250301"),
        certification_end: s("20260228"),
        checklist_result: s("1"),
        checklist_date: s("20250305"),
        housing: s("05"),
        room_floor: s("1"),
        home_modification: s("2"),
        pension_national: s("1"),
        visitor_name: s("試験 一郎"),
        visitor_relation: s("長男"),
        emergency1_name: s("試験 一郎"),
        emergency1_relation: s("長男"),
        emergency1_address: s("米子市（架空）"),
        emergency1_phone: s("000-0000-0000"),
        family_situation: s("長男夫婦と同居。日中は独居。"),
        life_history: s("農業を営んできた。"),
        daily_life: s("午前中は畑、午後は昼寝とテレビ。"),
        hobbies: s("畑仕事、手芸"),
        community: s("近所の友人と週1回お茶会"),
        public_services: s("なし"),
        consent_date: s("20250315"),
        consenter_name: s("試験 花子"),
        ..Default::default()
    };
    let n = |p: &str| format!("{p}_{body}.CSV");
    put(&n("UPKIHON"), &doc(&n("UPKIHON"), &[info]));
    let sched: Vec<BasicInfoSchedule> = [
        ("6:30", "起床", "朝食の準備"),
        ("9:00", "畑仕事", "出勤"),
        ("12:00", "昼食", ""),
        ("19:00", "夕食", "帰宅・夕食"),
    ]
    .into_iter()
    .map(|(t, p, c)| BasicInfoSchedule {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(other),
        consultation_date: s("20250310"),
        time: s(t),
        person_status: s(p),
        carer_status: s(c),
    })
    .collect();
    put(&n("UPKIHON_SUB1"), &doc(&n("UPKIHON_SUB1"), &sched));
    let hist = [BasicInfoHistory {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(other),
        consultation_date: s("20250310"),
        onset: s("R2年4月"),
        disease: s("変形性膝関節症"),
        institution: s("架空整形外科"),
        attending_flag: s("1"),
        progress: s("01"),
        treatment: s("内服、リハビリ"),
        ..Default::default()
    }];
    put(&n("UPKIHON_SUB2"), &doc(&n("UPKIHON_SUB2"), &hist));
    let y = PreventivePlan {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(other),
        plan_date: s("20250315"),
        plan_type: s("1"),
        outsourced: s("2"),
        reference_no: s("12"),
        user_name: s("試験 花子"),
        certification_date: s("20250225"),
        certification_start: s("20250301"),
        certification_end: s("20260228"),
        plan_category: s("11"),
        certification_status: s("2"),
        support_level: s("1"),
        center_staff_name: s("試験 包括"),
        care_manager_name: s("試験 ケアマネ"),
        planner_office_name: s("つなぐ居宅介護支援事業所"),
        first_plan_date: s("20250315"),
        center_name: s("米子市（架空）地域包括支援センター"),
        goal_day: s("毎朝、畑まで歩いて行く"),
        goal_year: s("秋の収穫祭に参加する"),
        mobility_status: s("膝の痛みで長く歩けない"),
        mobility_intention: s("畑仕事を続けたい"),
        mobility_has_issue: s("1"),
        mobility_issue: s("膝の痛みによる活動量の低下"),
        home_life_status: s("家事は概ね自立"),
        home_life_has_issue: s("2"),
        social_status: s("友人とのお茶会に参加"),
        social_has_issue: s("2"),
        health_status: s("血圧は安定"),
        health_has_issue: s("2"),
        overall_policy: s("膝の痛みに配慮しながら、活動量を保つ。"),
        checklist_exercise: s("3"),
        checklist_nutrition: s("0"),
        checklist_oral: s("1"),
        checklist_withdrawal: s("0"),
        checklist_memory: s("0"),
        checklist_depression: s("1"),
        program_exercise: s("1"),
        program_nutrition: s("2"),
        program_oral: s("2"),
        program_withdrawal: s("2"),
        program_memory: s("2"),
        program_depression: s("2"),
        consent_date: s("20250315"),
        consenter_name: s("試験 花子"),
        ..Default::default()
    };
    put(&n("UPYOBO"), &doc(&n("UPYOBO"), &[y]));
    let base = PreventivePlanSupport {
        csv_version: s("202407"),
        insurer_number: s(INSURER),
        insured_number: s(other),
        plan_date: s("20250315"),
        ..Default::default()
    };
    let subs = [
        PreventivePlanSupport {
            issue_no: s("1"),
            overall_issue: s("膝の痛みで外出が減っている"),
            goal_proposal: s("膝の負担を減らす運動を続ける"),
            intention: s("頑張りたい"),
            goal: s("畑まで歩ける"),
            support_no: s("1"),
            support_point: s("無理のない運動習慣"),
            self_care: s("自宅で体操"),
            insured_service: s("通所型サービス"),
            service_no: s("1"),
            service_type: s("通所型サービス（独自）"),
            service_provider: s("みらいデイサービス"),
            service_period: s("R7.3～R7.8"),
            ..base.clone()
        },
        PreventivePlanSupport {
            service_no: s("2"),
            service_type: s("福祉用具貸与"),
            service_provider: s("ひかり福祉用具"),
            service_period: s("R7.3～R7.8"),
            ..base.clone()
        },
    ];
    put(&n("UPYOBO_SUB"), &doc(&n("UPYOBO_SUB"), &subs));

    // The pages: all forms, and one page per form for screenshots.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".CSV"))
        .collect();
    names.sort();
    let docs: Vec<(String, Document)> = names
        .iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(n)).expect("read back");
            (n.clone(), read(n, &bytes).document.expect("document"))
        })
        .collect();
    let html_dir = dir.join("html");
    std::fs::create_dir_all(&html_dir).expect("html dir");
    let page = |file: &str, prefixes: &[&str]| {
        let chosen: Vec<&Document> = docs
            .iter()
            .filter(|(n, _)| prefixes.is_empty() || prefixes.iter().any(|p| n.starts_with(p)))
            .map(|(_, d)| d)
            .collect();
        std::fs::write(html_dir.join(file), render_html(&chosen)).expect("write html");
    };
    page("all.html", &[]);
    page("form-1.html", &["UP1KYO", "UPHOSOKU_000000"]);
    page("form-2.html", &["UP2KYO", "UPHOSOKU_000000"]);
    page("form-3.html", &["UP3KYO", "UPHOSOKU_000000"]);
    page("form-6.html", &["UPPLAN", "UPJSK", "UPHOSOKU_2025"]);
    page("form-7.html", &["UPSIKYU", "UPHOSOKU_2025"]);
    page("form-kihon.html", &["UPKIHON"]);
    page("form-yobo.html", &["UPYOBO"]);
}
