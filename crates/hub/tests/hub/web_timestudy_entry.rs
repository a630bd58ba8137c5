//! Time-study entry links: issued per person by a municipality (scoped to it), opened without
//! login at `/t/{token}`; a slot grid and start/stop become the same records as a CSV import
//! and show on the city's タイムスタディ page. Unknown or foreign tokens are 404; POSTs need
//! the double-submit CSRF token.

use tsunagu_hub::web::timestudy_entry::{EntryLink, stop_running};
use tsunagu_insight::Day;
use tsunagu_insight::timestudy::Phase;

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Issues a link as the logged-in municipality; returns the `/t/…` path from the CSV.
async fn issue(b: &mut Browser<'_>, label: &str, phase: &str) -> String {
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
                ("phase", phase),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body.starts_with(BOM));
    let text = String::from_utf8(r.body[3..].to_vec()).unwrap();
    assert!(text.starts_with("対象者,センター・事業所,分類,調査日,時期,入力用URL\r\n"));
    let at = text.find("/t/").expect("an entry URL");
    text[at..].trim_end().to_string()
}

#[tokio::test]
async fn entry_links_slot_grid_and_start_stop_become_the_citys_records() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    let path = issue(&mut a, "P-01", "前").await;

    // The link is listed for A (without its token), never for B.
    let page = a.get("/m/timestudy").await.text();
    assert!(page.contains("<td>P-01</td>") && page.contains("中央包括"));
    assert!(!page.contains(&path[3..]), "the token is only in the CSV");
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    assert!(!b.get("/m/timestudy").await.text().contains("P-01"));
    let b_path = issue(&mut b, "B-01", "").await;
    assert!(!a.get("/m/timestudy").await.text().contains("B-01"));

    // Unknown, malformed and foreign tokens: 404. B's random part under A's account is not A's.
    let mut phone = Browser::new(&app);
    let (a_muni, _) = path[3..].split_once('~').unwrap();
    let (_, b_random) = b_path[3..].split_once('~').unwrap();
    assert_eq!(
        phone.get(&format!("/t/{a_muni}~{b_random}")).await.status,
        404
    );
    assert_eq!(
        phone
            .get(&format!("/t/{a_muni}~{}", "0".repeat(64)))
            .await
            .status,
        404
    );
    assert_eq!(phone.get("/t/short").await.status, 404);
    assert_eq!(
        phone.get(&format!("/t/nobody~{b_random}")).await.status,
        404
    );

    // The entry page: the person's own label only, 48 slot selects, no login.
    let form = phone.get(&path).await;
    assert_eq!(form.status, 200);
    let t = form.text();
    assert!(t.contains("P-01") && !t.contains("B-01"));
    assert_eq!(t.matches("<select name=\"s").count(), 48);
    assert!(t.contains("8:00〜8:15") && t.contains("19:45〜20:00"));
    let csrf = form.csrf();

    // CSRF: without the token, or with a wrong one, nothing is saved.
    let grid = |csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("s0".into(), "1".into()),
            ("s1".into(), "1".into()),
            ("s2".into(), "8".into()),
            ("s47".into(), "1".into()),
        ]
    };
    let as_ref = |v: &Vec<(String, String)>| -> Vec<(String, String)> { v.clone() };
    let fields = as_ref(&grid("wrong"));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        phone.post(&format!("{path}/grid"), &pairs).await.status,
        403
    );
    let mut stranger = Browser::new(&app);
    assert_eq!(
        stranger.post(&format!("{path}/grid"), &pairs).await.status,
        403
    );

    // A category outside the set is refused.
    let r = phone
        .post(
            &format!("{path}/grid"),
            &[("csrf", &csrf), ("s3", "存在しない")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("選べない業務が送られました"));
    // The page shown again carries a fresh form token.
    let csrf = r.csrf();

    let fields = grid(&csrf);
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = phone.post(&format!("{path}/grid"), &pairs).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.location(), path);
    // Every page shown carries a fresh form token (the double-submit cookie follows it).
    let shown = phone.get(&path).await;
    let csrf = shown.csrf();
    let t = shown.text();
    assert!(t.contains("記録（3 件、合計 60 分）"), "{t}");
    assert!(t.contains("未入力の枠: 44"));

    // Known answer: 8:00–8:30 総合相談支援, 8:30–8:45 提供票, 19:45–20:00 総合相談支援 →
    // 中核業務 45 min, 事務 15 min of 60, 導入前.
    let csv = a
        .get("/m/timestudy/composition.csv?set=center&by=person")
        .await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("P-01,導入前,全体,1,60,"))
        .collect();
    assert!(
        rows.iter()
            .any(|l| l.ends_with(",大分類,C,中核業務・直接業務,45,75.0%")),
        "{text}"
    );
    assert!(
        rows.iter()
            .any(|l| l.ends_with(",大分類,S,事務・支援業務,15,25.0%")),
        "{text}"
    );
    // The entries are a time-study file on the データ screen; the link list is not.
    let data = a.get("/m/data").await.text();
    assert!(data.contains("入力_") && !data.contains("links.json"));
    let cmp = a.get("/m/timestudy/compare.csv?set=center").await.text();
    assert!(cmp.contains("総合相談支援"), "{cmp}");
    assert!(!b.get("/m/timestudy").await.text().contains("<svg"));

    // Start/stop over HTTP: 開始 shows the measurement under way, 終了 ends it.
    let r = phone
        .post(
            &format!("{path}/start"),
            &[("csrf", &csrf), ("category", "7")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let shown = phone.get(&path).await;
    let csrf = shown.csrf();
    let t = shown.text();
    assert!(t.contains("計測中: 電話・連絡調整"), "{t}");
    assert!(t.contains(">終了</button>"));
    let r = phone
        .post(&format!("{path}/stop"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303);
    let shown = phone.get(&path).await;
    let csrf = shown.csrf();
    assert!(!shown.text().contains("計測中"));
    // Without a category, 開始 is refused.
    let r = phone
        .post(
            &format!("{path}/start"),
            &[("csrf", &csrf), ("category", "")],
        )
        .await;
    assert_eq!(r.status, 400);
}

#[test]
fn start_stop_records_the_minutes_between_the_taps() {
    let day = Day::parse("2025-06-02").unwrap();
    let mut link = EntryLink {
        id: "abc".into(),
        token_hash: "h".into(),
        label: "P-02".into(),
        center: "北包括".into(),
        set_id: "center".into(),
        day,
        phase: Phase::After,
        created_at: 0,
        grid: Vec::new(),
        timed: Vec::new(),
        // 2025-06-02 09:10 JST = 00:10 UTC.
        running: Some(("7".into(), 1_748_823_000)),
        cancelled: None,
    };
    stop_running(&mut link, 1_748_823_000 + 37 * 60 + 20);
    assert!(link.running.is_none());
    assert_eq!(link.timed.len(), 1);
    let r = &link.timed[0];
    assert_eq!((r.day, r.start, r.minutes), (day, 9 * 60 + 10, 37));
    assert_eq!(r.category, "7");
    assert_eq!(r.phase, Phase::After);
    assert_eq!(r.subject.person, "P-02");
    assert_eq!(r.subject.center.as_deref(), Some("北包括"));
    // The same record as the CSV import reads it back.
    let csv = tsunagu_hub::web::timestudy_entry::records_csv(&link);
    assert_eq!(
        csv,
        "対象者ID,日付,開始,分,業務,時期,センター\r\nP-02,2025-06-02,9:10,37,7,導入後,北包括\r\n"
    );
    // A stop in the same minute records nothing.
    link.running = Some(("7".into(), 1_748_823_000));
    stop_running(&mut link, 1_748_823_000 + 30);
    assert_eq!(link.timed.len(), 1);
}
