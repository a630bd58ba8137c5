//! The dashboard's part of the `Store` (municipality accounts, users, sessions, scoping, files,
//! snapshots, survey links), run against SQLite always and PostgreSQL when reachable.

use std::sync::Arc;

use tsunagu_hub::store::{
    self, MuniFile, Municipality, NewDevice, NewEnvelope, Office, Store, StoreError,
    StoredSnapshot, WebRole, WebUser,
};

use crate::helpers::{TestDb, office};

const T0: i64 = 1_790_000_000;

fn muni(id: &str, name: &str, codes: &[&str]) -> Municipality {
    Municipality {
        muni_id: id.into(),
        name: name.into(),
        codes: codes.iter().map(|c| c.to_string()).collect(),
        created_at: T0,
    }
}

fn user(id: &str, login: &str, role: WebRole, muni: Option<&str>) -> WebUser {
    WebUser {
        user_id: id.into(),
        login: login.into(),
        password_hash: "$argon2id$dummy".into(),
        role,
        muni_id: muni.map(str::to_string),
        created_at: T0,
        disabled_at: None,
    }
}

async fn web_behaviour(store: Arc<dyn Store>) {
    // Accounts: a code belongs to one account only.
    store
        .create_municipality(&muni("muni_a", "米子市", &["312029"]))
        .await
        .unwrap();
    store
        .create_municipality(&muni("muni_b", "境港市", &["312045", "312053"]))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_municipality(&muni("muni_c", "重複", &["312029"]))
            .await,
        Err(StoreError::AlreadyExists)
    ));
    // The failed account left nothing behind.
    assert!(store.municipality("muni_c").await.unwrap().is_none());
    assert_eq!(
        store.municipality("muni_b").await.unwrap().unwrap().codes,
        vec!["312045", "312053"]
    );
    assert_eq!(store.municipalities().await.unwrap().len(), 2);

    // Users and sessions.
    let ua = user("usr_a", "yonago", WebRole::Municipality, Some("muni_a"));
    store.create_web_user(&ua).await.unwrap();
    store
        .create_web_user(&user("usr_op", "operator", WebRole::Operator, None))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_web_user(&user("usr_x", "yonago", WebRole::Operator, None))
            .await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.web_user_by_login("yonago").await.unwrap().unwrap(),
        ua
    );
    assert_eq!(store.web_users().await.unwrap().len(), 2);
    assert_eq!(
        store.web_users_of("muni_a").await.unwrap(),
        std::slice::from_ref(&ua)
    );
    store
        .create_session("sess-hash", "usr_a", "csrf-1", T0, T0 + 100)
        .await
        .unwrap();
    let s = store.session("sess-hash", T0 + 1).await.unwrap().unwrap();
    assert_eq!(
        (s.user.user_id.as_str(), s.csrf.as_str()),
        ("usr_a", "csrf-1")
    );
    assert!(
        store
            .session("sess-hash", T0 + 100)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.session("other", T0 + 1).await.unwrap().is_none());
    store.delete_session("sess-hash").await.unwrap();
    assert!(store.session("sess-hash", T0 + 1).await.unwrap().is_none());
    // The users of one account: a second one of muni_a, none of muni_b, never the operator.
    store
        .create_web_user(&user(
            "usr_a2",
            "yonago-2",
            WebRole::Municipality,
            Some("muni_a"),
        ))
        .await
        .unwrap();
    let of_a: Vec<String> = store
        .web_users_of("muni_a")
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(of_a, ["yonago", "yonago-2"]);
    assert!(store.web_users_of("muni_b").await.unwrap().is_empty());

    // Failed logins: counted per key in one statement, restarted after the window, cleared.
    let count = |f: store::LoginFailures| (f.key, f.failures, f.last_failed_at);
    for i in 1..=3 {
        let f = store
            .record_login_failure("login:x", T0 + i, T0 - 3600)
            .await
            .unwrap();
        assert_eq!(count(f), ("login:x".into(), i, T0 + i));
    }
    store
        .record_login_failure("ip:192.0.2.1", T0, T0 - 3600)
        .await
        .unwrap();
    let got = store
        .login_failures(&["login:x".into(), "ip:192.0.2.1".into(), "login:none".into()])
        .await
        .unwrap();
    assert_eq!(
        got.into_iter().map(count).collect::<Vec<_>>(),
        [
            ("login:x".to_string(), 3, T0 + 3),
            ("ip:192.0.2.1".to_string(), 1, T0)
        ]
    );
    // The last failure is older than the window: counting starts again at 1, and rows older
    // than the window are dropped.
    let f = store
        .record_login_failure("login:x", T0 + 7200, T0 + 3600)
        .await
        .unwrap();
    assert_eq!(f.failures, 1);
    assert!(
        store
            .login_failures(&["ip:192.0.2.1".into()])
            .await
            .unwrap()
            .is_empty()
    );
    store.clear_login_failures("login:x").await.unwrap();
    assert!(
        store
            .login_failures(&["login:x".into()])
            .await
            .unwrap()
            .is_empty()
    );

    // Scoping of hub facts: offices, devices and routing edges of the account's codes only.
    for (id, code) in [
        ("0300000100_43", "312029"),
        ("0300000200_11", "312029"),
        ("0300000300_11", "312045"),
        ("0300000400_11", "131016"),
    ] {
        store
            .create_office(&Office {
                office_id: office(id),
                name: format!("事業所 {id}"),
                municipality_code: code.into(),
                created_at: T0,
            })
            .await
            .unwrap();
    }
    let a_offices: Vec<String> = store
        .offices_of("muni_a")
        .await
        .unwrap()
        .iter()
        .map(|o| o.office_id.to_string())
        .collect();
    assert_eq!(a_offices, vec!["0300000100_43", "0300000200_11"]);
    assert_eq!(store.offices_of("muni_b").await.unwrap().len(), 1);
    assert!(store.offices_of("nobody").await.unwrap().is_empty());
    store
        .create_invite(&office("0300000100_43"), "inv", T0, T0 + 100)
        .await
        .unwrap();
    store
        .register_device(
            "inv",
            &NewDevice {
                device_id: "dev-1".into(),
                name: "PC".into(),
                public_keys_json: "{}".into(),
                key_id: "k".into(),
                fingerprint: "FP".into(),
                token_hash: "t".into(),
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.devices_of("muni_a").await.unwrap().len(), 1);
    assert!(store.devices_of("muni_b").await.unwrap().is_empty());
    for (i, (from, to, month)) in [
        ("0300000100_43", "0300000200_11", "202611"),
        ("0300000100_43", "0300000200_11", "202611"),
        ("0300000100_43", "0300000300_11", "202612"),
        ("0300000400_11", "0300000400_11", "202612"),
    ]
    .iter()
    .enumerate()
    {
        store
            .send_envelope(
                NewEnvelope {
                    envelope_id: format!("env-{i}"),
                    sender: office(from),
                    recipient: office(to),
                    unit_id: format!("2026112510000{i}"),
                    kinds: vec!["UPPLAN".into()],
                    service_month: Some(month.to_string()),
                    size: 3,
                    ciphertext_sha256: "h".into(),
                    routing_json: "{}".into(),
                    sent_by: "dev-1".into(),
                    ciphertext: b"abc".to_vec(),
                },
                T0,
            )
            .await
            .unwrap();
    }
    let edges = store.edges_of("muni_a").await.unwrap();
    assert_eq!(edges.len(), 2, "{edges:?}");
    assert_eq!(edges[0].units, 2);
    // B sees the edge that reaches its office, never the one between two foreign offices.
    let edges_b = store.edges_of("muni_b").await.unwrap();
    assert_eq!(edges_b.len(), 1);
    assert_eq!(edges_b[0].recipient, office("0300000300_11"));
    assert!(edges.iter().all(|e| e.exchanged_month.is_none()));

    // Plan units (no service month) are counted per month sent in Japan time: 23:00 on
    // 31 October and 00:30 on 1 November JST fall in different months, two November sends add up.
    for (i, at) in [1_793_455_200, 1_793_460_600, 1_795_143_600]
        .iter()
        .enumerate()
    {
        store
            .send_envelope(
                NewEnvelope {
                    envelope_id: format!("plan-{i}"),
                    sender: office("0300000100_43"),
                    recipient: office("0300000200_11"),
                    unit_id: format!("2026103110000{i}"),
                    kinds: vec!["UPPLAN".into()],
                    service_month: None,
                    size: 3,
                    ciphertext_sha256: "h".into(),
                    routing_json: "{}".into(),
                    sent_by: "dev-1".into(),
                    ciphertext: b"abc".to_vec(),
                },
                *at,
            )
            .await
            .unwrap();
    }
    let plans: Vec<(Option<String>, i64)> = store
        .edges_of("muni_a")
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.month.is_none())
        .map(|e| (e.exchanged_month, e.units))
        .collect();
    assert_eq!(
        plans,
        [
            (Some("2026-10".to_string()), 1),
            (Some("2026-11".to_string()), 2)
        ]
    );

    // Files: replaced by (kind, name), per account.
    let file = |bytes: &[u8]| MuniFile {
        kind: "areas".into(),
        name: "areas.csv".into(),
        bytes: bytes.to_vec(),
        uploaded_at: T0,
        uploaded_by: "yonago".into(),
    };
    store.put_muni_file("muni_a", &file(b"v1")).await.unwrap();
    store.put_muni_file("muni_a", &file(b"v2")).await.unwrap();
    let files = store.muni_files("muni_a").await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].bytes, b"v2");
    assert!(store.muni_files("muni_b").await.unwrap().is_empty());
    assert!(
        !store
            .delete_muni_file("muni_b", "areas", "areas.csv")
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_muni_file("muni_a", "areas", "areas.csv")
            .await
            .unwrap()
    );

    // Snapshots: one per day, oldest first.
    for (as_of, json) in [
        ("2025-07-31", "[1]"),
        ("2025-01-31", "[]"),
        ("2025-07-31", "[2]"),
    ] {
        store
            .put_snapshot(
                "muni_a",
                &StoredSnapshot {
                    as_of: as_of.into(),
                    taken_at: T0,
                    reason: "manual".into(),
                    observations_json: json.into(),
                },
            )
            .await
            .unwrap();
    }
    let snaps = store.snapshots("muni_a").await.unwrap();
    assert_eq!(
        snaps
            .iter()
            .map(|s| (s.as_of.as_str(), s.observations_json.as_str()))
            .collect::<Vec<_>>(),
        vec![("2025-01-31", "[]"), ("2025-07-31", "[2]")]
    );
    assert!(store.snapshots("muni_b").await.unwrap().is_empty());

    // Survey links: stored by hash, answered (and re-answered) by hash.
    store
        .create_survey_links(
            "muni_a",
            &[
                ("tok-1".into(), "0300000100".into()),
                ("tok-2".into(), "0300000200".into()),
            ],
            T0,
        )
        .await
        .unwrap();
    assert!(
        store
            .survey_link("tok-1")
            .await
            .unwrap()
            .unwrap()
            .answered_at
            .is_none()
    );
    store
        .answer_survey("tok-1", "{\"H1\":1}", T0 + 5)
        .await
        .unwrap();
    let l = store.survey_link("tok-1").await.unwrap().unwrap();
    assert_eq!(
        (l.answered_at, l.answers_json.as_deref()),
        (Some(T0 + 5), Some("{\"H1\":1}"))
    );
    assert!(matches!(
        store.answer_survey("nope", "{}", T0).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.survey_links("muni_a").await.unwrap().len(), 2);
    assert!(store.survey_links("muni_b").await.unwrap().is_empty());

    // Settings: per account, compare-and-set on the version.
    assert!(
        store
            .muni_setting("muni_a", "survey_questions")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .put_muni_setting(
                "muni_a",
                "survey_questions",
                "{\"next\":1}",
                0,
                T0,
                "yonago"
            )
            .await
            .unwrap()
    );
    // A writer that read before that write (version 0) is refused, and nothing changes.
    assert!(
        !store
            .put_muni_setting(
                "muni_a",
                "survey_questions",
                "{\"lost\":1}",
                0,
                T0 + 1,
                "other"
            )
            .await
            .unwrap()
    );
    let s = store
        .muni_setting("muni_a", "survey_questions")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            s.value.as_str(),
            s.version,
            s.updated_at,
            s.updated_by.as_str()
        ),
        ("{\"next\":1}", 1, T0, "yonago")
    );
    assert!(
        store
            .put_muni_setting(
                "muni_a",
                "survey_questions",
                "{\"next\":2}",
                1,
                T0 + 2,
                "yonago2"
            )
            .await
            .unwrap()
    );
    let s = store
        .muni_setting("muni_a", "survey_questions")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.value.as_str(), s.version), ("{\"next\":2}", 2));
    // Another account's setting of the same name is its own.
    assert!(
        store
            .muni_setting("muni_b", "survey_questions")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .put_muni_setting("muni_b", "survey_questions", "{}", 0, T0, "sakai")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .muni_setting("muni_a", "survey_questions")
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );

    // Account creation is in the audit chain.
    let rows = store.audit_rows(0, 1000).await.unwrap();
    assert!(rows.iter().any(|r| r.event == "municipality_created"));
    assert!(rows.iter().any(|r| r.event == "web_user_created"));
    assert!(store.verify_audit().await.unwrap().is_intact());
}

#[tokio::test]
async fn sqlite_web_store_behaviour() {
    let db = TestDb::sqlite();
    web_behaviour(store::open(db.url(), 4).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_web_store_behaviour() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = store::open(db.url(), 4).await.unwrap();
    web_behaviour(s.clone()).await;
    drop(s);
    db.cleanup().await;
}
