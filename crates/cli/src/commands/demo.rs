//! `tsunagu demo`: the whole flow on a fresh machine in one command. A hub on the embedded
//! SQLite default, two offices (居宅介護支援事業所 kind 43 and 訪問介護 kind 11) onboarded with
//! invites and keys made here, a synthetic month for exactly those two offices (予定 from the
//! 居宅 to the 訪問介護, 実績 back), and both desks' UIs — until Ctrl-C.
//!
//! Demo only: the key files use a published passphrase and a low scrypt work factor.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use tsunagu_desk::settings::DeskSettings;
use tsunagu_desk::sync::{Shared, Timing};
use tsunagu_desk::{DataDir, Desk, InitOptions, NoProgress};
use tsunagu_seal::SecretString;
use tsunagu_standard::sample::{SampleSpec, generate};
use tsunagu_standard::{OfficeId, StandardFileName};

use crate::office_support::runtime;

/// Published on purpose: the demo's key files protect nothing real.
pub const DEMO_PASSPHRASE: &str = "tsunagu-demo-only";
/// scrypt work factor of the demo's key files (the default is much higher).
const DEMO_WORK_FACTOR: u8 = 10;
const MARKER: &str = ".tsunagu-demo";
const MUNICIPALITY: &str = "312029";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// デモのデータを置くフォルダ（起動のたびに作り直します）
    #[arg(long, default_value = "./tsunagu-demo", value_name = "DIR")]
    dir: PathBuf,
    /// 利用者の数（居宅介護支援事業所あたり）
    #[arg(long, default_value_t = 6)]
    users: usize,
}

fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if dir.join(MARKER).exists() {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("前回のデモのフォルダ {} を消せません", dir.display()))?;
        } else if !empty {
            bail!(
                "E-DEMO-001 フォルダ {} はデモのフォルダではありません（空でもありません）。--dir で別のフォルダを指定してください",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{} を作れません", dir.display()))?;
    std::fs::write(dir.join(MARKER), "tsunagu demo\n")?;
    Ok(())
}

struct Office {
    id: OfficeId,
    name: &'static str,
    folder: &'static str,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    super::desk::init_logging("warn");
    fresh_dir(&args.dir)?;
    let month = tsunagu_desk::evidence::current_month().context("今月を決められません")?;
    let sample = generate(&SampleSpec {
        offices: 2,
        users_per_office: args.users.max(1),
        month,
        seed: 2025,
        force_v3: false,
    })?;
    // The sample's two offices, read from its file names.
    let mut ids = BTreeSet::new();
    for f in &sample.files {
        let key = StandardFileName::parse(&f.name)?.unit_key();
        if let (Some(sk), Some(rk)) = (key.sender_kind, key.recipient_kind) {
            ids.insert(OfficeId::new(key.sender, sk));
            ids.insert(OfficeId::new(key.recipient, rk));
        }
    }
    let find = |kind: &str| ids.iter().find(|o| o.kind.as_str() == kind).copied();
    let (Some(care), Some(home)) = (find("43"), find("11")) else {
        bail!("E-DEMO-002 架空データに居宅介護支援事業所と訪問介護事業所がそろいませんでした");
    };
    let offices = [
        Office {
            id: care,
            name: "つなぐデモ居宅介護支援事業所",
            folder: "office-kyotaku",
        },
        Office {
            id: home,
            name: "つなぐデモ訪問介護ステーション",
            folder: "office-houmon",
        },
    ];
    let files = sample.into_pairs();
    let rt = runtime()?;
    rt.block_on(demo(args.dir, offices, files))?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(
    dir: PathBuf,
    offices: [Office; 2],
    files: Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    // 1. The hub, on SQLite under the demo folder.
    let config = tsunagu_hub::HubConfig {
        listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        data_dir: dir.join("hub"),
        ..Default::default()
    };
    let hub = tsunagu_hub::Hub::build(config).await?;
    let hub_url = format!("http://{}", hub.local_addr());
    let store = hub.store();
    let mut invites = Vec::new();
    for o in &offices {
        let invite = tsunagu_hub::ops::issue_invite(
            store.as_ref(),
            o.id,
            Some(o.name),
            Some(MUNICIPALITY),
            1,
            tsunagu_hub::now_unix(),
        )
        .await?;
        invites.push(invite.code);
    }
    tokio::spawn(hub.run_until(std::future::pending()));

    // 2. Both offices: keys made here, public keys registered with the invites.
    let passphrase = SecretString::from(DEMO_PASSPHRASE.to_string());
    let mut desks: Vec<(Desk, tsunagu_seal::DeviceSecretKeys)> = Vec::new();
    for (o, code) in offices.iter().zip(invites) {
        let (desk, _) = tsunagu_desk::init(
            DataDir::new(dir.join(o.folder)),
            InitOptions {
                hub_url: hub_url.clone(),
                invite_code: code,
                device_name: "デモ端末".into(),
                passphrase: passphrase.clone(),
                key_work_factor: Some(DEMO_WORK_FACTOR),
            },
        )
        .await?;
        let keys = desk.unlock(&passphrase)?;
        DeskSettings::default().create_folders(&desk.dir)?;
        desks.push((desk, keys));
    }

    // 3. A month's exchange through the real pipelines: the 居宅's units (計画書, 利用票 = 予定)
    //    to the 訪問介護 office, then its 実績 back.
    let by_sender = |id: &OfficeId| -> Vec<(String, Vec<u8>)> {
        files
            .iter()
            .filter(|(n, _)| {
                StandardFileName::parse(n).is_ok_and(|f| f.unit_key().sender == id.number)
            })
            .cloned()
            .collect()
    };
    for (from, to) in [(0usize, 1usize), (1, 0)] {
        let (desk, keys) = &desks[from];
        let plan = tsunagu_desk::send::plan(by_sender(&offices[from].id))?;
        let report = tsunagu_desk::send::send(desk, keys, plan, &NoProgress).await?;
        if !report.all_sent() {
            bail!("E-DEMO-003 デモの送信に失敗しました");
        }
        let (rdesk, rkeys) = &desks[to];
        let import = DeskSettings::default().import(&rdesk.dir);
        tsunagu_desk::receive::receive(rdesk, rkeys, &import, &NoProgress).await?;
    }
    for (desk, _) in &desks {
        tsunagu_desk::status::refresh(desk).await?;
    }

    // 4. Both desks: UI and folder sync.
    let mut started = Vec::new();
    for (desk, keys) in desks {
        let shared = Arc::new(Shared::new(
            desk,
            keys,
            DeskSettings::default(),
            Timing::from_env(),
        ));
        started.push(tsunagu_desk::web::start(shared, IpAddr::V4(Ipv4Addr::LOCALHOST), 0).await?);
    }
    println!("つなぐのデモを起動しました（データ: {}）", dir.display());
    println!("ハブ: {hub_url}");
    for (o, s) in offices.iter().zip(&started) {
        let settings = s.app.shared.settings();
        let d = &s.app.shared.desk.dir;
        println!("{}（{}）の画面: {}", o.name, o.id, s.login_url());
        println!("  送信フォルダ: {}", settings.outbox(d).display());
        println!("  取込フォルダ: {}", settings.import(d).display());
    }
    println!(
        "鍵ファイルのパスフレーズはデモ専用の「{DEMO_PASSPHRASE}」です。実際の事業所では使わないでください。"
    );
    println!("止めるには Ctrl-C を押してください。");
    let _ = std::io::stdout().flush();
    let mut servers = tokio::task::JoinSet::new();
    for s in started {
        servers.spawn(tsunagu_desk::web::serve(
            s.app,
            s.listener,
            std::future::pending(),
        ));
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        Some(r) = servers.join_next() => { r??; }
    }
    Ok(())
}
