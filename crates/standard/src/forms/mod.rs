//! Forms: standard files shown the way care staff know them on paper.
//!
//! - [`summary_text`]: a short readable summary of one file for the terminal.
//! - [`render_html`]: one self-contained printable HTML page (A4 landscape, inline CSS, no
//!   scripts) with 第1–3表, 第6表 (the month grid, 予定 and 実績), 第7表, the 介護予防 forms and
//!   deletion notices, grouped by user and month. Code values are shown with their meaning and
//!   dates in 和暦 where the paper uses them.
//!
//! Pure: documents in, `String` out. Templates live in `templates/forms/` (askama, escaped).

mod fmt;
mod other;
mod plan;
mod preventive;
mod schedule;
mod text;

#[cfg(test)]
mod tests;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use askama::Template;

use crate::file_kind::FileKind;
use crate::layout::{TypedRecord, UserSupplement};
use crate::month::YearMonth;
use crate::record::{CsvFile, Document, ImageFile, Record};

pub use text::summary_text;

/// Renders one template. Rendering into a `String` can only fail if a `Display` impl fails, and
/// every value handed to the templates is a `String`, `&str` or integer, so the fallback is a
/// visible note rather than a panic.
fn render<T: Template>(template: &T) -> String {
    template
        .render()
        .unwrap_or_else(|_| String::from("<p class=\"note\">この帳票を表示できませんでした。</p>"))
}

/// (保険者番号, 被保険者番号): who a form is about.
pub(crate) type UserKey = (String, String);

/// The records of one key taken from the newest file (highest ファイル連番) that has them.
pub(crate) struct Picked<'a> {
    pub file: &'a CsvFile,
    pub records: Vec<&'a Record>,
    /// Older files that also had this key and are not shown.
    pub superseded: Vec<String>,
}

impl<'a> Picked<'a> {
    /// The hierarchy numbers of the picked records (2表, 予防別表), blanks carried forward over
    /// the whole file as the spec reads them.
    pub fn carried_numbers(&self, keys: &[&str; 3]) -> Vec<[Option<u16>; 3]> {
        let all = crate::check::carried_numbers(self.file, keys);
        self.records
            .iter()
            .map(|r| {
                all.get(r.number.saturating_sub(1))
                    .copied()
                    .unwrap_or_default()
            })
            .collect()
    }

    pub fn typed<T: TypedRecord>(&self) -> Vec<T> {
        self.records
            .iter()
            .map(|r| T::from_record(self.file.layout, r))
            .collect()
    }

    /// A note for the form when older files were left out.
    pub fn superseded_note(&self) -> Option<String> {
        (!self.superseded.is_empty()).then(|| {
            format!(
                "同じ利用者の同じ帳票を含む別のファイル（{}）は表示していません。ファイル連番が最も新しいものを表示しています。",
                self.superseded
                    .iter()
                    .map(|f| crate::reader::base_name(f))
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })
    }
}

/// Groups records by `key`, keeping per key only the records of the newest file.
pub(crate) fn pick_latest<'a, K: Ord>(
    files: &[&'a CsvFile],
    key: impl Fn(&'a CsvFile, &'a Record) -> Option<K>,
) -> BTreeMap<K, Picked<'a>> {
    let mut out: BTreeMap<K, Picked<'a>> = BTreeMap::new();
    for &file in files {
        for r in &file.records {
            let Some(k) = key(file, r) else { continue };
            match out.entry(k) {
                Entry::Vacant(e) => {
                    e.insert(Picked {
                        file,
                        records: vec![r],
                        superseded: Vec::new(),
                    });
                }
                Entry::Occupied(mut e) => {
                    let p = e.get_mut();
                    if std::ptr::eq(p.file, file) {
                        p.records.push(r);
                    } else if file.name.serial > p.file.name.serial {
                        let mut superseded = std::mem::take(&mut p.superseded);
                        superseded.push(p.file.file_name.clone());
                        *p = Picked {
                            file,
                            records: vec![r],
                            superseded,
                        };
                    } else if !p.superseded.contains(&file.file_name) {
                        p.superseded.push(file.file_name.clone());
                    }
                }
            }
        }
    }
    out
}

/// The documents handed to [`render_html`], sorted by kind.
pub(crate) struct Input<'a> {
    files: Vec<&'a CsvFile>,
    pub images: Vec<&'a ImageFile>,
    /// 補足 tied to a plan: (保険者番号, 被保険者番号, 居宅サービス計画作成（変更）日).
    supplements_plan: BTreeMap<(String, String, String), UserSupplement>,
    /// 補足 tied to a month: (保険者番号, 被保険者番号, 対象年月).
    supplements_month: BTreeMap<(String, String, String), UserSupplement>,
}

impl<'a> Input<'a> {
    fn new(documents: &[&'a Document]) -> Self {
        let mut files = Vec::new();
        let mut images = Vec::new();
        for d in documents {
            match d {
                Document::Csv(c) => files.push(c),
                Document::Image(i) => images.push(i),
            }
        }
        let mut input = Self {
            files,
            images,
            supplements_plan: BTreeMap::new(),
            supplements_month: BTreeMap::new(),
        };
        let supplements = input.of_kind(&[FileKind::UserSupplement]);
        let picked = pick_latest(&supplements, |f, r| {
            let (ins, insd) = user_of(f, r);
            let date = f.get(r, "plan_date");
            let month = f.get(r, "target_month");
            let link = if YearMonth::parse(month).is_some() {
                (false, month.to_string())
            } else {
                (true, date.to_string())
            };
            Some((ins, insd, link))
        });
        for ((ins, insd, (is_plan, link)), p) in picked {
            let Some(s) = p.typed::<UserSupplement>().into_iter().next() else {
                continue;
            };
            if is_plan {
                input.supplements_plan.insert((ins, insd, link), s);
            } else {
                input.supplements_month.insert((ins, insd, link), s);
            }
        }
        input
    }

    pub fn of_kind(&self, kinds: &[FileKind]) -> Vec<&'a CsvFile> {
        self.files
            .iter()
            .copied()
            .filter(|f| kinds.contains(&f.kind()))
            .collect()
    }

