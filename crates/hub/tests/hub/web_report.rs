//! 報告書 with the time study and the effect: the printable page carries the composition per
//! センター with its before/after table and the effect per month with the assumptions the city
//! changed, the same figures as the 効果 CSV — and only the municipality's own.

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities};

#[tokio::test]
async fn the_report_has_the_time_study_and_the_effect() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    let empty = b.get("/m/report").await.text();
    assert!(empty.contains("タイムスタディの記録はまだありません"));
    assert!(empty.contains("前提の値は変更していません"));

    // An exchange-task study of two centers, before and after.
    let study = "対象者ID,日付,開始,分,業務,時期,件数,センター\r\n\
        P1,2025-06-02,9:00,10,cover,前,5,中央包括\r\n\
        P1,2025-06-02,9:10,20,fax,前,5,中央包括\r\n\
        P2,2025-06-02,9:00,15,transcribe,前,5,東部包括\r\n\
        P1,2025-09-01,9:00,5,link_export,後,5,中央包括\r\n\
        P2,2025-09-01,9:00,10,link_import,後,5,東部包括\r\n";
    let csrf = b.get("/m/data").await.csrf();
    let r = b
        .upload(
            &csrf,
            "timestudy_exchange",
            &[("study.csv", study.as_bytes())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    // The city's own wage.
    let page = b.get("/m/effect").await;
    let r = b
        .post(
            "/m/effect/assumptions",
            &[
                ("csrf", &page.csrf()),
                ("version", "0"),
                ("p_hourly_labour_yen", "2500"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());

    let report = b.get("/m/report").await;
    assert_eq!(report.status, 200);
    let html = report.text();
    // Time study: the set, its people and records, per センター before and after, the table.
    let ts = &html[html.find("業務時間調査（タイムスタディ）").unwrap()..];
    let ts = &ts[..ts.find("<h2>削減効果</h2>").unwrap()];
    assert!(ts.contains("（2 人、5 記録）"), "{ts}");
    assert!(ts.contains("aria-label=\"業務時間の構成 導入前（センターごと、%）\""));
    assert!(ts.contains("aria-label=\"業務時間の構成 導入後（センターごと、%）\""));
    assert!(ts.contains("中央包括") && ts.contains("東部包括"));
    assert!(ts.contains("<table class=\"compare\">"));
    // Effect: the month table and chart, its total the same as the CSV's, the changed wage.
    let months = b.get("/m/effect/months.csv").await.text();
    let row: Vec<&str> = months.lines().nth(1).unwrap().split(',').collect();
    let (hours, total) = (row[3], row[8]);
    let eff = &html[html.find("<h2>削減効果</h2>").unwrap()..];
    assert!(eff.contains("<table class=\"effect\">"));
    assert!(eff.contains("aria-label=\"月別の削減額の内訳（%）\""));
    let total_fmt = {
        let n: i64 = total.parse().unwrap();
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    assert!(
        html.contains(&format!(
            "約 <strong>{hours} 時間</strong>、<strong>{total_fmt} 円</strong>"
        )),
        "{hours} {total_fmt}"
    );
    assert!(html.contains("人件費 2,500 円/時（この市区町村が設定）"));
    assert!(eff.contains("この市区町村が変更した前提: 人件費（1時間あたり） 2500 円/時"));
    assert!(eff.contains("この市のタイムスタディ"));

    // A's report: none of B's study or figures.
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    let ar = a.get("/m/report").await.text();
    assert!(ar.contains("タイムスタディの記録はまだありません"));
    assert!(ar.contains("ハブにまだ記録されていません"));
    assert!(!ar.contains("中央包括") && !ar.contains("2,500"));
}
