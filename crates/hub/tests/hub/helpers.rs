//! Test kit: a real hub on port 0 over SQLite (temp dir) or PostgreSQL (a fresh database per
//! test, dropped at the end), offices onboarded through real invites, sealed units.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use time::OffsetDateTime;
use tsunagu_hub::HubConfig;
use tsunagu_hub::ops;
use tsunagu_hub::startup::Hub;
use tsunagu_hub::store::{self, Store};
use tsunagu_protocol::{RegisterDeviceRequest, RegisterDeviceResponse, routes};
use tsunagu_seal::{
    DeviceSecretKeys, Envelope, Receipt, ReceiptStatus, SignedReceipt, UnitHeader, UnitId,
};
use tsunagu_standard::OfficeId;

pub fn office(s: &str) -> OfficeId {
    OfficeId::parse(s).unwrap()
}

/// Where a test's database lives; dropping it removes the database.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = dir
            .path()
            .join("data")
            .join("hub.sqlite")
            .to_string_lossy()
            .into_owned();
        TestDb::Sqlite { _dir: dir, url }
    }

    /// A fresh PostgreSQL database, or None (with a notice) when PostgreSQL is not reachable.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("TSUNAGU_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            sqlx::PgConnection::connect(&admin_url),
        )
        .await;
        let mut conn = match conn {
            Ok(Ok(c)) => c,
            _ => {
                println!(
                    "notice: PostgreSQL not reachable at {}; skipping PostgreSQL store tests",
                    store::redact_url(&admin_url)
                );
                return None;
            }
        };
        let name = format!("tsunagu_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.ok();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Some(TestDb::Postgres {
            admin_url,
            name,
            url,
        })
    }

    /// An existing SQLite file (not removed afterwards; the caller owns its directory).
    pub fn sqlite_at(path: &str) -> TestDb {
        TestDb::Sqlite {
            _dir: tempfile::tempdir().unwrap(),
            url: path.to_string(),
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// Runs a statement straight on the database, behind the hub's back (tampering tests).
    pub async fn execute_raw(&self, sql: &str) -> u64 {
        match self {
            TestDb::Sqlite { url, .. } => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{url}"))
                    .await
                    .unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .unwrap()
                    .rows_affected()
            }
            TestDb::Postgres { url, .. } => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .unwrap()
                    .rows_affected()
            }
        }
    }

    /// Drops the PostgreSQL database (call at the end of a test; Drop cannot await).
    pub async fn cleanup(self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }
}

/// A hub running on 127.0.0.1:0.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    #[allow(dead_code)] // kept for tests that read the effective limits
    pub config: HubConfig,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    pub async fn spawn_with(db: &TestDb, tweak: impl FnOnce(&mut HubConfig)) -> TestApp {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self::spawn_with_client(db, tweak, http).await
    }

    /// Like [`TestApp::spawn_with`] with a given client (e.g. one trusting a test certificate).
    pub async fn spawn_with_client(
        db: &TestDb,
        tweak: impl FnOnce(&mut HubConfig),
        http: reqwest::Client,
    ) -> TestApp {
        let mut config = HubConfig {
            database_url: Some(db.url().to_string()),
            db_pool_size: 4,
            ..HubConfig::default()
        };
        // Tests run retention themselves, with a chosen clock.
        config.retention.interval_minutes = 0;
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hub = Hub::build_with_listener(config.clone(), listener)
            .await
            .unwrap();
        let base = hub.base_url();
        let store = hub.store();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(hub.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            base,
            http,
            store,
            config,
            _shutdown: tx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Registers the office (if new) and one device through a real invite.
    pub async fn onboard(&self, office_id: &str, device_name: &str) -> Desk {
        let id = office(office_id);
        let invite = ops::issue_invite(
            self.store.as_ref(),
            id,
            Some(&format!("テスト事業所 {office_id}")),
            Some("312029"),
            14,
            tsunagu_hub::now_unix(),
        )
        .await
        .unwrap();
        self.register(id, &invite.code, device_name).await
    }

    /// Registers one device of `id` with an invite code, as a desk's はじめての設定 does.
    pub async fn register(&self, id: OfficeId, invite_code: &str, device_name: &str) -> Desk {
        let keys =
            DeviceSecretKeys::generate(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap())
                .unwrap();
        let req = RegisterDeviceRequest {
            invite_code: invite_code.to_string(),
            device_name: device_name.to_string(),
            keys: keys.public().clone(),
        };
        let resp = self
            .http
            .post(self.url(routes::REGISTER))
            .json(&req)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            201,
            "register: {}",
            resp.text().await.unwrap()
        );
        let reg: RegisterDeviceResponse = resp.json().await.unwrap();
        assert_eq!(reg.office.office_id, id);
        Desk {
            office: id,
            device_id: reg.device_id,
            token: reg.token,
            keys,
            invite_code: invite_code.to_string(),
        }
    }
}

