//! Synthetic sample data: realistic, valid send units for tests, demos and benchmarks.
//!
//! [`generate`] makes a set of offices (居宅介護支援事業所, 地域包括支援センター, service offices), users
//! for every care office, and the month's send units between them (§2.4), each with its own
//! strictly increasing ファイル連番:
//!
//! 1. 居宅 → provider: 計画書 (UP1KYO, UP2KYO, UP3KYO in v4, UPHOSOKU `000000`);
//! 2. 居宅 → provider: 利用票 (UPPLAN with every office's lines, UPSIKYU, UPHOSOKU of the month);
//! 3. some deletions: DLT1KYO, DLTPLAN (next month), and in v4 DLTKIHON, DLTYOBO;
//! 4. provider → 居宅: 実績 (UPJSK, the provider's own lines, some visits shifted or cancelled);
//! 5. some DLTJSK (previous month);
//! 6. 予防 (v4): 地域包括支援センター → provider (and → 委託先 居宅): UPKIHON with its 別表 and family
//!    image, UPYOBO with its 別表, together or apart.
//!
//! Everything is synthetic (names composed from common parts, made-up 町名 and numbers) and
//! deterministic for a seed. The module is pure: it returns file names and bytes.

mod calendar;
mod offices;
mod people;
mod plan;
mod preventive;
mod schedule;
mod supplement;
mod users;

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::file_kind::FileKind;
use crate::file_name::{FileMonth, Serial, StandardFileName};
use crate::layout::{
    self, BasicInfo, BasicInfoDelete, BasicInfoHistory, BasicInfoSchedule, CarePlan1,
    CarePlan1Delete, CarePlan2, CarePlan3, LayoutVersion, PreventivePlan, PreventivePlanDelete,
    PreventivePlanSupport, ServiceActualDelete, ServiceAnnex, ServiceLine, ServiceScheduleDelete,
    TypedRecord, UserSupplement,
};
use crate::month::{Date, YearMonth};
use crate::writer::{WriteError, write_csv};

use calendar::{SerialClock, add_months, day_of};
use offices::Office;
use schedule::{AnnexHeader, Change, LineHeader};
use users::User;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSpec {
    /// Number of offices (at least 2): about a quarter are 居宅介護支援事業所, in v4 some are
    /// 地域包括支援センター, the rest service offices.
    pub offices: usize,
    /// Users per 居宅介護支援事業所 / 地域包括支援センター.
    pub users_per_office: usize,
    /// サービス提供年月.
    pub month: YearMonth,
    pub seed: u64,
    /// Write v3 files (CSVバージョン 202208) even for a month from 2025-04.
    pub force_v3: bool,
}

impl SampleSpec {
    /// The layout of the month's files: v3 before 2025-04 or when forced.
    pub fn version(&self) -> LayoutVersion {
        if self.force_v3 {
            LayoutVersion::V3
        } else {
            LayoutVersion::for_service_month(self.month)
        }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFile {
    /// The canonical standard file name.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A generated set of files and what it holds.
#[derive(Debug, Clone)]
pub struct Sample {
    /// In ファイル連番 order.
    pub files: Vec<SampleFile>,
    pub offices: usize,
    pub users: usize,
    /// Send units (送信単位).
    pub units: usize,
    pub version: LayoutVersion,
}

impl Sample {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes.len() as u64).sum()
    }

    /// (name, bytes) pairs, e.g. for `check::check_all`.
    pub fn into_pairs(self) -> Vec<(String, Vec<u8>)> {
        self.files.into_iter().map(|f| (f.name, f.bytes)).collect()
    }
}

/// Why a sample could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error(
        "E-SMP-001 事業所数は2以上にしてください（居宅介護支援事業所とサービス事業所が少なくとも1つずつ必要です）"
    )]
    TooFewOffices,
    #[error("E-SMP-002 利用者数は1以上にしてください")]
    NoUsers,
    #[error("E-SMP-003 {file} を書けません: {source}")]
    Write {
        file: String,
        #[source]
        source: WriteError,
    },
    #[error("E-SMP-004 {kind} はこの版のレイアウトにありません")]
    KindNotInVersion { kind: FileKind },
}

