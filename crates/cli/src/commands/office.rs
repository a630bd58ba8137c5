//! `tsunagu office …`: register this PC as a device of an office (`init`), show it, revoke a
//! device of the office.

use std::process::ExitCode;

use anyhow::bail;
use tsunagu_desk::InitOptions;
use tsunagu_desk::onboard::{
    MIN_PASSPHRASE_CHARS, check_new_passphrase, default_device_name, key_work_factor_from_env,
    work_factor_warning,
};

use crate::office_support::{DirArg, open_desk, passphrase, runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: OfficeCommand,
    #[command(flatten)]
    dir: DirArg,
}

#[derive(Debug, clap::Subcommand)]
enum OfficeCommand {
    /// この PC を事業所の端末として登録する（鍵をこの PC で作り、公開鍵だけをハブに登録）
    Init {
        /// ハブの URL（例: https://hub.example.jp）
        #[arg(long, value_name = "URL")]
        hub: String,
        /// ハブの運営者から受け取った招待コード
        #[arg(long, value_name = "CODE")]
        invite: String,
        /// 端末の名前（例: 事務所PC 1）
        #[arg(long, value_name = "DEVICE_NAME")]
        name: Option<String>,
    },
    /// この端末と事業所の登録内容を表示する
    Show,
    /// 事業所の端末を失効させる（紛失・廃棄した PC など）
    Revoke {
        /// 失効させる端末の ID（`tsunagu office show` で確認）
        device_id: String,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        OfficeCommand::Init { hub, invite, name } => init(&args.dir, hub, invite, name),
        OfficeCommand::Show => show(&args.dir),
        OfficeCommand::Revoke { device_id } => revoke(&args.dir, &device_id),
    }
}

fn init(
    dir: &DirArg,
    hub: String,
    invite: String,
    name: Option<String>,
) -> anyhow::Result<ExitCode> {
    let data_dir = dir.data_dir();
    if let Ok(existing) = data_dir.read_config() {
        bail!(tsunagu_desk::DeskError::AlreadyInitialized {
            dir: data_dir.root().to_path_buf(),
            office: existing.office_id.to_string(),
        });
    }
    let key_work_factor = key_work_factor_from_env()?;
    if let Some(warning) = work_factor_warning(key_work_factor) {
        eprintln!("{warning}");
    }
    eprintln!(
        "この端末の鍵を作ります。鍵ファイルを守るパスフレーズを決めてください（{MIN_PASSPHRASE_CHARS}文字以上）。"
    );
    let pass = passphrase(true)?;
    check_new_passphrase(&pass, None)?;
    let rt = runtime()?;
    let (desk, answer) = rt.block_on(tsunagu_desk::init(
        data_dir,
        InitOptions {
            hub_url: hub,
            invite_code: invite,
            device_name: name.unwrap_or_else(default_device_name),
            passphrase: pass,
            key_work_factor,
        },
    ))?;
    let c = &desk.config;
    println!("登録しました。");
    println!(
        "事業所: {} {}（市区町村コード {}）",
        c.office_id, answer.office.name, c.municipality_code
    );
    println!("端末: {} {}", c.device_id, c.device_name);
    println!("鍵の指紋: {}", c.fingerprint);
    println!("データフォルダ: {}", desk.dir.root().display());
    eprintln!(
        "取引先の事業所には、この指紋を電話などで伝えて確認してもらってください。鍵ファイル（{}）とパスフレーズは失くさないでください。失くすと、この端末宛ての送信単位は開けません。",
        desk.dir.key_path().display()
    );
    Ok(ExitCode::SUCCESS)
}

fn show(dir: &DirArg) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let desk = open_desk(&rt, dir)?;
    let c = &desk.config;
    println!("事業所: {} {}", c.office_id, c.office_name);
    println!("この端末: {} {}", c.device_id, c.device_name);
    println!("鍵の指紋: {}", c.fingerprint);
    println!("ハブ: {}", c.hub_url);
    println!("データフォルダ: {}", desk.dir.root().display());
    match rt.block_on(desk.client.office_keys(&c.office_id)) {
        Ok(Some(directory)) => {
            println!("事業所の有効な端末（ハブの登録）:");
            for d in directory.devices {
                let mark = if d.device_id == c.device_id {
                    "（この端末）"
                } else {
                    ""
                };
                println!(
                    "  {}\t{}\t{}{}",
                    d.device_id,
                    d.name,
                    d.keys.fingerprint().short(),
                    mark
                );
            }
        }
        Ok(None) => println!("ハブにこの事業所が見つかりません"),
        Err(e) => eprintln!("ハブに問い合わせできません: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(dir: &DirArg, device_id: &str) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let desk = open_desk(&rt, dir)?;
    let info = rt.block_on(desk.client.revoke_device(device_id.trim()))?;
    println!(
        "端末 {} {}（指紋 {}）を失効させました。この端末はもう送受信できず、今後の送信単位はこの端末宛てに暗号化されません。",
        info.device_id, info.name, info.fingerprint
    );
    Ok(ExitCode::SUCCESS)
}
