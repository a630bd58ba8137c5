//! Partner reports (`PUT /api/v1/partners`): the API's checks (auth, office numbers, bounds,
//! unknown fields), replace semantics and retention in the store on SQLite and PostgreSQL, and
//! the outreach list that counts them — with known answers and strictly scoped to the logged-in
//! municipality, never saying which office reported.

use std::collections::BTreeMap;
use std::sync::Arc;

use tsunagu_hub::ops;
use tsunagu_hub::partner_reports::{REPORT_RETENTION_DAYS, counts_since};
use tsunagu_hub::store::{self, NewDevice, Office, Store};
use tsunagu_insight::MunicipalityCode;
use tsunagu_insight::offices::{OfficeMaster, parse_open_data};
use tsunagu_insight::sample;
use tsunagu_protocol::{PartnerReportResponse, routes};
use tsunagu_standard::OfficeNumber;

use crate::helpers::{Api, TestApp, TestDb, assert_error, office};
use crate::web::{Browser, PASSWORD};

const T0: i64 = 1_790_000_000;
const DAY: i64 = 86_400;

fn n(s: &str) -> OfficeNumber {
    OfficeNumber::parse(s).unwrap()
}

async fn put(app: &TestApp, token: Option<&str>, body: serde_json::Value) -> reqwest::Response {
    let mut rb = app.http.put(app.url(routes::PARTNERS)).json(&body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.unwrap()
}

fn numbers(list: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "partners": list.iter().map(|n| serde_json::json!({ "office_number": n })).collect::<Vec<_>>()
    })
}

/// The stored report of an office: numbers with units.
async fn stored(app: &TestApp, id: &str) -> Option<Vec<(String, Option<u32>)>> {
    app.store
        .partner_report(&office(id))
        .await
        .unwrap()
        .map(|r| {
            r.partners
                .into_iter()
                .map(|(n, u)| (n.to_string(), u))
                .collect()
        })
}

