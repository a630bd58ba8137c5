//! What the office commands (office, send, receive, status, partners) share: the data folder
//! option, the async runtime, the passphrase and the progress bar.

use std::path::PathBuf;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tsunagu_desk::{DataDir, Desk, Progress};
use tsunagu_seal::SecretString;

/// Environment variable with the key-file passphrase, for scripts and tests.
pub const PASSPHRASE_ENV: &str = "TSUNAGU_PASSPHRASE";

/// `--dir`: the office's data folder.
#[derive(Debug, Clone, clap::Args)]
pub struct DirArg {
    /// 事業所のデータフォルダ（鍵・設定・送受信の記録）
    #[arg(
        long = "dir",
        env = "TSUNAGU_OFFICE_DIR",
        default_value = tsunagu_desk::DEFAULT_DIR,
        value_name = "DIR",
        global = true
    )]
    pub dir: PathBuf,
}

impl DirArg {
    pub fn data_dir(&self) -> DataDir {
        DataDir::new(&self.dir)
    }
}

/// A runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("非同期ランタイムを起動できません")
}

/// Opens the initialized data folder.
pub fn open_desk(rt: &tokio::runtime::Runtime, dir: &DirArg) -> anyhow::Result<Desk> {
    Ok(rt.block_on(Desk::open(dir.data_dir()))?)
}

/// The passphrase: from `TSUNAGU_PASSPHRASE`, or asked on the terminal (twice when `confirm`).
pub fn passphrase(confirm: bool) -> anyhow::Result<SecretString> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        if p.is_empty() {
            bail!("E-DESK-070 環境変数 {PASSPHRASE_ENV} が空です");
        }
        return Ok(SecretString::from(p));
    }
    let first = rpassword::prompt_password("鍵ファイルのパスフレーズ: ")
        .context("E-DESK-071 パスフレーズを読めません（端末から実行するか TSUNAGU_PASSPHRASE を設定してください）")?;
    if confirm {
        let second = rpassword::prompt_password("もう一度入力してください: ")
            .context("E-DESK-071 パスフレーズを読めません")?;
        if first != second {
            bail!("E-DESK-072 2回入力したパスフレーズが一致しません");
        }
    }
    Ok(SecretString::from(first))
}

/// A progress bar on stderr (drawn only on a terminal); lines go above it.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Self { bar }
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, what: &str) {
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.set_prefix(what.to_string());
    }

    fn tick(&self, label: &str) {
        self.bar.set_message(label.to_string());
        self.bar.inc(1);
    }

    fn println(&self, line: &str) {
        // `println` of a hidden bar (not a terminal) prints nothing; suspend always runs.
        self.bar.suspend(|| eprintln!("{line}"));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
