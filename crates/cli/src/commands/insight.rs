//! `tsunagu insight …`: the municipality's analytics from files — the synthetic city, offices and
//! their 圏域, adoption, outreach, survey links and results, time studies, effect. Each report is
//! printed and, with `--out`, written as CSV that Excel opens (UTF-8 with BOM, CRLF).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use tsunagu_insight::adoption::{self, Snapshot, StatusObservation};
use tsunagu_insight::areas::{self, AreaTable, Assignments};
use tsunagu_insight::categories::CategorySet;
use tsunagu_insight::effect::{self, EffectParams};
use tsunagu_insight::offices::{OfficeMaster, parse_open_data};
use tsunagu_insight::report_csv::{self, Table};
use tsunagu_insight::survey::{self, Survey};
use tsunagu_insight::timestudy::{self, GroupBy, Level, NightHours, Phase, Unit};
use tsunagu_insight::{Day, InputError, MunicipalityCode, Severity, exchange, sample};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 架空の市（つなぐ市）のオープンデータ・圏域表・アンケート回答・タイムスタディ・やりとりの記録を書き出す
    Sample {
        /// 書き出すフォルダ
        #[arg(long)]
        out: PathBuf,
        /// 乱数の種（同じ種なら同じ市）
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// 事業所一覧（オープンデータ）を市町村で絞り、圏域に割り当てる。未割当の事業所を一覧にする
    Offices {
        #[command(flatten)]
        city: CityArgs,
        /// 割当結果の事業所一覧（CSV）の書き出し先
        #[arg(long)]
        out: Option<PathBuf>,
        /// 確認が必要な事業所（未割当・前方一致）の書き出し先
        #[arg(long)]
        review_out: Option<PathBuf>,
    },
    /// 圏域別の導入状況・導入率の推移・離脱した事業所
    Adoption {
        #[command(flatten)]
        city: CityArgs,
        #[command(flatten)]
        status: StatusArgs,
        /// 書き出すフォルダ（adoption.csv, trend.csv, departures.csv）
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// センター別の働きかけ先一覧（未導入の事業所を、導入済みの相手の多い順に）
    Outreach {
        #[command(flatten)]
        city: CityArgs,
        #[command(flatten)]
        status: StatusArgs,
        /// ハブのやりとり（月,送信元事業所番号,送信先事業所番号,件数）
        #[arg(long)]
        edges: Vec<PathBuf>,
        /// デスクが報告した相手（報告元事業所番号,相手事業所番号[,月あたり件数]）
        #[arg(long)]
        partners: Vec<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// 事業所ごとの回答用トークン（ログイン不要のリンク）を発行する
    SurveyTokens {
        #[command(flatten)]
        city: CityArgs,
        /// 回答ページの URL（トークンの前に付ける）
        #[arg(long)]
        base_url: Option<String>,
        /// 書き出し先（トークンはこのファイルにだけ残ります）
        #[arg(long)]
        out: PathBuf,
    },
    /// アンケート（H1/R1）の回答 CSV を読み、圏域別・全体の集計を出す
    SurveyResults {
        /// 回答の CSV（Excel の CSV、フォームの書き出し）
        #[arg(long, required = true)]
        answers: Vec<PathBuf>,
        #[command(flatten)]
        city: CityArgs,
        /// トークンで回答を受けた場合の、事業所番号とトークンの表
        #[arg(long)]
        tokens: Option<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// タイムスタディの記録を集計する（構成比・日中/夜間、--before があれば導入前後の比較）
    Timestudy {
        /// 記録の CSV（--before があれば導入後として読む）
        #[arg(long, required = true)]
        records: Vec<PathBuf>,
        /// 導入前の記録の CSV
        #[arg(long)]
        before: Vec<PathBuf>,
        /// 業務の分類
        #[arg(long, value_enum, default_value = "exchange")]
        set: SetArg,
        /// 集計の単位
        #[arg(long, value_enum, default_value = "person")]
        by: ByArg,
        /// 夜間の時間帯（開始-終了）
        #[arg(long, default_value = "22:00-05:00")]
        night: String,
        /// 比較を1人1日あたりにする（既定は1人あたりの合計）
        #[arg(long)]
        per_day: bool,
        /// 書き出すフォルダ（composition.csv, comparison.csv）
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// ハブでのやりとりの件数から、削減できた時間と費用を事業所別・月別に計算する
    Effect {
        /// ハブのやりとり（月,送信元事業所番号,送信先事業所番号,件数）
        #[arg(long, required = true)]
        edges: Vec<PathBuf>,
        /// 事業所一覧（オープンデータ）。種別（居宅／サービス）と名前に使う
        #[arg(long = "open-data", num_args = 1..)]
        open_data: Vec<PathBuf>,
        #[arg(long)]
        municipality: Option<String>,
        /// 市のタイムスタディ（やりとりの作業、件数つき）。あれば既定値の代わりに使う
        #[arg(long)]
        timestudy: Vec<PathBuf>,
        /// 前提の変更（例 hourly_labour_yen=1800）
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// 書き出すフォルダ（effect_offices.csv, effect_months.csv, assumptions.csv）
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct CityArgs {
    /// 介護サービス情報公表システムのオープンデータ（jigyosho_*.csv、複数可）
    #[arg(long = "open-data", required = true, num_args = 1..)]
    open_data: Vec<PathBuf>,
    /// 地方公共団体コード（5桁または6桁、例 312029）
    #[arg(long)]
    municipality: String,
    /// 町丁目 → 圏域の表
    #[arg(long)]
    areas: PathBuf,
    /// 手動割当（事業所番号,圏域コード,メモ）
    #[arg(long)]
    overrides: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct StatusArgs {
    /// アンケートの回答 CSV（H1 が導入状況になる。複数可）
    #[arg(long)]
    answers: Vec<PathBuf>,
    /// 取込リスト（事業所番号,状況,日付）
    #[arg(long)]
    list: Vec<PathBuf>,
    /// 集計の時点（日付のない回答・リストもこの日付とする）
    #[arg(long)]
    as_of: String,
    /// 比較する前の時点
    #[arg(long)]
    previous: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SetArg {
    /// やりとりの作業（送付状・FAX・郵送・持参・転記…）
    Exchange,
    /// 地域包括支援センターの業務
    Center,
    /// 介護職員の業務（厚生労働省24項目）
    CareWorker,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ByArg {
    All,
    Person,
    Office,
    Center,
    Area,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut issues = Vec::new();
    match args.command {
        Command::Sample { out, seed } => {
            let city = sample::city(seed);
            for (name, bytes) in &city.files {
                let path = out.join(name);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("フォルダ {} を作れません", dir.display()))?;
                }
                crate::atomic::write(&path, bytes)?;
            }
            println!(
                "{} {}（地方公共団体コード {}、{}ファイル）を {} に書き出しました",
                sample::PREFECTURE,
                sample::CITY,
                city.municipality,
                city.files.len(),
                out.display()
            );
        }
        Command::Offices {
            city,
            out,
            review_out,
        } => {
            let c = load_city(&city, &mut issues)?;
            let counts = c.assignments.method_counts();
            println!("{} の事業所 {} 件", c.municipality, c.master.offices.len());
            for (m, n) in &counts {
                println!("  {}: {n}", m.label());
            }
            let review = report_csv::review_table(&c.master, &c.assignments);
            print!("{}", review.to_text());
            emit(
                &report_csv::offices_table(&c.master, &c.assignments, &c.table),
                out.as_deref(),
                false,
            )?;
            if let Some(p) = review_out {
                write_csv(&p, &review)?;
            }
        }
        Command::Adoption { city, status, out } => {
            let c = load_city(&city, &mut issues)?;
            let (now, prev) = snapshots(&status, Vec::new(), &mut issues)?;
            let report = adoption::adoption_by_area(
                &c.master.offices,
                &c.table,
                &c.assignments,
                &now,
                prev.as_ref(),
            );
            let table = report_csv::adoption_table(&report);
            let mut snaps: Vec<Snapshot> = prev.iter().cloned().collect();
            snaps.push(now.clone());
            let trend = report_csv::trend_table(
                &adoption::adoption_trend(&c.master.offices, &c.assignments, &snaps),
                &c.table,
            );
            let departures = prev
                .as_ref()
                .map(|p| report_csv::departures_table(&adoption::departures(p, &now), &c.master));
            print!("{}", table.to_text());
            if let Some(d) = &departures {
                print!("{}", d.to_text());
            }
            if let Some(dir) = out {
                write_csv(&dir.join("adoption.csv"), &table)?;
                write_csv(&dir.join("trend.csv"), &trend)?;
                if let Some(d) = &departures {
                    write_csv(&dir.join("departures.csv"), d)?;
                }
            }
        }
        Command::Outreach {
            city,
            status,
            edges,
            partners,
            out,
        } => {
            let c = load_city(&city, &mut issues)?;
            let mut all_edges = Vec::new();
            for p in &edges {
                let (e, i) = exchange::parse_edges(&name(p), &read(p)?)?;
                all_edges.extend(e);
                issues.extend(i);
            }
            // Offices exchanging on the hub are adopted, whatever they answered.
            let (now, _) = snapshots(
                &status,
                adoption::edge_observations(&all_edges),
                &mut issues,
            )?;
            let mut all_partners = Vec::new();
            for p in &partners {
                let (e, i) = exchange::parse_partners(&name(p), &read(p)?)?;
                all_partners.extend(e);
                issues.extend(i);
            }
            let lists = adoption::outreach(
                &c.master.offices,
                &c.table,
                &c.assignments,
                &now,
                &all_edges,
                &all_partners,
            );
            emit(&report_csv::outreach_table(&lists), out.as_deref(), true)?;
        }
        Command::SurveyTokens {
            city,
            base_url,
            out,
        } => {
            let c = load_city(&city, &mut issues)?;
            let numbers: Vec<_> = c.master.offices.iter().map(|o| o.number).collect();
            let tokens = survey::issue_fresh_tokens(&numbers);
            let table =
                report_csv::tokens_table(&tokens, &c.master, &c.assignments, base_url.as_deref());
            write_csv(&out, &table)?;
            println!(
                "{} 件のトークンを {} に書き出しました（この表は回答者以外に渡さないでください）",
                tokens.len(),
                out.display()
            );
        }
        Command::SurveyResults {
            answers,
            city,
            tokens,
            out,
        } => {
            let c = load_city(&city, &mut issues)?;
            let survey = Survey::builtin("survey", "事業所アンケート");
            let tokens = match &tokens {
                Some(p) => {
                    let (t, i) = survey::parse_tokens(&name(p), &read(p)?)?;
                    issues.extend(i);
                    t
                }
                None => Vec::new(),
            };
            let mut responses = Vec::new();
            for p in &answers {
                let (r, i) = survey::parse_answers(&survey, &name(p), &read(p)?, &tokens)?;
                responses.extend(r);
                issues.extend(i);
            }
            let results = survey::survey_results(
                &survey,
                &responses,
                &c.master.offices,
                &c.table,
                &c.assignments,
            );
            if !results.outside.is_empty() {
                eprintln!(
                    "注意: 事業所一覧にない事業所の回答 {} 件は集計していません",
                    results.outside.len()
                );
            }
            emit(
                &report_csv::survey_table(&survey, &results),
                out.as_deref(),
                true,
            )?;
        }
        Command::Timestudy {
            records,
            before,
            set,
            by,
            night,
            per_day,
            out,
        } => {
            let set = match set {
                SetArg::Exchange => CategorySet::exchange(),
                SetArg::Center => CategorySet::center(),
                SetArg::CareWorker => CategorySet::care_worker(),
            };
            let night = parse_night(&night)?;
            let default_phase = if before.is_empty() {
                Phase::Single
            } else {
                Phase::After
            };
            let mut all = Vec::new();
            for (paths, phase) in [(&before, Phase::Before), (&records, default_phase)] {
                for p in paths {
                    let (r, i) = timestudy::parse_records(&name(p), &read(p)?, &set, phase)?;
                    all.extend(r);
                    issues.extend(i);
                }
            }
            let by = match by {
                ByArg::All => GroupBy::All,
                ByArg::Person => GroupBy::Person,
                ByArg::Office => GroupBy::Office,
                ByArg::Center => GroupBy::Center,
                ByArg::Area => GroupBy::Area,
            };
            let key_label = match by {
                GroupBy::All => "対象",
                GroupBy::Person => "対象者ID",
                GroupBy::Office => "事業所番号",
                GroupBy::Center => "地域包括支援センター",
                GroupBy::Area => "圏域コード",
            };
            let comp = report_csv::composition_table(
                &timestudy::composition(&all, &set, by, night, None),
                key_label,
            );
            let has_phases = all.iter().any(|r| r.phase == Phase::Before)
                && all.iter().any(|r| r.phase == Phase::After);
            let unit = if per_day {
                Unit::PerPersonDay
            } else {
                Unit::PerPerson
            };
            let cmp = has_phases.then(|| {
                report_csv::comparison_table(&timestudy::compare(&all, &set, Level::Category, unit))
            });
            println!("{}: {} 件の記録", set.name, all.len());
            let groups = report_csv::composition_table(
                &timestudy::composition(&all, &set, GroupBy::All, night, None),
                "対象",
            );
            let mut summary = Table::new("大分類の構成（全体）", groups.headers.clone());
            summary.rows = groups
                .rows
                .into_iter()
                .filter(|r| r[5] == "大分類")
                .collect();
            print!("{}", summary.to_text());
            if let Some(c) = &cmp {
                print!("{}", c.to_text());
            }
            if let Some(dir) = out {
                write_csv(&dir.join("composition.csv"), &comp)?;
                if let Some(c) = &cmp {
                    write_csv(&dir.join("comparison.csv"), c)?;
                }
            }
        }
        Command::Effect {
            edges,
            open_data,
            municipality,
            timestudy,
            set,
            out,
        } => {
            let mut files = Vec::new();
            for p in &open_data {
                files.push(parse_open_data(&name(p), &read(p)?)?);
            }
            let munis = municipality
                .as_deref()
                .map(MunicipalityCode::parse)
                .transpose()?
                .into_iter()
                .collect::<Vec<_>>();
            let master = OfficeMaster::build(&files, &munis);
            issues.extend(master.issues.iter().cloned());
            let mut all_edges = Vec::new();
            for p in &edges {
                let (e, i) = exchange::parse_edges(&name(p), &read(p)?)?;
                all_edges.extend(e);
                issues.extend(i);
            }
            let mut params = EffectParams::default();
            if !timestudy.is_empty() {
                let set = CategorySet::exchange();
                let mut recs = Vec::new();
                for p in &timestudy {
                    let (r, i) =
                        timestudy::parse_records(&name(p), &read(p)?, &set, Phase::Single)?;
                    recs.extend(r);
                    issues.extend(i);
                }
                params = params.with_city_study(&recs);
            }
            for kv in &set {
                let (k, v) = kv
                    .split_once('=')
                    .with_context(|| format!("--set は KEY=VALUE の形です（{kv}）"))?;
                let v: f64 = v
                    .trim()
                    .parse()
                    .with_context(|| format!("--set {k} の値が数値ではありません"))?;
                params.set(k.trim(), v)?;
            }
            let report = effect::effect(&master.offices, &all_edges, &params);
            let months = report_csv::effect_month_table(&report);
            let assumptions = report_csv::assumptions_table(&report);
            print!("{}", months.to_text());
            println!(
                "1件あたりの削減（分）: 送り手 {:.2}、受け手（居宅） {:.2}、受け手（サービス） {:.2}",
                report.sender_minutes_per_unit,
                report.recipient_minutes_per_unit_cm,
                report.recipient_minutes_per_unit_service
            );
            print!("{}", assumptions.to_text());
            if !report.unknown_offices.is_empty() {
                eprintln!(
                    "注意: 事業所一覧にない事業所 {} 件はサービス事業所として計算しました",
                    report.unknown_offices.len()
                );
            }
            if let Some(dir) = out {
                write_csv(
                    &dir.join("effect_offices.csv"),
                    &report_csv::effect_office_table(&report),
                )?;
                write_csv(&dir.join("effect_months.csv"), &months)?;
                write_csv(&dir.join("assumptions.csv"), &assumptions)?;
            }
        }
    }
    report_issues(&issues)
}

struct City {
    municipality: MunicipalityCode,
    master: OfficeMaster,
    table: AreaTable,
    assignments: Assignments,
}

fn name(p: &Path) -> String {
    p.display().to_string()
}

fn read(p: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("{} を読めません", p.display()))
}

fn load_city(args: &CityArgs, issues: &mut Vec<InputError>) -> anyhow::Result<City> {
    let municipality = MunicipalityCode::parse(&args.municipality)?;
    let mut files = Vec::new();
    for p in &args.open_data {
        files.push(parse_open_data(&name(p), &read(p)?)?);
    }
    let master = OfficeMaster::build(&files, &[municipality]);
    issues.extend(master.issues.iter().cloned());
    if master.offices.is_empty() {
        anyhow::bail!("地方公共団体コード {municipality} の事業所がオープンデータにありません");
    }
    let table = AreaTable::parse(&name(&args.areas), &read(&args.areas)?)?;
    if table.has_errors() {
        for e in &table.issues {
            eprintln!("{e}");
        }
        anyhow::bail!("圏域の表に誤りがあります。直してからやり直してください");
    }
    let overrides = match &args.overrides {
        Some(p) => {
            let (o, i) = areas::parse_overrides(&name(p), &read(p)?, &table)?;
            issues.extend(i);
            o
        }
        None => Vec::new(),
    };
    let assignments = areas::assign(&master.offices, &table, &overrides);
    Ok(City {
        municipality,
        master,
        table,
        assignments,
    })
}

fn day(s: &str, what: &str) -> anyhow::Result<Day> {
    Day::parse(s).with_context(|| format!("{what}「{s}」は日付ではありません（例 2025-06-30）"))
}

/// The snapshot at --as-of (and at --previous) from survey answers, lists and hub observations.
fn snapshots(
    args: &StatusArgs,
    hub: Vec<StatusObservation>,
    issues: &mut Vec<InputError>,
) -> anyhow::Result<(Snapshot, Option<Snapshot>)> {
    let as_of = day(&args.as_of, "--as-of")?;
    let survey = Survey::builtin("survey", "事業所アンケート");
    let mut obs: Vec<StatusObservation> = hub;
    for p in &args.answers {
        let (r, i) = survey::parse_answers(&survey, &name(p), &read(p)?, &[])?;
        issues.extend(i);
        obs.extend(survey::adoption_observations(&survey, &r, as_of));
    }
    for p in &args.list {
        let (o, i) = adoption::parse_status_list(&name(p), &read(p)?, as_of)?;
        issues.extend(i);
        obs.extend(o);
    }
    let prev = args
        .previous
        .as_deref()
        .map(|s| day(s, "--previous"))
        .transpose()?
        .map(|d| Snapshot::at(d, &obs));
    Ok((Snapshot::at(as_of, &obs), prev))
}

fn parse_night(s: &str) -> anyhow::Result<NightHours> {
    let (a, b) = s
        .split_once('-')
        .context("--night は 22:00-05:00 の形です")?;
    let start = timestudy::parse_clock(a).context("--night の開始が時刻ではありません")?;
    let end = timestudy::parse_clock(b).context("--night の終了が時刻ではありません")?;
    Ok(NightHours {
        start: start % 1440,
        end: end % 1440,
    })
}

fn write_csv(path: &Path, table: &Table) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("フォルダ {} を作れません", dir.display()))?;
    }
    crate::atomic::write(path, &table.to_excel_csv())?;
    eprintln!(
        "{} を書き出しました（{} 行）",
        path.display(),
        table.rows.len()
    );
    Ok(())
}

/// Writes the table when `out` is given; prints it when not (or always, with `print_too`).
fn emit(table: &Table, out: Option<&Path>, print_too: bool) -> anyhow::Result<()> {
    if out.is_none() || print_too {
        print!("{}", table.to_text());
    }
    if let Some(p) = out {
        write_csv(p, table)?;
    }
    Ok(())
}

/// Prints the input findings to stderr; exit 1 when rows were dropped.
fn report_issues(issues: &[InputError]) -> anyhow::Result<ExitCode> {
    const SHOWN: usize = 20;
    for e in issues.iter().take(SHOWN) {
        eprintln!("{e}");
    }
    if issues.len() > SHOWN {
        eprintln!("…ほか {} 件の指摘", issues.len() - SHOWN);
    }
    Ok(if issues.iter().any(|e| e.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
