//! Time-study and effect pages: uploads of time-study records per category set, composition
//! charts and the before/after table, CSV bytes, scoping between municipalities, and a
//! known-answer effect on the hub's one exchanged unit with the city's own tiny time study.

use tsunagu_insight::effect::EffectParams;
use tsunagu_insight::sample;

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities, upload_sample};

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[tokio::test]
async fn time_study_pages_and_csv_are_the_citys_own() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let city = sample::city(1);
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_sample(&mut a).await;
    // Before any record: the page says where to upload, the CSV is 404.
    let empty = a.get("/m/timestudy").await;
    assert_eq!(empty.status, 200);
    assert!(
        empty
            .text()
            .contains("タイムスタディの記録はまだありません")
    );
    assert_eq!(a.get("/m/timestudy/composition.csv").await.status, 404);

    let csrf = a.get("/m/data").await.csrf();
    for (kind, file) in [
        ("timestudy_center", "timestudy_center.csv"),
        ("timestudy_exchange", "timestudy_exchange.csv"),
    ] {
        let r = a
            .upload(&csrf, kind, &[(file, city.file(file).unwrap())])
            .await;
        assert_eq!(r.status, 303, "{file}: {}", r.text());
    }
    // Records that do not fit the chosen set are refused and not stored.
    let r = a
        .upload(
            &csrf,
            "timestudy_exchange",
            &[(
                "wrong.csv",
                "対象者ID,日付,開始,分,業務\r\nP1,2025-06-02,9:00,30,存在しない業務\r\n".as_bytes(),
            )],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(!a.get("/m/data").await.text().contains("wrong.csv"));

    for by in ["person", "center", "area"] {
        let p = a.get(&format!("/m/timestudy?set=center&by={by}")).await;
        assert_eq!(p.status, 200, "{by}");
        let t = p.text();
        assert!(t.contains("<svg"), "{by}: a chart");
        assert!(t.contains("業務時間の構成"));
        assert!(t.contains("夜間は 22:00〜5:00"), "{by}: the night hours");
    }
    let ex = a.get("/m/timestudy?set=exchange").await.text();
    assert!(ex.contains("導入前後の比較") && ex.contains("中央値"));
    assert!(ex.contains("<td class=\"num\">"), "a comparison table");

    let csv = a
        .get("/m/timestudy/composition.csv?set=center&by=center")
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.body.starts_with(BOM));
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("センターごと,時期,時間帯,人数,合計（分）,区分,コード,名称,分,割合\r\n")
    );
    let cmp = a.get("/m/timestudy/compare.csv?set=exchange").await;
    assert_eq!(cmp.status, 200);
    assert!(cmp.body.starts_with(BOM));
    assert!(String::from_utf8_lossy(&cmp.body).contains("\r\n"));

    // B sees none of A's records: its page has no data and its CSV is 404.
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    let bp = b.get("/m/timestudy?set=center").await;
    assert!(bp.text().contains("タイムスタディの記録はまだありません"));
    for path in [
        "/m/timestudy/composition.csv?set=center",
        "/m/timestudy/compare.csv?set=exchange",
        "/m/effect/nothing.csv",
    ] {
        assert_eq!(b.get(path).await.status, 404, "{path}");
    }
    // A's effect lists none of B's offices.
    let ae = a.get("/m/effect").await.text();
    assert!(!ae.contains("0300000100") && !ae.contains("0300000200"));
}

#[tokio::test]
async fn the_effect_of_one_exchanged_unit_with_the_citys_own_study() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    // Defaults first: the page names its sources.
    let page = b.get("/m/effect").await;
    assert_eq!(page.status, 200);
    let t = page.text();
    assert!(t.contains("計算の前提と出典") && t.contains("出典つきの既定値"));
    assert!(t.contains("0300000100") && t.contains("0300000200"));

    // The city's own exchange study: per unit cover 2, FAX 4, mail 6, hand 10, sort 1,
    // transcribe 3 (before); export 1 and import 2 (after).
    let study = "対象者ID,日付,開始,分,業務,時期,件数\r\n\
        P1,2025-06-02,9:00,10,cover,前,5\r\n\
        P1,2025-06-02,9:10,20,fax,前,5\r\n\
        P1,2025-06-02,9:30,30,mail,前,5\r\n\
        P1,2025-06-02,10:00,50,hand,前,5\r\n\
        P2,2025-06-02,9:00,5,sort,前,5\r\n\
        P2,2025-06-02,9:05,15,transcribe,前,5\r\n\
        P1,2025-09-01,9:00,5,link_export,後,5\r\n\
        P2,2025-09-01,9:00,10,link_import,後,5\r\n";
    let csrf = b.get("/m/data").await.csrf();
    let r = b
        .upload(
            &csrf,
            "timestudy_exchange",
            &[("study.csv", study.as_bytes())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());

    let d = EffectParams::default();
    let (sf, sm, sh) = (d.share_fax.value, d.share_mail.value, d.share_hand.value);
    let send = 2.0 + sf * 4.0 + sm * 6.0 + sh * 10.0 - 1.0;
    // Both offices are only on the hub (no open data): the recipient counts as a service office.
    let receive = 1.0 + 3.0 - 2.0;
    let minutes = send + receive;
    let labour = minutes * d.hourly_labour_yen.value / 60.0;
    let paper = d.sheets_per_unit.value * d.yen_per_sheet.value;
    let postage = sm * d.postage_yen.value;
    let transport = sh * d.transport_yen_per_trip.value;
    let total = labour + paper + postage + transport;

    let csv = b.get("/m/effect/months.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with(BOM));
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    let row = text.lines().nth(1).unwrap().to_string();
    let cells: Vec<&str> = row.split(',').collect();
    // 月, 事業所数, 送信件数, 削減時間（時間）, 人件費, 紙代, 郵送料, 交通費, 合計, 1事業所あたり
    assert_eq!(cells[1], "2", "{row}");
    assert_eq!(cells[2], "1", "{row}");
    assert_eq!(cells[3], format!("{:.1}", minutes / 60.0), "{row}");
    assert_eq!(cells[4], format!("{:.0}", labour.round()), "{row}");
    assert_eq!(cells[5], format!("{:.0}", paper.round()), "{row}");
    assert_eq!(cells[6], format!("{:.0}", postage.round()), "{row}");
    assert_eq!(cells[7], format!("{:.0}", transport.round()), "{row}");
    assert_eq!(cells[8], format!("{:.0}", total.round()), "{row}");

    let offices = String::from_utf8(b.get("/m/effect/offices.csv").await.body).unwrap();
    let sender = offices.lines().find(|l| l.contains("0300000100")).unwrap();
    assert!(sender.contains(&format!(",{:.1},", send)), "{sender}");
    let recipient = offices.lines().find(|l| l.contains("0300000200")).unwrap();
    assert!(
        recipient.contains(&format!(",{:.1},", receive)),
        "{recipient}"
    );

    let assumptions = String::from_utf8(b.get("/m/effect/assumptions.csv").await.body).unwrap();
    assert!(
        assumptions.contains("市のタイムスタディ（1記録、5件）"),
        "{assumptions}"
    );
    let page = b.get("/m/effect").await.text();
    assert!(page.contains("この市のタイムスタディ"));
    assert!(page.contains("<svg"), "the breakdown chart");
}
