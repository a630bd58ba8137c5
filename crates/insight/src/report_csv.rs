//! Reports as tables: the same rows the dashboard shows, and CSV that Excel opens correctly
//! (UTF-8 with BOM, CRLF, quoted where needed, no cell Excel would run as a formula).

use serde::Serialize;

use crate::adoption::{AdoptionReport, AdoptionStatus, Departure, OutreachList, TrendPoint};
use crate::areas::{AreaTable, Assignments};
use crate::effect::EffectReport;
use crate::input::InputError;
use crate::offices::OfficeMaster;
use crate::stats::{Ratio, one_decimal, percent_label};
use crate::survey::{Survey, SurveyResults, TokenAssignment};
use crate::timestudy::{Comparison, CompositionRow};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn strings<const N: usize>(a: [&str; N]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// A cell as text Excel keeps: a leading `=`, `+`, `@` (or `-` not starting a number) would be
/// read as a formula, so it gets a leading apostrophe.
fn excel_safe(s: &str) -> String {
    let risky = match s.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => s.parse::<f64>().is_err(),
        _ => false,
    };
    if risky {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

impl Table {
    pub fn new(title: &str, headers: Vec<String>) -> Self {
        Self {
            title: title.to_string(),
            headers,
            rows: Vec::new(),
        }
    }

    /// UTF-8 with BOM and CRLF line ends: what Excel needs to open Japanese text correctly.
    pub fn to_excel_csv(&self) -> Vec<u8> {
        let mut out = String::from("\u{feff}");
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let cells: Vec<String> = row
                .iter()
                .map(|c| {
                    let c = excel_safe(c);
                    if c.contains([',', '"', '\r', '\n']) || c.starts_with(' ') || c.ends_with(' ')
                    {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c
                    }
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out.into_bytes()
    }

    /// Plain text for a terminal: columns separated by two spaces.
    pub fn to_text(&self) -> String {
        let mut out = format!("# {}\n", self.title);
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            out.push_str(&row.join("  "));
            out.push('\n');
        }
        out
    }
}

fn ratio_cells(r: &Ratio) -> [String; 1] {
    [format!("{}/{} ({})", r.part, r.whole, r.percent_label())]
}

/// Every office with its area and how it was found.
pub fn offices_table(master: &OfficeMaster, assignments: &Assignments, areas: &AreaTable) -> Table {
    let mut t = Table::new(
        "事業所一覧（圏域つき）",
        strings([
            "事業所番号",
            "事業所名",
            "種別",
            "サービス",
            "住所",
            "緯度",
            "経度",
            "圏域コード",
            "圏域名",
            "地域包括支援センター",
            "割当方法",
            "一致した町丁目",
            "補足",
            "法人の名称",
        ]),
    );
    for o in &master.offices {
        let a = assignments.get(&o.number);
        let area = a.and_then(|a| a.area.as_deref());
        t.rows.push(vec![
            o.number.to_string(),
            o.name.clone(),
            o.group.label().into(),
            o.services_label(),
            o.address.clone(),
            o.location
                .map(|p| format!("{:.6}", p.lat))
                .unwrap_or_default(),
            o.location
                .map(|p| format!("{:.6}", p.lon))
                .unwrap_or_default(),
            area.unwrap_or_default().into(),
            area.and_then(|c| areas.area(c))
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            a.and_then(|a| a.center.clone()).unwrap_or_default(),
            a.map(|a| a.method.label()).unwrap_or_default().into(),
            a.and_then(|a| a.town.clone()).unwrap_or_default(),
            a.map(|a| a.detail.clone()).unwrap_or_default(),
            o.corporate_name.clone(),
        ]);
    }
    t
}

/// Offices a person should assign or confirm (未割当 and 前方一致).
pub fn review_table(master: &OfficeMaster, assignments: &Assignments) -> Table {
    let mut t = Table::new(
        "圏域の確認が必要な事業所",
        strings([
            "事業所番号",
            "事業所名",
            "住所",
            "割当方法",
            "仮の圏域コード",
            "理由",
        ]),
    );
    for a in assignments.needs_review() {
        let o = master.get(&a.office);
        t.rows.push(vec![
            a.office.to_string(),
            o.map(|o| o.name.clone()).unwrap_or_default(),
            o.map(|o| o.address.clone()).unwrap_or_default(),
            a.method.label().into(),
            a.area.clone().unwrap_or_default(),
            a.detail.clone(),
        ]);
    }
    t
}

/// The per-圏域 adoption table.
pub fn adoption_table(r: &AdoptionReport) -> Table {
    let mut headers = strings(["圏域コード", "圏域", "地域包括支援センター", "対象事業所数"]);
    headers.extend(AdoptionStatus::ALL.iter().map(|s| s.short().to_string()));
    headers.extend(strings([
        "導入率",
        "前回の導入率",
        "前回比（ポイント）",
        "居宅介護支援の導入率",
        "サービス事業所の導入率",
    ]));
    let mut t = Table::new(&format!("圏域別の導入状況（{}時点）", r.as_of), headers);
    for row in r.rows.iter().chain(std::iter::once(&r.total)) {
        let mut cells = vec![
            row.area.clone().unwrap_or_default(),
            row.label.clone(),
            row.center.clone(),
            row.offices.to_string(),
        ];
        cells.extend(
            AdoptionStatus::ALL
                .iter()
                .map(|s| row.counts.get(s).copied().unwrap_or(0).to_string()),
        );
        cells.push(row.rate.percent_label());
        cells.push(row.previous.map(|p| p.percent_label()).unwrap_or_default());
        cells.push(
            row.change_points
                .map(|c| format!("{c:+.1}"))
                .unwrap_or_default(),
        );
        cells.extend(ratio_cells(&row.care_management));
        cells.extend(ratio_cells(&row.service));
        t.rows.push(cells);
    }
    t
}

pub fn trend_table(points: &[TrendPoint], areas: &AreaTable) -> Table {
    let mut t = Table::new(
        "導入率の推移",
        strings(["時点", "対象", "導入", "事業所数", "導入率"]),
    );
    for p in points {
        let what = match (&p.area, p.group) {
            (Some(a), _) => areas
                .area(a)
                .map_or_else(|| a.clone(), |x| format!("{}（{}）", x.name, a)),
            (None, Some(g)) => g.label().to_string(),
            (None, None) => "全体".to_string(),
        };
        t.rows.push(vec![
            p.as_of.to_string(),
            what,
            p.rate.part.to_string(),
            p.rate.whole.to_string(),
            p.rate.percent_label(),
        ]);
    }
    t
}

pub fn departures_table(deps: &[Departure], master: &OfficeMaster) -> Table {
    let mut t = Table::new(
        "離脱した事業所",
        strings([
            "事業所番号",
            "事業所名",
            "前の状況",
            "前の確認日",
            "今の状況",
            "今の確認日",
            "今の出典",
        ]),
    );
    for d in deps {
        t.rows.push(vec![
            d.office.to_string(),
            master
                .get(&d.office)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            d.before.status.label().into(),
            d.before.as_of.to_string(),
            d.after.status.label().into(),
            d.after.as_of.to_string(),
            d.after.source.label().into(),
        ]);
    }
    t
}

/// The outreach list. Partners come from two sources, shown apart: exchanges on the hub (with
/// the adopted partners' numbers, as the routing metadata shows them) and desks' reports
/// (counts only — which office reported is never written).
pub fn outreach_table(lists: &[OutreachList]) -> Table {
    let mut t = Table::new(
        "働きかけ先の一覧（センター別）",
        strings([
            "地域包括支援センター",
            "順位",
            "事業所番号",
            "事業所名",
            "種別",
            "圏域コード",
            "状況",
            "導入済みの相手",
            "ハブ上の取引（導入済みの相手）",
            "ハブ上の取引の件数",
            "デスクからの報告（導入済みの事業所）",
            "デスクからの報告の月あたり件数",
            "相手の数",
            "ハブ上の取引の相手（事業所番号）",
        ]),
    );
    for l in lists {
        for e in &l.entries {
            let partners: Vec<String> = e
                .hub_adopted_partners
                .iter()
                .map(|p| p.to_string())
                .collect();
            t.rows.push(vec![
                l.center.clone(),
                e.rank.to_string(),
                e.office.to_string(),
                e.name.clone(),
                e.group.label().into(),
                e.area.clone().unwrap_or_default(),
                e.status.label().into(),
                e.adopted_partners.to_string(),
                e.hub_adopted_partners.len().to_string(),
                e.units_with_adopted.to_string(),
                e.reported_by.to_string(),
                e.reported_units_per_month.to_string(),
                e.partners.to_string(),
                partners.join(" "),
            ]);
        }
    }
    t
}

/// Long format: one row per group × question × choice (and one per number question).
pub fn survey_table(survey: &Survey, r: &SurveyResults) -> Table {
    let mut t = Table::new(
        &format!("アンケート結果（{}）", survey.title),
        strings([
            "圏域コード",
            "圏域",
            "対象事業所数",
            "回答数",
            "回答率",
            "設問",
            "設問文",
            "選択肢",
            "件数",
            "割合",
            "回答者数",
            "平均",
            "中央値",
        ]),
    );
    for g in &r.groups {
        for qt in &g.questions {
            let text = survey
                .question(&qt.question)
                .map(|q| q.text.clone())
                .unwrap_or_default();
            let head = |t: &mut Table,
                        choice: String,
                        count: String,
                        pct: String,
                        mean: String,
                        median: String| {
                t.rows.push(vec![
                    g.area.clone().unwrap_or_default(),
                    g.label.clone(),
                    g.offices.to_string(),
                    g.responded.to_string(),
                    g.response_rate.percent_label(),
                    qt.question.clone(),
                    text.clone(),
                    choice,
                    count,
                    pct,
                    qt.answered.to_string(),
                    mean,
                    median,
                ]);
            };
            for c in &qt.choices {
                head(
                    &mut t,
                    c.choice.clone(),
                    c.count.to_string(),
                    percent_label(c.percent),
                    String::new(),
                    String::new(),
                );
            }
            if let Some(n) = qt.numbers {
                head(
                    &mut t,
                    String::new(),
                    n.n.to_string(),
                    String::new(),
                    one_decimal(n.mean),
                    one_decimal(n.median),
                );
            }
            if qt.choices.is_empty() && qt.numbers.is_none() {
                head(
                    &mut t,
                    "（自由記述）".into(),
                    qt.answered.to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                );
            }
        }
    }
    t
}

pub fn tokens_table(
    tokens: &[TokenAssignment],
    master: &OfficeMaster,
    assignments: &Assignments,
    base_url: Option<&str>,
) -> Table {
    let mut t = Table::new(
        "回答用リンク",
        strings([
            "事業所番号",
            "事業所名",
            "地域包括支援センター",
            "トークン",
            "回答用URL",
        ]),
    );
    for a in tokens {
        let url = base_url
            .map(|b| format!("{}/{}", b.trim_end_matches('/'), a.token.as_str()))
            .unwrap_or_default();
        t.rows.push(vec![
            a.office.to_string(),
            master
                .get(&a.office)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            assignments.center_of(&a.office).unwrap_or_default().into(),
            a.token.as_str().into(),
            url,
        ]);
    }
    t
}

/// Long format: one row per key × phase × shift × (group or category).
pub fn composition_table(rows: &[CompositionRow], key_label: &str) -> Table {
    let mut t = Table::new(
        "業務時間の構成",
        strings([
            key_label,
            "時期",
            "時間帯",
            "人数",
            "合計（分）",
            "区分",
            "コード",
            "名称",
            "分",
            "割合",
        ]),
    );
    for r in rows {
        for (kind, shares) in [("大分類", &r.groups), ("項目", &r.categories)] {
            for s in shares {
                t.rows.push(vec![
                    r.key.clone(),
                    r.phase.label().into(),
                    r.shift.label().into(),
                    r.persons.to_string(),
                    r.total_minutes.to_string(),
                    kind.into(),
                    s.code.clone(),
                    s.name.clone(),
                    s.minutes.to_string(),
                    percent_label(s.percent),
                ]);
            }
        }
    }
    t
}

pub fn comparison_table(cmp: &[Comparison]) -> Table {
    let mut t = Table::new(
        "導入前後の比較（1人あたりの分）",
        strings([
            "コード",
            "名称",
            "導入前 n",
            "導入前 平均",
            "導入前 中央値",
            "導入後 n",
            "導入後 平均",
            "導入後 中央値",
            "平均の差",
            "中央値の差",
            "平均の変化率",
        ]),
    );
    for c in cmp {
        t.rows.push(vec![
            c.code.clone(),
            c.name.clone(),
            c.before.n.to_string(),
            one_decimal(c.before.mean),
            one_decimal(c.before.median),
            c.after.n.to_string(),
            one_decimal(c.after.mean),
            one_decimal(c.after.median),
            one_decimal(c.mean_change),
            one_decimal(c.median_change),
            percent_label(c.mean_change_percent),
        ]);
    }
    t
}

fn yen(x: f64) -> String {
    format!("{:.0}", x.round())
}

pub fn effect_office_table(r: &EffectReport) -> Table {
    let mut t = Table::new(
        "事業所別・月別の削減効果",
        strings([
            "月",
            "事業所番号",
            "事業所名",
            "種別",
            "送信件数",
            "受信件数",
            "削減時間（分）",
            "人件費（円）",
            "紙代（円）",
            "郵送料（円）",
            "交通費（円）",
            "合計（円）",
            "うち計画書（提供年月なし）の件数",
        ]),
    );
    for o in &r.per_office {
        let s = &o.saving;
        t.rows.push(vec![
            o.month.clone(),
            o.office.to_string(),
            o.name.clone(),
            o.group.label().into(),
            s.units_sent.to_string(),
            s.units_received.to_string(),
            format!("{:.1}", s.minutes),
            yen(s.labour_yen),
            yen(s.paper_yen),
            yen(s.postage_yen),
            yen(s.transport_yen),
            yen(s.total_yen()),
            (s.plan_units_sent + s.plan_units_received).to_string(),
        ]);
    }
    t
}

pub fn effect_month_table(r: &EffectReport) -> Table {
    let mut t = Table::new(
        "市全体の月別削減効果",
        strings([
            "月",
            "事業所数",
            "送信件数",
            "削減時間（時間）",
            "人件費（円）",
            "紙代（円）",
            "郵送料（円）",
            "交通費（円）",
            "合計（円）",
            "1事業所あたり（円）",
            "うち計画書（提供年月なし）の送信件数",
        ]),
    );
    for m in &r.per_month {
        let s = &m.saving;
        t.rows.push(vec![
            m.month.clone(),
            m.offices.to_string(),
            s.units_sent.to_string(),
            format!("{:.1}", s.minutes / 60.0),
            yen(s.labour_yen),
            yen(s.paper_yen),
            yen(s.postage_yen),
            yen(s.transport_yen),
            yen(s.total_yen()),
            if m.offices > 0 {
                yen(s.total_yen() / f64::from(m.offices))
            } else {
                String::new()
            },
            s.plan_units_sent.to_string(),
        ]);
    }
    t
}

pub fn assumptions_table(r: &EffectReport) -> Table {
    let mut t = Table::new(
        "計算の前提",
        strings([
            "キー",
            "項目",
            "値",
            "単位",
            "根拠",
            "出典・説明",
            "計算に使用",
        ]),
    );
    for (p, used) in r
        .assumptions
        .iter()
        .map(|p| (p, "使用"))
        .chain(r.references.iter().map(|p| (p, "参考")))
    {
        let v = if p.value.fract() == 0.0 {
            format!("{:.0}", p.value)
        } else {
            format!("{:.3}", p.value)
        };
        t.rows.push(vec![
            p.key.into(),
            p.label.into(),
            v,
            p.unit.into(),
            p.basis.label().into(),
            p.source.clone(),
            used.into(),
        ]);
    }
    t
}

pub fn issues_table(issues: &[InputError]) -> Table {
    let mut t = Table::new(
        "読み込み時の指摘",
        strings(["区分", "コード", "ファイル", "行", "列", "内容"]),
    );
    for e in issues {
        t.rows.push(vec![
            match e.severity {
                crate::input::Severity::Error => "エラー".into(),
                crate::input::Severity::Warning => "注意".into(),
            },
            e.code.into(),
            e.file.clone(),
            e.line.map(|l| l.to_string()).unwrap_or_default(),
            e.column.clone().unwrap_or_default(),
            e.message.clone(),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_csv_has_bom_crlf_and_quotes() {
        let mut t = Table::new("t", strings(["事業所名", "備考"]));
        t.rows.push(strings(["見本, 訪問介護", "言う\"こと\""]));
        t.rows.push(strings(["=1+1", "-5"]));
        t.rows.push(strings(["-abc", "改行\nあり"]));
        let bytes = t.to_excel_csv();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let s = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            s,
            "事業所名,備考\r\n\"見本, 訪問介護\",\"言う\"\"こと\"\"\"\r\n'=1+1,-5\r\n'-abc,\"改行\nあり\"\r\n"
        );
        // And it reads back.
        let back = crate::input::CsvTable::parse("t.csv", &bytes).unwrap();
        assert_eq!(back.encoding, crate::input::TextEncoding::Utf8Bom);
        assert_eq!(
            back.rows[0].fields,
            strings(["見本, 訪問介護", "言う\"こと\""])
        );
    }
}
