//! Versions of a user's 第6表 (予定 `UPPLAN` or 実績 `UPJSK`) for a month, and what changed from
//! one version to the next: lines added, lines removed, days changed on a line.
//!
//! A line of the paper grid is one service of one provider at one time; the standard files carry
//! it as one record per day, so a line is the set of days of records sharing
//! (サービス事業者コード, サービスコード, 開始時刻, 終了時刻).

use std::collections::{BTreeMap, BTreeSet};

use tsunagu_standard::{CsvFile, FileKind, OfficeId, StandardFileName};

use crate::unit_files::UnitRef;

/// One line of the 第6表 grid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    pub provider: String,
    pub service_code: String,
    pub start: String,
    pub end: String,
}

impl LineKey {
    /// `10:00〜11:00` or `時間指定なし`.
    pub fn time_label(&self) -> String {
        let hm = |t: &str| {
            // 9999 is the standard's "no time" (e.g. 福祉用具貸与).
            if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) && t != "9999" {
                Some(format!("{}:{}", &t[..2], &t[2..]))
            } else {
                None
            }
        };
        match (hm(&self.start), hm(&self.end)) {
            (Some(s), Some(e)) => format!("{s}〜{e}"),
            _ => "時間指定なし".to_string(),
        }
    }
}

/// Line → days of the month (1–31) with a record.
pub type Lines = BTreeMap<LineKey, BTreeSet<u8>>;

/// What changed on one line between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange {
    Added {
        key: LineKey,
        days: Vec<u8>,
    },
    Removed {
        key: LineKey,
        days: Vec<u8>,
    },
    Days {
        key: LineKey,
        added: Vec<u8>,
        removed: Vec<u8>,
    },
}

/// Lines added, removed and changed from `old` to `new`, in line order.
pub fn diff(old: &Lines, new: &Lines) -> Vec<LineChange> {
    let keys: BTreeSet<&LineKey> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        match (old.get(key), new.get(key)) {
            (None, Some(days)) => out.push(LineChange::Added {
                key: key.clone(),
                days: days.iter().copied().collect(),
            }),
            (Some(days), None) => out.push(LineChange::Removed {
                key: key.clone(),
                days: days.iter().copied().collect(),
            }),
            (Some(a), Some(b)) if a != b => out.push(LineChange::Days {
                key: key.clone(),
                added: b.difference(a).copied().collect(),
                removed: a.difference(b).copied().collect(),
            }),
            _ => {}
        }
    }
    out
}

/// Whose plan, which month, which form: the key of a history.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HistoryKey {
    /// The office on the other side of the units.
    pub partner: OfficeId,
    /// `UPPLAN` (予定) or `UPJSK` (実績).
    pub kind: String,
    pub insurer: String,
    pub insured: String,
    /// 対象年月 YYYYMM.
    pub month: String,
}

/// One version: the lines of one user and month in one unit.
#[derive(Debug, Clone)]
pub struct Version {
    pub unit: UnitRef,
    pub file_name: String,
    /// 作成年月日 of the records (YYYYMMDD).
    pub created: String,
    pub lines: Lines,
}

fn day_of(date: &str) -> Option<u8> {
    date.get(6..8)
        .and_then(|d| d.parse().ok())
        .filter(|d| (1..=31).contains(d))
}

/// Adds one file's versions (one per user and month in it) to `histories`.
pub fn add_file(
    histories: &mut BTreeMap<HistoryKey, Vec<Version>>,
    me: &OfficeId,
    unit: &UnitRef,
    file: &CsvFile,
) {
    let kind = match file.kind() {
        FileKind::ServiceSchedule => "UPPLAN",
        FileKind::ServiceActual => "UPJSK",
        _ => return,
    };
    let partner = if unit.sender == *me {
        unit.recipient
    } else {
        unit.sender
    };
    let mut per_user: BTreeMap<(String, String, String), (String, Lines)> = BTreeMap::new();
    for r in &file.records {
        let user = (
            file.get(r, "insurer_number").to_string(),
            file.get(r, "insured_number").to_string(),
            file.get(r, "target_month").to_string(),
        );
        let entry = per_user
            .entry(user)
            .or_insert_with(|| (file.get(r, "created_date").to_string(), Lines::new()));
        let key = LineKey {
            provider: file.get(r, "provider_code").to_string(),
            service_code: file.get(r, "service_code").to_string(),
            start: file.get(r, "start_time").to_string(),
            end: file.get(r, "end_time").to_string(),
        };
        let days = entry.1.entry(key).or_default();
        if let Some(d) = day_of(file.get(r, "service_date")) {
            days.insert(d);
        }
    }
    for ((insurer, insured, month), (created, lines)) in per_user {
        histories
            .entry(HistoryKey {
                partner,
                kind: kind.to_string(),
                insurer,
                insured,
                month,
            })
            .or_default()
            .push(Version {
                unit: unit.clone(),
                file_name: file.file_name.clone(),
                created,
                lines,
            });
    }
}

