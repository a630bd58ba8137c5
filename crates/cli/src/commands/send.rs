//! `tsunagu send PATH...`: check, seal and upload send units. Exit 0 when every unit reached
//! the hub, 1 when a unit was refused or not sent (re-run to retry), 2 on other errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsunagu_desk::send::{UnitResult, plan};
use tsunagu_standard::{Lang, Severity};

use crate::office_support::{Bar, DirArg, open_desk, passphrase, runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 送る標準ファイルまたはフォルダ（ファイル名から送信単位にまとめます）
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// 警告・情報を表示しない
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    dir: DirArg,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    // Opened first: a folder that is not initialized is told before any checking output.
    let desk = open_desk(&rt, &args.dir)?;
    let files = crate::input::read_all(&args.paths)?
        .into_iter()
        .map(|(path, bytes)| {
            let name = Path::new(&path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(path);
            (name, bytes)
        })
        .collect();
    let plan = plan(files)?;
    for f in &plan.unplaced {
        if !args.quiet || f.severity == Severity::Error {
            eprintln!("{}", f.display(Lang::Ja));
        }
    }
    let sendable = plan.units.iter().filter(|u| !u.has_errors()).count();
    let me = if sendable > 0 {
        Some(desk.unlock(&passphrase(false)?)?)
    } else {
        None
    };
    let report = match &me {
        Some(me) => rt.block_on(tsunagu_desk::send::send(&desk, me, plan, &Bar::new()))?,
        None => tsunagu_desk::send::SendReport {
            units: plan
                .units
                .into_iter()
                .map(|unit| tsunagu_desk::send::UnitOutcome {
                    unit,
                    result: UnitResult::Refused,
                })
                .collect(),
            unplaced: plan.unplaced,
        },
    };
    let (mut sent, mut skipped, mut not_sent) = (0, 0, 0);
    for o in &report.units {
        let head = format!("{}（{} ファイル）", o.unit.label, o.unit.files.len());
        match &o.result {
            UnitResult::Uploaded {
                envelope_id,
                created,
            } => {
                sent += 1;
                let note = if *created {
                    ""
                } else {
                    "（ハブに保存済みのものと同一）"
                };
                println!("{head}: 送信しました{note} 封筒 {envelope_id}");
            }
            UnitResult::AlreadySent {
                envelope_id,
                status,
            } => {
                skipped += 1;
                println!(
                    "{head}: 送信済みのため送りません（{}）封筒 {envelope_id}",
                    status.label_ja()
                );
            }
            UnitResult::Refused => {
                not_sent += 1;
                println!("{head}: 検査でエラーがあるため送りません");
            }
            UnitResult::Failed(e) => {
                not_sent += 1;
                println!("{head}: 送れませんでした: {e}");
            }
            UnitResult::NotAttempted => {
                not_sent += 1;
                println!("{head}: ハブに接続できないため送っていません（再実行してください）");
            }
        }
        for f in &o.unit.findings {
            if !args.quiet || f.severity == Severity::Error {
                println!("  {}", f.display(Lang::Ja));
            }
        }
    }
    println!("送信 {sent} 件、送信済みで省略 {skipped} 件、送れなかった送信単位 {not_sent} 件");
    Ok(if report.all_sent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
