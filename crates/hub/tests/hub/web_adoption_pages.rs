//! 種別 (居宅介護支援 vs service offices) and 離脱 as pages, with known answers: three of the
//! synthetic city's offices get statuses from two dated lists around a snapshot — a 居宅 leaves,
//! a service office stays, another joins — and the tables, SVG charts and CSVs say exactly
//! that; another municipality sees none of it.

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities, upload_sample};

/// (事業所番号, 種別) of every office in A's office list.
async fn offices(a: &mut Browser<'_>) -> Vec<(String, String)> {
    let csv = a.get("/m/csv/offices.csv").await.text();
    csv.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0].to_string(), c[2].to_string())
        })
        .collect()
}

/// The cells of the CSV row starting with `first` (after the BOM for the header).
fn row<'a>(csv: &'a str, first: &str) -> Vec<&'a str> {
    csv.lines()
        .find(|l| l.split(',').next() == Some(first))
        .unwrap_or_else(|| panic!("no row {first} in {csv}"))
        .split(',')
        .collect()
}

#[tokio::test]
async fn groups_and_departures_pages_with_known_answers() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_sample(&mut a).await;
    let all = offices(&mut a).await;
    let cm_total = all.iter().filter(|(_, g)| g == "居宅介護支援").count();
    let service_total = all.iter().filter(|(_, g)| g == "サービス事業所").count();
    assert!(cm_total > 2 && service_total > 2);
    let cm = &all.iter().find(|(_, g)| g == "居宅介護支援").unwrap().0;
    let mut services = all.iter().filter(|(_, g)| g == "サービス事業所");
    let (stays, joins) = (&services.next().unwrap().0, &services.next().unwrap().0);

    // Nothing to compare yet.
    let page = a.get("/m/departures").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("比べる時点がまだありません"));

    // January: the 居宅 and one service office have adopted; a snapshot on 2025-01-31.
    let csrf = a.get("/m/data").await.csrf();
    let jan = format!(
        "事業所番号,状況,日付,備考\r\n{cm},導入している,2025-01-15,\r\n{stays},導入している,2025-01-15,\r\n"
    );
    let r = a
        .upload(&csrf, "status_list", &[("status_jan.csv", jan.as_bytes())])
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let r = a
        .post("/m/snapshots", &[("csrf", &csrf), ("as_of", "2025-01-31")])
        .await;
    assert_eq!(r.status, 303);
    // July: the 居宅 stopped, the other service office adopted.
    let jul = format!(
        "事業所番号,状況,日付,備考\r\n{cm},利用停止,2025-07-01,電話で確認\r\n{joins},導入している,2025-07-01,\r\n"
    );
    let r = a
        .upload(&csrf, "status_list", &[("status_jul.csv", jul.as_bytes())])
        .await;
    assert_eq!(r.status, 303, "{}", r.text());

    // 種別: now no 居宅 and two service offices have adopted.
    let page = a.get("/m/groups").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("svg") && html.contains("aria-label=\"種別ごとの導入率（圏域別）\""));
    assert!(html.contains(&format!("0.0%（0/{cm_total}）")), "{html}");
    let service_rate = 200.0 / service_total as f64;
    assert!(
        html.contains(&format!("{service_rate:.1}%（2/{service_total}）")),
        "{html}"
    );
    // The trend has the snapshot (1 and 1) and today (0 and 2).
    assert!(html.contains(&format!("（1/{cm_total}）")));
    let groups = a.get("/m/csv/groups.csv").await;
    assert_eq!(&groups.body[..3], b"\xEF\xBB\xBF");
    let text = groups.text();
    let total: Vec<&str> = text
        .lines()
        .find(|l| l.contains(",合計,"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(
        &total[3..9],
        [
            cm_total.to_string().as_str(),
            "0",
            "0.0%",
            service_total.to_string().as_str(),
            "2",
            format!("{service_rate:.1}%").as_str()
        ]
    );
    let trend = a.get("/m/csv/group_trend.csv").await.text();
    let jan_row = row(&trend, "2025-01-31");
    assert_eq!((jan_row[1], jan_row[4], jan_row[7]), ("1", "1", "2"));

    // 離脱: one period, one joined, one left — the 居宅, with both statuses and the source.
    let page = a.get("/m/departures").await;
    let html = page.text();
    assert!(html.contains("aria-label=\"期間ごとの新たな導入と離脱（事業所数）\""));
    let periods = &html[html.find("id=\"period-table\"").unwrap()..];
    let periods = &periods[..periods.find("</table>").unwrap()];
    assert!(periods.contains("2025-01-31 → "));
    assert!(
        periods.contains(
            "<td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">2</td>"
        ),
        "{periods}"
    );
    let list = &html[html.find("id=\"departure-table\"").unwrap()..];
    assert!(list.contains(cm.as_str()));
    assert!(list.contains("導入している（2025-01-15）"));
    assert!(list.contains("利用停止（2025-07-01）"));
    assert!(list.contains("取込リスト") && list.contains("電話で確認"));
    assert!(!list.contains(stays.as_str()) && !list.contains(joins.as_str()));
    let csv = a.get("/m/csv/departures_history.csv").await;
    assert_eq!(&csv.body[..3], b"\xEF\xBB\xBF");
    let text = csv.text();
    let dep = row(&text, "2025-01-31");
    assert_eq!(dep[2], cm.as_str());
    assert_eq!((dep[6], dep[8]), ("導入している", "利用停止"));
    let changes = a.get("/m/csv/adoption_changes.csv").await.text();
    assert_eq!(&row(&changes, "2025-01-31")[2..], ["2", "1", "1", "2"]);

    // B: its own pages, none of A's offices; A's names are not there either.
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    for path in [
        "/m/groups",
        "/m/departures",
        "/m/csv/groups.csv",
        "/m/csv/departures_history.csv",
        "/m/csv/adoption_changes.csv",
        "/m/csv/group_trend.csv",
    ] {
        let p = b.get(path).await;
        assert_eq!(p.status, 200, "{path}");
        let t = p.text();
        assert!(
            !t.contains(cm.as_str()) && !t.contains("2025-01-31"),
            "{path}"
        );
    }
}
