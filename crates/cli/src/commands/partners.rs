//! `tsunagu partners`: offices I exchange with (seen in my files and units), on the hub or
//! not, with pinned fingerprints. `tsunagu partners trust OFFICE FINGERPRINT`: confirm a key.

use std::process::ExitCode;

use anyhow::Context;
use tsunagu_standard::OfficeId;

use crate::office_support::{DirArg, open_desk, runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<PartnersCommand>,
    /// ハブに問い合わせず、この端末の記録だけを表示する
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    dir: DirArg,
}

#[derive(Debug, clap::Subcommand)]
enum PartnersCommand {
    /// 相手の事業所に確認した鍵の指紋を信頼する（鍵が変わったときや端末が増えたとき）
    Trust {
        /// 事業所（事業所番号_サービス種類コード、例: 3100000101_11）
        office: String,
        /// 相手から聞いた鍵の指紋（XXXX-XXXX-…、区切りと大文字・小文字は問いません）
        fingerprint: String,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let desk = open_desk(&rt, &args.dir)?;
    if let Some(PartnersCommand::Trust {
        office,
        fingerprint,
    }) = args.command
    {
        let office = OfficeId::parse(office.trim())
            .ok()
            .context("E-DESK-076 事業所は 事業所番号_サービス種類コード（例: 3100000101_11）で指定してください")?;
        let pin = rt.block_on(tsunagu_desk::partners::trust(&desk, &office, &fingerprint))?;
        println!(
            "事業所 {} の端末「{}」の鍵（指紋 {}）を信頼しました。",
            pin.office_id, pin.device_name, pin.fingerprint
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (partners, hub_error) = rt.block_on(tsunagu_desk::partners::list(&desk, !args.offline))?;
    if let Some(e) = &hub_error {
        eprintln!("注意: ハブに問い合わせできません。この端末の記録を表示します（{e}）");
    }
    let mut waiting = false;
    for p in &partners {
        let on_hub = match p.on_hub {
            Some(true) => "Tsunagu 利用中",
            Some(false) => "Tsunagu 未利用",
            None => "不明",
        };
        let me = if p.is_self { "（自事業所）" } else { "" };
        println!(
            "{}{} {}  {}  送信 {} 件・受信 {} 件",
            p.office_id,
            me,
            p.name.as_deref().unwrap_or(""),
            on_hub,
            p.sent_units,
            p.received_units
        );
        if p.pinned.is_empty() && !p.is_self {
            println!("    鍵: まだありません（初めて送受信するときに登録します）");
        }
        for k in &p.pinned {
            println!(
                "    鍵の指紋 {}  {}  {}",
                k.fingerprint,
                k.device_name,
                k.how.label_ja()
            );
        }
        for (fp, name) in &p.unconfirmed {
            waiting = true;
            println!(
                "    未確認の鍵 {fp}  {name}  → 相手に確認してから `tsunagu partners trust {} {fp}`",
                p.office_id
            );
        }
    }
    Ok(if waiting {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
