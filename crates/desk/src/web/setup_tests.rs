//! Setup page tests: only without an office; the start-token session and CSRF as on the desk;
//! errors shown with their code, keeping what was typed except the passphrases; and the switch
//! to the desk without a restart, against a small stand-in for the hub's registration API
//! (the desk may not depend on the hub crate; the browser test uses a real hub).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use tower::ServiceExt;
use tsunagu_protocol::{
    ErrorBody, ErrorCode, OfficeInfo, RegisterDeviceRequest, RegisterDeviceResponse, routes,
};
use tsunagu_standard::OfficeId;

use super::setup::{self, Setup, SetupOptions};
use crate::folder::{DataDir, OfficeConfig};
use crate::sync::Timing;

const ADDR: &str = "127.0.0.1:48124";
const PASS: &str = "correct horse battery";
const GOOD_INVITE: &str = "GOOD-INVITE-0001";

fn options() -> SetupOptions {
    SetupOptions {
        // Test-only: a cheap scrypt, as everywhere in the tests.
        key_work_factor: Some(4),
        timing: Timing::from_env(),
        default_device_name: "受付のPC".into(),
    }
}

fn new_setup(dir: &std::path::Path) -> Arc<Setup> {
    setup::new(
        DataDir::new(dir),
        options(),
        ADDR.parse::<SocketAddr>().unwrap(),
    )
    .unwrap()
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri).header(header::HOST, ADDR);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn post(uri: &str, cookie: &str, form: &str, extra: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::post(uri)
        .header(header::HOST, ADDR)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    b.body(Body::from(form.to_string())).unwrap()
}

