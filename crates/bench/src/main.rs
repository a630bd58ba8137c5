//! `tsunagu-bench`: load generator for the exchange (issue 6), with its baselines.
//!
//! `tsunagu-bench exchange …` starts the real hub as a child process of this binary (the hidden
//! `hub` subcommand runs exactly what `tsunagu hub` runs), onboards offices through real invites,
//! seals synthetic send units before timing, PUTs them with concurrent clients, receives and
//! acknowledges them, and PUTs the same bodies to a minimal axum + SQLite handler (the hidden
//! `axum-baseline` subcommand, also a child process) and to nginx WebDAV. Loopback only; every
//! phase is bounded in count and time. Numbers go into docs/performance.md.

mod baseline;
mod child;
mod corpus;
mod cpu_limit;
mod crash;
mod exchange;
mod load;
mod month_end;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Doc comments on clap items are the `--help` text people read, so they are Japanese.

/// つなぐ のベンチマーク（負荷生成）。結果は docs/performance.md に記録する
#[derive(Debug, Parser)]
#[command(name = "tsunagu-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 交換の負荷試験: ハブ（子プロセス）に封筒を同時送信し、受信・受領まで測る。最小の axum と nginx WebDAV を同じ実行で比較する
    Exchange(exchange::ExchangeArgs),
    /// 障害試験: 送信の集中中にハブを何度も kill -9 して再起動し、受け付けた封筒が失われず二重にもならないことをデータベースで確かめる
    Crash(crash::CrashArgs),
    /// 月末・月初の再現: 県 1 つ分（既定 40,000 件）の予定と実績を送り、受信・受領まで通しで測る
    MonthEnd(month_end::MonthEndArgs),
    /// （内部用）ハブを起動する。`tsunagu hub` と同じ
    #[command(hide = true)]
    Hub(tsunagu_hub::cli::HubArgs),
    /// （内部用）比較用の最小 axum サーバー: PUT 本文を SQLite に1トランザクションで保存する
    #[command(hide = true)]
    AxumBaseline(baseline::AxumBaselineArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hub(args) => tsunagu_hub::cli::run(args),
        Command::AxumBaseline(args) => baseline::run_axum_baseline(args),
        Command::Exchange(args) => exchange::run(args),
        Command::Crash(args) => crash::run(args),
        Command::MonthEnd(args) => month_end::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
