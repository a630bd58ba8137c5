//! One municipality's data as the dashboard uses it, computed per request from what is stored:
//! the files the city uploaded (parsed by `tsunagu_insight`), the hub's facts about offices of
//! its codes (active devices, routing edges — never contents), answered survey links and the
//! stored snapshots. Everything the pages show comes from here.

use std::collections::{BTreeMap, BTreeSet};

use tsunagu_insight::adoption::{self, Snapshot, StatusObservation};
use tsunagu_insight::areas::{self, AreaTable, Assignments, Override};
use tsunagu_insight::categories::{self, CategorySet};
use tsunagu_insight::offices::{OfficeMaster, OfficeNo, parse_open_data};
use tsunagu_insight::survey::{self, Answer, Survey, SurveyResponse};
use tsunagu_insight::timestudy::{Phase, TimeRecord, parse_records};
use tsunagu_insight::{Day, ExchangeEdge, InputError, MunicipalityCode};

use crate::error::WebError;
use crate::startup::AppState;
use crate::store::{MuniFile, Municipality, StoredSnapshot};

/// Kinds of uploaded file.
pub const KIND_OPEN_DATA: &str = "opendata";
pub const KIND_AREAS: &str = "areas";
pub const KIND_OVERRIDES: &str = "overrides";
pub const KIND_ANSWERS: &str = "answers";
pub const KIND_STATUS: &str = "status_list";
/// Time-study records (`insight::timestudy::parse_records`), one kind per category set.
pub const KIND_TS_CARE_WORKER: &str = "timestudy_care_worker";
pub const KIND_TS_CENTER: &str = "timestudy_center";
pub const KIND_TS_EXCHANGE: &str = "timestudy_exchange";
/// The time-study kinds and the built-in category set each is read against.
pub const TIMESTUDY_KINDS: [(&str, &str); 3] = [
    (KIND_TS_CENTER, categories::CENTER),
    (KIND_TS_EXCHANGE, categories::EXCHANGE),
    (KIND_TS_CARE_WORKER, categories::CARE_WORKER),
];
/// The overrides file the 事業所 screen writes when a person assigns an area.
pub const SCREEN_OVERRIDES: &str = "画面で指定した圏域.csv";

/// The Japanese name of a file kind.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        KIND_OPEN_DATA => "オープンデータ（事業所一覧）",
        KIND_AREAS => "町丁目→圏域の表",
        KIND_OVERRIDES => "圏域の手動指定",
        KIND_ANSWERS => "アンケート回答",
        KIND_STATUS => "導入状況の一覧",
        KIND_TS_CENTER => "タイムスタディ（地域包括支援センターの業務）",
        KIND_TS_EXCHANGE => "タイムスタディ（ケアプランのやりとり業務）",
        KIND_TS_CARE_WORKER => "タイムスタディ（介護職員24項目）",
        _ => "その他",
    }
}

/// Today in Japan (the day a snapshot is dated).
pub fn today_jst() -> Day {
    day_of(crate::now_unix())
}

/// The calendar day in Japan of a Unix time.
pub fn day_of(unix: i64) -> Day {
    let t = crate::to_datetime(unix).to_offset(time::macros::offset!(+9));
    // A date from `time` is always a valid calendar date, so `Day::new` cannot fail.
    Day::new(t.year(), t.month() as u8, t.day()).expect("a time::Date is a valid day")
}

/// A stored file, without its bytes.
pub struct FileInfo {
    pub kind: String,
    pub name: String,
    pub size: usize,
    pub uploaded_at: i64,
    pub uploaded_by: String,
}

/// A stored snapshot, rebuilt.
pub struct Dated {
    pub snapshot: Snapshot,
    pub reason: String,
    pub taken_at: i64,
}

