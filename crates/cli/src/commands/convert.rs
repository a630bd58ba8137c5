//! `tsunagu convert`: a standard file to its JSON form, and a JSON form back to the canonical CSV.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::ValueEnum;
use tsunagu_standard::json_form;
use tsunagu_standard::{Document, Lang, read};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Json,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 変換するファイル（標準ファイル、または JSON 形式のファイル）
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// 変換先の形式
    #[arg(long, value_enum)]
    to: Target,
    /// 出力フォルダ（省略時は標準出力）
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.out.is_none() && args.files.len() > 1 {
        bail!("複数のファイルを変換するときは --out で出力フォルダを指定してください");
    }
    let mut failed = false;
    for path in &args.files {
        let bytes =
            std::fs::read(path).with_context(|| format!("{} を読めません", path.display()))?;
        let converted = match args.to {
            Target::Json => to_json(path, &bytes),
            Target::Csv => to_csv(path, &bytes),
        };
        match converted {
            Ok((name, out)) => emit(args.out.as_deref(), &name, &out)?,
            Err(message) => {
                failed = true;
                eprintln!("{}: {message}", path.display());
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn to_json(path: &Path, bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
    let outcome = read(&path.display().to_string(), bytes);
    match outcome.document {
        Some(Document::Csv(file)) => {
            let doc = json_form::to_json(&file);
            let mut text = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
            text.push(b'\n');
            Ok((format!("{}.json", file.name), text))
        }
        Some(Document::Image(_)) => Err(json_form::JsonFormError::Image.to_string()),
        None => Err(outcome
            .findings
            .iter()
            .map(|f| f.display(Lang::Ja).to_string())
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

fn to_csv(_path: &Path, bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| "JSON 形式のファイルは UTF-8 です".to_string())?;
    let doc = json_form::parse(text).map_err(|e| e.to_string())?;
    json_form::from_json(&doc).map_err(|e| e.to_string())
}

fn emit(out: Option<&Path>, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(dir) => crate::atomic::write(&dir.join(name), bytes),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            Ok(stdout.flush()?)
        }
    }
}
