//! Cancelling a time-study entry link (取り消し): only the issuing municipality can (CSRF, 404
//! for another's link), the link then answers 404 「このリンクは取り消されました」 to GET and
//! to every POST, takes no more entries, and what was entered stays in the city's records.

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities};

/// Issues a link as the logged-in municipality; returns the `/t/…` path from the CSV.
async fn issue(b: &mut Browser<'_>, label: &str) -> String {
    let csrf = b.get("/m/timestudy").await.csrf();
    let r = b
        .post(
            "/m/timestudy/links",
            &[
                ("csrf", &csrf),
                ("label", label),
                ("center", "中央包括"),
                ("set", "center"),
                ("day", "2025-06-02"),
                ("phase", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    let at = text.find("/t/").expect("an entry URL");
    text[at..].trim_end().to_string()
}

/// The cancel action of the link row of `label` on the タイムスタディ page.
fn cancel_action(page: &str, label: &str) -> String {
    let row = &page[page.find(&format!("<td>{label}</td>")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    let at = row.find("action=\"").unwrap() + 8;
    row[at..at + row[at..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn a_cancelled_link_answers_404_and_keeps_its_records() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    let path = issue(&mut a, "C-01").await;
    let other = issue(&mut a, "C-02").await;

    // Two slots entered on the phone: one 30-minute record.
    let mut phone = Browser::new(&app);
    let form = phone.get(&path).await;
    assert_eq!(form.status, 200);
    let r = phone
        .post(
            &format!("{path}/grid"),
            &[("csrf", &form.csrf()), ("s0", "1"), ("s1", "1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = a.get("/m/timestudy?set=center&by=person").await.text();
    assert!(page.contains("C-01"));
    let action = cancel_action(&page, "C-01");
    assert!(action.starts_with("/m/timestudy/links/") && action.ends_with("/cancel"));
    assert!(
        !action.contains(&path[3..]),
        "the action names the id, never the token"
    );

    // Without the session's token: refused. Another municipality: not found, nothing changes.
    assert_eq!(a.post(&action, &[]).await.status, 403);
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    let b_csrf = b.get("/m/timestudy").await.csrf();
    assert_eq!(b.post(&action, &[("csrf", &b_csrf)]).await.status, 404);
    assert_eq!(phone.get(&path).await.status, 200);

    // A cancels it.
    let csrf = a.get("/m/timestudy").await.csrf();
    let r = a.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(
        (r.status.as_u16(), r.location()),
        (303, "/m/timestudy#entry")
    );
    // Again: nothing more happens.
    assert_eq!(a.post(&action, &[("csrf", &csrf)]).await.status, 303);

    // The phone: 404 with the reason, for the page and for every form.
    let r = phone.get(&path).await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains("このリンクは取り消されました"));
    for (suffix, fields) in [
        ("/grid", vec![("s0", "2"), ("s5", "2")]),
        ("/start", vec![("category", "7")]),
        ("/stop", vec![]),
    ] {
        // The double-submit token as the phone holds it (valid: only the link is refused).
        let mut f = vec![("csrf", phone.cookies["tsunagu_form"].clone())];
        f.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = phone.post(&format!("{path}{suffix}"), &f).await;
        assert_eq!(r.status, 404, "{suffix}");
        assert!(
            r.text().contains("このリンクは取り消されました"),
            "{suffix}"
        );
    }
    // The other link still works.
    assert_eq!(phone.get(&other).await.status, 200);

    // The records stay: the row says 取り消し済み with its one record, and the composition still
    // counts its 30 minutes.
    let page = a.get("/m/timestudy?set=center&by=person").await.text();
    let row = &page[page.find("<td>C-01</td>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("取り消し済み（") && row.contains("<td class=\"num\">1</td>"),
        "{row}"
    );
    assert!(!row.contains("<form"));
    let csv = a
        .get("/m/timestudy/composition.csv?set=center&by=person")
        .await
        .text();
    let line = csv.lines().find(|l| l.starts_with("C-01,")).unwrap();
    assert!(line.contains(",30,"), "{line}");
}
