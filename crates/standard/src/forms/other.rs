//! Deletion notices, and files without a paper form of their own (a 補足 sent without its
//! base form, a 別表 without its parent, family images), shown field by field.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;

use super::fmt;
use super::{Input, Picked, Place, Section, UserKey, pick_latest, render, user_of};
use crate::file_kind::FileKind;
use crate::month::YearMonth;
use crate::record::{CsvFile, Record};

pub(crate) struct DeletionRow {
    pub kind: &'static str,
    pub target: String,
    pub cascade: &'static str,
    pub sender: String,
    pub file: String,
}

#[derive(Template)]
#[template(path = "forms/deletions.html")]
pub(crate) struct Deletions {
    pub insurer_number: String,
    pub insured_number: String,
    pub rows: Vec<DeletionRow>,
}

/// What a deletion record deletes, and what goes with it (§2.3).
pub(crate) fn deletion_target(file: &CsvFile, r: &Record) -> (String, &'static str) {
    let get = |k| file.get(r, k);
    match file.kind() {
        FileKind::CarePlan1Delete => (
            format!(
                "居宅サービス計画作成（変更）日 {} の居宅サービス計画書",
                fmt::date_ja(get("plan_date"))
            ),
            "第2表・第3表も連動して削除されます",
        ),
        FileKind::ServiceScheduleDelete => (
            format!(
                "{}分のサービス利用票（予定）",
                fmt::month_ja(get("delete_month"))
            ),
            "第7表（別表）も連動して削除されます",
        ),
        FileKind::ServiceActualDelete => (
            format!(
                "{}分の実績（事業所 {}、サービス種類 {} {}）",
                fmt::month_ja(get("delete_month")),
                get("provider_code"),
                get("service_kind"),
                fmt::kind_name(get("service_kind"))
            ),
            "",
        ),
        FileKind::BasicInfoDelete => (
            format!(
                "相談日 {} の利用者基本情報",
                fmt::date_ja(get("consultation_date"))
            ),
            "別表1・別表2・家族構成画像も連動して削除されます",
        ),
        FileKind::PreventivePlanDelete => (
            format!(
                "計画作成（変更）日 {} の介護予防サービス・支援計画書",
                fmt::date_ja(get("plan_date"))
            ),
            "別表（支援計画）も連動して削除されます",
        ),
        _ => (String::new(), ""),
    }
}

pub(crate) struct FieldRow {
    pub no: u16,
    pub name: &'static str,
    pub value: String,
}

pub(crate) struct FieldRecord {
    pub label: String,
    pub fields: Vec<FieldRow>,
}

#[derive(Template)]
#[template(path = "forms/fields.html")]
pub(crate) struct Fields {
    pub title: String,
    pub records: Vec<FieldRecord>,
    pub sources: Vec<String>,
}

/// A field's value as shown: codes with their meaning, dates in 和暦.
fn shown(format: crate::layout::Format, value: &str) -> String {
    use crate::layout::Format as F;
    match format {
        F::Code(list) => match list.meaning(value) {
            Some(m) => format!("{value}（{m}）"),
            None => value.to_string(),
        },
        F::Date | F::DateOrZeros => match fmt::date_ja(value) {
            s if s.is_empty() || s == value => value.to_string(),
            s => format!("{s}（{value}）"),
        },
        F::YearMonth | F::YearMonthOrZeros => match fmt::month_ja(value) {
            s if s.is_empty() || s == value => value.to_string(),
            s => format!("{s}（{value}）"),
        },
        F::ServiceKind => match crate::codes::service_kind_name(value) {
            Some(n) => format!("{value}（{n}）"),
            None => value.to_string(),
        },
        _ => value.to_string(),
    }
}

/// The filled fields of every record of `picked`, one table per record.
pub(crate) fn fields_form(kind: FileKind, picked: &Picked<'_>) -> String {
    let layout = picked.file.layout;
    let records = picked
        .records
        .iter()
        .map(|r| FieldRecord {
            label: format!("レコード {}（{} 行目）", r.number, r.line),
            fields: layout
                .fields
                .iter()
                .zip(&r.fields)
                .filter(|(spec, v)| !v.is_empty() && spec.key != "csv_version")
                .map(|(spec, v)| FieldRow {
                    no: spec.no,
                    name: spec.name,
                    value: shown(spec.format, v),
                })
                .collect(),
        })
        .collect();
    render(&Fields {
        title: kind.japanese_name().to_string(),
        records,
        sources: vec![crate::reader::base_name(&picked.file.file_name).to_string()],
    })
}

#[derive(Template)]
#[template(path = "forms/images.html")]
pub(crate) struct Images {
    pub images: Vec<(String, String)>,
}

/// Adds deletion notices per user, 補足 not used by any form, and images without their 基本情報.
pub(crate) fn sections(
    input: &Input<'_>,
    out: &mut Vec<Section>,
    used_plan: &BTreeSet<(String, String, String)>,
    used_month: &BTreeSet<(String, String, String)>,
) {
    let deletion_kinds = [
        FileKind::CarePlan1Delete,
        FileKind::ServiceScheduleDelete,
        FileKind::ServiceActualDelete,
        FileKind::BasicInfoDelete,
        FileKind::PreventivePlanDelete,
    ];
    let mut deletions: BTreeMap<UserKey, Vec<DeletionRow>> = BTreeMap::new();
    for f in input.of_kind(&deletion_kinds) {
        for r in &f.records {
            let (target, cascade) = deletion_target(f, r);
            deletions
                .entry(user_of(f, r))
                .or_default()
                .push(DeletionRow {
                    kind: f.kind().japanese_name(),
                    target,
                    cascade,
                    sender: f.name.sender.to_string(),
                    file: crate::reader::base_name(&f.file_name).to_string(),
                });
        }
    }
    for (user, rows) in deletions {
        let html = render(&Deletions {
            insurer_number: user.0.clone(),
            insured_number: user.1.clone(),
            rows,
        });
        out.push(Section {
            place: Place {
                user,
                rank: 20,
                when: String::new(),
            },
            html,
        });
    }

    let supplements = input.of_kind(&[FileKind::UserSupplement]);
    let picked = pick_latest(&supplements, |f, r| {
        let (ins, insd) = user_of(f, r);
        let month = f.get(r, "target_month");
        let link = if YearMonth::parse(month).is_some() {
            (false, month.to_string())
        } else {
            (true, f.get(r, "plan_date").to_string())
        };
        Some((ins, insd, link))
    });
    for ((ins, insd, (is_plan, link)), p) in &picked {
        let key = (ins.clone(), insd.clone(), link.clone());
        let used = if *is_plan {
            used_plan.contains(&key)
        } else {
            used_month.contains(&key)
        };
        if !used {
            out.push(Section {
                place: Place {
                    user: (ins.clone(), insd.clone()),
                    rank: 15,
                    when: link.clone(),
                },
                html: fields_form(FileKind::UserSupplement, p),
            });
        }
    }

    if !input.images.is_empty() && input.of_kind(&[FileKind::BasicInfo]).is_empty() {
        let images = input
            .images
            .iter()
            .map(|i| {
                (
                    crate::reader::base_name(&i.file_name).to_string(),
                    fmt::num(&i.size.to_string()),
                )
            })
            .collect();
        out.push(Section {
            place: Place {
                user: (String::from("\u{10FFFF}"), String::new()),
                rank: 30,
                when: String::new(),
            },
            html: render(&Images { images }),
        });
    }
}
