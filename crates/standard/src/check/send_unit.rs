//! Send units (§2.3–2.4): which files travel together, and that their records link up.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::file_kind::FileKind;
use crate::file_name::{FileMonth, SendUnitKey};
use crate::finding::{Finding, Problem};
use crate::layout::LayoutVersion;
use crate::record::{CsvFile, Document, Record};

use FileKind as K;

/// The combinations of §2.4 (base files; 別表 and images travel with their parent).
const COMBINATIONS: &[&[FileKind]] = &[
    // 居宅介護支援事業所 → サービス事業所
    &[K::CarePlan1, K::CarePlan2, K::CarePlan3, K::UserSupplement],
    &[K::CarePlan1, K::CarePlan2, K::UserSupplement], // v3 (no 第3表)
    &[K::ServiceSchedule, K::ServiceAnnex, K::UserSupplement],
    &[K::CarePlan1Delete],
    &[K::ServiceScheduleDelete],
    // サービス事業所 → 居宅介護支援事業所
    &[K::ServiceActual],
    &[K::ServiceActualDelete],
    // 介護予防 (v4)
    &[K::BasicInfo],
    &[K::PreventivePlan, K::BasicInfo],
    &[K::PreventivePlan],
    &[K::BasicInfoDelete],
    &[K::PreventivePlanDelete],
];

/// Groups documents into send units by (sender, recipient, ファイル連番), in ファイル連番 order.
pub fn group_units(documents: &[Document]) -> BTreeMap<SendUnitKey, Vec<&Document>> {
    let mut units: BTreeMap<SendUnitKey, Vec<&Document>> = BTreeMap::new();
    for d in documents {
        units.entry(d.name().unit_key()).or_default().push(d);
    }
    units
}

/// The label findings about a whole unit carry in place of a file name.
pub fn unit_label(key: &SendUnitKey) -> String {
    format!("送信単位 {key}")
}