/// Generates the sample. Deterministic for a spec.
pub fn generate(spec: &SampleSpec) -> Result<Sample, SampleError> {
    if spec.offices < 2 {
        return Err(SampleError::TooFewOffices);
    }
    if spec.users_per_office == 0 {
        return Err(SampleError::NoUsers);
    }
    let version = spec.version();
    let v4 = version == LayoutVersion::V4;
    let month = spec.month;
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let offices = offices::generate(&mut rng, spec.offices, v4);
    let users = users::generate(&mut rng, &offices, spec.users_per_office, month);
    let prepared: Vec<Prepared> = users
        .iter()
        .map(|u| Prepared::new(&mut rng, u, &offices, version, month))
        .collect();

    // Send-unit partners: (care office, provider) → users, in office order.
    let mut pairs: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    let mut outsourced: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, u) in users.iter().enumerate() {
        for &p in &u.providers {
            pairs.entry((u.care_office, p)).or_default().push(i);
        }
        if let Some(to) = u.outsourced_to.filter(|_| v4) {
            outsourced.entry((u.care_office, to)).or_default().push(i);
        }
    }

    let mut out = Emitter {
        offices: &offices,
        files: Vec::new(),
        clock: SerialClock::new(day_of(add_months(month, -1), 20)),
        units: 0,
        force_v3: spec.force_v3,
    };
    let before = add_months(month, -1);
    let after = month.next();

    // 1. 計画書 (居宅) and 予防 plans (center → provider, center → 委託先).
    out.phase(day_of(before, 20), 9);
    let mut preventive_index = 0;
    for (&(care, provider), members) in &pairs {
        if offices[care].kind_str() == "43" {
            let s = out.unit(&mut rng);
            let m = FileMonth::None;
            out.csv(
                FileKind::CarePlan1,
                m,
                version,
                care,
                provider,
                s,
                members.iter().filter_map(|u| prepared[*u].plan1.as_ref()),
            )?;
            out.csv(
                FileKind::CarePlan2,
                m,
                version,
                care,
                provider,
                s,
                members.iter().flat_map(|u| &prepared[*u].plan2),
            )?;
            if v4 {
                out.csv(
                    FileKind::CarePlan3,
                    m,
                    version,
                    care,
                    provider,
                    s,
                    members.iter().flat_map(|u| &prepared[*u].plan3),
                )?;
            }
            out.csv(
                FileKind::UserSupplement,
                FileMonth::Zero,
                version,
                care,
                provider,
                s,
                members.iter().map(|u| &prepared[*u].supplement_plan),
            )?;
        } else if v4 {
            let together = match preventive_index {
                0 => false,
                1 => true,
                _ => rng.random_bool(0.7),
            };
            preventive_index += 1;
            out.preventive(&mut rng, care, provider, members, &prepared, together)?;
        }
    }
    for (&(center, care), members) in &outsourced {
        out.preventive(&mut rng, center, care, members, &prepared, true)?;
    }

    // 2. 利用票: every office's lines of the users, 第7表, 補足 of the month.
    out.phase(day_of(before, 25), 10);
    for (&(care, provider), members) in &pairs {
        let s = out.unit(&mut rng);
        let m = FileMonth::Month(month);
        out.csv(
            FileKind::ServiceSchedule,
            m,
            version,
            care,
            provider,
            s,
            members.iter().flat_map(|u| &prepared[*u].lines),
        )?;
        out.csv(
            FileKind::ServiceAnnex,
            m,
            version,
            care,
            provider,
            s,
            members.iter().flat_map(|u| &prepared[*u].annex),
        )?;
        out.csv(
            FileKind::UserSupplement,
            m,
            version,
            care,
            provider,
            s,
            members.iter().map(|u| &prepared[*u].supplement_month),
        )?;
    }

    // 3. Deletions from the plan side; the first pair of each kind always sends them.
    out.phase(day_of(before, 27), 15);
    let (mut seen_kyo, mut seen_center) = (false, false);
    for (&(care, provider), members) in &pairs {
        let user = &users[members[rng.random_range(0..members.len())]];
        let kyo = offices[care].kind_str() == "43";
        let seen = if kyo { &mut seen_kyo } else { &mut seen_center };
        let first = !std::mem::replace(seen, true);
        if kyo && (first || rng.random_bool(0.15)) {
            let s = out.unit(&mut rng);
            let record = CarePlan1Delete {
                csv_version: version.csv_version().to_string(),
                insurer_number: user.insurer.to_string(),
                insured_number: user.insured.clone(),
                plan_date: user.old_plan_date.to_string(),
            };
            out.csv(
                FileKind::CarePlan1Delete,
                FileMonth::None,
                version,
                care,
                provider,
                s,
                [&record],
            )?;
        }
        if first || rng.random_bool(0.15) {
            // Next month's 予定 withdrawn (e.g. a hospital stay).
            let target = after;
            let ver = out.version_for(target);
            let s = out.unit(&mut rng);
            let record = ServiceScheduleDelete {
                csv_version: ver.csv_version().to_string(),
                insurer_number: user.insurer.to_string(),
                insured_number: user.insured.clone(),
                delete_month: target.to_string(),
            };
            out.csv(
                FileKind::ServiceScheduleDelete,
                FileMonth::Month(target),
                ver,
                care,
                provider,
                s,
                [&record],
            )?;
        }
        if !kyo && v4 {
            if first || rng.random_bool(0.15) {
                let s = out.unit(&mut rng);
                let record = BasicInfoDelete {
                    csv_version: version.csv_version().to_string(),
                    insurer_number: user.insurer.to_string(),
                    insured_number: user.insured.clone(),
                    consultation_date: user.old_consultation_date.to_string(),
                };
                out.csv(
                    FileKind::BasicInfoDelete,
                    FileMonth::None,
                    version,
                    care,
                    provider,
                    s,
                    [&record],
                )?;
            }
            if first || rng.random_bool(0.15) {
                let s = out.unit(&mut rng);
                let record = PreventivePlanDelete {
                    csv_version: version.csv_version().to_string(),
                    insurer_number: user.insurer.to_string(),
                    insured_number: user.insured.clone(),
                    plan_date: user.old_plan_date.to_string(),
                };
                out.csv(
                    FileKind::PreventivePlanDelete,
                    FileMonth::None,
                    version,
                    care,
                    provider,
                    s,
                    [&record],
                )?;
            }
        }
    }

    // 4. 実績: each provider's own lines back to the care office.
    out.phase(day_of(after, 3), 9);
    for (&(care, provider), members) in &pairs {
        let mut lines = Vec::new();
        for &u in members {
            lines.extend(actual_lines(
                &mut rng, &users[u], &offices, provider, version, after,
            ));
        }
        if lines.is_empty() {
            continue;
        }
        let s = out.unit(&mut rng);
        out.csv(
            FileKind::ServiceActual,
            FileMonth::Month(month),
            version,
            provider,
            care,
            s,
            &lines,
        )?;
    }

    // 5. 実績削除: last month's 実績 of one user withdrawn.
    out.phase(day_of(after, 5), 11);
    for (pi, (&(care, provider), members)) in pairs.iter().enumerate() {
        if pi == 0 || rng.random_bool(0.1) {
            let user = &users[members[rng.random_range(0..members.len())]];
            let target = add_months(month, -1);
            let ver = out.version_for(target);
            let s = out.unit(&mut rng);
            let record = ServiceActualDelete {
                csv_version: ver.csv_version().to_string(),
                insurer_number: user.insurer.to_string(),
                insured_number: user.insured.clone(),
                delete_month: target.to_string(),
                provider_code: offices[provider].number.to_string(),
                service_kind: offices[provider].kind.to_string(),
            };
            out.csv(
                FileKind::ServiceActualDelete,
                FileMonth::Month(target),
                ver,
                provider,
                care,
                s,
                [&record],
            )?;
        }
    }

    Ok(Sample {
        files: out.files,
        offices: offices.len(),
        users: users.len(),
        units: out.units,
        version,
    })
}

