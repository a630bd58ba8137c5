//! Rules across the records of one file (§4.4, §5, §7): months, 補足's zero rules, 第6表, 第7表
//! subtotals and totals, 2表/予防別表 hierarchy, 3表 groups, date order.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::codes::{self, Linkage};
use crate::file_kind::FileKind;
use crate::file_name::FileMonth;
use crate::finding::{Finding, Problem};
use crate::month::{Date, YearMonth};
use crate::record::{CsvFile, Record};

/// Collects findings for one file, attributing them to records and fields by key.
pub(crate) struct Sink<'a> {
    pub file: &'a CsvFile,
    pub out: &'a mut Vec<Finding>,
}

impl Sink<'_> {
    pub fn at(&mut self, problem: Problem, record: &Record, key: Option<&str>) {
        let mut f = Finding::new(&problem, &self.file.file_name).at_record(record);
        if let Some(spec) = key.and_then(|k| self.file.layout.field(k)) {
            f = f.at_field(spec);
        }
        self.out.push(f);
    }

    fn get<'r>(&self, record: &'r Record, key: &str) -> &'r str {
        self.file.get(record, key)
    }
}

pub(crate) fn check_rules(file: &CsvFile, out: &mut Vec<Finding>) {
    let mut sink = Sink { file, out };
    check_versions(&mut sink);
    match file.kind() {
        FileKind::UserSupplement => check_supplement(&mut sink),
        FileKind::ServiceSchedule | FileKind::ServiceActual => {
            check_single_month(&mut sink, "target_month");
            check_service_lines(&mut sink);
        }
        FileKind::ServiceScheduleDelete | FileKind::ServiceActualDelete => {
            check_single_month(&mut sink, "delete_month");
        }
        FileKind::ServiceAnnex => {
            check_single_month(&mut sink, "target_month");
            check_annex(&mut sink);
        }
        FileKind::CarePlan2 => check_hierarchy(
            &mut sink,
            &["issue_no", "goal_no", "support_no"],
            Problem::DuplicateHierarchy,
            true,
        ),
        FileKind::PreventivePlanSupport => check_hierarchy(
            &mut sink,
            &["issue_no", "support_no", "service_no"],
            Problem::DuplicateSupportHierarchy,
            false,
        ),
        FileKind::CarePlan3 => check_weekly_groups(&mut sink),
        _ => {}
    }
    for (start, end) in date_pairs(file.kind()) {
        for r in &file.records {
            let (s, e) = (
                Date::parse(sink.get(r, start)),
                Date::parse(sink.get(r, end)),
            );
            if let (Some(s), Some(e)) = (s, e)
                && s > e
            {
                sink.at(Problem::DateOrder, r, Some(end));
            }
        }
    }
}

fn date_pairs(kind: FileKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        FileKind::UserSupplement => &[("limit_start_date", "limit_end_date")],
        FileKind::CarePlan1 | FileKind::BasicInfo | FileKind::PreventivePlan => {
            &[("certification_start", "certification_end")]
        }
        _ => &[],
    }
}

/// One CSVバージョン per file (§1.3).
fn check_versions(sink: &mut Sink<'_>) {
    let first = sink.file.csv_version.clone();
    if let Some(r) = sink
        .file
        .records
        .iter()
        .find(|r| r.fields.first().is_some_and(|v| *v != first))
    {
        sink.at(Problem::MixedCsvVersions, r, Some("csv_version"));
    }
}

/// 第6表/実績/第7表/削除: one service month, equal to the file-name month (§4.4).
fn check_single_month(sink: &mut Sink<'_>, key: &str) {
    let name_month = sink.file.name.year_month().map(|m| m.to_string());
    let mut seen: Option<&str> = None;
    let mut reported_multiple = false;
    for r in &sink.file.records {
        let v = sink.get(r, key);
        if v.is_empty() {
            continue;
        }
        if name_month.as_deref().is_some_and(|m| m != v) {
            sink.at(Problem::MonthDiffersFromName, r, Some(key));
        }
        match seen {
            None => seen = Some(v),
            Some(s) if s != v && !reported_multiple => {
                reported_multiple = true;
                sink.at(Problem::MultipleMonths, r, Some(key));
            }
            _ => {}
        }
    }
}

