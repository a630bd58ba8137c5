//! The month's evidence for a 運営指導 inspection: every unit sent and received in the month
//! (JST), its status and receipts, and whether each receipt's signature verifies against the
//! pinned keys. One self-contained, printable (A4) HTML page in Japanese; no file contents.

use std::fmt::Write as _;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use tsunagu_standard::{FileKind, YearMonth};

use crate::error::Result;
use crate::status::{InboxRow, OutboxRow, ShownReceipt, StatusView};
use crate::store::{PinHow, PinnedKey};
use crate::{Desk, JST, format_jst, now_unix};

/// `[start, end)` of a month in JST, as Unix seconds.
pub fn month_range(month: YearMonth) -> (i64, i64) {
    let start = |y: u16, m: u8| -> i64 {
        let date = Month::try_from(m)
            .ok()
            .and_then(|m| Date::from_calendar_date(i32::from(y), m, 1).ok())
            .unwrap_or(Date::MIN);
        PrimitiveDateTime::new(date, Time::MIDNIGHT)
            .assume_offset(JST)
            .unix_timestamp()
    };
    let next = month.next();
    (start(month.year, month.month), start(next.year, next.month))
}

fn in_month(t: i64, range: (i64, i64)) -> bool {
    t >= range.0 && t < range.1
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `UPPLAN` → `サービス利用票（第６表）予定`.
pub fn kind_label(prefix: &str) -> String {
    FileKind::ALL
        .iter()
        .find(|k| k.prefix() == prefix)
        .map(|k| k.japanese_name().to_string())
        .unwrap_or_else(|| prefix.to_string())
}

fn kinds_cell(kinds: &[String]) -> String {
    kinds
        .iter()
        .map(|k| esc(&kind_label(k)))
        .collect::<Vec<_>>()
        .join("<br>")
}

fn month_cell(m: Option<&str>) -> String {
    m.and_then(YearMonth::parse)
        .map(|ym| format!("{}年{}月", ym.year, ym.month))
        .unwrap_or_else(|| "—".into())
}

fn receipts_cell(receipts: &[ShownReceipt]) -> String {
    if receipts.is_empty() {
        return "（受領通知なし）".into();
    }
    receipts
        .iter()
        .map(|r| {
            let class = if r.verification.is_valid() {
                "ok"
            } else {
                "ng"
            };
            let mut s = format!(
                "{} {}<br><span class=\"{class}\">{}</span>",
                esc(r.status_label()),
                esc(&format_jst(r.receipt.signed.receipt.at.unix_timestamp())),
                esc(&r.verification.label_ja())
            );
            if let tsunagu_seal::ReceiptStatus::Rejected { reason } =
                &r.receipt.signed.receipt.status
            {
                let _ = write!(s, "<br><span class=\"reason\">理由: {}</span>", esc(reason));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("<hr>")
}

fn office_cell(view: &EvidenceNames, office: &tsunagu_standard::OfficeId) -> String {
    match view.name_of(office) {
        Some(n) => format!(
            "{}<br><span class=\"small\">{}</span>",
            esc(&office.to_string()),
            esc(n)
        ),
        None => esc(&office.to_string()),
    }
}

/// Office names known to the desk (from the hub directory).
pub struct EvidenceNames(pub Vec<(tsunagu_standard::OfficeId, String)>);

impl EvidenceNames {
    fn name_of(&self, office: &tsunagu_standard::OfficeId) -> Option<&str> {
        self.0
            .iter()
            .find(|(o, _)| o == office)
            .map(|(_, n)| n.as_str())
    }
}

/// Everything the page shows, already filtered to the month.
pub struct Evidence<'a> {
    pub office_name: &'a str,
    pub office_id: String,
    pub device_name: &'a str,
    pub device_fingerprint: &'a str,
    pub hub_url: &'a str,
    pub month: YearMonth,
    pub generated_at: i64,
    pub sent: Vec<&'a OutboxRow>,
    pub received: Vec<&'a InboxRow>,
    pub names: EvidenceNames,
    pub pinned: Vec<PinnedKey>,
    /// Set when the hub could not be asked for the latest receipts.
    pub hub_note: Option<String>,
}

/// Selects the month's units from a status view.
pub fn select(view: &StatusView, month: YearMonth) -> (Vec<&OutboxRow>, Vec<&InboxRow>) {
    let range = month_range(month);
    let sent = view
        .outbox
        .iter()
        .filter(|r| r.unit.uploaded_at.is_some_and(|t| in_month(t, range)))
        .collect();
    let received = view
        .inbox
        .iter()
        .filter(|r| in_month(r.unit.received_at, range))
        .collect();
    (sent, received)
}

/// Renders the page.
pub fn render(e: &Evidence<'_>) -> String {
    let mut h = String::new();
    let title = format!(
        "ケアプランデータ連携 送受信記録 {}年{}月 {}",
        e.month.year, e.month.month, e.office_name
    );
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
@page {{ size: A4; margin: 14mm 12mm; }}
body {{ font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Kaku Gothic ProN", "Yu Gothic", "Meiryo", sans-serif; font-size: 9pt; color: #000; margin: 0; }}
h1 {{ font-size: 14pt; margin: 0 0 4mm; }}
h2 {{ font-size: 11pt; margin: 6mm 0 2mm; border-bottom: 1px solid #000; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #555; padding: 1.2mm 1.5mm; vertical-align: top; text-align: left; }}
th {{ background: #eee; font-weight: bold; }}
thead {{ display: table-header-group; }}
tr {{ page-break-inside: avoid; break-inside: avoid; }}
table.meta th {{ width: 28%; }}
.ok {{ color: #075e07; }}
.ng {{ color: #b00000; font-weight: bold; }}
.small, .mono {{ font-size: 7.5pt; }}
.mono {{ font-family: "DejaVu Sans Mono", monospace; word-break: break-all; }}
.reason {{ font-size: 8pt; }}
td.nowrap {{ white-space: nowrap; }}
hr {{ border: 0; border-top: 1px dotted #888; margin: 1mm 0; }}
p.note {{ margin: 1mm 0; }}
footer {{ margin-top: 6mm; font-size: 7.5pt; color: #333; }}
</style>
</head>
<body>
<h1>{title_h}</h1>
"#,
        title = esc(&title),
        title_h = esc(&format!(
            "ケアプランデータ連携 送受信記録（{}年{}月分）",
            e.month.year, e.month.month
        )),
    );
    let unverified = e
        .sent
        .iter()
        .flat_map(|r| &r.receipts)
        .chain(e.received.iter().flat_map(|r| &r.receipts))
        .filter(|r| !r.verification.is_valid())
        .count();
    let _ = write!(
        h,
        r#"<table class="meta">
<tr><th>事業所</th><td>{office} {name}</td></tr>
<tr><th>対象期間</th><td>{y}年{m}月1日〜{y}年{m}月末日（日本時間）</td></tr>
<tr><th>作成日時</th><td>{gen}</td></tr>
<tr><th>作成した端末</th><td>{dev}（鍵の指紋 <span class="mono">{fp}</span>）</td></tr>
<tr><th>ハブ</th><td>{hub}</td></tr>
<tr><th>件数</th><td>送信 {ns} 件、受信 {nr} 件、署名を検証できない受領通知 {nu} 件</td></tr>
</table>
"#,
        office = esc(&e.office_id),
        name = esc(e.office_name),
        y = e.month.year,
        m = e.month.month,
        gen = esc(&format_jst(e.generated_at)),
        dev = esc(e.device_name),
        fp = esc(e.device_fingerprint),
        hub = esc(e.hub_url),
        ns = e.sent.len(),
        nr = e.received.len(),
        nu = unverified,
    );
    if let Some(note) = &e.hub_note {
        let _ = writeln!(
            h,
            "<p class=\"note ng\">注意: ハブから最新の状態を取得できませんでした。この端末に保存済みの記録で作成しています（{}）。</p>",
            esc(note)
        );
    }

    let _ = writeln!(h, "<h2>1. 送信した送信単位（{} 件）</h2>", e.sent.len());
    if e.sent.is_empty() {
        h.push_str("<p>この月に送信した送信単位はありません。</p>\n");
    } else {
        h.push_str(
            "<table>\n<thead><tr><th>No</th><th>送信日時</th><th>送信先</th><th>ファイル連番</th><th>ファイルの種類</th><th>サービス提供年月</th><th>状態</th><th>受領通知と署名検証</th><th>封筒の識別</th></tr></thead>\n<tbody>\n",
        );
        for (i, r) in e.sent.iter().enumerate() {
            let u = &r.unit;
            let mut state = esc(u.status.label_ja());
            if let Some(reason) = &u.rejection_reason {
                let _ = write!(state, "<br><span class=\"reason\">{}</span>", esc(reason));
            }
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td><td class=\"mono\">{}<br>SHA-256 {}…</td></tr>",
                i + 1,
                esc(&u.uploaded_at.map(format_jst).unwrap_or_default()),
                office_cell(&e.names, &u.recipient),
                esc(&u.unit_id),
                kinds_cell(&u.kinds),
                month_cell(u.service_month.as_deref()),
                state,
                receipts_cell(&r.receipts),
                esc(u.envelope_id.as_deref().unwrap_or("")),
                esc(u.ciphertext_sha256.get(..16).unwrap_or("")),
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    let _ = writeln!(h, "<h2>2. 受信した送信単位（{} 件）</h2>", e.received.len());
    if e.received.is_empty() {
        h.push_str("<p>この月に受信した送信単位はありません。</p>\n");
    } else {
        h.push_str(
            "<table>\n<thead><tr><th>No</th><th>受信日時</th><th>送信元</th><th>ファイル連番</th><th>ファイルの種類</th><th>サービス提供年月</th><th>結果</th><th>当事業所の受領通知と署名検証</th><th>封筒の識別</th></tr></thead>\n<tbody>\n",
        );
        for (i, r) in e.received.iter().enumerate() {
            let u = &r.unit;
            let mut state = esc(u.status.label_ja());
            if let Some(reason) = &u.reason {
                let _ = write!(state, "<br><span class=\"reason\">{}</span>", esc(reason));
            }
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td><td class=\"mono\">{}<br>SHA-256 {}…</td></tr>",
                i + 1,
                esc(&format_jst(u.received_at)),
                office_cell(&e.names, &u.sender),
                esc(&u.unit_id),
                kinds_cell(&u.kinds),
                month_cell(u.service_month.as_deref()),
                state,
                receipts_cell(&r.receipts),
                esc(&u.envelope_id),
                esc(u.ciphertext_sha256.get(..16).unwrap_or("")),
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    h.push_str("<h2>3. 署名の検証に使った鍵（確認済みの端末の指紋）</h2>\n<table>\n<thead><tr><th>事業所</th><th>端末</th><th>鍵の指紋</th><th>登録のしかた</th><th>登録日時</th></tr></thead>\n<tbody>\n");
    for k in &e.pinned {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
            office_cell(&e.names, &k.office_id),
            esc(&k.device_name),
            esc(&k.fingerprint),
            esc(if k.how == PinHow::Own {
                "この端末の鍵"
            } else {
                k.how.label_ja()
            }),
            esc(&format_jst(k.pinned_at)),
        );
    }
    h.push_str("</tbody>\n</table>\n");

    h.push_str(
        r#"<h2>4. この記録について</h2>
<p class="note">・受領通知は、受信した事業所の端末が電子署名（Ed25519）して返したものです。「署名検証済」は、この端末が確認済みの相手の鍵（上の表の指紋）で、その署名が正しいことをこの記録の作成時に確かめたことを示します。</p>
<p class="note">・「受信済」は相手が受け取り開封したこと、「取込済」は検査に合格して相手の取込フォルダに書き込まれたこと、「差戻し」は相手が受け取りを拒否したこと（理由つき）、「期限切れ」は受信されないまま保存期間を過ぎたことを示します。</p>
<p class="note">・封筒の識別（ハブの封筒ID と暗号文の SHA-256）により、ハブの記録・監査ログと突き合わせられます。</p>
<p class="note">・この記録には利用者の情報やファイルの内容は含まれていません。</p>
"#,
    );
    let _ = write!(
        h,
        "<footer>Tsunagu {} で作成（{}）</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&format_jst(e.generated_at))
    );
    h
}

/// Refreshes from the hub (best effort) and renders the month's evidence.
pub async fn build(desk: &Desk, month: YearMonth) -> Result<String> {
    let view = crate::status::status(desk, true).await?;
    let (sent, received) = select(&view, month);
    let mut names: Vec<(tsunagu_standard::OfficeId, String)> = desk
        .store
        .partners()
        .await?
        .into_iter()
        .filter_map(|p| p.name.map(|n| (p.office_id, n)))
        .collect();
    names.push((desk.config.office_id, desk.config.office_name.clone()));
    let e = Evidence {
        office_name: &desk.config.office_name,
        office_id: desk.config.office_id.to_string(),
        device_name: &desk.config.device_name,
        device_fingerprint: &desk.config.fingerprint,
        hub_url: &desk.config.hub_url,
        month,
        generated_at: now_unix(),
        sent,
        received,
        names: EvidenceNames(names),
        pinned: desk.store.all_pinned().await?,
        hub_note: view.hub_error.as_ref().map(|e| e.code().to_string()),
    };
    Ok(render(&e))
}

/// Current month in JST (for defaults).
pub fn current_month() -> Option<YearMonth> {
    let t = OffsetDateTime::now_utc().to_offset(JST);
    YearMonth::new(u16::try_from(t.year()).ok()?, u8::from(t.month()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_range_is_jst() {
        let (a, b) = month_range(YearMonth::parse("202504").unwrap());
        // 2025-04-01T00:00+09:00 = 2025-03-31T15:00Z.
        assert_eq!(a, 1_743_433_200);
        assert_eq!(b - a, 30 * 86_400);
        let (_, dec_end) = month_range(YearMonth::parse("202412").unwrap());
        assert_eq!(dec_end, month_range(YearMonth::parse("202501").unwrap()).0);
    }

    #[test]
    fn escaping_and_labels() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(kind_label("UPJSK"), "サービス利用票（第６表）実績");
        assert_eq!(kind_label("ZZZ"), "ZZZ");
    }

    #[test]
    fn empty_month_renders_a_complete_page() {
        let e = Evidence {
            office_name: "居宅介護支援<テスト>",
            office_id: "3100000001_43".into(),
            device_name: "PC",
            device_fingerprint: "AAAA-BBBB",
            hub_url: "http://127.0.0.1:8740",
            month: YearMonth::parse("202504").unwrap(),
            generated_at: 1_743_433_200,
            sent: vec![],
            received: vec![],
            names: EvidenceNames(vec![]),
            pinned: vec![],
            hub_note: None,
        };
        let html = render(&e);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("size: A4"));
        assert!(html.contains("2025年4月分"));
        assert!(html.contains("居宅介護支援&lt;テスト&gt;"));
        assert!(!html.contains("<テスト>"));
        assert!(html.contains("この月に送信した送信単位はありません"));
        assert!(html.trim_end().ends_with("</html>"));
        // Self-contained: no external resources.
        assert!(
            !html.contains("http-equiv") && !html.contains("<link") && !html.contains("<script")
        );
    }
}
