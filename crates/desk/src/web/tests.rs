//! Handler tests: loopback-only binding, the login token and session cookie, the Host check,
//! CSRF (token, Origin, Sec-Fetch-Site) and the security headers.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use tsunagu_standard::OfficeId;

use super::*;
use crate::settings::DeskSettings;
use crate::sync::{Shared, Timing};

const ADDR: &str = "127.0.0.1:48123";

async fn app(dir: &std::path::Path) -> Arc<App> {
    // Nothing listens there: the UI must work without the hub.
    let (desk, keys) = crate::test_desk::registered_desk(
        dir,
        "http://127.0.0.1:9",
        OfficeId::parse("3100000001_43").unwrap(),
    )
    .await;
    let shared = Arc::new(Shared::new(
        desk,
        keys,
        DeskSettings::default(),
        Timing::from_env(),
    ));
    Arc::new(App {
        shared,
        security: Arc::new(Security::new(ADDR.parse::<SocketAddr>().unwrap())),
    })
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri).header(header::HOST, ADDR);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

async fn body(res: axum::response::Response) -> String {
    String::from_utf8(to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap()
}

/// Logs in; returns (cookie, csrf token from the settings page).
async fn login(app: &Arc<App>) -> (String, String) {
    let url = app.security.login_url();
    let path = url.trim_start_matches(&format!("http://{ADDR}"));
    let res = router(app.clone()).oneshot(get(path, None)).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(set.starts_with("tsunagu_desk_48123="), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    let res = router(app.clone())
        .oneshot(get("/settings", Some(&cookie)))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..at + 64].to_string();
    (cookie, csrf)
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

#[tokio::test]
async fn binds_only_to_loopback() {
    for ip in ["0.0.0.0", "192.168.1.10", "::"] {
        let ip: IpAddr = ip.parse().unwrap();
        let e = bind(ip, 0).await.unwrap_err();
        assert_eq!(e.code(), "E-DESK-080", "{ip}");
    }
    let l = bind("127.0.0.1".parse().unwrap(), 0).await.unwrap();
    assert!(l.local_addr().unwrap().ip().is_loopback());
}

#[tokio::test]
async fn pages_need_the_session_from_the_start_token() {
    let t = tempfile::tempdir().unwrap();
    let app = app(t.path()).await;
    let res = router(app.clone())
        .oneshot(get("/inbox", None))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = router(app.clone())
        .oneshot(get("/login?token=wrong", None))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    let res = router(app.clone())
        .oneshot(get("/inbox", Some("tsunagu_desk_48123=forged")))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (cookie, _) = login(&app).await;
    for page in [
        "/inbox",
        "/sent",
        "/history",
        "/settings",
        "/fragments/notices",
    ] {
        let res = router(app.clone())
            .oneshot(get(page, Some(&cookie)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{page}");
        let html = body(res).await;
        assert!(
            !html.contains("http://") || html.contains("127.0.0.1"),
            "{page}: no external URLs"
        );
    }
    let inbox = body(
        router(app.clone())
            .oneshot(get("/inbox", Some(&cookie)))
            .await
            .unwrap(),
    )
    .await;
    assert!(inbox.contains("受信箱") && inbox.contains("/static/htmx-2.0.11.min.js"));
}

#[tokio::test]
async fn a_foreign_host_is_refused_even_with_a_session() {
    let t = tempfile::tempdir().unwrap();
    let app = app(t.path()).await;
    let (cookie, _) = login(&app).await;
    let req = Request::get("/inbox")
        .header(header::HOST, "evil.example:48123")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let res = router(app.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
}

#[tokio::test]
async fn posts_need_the_csrf_token_and_the_same_origin() {
    let t = tempfile::tempdir().unwrap();
    let app = app(t.path()).await;
    let (cookie, csrf) = login(&app).await;
    let ok_form = format!("csrf={csrf}");
    // No token, a wrong token.
    for form in ["", "csrf=0000"] {
        let res = router(app.clone())
            .oneshot(post("/sync", &cookie, form, &[]))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{form:?}");
    }
    // The right token from another site.
    let cross = [
        [
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "same-origin"),
        ],
        [("origin", "null"), ("sec-fetch-site", "same-origin")],
        [
            ("origin", "http://127.0.0.1:48123"),
            ("sec-fetch-site", "cross-site"),
        ],
        [
            ("origin", "http://127.0.0.1:9999"),
            ("sec-fetch-site", "same-site"),
        ],
    ];
    for headers in &cross {
        let res = router(app.clone())
            .oneshot(post("/sync", &cookie, &ok_form, headers))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    // Same origin with the token.
    let res = router(app.clone())
        .oneshot(post(
            "/sync",
            &cookie,
            &ok_form,
            &[
                ("origin", "http://127.0.0.1:48123"),
                ("sec-fetch-site", "same-origin"),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Another session's token does not work for this one.
    let (cookie2, _) = login(&app).await;
    let res = router(app.clone())
        .oneshot(post("/sync", &cookie2, &ok_form, &[]))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn settings_are_saved_through_the_form() {
    let t = tempfile::tempdir().unwrap();
    let app = app(t.path()).await;
    let (cookie, csrf) = login(&app).await;
    let form = format!("csrf={csrf}&outbox_dir=out2&import_dir=in2");
    let res = router(app.clone())
        .oneshot(post("/settings", &cookie, &form, &[]))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let saved = DeskSettings::load(&app.shared.desk.dir).unwrap();
    assert_eq!(saved.outbox_dir, std::path::PathBuf::from("out2"));
    assert!(t.path().join("in2").is_dir());
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let t = tempfile::tempdir().unwrap();
    let app = app(t.path()).await;
    for (uri, cookie) in [("/inbox", None), ("/static/desk.css", None)] {
        let res = router(app.clone()).oneshot(get(uri, cookie)).await.unwrap();
        let h = res.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(
            !csp.contains("script-src") || !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin");
    }
    let res = router(app.clone())
        .oneshot(get("/static/htmx-2.0.11.min.js", None))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body(res).await.len() > 40_000);
}

#[tokio::test]
async fn partner_report_is_shown_and_can_be_turned_off() {
    let t = tempfile::tempdir().unwrap();
    let app = app(t.path()).await;
    let (cookie, csrf) = login(&app).await;
    // A unit this office sent names a partner: it is listed as reported, by number only.
    let partner = OfficeId::parse("3100000002_11").unwrap();
    app.shared
        .desk
        .store
        .saw_partner(&partner, crate::now_unix())
        .await
        .unwrap();
    let page = body(
        router(app.clone())
            .oneshot(get("/partners", Some(&cookie)))
            .await
            .unwrap(),
    )
    .await;
    let section = &page[page.find("ハブに報告する取引先（事業所番号のみ）").unwrap()..];
    assert!(section.contains("<code>3100000002</code>"), "{section}");
    assert!(
        !section.contains("3100000001"),
        "own office is not a partner"
    );
    assert!(section.contains("まだ報告していません"));

    // Unticked box: off, saved, and the page says nothing is reported.
    let res = router(app.clone())
        .oneshot(post(
            "/settings/partner-report",
            &cookie,
            &format!("csrf={csrf}"),
            &[],
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        !DeskSettings::load(&app.shared.desk.dir)
            .unwrap()
            .report_partners
    );
    assert!(!app.shared.settings().report_partners);
    let page = body(
        router(app.clone())
            .oneshot(get("/partners", Some(&cookie)))
            .await
            .unwrap(),
    )
    .await;
    let section = &page[page.find("ハブに報告する取引先（事業所番号のみ）").unwrap()..];
    assert!(section.contains("オフ") && !section.contains("<code>3100000002</code>"));
    let settings = body(
        router(app.clone())
            .oneshot(get("/settings", Some(&cookie)))
            .await
            .unwrap(),
    )
    .await;
    assert!(!settings.contains("value=\"on\" checked"));
    // Saving the folders keeps the choice.
    let form = format!("csrf={csrf}&outbox_dir=out2&import_dir=in2");
    router(app.clone())
        .oneshot(post("/settings", &cookie, &form, &[]))
        .await
        .unwrap();
    assert!(
        !DeskSettings::load(&app.shared.desk.dir)
            .unwrap()
            .report_partners
    );
    // Ticked again: on.
    let res = router(app.clone())
        .oneshot(post(
            "/settings/partner-report",
            &cookie,
            &format!("csrf={csrf}&report_partners=on"),
            &[],
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        DeskSettings::load(&app.shared.desk.dir)
            .unwrap()
            .report_partners
    );
}