pub struct City {
    pub muni: Municipality,
    pub files: Vec<FileInfo>,
    pub master: OfficeMaster,
    pub table: AreaTable,
    pub has_open_data: bool,
    pub has_areas: bool,
    pub assignments: Assignments,
    /// Problems found in the uploaded files (shown on the データ screen).
    pub issues: Vec<InputError>,
    /// Offices of the account's codes with an active device on the hub.
    pub active: BTreeSet<OfficeNo>,
    /// Offices of those codes registered on the hub.
    pub registered: BTreeSet<OfficeNo>,
    /// Those offices as the hub knows them (name, 事業所番号 + サービス種類コード).
    pub hub_offices: Vec<crate::store::Office>,
    /// Every edge of the hub (units without a service month under month None).
    pub edges: Vec<ExchangeEdge>,
    /// The effect's view of the same units: those with a service month (`unit_edges`), and the
    /// plan units without one under the month they were exchanged (`plan_edges`).
    pub unit_edges: Vec<ExchangeEdge>,
    pub plan_edges: Vec<ExchangeEdge>,
    pub observations: Vec<StatusObservation>,
    pub today: Day,
    /// Now, from every observation.
    pub current: Snapshot,
    /// The latest stored snapshot before today.
    pub previous: Option<Snapshot>,
    /// Stored snapshots, oldest first.
    pub history: Vec<Dated>,
    /// The built-in survey with the city's own questions after it.
    pub survey: Survey,
    /// Answers from uploaded CSV files and from answer links (a link's answer wins).
    pub responses: Vec<SurveyResponse>,
    /// Time-study records per built-in category set id (sets without records are absent).
    pub timestudies: BTreeMap<&'static str, Vec<TimeRecord>>,
    /// The effect model's numbers the city set itself, and the stored version of them.
    pub effect_overrides: super::effect_settings::EffectOverrides,
    pub effect_version: i64,
}

/// The built-in category set of a time-study file kind.
pub fn timestudy_set(kind: &str) -> Option<CategorySet> {
    TIMESTUDY_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, set)| CategorySet::builtin(set))
}

/// The built-in survey every municipality starts from (its own questions are added by
/// [`super::survey_questions`]).
pub fn builtin_survey() -> Survey {
    Survey::builtin("survey", "事業所アンケート")
}

impl City {
    /// Whether `office` is one of this municipality's offices (open data or hub).
    pub fn knows(&self, office: &OfficeNo) -> bool {
        self.master.get(office).is_some() || self.registered.contains(office)
    }

    pub fn area_name(&self, code: Option<&str>) -> String {
        match code {
            Some(c) => self.table.area(c).map_or(c.to_string(), |a| a.name.clone()),
            None => "圏域未設定".into(),
        }
    }

    /// The adoption report now, compared with the previous snapshot.
    pub fn report(&self) -> adoption::AdoptionReport {
        adoption::adoption_by_area(
            &self.master.offices,
            &self.table,
            &self.assignments,
            &self.current,
            self.previous.as_ref(),
        )
    }

    /// Stored snapshots plus now (unless one was stored today).
    pub fn series(&self) -> Vec<Snapshot> {
        let mut s: Vec<Snapshot> = self.history.iter().map(|d| d.snapshot.clone()).collect();
        if s.last().is_none_or(|l| l.as_of < self.today) {
            s.push(self.current.clone());
        }
        s
    }

    /// The observations a snapshot on `as_of` keeps (the latest per office).
    pub fn snapshot_json(&self, as_of: Day) -> Result<String, WebError> {
        let snap = Snapshot::at(as_of, &self.observations);
        let obs: Vec<&StatusObservation> = snap.statuses.values().collect();
        serde_json::to_string(&obs).map_err(|e| WebError::Internal(format!("snapshot json: {e}")))
    }
}

fn rebuild(s: &StoredSnapshot) -> Option<Dated> {
    let as_of = Day::parse(&s.as_of)?;
    let obs: Vec<StatusObservation> = serde_json::from_str(&s.observations_json).ok()?;
    Some(Dated {
        snapshot: Snapshot::at(as_of, &obs),
        reason: s.reason.clone(),
        taken_at: s.taken_at,
    })
}