/// A user's records, built once and copied into every send unit that carries them.
struct Prepared {
    plan1: Option<CarePlan1>,
    plan2: Vec<CarePlan2>,
    plan3: Vec<CarePlan3>,
    supplement_plan: UserSupplement,
    lines: Vec<ServiceLine>,
    annex: Vec<ServiceAnnex>,
    supplement_month: UserSupplement,
    basic: Option<BasicInfo>,
    basic_schedule: Vec<BasicInfoSchedule>,
    basic_history: Vec<BasicInfoHistory>,
    preventive_plan: Option<PreventivePlan>,
    preventive_support: Vec<PreventivePlanSupport>,
    has_image: bool,
}

impl Prepared {
    fn new(
        rng: &mut StdRng,
        user: &User,
        offices: &[Office],
        version: LayoutVersion,
        month: YearMonth,
    ) -> Self {
        let csv = version.csv_version();
        let v4 = version == LayoutVersion::V4;
        let care = &offices[user.care_office];
        let care_number = care.number.to_string();
        let manager = user.manager.kanji();
        let header = LineHeader {
            csv_version: csv,
            insurer: user.insurer,
            insured: &user.insured,
            created: user.schedule_created,
            month,
            planner_office: &care_number,
            planner_name: &manager,
            updater: &care_number,
            short_stay_days_before: user.short_stay_days_before,
        };
        let lines = schedule::service_lines(&header, &user.rows, offices, &|_, _| None);
        let (annex, excess) = schedule::annex(
            &AnnexHeader {
                csv_version: csv,
                insurer: user.insurer,
                insured: &user.insured,
                created: user.schedule_created,
                month,
                updater: &care_number,
                benefit_limit: user.benefit_limit(),
                benefit_rate: user.benefit_rate,
                short_stay_days_before: user.short_stay_days_before,
                kind_limit: user.kind_limit,
            },
            &user.rows,
            offices,
            &user.providers,
        );
        let supplement_month = supplement::for_schedule(user, offices, csv, month, excess);
        let supplement_plan = supplement::for_plan(user, offices, csv);
        let (plan1, plan2, plan3) = if user.preventive {
            (None, Vec::new(), Vec::new())
        } else {
            let p1 = plan::care_plan_1(rng, user, offices, csv);
            let p2 = plan::care_plan_2(rng, user, offices, csv);
            let p3 = if v4 {
                plan::care_plan_3(user, csv)
            } else {
                Vec::new()
            };
            (Some(p1), p2, p3)
        };
        let preventive_files = user.preventive && v4;
        Self {
            plan1,
            plan2,
            plan3,
            supplement_plan,
            lines,
            annex,
            supplement_month,
            basic: preventive_files.then(|| preventive::basic_info(rng, user, offices, csv, None)),
            basic_schedule: if preventive_files {
                preventive::basic_info_schedule(user, csv)
            } else {
                Vec::new()
            },
            basic_history: if preventive_files {
                preventive::basic_info_history(rng, user, csv)
            } else {
                Vec::new()
            },
            preventive_plan: preventive_files
                .then(|| preventive::preventive_plan(rng, user, offices, csv)),
            preventive_support: if preventive_files {
                preventive::preventive_plan_support(user, offices, csv)
            } else {
                Vec::new()
            },
            has_image: user.has_image,
        }
    }
}

