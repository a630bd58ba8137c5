//! `tsunagu desk`: the office app. Unlocks the device key once, syncs with the hub and the
//! care software's folders in the background, and serves the Japanese UI on 127.0.0.1 only.
//! On a PC whose data folder holds no office yet, it serves the setup page first (hub URL,
//! invite code, passphrase) and becomes the desk once registered, without a restart.

use std::io::Write as _;
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tsunagu_desk::DataDir;
use tsunagu_desk::onboard::{default_device_name, key_work_factor_from_env, work_factor_warning};
use tsunagu_desk::settings::DeskSettings;
use tsunagu_desk::sync::{Shared, Timing};
use tsunagu_desk::web::setup::SetupOptions;

use crate::office_support::{DirArg, open_desk, passphrase, runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 画面のポート番号（0 で空いている番号）
    #[arg(long, default_value_t = 8750)]
    port: u16,
    /// 画面の待ち受けアドレス。127.0.0.1 など、この PC の中だけのアドレスに限ります
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    bind: IpAddr,
    #[command(flatten)]
    dir: DirArg,
}

/// Logs to stderr (English, no care-plan contents); `RUST_LOG` overrides.
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Refused before asking for the passphrase.
    if !args.bind.is_loopback() {
        return Err(tsunagu_desk::DeskError::NotLoopback(args.bind.to_string()).into());
    }
    init_logging("info,sqlx=warn");
    let data_dir = args.dir.data_dir();
    if !data_dir.is_initialized() {
        return setup(args, data_dir);
    }
    let rt = runtime()?;
    let desk = open_desk(&rt, &args.dir)?;
    let keys = desk.unlock(&passphrase(false)?)?;
    let settings = DeskSettings::load(&desk.dir)?;
    rt.block_on(async move {
        let outbox = settings.outbox(&desk.dir);
        let import = settings.import(&desk.dir);
        let shared = Arc::new(Shared::new(desk, keys, settings, Timing::from_env()));
        let started = tsunagu_desk::web::start(shared, args.bind, args.port).await?;
        // A stable line on stdout: people open it, scripts and tests read the address from it.
        println!("デスクを起動しました: {}", started.login_url());
        println!("送信フォルダ: {}", outbox.display());
        println!("取込フォルダ: {}", import.display());
        println!("止めるには Ctrl-C を押してください。");
        let _ = std::io::stdout().flush();
        tsunagu_desk::web::serve(started.app, started.listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("画面を提供できません")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// No office in the data folder: the setup page, then the desk. The passphrase comes from the
/// page (never from the terminal or `TSUNAGU_PASSPHRASE`) and is never logged.
fn setup(args: Args, data_dir: DataDir) -> anyhow::Result<ExitCode> {
    let key_work_factor = key_work_factor_from_env()?;
    if let Some(warning) = work_factor_warning(key_work_factor) {
        eprintln!("{warning}");
    }
    let rt = runtime()?;
    rt.block_on(async move {
        let options = SetupOptions {
            key_work_factor,
            timing: Timing::from_env(),
            default_device_name: default_device_name(),
        };
        let shown = std::path::absolute(data_dir.root())
            .unwrap_or_else(|_| data_dir.root().to_path_buf());
        let started =
            tsunagu_desk::web::setup::start(data_dir, options, args.bind, args.port).await?;
        // The same stable first line as a registered desk: scripts read the address from it.
        println!("デスクを起動しました: {}", started.login_url());
        println!(
            "この PC はまだ事業所の端末として登録されていません。上の URL をブラウザで開き、「はじめての設定」でハブの URL と招待コードを入力してください。"
        );
        println!("データフォルダ: {}", shown.display());
        println!("止めるには Ctrl-C を押してください。");
        let _ = std::io::stdout().flush();
        tsunagu_desk::web::serve_router(
            tsunagu_desk::web::setup::router(started.setup),
            started.listener,
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
        )
        .await
        .context("画面を提供できません")
    })?;
    Ok(ExitCode::SUCCESS)
}
