//! `tsunagu layouts`: every layout of the standard as a table (the keys of the JSON form).

use std::fmt::Write as _;
use std::process::ExitCode;

use tsunagu_standard::FileKind;
use tsunagu_standard::layout::{self, Format, LayoutVersion, Requirement};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 表示するファイルの種類（接頭辞、例 UPPLAN）。省略時はすべて
    kinds: Vec<String>,
    /// 第3版（CSVバージョン 202208）のレイアウトを表示する
    #[arg(long)]
    v3: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let version = if args.v3 {
        LayoutVersion::V3
    } else {
        LayoutVersion::V4
    };
    let mut kinds = Vec::new();
    for k in &args.kinds {
        match FileKind::from_prefix(k) {
            Some(kind) => kinds.push(kind),
            None => anyhow::bail!("「{k}」は標準ファイルの種類ではありません（例 UPPLAN）"),
        }
    }
    if kinds.is_empty() {
        kinds = FileKind::ALL.to_vec();
    }
    print!("{}", markdown(&kinds, version));
    Ok(ExitCode::SUCCESS)
}

fn format_label(f: Format) -> String {
    match f {
        Format::CsvVersion => "YYYYMM".into(),
        Format::InsurerNumber => "数字6桁".into(),
        Format::InsuredNumber => "数字10桁 / H+9桁".into(),
        Format::OfficeNumber => "数字10桁".into(),
        Format::OfficeNumberOrAllNines => "数字10桁（全合計 9999999999）".into(),
        Format::AllNines => "9999999999 固定".into(),
        Format::Date => "YYYYMMDD".into(),
        Format::DateOrZeros => "YYYYMMDD / 00000000".into(),
        Format::YearMonth => "YYYYMM".into(),
        Format::YearMonthOrZeros => "YYYYMM / 000000".into(),
        Format::Time => "HHMM".into(),
        Format::TimeOrNone => "HHMM / 9999".into(),
        Format::PostalCode => "XXX-XXXX".into(),
        Format::Phone => "電話番号".into(),
        Format::Integer => "整数（負も可）".into(),
        Format::Count => "数字".into(),
        Format::Decimal2 => "99.99".into(),
        Format::SequenceNo => "1～99".into(),
        Format::FreeText => "フリーテキスト".into(),
        Format::Code(list) => {
            let codes: Vec<String> = list
                .entries
                .iter()
                .map(|(c, m)| format!("{c}:{m}"))
                .collect();
            codes.join(" ")
        }
        Format::ServiceCode => "サービスコード6桁".into(),
        Format::AnnexServiceCode => "サービスコード / 種類+AAAA・EEEE・ZZZZ / 999999".into(),
        Format::ServiceKind => "サービス種類コード2桁".into(),
        Format::EquipmentCode => "00001-000010".into(),
        Format::DayFlags => "0/1 ×31".into(),
        Format::Unused => "使用しない".into(),
        Format::Plain => "（書式指定なし）".into(),
    }
}

fn markdown(kinds: &[FileKind], version: LayoutVersion) -> String {
    let mut out = String::new();
    for kind in kinds {
        let Some(l) = layout::layout(*kind, version) else {
            continue;
        };
        let _ = writeln!(
            out,
            "## {} `{}` ({} 項目)\n",
            kind.japanese_name(),
            kind.prefix(),
            l.fields.len()
        );
        let _ = writeln!(
            out,
            "| No | key | 項目名 | 長 | 必須 | 書式 |\n|---|---|---|---|---|---|"
        );
        for f in l.fields {
            let len = match (f.max_len, f.len_certain) {
                (None, _) => "―".to_string(),
                (Some(n), true) => n.to_string(),
                (Some(n), false) => format!("{n}?"),
            };
            let req = match f.requirement {
                Requirement::Required => "○",
                Requirement::Estimated => "○?",
                Requirement::Optional => "",
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} |",
                f.no,
                f.key,
                f.name,
                len,
                req,
                format_label(f.format)
            );
        }
        out.push('\n');
    }
    out
}