/// The provider's 実績 of one user: its own rows, some visits a little late or early, a few
/// cancelled. A visit's add-ons move with it (they are keyed by the visit's day and start).
fn actual_lines(
    rng: &mut StdRng,
    user: &User,
    offices: &[Office],
    provider: usize,
    version: LayoutVersion,
    created_month: YearMonth,
) -> Vec<ServiceLine> {
    let rows: Vec<schedule::Row> = user.rows_of(provider).cloned().collect();
    let mut changes: BTreeMap<(u8, u16), Option<Change>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.visit) {
        if let Some((start, _)) = r.time {
            for &d in &r.days {
                changes.entry((d, start)).or_insert_with(|| {
                    let x: f64 = rng.random();
                    if x < 0.04 {
                        Some(Change::Cancelled)
                    } else if x < 0.14 {
                        Some(Change::Shift(
                            *[-10i16, -5, 5, 10, 15]
                                .get(rng.random_range(0..5))
                                .unwrap_or(&5),
                        ))
                    } else {
                        None
                    }
                });
            }
        }
    }
    let care_number = offices[user.care_office].number.to_string();
    let provider_number = offices[provider].number.to_string();
    let manager = user.manager.kanji();
    let header = LineHeader {
        csv_version: version.csv_version(),
        insurer: user.insurer,
        insured: &user.insured,
        created: day_of(created_month, rng.random_range(1..=2)),
        month: add_months(created_month, -1),
        planner_office: &care_number,
        planner_name: &manager,
        updater: &provider_number,
        short_stay_days_before: user.short_stay_days_before,
    };
    schedule::service_lines(&header, &rows, offices, &|day, start| {
        changes.get(&(day, start)).copied().flatten()
    })
}

/// Collects files and hands out ファイル連番.
struct Emitter<'a> {
    offices: &'a [Office],
    files: Vec<SampleFile>,
    clock: SerialClock,
    units: usize,
    force_v3: bool,
}

