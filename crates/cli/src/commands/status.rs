//! `tsunagu status`: sent units (送信済 / 受信済 / 取込済 / 差戻し / 期限切れ) with their receipts,
//! and received units. `--evidence YYYYMM --html OUT`: the month's printable evidence.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use tsunagu_desk::evidence::kind_label;
use tsunagu_desk::format_jst;
use tsunagu_standard::YearMonth;

use crate::office_support::{DirArg, open_desk, runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 運営指導用の送受信記録を作る対象月（YYYYMM、日本時間）。--html と一緒に指定
    #[arg(long, value_name = "YYYYMM", requires = "html")]
    evidence: Option<String>,
    /// 送受信記録（印刷用 HTML、A4）の書き出し先
    #[arg(long, value_name = "OUT", requires = "evidence")]
    html: Option<PathBuf>,
    /// ハブに問い合わせず、この端末の記録だけを表示する
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    dir: DirArg,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let desk = open_desk(&rt, &args.dir)?;
    if let (Some(month), Some(out)) = (&args.evidence, &args.html) {
        let Some(month) = YearMonth::parse(month.trim()) else {
            bail!("E-DESK-075 対象月は YYYYMM（例: 202504）で指定してください");
        };
        let html = rt.block_on(tsunagu_desk::evidence::build(&desk, month))?;
        crate::atomic::write(out, html.as_bytes())
            .with_context(|| format!("{} に書き込めません", out.display()))?;
        println!(
            "{}年{}月の送受信記録を書き出しました: {}",
            month.year,
            month.month,
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let view = rt.block_on(tsunagu_desk::status::status(&desk, !args.offline))?;
    if let Some(e) = &view.hub_error {
        eprintln!("注意: ハブから最新の状態を取得できません。この端末の記録を表示します（{e}）");
    }
    println!(
        "事業所 {} {}",
        desk.config.office_id, desk.config.office_name
    );
    println!();
    println!("送信（{} 件）", view.outbox.len());
    if view.outbox.is_empty() {
        println!("  なし");
    }
    for row in &view.outbox {
        let u = &row.unit;
        let kinds: Vec<String> = u.kinds.iter().map(|k| kind_label(k)).collect();
        let when = u.uploaded_at.unwrap_or(u.sealed_at);
        println!(
            "  {}  → {}  #{}  {}  {}",
            format_jst(when),
            u.recipient,
            u.unit_id,
            u.status.label_ja(),
            kinds.join("・")
        );
        if let Some(reason) = &u.rejection_reason {
            println!("    差戻しの理由: {reason}");
        }
        if let (true, Some(at)) = (u.hub_resends > 0, u.hub_resent_at) {
            println!(
                "    ハブに記録がなかったため、{} に同じ封筒を再送しました",
                format_jst(at)
            );
        }
        if let (true, Some(err)) = (
            u.status.is_uploaded() && u.hub_resent_at.is_some(),
            &u.last_error,
        ) {
            println!("    ハブへの再送エラー（1 時間後にもう一度送ります）: {err}");
        }
        if !u.status.is_uploaded() {
            if let Some(err) = &u.last_error {
                println!("    前回の送信エラー: {err}");
            }
            println!("    `tsunagu send` を再実行すると同じ封筒を送ります");
        }
        for r in &row.receipts {
            println!(
                "    受領通知 {} {}  {}",
                r.status_label(),
                format_jst(r.receipt.signed.receipt.at.unix_timestamp()),
                r.verification.label_ja()
            );
        }
    }
    println!();
    println!("受信（{} 件）", view.inbox.len());
    if view.inbox.is_empty() {
        println!("  なし");
    }
    for row in &view.inbox {
        let u = &row.unit;
        let kinds: Vec<String> = u.kinds.iter().map(|k| kind_label(k)).collect();
        println!(
            "  {}  ← {}  #{}  {}  {}",
            format_jst(u.received_at),
            u.sender,
            u.unit_id,
            u.status.label_ja(),
            kinds.join("・")
        );
        if let Some(reason) = &u.reason {
            println!("    差戻しの理由: {reason}");
        }
        for r in &row.receipts {
            println!(
                "    返した受領通知 {} {}  {}",
                r.status_label(),
                format_jst(r.receipt.signed.receipt.at.unix_timestamp()),
                r.verification.label_ja()
            );
        }
        if !u.final_receipt_posted {
            println!(
                "    受領通知をまだハブに届けていません（`tsunagu receive` の再実行で届けます）"
            );
        }
    }
    if let Some(n) = view.waiting_on_hub {
        println!();
        println!(
            "ハブで受信を待っている封筒: {n} 件（`tsunagu receive --to 取込フォルダ` で受信）"
        );
    }
    Ok(ExitCode::SUCCESS)
}