/// Checks one send unit's combination, months and record links.
pub fn check_unit(key: &SendUnitKey, documents: &[&Document]) -> Vec<Finding> {
    let label = unit_label(key);
    let mut out = Vec::new();
    let mut push = |p: Problem| out.push(Finding::new(&p, &label));

    let kinds: Vec<FileKind> = documents.iter().map(|d| d.name().kind).collect();
    let mut seen = HashSet::new();
    for k in &kinds {
        if !k.is_image() && !seen.insert(*k) {
            push(Problem::UnitDuplicateKind {
                kind: k.japanese_name(),
            });
        }
        if let Some(parent) = k.parent()
            && !kinds.contains(&parent)
        {
            push(Problem::UnitMissingParent {
                kind: k.japanese_name(),
                parent: parent.japanese_name(),
            });
        }
    }
    let base: BTreeSet<FileKind> = kinds
        .iter()
        .filter(|k| k.parent().is_none())
        .copied()
        .collect();
    let matches = COMBINATIONS
        .iter()
        .any(|c| c.len() == base.len() && c.iter().all(|k| base.contains(k)));
    if !matches && !base.is_empty() {
        let names: Vec<&str> = base.iter().map(|k| k.prefix()).collect();
        push(Problem::UnitCombination {
            kinds: names.join("・"),
        });
    }

    let csv: Vec<&CsvFile> = documents.iter().filter_map(|d| d.as_csv()).collect();
    let by_kind = |k: FileKind| csv.iter().copied().find(|f| f.kind() == k);

    // Months: 利用票 group shares one 提供年月; the 計画書 group's 補足 is 000000.
    let months: BTreeSet<FileMonth> = csv
        .iter()
        .filter(|f| {
            matches!(
                f.kind(),
                K::ServiceSchedule | K::ServiceAnnex | K::UserSupplement
            )
        })
        .map(|f| f.name.month)
        .collect();
    let plan_group = base.contains(&K::CarePlan1);
    if months.len() > 1 || (plan_group && months.iter().any(|m| *m != FileMonth::Zero)) {
        push(Problem::UnitMonthMismatch);
    }
    let versions: BTreeSet<LayoutVersion> = csv.iter().map(|f| f.version()).collect();
    if versions.len() > 1 {
        push(Problem::UnitMixedVersions);
    }
    if plan_group && !base.contains(&K::CarePlan3) && versions.contains(&LayoutVersion::V4) {
        push(Problem::UnitWithoutCarePlan3);
    }
    if key.sender == key.recipient {
        push(Problem::UnitSameOffice);
    }
    if let (Some(sk), Some(rk)) = (key.sender_kind, key.recipient_kind) {
        let from_provider = base
            .iter()
            .all(|k| matches!(k, K::ServiceActual | K::ServiceActualDelete));
        let wrong = if from_provider {
            // 委託: a 居宅 forwards 実績 to the 包括, so only "care manager → provider" is wrong.
            sk.is_care_management() && !rk.is_care_management()
        } else {
            !sk.is_care_management()
        };
        if wrong && !base.is_empty() {
            push(Problem::UnitDirection);
        }
    }

    // Record links (§2.3).
    let mut link = |dependent: Option<&CsvFile>,
                    dep_date: &str,
                    base_file: Option<&CsvFile>,
                    base_date: &str| {
        let (Some(d), Some(b)) = (dependent, base_file) else {
            return;
        };
        if let Some(r) = first_unlinked(d, dep_date, &key_set(b, base_date)) {
            let p = Problem::UnitLinkMissing {
                dependent: d.kind().japanese_name(),
                base: b.kind().japanese_name(),
            };
            out.push(Finding::new(&p, &d.file_name).at_record(r));
        }
    };
    link(
        by_kind(K::CarePlan2),
        "plan_date",
        by_kind(K::CarePlan1),
        "plan_date",
    );
    link(
        by_kind(K::CarePlan3),
        "plan_date",
        by_kind(K::CarePlan1),
        "plan_date",
    );
    link(
        by_kind(K::ServiceAnnex),
        "target_month",
        by_kind(K::ServiceSchedule),
        "target_month",
    );
    link(
        by_kind(K::BasicInfoSchedule),
        "consultation_date",
        by_kind(K::BasicInfo),
        "consultation_date",
    );
    link(
        by_kind(K::BasicInfoHistory),
        "consultation_date",
        by_kind(K::BasicInfo),
        "consultation_date",
    );
    link(
        by_kind(K::PreventivePlanSupport),
        "plan_date",
        by_kind(K::PreventivePlan),
        "plan_date",
    );
    let supplement = by_kind(K::UserSupplement);
    if plan_group {
        link(supplement, "plan_date", by_kind(K::CarePlan1), "plan_date");
    } else {
        link(
            supplement,
            "target_month",
            by_kind(K::ServiceSchedule),
            "target_month",
        );
    }
    // Every base user should have its 補足 (a warning: the user's data is then incomplete).
    let base_file = if plan_group {
        by_kind(K::CarePlan1)
    } else {
        by_kind(K::ServiceSchedule)
    };
    if let (Some(b), Some(s)) = (base_file, supplement) {
        let date_key = if plan_group {
            "plan_date"
        } else {
            "target_month"
        };
        if let Some(r) = first_unlinked(b, date_key, &key_set(s, date_key)) {
            let p = Problem::UnitBaseWithoutSupplement {
                base: b.kind().japanese_name(),
            };
            out.push(Finding::new(&p, &b.file_name).at_record(r));
        }
    }
    out
}

/// A record's link key (§2.3): (保険者番号, 被保険者番号, key date or month).
type LinkKey<'f> = (&'f str, &'f str, &'f str);

/// Every record with its link key, columns resolved once per file.
fn link_keys<'f>(
    f: &'f CsvFile,
    date_key: &str,
) -> impl Iterator<Item = (&'f Record, LinkKey<'f>)> {
    let cols = [
        f.layout.index("insurer_number"),
        f.layout.index("insured_number"),
        f.layout.index(date_key),
    ];
    let col =
        move |r: &'f Record, i: Option<usize>| i.and_then(|i| r.fields.get(i)).unwrap_or_default();
    f.records
        .iter()
        .map(move |r| (r, (col(r, cols[0]), col(r, cols[1]), col(r, cols[2]))))
}

/// The set of link keys of a file. Consecutive records mostly share a key (a user's lines), so
/// repeats of the previous key are not hashed again.
fn key_set<'f>(f: &'f CsvFile, date_key: &str) -> HashSet<LinkKey<'f>> {
    let mut set = HashSet::new();
    let mut last = None;
    for (_, k) in link_keys(f, date_key) {
        if last != Some(k) {
            set.insert(k);
            last = Some(k);
        }
    }
    set
}

/// The first record of `f` whose link key is not in `keys`.
fn first_unlinked<'f>(
    f: &'f CsvFile,
    date_key: &str,
    keys: &HashSet<LinkKey<'_>>,
) -> Option<&'f Record> {
    let mut last = None;
    for (r, k) in link_keys(f, date_key) {
        if last == Some(k) {
            continue;
        }
        if !keys.contains(&k) {
            return Some(r);
        }
        last = Some(k);
    }
    None
}