impl Emitter<'_> {
    /// Files whose records belong to a service month use that month's layout.
    fn version_for(&self, month: YearMonth) -> LayoutVersion {
        if self.force_v3 {
            LayoutVersion::V3
        } else {
            LayoutVersion::for_service_month(month)
        }
    }

    /// Starts a phase at `hour` o'clock on `date` (or later, if the clock is past it).
    fn phase(&mut self, date: Date, hour: u32) {
        self.clock.not_before(date, hour * 3600);
    }

    /// A new send unit: its ファイル連番.
    fn unit(&mut self, rng: &mut StdRng) -> Serial {
        self.units += 1;
        self.clock.tick(rng.random_range(1..=90))
    }

    #[allow(clippy::too_many_arguments)]
    fn name(
        &self,
        kind: FileKind,
        month: FileMonth,
        version: LayoutVersion,
        from: usize,
        to: usize,
        serial: Serial,
        image_branch: Option<u16>,
    ) -> String {
        let (sender, recipient) = (&self.offices[from], &self.offices[to]);
        let v4 = version == LayoutVersion::V4;
        StandardFileName {
            kind,
            month,
            sender: sender.number,
            sender_kind: v4.then_some(sender.kind),
            recipient: recipient.number,
            recipient_kind: v4.then_some(recipient.kind),
            serial,
            image_branch,
            legacy_service_code: false,
        }
        .to_string()
    }

    #[allow(clippy::too_many_arguments)]
    fn csv<'r, T: TypedRecord + 'r>(
        &mut self,
        kind: FileKind,
        month: FileMonth,
        version: LayoutVersion,
        from: usize,
        to: usize,
        serial: Serial,
        records: impl IntoIterator<Item = &'r T>,
    ) -> Result<(), SampleError> {
        let layout = layout::layout(kind, version).ok_or(SampleError::KindNotInVersion { kind })?;
        let name = self.name(kind, month, version, from, to, serial, None);
        let rows: Vec<Vec<String>> = records.into_iter().map(|r| r.to_fields(layout)).collect();
        if rows.is_empty() {
            return Ok(());
        }
        let bytes = write_csv(layout, &rows).map_err(|source| SampleError::Write {
            file: name.clone(),
            source,
        })?;
        self.files.push(SampleFile { name, bytes });
        Ok(())
    }

    /// 予防 plans of a center's users to one partner: 利用者基本情報 (with 別表 and images) and
    /// 介護予防サービス・支援計画書 (with 別表), in one unit or two.
    fn preventive(
        &mut self,
        rng: &mut StdRng,
        from: usize,
        to: usize,
        members: &[usize],
        prepared: &[Prepared],
        together: bool,
    ) -> Result<(), SampleError> {
        let version = LayoutVersion::V4;
        let m = FileMonth::None;
        let s = self.unit(rng);
        // Family images: one per user that has one, 枝番 in record order.
        let mut basics: Vec<BasicInfo> = Vec::new();
        let mut images: Vec<String> = Vec::new();
        for &u in members {
            let Some(b) = &prepared[u].basic else {
                continue;
            };
            let mut b = b.clone();
            if prepared[u].has_image {
                let branch = images.len() as u16 + 1;
                let name = self.name(
                    FileKind::BasicInfoFamilyImage,
                    m,
                    version,
                    from,
                    to,
                    s,
                    Some(branch),
                );
                b.family_image_file.clone_from(&name);
                images.push(name);
            }
            basics.push(b);
        }
        self.csv(FileKind::BasicInfo, m, version, from, to, s, &basics)?;
        self.csv(
            FileKind::BasicInfoSchedule,
            m,
            version,
            from,
            to,
            s,
            members.iter().flat_map(|u| &prepared[*u].basic_schedule),
        )?;
        self.csv(
            FileKind::BasicInfoHistory,
            m,
            version,
            from,
            to,
            s,
            members.iter().flat_map(|u| &prepared[*u].basic_history),
        )?;
        for name in images {
            self.files.push(SampleFile {
                name,
                bytes: preventive::FAMILY_IMAGE_JPEG.to_vec(),
            });
        }
        let s = if together { s } else { self.unit(rng) };
        self.csv(
            FileKind::PreventivePlan,
            m,
            version,
            from,
            to,
            s,
            members
                .iter()
                .filter_map(|u| prepared[*u].preventive_plan.as_ref()),
        )?;
        self.csv(
            FileKind::PreventivePlanSupport,
            m,
            version,
            from,
            to,
            s,
            members
                .iter()
                .flat_map(|u| &prepared[*u].preventive_support),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