/// Builds every history from kept files (name, bytes with their unit); versions in
/// ファイル連番 order, oldest first.
pub fn histories(
    me: &OfficeId,
    files: &[(UnitRef, String, Vec<u8>)],
) -> BTreeMap<HistoryKey, Vec<Version>> {
    let mut out = BTreeMap::new();
    for (unit, name, bytes) in files {
        if StandardFileName::parse(name).is_err() {
            continue;
        }
        let outcome = tsunagu_standard::read(name, bytes);
        if let Some(doc) = outcome.document.as_ref().and_then(|d| d.as_csv()) {
            add_file(&mut out, me, unit, doc);
        }
    }
    for versions in out.values_mut() {
        versions.sort_by(|a, b| a.unit.unit_id.cmp(&b.unit.unit_id));
    }
    out
}

/// Days as `1, 3, 8日`.
pub fn days_label(days: &[u8]) -> String {
    if days.is_empty() {
        return "なし".to_string();
    }
    let list: Vec<String> = days.iter().map(u8::to_string).collect();
    format!("{}日", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit_files::Flow;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../standard/tests/fixtures");
    const PLAN: &str = "UPPLAN_202504_3100000001_43_3100000101_11_20250325090000.CSV";

    fn key(code: &str, start: &str) -> LineKey {
        LineKey {
            provider: "3100000101".into(),
            service_code: code.into(),
            start: start.into(),
            end: "1100".into(),
        }
    }

    fn lines(entries: &[(LineKey, &[u8])]) -> Lines {
        entries
            .iter()
            .map(|(k, d)| (k.clone(), d.iter().copied().collect()))
            .collect()
    }

    #[test]
    fn diff_finds_added_removed_and_changed_days() {
        let old = lines(&[
            (key("111211", "1000"), &[1, 3, 8]),
            (key("116275", "1000"), &[1]),
        ]);
        let new = lines(&[
            (key("111211", "1000"), &[1, 8, 10]),
            (key("121111", "0900"), &[2]),
        ]);
        let d = diff(&old, &new);
        assert_eq!(
            d,
            vec![
                LineChange::Days {
                    key: key("111211", "1000"),
                    added: vec![10],
                    removed: vec![3]
                },
                LineChange::Removed {
                    key: key("116275", "1000"),
                    days: vec![1]
                },
                LineChange::Added {
                    key: key("121111", "0900"),
                    days: vec![2]
                },
            ]
        );
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn labels() {
        assert_eq!(key("1", "1000").time_label(), "10:00〜11:00");
        assert_eq!(key("1", "9999").time_label(), "時間指定なし");
        let none = LineKey {
            start: "".into(),
            ..key("1", "")
        };
        assert_eq!(none.time_label(), "時間指定なし");
        assert_eq!(days_label(&[1, 3]), "1, 3日");
        assert_eq!(days_label(&[]), "なし");
    }

    fn unit(serial: &str) -> UnitRef {
        UnitRef {
            flow: Flow::Received,
            sender: OfficeId::parse("3100000001_43").unwrap(),
            recipient: OfficeId::parse("3100000101_11").unwrap(),
            unit_id: serial.into(),
        }
    }

    /// A second version of the fixture plan without its first record: the first line loses a day.
    #[test]
    fn histories_from_files_order_versions_and_diff_them() {
        let bytes = std::fs::read(format!("{FIXTURES}/valid/{PLAN}")).unwrap();
        let first_newline = bytes.iter().position(|b| *b == b'\n').unwrap();
        let fewer = bytes[first_newline + 1..].to_vec();
        let later = PLAN.replace("20250325090000", "20250327090000");
        let me = OfficeId::parse("3100000101_11").unwrap();
        let files = vec![
            (unit("20250327090000"), later, fewer),
            (unit("20250325090000"), PLAN.to_string(), bytes),
        ];
        let h = histories(&me, &files);
        assert_eq!(h.len(), 1);
        let (k, versions) = h.iter().next().unwrap();
        assert_eq!(k.kind, "UPPLAN");
        assert_eq!(k.month, "202504");
        assert_eq!(k.partner.to_string(), "3100000001_43");
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0].unit.unit_id, "20250325090000");
        let changes = diff(&versions[0].lines, &versions[1].lines);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(
            matches!(&changes[0], LineChange::Days { removed, added, .. } if removed == &vec![1] && added.is_empty()),
            "{changes:?}"
        );
    }
}
