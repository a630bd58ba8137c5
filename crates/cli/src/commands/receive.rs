//! `tsunagu receive --to DIR`: download, verify, check and import every waiting unit. Exit 0
//! when nothing was left in the inbox, 1 when an envelope was left (the reason is printed).

use std::path::PathBuf;
use std::process::ExitCode;

use tsunagu_desk::receive::ReceiveResult;

use crate::office_support::{Bar, DirArg, open_desk, passphrase, runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 取り込むフォルダ（介護ソフトが読み込むフォルダ）
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
    #[command(flatten)]
    dir: DirArg,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let desk = open_desk(&rt, &args.dir)?;
    let me = desk.unlock(&passphrase(false)?)?;
    let outcomes = rt.block_on(tsunagu_desk::receive::receive(
        &desk,
        &me,
        &args.to,
        &Bar::new(),
    ))?;
    let (mut imported, mut rejected, mut left) = (0, 0, 0);
    for o in &outcomes {
        let head = format!("{} から #{}", o.sender, o.unit_id);
        match &o.result {
            ReceiveResult::Imported { files } => {
                imported += 1;
                println!(
                    "{head}: 取込済（{} ファイル → {}）",
                    files.len(),
                    args.to.display()
                );
                for f in files {
                    println!("  {f}");
                }
            }
            ReceiveResult::Rejected { reason } => {
                rejected += 1;
                println!("{head}: 差戻しました: {reason}");
            }
            ReceiveResult::AlreadyDone => {
                println!("{head}: 処理済み（受領通知を再送しました）");
            }
            ReceiveResult::Replay => {
                rejected += 1;
                println!(
                    "{head}: 同じ送信単位をすでに受信済みのため取り込みません（再送を差戻しました）"
                );
            }
            ReceiveResult::Skipped(e) => {
                left += 1;
                println!("{head}: 受信箱に残しました: {e}");
            }
        }
    }
    if outcomes.is_empty() {
        println!("受信箱は空です");
    } else {
        println!("取込 {imported} 件、差戻し {rejected} 件、受信箱に残した封筒 {left} 件");
    }
    Ok(if left == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