/// 補足: `000000` in the name ⇔ tied to 1表/2表 (対象年月 000000, real 作成日); a month in the name
/// ⇔ tied to 6表/7表 (対象年月 = that month, 作成日 00000000) (§5.1, §7.6).
fn check_supplement(sink: &mut Sink<'_>) {
    let month = sink.file.name.month;
    for r in &sink.file.records {
        let target = sink.get(r, "target_month");
        let plan_date = sink.get(r, "plan_date");
        match month {
            FileMonth::Zero => {
                if !target.is_empty() && target != "000000" {
                    sink.at(Problem::SupplementMonthNotZero, r, Some("target_month"));
                }
                if plan_date == "00000000" {
                    sink.at(Problem::SupplementPlanDateZero, r, Some("plan_date"));
                }
            }
            FileMonth::Month(m) => {
                if !target.is_empty() && target != m.to_string() {
                    sink.at(Problem::MonthDiffersFromName, r, Some("target_month"));
                }
                if !plan_date.is_empty() && plan_date != "00000000" {
                    sink.at(Problem::SupplementPlanDateNotZero, r, Some("plan_date"));
                }
            }
            FileMonth::None => {}
        }
    }
}

fn service_kind_of(code: &str) -> &str {
    code.get(..2).unwrap_or("")
}

/// 第6表 予定/実績 records (§5.6, §7.7–7.9, §2.7).
fn check_service_lines(sink: &mut Sink<'_>) {
    let has_equipment_fields = sink.file.layout.index("tais_code").is_some();
    let is_actual = sink.file.kind() == FileKind::ServiceActual;
    let sender = sink.file.name.sender.as_str().to_string();
    for r in &sink.file.records {
        let target = YearMonth::parse(sink.get(r, "target_month"));
        if let (Some(m), Some(d)) = (target, Date::parse(sink.get(r, "service_date")))
            && d.year_month() != m
        {
            sink.at(Problem::ServiceDateOutsideMonth, r, Some("service_date"));
        }
        let code = sink.get(r, "service_code");
        let kind = service_kind_of(code);
        let equipment = codes::is_equipment_rental(kind);
        if has_equipment_fields
            && equipment
            && sink.get(r, "tais_code").is_empty()
            && sink.get(r, "notified_code").is_empty()
        {
            sink.at(Problem::EquipmentCodeMissing, r, Some("tais_code"));
        }
        if codes::service_kind_linkage(kind) == Some(Linkage::NotLinked) {
            sink.at(Problem::NotLinkedServiceKind, r, Some("service_code"));
        }
        if !equipment && !sink.get(r, "detail_no").is_empty() {
            sink.at(Problem::DetailNoNotEquipment, r, Some("detail_no"));
        }
        let flags = sink.get(r, "daily_rate_days");
        if let Some(m) = target
            && flags.len() == 31
            && flags.bytes().skip(usize::from(m.days())).any(|b| b == b'1')
        {
            sink.at(Problem::DayFlagsBeyondMonth, r, Some("daily_rate_days"));
        }
        let (start, end) = (sink.get(r, "start_time"), sink.get(r, "end_time"));
        if !start.is_empty() && !end.is_empty() && ((start == "9999") != (end == "9999")) {
            sink.at(Problem::TimeNoneMixed, r, Some("end_time"));
        }
        let provider = sink.get(r, "provider_code");
        if is_actual && !provider.is_empty() && provider != sender {
            sink.at(Problem::ActualOfOtherOffice, r, Some("provider_code"));
        }
    }
}

enum AnnexLine {
    Total,
    Subtotal(String),
    Service(String),
}

