//! 居宅サービス計画書（１）（２） and 週間サービス計画表（第3表）.

use std::collections::BTreeSet;

use askama::Template;

use super::fmt;
use super::{
    Choice, Input, Picked, Place, Section, UserKey, certification_choices, pick_latest,
    plan_category_choices, render, spans, user_of,
};
use crate::codes;
use crate::file_kind::FileKind;
use crate::layout::{CarePlan1, CarePlan2, CarePlan3, UserSupplement};

#[derive(Template)]
#[template(path = "forms/plan1.html")]
pub(crate) struct Plan1 {
    pub created_date: String,
    pub categories: Vec<Choice>,
    pub certification: Vec<Choice>,
    pub name: String,
    pub birth_date: String,
    pub address: String,
    pub planner_name: String,
    pub office: String,
    pub plan_date: String,
    pub first_plan_date: String,
    pub certification_date: String,
    pub certification_period: String,
    pub care_levels: Vec<Choice>,
    pub assessment: String,
    pub committee: String,
    pub policy: String,
    pub reasons: Vec<Choice>,
    pub other_reason: String,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

fn join_nonempty(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

pub(crate) fn plan1(p1: &CarePlan1, person: Option<&UserSupplement>, picked: &Picked<'_>) -> Plan1 {
    let level_options = ["要介護１", "要介護２", "要介護３", "要介護４", "要介護５"];
    let level = codes::CARE_LEVEL.meaning(&p1.care_level);
    let mut care_levels = Choice::list(&level_options, &level.into_iter().collect::<Vec<_>>());
    if let Some(l) = level.filter(|l| !level_options.contains(l)) {
        care_levels.insert(
            0,
            Choice {
                label: l.to_string(),
                selected: true,
            },
        );
    } else if level.is_none() && !p1.care_level.is_empty() {
        care_levels.push(Choice {
            label: p1.care_level.clone(),
            selected: true,
        });
    }
    let reasons = codes::LIVELIHOOD_REASON
        .entries
        .iter()
        .map(|(c, m)| Choice {
            label: format!("{c}. {m}"),
            selected: *c == p1.livelihood_reason,
        })
        .collect();
    let postal = if p1.postal_code.is_empty() {
        String::new()
    } else {
        format!("〒{}", p1.postal_code)
    };
    let office_postal = if p1.support_office_postal_code.is_empty() {
        String::new()
    } else {
        format!("〒{}", p1.support_office_postal_code)
    };
    let mut notes: Vec<String> = picked.superseded_note().into_iter().collect();
    if person.is_none() {
        notes.push("この計画の利用者補足情報がないため、利用者名と生年月日は空欄です。".into());
    }
    Plan1 {
        created_date: fmt::date_ja(&p1.created_date),
        categories: plan_category_choices(&p1.plan_category),
        certification: certification_choices(&p1.certification_status),
        name: person.map(|s| s.name.clone()).unwrap_or_default(),
        birth_date: person
            .map(|s| fmt::date_ja(&s.birth_date))
            .unwrap_or_default(),
        address: join_nonempty(&[&postal, &p1.address1, &p1.address2], " "),
        planner_name: p1.planner_name.clone(),
        office: join_nonempty(
            &[
                &p1.support_office_name,
                &office_postal,
                &p1.support_office_address1,
                &p1.support_office_address2,
            ],
            " ",
        ),
        plan_date: fmt::date_ja(&p1.plan_date),
        first_plan_date: fmt::date_ja(&p1.first_plan_date),
        certification_date: fmt::date_ja(&p1.certification_date),
        certification_period: super::plan_period(&p1.certification_start, &p1.certification_end),
        care_levels,
        assessment: p1.assessment_result.clone(),
        committee: p1.committee_opinion.clone(),
        policy: p1.overall_policy.clone(),
        reasons,
        other_reason: p1.other_reason.clone(),
        notes,
        sources: vec![crate::reader::base_name(&picked.file.file_name).to_string()],
    }
}

/// A merged cell: its text and how many rows it covers.
pub(crate) struct Span {
    pub text: String,
    pub period: String,
    pub rows: usize,
}

pub(crate) struct Plan2Row {
    pub issue: Option<Span>,
    pub long: Option<Span>,
    pub short: Option<Span>,
    pub content: String,
    pub covered: &'static str,
    pub service_type: String,
    pub provider: String,
    pub frequency: String,
    pub period: String,
}

#[derive(Template)]
#[template(path = "forms/plan2.html")]
pub(crate) struct Plan2 {
    pub name: String,
    pub created_date: String,
    pub plan_date: String,
    pub rows: Vec<Plan2Row>,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

/// Tracks one merged column group: a new cell starts when the numbers change or a filled value
/// differs from the cell's value; blank values continue the cell above (§5.4 print image).
#[derive(Default)]
struct Merge {
    numbers: Option<Vec<Option<u16>>>,
    values: Vec<String>,
}

impl Merge {
    fn starts(&mut self, force: bool, numbers: Vec<Option<u16>>, values: &[&str]) -> bool {
        let differs = values
            .iter()
            .zip(
                self.values
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::repeat("")),
            )
            .any(|(v, cur)| !v.is_empty() && *v != cur);
        let new = force || self.numbers.as_ref() != Some(&numbers) || differs;
        if new {
            self.values = values.iter().map(|v| (*v).to_string()).collect();
            self.numbers = Some(numbers);
        } else {
            for (cur, v) in self.values.iter_mut().zip(values) {
                if cur.is_empty() && !v.is_empty() {
                    *cur = (*v).to_string();
                }
            }
        }
        new
    }
}

/// Per level of one row: the numbers that identify the level, and its values.
pub(crate) type LevelRow<'a> = Vec<(Vec<Option<u16>>, Vec<&'a str>)>;

/// A merged cell starting at a row: how many rows it covers and its values.
pub(crate) type MergedCell = Option<(usize, Vec<String>)>;

/// Merged cells for 2表-like hierarchies. `rows[i]` holds, per level, the numbers that identify
/// the level and its values; the result holds, per level, the spans with their values.
pub(crate) fn merge_levels(rows: &[LevelRow<'_>], levels: usize) -> Vec<Vec<MergedCell>> {
    let mut starts = vec![Vec::with_capacity(rows.len()); levels];
    let mut values: Vec<Vec<Vec<String>>> = vec![Vec::with_capacity(rows.len()); levels];
    let mut merges: Vec<Merge> = (0..levels).map(|_| Merge::default()).collect();
    let mut current = vec![0usize; levels];
    for (i, row) in rows.iter().enumerate() {
        let mut force = false;
        for (level, (numbers, vals)) in row.iter().enumerate().take(levels) {
            let new = merges[level].starts(force, numbers.clone(), vals);
            force |= new;
            starts[level].push(new);
            values[level].push(Vec::new());
            if new {
                current[level] = i;
            }
            // The values of the level's current cell, kept at its starting row.
            values[level][current[level]] = merges[level].values.clone();
        }
    }
    (0..levels)
        .map(|level| {
            spans(&starts[level])
                .into_iter()
                .zip(std::mem::take(&mut values[level]))
                .map(|(span, v)| span.map(|n| (n, v)))
                .collect()
        })
        .collect()
}

fn span_of(cell: &MergedCell) -> Option<Span> {
    cell.as_ref().map(|(rows, v)| Span {
        text: v.first().cloned().unwrap_or_default(),
        period: v.get(1).cloned().unwrap_or_default(),
        rows: *rows,
    })
}

pub(crate) fn plan2(name: String, picked: &Picked<'_>) -> Plan2 {
    let records: Vec<CarePlan2> = picked.typed();
    let numbers = picked.carried_numbers(&["issue_no", "goal_no", "support_no"]);
    let levels: Vec<LevelRow<'_>> = records
        .iter()
        .zip(&numbers)
        .map(|(r, n)| {
            vec![
                (vec![n[0]], vec![r.issue.as_str()]),
                (
                    vec![n[0], n[1]],
                    vec![r.long_term_goal.as_str(), r.long_term_period.as_str()],
                ),
                (
                    vec![n[0], n[1]],
                    vec![r.short_term_goal.as_str(), r.short_term_period.as_str()],
                ),
            ]
        })
        .collect();
    let merged = merge_levels(&levels, 3);
    let rows = records
        .iter()
        .enumerate()
        .map(|(i, r)| Plan2Row {
            issue: span_of(&merged[0][i]),
            long: span_of(&merged[1][i]),
            short: span_of(&merged[2][i]),
            content: r.service_content.clone(),
            covered: if r.insurance_covered == "Y" {
                "○"
            } else {
                ""
            },
            service_type: r.service_type.clone(),
            provider: r.provider_name.clone(),
            frequency: r.frequency.clone(),
            period: r.period.clone(),
        })
        .collect();
    let first = records.first();
    Plan2 {
        name,
        created_date: first
            .map(|r| fmt::date_ja(&r.created_date))
            .unwrap_or_default(),
        plan_date: first
            .map(|r| fmt::date_ja(&r.plan_date))
            .unwrap_or_default(),
        rows,
        notes: picked.superseded_note().into_iter().collect(),
        sources: vec![crate::reader::base_name(&picked.file.file_name).to_string()],
    }
}

pub(crate) struct WeekCell {
    pub text: String,
    pub rows: usize,
    pub class: &'static str,
}

pub(crate) struct WeekRow {
    pub band: Option<Span>,
    pub hour: String,
    pub cells: Vec<WeekCell>,
    pub activity: String,
}

#[derive(Template)]
#[template(path = "forms/plan3.html")]
pub(crate) struct Plan3 {
    pub name: String,
    pub created_date: String,
    pub from_month: String,
    pub rows: Vec<WeekRow>,
    pub non_weekly: String,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

/// 時間帯 bands of the paper 第3表: (label, first hour, end hour).
const BANDS: [(&str, usize, usize); 6] = [
    ("深夜", 0, 6),
    ("早朝", 6, 8),
    ("午前", 8, 12),
    ("午後", 12, 18),
    ("夜間", 18, 22),
    ("深夜", 22, 24),
];

/// A block of a day column: rows `start..end` and its text.
struct Block {
    start: usize,
    end: usize,
    texts: Vec<String>,
}

pub(crate) fn plan3(name: String, picked: &Picked<'_>) -> Plan3 {
    let records: Vec<CarePlan3> = picked.typed();
    let mut slots: Vec<Vec<(usize, usize, String)>> = vec![Vec::new(); 7];
    let mut activities: Vec<Vec<String>> = vec![Vec::new(); 24];
    let mut non_weekly = Vec::new();
    let mut notes: Vec<String> = picked.superseded_note().into_iter().collect();
    for r in &records {
        if !r.service_content.is_empty() || !r.weekday.is_empty() {
            let day = r
                .weekday
                .parse::<usize>()
                .ok()
                .filter(|d| (1..=7).contains(d));
            let (start, end) = (fmt::minutes(&r.service_start), fmt::minutes(&r.service_end));
            match (day, start) {
                (Some(d), Some(s)) => {
                    let first = usize::from(s / 60).min(23);
                    let last = end
                        .filter(|e| *e > s)
                        .map_or(first + 1, |e| usize::from(e.div_ceil(60)).min(24));
                    let text = format!(
                        "{}\n{}",
                        r.service_content,
                        fmt::time_range(&r.service_start, &r.service_end)
                    );
                    slots[d - 1].push((first, last.max(first + 1), text));
                }
                _ => notes.push(format!(
                    "曜日または時間が読めないサービス「{}」（曜日 {}、{}～{}）は表に入れていません。",
                    r.service_content, r.weekday, r.service_start, r.service_end
                )),
            }
        }
        if !r.daily_activity.is_empty() {
            let hour = fmt::minutes(&r.activity_start).map_or(0, |m| usize::from(m / 60).min(23));
            let t = fmt::time(&r.activity_start);
            activities[hour].push(if t.is_empty() {
                r.daily_activity.clone()
            } else {
                format!("{t} {}", r.daily_activity)
            });
        }
        if !r.non_weekly_service.is_empty() {
            non_weekly.push(r.non_weekly_service.clone());
        }
    }
    // Per day: sort and merge overlapping slots into one block.
    let blocks: Vec<Vec<Block>> = slots
        .into_iter()
        .map(|mut day| {
            day.sort();
            let mut out: Vec<Block> = Vec::new();
            for (s, e, t) in day {
                match out.last_mut() {
                    Some(b) if s < b.end => {
                        b.end = b.end.max(e);
                        b.texts.push(t);
                    }
                    _ => out.push(Block {
                        start: s,
                        end: e,
                        texts: vec![t],
                    }),
                }
            }
            out
        })
        .collect();
    let band_starts: Vec<bool> = (0..24)
        .map(|h| BANDS.iter().any(|(_, s, _)| *s == h))
        .collect();
    let band_spans = spans(&band_starts);
    let rows = (0..24)
        .map(|hour| {
            let cells = blocks
                .iter()
                .enumerate()
                .filter_map(|(d, day)| {
                    let class = match d {
                        5 => "sat",
                        6 => "sun",
                        _ => "",
                    };
                    match day.iter().find(|b| b.start <= hour && hour < b.end) {
                        Some(b) if b.start == hour => Some(WeekCell {
                            text: b.texts.join("\n"),
                            rows: b.end - b.start,
                            class: "slot",
                        }),
                        Some(_) => None,
                        None => Some(WeekCell {
                            text: String::new(),
                            rows: 1,
                            class,
                        }),
                    }
                })
                .collect();
            WeekRow {
                band: band_spans[hour].map(|rows| Span {
                    text: BANDS
                        .iter()
                        .find(|(_, s, _)| *s == hour)
                        .map(|(l, ..)| (*l).to_string())
                        .unwrap_or_default(),
                    period: String::new(),
                    rows,
                }),
                hour: format!("{hour}:00"),
                cells,
                activity: activities[hour].join("\n"),
            }
        })
        .collect();
    let first = records.first();
    Plan3 {
        name,
        created_date: first
            .map(|r| fmt::date_ja(&r.created_date))
            .unwrap_or_default(),
        from_month: first
            .and_then(|r| r.plan_date.get(..6))
            .map(|m| format!("{}分より", fmt::month_ja(m)))
            .unwrap_or_default(),
        rows,
        non_weekly: non_weekly.join("\n"),
        notes,
        sources: vec![crate::reader::base_name(&picked.file.file_name).to_string()],
    }
}

/// The user's name for 2表/3表: from the plan's 補足, else any 補足 of the user.
fn name_for(input: &Input<'_>, user: &UserKey, plan_date: &str) -> String {
    input
        .supplement_for_plan(user, plan_date)
        .or_else(|| input.any_supplement(user))
        .map(|s| s.name.clone())
        .unwrap_or_default()
}

/// Adds 第1表, 第2表 and 第3表 of every user and plan.
pub(crate) fn sections(
    input: &Input<'_>,
    out: &mut Vec<Section>,
    used_supplements: &mut BTreeSet<(String, String, String)>,
) {
    let key = |f: &crate::record::CsvFile, r: &crate::record::Record| {
        Some((user_of(f, r), f.get(r, "plan_date").to_string()))
    };
    let p1 = pick_latest(&input.of_kind(&[FileKind::CarePlan1]), key);
    let p2 = pick_latest(&input.of_kind(&[FileKind::CarePlan2]), key);
    let p3 = pick_latest(&input.of_kind(&[FileKind::CarePlan3]), key);
    let mut place = |user: &UserKey, date: &str, rank: u8, html: String| {
        used_supplements.insert((user.0.clone(), user.1.clone(), date.to_string()));
        out.push(Section {
            place: Place {
                user: user.clone(),
                rank,
                when: date.to_string(),
            },
            html,
        });
    };
    for ((user, date), picked) in &p1 {
        let person = input.supplement_for_plan(user, date);
        let person = person.or_else(|| input.any_supplement(user));
        for rec in picked.typed::<CarePlan1>() {
            place(user, date, 1, render(&plan1(&rec, person, picked)));
        }
    }
    for ((user, date), picked) in &p2 {
        place(
            user,
            date,
            2,
            render(&plan2(name_for(input, user, date), picked)),
        );
    }
    for ((user, date), picked) in &p3 {
        place(
            user,
            date,
            3,
            render(&plan3(name_for(input, user, date), picked)),
        );
    }
}