async fn body(res: axum::response::Response) -> String {
    String::from_utf8(to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap()
}

fn location(res: &axum::response::Response) -> &str {
    res.headers()[header::LOCATION].to_str().unwrap()
}

async fn send(s: &Arc<Setup>, req: Request<Body>) -> axum::response::Response {
    setup::router(s.clone()).oneshot(req).await.unwrap()
}

/// Logs in with the start token; returns (cookie, csrf token from the setup page).
async fn login(s: &Arc<Setup>) -> (String, String) {
    let url = s.login_url();
    let res = send(
        s,
        get(url.trim_start_matches(&format!("http://{ADDR}")), None),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let res = send(s, get("/setup", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    (cookie, html[at..at + 64].to_string())
}

fn enc(v: &str) -> String {
    serde_urlencoded::to_string([("v", v)]).unwrap()[2..].to_string()
}

fn form(csrf: &str, hub: &str, invite: &str, pass: &str, again: &str) -> String {
    format!(
        "csrf={csrf}&hub_url={}&invite_code={}&device_name={}&passphrase={}&passphrase_again={}&outbox_dir=outbox&import_dir=import",
        enc(hub),
        enc(invite),
        enc("受付のPC"),
        enc(pass),
        enc(again)
    )
}

/// A stand-in for the hub's registration endpoint: [`GOOD_INVITE`] registers (once), any other
/// code is `E-HUB-102`; everything else answers "office unknown".
async fn fake_hub() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let app = axum::Router::new()
        .route(
            routes::REGISTER,
            axum::routing::post(move |Json(req): Json<RegisterDeviceRequest>| {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    if req.invite_code != GOOD_INVITE {
                        return (
                            StatusCode::BAD_REQUEST,
                            Json(ErrorBody::new(ErrorCode::InviteInvalid)),
                        )
                            .into_response();
                    }
                    Json(RegisterDeviceResponse {
                        device_id: "dev_setup".into(),
                        token: "token-setup".into(),
                        office: OfficeInfo {
                            office_id: OfficeId::parse("3100000009_15").unwrap(),
                            name: "つなぐデイサービス".into(),
                            municipality_code: "312029".into(),
                        },
                        fingerprint: req.keys.fingerprint().short(),
                    })
                    .into_response()
                }
            }),
        )
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(ErrorBody::new(ErrorCode::OfficeUnknown)),
            )
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

#[tokio::test]
async fn setup_only_when_no_office_exists() {
    let t = tempfile::tempdir().unwrap();
    let dir = DataDir::new(t.path());
    dir.write_config(&OfficeConfig {
        hub_url: "http://127.0.0.1:9".into(),
        office_id: OfficeId::parse("3100000001_43").unwrap(),
        office_name: "つなぐ居宅".into(),
        municipality_code: "312029".into(),
        device_id: "dev_1".into(),
        device_name: "事務所PC".into(),
        key_id: "00".into(),
        fingerprint: "AAAA".into(),
        registered_at: 1,
    })
    .unwrap();
    let e = setup::new(dir, options(), ADDR.parse().unwrap())
        .err()
        .expect("an office exists");
    assert_eq!(e.code(), "E-DESK-002");
}

#[tokio::test]
async fn the_setup_page_needs_the_start_token_and_explains_itself() {
    let t = tempfile::tempdir().unwrap();
    let s = new_setup(&t.path().join("office"));
    let res = send(&s, get("/setup", None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = send(&s, get("/login?token=wrong", None)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = send(&s, get("/setup", Some("tsunagu_desk_48124=forged"))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (cookie, _) = login(&s).await;
    // Before registration every desk page leads to the setup page.
    for page in ["/", "/inbox", "/settings"] {
        let res = send(&s, get(page, Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(location(&res), "/setup", "{page}");
    }
    let res = send(&s, get("/setup", Some(&cookie))).await;
    assert!(
        res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("default-src 'self'")
    );
    let html = body(res).await;
    for text in [
        "name=\"hub_url\"",
        "name=\"invite_code\"",
        "name=\"device_name\" value=\"受付のPC\"",
        "type=\"password\" name=\"passphrase\"",
        "name=\"passphrase_again\"",
        "name=\"outbox_dir\"",
        "name=\"import_dir\"",
        "はじめての方へ",
        "取り戻せません",
        "この PC から外に出ません",
    ] {
        assert!(html.contains(text), "{text}");
    }
    let outbox = std::path::absolute(t.path().join("office").join("outbox")).unwrap();
    assert!(
        html.contains(&outbox.display().to_string()),
        "prefilled outbox"
    );
    // Nothing was written by looking.
    assert!(!t.path().join("office").exists());
}

#[tokio::test]
async fn setup_posts_need_the_csrf_token_and_the_same_origin() {
    let t = tempfile::tempdir().unwrap();
    let s = new_setup(t.path());
    let (hub, calls) = fake_hub().await;
    let (cookie, csrf) = login(&s).await;
    let no_token = form("", &hub, GOOD_INVITE, PASS, PASS);
    let wrong_token = form("0000", &hub, GOOD_INVITE, PASS, PASS);
    for f in [&no_token, &wrong_token] {
        let res = send(&s, post("/setup", &cookie, f, &[])).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let good = form(&csrf, &hub, GOOD_INVITE, PASS, PASS);
    for headers in [
        [
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        [
            ("origin", "http://127.0.0.1:48124"),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let res = send(&s, post("/setup", &cookie, &good, &headers)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the hub was never asked");
    assert!(s.app().is_none());
    assert!(!DataDir::new(t.path()).key_path().exists());
}

#[tokio::test]
async fn a_passphrase_mismatch_keeps_what_was_typed_but_not_the_passphrases() {
    let t = tempfile::tempdir().unwrap();
    let s = new_setup(t.path());
    let (hub, calls) = fake_hub().await;
    let (cookie, csrf) = login(&s).await;
    let cases = [
        (PASS, "correct horse battery!", "E-DESK-072"),
        ("short1", "short1", "E-DESK-074"),
    ];
    for (p1, p2, code) in cases {
        let res = send(
            &s,
            post(
                "/setup",
                &cookie,
                &form(&csrf, &hub, GOOD_INVITE, p1, p2),
                &[],
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(res).await;
        assert!(html.contains(code), "{code}");
        assert!(html.contains(&format!("value=\"{hub}\"")), "hub URL kept");
        assert!(
            html.contains(&format!("value=\"{GOOD_INVITE}\"")),
            "invite kept"
        );
        assert!(html.contains("value=\"受付のPC\""), "device name kept");
        assert!(
            !html.contains(p1) && !html.contains(p2),
            "no passphrase echoed"
        );
    }
    let res = send(
        &s,
        post("/setup", &cookie, &form(&csrf, &hub, "", PASS, PASS), &[]),
    )
    .await;
    assert!(
        body(res)
            .await
            .contains("E-DESK-077 招待コードを入力してください")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the hub was never asked");
    assert!(!DataDir::new(t.path()).key_path().exists());
    assert!(s.app().is_none());
}

#[tokio::test]
async fn an_unreachable_hub_and_a_wrong_invite_are_shown_with_their_codes() {
    let t = tempfile::tempdir().unwrap();
    let s = new_setup(t.path());
    let (cookie, csrf) = login(&s).await;
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let res = send(
        &s,
        post(
            "/setup",
            &cookie,
            &form(&csrf, &closed, GOOD_INVITE, PASS, PASS),
            &[],
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    assert!(html.contains("E-DESK-010"), "unreachable");
    assert!(html.contains(&format!("value=\"{GOOD_INVITE}\"")));
    let (hub, calls) = fake_hub().await;
    let res = send(
        &s,
        post(
            "/setup",
            &cookie,
            &form(&csrf, &hub, "WRONG-CODE", PASS, PASS),
            &[],
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    assert!(
        html.contains("E-DESK-011") && html.contains("E-HUB-102"),
        "{html}"
    );
    assert!(html.contains("新しい招待コード"), "hint");
    assert!(html.contains("value=\"WRONG-CODE\""));
    assert!(!html.contains(PASS));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(!DataDir::new(t.path()).is_initialized());
    assert!(s.app().is_none());
    // Not a URL at all.
    let res = send(
        &s,
        post(
            "/setup",
            &cookie,
            &form(&csrf, "hub.example.jp", GOOD_INVITE, PASS, PASS),
            &[],
        ),
    )
    .await;
    assert!(body(res).await.contains("E-DESK-012"));
}

#[tokio::test]
async fn registering_switches_to_the_desk_without_a_restart() {
    let t = tempfile::tempdir().unwrap();
    let s = new_setup(&t.path().join("office"));
    let (hub, calls) = fake_hub().await;
    let (cookie, csrf) = login(&s).await;
    // A wrong code first, then the right one: the failed try leaves nothing in the way.
    let res = send(
        &s,
        post(
            "/setup",
            &cookie,
            &form(&csrf, &hub, "WRONG-CODE", PASS, PASS),
            &[],
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = send(
        &s,
        post(
            "/setup",
            &cookie,
            &form(&csrf, &hub, GOOD_INVITE, PASS, PASS),
            &[],
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    let app = s.app().expect("the desk runs");
    let config = &app.shared.desk.config;
    assert!(html.contains("つなぐデイサービス") && html.contains("3100000009_15"));
    assert!(html.contains(&config.fingerprint) && html.contains("電話"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // On disk: the office, the key file that opens with the passphrase, the folders.
    let dir = DataDir::new(t.path().join("office"));
    assert_eq!(dir.read_config().unwrap().device_id, "dev_setup");
    let keys = dir
        .unlock(&tsunagu_seal::SecretString::from(PASS.to_string()))
        .unwrap();
    assert_eq!(keys.key_id(), config.key_id);
    assert!(t.path().join("office/outbox/sent").is_dir());
    assert!(t.path().join("office/import").is_dir());
    // The same server and the same session now serve the desk.
    let res = send(&s, get("/inbox", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body(res).await.contains("受信箱"));
    let res = send(&s, get("/", Some(&cookie))).await;
    assert_eq!(location(&res), "/inbox");
    // The setup page is gone, and a second submit registers nothing.
    let res = send(&s, get("/setup", Some(&cookie))).await;
    assert_eq!(location(&res), "/inbox");
    let res = send(
        &s,
        post(
            "/setup",
            &cookie,
            &form(&csrf, &hub, GOOD_INVITE, PASS, PASS),
            &[],
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // CSRF still holds on the desk.
    let res = send(&s, post("/sync", &cookie, "csrf=0000", &[])).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = send(&s, post("/sync", &cookie, &format!("csrf={csrf}"), &[])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
