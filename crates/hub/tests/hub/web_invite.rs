//! Invitation letters from the 働きかけ list: a municipality issues invite codes for its own
//! offices and prints them (codes only on that page, stored hashed), a foreign office is 404,
//! the POST needs the CSRF token, and a printed code registers a device like any invite.

use crate::helpers::{TestDb, office};
use crate::web::{Browser, PASSWORD, sample_code, two_cities, upload_sample};

/// The checkbox values (`事業所番号_サービス種類コード`) on the outreach page.
fn choices(html: &str) -> Vec<String> {
    html.split("name=\"office\" value=\"")
        .skip(1)
        .map(|r| r[..r.find('"').unwrap()].to_string())
        .collect()
}

/// The invite codes printed on a letters page.
fn codes(html: &str) -> Vec<String> {
    html.split("<span class=\"code\">")
        .skip(1)
        .map(|r| r[..r.find('<').unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn a_municipality_prints_invitations_for_its_own_offices() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_sample(&mut a).await;
    let outreach = a.get("/m/outreach").await;
    assert_eq!(outreach.status, 200);
    let csrf = outreach.csrf();
    let values = choices(&outreach.text());
    assert!(values.len() >= 3, "checkboxes on the outreach list");
    assert!(outreach.text().contains("action=\"/m/invites\""));

    // Without the CSRF token: refused, nothing registered.
    let r = a.post("/m/invites", &[("office", &values[0])]).await;
    assert_eq!(r.status, 403);
    assert!(
        app.store
            .office(&office(&values[0]))
            .await
            .unwrap()
            .is_none()
    );

    // A foreign office (B's, on the hub under 312029) is 404, alone or among A's own, and
    // then no code is issued for A's office either.
    for fields in [
        vec![("csrf", csrf.as_str()), ("office", "0300000100_43")],
        vec![
            ("csrf", csrf.as_str()),
            ("office", values[1].as_str()),
            ("office", "0300000100_43"),
        ],
    ] {
        let r = a.post("/m/invites", &fields).await;
        assert_eq!(r.status, 404, "{}", r.text());
    }
    assert!(
        app.store
            .office(&office(&values[1]))
            .await
            .unwrap()
            .is_none()
    );
    // An own office with a service kind the open data does not list, or garbage: 404.
    let number = &values[0][..10];
    for v in [format!("{number}_99"), "nonsense".to_string()] {
        let r = a
            .post("/m/invites", &[("csrf", &csrf), ("office", &v)])
            .await;
        assert_eq!(r.status, 404, "{v}");
    }
    // Nothing chosen: a message.
    let r = a.post("/m/invites", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 400);

    // Two of A's offices at once: two A4 letters, each with its own code.
    let r = a
        .post(
            "/m/invites",
            &[
                ("csrf", &csrf),
                ("office", &values[0]),
                ("office", &values[2]),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.headers["cache-control"], "no-store");
    let html = r.text();
    assert_eq!(html.matches("<article class=\"letter\">").count(), 2);
    let printed = codes(&html);
    assert_eq!(printed.len(), 2);
    assert_ne!(printed[0], printed[1]);
    assert!(html.contains(&app.url("")), "hub URL on the letter");
    assert!(html.contains("はじめての設定") && html.contains("tsunagu desk"));
    assert!(html.contains("鍵の指紋"));
    assert!(html.contains(&values[0][..10]) && html.contains(&values[2][..10]));
    // The offices are now on the hub under A's code, bound to number + kind.
    for v in [&values[0], &values[2]] {
        let o = app.store.office(&office(v)).await.unwrap().unwrap();
        assert_eq!(o.municipality_code, sample_code());
    }
    // The codes are not shown anywhere else (the hub keeps their SHA-256 only).
    let again = a.get("/m/outreach").await.text();
    assert!(!again.contains(&printed[0]));
    // The printed code registers a device exactly like an operator's invite.
    let desk = app
        .register(office(&values[0]), &printed[0], "受付のPC")
        .await;
    assert_eq!(desk.office, office(&values[0]));
    // The office now counts as on the hub for A.
    let page = a.get(&format!("/m/offices/{}", &values[0][..10])).await;
    assert_eq!(page.status, 200);

    // B prints for its hub office; the letter counts its partner already on Tsunagu.
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    let csrf_b = b.get("/m/outreach").await.csrf();
    let r = b
        .post(
            "/m/invites",
            &[("csrf", &csrf_b), ("office", "0300000200_11")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains("<strong>1 事業所</strong>"),
        "{}",
        r.text()
    );
    // And B cannot print for A's office.
    let r = b
        .post("/m/invites", &[("csrf", &csrf_b), ("office", &values[2])])
        .await;
    assert_eq!(r.status, 404);
}