/// One registered device, as a desk holds it.
pub struct Desk {
    pub office: OfficeId,
    pub device_id: String,
    pub token: String,
    pub keys: DeviceSecretKeys,
    pub invite_code: String,
}

impl Desk {
    /// Seals a one-file unit from this desk to `to`.
    pub fn seal_to(&self, to: &Desk, unit_id: &str, content: &[u8]) -> Envelope {
        let unit = UnitHeader {
            sender: self.office,
            recipient: to.office,
            unit_id: UnitId::parse(unit_id).unwrap(),
            created_at: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
            kinds: vec!["UPPLAN".to_string()],
            service_month: None,
        };
        let name = format!(
            "UPPLAN_{}_{}_{}.CSV",
            self.office.number, to.office.number, unit_id
        );
        let recipients = [to.keys.public().clone(), self.keys.public().clone()];
        tsunagu_seal::seal(&[(name, content.to_vec())], &unit, &self.keys, &recipients).unwrap()
    }

    /// A receipt for `envelope`, signed by this (recipient) desk.
    pub fn receipt(&self, envelope: &Envelope, status: ReceiptStatus) -> SignedReceipt {
        let r = Receipt::for_envelope(
            &envelope.routing,
            status,
            OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
            self.keys.public(),
        );
        SignedReceipt::sign(r, &self.keys).unwrap()
    }
}

/// HTTP calls a desk makes (the desk crate will have its own client; this is the bare protocol).
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub token: &'a str,
}

impl<'a> Api<'a> {
    pub fn new(app: &'a TestApp, desk: &'a Desk) -> Self {
        Api {
            app,
            token: &desk.token,
        }
    }

    pub async fn put_envelope(&self, env: &Envelope) -> reqwest::Response {
        self.put_raw(
            &tsunagu_protocol::encode_routing_header(&env.routing).unwrap(),
            env.ciphertext.clone(),
        )
        .await
    }

    pub async fn put_raw(&self, routing_header: &str, body: Vec<u8>) -> reqwest::Response {
        self.app
            .http
            .put(self.app.url(routes::ENVELOPES))
            .bearer_auth(self.token)
            .header("content-type", "application/octet-stream")
            .header(tsunagu_protocol::ROUTING_HEADER, routing_header)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.app
            .http
            .get(self.app.url(path))
            .bearer_auth(self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_receipt(
        &self,
        envelope_id: &str,
        receipt: &SignedReceipt,
    ) -> reqwest::Response {
        self.app
            .http
            .post(self.app.url(&routes::fill(routes::RECEIPTS, envelope_id)))
            .bearer_auth(self.token)
            .json(&tsunagu_protocol::PostReceiptRequest {
                receipt: receipt.clone(),
            })
            .send()
            .await
            .unwrap()
    }
}

/// Asserts status and error code of an error answer.
pub async fn assert_error(resp: reqwest::Response, status: u16, code: &str) {
    let got = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    assert_eq!(got, status, "body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(body["message_en"].as_str().is_some_and(|m| !m.is_empty()));
}
