//! `tsunagu sample`: write a synthetic month of send units (valid standard files) into a folder,
//! for tests, demos and benchmarks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use tsunagu_standard::YearMonth;
use tsunagu_standard::sample::{SampleSpec, generate};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 事業所の数（2以上。約4分の1が居宅介護支援事業所、第4版では地域包括支援センターも含む）
    #[arg(long, default_value_t = 8)]
    offices: usize,
    /// 居宅介護支援事業所・地域包括支援センターごとの利用者数
    #[arg(long, default_value_t = 5)]
    users: usize,
    /// サービス提供年月（YYYYMM）。2025年4月以降は第4版（CSVバージョン 202407）
    #[arg(long, value_parser = parse_month)]
    month: YearMonth,
    /// 出力フォルダ（なければ作る）
    #[arg(long)]
    out: PathBuf,
    /// 乱数の種。同じ種からは同じファイルができる
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 2025年4月以降の月でも第3版（CSVバージョン 202208、ファイル名にサービス種類なし）で書く
    #[arg(long)]
    v3: bool,
}

fn parse_month(s: &str) -> Result<YearMonth, String> {
    YearMonth::parse(s).ok_or_else(|| format!("「{s}」は年月（YYYYMM、例 202504）ではありません"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let spec = SampleSpec {
        offices: args.offices,
        users_per_office: args.users,
        month: args.month,
        seed: args.seed,
        force_v3: args.v3,
    };
    let started = Instant::now();
    let sample = generate(&spec)?;
    let generated = started.elapsed();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("フォルダ {} を作れません", args.out.display()))?;
    let already = std::fs::read_dir(&args.out)
        .with_context(|| format!("フォルダ {} を読めません", args.out.display()))?
        .next()
        .is_some();
    if already {
        eprintln!(
            "注意: {} にはすでにファイルがあります。同じ名前のファイルは上書きし、ほかのファイルはそのまま残します",
            args.out.display()
        );
    }
    for f in &sample.files {
        write_file(&args.out, &f.name, &f.bytes)?;
    }
    let bytes = sample.total_bytes();
    println!(
        "架空のサンプルを {} に書き出しました（実在の人物のデータは含みません）",
        args.out.display()
    );
    println!(
        "  サービス提供年月 {}、CSVバージョン {}",
        spec.month.japanese(),
        sample.version.csv_version()
    );
    println!(
        "  事業所 {}、利用者 {}、送信単位 {}、ファイル {}、合計 {}",
        sample.offices,
        sample.users,
        sample.units,
        sample.files.len(),
        human_bytes(bytes)
    );
    println!(
        "  生成 {:.2} 秒、書き込みまで {:.2} 秒",
        generated.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes through a temporary file in the same folder and a rename, so a watcher never sees half
/// a file. Unlike `crate::atomic::write` it does not fsync: this is throwaway test data, and a
/// 100 MB corpus is tens of thousands of files, where a sync per file costs most of the run.
fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("{} を書き込めません", path.display()))
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / f64::from(1 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} バイト")
    }
}