async fn api_behaviour(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let a = app.onboard("0300000100_43", "居宅PC").await;
    let b = app.onboard("0300000200_11", "訪問介護PC").await;

    // Authentication: none, unknown, revoked.
    assert_error(
        put(&app, None, numbers(&["0300000900"])).await,
        401,
        "E-HUB-100",
    )
    .await;
    assert_error(
        put(&app, Some("tsu_unknown"), numbers(&["0300000900"])).await,
        401,
        "E-HUB-100",
    )
    .await;

    // A report, then its replacement: only the second list remains. Duplicates keep the larger
    // count, the office's own number is dropped.
    let resp = put(
        &app,
        Some(&a.token),
        serde_json::json!({ "partners": [
            { "office_number": "0300000900", "units_per_month": 2 },
            { "office_number": "0300000901" },
            { "office_number": "0300000900", "units_per_month": 5 },
            { "office_number": "0300000100", "units_per_month": 1 },
        ]}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let answer: PartnerReportResponse = resp.json().await.unwrap();
    assert_eq!(answer.stored, 2);
    assert_eq!(answer.counts_for_days, REPORT_RETENTION_DAYS);
    assert_eq!(
        stored(&app, "0300000100_43").await.unwrap(),
        vec![
            ("0300000900".to_string(), Some(5)),
            ("0300000901".to_string(), None)
        ]
    );
    let resp = put(&app, Some(&a.token), numbers(&["0300000902", "0300000901"])).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        stored(&app, "0300000100_43").await.unwrap(),
        vec![
            ("0300000901".to_string(), None),
            ("0300000902".to_string(), None)
        ]
    );
    // Another office's report is its own.
    assert_eq!(
        put(&app, Some(&b.token), numbers(&["0300000900"]))
            .await
            .status(),
        200
    );
    assert_eq!(stored(&app, "0300000100_43").await.unwrap().len(), 2);
    assert_eq!(stored(&app, "0300000200_11").await.unwrap().len(), 1);

    // Refused bodies leave the stored report as it was.
    for bad in [
        "030000090",
        "03000009000",
        "03000009OO",
        "０３０００００９００",
        "",
    ] {
        assert_error(
            put(&app, Some(&a.token), numbers(&["0300000903", bad])).await,
            422,
            "E-HUB-420",
        )
        .await;
    }
    assert_error(
        put(
            &app,
            Some(&a.token),
            serde_json::json!({ "partners": [{ "office_number": "0300000903", "units_per_month": 100_001 }] }),
        )
        .await,
        422,
        "E-HUB-420",
    )
    .await;
    // More than office numbers: refused, whatever the extra field is.
    for extra in [
        serde_json::json!({ "partners": [{ "office_number": "0300000903", "name": "訪問介護つなぐ" }] }),
        serde_json::json!({ "partners": [], "insured_numbers": ["1234567890"] }),
        serde_json::json!({ "partners": [{ "office_number": 300000903 }] }),
        serde_json::json!({ "office_numbers": ["0300000903"] }),
    ] {
        assert_error(put(&app, Some(&a.token), extra).await, 400, "E-HUB-400").await;
    }
    let too_many: Vec<String> = (1..=2_001).map(|i| format!("05{i:08}")).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert_error(
        put(&app, Some(&a.token), numbers(&too_many)).await,
        413,
        "E-HUB-413",
    )
    .await;
    // Exactly the bound is fine.
    assert_eq!(
        put(&app, Some(&a.token), numbers(&too_many[..2_000]))
            .await
            .status(),
        200
    );
    assert_eq!(stored(&app, "0300000100_43").await.unwrap().len(), 2_000);

    // An empty list withdraws the report.
    assert_eq!(put(&app, Some(&a.token), numbers(&[])).await.status(), 200);
    assert_eq!(stored(&app, "0300000100_43").await.unwrap(), vec![]);

    // A revoked device cannot report.
    let revoke = app
        .http
        .post(app.url(&routes::fill(routes::REVOKE_DEVICE, &b.device_id)))
        .bearer_auth(&b.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    assert_error(
        put(&app, Some(&b.token), numbers(&["0300000904"])).await,
        401,
        "E-HUB-101",
    )
    .await;
    assert_eq!(
        stored(&app, "0300000200_11").await.unwrap(),
        vec![("0300000900".to_string(), None)]
    );

    // The endpoint is in the OpenAPI document, with its body.
    let doc: serde_json::Value = Api::new(&app, &a)
        .get(routes::OPENAPI)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/partners"]["put"].is_object());
    assert!(doc["components"]["schemas"]["PartnerReport"].is_object());
    assert!(doc["components"]["schemas"]["ReportedPartner"].is_object());
}

#[tokio::test]
async fn sqlite_partner_report_api() {
    api_behaviour(&TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_partner_report_api() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    api_behaviour(&db).await;
    db.cleanup().await;
}

async fn register(store: &dyn Store, id: &str, device: &str) {
    store
        .create_office(&Office {
            office_id: office(id),
            name: format!("事業所 {id}"),
            municipality_code: "312029".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    store
        .create_invite(&office(id), &format!("inv-{id}"), T0, T0 + 100)
        .await
        .unwrap();
    store
        .register_device(
            &format!("inv-{id}"),
            &NewDevice {
                device_id: device.into(),
                name: "PC".into(),
                public_keys_json: "{}".into(),
                key_id: device.into(),
                fingerprint: "FP".into(),
                token_hash: format!("token-{device}"),
            },
            T0,
        )
        .await
        .unwrap();
}

async fn store_behaviour(store: Arc<dyn Store>) {
    let s = store.as_ref();
    for (id, dev) in [
        ("0300000100_43", "dev-1"),
        ("0300000200_11", "dev-2"),
        ("0300000300_11", "dev-3"),
    ] {
        register(s, id, dev).await;
    }
    let a = office("0300000100_43");
    let b = office("0300000200_11");
    let c = office("0300000300_11");
    assert!(s.partner_report(&a).await.unwrap().is_none());

    // Replace: the second report is the whole report.
    s.replace_partner_report(
        &a,
        &[(n("0300000900"), Some(4)), (n("0300000901"), None)],
        T0,
        T0 - 35 * DAY,
    )
    .await
    .unwrap();
    s.replace_partner_report(
        &a,
        &[(n("0300000901"), Some(1)), (n("0300000902"), None)],
        T0 + 10,
        T0 - 35 * DAY,
    )
    .await
    .unwrap();
    let r = s.partner_report(&a).await.unwrap().unwrap();
    assert_eq!(r.reported_at, T0 + 10);
    assert_eq!(
        r.partners,
        vec![(n("0300000901"), Some(1)), (n("0300000902"), None)]
    );
    s.replace_partner_report(&b, &[(n("0300000901"), Some(3))], T0 + 20, T0 - 35 * DAY)
        .await
        .unwrap();
    // A large report goes in several INSERTs, and reads in several IN lists.
    let many: Vec<(OfficeNumber, Option<u32>)> = (0..1_200u32)
        .map(|i| (n(&format!("04{i:08}")), Some(i)))
        .collect();
    s.replace_partner_report(&c, &many, T0 + 30, T0 - 35 * DAY)
        .await
        .unwrap();
    assert_eq!(s.partner_report(&c).await.unwrap().unwrap().partners, many);

    // Mentions: only the numbers asked for, only reports made since `since`.
    let asked: Vec<OfficeNumber> = vec![n("0300000901"), n("0300000902"), n("0300000999")];
    let m = s.partner_mentions(&asked, T0).await.unwrap();
    let got: Vec<(String, String, Option<u32>)> = m
        .iter()
        .map(|m| {
            (
                m.reporter.to_string(),
                m.partner.to_string(),
                m.units_per_month,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("0300000100_43".into(), "0300000901".into(), Some(1)),
            ("0300000200_11".into(), "0300000901".into(), Some(3)),
            ("0300000100_43".into(), "0300000902".into(), None),
        ]
    );
    let since_b = s.partner_mentions(&asked, T0 + 15).await.unwrap();
    assert_eq!(since_b.len(), 1);
    assert_eq!(since_b[0].reporter, b);
    assert!(s.partner_mentions(&[], T0).await.unwrap().is_empty());
    let all_of_c: Vec<OfficeNumber> = many.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        s.partner_mentions(&all_of_c, T0).await.unwrap().len(),
        1_200
    );

    // An office without an active device does not count any more.
    s.revoke_device(&b, "dev-2", None, T0 + 40).await.unwrap();
    let m = s.partner_mentions(&asked, T0).await.unwrap();
    assert!(m.iter().all(|m| m.reporter != b));
    assert_eq!(m.len(), 2);

    // Retention: a report from any office deletes those made before `expire_before`.
    s.replace_partner_report(&a, &[(n("0300000905"), None)], T0 + 50, T0 + 25)
        .await
        .unwrap();
    assert!(
        s.partner_report(&b).await.unwrap().is_none(),
        "b's report (T0+20) deleted"
    );
    assert!(
        s.partner_report(&c).await.unwrap().is_some(),
        "c's (T0+30) kept"
    );
    // An empty report withdraws (and is not "never reported").
    s.replace_partner_report(&c, &[], T0 + 60, T0)
        .await
        .unwrap();
    let r = s.partner_report(&c).await.unwrap().unwrap();
    assert!(r.partners.is_empty());
    assert!(s.partner_mentions(&all_of_c, T0).await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_partner_report_store() {
    let db = TestDb::sqlite();
    store_behaviour(store::open(db.url(), 4).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_partner_report_store() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = store::open(db.url(), 4).await.unwrap();
    store_behaviour(s.clone()).await;
    drop(s);
    db.cleanup().await;
}

/// The offices of the synthetic open data under one municipality code, in order.
fn offices_of(code: &MunicipalityCode) -> Vec<String> {
    let city = sample::city(1);
    let parsed: Vec<_> = city
        .open_data()
        .into_iter()
        .map(|(name, bytes)| parse_open_data(name, bytes).unwrap())
        .collect();
    OfficeMaster::build(&parsed, std::slice::from_ref(code))
        .offices
        .iter()
        .map(|o| o.number.to_string())
        .collect()
}

/// Uploads the synthetic open data (both towns' offices are in the same files) as `b`.
async fn upload_open_data(b: &mut Browser<'_>) {
    let city = sample::city(1);
    let csrf = b.get("/m/data").await.csrf();
    let od: Vec<(&str, &[u8])> = city
        .open_data()
        .into_iter()
        .map(|(n, b)| (n.rsplit('/').next().unwrap(), b))
        .collect();
    let r = b.upload(&csrf, "opendata", &od).await;
    assert_eq!(r.status, 303, "{}", r.text());
}

/// The numeric cells of an office's row on the outreach page: rank, adopted partners, hub
/// partners, hub units, reports, reported units per month, all partners.
fn row(html: &str, number: &str) -> Option<Vec<String>> {
    let at = html.find(&format!("/m/offices/{number}\""))?;
    let rest = &html[at..];
    let tr = &rest[..rest.find("</tr>")?];
    let before = &html[..at];
    let start = before.rfind("<tr>")?;
    let cells = &html[start..at + tr.len()];
    Some(
        cells
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c[..c.find("</td>").unwrap()].to_string())
            .collect(),
    )
}

/// The outreach CSV as header → value maps, by office number.
fn csv_rows(bytes: &[u8]) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let head: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let mut out = BTreeMap::new();
    for l in lines {
        let cells: Vec<String> = l.split(',').map(str::to_string).collect();
        let m: BTreeMap<String, String> = head.iter().cloned().zip(cells).collect();
        out.insert(m["事業所番号"].clone(), m);
    }
    out
}

/// Two municipalities — A (the synthetic city) and B (its neighbouring town, whose offices are
/// in the same open-data files) — and reporters on the hub in a third. Known answers:
/// - X (A): reported by R1 and R2 (3/month); by R3, whose device was revoked; and by R4, whose
///   report is older than the retention → 2 adopted partners, both from reports.
/// - Z (A): reported by R1 → 1. Y (B): reported by R1 → 1 on B's page only.
///
/// A never sees B's offices or which office reported; neither does B.
#[tokio::test]
async fn outreach_counts_reports_of_own_offices_only() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let now = tsunagu_hub::now_unix();
    let s = app.store.as_ref();
    let code_a = sample::city(1).municipality;
    let code_b = MunicipalityCode::parse("99202").unwrap();
    ops::create_municipality(s, "つなぐ市", &[code_a.six()], "city-a", PASSWORD, now)
        .await
        .unwrap();
    ops::create_municipality(s, "となり町", &[code_b.six()], "city-b", PASSWORD, now)
        .await
        .unwrap();
    let (a_offices, b_offices) = (offices_of(&code_a), offices_of(&code_b));
    assert!(a_offices.len() > 3 && !b_offices.is_empty());
    let (x, z, y) = (&a_offices[0], &a_offices[1], &b_offices[0]);

    let r1 = app.onboard("0300000100_43", "PC1").await;
    let r2 = app.onboard("0300000200_11", "PC2").await;
    let r3 = app.onboard("0300000300_11", "PC3").await;
    let r4 = app.onboard("0300000400_11", "PC4").await;
    let report = |units: Option<u32>, list: &[&String]| {
        serde_json::json!({ "partners": list.iter().map(|n| serde_json::json!({
            "office_number": n, "units_per_month": units })).collect::<Vec<_>>() })
    };
    for (desk, body) in [
        (&r1, report(None, &[x, z, y])),
        (&r2, report(Some(3), &[x])),
        (&r3, report(Some(50), &[x])),
    ] {
        assert_eq!(put(&app, Some(&desk.token), body).await.status(), 200);
    }
    s.revoke_device(&r3.office, &r3.device_id, None, now)
        .await
        .unwrap();
    // R4's report is older than the retention: stored, but no longer counted.
    let old = now - (i64::from(REPORT_RETENTION_DAYS) + 1) * DAY;
    s.replace_partner_report(&r4.office, &[(n(x), Some(9))], old, old - DAY)
        .await
        .unwrap();
    assert!(old < counts_since(now));

    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_open_data(&mut a).await;
    let page = a.get("/m/outreach").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("ハブ上の取引") && html.contains("デスクからの報告"));
    // rank, adopted, hub partners, hub units, reports, reported units/month, partners
    assert_eq!(row(&html, x).unwrap(), ["1", "2", "0", "0", "2", "3", "2"]);
    assert_eq!(row(&html, z).unwrap()[1..], ["1", "0", "0", "1", "0", "1"]);
    assert!(row(&html, y).is_none(), "B's office on A's page");
    let csv = a.get("/m/csv/outreach.csv").await;
    assert_eq!(csv.status, 200);
    let rows = csv_rows(&csv.body);
    assert_eq!(rows[x]["導入済みの相手"], "2");
    assert_eq!(rows[x]["ハブ上の取引（導入済みの相手）"], "0");
    assert_eq!(rows[x]["デスクからの報告（導入済みの事業所）"], "2");
    assert_eq!(rows[x]["デスクからの報告の月あたり件数"], "3");
    assert_eq!(rows[x]["ハブ上の取引の相手（事業所番号）"], "");
    assert_eq!(rows[z]["デスクからの報告（導入済みの事業所）"], "1");
    assert!(!rows.contains_key(y.as_str()));
    // Which office reported is never shown, on the page or in the CSV.
    let csv_text = String::from_utf8_lossy(&csv.body).into_owned();
    for reporter in ["0300000100", "0300000200", "0300000300", "0300000400"] {
        assert!(!html.contains(reporter), "{reporter} on A's page");
        assert!(!csv_text.contains(reporter), "{reporter} in A's CSV");
    }

    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;
    upload_open_data(&mut b).await;
    let html = b.get("/m/outreach").await.text();
    assert_eq!(row(&html, y).unwrap()[1..], ["1", "0", "0", "1", "0", "1"]);
    assert!(row(&html, x).is_none() && row(&html, z).is_none());
    assert!(!html.contains(x.as_str()) && !html.contains(z.as_str()));
    for reporter in ["0300000100", "0300000200"] {
        assert!(!html.contains(reporter), "{reporter} on B's page");
    }
    let rows = csv_rows(&b.get("/m/csv/outreach.csv").await.body);
    assert!(rows.contains_key(y.as_str()) && !rows.contains_key(x.as_str()));

    // R1 withdraws: the counts fall at once.
    assert_eq!(put(&app, Some(&r1.token), numbers(&[])).await.status(), 200);
    let html = a.get("/m/outreach").await.text();
    assert_eq!(row(&html, x).unwrap()[4], "1");
    assert_eq!(row(&html, z).unwrap()[4], "0");
}
