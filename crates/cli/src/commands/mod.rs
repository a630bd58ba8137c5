//! Subcommands: one module each, `Args` + `run`.

use std::process::ExitCode;

use clap::Subcommand;

pub mod check;
pub mod convert;
pub mod demo;
pub mod desk;
pub mod insight;
pub mod layouts;
pub mod office;
pub mod partners;
pub mod receive;
pub mod sample;
pub mod send;
pub mod show;
pub mod status;

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
    /// この PC を事業所の端末として登録する（office init）・登録内容の表示・端末の失効
    Office(office::Args),
    /// 標準ファイルを検査し、暗号化・署名して取引先の事業所へ送る（再実行しても二重に送りません）
    Send(send::Args),
    /// 届いた送信単位を受信・検証・検査して取込フォルダに書き込み、受領通知を返す
    Receive(receive::Args),
    /// 送信・受信の状況と受領通知を表示する。--evidence YYYYMM --html OUT で運営指導用の記録を書く
    Status(status::Args),
    /// 取引先の事業所（Tsunagu 利用の有無、鍵の指紋）を表示する。trust で新しい鍵を信頼する
    Partners(partners::Args),
    /// 事業所の画面（受信箱・送信済・帳票・取引先・証跡・設定）を開き、ハブと介護ソフトのフォルダを自動で同期する
    Desk(desk::Args),
    /// デモ: ハブと2つの事業所（居宅介護支援・訪問介護）を架空のデータで動かし、両方の画面の URL を表示する
    Demo(demo::Args),
    /// 市町村向けの分析: 事業所の圏域割当、導入状況、働きかけ先、アンケート、タイムスタディ、削減効果
    Insight(insight::Args),
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check(a) => check::run(a),
        Command::Convert(a) => convert::run(a),
        Command::Layouts(a) => layouts::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Show(a) => show::run(a),
        Command::Hub(a) => tsunagu_hub::cli::run_exit(a).map(ExitCode::from),
        Command::Office(a) => office::run(a),
        Command::Send(a) => send::run(a),
        Command::Receive(a) => receive::run(a),
        Command::Status(a) => status::run(a),
        Command::Partners(a) => partners::run(a),
        Command::Insight(a) => insight::run(a),
        Command::Desk(a) => desk::run(a),
        Command::Demo(a) => demo::run(a),
    }
}
