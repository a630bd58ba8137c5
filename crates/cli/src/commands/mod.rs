//! Subcommands: one module each, `Args` + `run`.

use std::process::ExitCode;

use clap::Subcommand;

pub mod check;
pub mod convert;
pub mod layouts;
pub mod sample;
pub mod show;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 標準ファイルを検査する（ファイルまたはフォルダ）。エラーがなければ終了コード 0、あれば 1
    Check(check::Args),
    /// 標準ファイルを JSON 形式に、JSON 形式を標準ファイル（正規形の CSV）に変換する
    Convert(convert::Args),
    /// 標準仕様のレイアウト（項目の一覧）を表示する
    Layouts(layouts::Args),
    /// 架空の事業所・利用者で、検査に通る標準ファイル（1か月分の送信単位）を書き出す
    Sample(sample::Args),
    /// 標準ファイルの中身を要約して表示する。--html で帳票の形の印刷用ページ（A4 横）を書く
    Show(show::Args),
    /// ハブ（中継サーバー）を動かす・管理する（招待コードの発行、監査ログの検証など）
    Hub(tsunagu_hub::cli::HubArgs),
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check(a) => check::run(a),
        Command::Convert(a) => convert::run(a),
        Command::Layouts(a) => layouts::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Show(a) => show::run(a),
        Command::Hub(a) => tsunagu_hub::cli::run(a).map(|()| ExitCode::SUCCESS),
    }
}
