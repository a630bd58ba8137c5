//! `tsunagu hub …`: the clap arguments and what each subcommand does. The binary (crates/cli)
//! only flattens [`HubArgs`] and calls [`run`].

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use tsunagu_standard::{OfficeId, OfficeNumber, ServiceKind};

use crate::config::HubConfig;
use crate::startup::Hub;
use crate::{now_unix, ops, to_datetime};

// Doc comments on clap items are the `--help` text people read, so they are Japanese.

/// `tsunagu hub [OPTIONS] [COMMAND]` — with no command, serves.
#[derive(Debug, Clone, clap::Args)]
pub struct HubArgs {
    /// 設定ファイル（TOML）
    #[arg(long, global = true, env = "TSUNAGU_HUB_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// データベース: PostgreSQL なら postgres://…、SQLite ならファイルのパス（既定 ./tsunagu-data/hub.sqlite）
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// 組み込みの SQLite データベースを置くディレクトリ
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// 待ち受けアドレス（サーバーとして動かすときのみ）。例: 0.0.0.0:8740
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    #[command(subcommand)]
    pub command: Option<HubCommand>,
}

/// Subcommands of `tsunagu hub`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum HubCommand {
    /// ハブの API を提供する（コマンドを省略したときの動作）
    Serve {
        /// 待ち受けアドレス。例: 0.0.0.0:8740
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// 事業所の招待コード（1回限り）を発行する。新しい事業所は --name と --municipality を付けると登録もする
    Invite {
        /// 事業所番号（10桁）
        #[arg(long)]
        office: String,
        /// サービス種類コード（2文字。例: 43）
        #[arg(long)]
        kind: String,
        /// 事業所名（新しい事業所のときに必要）
        #[arg(long)]
        name: Option<String>,
        /// 市区町村コード（6桁。新しい事業所のときに必要）
        #[arg(long)]
        municipality: Option<String>,
        /// 招待コードの有効日数（既定は設定の invite_ttl_days、14日）
        #[arg(long)]
        ttl_days: Option<u32>,
    },
    /// 事業所と端末の一覧を表示する
    Offices,
    /// 監査ログ
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// 暗号文の保存期間
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// 市区町村のアカウント（ダッシュボードのログイン）
    Municipality {
        #[command(subcommand)]
        command: MunicipalityCommand,
    },
    /// ハブの運用者のアカウント（市区町村のアカウントを画面で作れる）
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// すべての設定項目と既定値を書いた設定ファイルの例を表示する
    DefaultConfig,
    /// データベースをバックアップする（ハブを止めずに実行できる）
    ///
    /// SQLite は一時ファイルに写し、検証（整合性、監査ログの連鎖、暗号文のハッシュ値、行数）してから FILE に置く。
    /// PostgreSQL は pg_dump を使う（無ければ実行するコマンドを表示する）。
    /// 終了コード: 0 完了、2 エラー、3 FILE がすでにある、4 検証に失敗、5 pg_dump が無い
    Backup {
        /// 書き出すファイル（すでにあるファイルには上書きしない）。例: /backup/hub-2026-11-30.sqlite
        #[arg(value_name = "FILE")]
        out: PathBuf,
    },
    /// バックアップからデータベースを戻す（ハブを止めてから）
    ///
    /// 先に検証し、通ったものだけを置く。ハブが動いている間は戻さない。
    /// PostgreSQL は空の新しいデータベースへ pg_restore する。
    /// 終了コード: 0 完了、2 エラー、3 ハブが動いている・上書きになる、4 検証に失敗、5 pg_restore が無い
    Restore {
        /// バックアップのファイル（tsunagu hub backup で書いたもの）
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// SQLite: すでにあるデータベースを置き換える（元のデータベースは「ファイル名.before-restore-日時」として残す）
        #[arg(long)]
        overwrite: bool,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum MunicipalityCommand {
    /// 市区町村のアカウントと最初の担当者を作る。パスワードは入力を求める（--password-env で環境変数から）
    Add {
        /// 市区町村コード（6桁）。広域連合などは複数指定できる
        #[arg(long = "code", required = true)]
        codes: Vec<String>,
        /// 市区町村名（例: 米子市）
        #[arg(long)]
        name: String,
        /// 担当者のログイン名
        #[arg(long)]
        user: String,
        /// パスワードを読む環境変数の名前（スクリプト用）
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// すでにある市区町村のアカウントに利用者（2人目以降の担当者）を追加する。パスワードは入力を求める（--password-env で環境変数から）
    AddUser {
        /// その市区町村のアカウントの市区町村コード（6桁、どれか1つ）
        #[arg(long)]
        code: String,
        /// 追加する担当者のログイン名
        #[arg(long)]
        user: String,
        /// パスワードを読む環境変数の名前（スクリプト用）
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// 市区町村のアカウントの一覧
    List,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum OperatorCommand {
    /// 運用者のアカウントを作る。パスワードは入力を求める（--password-env で環境変数から）
    Add {
        /// ログイン名
        #[arg(long)]
        user: String,
        /// パスワードを読む環境変数の名前（スクリプト用）
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
}

/// The password of a new web user: from the named environment variable, or asked twice on the
/// terminal (never echoed, never a command-line argument).
fn read_password(env: Option<&str>) -> anyhow::Result<String> {
    if let Some(var) = env {
        return std::env::var(var)
            .with_context(|| format!("E-HUB-CLI-001 環境変数 {var} にパスワードがありません"));
    }
    let first = rpassword::prompt_password("パスワード: ")
        .context("E-HUB-CLI-002 パスワードを入力できません（端末がないときは --password-env を使ってください）")?;
    let again = rpassword::prompt_password("もう一度: ")
        .context("E-HUB-CLI-002 パスワードを入力できません")?;
    if first != again {
        bail!("E-HUB-CLI-003 2回入力したパスワードが違います");
    }
    Ok(first)
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum AuditCommand {
    /// ハッシュの連鎖をたどって検証する。壊れた行があれば、その行を示して異常終了する
    Verify,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum RetentionCommand {
    /// 保存期間を過ぎた暗号文を今すぐ削除する
    Run,
}

impl HubArgs {
    /// The config in effect: file, then environment, then these flags.
    pub fn resolve_config(&self) -> anyhow::Result<HubConfig> {
        let mut config = HubConfig::load(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &self.database {
            config.database_url = Some(url.clone());
        }
        let listen = match &self.command {
            Some(HubCommand::Serve { listen }) => listen.or(self.listen),
            _ => self.listen,
        };
        if let Some(addr) = listen {
            config.listen = addr;
        }
        Ok(config)
    }
}

/// Runs `tsunagu hub …` and answers the process exit code: like [`run`], except that a refused
/// or failed backup or restore prints its message and answers its documented code (see
/// [`crate::backup::BackupError::exit_code`]) instead of an error.
pub fn run_exit(args: HubArgs) -> anyhow::Result<u8> {
    match run(args) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<crate::backup::BackupError>() {
            Some(b) => {
                eprintln!("エラー: {b}");
                Ok(b.exit_code())
            }
            None => Err(e),
        },
    }
}

/// Runs `tsunagu hub …` on its own tokio runtime.
pub fn run(args: HubArgs) -> anyhow::Result<()> {
    let config = args.resolve_config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("E-HUB-START-005 非同期処理の実行環境（tokio）を起動できません")?;
    runtime.block_on(run_async(
        args.command.unwrap_or(HubCommand::Serve { listen: None }),
        config,
    ))
}

fn init_logging() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Logs go to stderr (stdout carries the "started" line scripts read); colours only on a
    // terminal, so log files and journald get no escape codes.
    // The binary may already have installed a subscriber; that one wins.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn format_time(unix: i64) -> String {
    let t = to_datetime(unix);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| unix.to_string())
}

async fn run_async(command: HubCommand, config: HubConfig) -> anyhow::Result<()> {
    match command {
        HubCommand::Serve { .. } => {
            init_logging();
            let hub = Hub::build(config).await?;
            // A stable line on stdout: people read it, and scripts and tests that start the hub
            // on port 0 learn the address from it. https:// when TLS is on.
            println!("ハブを起動しました: {}", hub.base_url());
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            hub.run_until_stopped().await?;
        }
        HubCommand::DefaultConfig => print!("{}", HubConfig::example_toml()),
        HubCommand::Invite {
            office,
            kind,
            name,
            municipality,
            ttl_days,
        } => {
            let office_id =
                OfficeId::new(OfficeNumber::parse(&office)?, ServiceKind::parse(&kind)?);
            let store = open_store(&config).await?;
            let ttl = ttl_days.unwrap_or(config.invite_ttl_days);
            let invite = ops::issue_invite(
                store.as_ref(),
                office_id,
                name.as_deref(),
                municipality.as_deref(),
                ttl,
                now_unix(),
            )
            .await?;
            if invite.office_created {
                eprintln!(
                    "事業所を登録しました: {} {}（市区町村コード {}）",
                    office_id, invite.office.name, invite.office.municipality_code
                );
            }
            eprintln!(
                "事業所 {} {} の招待コード（1回限り、有効期限 {}）:",
                office_id,
                invite.office.name,
                format_time(invite.expires_at)
            );
            println!("{}", invite.code);
        }
        HubCommand::Offices => {
            let store = open_store(&config).await?;
            let listings = ops::list_offices(store.as_ref()).await?;
            if listings.is_empty() {
                println!("登録された事業所はありません");
            }
            for l in listings {
                println!(
                    "{}\t{}\t市区町村コード {}",
                    l.office.office_id, l.office.name, l.office.municipality_code
                );
                for d in l.devices {
                    let state = match d.revoked_at {
                        Some(at) => format!("失効 {}", format_time(at)),
                        None => "有効".to_string(),
                    };
                    println!(
                        "  {}\t{}\t{}\t{}",
                        d.device_id, d.name, d.fingerprint, state
                    );
                }
            }
        }
        HubCommand::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = open_store(&config).await?;
            let v = ops::verify_audit(store.as_ref()).await?;
            match v.first_broken {
                None => println!(
                    "監査ログ: {} 件を検証しました。連鎖は正常です（先頭ハッシュ {}）",
                    v.rows, v.head
                ),
                Some(b) => bail!(
                    "E-HUB-AUDIT-001 監査ログの連鎖が行 {} で壊れています: {}",
                    b.seq,
                    b.reason
                ),
            }
        }
        HubCommand::Municipality {
            command:
                MunicipalityCommand::Add {
                    codes,
                    name,
                    user,
                    password_env,
                },
        } => {
            let password = read_password(password_env.as_deref())?;
            let store = open_store(&config).await?;
            let (muni, user) = ops::create_municipality(
                store.as_ref(),
                &name,
                &codes,
                &user,
                &password,
                now_unix(),
            )
            .await?;
            println!(
                "市区町村のアカウントを作りました: {}（市区町村コード {}）、ログイン名 {}",
                muni.name,
                muni.codes.join(", "),
                user.login
            );
        }
        HubCommand::Municipality {
            command:
                MunicipalityCommand::AddUser {
                    code,
                    user,
                    password_env,
                },
        } => {
            let store = open_store(&config).await?;
            // Check the account before asking for a password nobody can use.
            let muni = ops::municipality_by_code(store.as_ref(), &code).await?;
            let password = read_password(password_env.as_deref())?;
            let (muni, user) = ops::add_municipality_user(
                store.as_ref(),
                &muni.muni_id,
                &user,
                &password,
                now_unix(),
            )
            .await?;
            println!(
                "市区町村のアカウント {} に利用者を追加しました: ログイン名 {}",
                muni.name, user.login
            );
        }
        HubCommand::Municipality {
            command: MunicipalityCommand::List,
        } => {
            let store = open_store(&config).await?;
            let munis = store.municipalities().await?;
            let users = store.web_users().await?;
            if munis.is_empty() {
                println!("市区町村のアカウントはありません");
            }
            for m in munis {
                let logins: Vec<&str> = users
                    .iter()
                    .filter(|u| u.muni_id.as_deref() == Some(m.muni_id.as_str()))
                    .map(|u| u.login.as_str())
                    .collect();
                println!(
                    "{}\t市区町村コード {}\tログイン名 {}",
                    m.name,
                    m.codes.join(", "),
                    logins.join(", ")
                );
            }
        }
        HubCommand::Operator {
            command: OperatorCommand::Add { user, password_env },
        } => {
            let password = read_password(password_env.as_deref())?;
            let store = open_store(&config).await?;
            let user = ops::create_web_user(
                store.as_ref(),
                &user,
                &password,
                crate::store::WebRole::Operator,
                None,
                now_unix(),
            )
            .await?;
            println!("運用者のアカウントを作りました: {}", user.login);
        }
        HubCommand::Backup { out } => backup(&config, &out).await?,
        HubCommand::Restore { file, overwrite } => restore(&config, &file, overwrite).await?,
        HubCommand::Retention {
            command: RetentionCommand::Run,
        } => {
            let store = open_store(&config).await?;
            let report =
                ops::run_retention(store.as_ref(), config.retention.policy(), now_unix()).await?;
            println!(
                "保存期間の処理: 最終受領後 {} 件、未受領のまま期限切れ {} 件の暗号文を削除しました",
                report.deleted_after_final, report.deleted_unacknowledged
            );
        }
    }
    Ok(())
}

fn print_verified(v: &crate::backup::Verified) {
    println!(
        "検証: 監査ログ {} 件の連鎖は正常です（先頭ハッシュ {}）。暗号文 {} 件のハッシュ値も一致しました",
        v.audit.rows, v.audit.head, v.blobs_checked
    );
    println!("行数: {}", v.table_summary());
}

/// `tsunagu hub backup FILE`.
async fn backup(config: &HubConfig, out: &std::path::Path) -> anyhow::Result<()> {
    use crate::backup::{PgTools, Target};
    match Target::from_url(&config.effective_database_url()) {
        Target::Sqlite(db) => {
            let v = crate::backup::backup_sqlite(&db, out).await?;
            println!(
                "バックアップを書き出しました: {}（{} バイト、integrity_check ok）",
                out.display(),
                v.bytes
            );
            print_verified(&v);
        }
        Target::Postgres(url) => {
            let b = crate::backup::backup_postgres(&url, out, &PgTools::from_path()).await?;
            println!(
                "バックアップを書き出しました: {}（pg_dump の custom 形式、{} バイト、表 {} 個、pg_restore --list で確認済み）",
                out.display(),
                b.bytes,
                b.tables.len()
            );
            println!("監査ログの連鎖は restore のときに検証します");
        }
    }
    println!("これは実行した時点の内容です。これより後に受け付けた送信と受領通知は含まれません");
    Ok(())
}

/// `tsunagu hub restore FILE [--overwrite]`.
async fn restore(
    config: &HubConfig,
    file: &std::path::Path,
    overwrite: bool,
) -> anyhow::Result<()> {
    use crate::backup::{PgTools, Target};
    match Target::from_url(&config.effective_database_url()) {
        Target::Sqlite(db) => {
            let r = crate::backup::restore_sqlite(file, &db, overwrite).await?;
            println!("復元しました: {} ← {}", db.display(), file.display());
            print_verified(&r.verified);
            if let Some(prev) = &r.previous {
                println!("置き換える前のデータベース: {}", prev.display());
            }
        }
        Target::Postgres(url) => {
            let v = crate::backup::restore_postgres(file, &url, &PgTools::from_path()).await?;
            println!(
                "復元しました: {} ← {}",
                crate::store::redact_url(&url),
                file.display()
            );
            print_verified(&v);
        }
    }
    println!(
        "バックアップより後に受け付けた送信と受領通知はありません。docs/operations.md の「バックアップと復元」の手順で事業所に知らせてください"
    );
    Ok(())
}

async fn open_store(config: &HubConfig) -> anyhow::Result<std::sync::Arc<dyn crate::store::Store>> {
    let url = config.effective_database_url();
    crate::store::open(&url, 2).await.with_context(|| {
        format!(
            "E-HUB-START-002 データベースを開けません（{}）",
            crate::store::redact_url(&url)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        hub: HubArgs,
    }

    #[test]
    fn parses_serve_default_and_subcommands() {
        let c = Cli::try_parse_from([
            "hub",
            "--database",
            "postgres://x/y",
            "--listen",
            "127.0.0.1:0",
        ])
        .unwrap();
        assert!(c.hub.command.is_none());
        assert_eq!(c.hub.database.as_deref(), Some("postgres://x/y"));
        let c = Cli::try_parse_from([
            "hub",
            "invite",
            "--office",
            "0300000100",
            "--kind",
            "43",
            "--name",
            "テスト",
            "--municipality",
            "131016",
        ])
        .unwrap();
        assert!(matches!(c.hub.command, Some(HubCommand::Invite { .. })));
        let c = Cli::try_parse_from(["hub", "audit", "verify", "--database", "x.sqlite"]).unwrap();
        assert!(matches!(
            c.hub.command,
            Some(HubCommand::Audit {
                command: AuditCommand::Verify
            })
        ));
        assert_eq!(c.hub.database.as_deref(), Some("x.sqlite"));
        assert!(Cli::try_parse_from(["hub", "retention", "run"]).is_ok());
        let c = Cli::try_parse_from([
            "hub",
            "municipality",
            "add",
            "--code",
            "312029",
            "--code",
            "312037",
            "--name",
            "米子市",
            "--user",
            "yonago",
            "--password-env",
            "PW",
        ])
        .unwrap();
        assert!(matches!(
            c.hub.command,
            Some(HubCommand::Municipality {
                command: MunicipalityCommand::Add { ref codes, .. }
            }) if codes.len() == 2
        ));
    }

    #[test]
    fn parses_backup_and_restore() {
        let c = Cli::try_parse_from(["hub", "backup", "/b/hub.sqlite", "--database", "x.sqlite"])
            .unwrap();
        assert!(matches!(
            c.hub.command,
            Some(HubCommand::Backup { ref out }) if out == std::path::Path::new("/b/hub.sqlite")
        ));
        let c = Cli::try_parse_from(["hub", "restore", "/b/hub.sqlite", "--overwrite"]).unwrap();
        assert!(matches!(
            c.hub.command,
            Some(HubCommand::Restore {
                overwrite: true,
                ..
            })
        ));
        // The file is required.
        assert!(Cli::try_parse_from(["hub", "backup"]).is_err());
        assert!(Cli::try_parse_from(["hub", "restore"]).is_err());
    }
}