/// The サービス種類 of a 第7表 種類別小計 code (`<種類>AAAA`, `EEEE`, `ZZZZ`).
fn subtotal_kind(code: &str) -> Option<&str> {
    let (kind, rest) = (code.get(..2)?, code.get(2..)?);
    (code.len() == 6 && ["AAAA", "EEEE", "ZZZZ"].contains(&rest)).then_some(kind)
}

/// True for 第7表 lines that sum others: 種類別小計 and 全合計 (`999999`).
pub(crate) fn is_summary_code(code: &str) -> bool {
    code == "999999" || subtotal_kind(code).is_some()
}

fn annex_line(code: &str) -> AnnexLine {
    if code == "999999" {
        AnnexLine::Total
    } else if let Some(kind) = subtotal_kind(code) {
        AnnexLine::Subtotal(kind.to_string())
    } else {
        AnnexLine::Service(service_kind_of(code).to_string())
    }
}

/// 第7表 (§5.8, §7.10): one 全合計 per user, subtotal/total lines' fixed values, `AAAA` when a 種類
/// has several lines.
fn check_annex(sink: &mut Sink<'_>) {
    let has_equipment_fields = sink.file.layout.index("tais_code").is_some();
    let file = sink.file;
    let mut users: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, r) in file.records.iter().enumerate() {
        let key = (file.get(r, "insurer_number"), file.get(r, "insured_number"));
        users.entry(key).or_default().push(i);
    }
    let records = &file.records;
    for indices in users.values() {
        let mut totals = 0usize;
        let mut service_counts: HashMap<String, usize> = HashMap::new();
        let mut subtotals: Vec<(String, usize)> = Vec::new();
        for &i in indices {
            let r = &records[i];
            let code = sink.get(r, "service_code");
            match annex_line(code) {
                AnnexLine::Total => {
                    totals += 1;
                    if totals == 2 {
                        sink.at(Problem::AnnexTotalDuplicate, r, Some("service_code"));
                    }
                    if sink.get(r, "provider_code") != "9999999999" {
                        sink.at(Problem::AnnexTotalOffice, r, Some("provider_code"));
                    }
                    check_summary_line(sink, r);
                }
                AnnexLine::Subtotal(kind) => {
                    subtotals.push((kind, i));
                    check_summary_line(sink, r);
                }
                AnnexLine::Service(kind) => {
                    if has_equipment_fields
                        && codes::is_equipment_rental(&kind)
                        && sink.get(r, "tais_code").is_empty()
                        && sink.get(r, "notified_code").is_empty()
                    {
                        sink.at(Problem::EquipmentCodeMissing, r, Some("tais_code"));
                    }
                    if codes::service_kind_linkage(&kind) == Some(Linkage::NotLinked) {
                        sink.at(Problem::NotLinkedServiceKind, r, Some("service_code"));
                    }
                    *service_counts.entry(kind).or_default() += 1;
                }
            }
        }
        let first = &records[indices[0]];
        if totals == 0 {
            sink.at(Problem::AnnexTotalMissing, first, None);
        }
        let subtotal_kinds: HashSet<&str> = subtotals.iter().map(|(k, _)| k.as_str()).collect();
        let mut multi: Vec<(&String, &usize)> =
            service_counts.iter().filter(|(_, n)| **n > 1).collect();
        multi.sort();
        for (kind, _) in multi {
            if !subtotal_kinds.contains(kind.as_str()) && !codes::is_outside_benefit_limit(kind) {
                sink.at(
                    Problem::SubtotalMissing {
                        service_kind: kind.clone(),
                    },
                    first,
                    Some("service_code"),
                );
            }
        }
        for (kind, i) in &subtotals {
            if !service_counts.contains_key(kind) {
                sink.at(
                    Problem::SubtotalWithoutLines {
                        service_kind: kind.clone(),
                    },
                    &records[*i],
                    Some("service_code"),
                );
            }
        }
    }
}