    /// The 補足 sent with a plan (第1–3表).
    pub fn supplement_for_plan(&self, user: &UserKey, plan_date: &str) -> Option<&UserSupplement> {
        self.supplements_plan
            .get(&(user.0.clone(), user.1.clone(), plan_date.to_string()))
    }

    /// The 補足 sent with a month's 利用票 (第6–7表).
    pub fn supplement_for_month(&self, user: &UserKey, month: &str) -> Option<&UserSupplement> {
        self.supplements_month
            .get(&(user.0.clone(), user.1.clone(), month.to_string()))
    }

    /// Any 補足 of the user, for name, birth date and sex when the linked one is missing.
    pub fn any_supplement(&self, user: &UserKey) -> Option<&UserSupplement> {
        let same = |k: &(String, String, String)| k.0 == user.0 && k.1 == user.1;
        self.supplements_month
            .iter()
            .rev()
            .chain(self.supplements_plan.iter().rev())
            .find(|(k, s)| same(k) && !s.name.is_empty())
            .map(|(_, s)| s)
    }
}

/// (保険者番号, 被保険者番号) of a record.
pub(crate) fn user_of(file: &CsvFile, r: &Record) -> UserKey {
    (
        file.get(r, "insurer_number").to_string(),
        file.get(r, "insured_number").to_string(),
    )
}

/// Where a form goes on the page: by user, then by the order of the paper forms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Place {
    pub user: UserKey,
    pub rank: u8,
    /// Plan date or month, to order several plans or months of one user.
    pub when: String,
}

/// One rendered form and where it goes.
pub(crate) struct Section {
    pub place: Place,
    pub html: String,
}

#[derive(Template)]
#[template(path = "forms/page.html")]
struct Page {
    sections: Vec<String>,
    files: Vec<String>,
}

/// Renders documents as one printable HTML page. Files of the same user and month are put
/// together: 予定 and 実績 in one 第6表 grid, 補足 into the headers of 第1表/第6表/第7表, 別表
/// into their parent form. When a user's form is in several files, the newest ファイル連番 wins.
pub fn render_html(documents: &[&Document]) -> String {
    let input = Input::new(documents);
    let mut sections = Vec::new();
    let mut used_plan_supplements = BTreeSet::new();
    let mut used_month_supplements = BTreeSet::new();
    plan::sections(&input, &mut sections, &mut used_plan_supplements);
    schedule::sections(&input, &mut sections, &mut used_month_supplements);
    preventive::sections(&input, &mut sections);
    other::sections(
        &input,
        &mut sections,
        &used_plan_supplements,
        &used_month_supplements,
    );
    sections.sort_by(|a, b| a.place.cmp(&b.place));
    let mut files: Vec<String> = documents
        .iter()
        .map(|d| reader_base_name(d.file_name()))
        .collect();
    files.sort();
    render(&Page {
        sections: sections.into_iter().map(|s| s.html).collect(),
        files,
    })
}

fn reader_base_name(path: &str) -> String {
    crate::reader::base_name(path).to_string()
}

/// A choice printed on the paper form (初回・紹介・継続, 認定済・申請中, 要介護１…), circled when
/// it applies.
pub(crate) struct Choice {
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn list(options: &[&str], selected: &[&str]) -> Vec<Choice> {
        options
            .iter()
            .map(|o| Choice {
                label: (*o).to_string(),
                selected: selected.contains(o),
            })
            .collect()
    }
}

/// 認定済・申請中 with the one that applies circled.
pub(crate) fn certification_choices(code: &str) -> Vec<Choice> {
    let selected = match code {
        "2" => vec!["認定済"],
        "1" => vec!["申請中"],
        _ => vec![],
    };
    Choice::list(&["認定済", "申請中"], &selected)
}

/// 初回・紹介・継続 with the ones 計画書区分 names circled.
pub(crate) fn plan_category_choices(code: &str) -> Vec<Choice> {
    let selected: &[&str] = match code {
        "11" => &["初回"],
        "12" => &["紹介"],
        "21" => &["継続"],
        "51" => &["初回", "紹介"],
        "52" => &["初回", "継続"],
        "53" => &["紹介", "継続"],
        "54" => &["初回", "紹介", "継続"],
        _ => &[],
    };
    Choice::list(&["初回", "紹介", "継続"], selected)
}

/// Row spans of merged cells: `starts[i]` says whether row `i` starts a new cell; the result
/// has `Some(rows)` where a cell starts and `None` where the cell above covers the row.
pub(crate) fn spans(starts: &[bool]) -> Vec<Option<usize>> {
    let mut out: Vec<Option<usize>> = vec![None; starts.len()];
    let mut current: Option<usize> = None;
    for (i, &s) in starts.iter().enumerate() {
        match current {
            Some(c) if !s => {
                if let Some(n) = out[c].as_mut() {
                    *n += 1;
                }
            }
            _ => {
                out[i] = Some(1);
                current = Some(i);
            }
        }
    }
    out
}

/// `令和7年4月1日 ～ 令和8年3月31日`, or "" when both ends are empty.
pub(crate) fn plan_period(start: &str, end: &str) -> String {
    let (a, b) = (fmt::date_ja(start), fmt::date_ja(end));
    if a.is_empty() && b.is_empty() {
        String::new()
    } else {
        format!("{a} ～ {b}")
    }
}
