//! Subcommands: one module each, `Args` + `run`.

use std::process::ExitCode;

use clap::Subcommand;

pub mod check;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 標準ファイルを検査する（ファイルまたはフォルダ）。エラーがなければ終了コード 0、あれば 1
    Check(check::Args),
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check(a) => check::run(a),
    }
}
