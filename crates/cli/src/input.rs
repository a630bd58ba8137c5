//! Collecting input files: files as given, folders walked (not following links), sorted by name.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Every file under the given paths, folders recursively, in a stable order.
pub fn collect_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{} を開けません", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("フォルダ {} を読めません", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("フォルダ {} を読めません", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let ft = e.file_type()?;
        let path = e.path();
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads every file; a file that cannot be read stops the run (exit 2).
pub fn read_all(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    collect_files(paths)?
        .into_iter()
        .map(|p| {
            let bytes =
                std::fs::read(&p).with_context(|| format!("{} を読めません", p.display()))?;
            Ok((p.display().to_string(), bytes))
        })
        .collect()
}
