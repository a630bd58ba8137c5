//! 効果 with plan units: a unit without a service month (計画書: 第1〜3表 have no 提供年月) is
//! counted in the month it was exchanged (Japan time), labelled as a plan unit on the page and
//! in both CSVs — never 「（月不明）」.

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities};

#[tokio::test]
async fn plan_units_count_in_the_month_they_were_exchanged() {
    let db = TestDb::sqlite();
    // B's one unit was sealed without a service month, as a plan unit is.
    let (app, _) = two_cities(&db).await;
    let month = {
        let t = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9));
        format!("{:04}-{:02}", t.year(), t.month() as u8)
    };
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    let html = b.get("/m/effect").await.text();
    assert!(!html.contains("月不明"), "{html}");
    assert!(html.contains("「計画書（月の指定なし）」として、ハブでやりとりされた月（日本時間）に数えています（表の「うち計画書」）"));
    let months = &html[html.find("<table class=\"effect\">").unwrap()..];
    let months = &months[..months.find("</table>").unwrap()];
    assert!(
        months.contains(&format!("<tr><td>{month}</td><td class=\"num\">2</td><td class=\"num\">1<br><small>うち計画書 1</small></td>")),
        "{months}"
    );
    let csv = b.get("/m/effect/months.csv").await.text();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!((row[0], row[2], row[10]), (month.as_str(), "1", "1"));
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with("うち計画書（提供年月なし）の送信件数")
    );
    let offices = b.get("/m/effect/offices.csv").await.text();
    for l in offices.lines().skip(1) {
        let c: Vec<&str> = l.split(',').collect();
        assert_eq!((c[0], c[12]), (month.as_str(), "1"), "{l}");
    }
    // The report counts it the same way.
    let report = b.get("/m/report").await.text();
    assert!(report.contains(&format!("<td>{month}</td>")) && !report.contains("月不明"));
}