fn check_summary_line(sink: &mut Sink<'_>, r: &Record) {
    let units = sink.get(r, "units");
    if !units.is_empty() && units != "0" {
        sink.at(Problem::SubtotalUnitsNotZero, r, Some("units"));
    }
    for key in ["discount_rate", "discounted_units"] {
        if !sink.get(r, key).is_empty() {
            sink.at(Problem::SubtotalDiscountNotNull, r, Some(key));
        }
    }
}

/// The plan a hierarchy row belongs to: (保険者番号, 被保険者番号, 計画作成（変更）日).
fn plan_key<'r>(sink: &Sink<'_>, r: &'r Record) -> PlanKey<'r> {
    (
        sink.get(r, "insurer_number"),
        sink.get(r, "insured_number"),
        sink.get(r, "plan_date"),
    )
}

/// A plan's key: (保険者番号, 被保険者番号, 計画作成（変更）日).
type PlanKey<'f> = (&'f str, &'f str, &'f str);

/// The three hierarchy numbers of a row (課題/目標/内容, or 課題/支援計画/利用サービス).
pub type HierarchyNumbers = [Option<u16>; 3];

/// Numbers of a hierarchy row with blanks carried forward from the row above in the same plan.
pub fn carried_numbers(file: &CsvFile, keys: &[&str; 3]) -> Vec<HierarchyNumbers> {
    let mut out = Vec::with_capacity(file.records.len());
    let mut previous: Option<(PlanKey<'_>, HierarchyNumbers)> = None;
    for r in &file.records {
        let plan = (
            file.get(r, "insurer_number"),
            file.get(r, "insured_number"),
            file.get(r, "plan_date"),
        );
        let mut nos = keys.map(|k| file.get(r, k).parse::<u16>().ok());
        if let Some((p, prev)) = &previous
            && *p == plan
        {
            for (n, pv) in nos.iter_mut().zip(prev) {
                if n.is_none() {
                    *n = *pv;
                }
            }
        }
        previous = Some((plan, nos));
        out.push(nos);
    }
    out
}

/// 2表 / 予防別表: unique number triples per plan after carrying blanks forward (§5.4, §5.10.1).
fn check_hierarchy(sink: &mut Sink<'_>, keys: &[&str; 3], duplicate: Problem, sorted: bool) {
    let file = sink.file;
    let numbers = carried_numbers(file, keys);
    let mut seen: HashSet<(PlanKey<'_>, HierarchyNumbers)> = HashSet::new();
    let mut last: Option<(PlanKey<'_>, HierarchyNumbers)> = None;
    let mut reported_order: HashSet<PlanKey<'_>> = HashSet::new();
    let mut reported_carry: HashSet<PlanKey<'_>> = HashSet::new();
    for (r, nos) in file.records.iter().zip(&numbers) {
        let plan = plan_key(sink, r);
        let carried = keys
            .iter()
            .zip(nos)
            .any(|(k, n)| sink.get(r, k).is_empty() && n.is_some());
        if carried && sorted && reported_carry.insert(plan) {
            sink.at(Problem::HierarchyCarriedForward, r, Some(keys[0]));
        }
        if nos.iter().any(Option::is_some) && !seen.insert((plan, *nos)) {
            sink.at(duplicate.clone(), r, Some(keys[2]));
        }
        if sorted
            && let Some((p, prev)) = &last
            && *p == plan
            && nos < prev
            && reported_order.insert(plan)
        {
            sink.at(Problem::HierarchyNotSorted, r, Some(keys[0]));
        }
        last = Some((plan, *nos));
    }
}

/// 3表: each record fills exactly one of its three groups (§5.5).
fn check_weekly_groups(sink: &mut Sink<'_>) {
    for r in &sink.file.records {
        let filled = |keys: &[&str]| keys.iter().any(|k| !sink.get(r, k).is_empty());
        let groups = [
            filled(&["service_content", "weekday", "service_start", "service_end"]),
            filled(&["daily_activity", "activity_start", "activity_end"]),
            filled(&["non_weekly_service"]),
        ];
        if groups.iter().filter(|g| **g).count() != 1 {
            sink.at(Problem::WeeklyRecordGroups, r, None);
        }
    }
}
