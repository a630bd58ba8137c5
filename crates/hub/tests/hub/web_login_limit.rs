//! Login rate limiting through real HTTP, on SQLite and PostgreSQL: five failures lock a name
//! (429 with a Japanese message, even for the right password), an unknown name behaves exactly
//! like a real one (no user enumeration), other names and addresses are unaffected, the lock
//! ends and a success clears the count; twenty failures from one client address lock that
//! address for every name. The hub listens on loopback, so the client address is taken from
//! `X-Forwarded-For` as behind a reverse proxy on the same host.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{TestApp, TestDb};
use crate::web::{PASSWORD, two_cities};

/// One login as a fresh browser from `ip`: the status and the page's alert text.
async fn attempt(app: &TestApp, login: &str, password: &str, ip: &str) -> (StatusCode, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let form = http.get(app.url("/login")).send().await.unwrap();
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("tsunagu_form="))
        .unwrap();
    let token = cookie.trim_start_matches("tsunagu_form=").to_string();
    let r = http
        .post(app.url("/login"))
        .header("cookie", cookie)
        .header("x-forwarded-for", ip)
        .form(&[
            ("csrf", token.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    let alert = text
        .find("role=\"alert\">")
        .map(|at| {
            let rest = &text[at + 13..];
            rest[..rest.find('<').unwrap()].to_string()
        })
        .unwrap_or_default();
    (status, alert)
}

async fn limits(db: &TestDb) {
    let (app, _) = two_cities(db).await;
    let ip1 = "198.51.100.1";

    // Five wrong passwords for a real name, and five for a name nobody has: the same answers.
    let mut real = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        real.push(attempt(&app, "city-a", "wrong-password", ip1).await);
        unknown.push(attempt(&app, "nobody-here", "wrong-password", ip1).await);
    }
    let statuses =
        |v: &[(StatusCode, String)]| v.iter().map(|(s, _)| s.as_u16()).collect::<Vec<_>>();
    assert_eq!(statuses(&real), [401, 401, 401, 401, 429]);
    assert_eq!(statuses(&real), statuses(&unknown));
    assert_eq!(
        real, unknown,
        "no difference between a real and an unknown name"
    );
    assert!(real[0].1.contains("ログイン名またはパスワードが違います"));
    assert!(
        real[4]
            .1
            .starts_with("E-WEB-LOGIN-LOCK ログインの失敗が続いたため")
    );
    assert!(real[4].1.contains("1分ほど待ってから"));

    // Locked: even the right password, from another address, is refused — before it is checked.
    let (s, alert) = attempt(&app, "city-a", PASSWORD, "198.51.100.2").await;
    assert_eq!(s, 429);
    assert!(alert.contains("しばらくログインできません"));
    assert!(!alert.contains("違います"));
    // The name is locked, not the address: another name logs in from it.
    assert_eq!(attempt(&app, "city-b", PASSWORD, ip1).await.0, 303);

    // One minute later (moved back in the database) the right password works and the count
    // is gone: the next wrong password is an ordinary one.
    db.execute_raw("UPDATE web_login_failures SET last_failed_at = last_failed_at - 61")
        .await;
    assert_eq!(attempt(&app, "city-a", PASSWORD, ip1).await.0, 303);
    assert_eq!(attempt(&app, "city-a", "wrong-password", ip1).await.0, 401);
    // The unknown name's count was not cleared by someone else's success: one more failure
    // locks it again, for two minutes now.
    let (s, alert) = attempt(&app, "nobody-here", "wrong-password", ip1).await;
    assert_eq!(s, 429);
    assert!(alert.contains("2分ほど"), "{alert}");

    // An address with 19 failures (of many names) gets locked by the 20th, for every name.
    let ip3 = "203.0.113.7";
    db.execute_raw(&format!(
        "INSERT INTO web_login_failures (key, failures, last_failed_at) VALUES ('ip:{ip3}', 19, {})",
        tsunagu_hub::now_unix()
    ))
    .await;
    assert_eq!(
        attempt(&app, "someone-else", "wrong-password", ip3).await.0,
        429
    );
    assert_eq!(attempt(&app, "city-b", PASSWORD, ip3).await.0, 429);
    assert_eq!(
        attempt(&app, "city-b", PASSWORD, "203.0.113.8").await.0,
        303
    );
}

#[tokio::test]
async fn login_failures_lock_names_and_addresses_on_sqlite() {
    let db = TestDb::sqlite();
    limits(&db).await;
}

#[tokio::test]
async fn login_failures_lock_names_and_addresses_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    limits(&db).await;
    db.cleanup().await;
}
