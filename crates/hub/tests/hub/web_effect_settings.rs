//! Effect assumptions edited on 効果 through real HTTP: saved per municipality (only the rows
//! changed, each saying who and when), validated with the reasons beside the rows and nothing
//! stored on a refusal, guarded against a stale form, used by the figures and the CSVs, reset to
//! the defaults — and never visible to or changeable by another municipality.

use tsunagu_insight::effect::EffectParams;

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities};

/// The labour and postage cells (yen) of the first month of `/m/effect/months.csv`.
async fn labour_and_postage(b: &mut Browser<'_>) -> (String, String) {
    let csv = b.get("/m/effect/months.csv").await.text();
    let row: Vec<String> = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    (row[4].clone(), row[6].clone())
}

/// The value of the `version` field of the assumptions form.
fn version(html: &str) -> String {
    let at = html.find("name=\"version\" value=\"").unwrap() + 22;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn a_municipality_sets_its_own_effect_assumptions() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    let d = EffectParams::default();
    // B's one unit between two hub-only offices: the sender's and the (service) recipient's
    // minutes with the defaults.
    let send = d.sender_minutes();
    let receive = d.recipient_minutes(tsunagu_insight::OfficeGroup::Service);
    let labour = |wage: f64| format!("{:.0}", ((send + receive) * wage / 60.0).round());
    let postage = |yen: f64| format!("{:.0}", (d.share_mail.value * yen).round());
    assert_eq!(
        labour_and_postage(&mut b).await,
        (labour(2000.0), postage(110.0))
    );

    let page = b.get("/m/effect").await;
    let html = page.text();
    let csrf = page.csrf();
    assert_eq!(version(&html), "0");
    assert!(html.contains("name=\"p_hourly_labour_yen\" value=\"2000\""));
    assert!(!html.contains("この市区町村が変更</td>"));
    let fax = format!("{:.3}", d.fax_minutes.value);

    // Without the session's token: refused.
    let r = b
        .post(
            "/m/effect/assumptions",
            &[("version", "0"), ("p_hourly_labour_yen", "9999")],
        )
        .await;
    assert_eq!(r.status, 403);

    // Two rows changed (the wage typed with full-width digits), the FAX row sent back as shown.
    let r = b
        .post(
            "/m/effect/assumptions",
            &[
                ("csrf", &csrf),
                ("version", "0"),
                ("p_hourly_labour_yen", "３，０００"),
                ("p_postage_yen", "120"),
                ("p_fax_minutes", &fax),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        labour_and_postage(&mut b).await,
        (labour(3000.0), postage(120.0))
    );
    let html = b.get("/m/effect?saved=1").await.text();
    assert!(html.contains("前提を保存しました"));
    assert_eq!(html.matches("この市区町村が変更</td>").count(), 2, "{html}");
    assert!(html.contains("city-b が変更（変更前: 2000 円/時、仮定（要設定）："));
    assert!(html.contains("city-b が変更（変更前: 110 円/通、出典の値：日本郵便"));
    assert!(html.contains("name=\"p_hourly_labour_yen\" value=\"3000\""));
    let v1 = version(&html);
    assert_eq!(v1, "1");
    let assumptions = b.get("/m/effect/assumptions.csv").await.text();
    assert!(
        assumptions.contains("hourly_labour_yen,人件費（1時間あたり）,3000,円/時,利用者が設定")
    );
    // Stored under B's account only.
    let b_id = app
        .store
        .web_user_by_login("city-b")
        .await
        .unwrap()
        .unwrap()
        .muni_id
        .unwrap();
    let stored = app
        .store
        .muni_setting(&b_id, "effect_params")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.value.contains("hourly_labour_yen") && !stored.value.contains("fax_minutes"));

    // Refusals: the page again with the reasons and the typed values; nothing stored.
    let r = b
        .post(
            "/m/effect/assumptions",
            &[
                ("csrf", &csrf),
                ("version", &v1),
                ("p_hourly_labour_yen", "たくさん"),
                ("p_fax_minutes", "6000"),
                ("p_postage_yen", "80"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    let t = r.text();
    assert!(t.contains("前提を保存できませんでした"));
    assert!(t.contains("数値で書いてください") && t.contains("600 分/件 以下にしてください"));
    assert!(t.contains("value=\"たくさん\""));
    let r = b
        .post(
            "/m/effect/assumptions",
            &[
                ("csrf", &csrf),
                ("version", &v1),
                ("p_share_fax", "0.9"),
                ("p_share_mail", "0.2"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("合計が1を超えています"));
    assert_eq!(
        labour_and_postage(&mut b).await,
        (labour(3000.0), postage(120.0))
    );
    // A form opened before someone else's save is refused rather than undoing it.
    let r = b
        .post(
            "/m/effect/assumptions",
            &[("csrf", &csrf), ("version", "0"), ("p_postage_yen", "90")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("ほかの人が同時に前提を変更しました"));

    // A sees its own defaults and its changes stay its own.
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    let ap = a.get("/m/effect").await;
    assert!(!ap.text().contains("この市区町村が変更</td>") && !ap.text().contains("city-b"));
    let r = a
        .post(
            "/m/effect/assumptions",
            &[
                ("csrf", &ap.csrf()),
                ("version", "0"),
                ("p_hourly_labour_yen", "1000"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        labour_and_postage(&mut b).await,
        (labour(3000.0), postage(120.0))
    );

    // Reset: back to the defaults.
    let r = b
        .post(
            "/m/effect/assumptions/reset",
            &[("csrf", &csrf), ("version", &v1)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        labour_and_postage(&mut b).await,
        (labour(2000.0), postage(110.0))
    );
    let html = b.get("/m/effect?reset=1").await.text();
    assert!(html.contains("前提を既定値に戻しました"));
    assert!(!html.contains("この市区町村が変更</td>"));
}
