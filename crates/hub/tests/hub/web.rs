//! The web pages through real HTTP: login and sessions, roles, scoping between municipalities
//! (a foreign office answers 404), CSRF, uploads of the synthetic city, CSV bytes, SVG charts,
//! and that no page ever carries envelope contents.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use tsunagu_hub::ops;
use tsunagu_hub::store::WebRole;
use tsunagu_insight::sample;

use crate::helpers::{Api, TestApp, TestDb};

pub const PASSWORD: &str = "correct-horse-battery";

/// A browser without JavaScript: keeps cookies, does not follow redirects.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Page {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    /// The first CSRF token in the page's forms.
    pub fn csrf(&self) -> String {
        let t = self.text();
        let at = t
            .find("name=\"csrf\" value=\"")
            .expect("a form with a csrf field");
        let rest = &t[at + 19..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, resp: reqwest::Response) -> Page {
        for v in resp.headers().get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        Page {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    pub async fn upload(&mut self, csrf: &str, kind: &str, files: &[(&str, &[u8])]) -> Page {
        let mut form = reqwest::multipart::Form::new().text("kind", kind.to_string());
        for (name, bytes) in files {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            );
        }
        let resp = self
            .http
            .post(self.app.url(&format!("/m/data/upload?csrf={csrf}")))
            .header("cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    pub async fn login(&mut self, login: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        self.post(
            "/login",
            &[("csrf", &csrf), ("login", login), ("password", password)],
        )
        .await
    }
}

/// The synthetic city's six-digit code.
pub fn sample_code() -> String {
    sample::city(1).municipality.six()
}

/// An app with: municipality A = つなぐ市 (the synthetic city, login `city-a`) and B = 312029
/// (login `city-b`) whose two offices are on the hub and exchanged one unit; an operator.
pub async fn two_cities(db: &TestDb) -> (TestApp, Vec<String>) {
    let app = TestApp::spawn(db).await;
    let now = tsunagu_hub::now_unix();
    let s = app.store.as_ref();
    ops::create_municipality(s, "つなぐ市", &[sample_code()], "city-a", PASSWORD, now)
        .await
        .unwrap();
    ops::create_municipality(s, "米子市", &["312029".into()], "city-b", PASSWORD, now)
        .await
        .unwrap();
    ops::create_web_user(s, "operator", PASSWORD, WebRole::Operator, None, now)
        .await
        .unwrap();
    // B's offices on the hub (TestApp::onboard registers them under 312029) and one unit.
    let d1 = app.onboard("0300000100_43", "PC1").await;
    let d2 = app.onboard("0300000200_11", "PC2").await;
    let env = d1.seal_to(&d2, "20261125100000", b"SECRET-CARE-PLAN-CONTENT");
    let resp = Api::new(&app, &d1).put_envelope(&env).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let envelope_id: String = resp.json::<serde_json::Value>().await.unwrap()["envelope_id"]
        .as_str()
        .unwrap()
        .to_string();
    (app, vec![envelope_id])
}

/// Uploads the synthetic city's open data and 圏域 table as A.
pub async fn upload_sample(b: &mut Browser<'_>) {
    let city = sample::city(1);
    let data = b.get("/m/data").await;
    let csrf = data.csrf();
    let od: Vec<(&str, &[u8])> = city
        .open_data()
        .into_iter()
        .map(|(n, b)| (n.rsplit('/').next().unwrap(), b))
        .collect();
    let r = b.upload(&csrf, "opendata", &od).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let r = b
        .upload(
            &csrf,
            "areas",
            &[("areas.csv", city.file("areas.csv").unwrap())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
}

#[tokio::test]
async fn login_sessions_and_roles() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut b = Browser::new(&app);
    // Not signed in: pages send to the login.
    let r = b.get("/m").await;
    assert_eq!((r.status.as_u16(), r.location()), (303, "/login"));
    // Wrong password and unknown login answer alike.
    let r = b.login("city-a", "wrong-password").await;
    assert_eq!(r.status, 401);
    assert!(r.text().contains("ログイン名またはパスワードが違います"));
    let r = b.login("nobody", PASSWORD).await;
    assert_eq!(r.status, 401);
    // Right password: a session cookie, HttpOnly and SameSite=Strict, stored hashed.
    let r = b.login("city-a", PASSWORD).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, "/"));
    let set: Vec<&str> = r
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("tsunagu_session="))
        .unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let value = b.cookies["tsunagu_session"].clone();
    let now = tsunagu_hub::now_unix();
    assert!(app.store.session(&value, now).await.unwrap().is_none());
    assert!(
        app.store
            .session(&tsunagu_hub::sha256_hex(value.as_bytes()), now)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(b.get("/").await.location(), "/m");
    let page = b.get("/m").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("つなぐ市"));
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    // A municipality user has no operator pages.
    assert_eq!(b.get("/operator").await.status, 404);
    // Logout deletes the session on the server.
    let csrf = page.csrf();
    let r = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 303);
    assert!(
        app.store
            .session(&tsunagu_hub::sha256_hex(value.as_bytes()), now)
            .await
            .unwrap()
            .is_none()
    );
    b.cookies.insert("tsunagu_session".into(), value);
    assert_eq!(b.get("/m").await.location(), "/login");

    // The operator sees the accounts, creates one on the page, and has no dashboard.
    let mut op = Browser::new(&app);
    assert_eq!(op.login("operator", PASSWORD).await.location(), "/");
    let page = op.get("/operator").await;
    assert!(page.text().contains("米子市") && page.text().contains("city-b"));
    assert_eq!(op.get("/m").await.status, 404);
    let csrf = page.csrf();
    let r = op
        .post(
            "/operator/municipalities",
            &[
                ("csrf", &csrf),
                ("name", "境港市"),
                ("codes", "312045"),
                ("login", "sakaiminato"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let r = op
        .post(
            "/operator/municipalities",
            &[
                ("csrf", &csrf),
                ("name", "重複"),
                ("codes", "312045"),
                ("login", "dup-user"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("E-HUB-OPS-009"));
    let mut c = Browser::new(&app);
    assert_eq!(c.login("sakaiminato", PASSWORD).await.location(), "/");
}

#[tokio::test]
async fn csrf_is_required_on_every_post() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut b = Browser::new(&app);
    b.login("city-a", PASSWORD).await;
    let csrf = b.get("/m").await.csrf();
    // No token, a wrong token, a cross-site request: refused, nothing stored.
    for fields in [
        vec![("as_of", "2025-01-31")],
        vec![("csrf", "0000"), ("as_of", "2025-01-31")],
    ] {
        let r = b.post("/m/snapshots", &fields).await;
        assert_eq!(r.status, 403);
    }
    let cross = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/m/snapshots"))
        .header(
            "cookie",
            format!("tsunagu_session={}", b.cookies["tsunagu_session"]),
        )
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("as_of", "2025-01-31")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let muni = app
        .store
        .web_user_by_login("city-a")
        .await
        .unwrap()
        .unwrap()
        .muni_id
        .unwrap();
    assert!(app.store.snapshots(&muni).await.unwrap().is_empty());
    // An upload without the token in its URL is refused too.
    let r = b.upload("", "areas", &[("a.csv", b"x")]).await;
    assert_eq!(r.status, 403);
    // The login form needs its own token (double-submit cookie).
    let mut fresh = Browser::new(&app);
    let r = fresh
        .post("/login", &[("login", "city-a"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, 403);
    // With the token: stored.
    let r = b
        .post("/m/snapshots", &[("csrf", &csrf), ("as_of", "2025-01-31")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(app.store.snapshots(&muni).await.unwrap().len(), 1);
}

#[tokio::test]
async fn municipalities_see_only_their_own_offices() {
    let db = TestDb::sqlite();
    let (app, envelope_ids) = two_cities(&db).await;
    let city = sample::city(1);
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_sample(&mut a).await;
    let mut b = Browser::new(&app);
    b.login("city-b", PASSWORD).await;

    // A: the synthetic city's offices (not those of the neighbour town in the same files).
    let offices = a.get("/m/offices").await.text();
    assert!(offices.contains("見本"));
    let open_data = city.open_data();
    let first_line = String::from_utf8_lossy(open_data[0].1)
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let a_number = first_line
        .split(',')
        .find(|c| {
            c.trim_matches('"').len() == 10
                && c.trim_matches('"').bytes().all(|b| b.is_ascii_digit())
        })
        .map(|c| c.trim_matches('"').to_string());
    assert!(!offices.contains("0300000100"), "B's office on A's page");
    // B: only its hub offices; none of A's.
    let b_offices = b.get("/m/offices").await.text();
    assert!(b_offices.contains("0300000100") && b_offices.contains("0300000200"));
    assert!(!b_offices.contains("見本"));
    assert_eq!(b.get("/m/offices/0300000100").await.status, 200);
    // A foreign office answers 404 both ways, as does an unknown one.
    assert_eq!(a.get("/m/offices/0300000100").await.status, 404);
    if let Some(n) = &a_number {
        assert_eq!(a.get(&format!("/m/offices/{n}")).await.status, 200, "{n}");
        assert_eq!(b.get(&format!("/m/offices/{n}")).await.status, 404);
    }
    assert_eq!(a.get("/m/offices/9999999999").await.status, 404);
    assert_eq!(a.get("/m/nothing-here").await.status, 404);
    // B's data is B's: A's uploads are not on B's data page, and B's dashboard counts no file.
    let b_data = b.get("/m/data").await.text();
    assert!(!b_data.contains("<td>areas.csv</td>") && !b_data.contains("<td>jigyosho_"));
    assert!(a.get("/m/data").await.text().contains("<td>areas.csv</td>"));
    // B cannot delete A's files (the delete is scoped by account: 404).
    let csrf = b.get("/m/data").await.csrf();
    let r = b
        .post(
            "/m/data/delete",
            &[("csrf", &csrf), ("kind", "areas"), ("name", "areas.csv")],
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(a.get("/m/data").await.text().contains("areas.csv"));

    // No page of B carries envelope contents or ids: the hub has only routing metadata.
    let detail = b.get("/m/offices/0300000100").await.text();
    assert!(detail.contains("1 / 0"), "units sent/received: {detail}");
    for path in [
        "/m",
        "/m/areas",
        "/m/map",
        "/m/outreach",
        "/m/offices",
        "/m/report",
        "/m/data",
        "/m/offices/0300000100",
        "/m/offices/0300000200",
    ] {
        let p = b.get(path).await;
        assert_eq!(p.status, 200, "{path}");
        let t = p.text();
        assert!(!t.contains("SECRET-CARE-PLAN-CONTENT"), "{path}");
        for id in &envelope_ids {
            assert!(!t.contains(id.as_str()), "{path} shows an envelope id");
        }
    }
    for name in ["adoption.csv", "offices.csv", "outreach.csv", "trend.csv"] {
        let p = b.get(&format!("/m/csv/{name}")).await;
        assert_eq!(p.status, 200);
        assert!(!p.text().contains("SECRET"));
        assert!(!p.text().contains("見本"), "A's office in B's {name}");
    }
}

#[tokio::test]
async fn dashboard_of_the_synthetic_city() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let city = sample::city(1);
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_sample(&mut a).await;
    let csrf = a.get("/m/data").await.csrf();
    for (kind, name) in [
        ("answers", "answers_2025-01.csv"),
        ("overrides", "overrides.csv"),
    ] {
        let r = a
            .upload(&csrf, kind, &[(name, city.file(name).unwrap())])
            .await;
        assert_eq!(r.status, 303, "{name}: {}", r.text());
    }
    // A refused file says why and stores nothing.
    let r = a
        .upload(&csrf, "areas", &[("bad.csv", b"a,b\r\n1,2\r\n")])
        .await;
    assert_eq!(r.status, 400);
    assert!(!a.get("/m/data").await.text().contains("bad.csv"));
    // A snapshot in the past (the first survey wave), then the second wave today.
    let r = a
        .post("/m/snapshots", &[("csrf", &csrf), ("as_of", "2025-01-31")])
        .await;
    assert_eq!(r.status, 303);
    let r = a
        .upload(
            &csrf,
            "answers",
            &[(
                "answers_2025-07.csv",
                city.file("answers_2025-07.csv").unwrap(),
            )],
        )
        .await;
    assert_eq!(r.status, 303);

    let overview = a.get("/m").await.text();
    assert!(overview.contains("2025-01-31"), "snapshot listed");
    assert!(
        overview.contains("ポイント"),
        "change since the last snapshot"
    );
    assert!(overview.contains("<svg") && overview.contains("導入率の推移"));

    // The per-圏域 table and its stacked bars: one bar per area plus 合計.
    let areas = a.get("/m/areas").await.text();
    assert!(areas.contains("中央圏域") && areas.contains("合計"));
    let bars = &areas[areas.find("<svg").unwrap()..];
    assert!(bars.contains("圏域別の導入状況（構成比）"));
    assert!(bars.contains("導入している"), "legend");
    // The map: one dot per office with coordinates.
    let map = a.get("/m/map").await.text();
    let dots = map.matches("<circle").count();
    assert!(dots > 50, "{dots} dots");
    assert!(map.contains(&format!("地図上の事業所 {dots} 件")));
    // Outreach, report.
    assert!(
        a.get("/m/outreach")
            .await
            .text()
            .contains("地域包括支援センター")
    );
    let report = a.get("/m/report").await.text();
    assert!(report.contains("つなぐ市") && report.matches("<svg").count() == 3);

    // CSV: BOM, CRLF, Japanese header, a file name Excel users recognise.
    let csv = a.get("/m/csv/adoption.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(&csv.body[..3], b"\xEF\xBB\xBF");
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    assert!(text.contains("\r\n") && text.contains("中央圏域"));
    for name in [
        "trend.csv",
        "offices.csv",
        "review.csv",
        "outreach.csv",
        "departures.csv",
        "survey.csv",
    ] {
        let p = a.get(&format!("/m/csv/{name}")).await;
        assert_eq!(p.status, 200, "{name}");
        assert_eq!(&p.body[..3], b"\xEF\xBB\xBF", "{name}");
    }
    assert_eq!(a.get("/m/csv/secrets.csv").await.status, 404);
}

#[tokio::test]
async fn survey_links_are_answered_without_login() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_sample(&mut a).await;
    let page = a.get("/m/survey").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    // Issuing answers with the CSV of the links, the only place the tokens are written.
    let csv = a.post("/m/survey/links", &[("csrf", &csrf)]).await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(&csv.body[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    let url = text
        .split([',', '\r', '\n'])
        .find(|c| c.contains("/a/"))
        .unwrap()
        .to_string();
    let path = &url[url.find("/a/").unwrap()..];
    let token = &path[3..];
    // The hub keeps only the hash.
    assert!(app.store.survey_link(token).await.unwrap().is_none());
    assert!(
        app.store
            .survey_link(&tsunagu_hub::sha256_hex(token.as_bytes()))
            .await
            .unwrap()
            .is_some()
    );
    // Issuing again: every office has a link already.
    assert_eq!(
        a.post("/m/survey/links", &[("csrf", &csrf)]).await.status,
        400
    );

    // The office answers in a fresh browser, without login.
    let mut office = Browser::new(&app);
    let form = office.get(path).await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("導入していますか"));
    let form_csrf = form.csrf();
    // Without the form's token: refused.
    assert_eq!(
        office.post(path, &[("H1", "1"), ("R1", "2")]).await.status,
        403
    );
    // A missing required answer: the form again, saying which question.
    let r = office.post(path, &[("csrf", &form_csrf)]).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("回答してください"));
    let form_csrf = r.csrf();
    let r = office
        .post(path, &[("csrf", &form_csrf), ("H1", "1"), ("R1", "2")])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("回答を受け付けました"));
    // Unknown and malformed tokens are not found.
    assert_eq!(office.get("/a/AAAAAAAAAAAAAAAAAAAAAA").await.status, 404);
    assert_eq!(office.get("/a/short").await.status, 404);
    // The answer counts on the dashboard.
    let page = a.get("/m/survey").await.text();
    assert!(page.contains("うち回答済み 1 件"), "{page}");
    let results = a.get("/m/csv/survey.csv").await.text();
    assert!(results.contains("導入している"));
}