/// Loads everything for one municipality account.
pub async fn load(state: &AppState, muni_id: &str) -> Result<City, WebError> {
    let store = &state.store;
    let muni = store
        .municipality(muni_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let files = store.muni_files(muni_id).await?;
    let hub_offices = store.offices_of(muni_id).await?;
    let devices = store.devices_of(muni_id).await?;
    let edges = store.edges_of(muni_id).await?;
    let stored = store.snapshots(muni_id).await?;
    let links = store.survey_links(muni_id).await?;
    let survey = super::survey_questions::load(state, muni_id)
        .await?
        .0
        .survey();
    let (effect_overrides, effect_version) = super::effect_settings::load(state, muni_id).await?;
    let mut city = compute(
        muni,
        files,
        hub_offices,
        devices,
        edges,
        stored,
        links,
        survey,
    );
    city.effect_overrides = effect_overrides;
    city.effect_version = effect_version;
    Ok(city)
}

#[allow(clippy::too_many_arguments)]
fn compute(
    muni: Municipality,
    files: Vec<MuniFile>,
    hub_offices: Vec<crate::store::Office>,
    devices: Vec<crate::store::Device>,
    edge_counts: Vec<crate::store::EdgeCount>,
    stored: Vec<StoredSnapshot>,
    links: Vec<crate::store::SurveyLink>,
    survey: Survey,
) -> City {
    let today = today_jst();
    let mut issues = Vec::new();
    let codes: Vec<MunicipalityCode> = muni
        .codes
        .iter()
        .filter_map(|c| MunicipalityCode::parse(c).ok())
        .collect();
    let of_kind = |k: &'static str| files.iter().filter(move |f| f.kind == k);

    // Offices: open data filtered to the account's codes. No parsable code: no offices (an
    // empty filter would keep every row).
    let mut parsed = Vec::new();
    for f in of_kind(KIND_OPEN_DATA) {
        match parse_open_data(&f.name, &f.bytes) {
            Ok(p) => parsed.push(p),
            Err(e) => issues.push(e),
        }
    }
    let has_open_data = !parsed.is_empty();
    let master = if codes.is_empty() {
        OfficeMaster::default()
    } else {
        OfficeMaster::build(&parsed, &codes)
    };
    issues.extend(master.issues.iter().cloned());

    // Areas, overrides, assignments.
    let mut table = AreaTable::default();
    let mut has_areas = false;
    // One 圏域 table is in force: the latest uploaded.
    if let Some(f) = of_kind(KIND_AREAS).max_by_key(|f| f.uploaded_at) {
        match AreaTable::parse(&f.name, &f.bytes) {
            Ok(t) => {
                issues.extend(t.issues.iter().cloned());
                has_areas = !t.areas.is_empty();
                table = t;
            }
            Err(e) => issues.push(e),
        }
    }
    let mut overrides: Vec<Override> = Vec::new();
    // Uploaded overrides first, the screen's last: a person's latest decision wins.
    let mut ovr_files: Vec<&MuniFile> = of_kind(KIND_OVERRIDES).collect();
    ovr_files.sort_by_key(|f| (f.name == SCREEN_OVERRIDES, f.uploaded_at));
    for f in ovr_files {
        match areas::parse_overrides(&f.name, &f.bytes, &table) {
            Ok((o, i)) => {
                issues.extend(i);
                for v in o {
                    overrides.retain(|x| x.office != v.office);
                    overrides.push(v);
                }
            }
            Err(e) => issues.push(e),
        }
    }
    let assignments = areas::assign(&master.offices, &table, &overrides);

    // Hub facts: offices with an active device are adopted; offices that had devices and have
    // none active any more have stopped; both ends of a send unit are adopted that month.
    let registered: BTreeSet<OfficeNo> = hub_offices
        .iter()
        .map(|o| OfficeNo::from(o.office_id))
        .collect();
    let active: BTreeSet<OfficeNo> = devices
        .iter()
        .filter(|d| d.revoked_at.is_none())
        .map(|d| OfficeNo::from(d.office_id))
        .collect();
    let had_devices: Vec<OfficeNo> = devices
        .iter()
        .map(|d| OfficeNo::from(d.office_id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let edges: Vec<ExchangeEdge> = edge_counts
        .iter()
        .map(|e| ExchangeEdge {
            month: e
                .month
                .as_deref()
                .and_then(tsunagu_insight::exchange::parse_month),
            sender: OfficeNo::from(e.sender),
            recipient: OfficeNo::from(e.recipient),
            units: u32::try_from(e.units).unwrap_or(u32::MAX),
        })
        .collect();
    let edge = |e: &crate::store::EdgeCount, month: Option<String>| ExchangeEdge {
        month,
        sender: OfficeNo::from(e.sender),
        recipient: OfficeNo::from(e.recipient),
        units: u32::try_from(e.units).unwrap_or(u32::MAX),
    };
    let unit_edges: Vec<ExchangeEdge> = edge_counts
        .iter()
        .filter(|e| e.month.is_some())
        .map(|e| {
            edge(
                e,
                e.month
                    .as_deref()
                    .and_then(tsunagu_insight::exchange::parse_month),
            )
        })
        .collect();
    let plan_edges: Vec<ExchangeEdge> = edge_counts
        .iter()
        .filter(|e| e.month.is_none())
        .map(|e| edge(e, e.exchanged_month.clone()))
        .collect();
    let mut observations = adoption::hub_observations(
        today,
        &active.iter().copied().collect::<Vec<_>>(),
        &had_devices,
    );
    observations.extend(adoption::edge_observations(&edges));

    // Survey answers: uploaded CSV files, then answered links (a link's answer wins), read
    // against the built-in questions and the city's own.
    let mut by_office: BTreeMap<OfficeNo, SurveyResponse> = BTreeMap::new();
    let mut answer_files: Vec<&MuniFile> = of_kind(KIND_ANSWERS).collect();
    answer_files.sort_by_key(|f| f.uploaded_at);
    for f in answer_files {
        match survey::parse_answers(&survey, &f.name, &f.bytes, &[]) {
            Ok((rs, i)) => {
                issues.extend(i);
                let default_day = day_of(f.uploaded_at);
                for mut r in rs {
                    r.answered_on = r.answered_on.or(Some(default_day));
                    by_office.insert(r.office, r);
                }
            }
            Err(e) => issues.push(e),
        }
    }
    for l in &links {
        let (Some(json), Some(at)) = (&l.answers_json, l.answered_at) else {
            continue;
        };
        let (Some(office), Ok(answers)) = (
            OfficeNo::parse(&l.office_no),
            serde_json::from_str::<BTreeMap<String, Answer>>(json),
        ) else {
            continue;
        };
        by_office.insert(
            office,
            SurveyResponse {
                office,
                answered_on: Some(day_of(at)),
                answers,
            },
        );
    }
    let responses: Vec<SurveyResponse> = by_office.into_values().collect();
    observations.extend(survey::adoption_observations(&survey, &responses, today));

    for f in of_kind(KIND_STATUS) {
        match adoption::parse_status_list(&f.name, &f.bytes, day_of(f.uploaded_at)) {
            Ok((o, i)) => {
                issues.extend(i);
                observations.extend(o);
            }
            Err(e) => issues.push(e),
        }
    }

    // Time studies: each file read against the set of its kind; records without 時期 are a
    // single study (no before/after).
    let mut timestudies: BTreeMap<&'static str, Vec<TimeRecord>> = BTreeMap::new();
    for (kind, set_id) in TIMESTUDY_KINDS {
        let Some(set) = CategorySet::builtin(set_id) else {
            continue;
        };
        for f in of_kind(kind) {
            match parse_records(&f.name, &f.bytes, &set, Phase::Single) {
                Ok((rs, i)) => {
                    issues.extend(i);
                    if !rs.is_empty() {
                        timestudies.entry(set_id).or_default().extend(rs);
                    }
                }
                Err(e) => issues.push(e),
            }
        }
    }

    let current = Snapshot::at(today, &observations);
    let history: Vec<Dated> = stored.iter().filter_map(rebuild).collect();
    let previous = history
        .iter()
        .rev()
        .find(|d| d.snapshot.as_of < today)
        .map(|d| d.snapshot.clone());
    City {
        files: files
            .iter()
            .map(|f| FileInfo {
                kind: f.kind.clone(),
                name: f.name.clone(),
                size: f.bytes.len(),
                uploaded_at: f.uploaded_at,
                uploaded_by: f.uploaded_by.clone(),
            })
            .collect(),
        muni,
        master,
        table,
        has_open_data,
        has_areas,
        assignments,
        issues,
        active,
        registered,
        hub_offices,
        edges,
        unit_edges,
        plan_edges,
        observations,
        today,
        current,
        previous,
        history,
        survey,
        responses,
        timestudies,
        effect_overrides: Default::default(),
        effect_version: 0,
    }
}

/// Stores the snapshot of `as_of` from everything known now (`reason` `manual` or `auto`).
/// Called with `auto` and today after every change of the data, so the history keeps what was
/// known each day.
pub async fn store_snapshot(
    state: &AppState,
    muni_id: &str,
    as_of: Day,
    reason: &str,
) -> Result<(), WebError> {
    let city = load(state, muni_id).await?;
    let snapshot = StoredSnapshot {
        as_of: as_of.to_string(),
        taken_at: crate::now_unix(),
        reason: reason.to_string(),
        observations_json: city.snapshot_json(as_of)?,
    };
    state.store.put_snapshot(muni_id, &snapshot).await?;
    Ok(())
}
