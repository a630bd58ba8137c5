//! `tsunagu check`: read and check files and the send units they form.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use tsunagu_standard::Lang;
use tsunagu_standard::check::{CheckReport, check_all};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Ja,
    En,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 検査するファイルまたはフォルダ
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// 出力形式
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// メッセージの言語
    #[arg(long, value_enum, default_value = "ja")]
    lang: LangArg,
    /// 警告・情報を表示しない
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let lang = match args.lang {
        LangArg::Ja => Lang::Ja,
        LangArg::En => Lang::En,
    };
    let inputs = crate::input::read_all(&args.paths)?;
    let (_, report) = check_all(&inputs);
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        OutputFormat::Text => print_text(&mut out, &report, lang, args.quiet)?,
    }
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_text(
    out: &mut impl Write,
    report: &CheckReport,
    lang: Lang,
    quiet: bool,
) -> std::io::Result<()> {
    for f in report.findings() {
        if quiet && f.severity != tsunagu_standard::Severity::Error {
            continue;
        }
        writeln!(out, "{}", f.display(lang))?;
    }
    let t = report.tally;
    let records: usize = report.files.iter().map(|f| f.records).sum();
    match lang {
        Lang::Ja => writeln!(
            out,
            "{} ファイル（{} レコード）、送信単位 {}: エラー {}、警告 {}、情報 {}",
            report.files.len(),
            records,
            report.units.len(),
            t.errors,
            t.warnings,
            t.infos
        ),
        Lang::En => writeln!(
            out,
            "{} files ({} records), {} send units: {} errors, {} warnings, {} infos",
            report.files.len(),
            records,
            report.units.len(),
            t.errors,
            t.warnings,
            t.infos
        ),
    }
}
