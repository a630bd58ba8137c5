//! `tsunagu show`: a readable summary of standard files, and with `--html` one printable page
//! that looks like the paper forms.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use tsunagu_standard::{Document, Lang, Severity, forms, read};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 表示するファイルまたはフォルダ
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// 帳票の形の印刷用 HTML（A4 横）をこのファイルに書く
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let inputs = crate::input::read_all(&args.paths)?;
    let mut documents: Vec<Document> = Vec::new();
    let mut unreadable = 0usize;
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    for (name, bytes) in &inputs {
        let outcome = read(name, bytes);
        match outcome.document {
            Some(d) => {
                write!(out, "{}", forms::summary_text(&d))?;
                writeln!(out)?;
                documents.push(d);
            }
            None => {
                unreadable += 1;
                let errors: Vec<_> = outcome
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .collect();
                if errors.is_empty() {
                    writeln!(err, "{name}: 標準ファイルとして読めませんでした")?;
                }
                for f in errors {
                    writeln!(err, "{}", f.display(Lang::Ja))?;
                }
            }
        }
    }
    if let Some(path) = &args.html {
        let refs: Vec<&Document> = documents.iter().collect();
        let html = forms::render_html(&refs);
        write_atomically(path, html.as_bytes())
            .with_context(|| format!("{} に書けません", path.display()))?;
        writeln!(
            err,
            "{} に {} ファイル分の帳票を書きました",
            path.display(),
            documents.len()
        )?;
    }
    Ok(if unreadable > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes to a temporary file in the same folder, then renames it over `path`, so a reader
/// never sees half a page.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tsunagu.html".to_string());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
