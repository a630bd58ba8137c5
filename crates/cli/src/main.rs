//! `tsunagu`: the one binary. Each subcommand is a thin call into the crates; flags are parsed
//! here, then resolved into a plan inside the command's module (ripgrep's LowArgs → HiArgs).

use std::process::ExitCode;

use clap::Parser;

mod atomic;
mod commands;
mod input;
mod office_support;

/// つなぐ — ケアプランデータ連携の標準ファイルを、確かめて、暗号化して、届ける。
#[derive(Debug, Parser)]
#[command(name = "tsunagu", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command) {
        Ok(code) => code,
        // The reader of our output went away (`tsunagu show … | head`): stop quietly, as other
        // command-line tools do.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("エラー: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
