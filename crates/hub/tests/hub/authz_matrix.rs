//! The authorization matrix (issue 6 item 5): every endpoint × every role × someone else's ids,
//! against a real hub on port 0 over SQLite.
//!
//! - The API's endpoints are read from `/api/openapi.json` at run time and from the router's
//!   source (`src/startup.rs`); the dashboard's from its router's source (`src/web/mod.rs`). Each
//!   must be in the hand-written tables below, so a new endpoint cannot escape the matrix.
//! - Roles: anonymous, a revoked device, a device of office A, of its partner B, of unrelated C,
//!   a user of municipality X, of municipality Y, the operator.
//! - Every cell asserts one exact status (a 303 also its `Location`), and no cell's answer carries
//!   a marker the role may not see: envelope, device and office ids, ciphertext bytes and hashes,
//!   office names, the other municipality's accounts, files, links and tokens, plaintext.
//!
//! Run with `cargo test -p tsunagu-hub authz_matrix -- --nocapture` to see the matrix.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Duration;

use reqwest::Method;
use time::OffsetDateTime;
use tsunagu_hub::ops;
use tsunagu_hub::store::WebRole;
use tsunagu_protocol::{PostReceiptRequest, RegisterDeviceRequest, routes};
use tsunagu_seal::{DeviceSecretKeys, Envelope, ReceiptStatus};
use tsunagu_standard::OfficeId;

use crate::helpers::{Desk, TestApp, TestDb, office};
use crate::web::{Browser, PASSWORD, sample_code, upload_sample};

// ---------------------------------------------------------------------------------------------
// The tables: every endpoint the hub serves.

/// Every operation of the API (method, OpenAPI path). Must equal the OpenAPI document.
const API: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/devices/register"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/devices/{device_id}/revoke"),
    ("GET", "/api/v1/offices/{office_id}/keys"),
    ("PUT", "/api/v1/envelopes"),
    ("GET", "/api/v1/inbox"),
    ("GET", "/api/v1/outbox"),
    ("GET", "/api/v1/envelopes/{envelope_id}"),
    ("GET", "/api/v1/envelopes/{envelope_id}/ciphertext"),
    ("POST", "/api/v1/envelopes/{envelope_id}/receipts"),
    ("PUT", "/api/v1/partners"),
];

/// Served by the API router but not described in the OpenAPI document (it is the document).
const API_UNDOCUMENTED: &[(&str, &str)] = &[("GET", "/api/openapi.json")];

/// Every route of the web pages (`src/web/mod.rs`), as written there.
const WEB: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/static/hub.css"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/operator"),
    ("POST", "/operator/municipalities"),
    ("POST", "/operator/municipalities/{muni_id}/users"),
    ("GET", "/m"),
    ("GET", "/m/account"),
    ("POST", "/m/snapshots"),
    ("GET", "/m/areas"),
    ("GET", "/m/groups"),
    ("GET", "/m/departures"),
    ("GET", "/m/map"),
    ("GET", "/m/outreach"),
    ("POST", "/m/invites"),
    ("GET", "/m/offices"),
    ("POST", "/m/offices/assign"),
    ("GET", "/m/offices/{office}"),
    ("GET", "/m/report"),
    ("GET", "/m/timestudy"),
    ("GET", "/m/timestudy/composition.csv"),
    ("GET", "/m/timestudy/compare.csv"),
    ("POST", "/m/timestudy/links"),
    ("POST", "/m/timestudy/links/{id}/cancel"),
    ("GET", "/t/{token}"),
    ("POST", "/t/{token}/grid"),
    ("POST", "/t/{token}/start"),
    ("POST", "/t/{token}/stop"),
    ("GET", "/m/effect"),
    ("POST", "/m/effect/assumptions"),
    ("POST", "/m/effect/assumptions/reset"),
    ("GET", "/m/effect/{name}"),
    ("GET", "/m/data"),
    ("POST", "/m/data/upload"),
    ("POST", "/m/data/delete"),
    ("GET", "/m/csv/{name}"),
    ("GET", "/m/survey"),
    ("POST", "/m/survey/links"),
    ("POST", "/m/survey/questions"),
    ("POST", "/m/survey/questions/{id}/delete"),
    ("GET", "/a/{token}"),
    ("POST", "/a/{token}"),
    ("GET", "/m/{*rest}"),
];

/// `routes::X` names used by `src/startup.rs`, resolved.
fn api_constant(name: &str) -> Option<&'static str> {
    Some(match name {
        "HEALTH" => routes::HEALTH,
        "READY" => routes::READY,
        "OPENAPI" => routes::OPENAPI,
        "REGISTER" => routes::REGISTER,
        "ME" => routes::ME,
        "REVOKE_DEVICE" => routes::REVOKE_DEVICE,
        "OFFICE_KEYS" => routes::OFFICE_KEYS,
        "ENVELOPES" => routes::ENVELOPES,
        "INBOX" => routes::INBOX,
        "OUTBOX" => routes::OUTBOX,
        "ENVELOPE" => routes::ENVELOPE,
        "CIPHERTEXT" => routes::CIPHERTEXT,
        "RECEIPTS" => routes::RECEIPTS,
        "PARTNERS" => routes::PARTNERS,
        _ => return None,
    })
}

/// `(METHOD, path)` of every `.route(path, get(…).post(…))` in a router's source. Paths are
/// string literals, or `r::NAME` resolved with `constant`.
fn routes_in_source(
    src: &str,
    constant: impl Fn(&str) -> Option<&'static str>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find(".route(") {
        let body_start = at + ".route(".len();
        let bytes = rest.as_bytes();
        let mut depth = 1;
        let mut end = body_start;
        while end < bytes.len() && depth > 0 {
            match bytes[end] {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            end += 1;
        }
        let call = &rest[body_start..end.saturating_sub(1)];
        rest = &rest[end..];
        let trimmed = call.trim_start();
        let path = if let Some(lit) = trimmed.strip_prefix('"') {
            lit[..lit.find('"').unwrap()].to_string()
        } else if let Some(name) = trimmed.strip_prefix("r::") {
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            match constant(&name) {
                Some(p) => p.to_string(),
                None => panic!("route constant r::{name} is not in the authorization matrix"),
            }
        } else {
            panic!("cannot read the path of .route({call})");
        };
        let methods = ["get", "post", "put", "delete", "patch"];
        let cb = call.as_bytes();
        for m in methods {
            let pat = format!("{m}(");
            let mut from = 0;
            while let Some(i) = call[from..].find(&pat) {
                let i = from + i;
                let before = if i == 0 { b' ' } else { cb[i - 1] };
                if !(before.is_ascii_alphanumeric() || before == b'_' || before == b':') {
                    out.push((m.to_ascii_uppercase(), path.clone()));
                }
                from = i + pat.len();
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Roles and what each may see.

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Role {
    Anonymous,
    Revoked,
    DeviceA,
    DeviceB,
    DeviceC,
    MuniX,
    MuniY,
    Operator,
}

const ROLES: [Role; 8] = [
    Role::Anonymous,
    Role::Revoked,
    Role::DeviceA,
    Role::DeviceB,
    Role::DeviceC,
    Role::MuniX,
    Role::MuniY,
    Role::Operator,
];

impl Role {
    fn short(self) -> &'static str {
        match self {
            Role::Anonymous => "anon",
            Role::Revoked => "revoked",
            Role::DeviceA => "devA",
            Role::DeviceB => "devB",
            Role::DeviceC => "devC",
            Role::MuniX => "muniX",
            Role::MuniY => "muniY",
            Role::Operator => "oper",
        }
    }

    /// The desk of a device role ("A", "B", "C"; the revoked one is A's old device).
    fn desk(self) -> Option<&'static str> {
        match self {
            Role::Revoked => Some("Aold"),
            Role::DeviceA => Some("A"),
            Role::DeviceB => Some("B"),
            Role::DeviceC => Some("C"),
            _ => None,
        }
    }

    /// The office letter of an active device role.
    fn office(self) -> Option<char> {
        match self {
            Role::DeviceA => Some('A'),
            Role::DeviceB => Some('B'),
            Role::DeviceC => Some('C'),
            _ => None,
        }
    }

    fn has_session(self) -> bool {
        matches!(self, Role::MuniX | Role::MuniY | Role::Operator)
    }

    /// What this role may see anywhere.
    fn visible(self) -> &'static [Group] {
        use Group::*;
        match self {
            Role::Anonymous | Role::Revoked => &[],
            Role::DeviceA | Role::DeviceB => &[OfficeA, OfficeB, PairAB],
            Role::DeviceC => &[OfficeC, OfficeD, PairCD],
            Role::MuniX => &[XAccount, XLink, XData, OfficeC, OfficeD, OfficeE],
            Role::MuniY => &[YAccount, YLink, YData, OfficeA, OfficeB],
            Role::Operator => &[XAccount, YAccount],
        }
    }
}

/// Kinds of secret the world holds; every marker belongs to one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Group {
    /// Office number, name and device ids of each office (A, B in Y; C, D, E in X).
    OfficeA,
    OfficeB,
    OfficeC,
    OfficeD,
    OfficeE,
    /// Envelope ids, unit ids, ciphertext bytes and hashes of the A↔B and C↔D envelopes.
    PairAB,
    PairCD,
    /// A municipality's account: its name and login.
    XAccount,
    YAccount,
    /// The label of a municipality's time-study entry link (shown on that link's page).
    XLink,
    YLink,
    /// A municipality's files, answer and entry tokens, open-data offices.
    XData,
    YData,
    /// Care-plan plaintext: nobody, ever (the hub never has it).
    Contents,
}

// ---------------------------------------------------------------------------------------------
// Cells.

#[derive(Clone, Copy, Debug)]
struct Expect {
    status: u16,
    /// For a redirect: the start of its Location.
    location: Option<&'static str>,
    /// Whether the role is let through (the leak check then allows what the cell discloses).
    allowed: bool,
}

fn ok(status: u16) -> Expect {
    Expect {
        status,
        location: None,
        allowed: true,
    }
}
fn deny(status: u16) -> Expect {
    Expect {
        status,
        location: None,
        allowed: false,
    }
}
fn go(to: &'static str) -> Expect {
    Expect {
        status: 303,
        location: Some(to),
        allowed: true,
    }
}
/// The dashboard's answer to a request without a session: to the login page.
fn login() -> Expect {
    Expect {
        status: 303,
        location: Some("/login"),
        allowed: false,
    }
}

enum Body {
    None,
    Json(serde_json::Value),
    Envelope(Envelope),
    /// Form fields; the `csrf` field is added for the caller.
    Form(Vec<(String, String)>),
    /// A multipart upload; the CSRF token goes in the query.
    Upload {
        kind: &'static str,
        name: String,
        bytes: Vec<u8>,
    },
    /// A registration with an invite issued just before the request.
    FreshRegister,
    /// Form fields plus the `version` hidden field of the role's own `/m/effect` page (the
    /// assumptions form refuses a save over a newer version); "0" without a session.
    EffectForm,
}

struct Cell {
    method: &'static str,
    target: String,
    path: String,
    role: Role,
    body: Body,
    expect: Expect,
    /// What an allowed answer may show beyond the role's own.
    disclosed: Vec<Group>,
    /// Strings the request itself sent that the answer may repeat (a login name on the form).
    echo_ok: Vec<String>,
    /// Use a session of its own (logout ends the session it is given).
    fresh_session: bool,
}

// ---------------------------------------------------------------------------------------------
// The world: two municipalities, five offices, devices, envelopes, files, links.

const FORM_TOKEN: &str = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";
const X_NAME: &str = "認可検査X市";
/// The login the operator's cell adds to X's account.
const X_SECOND_LOGIN: &str = "second-x-user";
const Y_NAME: &str = "認可検査Y市";
const X_LABEL: &str = "XLBL認可検査";
/// X's own survey question (shown on X's answer form, never to Y).
const X_QUESTION: &str = "XQ認可検査の独自設問";
const X_QUESTION_2: &str = "XQ認可検査の独自設問その二";
const Y_LABEL: &str = "YLBL認可検査";
/// Labels of the second entry link of each city (the one the cancel cells target).
const X_SPARE_LABEL: &str = "XSPARE認可検査";
const Y_SPARE_LABEL: &str = "YSPARE認可検査";
/// An office of the synthetic city's open data (X's master) and one of its 圏域.
const X_MASTER_OFFICE: &str = "9970000037";
const X_AREA: &str = "05";

struct Session {
    cookie: String,
    csrf: String,
}

struct World {
    app: TestApp,
    desks: BTreeMap<&'static str, Desk>,
    /// Envelope id and envelope of "ab", "ba", "cd", "dc".
    envelopes: BTreeMap<&'static str, (String, Envelope)>,
    sessions: BTreeMap<Role, Session>,
    x_survey: String,
    x_ts: String,
    y_ts: String,
    /// Ids (as the dashboard names them) of a second entry link of each city, to cancel.
    x_spare_link: String,
    /// X's account id (the operator's pages name accounts by it).
    x_muni_id: String,
    y_spare_link: String,
    markers: Vec<(Group, String, Vec<u8>)>,
    unit_counter: std::cell::Cell<u32>,
}

const OFFICES: [(&str, &str, &str); 5] = [
    ("A", "0312340001_43", "認可検査居宅介護支援A"),
    ("B", "0312340002_11", "認可検査訪問介護B"),
    ("C", "0312340003_43", "認可検査居宅介護支援C"),
    ("D", "0312340004_11", "認可検査訪問介護D"),
    ("E", "0312340005_43", "認可検査居宅介護支援E"),
];

fn office_of(letter: &str) -> OfficeId {
    office(OFFICES.iter().find(|o| o.0 == letter).unwrap().1)
}

fn office_group(letter: char) -> Group {
    match letter {
        'A' => Group::OfficeA,
        'B' => Group::OfficeB,
        'C' => Group::OfficeC,
        'D' => Group::OfficeD,
        _ => Group::OfficeE,
    }
}

/// The municipality code of an office: A, B in Y (312029); C, D, E in X (the synthetic city).
fn muni_code_of(letter: &str) -> String {
    if matches!(letter, "A" | "B") {
        "312029".into()
    } else {
        sample_code()
    }
}

async fn register_office(app: &TestApp, letter: &str, device: &str) -> Desk {
    let (_, id, name) = OFFICES.iter().find(|o| o.0 == letter).unwrap();
    let invite = ops::issue_invite(
        app.store.as_ref(),
        office(id),
        Some(name),
        Some(&muni_code_of(letter)),
        14,
        tsunagu_hub::now_unix(),
    )
    .await
    .unwrap();
    app.register(office(id), &invite.code, device).await
}

async fn session_of(app: &TestApp, login: &str, page: &str) -> Session {
    let mut b = Browser::new(app);
    let r = b.login(login, PASSWORD).await;
    assert_eq!(r.status, 303, "login {login}");
    let csrf = b.get(page).await.csrf();
    Session {
        cookie: b.cookies["tsunagu_session"].clone(),
        csrf,
    }
}

/// The id the dashboard gives an entry link: the start of its token's SHA-256.
fn link_id(token: &str) -> String {
    tsunagu_hub::sha256_hex(token.as_bytes())[..12].to_string()
}

/// Issues a time-study entry link as the signed-in municipality; the token from the CSV.
async fn entry_link(b: &mut Browser<'_>, label: &str) -> String {
    let csrf = b.get("/m/timestudy").await.csrf();
    let r = b
        .post(
            "/m/timestudy/links",
            &[
                ("csrf", &csrf),
                ("label", label),
                ("center", "認可検査センター"),
                ("set", "center"),
                ("day", "2025-06-02"),
                ("phase", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    let at = text.find("/t/").expect("an entry URL");
    text[at + 3..].trim_end().to_string()
}

fn ciphertext_markers(env: &Envelope) -> Vec<Vec<u8>> {
    let c = &env.ciphertext;
    let mid = c.len() / 2;
    vec![
        c[mid..mid + 24].to_vec(),
        c[c.len() - 24..].to_vec(),
        env.routing.ciphertext_sha256.as_bytes().to_vec(),
    ]
}

impl World {
    async fn build(db: &TestDb) -> World {
        let app = TestApp::spawn(db).await;
        let now = tsunagu_hub::now_unix();
        let s = app.store.as_ref();
        ops::create_municipality(s, X_NAME, &[sample_code()], "authz-x", PASSWORD, now)
            .await
            .unwrap();
        ops::create_municipality(s, Y_NAME, &["312029".into()], "authz-y", PASSWORD, now)
            .await
            .unwrap();
        ops::create_web_user(s, "authz-op", PASSWORD, WebRole::Operator, None, now)
            .await
            .unwrap();

        let mut desks = BTreeMap::new();
        for (key, letter, device) in [
            ("A", "A", "A-PC1"),
            ("A2", "A", "A-PC2"),
            ("Aold", "A", "A-PC-old"),
            ("B", "B", "B-PC1"),
            ("B2", "B", "B-PC2"),
            ("C", "C", "C-PC1"),
            ("C2", "C", "C-PC2"),
            ("D", "D", "D-PC1"),
            ("E", "E", "E-PC1"),
        ] {
            desks.insert(key, register_office(&app, letter, device).await);
        }
        // The revoked device: A's old PC, revoked by A.
        let resp = app
            .http
            .post(app.url(&routes::fill(
                routes::REVOKE_DEVICE,
                &desks["Aold"].device_id,
            )))
            .bearer_auth(&desks["A"].token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);

        // One envelope each way in each pair.
        let mut envelopes = BTreeMap::new();
        for (key, from, to, unit) in [
            ("ab", "A", "B", "20261101000001"),
            ("ba", "B", "A", "20261101000002"),
            ("cd", "C", "D", "20261101000003"),
            ("dc", "D", "C", "20261101000004"),
        ] {
            let env = desks[from].seal_to(
                &desks[to],
                unit,
                format!("SECRET-CARE-PLAN-CONTENT {key}").as_bytes(),
            );
            let resp = crate::helpers::Api::new(&app, &desks[from])
                .put_envelope(&env)
                .await;
            assert_eq!(resp.status(), 201);
            let id = resp.json::<serde_json::Value>().await.unwrap()["envelope_id"]
                .as_str()
                .unwrap()
                .to_string();
            envelopes.insert(key, (id, env));
        }
        // Partner reports naming an office of the other municipality both ways.
        for (from, partners) in [
            ("A", ["0312340002", "0312340003"]),
            ("C", ["0312340004", "0312340001"]),
        ] {
            let resp = app
                .http
                .put(app.url(routes::PARTNERS))
                .bearer_auth(&desks[from].token)
                .json(&serde_json::json!({
                    "partners": partners.iter().map(|n| serde_json::json!({"office_number": n})).collect::<Vec<_>>()
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        }

        // X: the synthetic city's open data and 圏域, a time study, a spare file, survey and
        // entry links, a snapshot. Y: a time study, a spare file, an entry link, a snapshot.
        let city = tsunagu_insight::sample::city(1);
        let ts = city.file("timestudy_center.csv").unwrap().to_vec();
        let mut x = Browser::new(&app);
        x.login("authz-x", PASSWORD).await;
        upload_sample(&mut x).await;
        let csrf = x.get("/m/data").await.csrf();
        for name in ["x_ts_center.csv", "x_spare_ts.csv"] {
            let r = x.upload(&csrf, "timestudy_center", &[(name, &ts)]).await;
            assert_eq!(r.status, 303, "{}", r.text());
        }
        let links = x.post("/m/survey/links", &[("csrf", &csrf)]).await;
        assert_eq!(links.status, 200, "{}", links.text());
        let text = links.text();
        let url = text
            .split([',', '\r', '\n'])
            .find(|c| c.contains("/a/"))
            .expect("an answer URL");
        let x_survey = url[url.find("/a/").unwrap() + 3..].to_string();
        let x_ts = entry_link(&mut x, X_LABEL).await;
        let x_spare_link = entry_link(&mut x, X_SPARE_LABEL).await;
        let csrf_s = x.get("/m/survey").await.csrf();
        let r = x
            .post(
                "/m/survey/questions",
                &[
                    ("csrf", &csrf_s),
                    ("text", X_QUESTION),
                    ("kind", "text"),
                    ("choices", ""),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text());
        let r = x
            .post(
                "/m/survey/questions",
                &[
                    ("csrf", &csrf_s),
                    ("text", X_QUESTION_2),
                    ("kind", "text"),
                    ("choices", ""),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text());
        let r = x
            .post("/m/snapshots", &[("csrf", &csrf), ("as_of", "")])
            .await;
        assert_eq!(r.status, 303);

        let mut y = Browser::new(&app);
        y.login("authz-y", PASSWORD).await;
        let csrf = y.get("/m/data").await.csrf();
        for name in ["y_ts_center.csv", "y_spare_ts.csv"] {
            let r = y.upload(&csrf, "timestudy_center", &[(name, &ts)]).await;
            assert_eq!(r.status, 303, "{}", r.text());
        }
        let y_ts = entry_link(&mut y, Y_LABEL).await;
        let y_spare_link = entry_link(&mut y, Y_SPARE_LABEL).await;
        let r = y
            .post("/m/snapshots", &[("csrf", &csrf), ("as_of", "")])
            .await;
        assert_eq!(r.status, 303);

        let mut sessions = BTreeMap::new();
        sessions.insert(Role::MuniX, session_of(&app, "authz-x", "/m").await);
        sessions.insert(Role::MuniY, session_of(&app, "authz-y", "/m").await);
        sessions.insert(
            Role::Operator,
            session_of(&app, "authz-op", "/operator").await,
        );

        let x_muni_id = app
            .store
            .web_user_by_login("authz-x")
            .await
            .unwrap()
            .unwrap()
            .muni_id
            .unwrap();

        // The markers.
        let mut markers: Vec<(Group, String, Vec<u8>)> = Vec::new();
        let mut add = |g: Group, label: String, bytes: Vec<u8>| markers.push((g, label, bytes));
        for (letter, id, name) in OFFICES {
            let g = office_group(letter.chars().next().unwrap());
            let number = id.split('_').next().unwrap();
            add(
                g,
                format!("office number {letter}"),
                number.as_bytes().to_vec(),
            );
            add(g, format!("office name {letter}"), name.as_bytes().to_vec());
            for (key, d) in &desks {
                if key.starts_with(letter) {
                    add(
                        g,
                        format!("device id {key}"),
                        d.device_id.as_bytes().to_vec(),
                    );
                }
            }
        }
        for (key, (id, env)) in &envelopes {
            let g = if key.contains('a') {
                Group::PairAB
            } else {
                Group::PairCD
            };
            add(g, format!("envelope id {key}"), id.as_bytes().to_vec());
            add(
                g,
                format!("unit id {key}"),
                env.routing.unit_id.as_str().as_bytes().to_vec(),
            );
            for (i, m) in ciphertext_markers(env).into_iter().enumerate() {
                add(g, format!("ciphertext {key} #{i}"), m);
            }
        }
        add(
            Group::Contents,
            "plaintext".into(),
            b"SECRET-CARE-PLAN".to_vec(),
        );
        add(Group::XAccount, "X name".into(), X_NAME.as_bytes().to_vec());
        add(Group::XAccount, "X login".into(), b"authz-x".to_vec());
        add(
            Group::XAccount,
            "X second login".into(),
            X_SECOND_LOGIN.as_bytes().to_vec(),
        );
        add(Group::YAccount, "Y name".into(), Y_NAME.as_bytes().to_vec());
        add(Group::YAccount, "Y login".into(), b"authz-y".to_vec());
        add(
            Group::XLink,
            "X entry label".into(),
            X_LABEL.as_bytes().to_vec(),
        );
        add(
            Group::XLink,
            "X survey question".into(),
            X_QUESTION.as_bytes().to_vec(),
        );
        add(
            Group::XLink,
            "X survey question 2".into(),
            X_QUESTION_2.as_bytes().to_vec(),
        );
        add(
            Group::YLink,
            "Y entry label".into(),
            Y_LABEL.as_bytes().to_vec(),
        );
        for name in [
            "x_ts_center.csv",
            "x_spare_ts.csv",
            "authz_muniX_upload.csv",
        ] {
            add(
                Group::XData,
                format!("X file {name}"),
                name.as_bytes().to_vec(),
            );
        }
        for name in [
            "y_ts_center.csv",
            "y_spare_ts.csv",
            "authz_muniY_upload.csv",
        ] {
            add(
                Group::YData,
                format!("Y file {name}"),
                name.as_bytes().to_vec(),
            );
        }
        add(
            Group::XData,
            "X survey token".into(),
            x_survey.as_bytes().to_vec(),
        );
        add(
            Group::XData,
            "X entry token".into(),
            x_ts.as_bytes().to_vec(),
        );
        add(
            Group::YData,
            "Y entry token".into(),
            y_ts.as_bytes().to_vec(),
        );
        add(
            Group::XData,
            "X spare link".into(),
            X_SPARE_LABEL.as_bytes().to_vec(),
        );
        add(
            Group::YData,
            "Y spare link".into(),
            Y_SPARE_LABEL.as_bytes().to_vec(),
        );
        add(
            Group::XData,
            "X open-data office".into(),
            X_MASTER_OFFICE.as_bytes().to_vec(),
        );

        World {
            app,
            desks,
            envelopes,
            sessions,
            x_survey,
            x_ts,
            y_ts,
            x_spare_link: link_id(&x_spare_link),
            x_muni_id,
            y_spare_link: link_id(&y_spare_link),
            markers,
            unit_counter: std::cell::Cell::new(0),
        }
    }

    fn next_unit(&self) -> String {
        let n = self.unit_counter.get() + 1;
        self.unit_counter.set(n);
        format!("2026120100{n:04}")
    }

    /// A freshly sealed unit from `from` to `to`.
    fn seal(&self, from: &str, to: &Desk) -> Envelope {
        let unit = self.next_unit();
        self.desks[from].seal_to(to, &unit, b"SECRET-CARE-PLAN-CONTENT fresh")
    }

    fn partner_of(letter: char) -> &'static str {
        match letter {
            'A' => "B",
            'B' => "A",
            _ => "D",
        }
    }
}

/// An office that is not on the hub, with keys to seal to.
fn ghost() -> Desk {
    Desk {
        office: office("0399999999_43"),
        device_id: String::new(),
        token: String::new(),
        keys: DeviceSecretKeys::generate(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap())
            .unwrap(),
        invite_code: String::new(),
    }
}

fn register_json(code: &str) -> serde_json::Value {
    let keys = DeviceSecretKeys::generate(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap())
        .unwrap();
    serde_json::to_value(RegisterDeviceRequest {
        invite_code: code.to_string(),
        device_name: "認可検査の端末".into(),
        keys: keys.public().clone(),
    })
    .unwrap()
}

fn register_body(code: &str) -> Body {
    Body::Json(register_json(code))
}

fn form(fields: &[(&str, &str)]) -> Body {
    Body::Form(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The cells of one endpoint: every role × every target.
fn cells_of(w: &World, method: &'static str, route: &'static str) -> Vec<Cell> {
    let mut cells = Vec::new();
    let mk = |role: Role,
              target: &str,
              path: String,
              body: Body,
              expect: Expect,
              disclosed: Vec<Group>| Cell {
        method,
        target: target.to_string(),
        path,
        role,
        body,
        expect,
        disclosed,
        echo_ok: Vec::new(),
        fresh_session: false,
    };
    // API: devices only; anybody else is 401.
    let api = |role: Role, f: &dyn Fn(char) -> Expect| match role.office() {
        Some(o) => f(o),
        None => deny(401),
    };
    // Dashboard pages: municipality users; the operator has none (404); no session → login.
    let muni = |role: Role, f: &dyn Fn(char) -> Expect| match role {
        Role::MuniX => f('X'),
        Role::MuniY => f('Y'),
        Role::Operator => deny(404),
        _ => login(),
    };
    let envelope_targets = ["ab", "ba", "cd", "dc", "unknown"];
    let envelope_id = |t: &str| -> String {
        w.envelopes
            .get(t)
            .map_or_else(|| format!("env_{}", "0".repeat(32)), |(id, _)| id.clone())
    };
    let sees = |o: char, t: &str| t != "unknown" && t.to_ascii_uppercase().contains(o);
    let token_targets = [
        ("X's link", w.x_ts.clone(), Some('X')),
        ("Y's link", w.y_ts.clone(), Some('Y')),
        (
            "X's account + Y's secret",
            format!(
                "{}~{}",
                w.x_ts.split_once('~').unwrap().0,
                w.y_ts.split_once('~').unwrap().1
            ),
            None,
        ),
        ("unknown", format!("nobody~{}", "0".repeat(64)), None),
    ];
    let link_disclosed = |city: Option<char>| match city {
        Some('X') => vec![Group::XAccount, Group::XLink],
        Some(_) => vec![Group::YAccount, Group::YLink],
        None => vec![],
    };

    match (method, route) {
        ("GET", "/healthz" | "/readyz" | "/api/openapi.json") => {
            for r in ROLES {
                cells.push(mk(r, "-", route.to_string(), Body::None, ok(200), vec![]));
            }
        }
        ("POST", "/api/v1/devices/register") => {
            for r in ROLES {
                // The invite code is the credential, whoever presents it.
                cells.push(mk(
                    r,
                    "fresh invite of E",
                    route.into(),
                    Body::FreshRegister,
                    ok(201),
                    vec![Group::OfficeE],
                ));
                cells.push(mk(
                    r,
                    "A's used invite",
                    route.into(),
                    register_body(&w.desks["A"].invite_code),
                    deny(400),
                    vec![],
                ));
                cells.push(mk(
                    r,
                    "unknown invite",
                    route.into(),
                    register_body("0000-0000-0000-0000"),
                    deny(400),
                    vec![],
                ));
            }
        }
        ("GET", "/api/v1/me" | "/api/v1/inbox" | "/api/v1/outbox") => {
            for r in ROLES {
                cells.push(mk(
                    r,
                    "-",
                    route.into(),
                    Body::None,
                    api(r, &|_| ok(200)),
                    vec![],
                ));
            }
        }
        ("POST", "/api/v1/devices/{device_id}/revoke") => {
            for r in ROLES {
                for t in ["A2", "B2", "C2", "D", "Aold", "unknown"] {
                    let id = w.desks.get(t).map_or_else(
                        || format!("dev_{}", "0".repeat(32)),
                        |d| d.device_id.clone(),
                    );
                    // Only a device of the same office (revoking a revoked one again is a
                    // no-op that answers it).
                    let e = api(r, &|o| {
                        if t.starts_with(o) { ok(200) } else { deny(404) }
                    });
                    cells.push(mk(
                        r,
                        t,
                        routes::fill(routes::REVOKE_DEVICE, &id),
                        Body::None,
                        e,
                        vec![],
                    ));
                }
            }
        }
        ("GET", "/api/v1/offices/{office_id}/keys") => {
            for r in ROLES {
                for t in ["A", "B", "C", "D", "unknown", "malformed"] {
                    let id = match t {
                        "unknown" => "0399999999_43".to_string(),
                        "malformed" => "not-an-office".to_string(),
                        l => office_of(l).to_string(),
                    };
                    let known = t.len() == 1;
                    // The directory is open to every device: sealing to a new partner needs it.
                    let e = api(r, &|_| if known { ok(200) } else { deny(404) });
                    let disclosed = if known {
                        vec![office_group(t.chars().next().unwrap())]
                    } else {
                        vec![]
                    };
                    cells.push(mk(
                        r,
                        t,
                        routes::fill(routes::OFFICE_KEYS, &id),
                        Body::None,
                        e,
                        disclosed,
                    ));
                }
            }
        }
        ("PUT", "/api/v1/envelopes") => {
            for r in ROLES {
                let me = r.office().map_or("A", |o| match o {
                    'A' => "A",
                    'B' => "B",
                    _ => "C",
                });
                let partner = &w.desks[World::partner_of(me.chars().next().unwrap())];
                cells.push(mk(
                    r,
                    "own unit to partner",
                    route.into(),
                    Body::Envelope(w.seal(me, partner)),
                    api(r, &|_| ok(201)),
                    vec![],
                ));
                // A unit sealed by another office, uploaded with this device's token.
                let other = if me == "A" { "B" } else { "A" };
                let other_partner = &w.desks[World::partner_of(other.chars().next().unwrap())];
                cells.push(mk(
                    r,
                    "as another office",
                    route.into(),
                    Body::Envelope(w.seal(other, other_partner)),
                    api(r, &|_| deny(403)),
                    vec![],
                ));
                cells.push(mk(
                    r,
                    "to an office not on the hub",
                    route.into(),
                    Body::Envelope(w.seal(me, &ghost())),
                    api(r, &|_| deny(404)),
                    vec![],
                ));
            }
        }
        (
            "GET",
            "/api/v1/envelopes/{envelope_id}" | "/api/v1/envelopes/{envelope_id}/ciphertext",
        ) => {
            let template = if route.ends_with("ciphertext") {
                routes::CIPHERTEXT
            } else {
                routes::ENVELOPE
            };
            for r in ROLES {
                for t in envelope_targets {
                    let e = api(r, &|o| if sees(o, t) { ok(200) } else { deny(404) });
                    cells.push(mk(
                        r,
                        t,
                        routes::fill(template, &envelope_id(t)),
                        Body::None,
                        e,
                        vec![],
                    ));
                }
            }
        }
        ("POST", "/api/v1/envelopes/{envelope_id}/receipts") => {
            for r in ROLES {
                for t in envelope_targets {
                    let env = &w.envelopes[if t == "unknown" { "ab" } else { t }].1;
                    // A device signs its own receipt; anybody else presents B's for "ab".
                    let signer = r.desk().filter(|d| *d != "Aold").unwrap_or("B");
                    let receipt = w.desks[signer].receipt(env, ReceiptStatus::Received);
                    let body =
                        Body::Json(serde_json::to_value(PostReceiptRequest { receipt }).unwrap());
                    // Only the recipient office acknowledges.
                    let recipient = t.chars().nth(1).map(|c| c.to_ascii_uppercase());
                    let e = api(r, &|o| {
                        if t != "unknown" && recipient == Some(o) {
                            ok(200)
                        } else {
                            deny(404)
                        }
                    });
                    cells.push(mk(
                        r,
                        t,
                        routes::fill(routes::RECEIPTS, &envelope_id(t)),
                        body,
                        e,
                        vec![],
                    ));
                }
            }
        }
        ("PUT", "/api/v1/partners") => {
            for r in ROLES {
                let body = Body::Json(serde_json::json!({
                    "partners": [{"office_number": "0312340002"}, {"office_number": "0312340003"}]
                }));
                cells.push(mk(
                    r,
                    "own office's report",
                    route.into(),
                    body,
                    api(r, &|_| ok(200)),
                    vec![],
                ));
            }
        }
        ("GET", "/") => {
            for r in ROLES {
                let e = match r {
                    Role::MuniX | Role::MuniY => go("/m"),
                    Role::Operator => go("/operator"),
                    _ => go("/login"),
                };
                cells.push(mk(r, "-", "/".into(), Body::None, e, vec![]));
            }
        }
        ("GET", "/static/hub.css" | "/login") => {
            for r in ROLES {
                cells.push(mk(r, "-", route.into(), Body::None, ok(200), vec![]));
            }
        }
        ("POST", "/login") => {
            for r in ROLES {
                // A name of its own per cell: five failures of one name lock it (429, tested in
                // web_login_limit), and the real accounts must stay usable for the other cells.
                let name = format!("nobody-{}", r.short());
                let body = form(&[("login", &name), ("password", "wrong-password")]);
                cells.push(mk(
                    r,
                    "unknown login",
                    route.into(),
                    body,
                    deny(401),
                    vec![],
                ));
            }
        }
        ("POST", "/logout") => {
            for r in ROLES {
                let mut c = mk(
                    r,
                    "own session",
                    route.into(),
                    form(&[]),
                    go("/login"),
                    vec![],
                );
                c.fresh_session = true;
                cells.push(c);
            }
        }
        ("GET", "/operator") => {
            for r in ROLES {
                let e = match r {
                    Role::Operator => ok(200),
                    Role::MuniX | Role::MuniY => deny(404),
                    _ => login(),
                };
                cells.push(mk(r, "-", route.into(), Body::None, e, vec![]));
            }
        }
        ("POST", "/operator/municipalities/{muni_id}/users") => {
            for r in ROLES {
                for (t, id, known) in [
                    ("X's account", w.x_muni_id.clone(), true),
                    ("unknown", format!("muni_{}", "0".repeat(32)), false),
                ] {
                    let e = match r {
                        Role::Operator if known => go("/operator?added="),
                        Role::Operator | Role::MuniX | Role::MuniY => deny(404),
                        _ => login(),
                    };
                    let body = form(&[("login", X_SECOND_LOGIN), ("password", PASSWORD)]);
                    let path = format!("/operator/municipalities/{id}/users");
                    cells.push(mk(r, t, path, body, e, vec![]));
                }
            }
        }
        ("POST", "/operator/municipalities") => {
            for r in ROLES {
                let e = match r {
                    Role::Operator => go("/operator?created="),
                    Role::MuniX | Role::MuniY => deny(404),
                    _ => login(),
                };
                let body = form(&[
                    ("name", "認可検査Z市"),
                    ("codes", "312045"),
                    ("login", "authz-z"),
                    ("password", PASSWORD),
                ]);
                cells.push(mk(r, "new account", route.into(), body, e, vec![]));
            }
        }
        (
            "GET",
            "/m"
            | "/m/account"
            | "/m/areas"
            | "/m/groups"
            | "/m/departures"
            | "/m/map"
            | "/m/outreach"
            | "/m/offices"
            | "/m/report"
            | "/m/timestudy"
            | "/m/timestudy/composition.csv"
            | "/m/timestudy/compare.csv"
            | "/m/effect"
            | "/m/data"
            | "/m/survey",
        ) => {
            for r in ROLES {
                cells.push(mk(
                    r,
                    "own city",
                    route.into(),
                    Body::None,
                    muni(r, &|_| ok(200)),
                    vec![],
                ));
            }
        }
        ("POST", "/m/snapshots") => {
            for r in ROLES {
                cells.push(mk(
                    r,
                    "own city",
                    route.into(),
                    form(&[("as_of", "")]),
                    muni(r, &|_| go("/m")),
                    vec![],
                ));
            }
        }
        ("POST", "/m/invites") => {
            for r in ROLES {
                for (t, id, city) in [
                    ("C (X's)", "0312340003_43", Some('X')),
                    ("A (Y's)", "0312340001_43", Some('Y')),
                    ("unknown", "0399999999_43", None),
                ] {
                    let e = muni(r, &|c| if city == Some(c) { ok(200) } else { deny(404) });
                    cells.push(mk(r, t, route.into(), form(&[("office", id)]), e, vec![]));
                }
            }
        }
        ("GET", "/m/offices/{office}") => {
            for r in ROLES {
                for (t, number, city) in [
                    ("C (X's, on the hub)", "0312340003", Some('X')),
                    ("X's open-data office", X_MASTER_OFFICE, Some('X')),
                    ("A (Y's, on the hub)", "0312340001", Some('Y')),
                    ("unknown", "9999999999", None),
                ] {
                    let e = muni(r, &|c| if city == Some(c) { ok(200) } else { deny(404) });
                    cells.push(mk(
                        r,
                        t,
                        format!("/m/offices/{number}"),
                        Body::None,
                        e,
                        vec![],
                    ));
                }
            }
        }
        ("POST", "/m/offices/assign") => {
            for r in ROLES {
                // Only offices of the city's open data can be assigned; Y has none, so A is
                // 404 for Y too.
                for (t, number, city) in [
                    ("X's open-data office", X_MASTER_OFFICE, Some('X')),
                    ("A (Y's, hub only)", "0312340001", None),
                ] {
                    let e = muni(r, &|c| {
                        if city == Some(c) {
                            go("/m/offices#unmatched")
                        } else {
                            deny(404)
                        }
                    });
                    cells.push(mk(
                        r,
                        t,
                        route.into(),
                        form(&[("office", number), ("area", X_AREA), ("note", "")]),
                        e,
                        vec![],
                    ));
                }
            }
        }
        ("POST", "/m/timestudy/links") => {
            for r in ROLES {
                let body = form(&[
                    ("label", "LBL-cell"),
                    ("center", "c"),
                    ("set", "center"),
                    ("day", "2025-06-03"),
                    ("phase", ""),
                ]);
                cells.push(mk(
                    r,
                    "own city",
                    route.into(),
                    body,
                    muni(r, &|_| ok(200)),
                    vec![],
                ));
            }
        }
        (
            "GET" | "POST",
            "/t/{token}" | "/t/{token}/grid" | "/t/{token}/start" | "/t/{token}/stop",
        ) => {
            let suffix = route.strip_prefix("/t/{token}").unwrap_or("");
            for r in ROLES {
                for (t, token, city) in &token_targets {
                    // The link is the credential: valid for anyone, whatever session they have.
                    let e = match (city, method) {
                        (Some(_), "GET") => ok(200),
                        (Some(_), _) => go("/t/"),
                        (None, _) => deny(404),
                    };
                    let body = match suffix {
                        "/grid" => form(&[("s0", "1"), ("s1", "1")]),
                        "/start" => form(&[("category", "1")]),
                        _ if method == "POST" => form(&[]),
                        _ => Body::None,
                    };
                    cells.push(mk(
                        r,
                        t,
                        format!("/t/{token}{suffix}"),
                        body,
                        e,
                        link_disclosed(*city),
                    ));
                }
            }
        }
        ("GET", "/m/effect/{name}" | "/m/csv/{name}") => {
            let (prefix, name) = if route.starts_with("/m/effect") {
                ("/m/effect/", "months.csv")
            } else {
                ("/m/csv/", "adoption.csv")
            };
            for r in ROLES {
                cells.push(mk(
                    r,
                    name,
                    format!("{prefix}{name}"),
                    Body::None,
                    muni(r, &|_| ok(200)),
                    vec![],
                ));
                cells.push(mk(
                    r,
                    "nope.csv",
                    format!("{prefix}nope.csv"),
                    Body::None,
                    muni(r, &|_| deny(404)),
                    vec![],
                ));
            }
        }
        ("POST", "/m/data/upload") => {
            let ts = tsunagu_insight::sample::city(1)
                .file("timestudy_center.csv")
                .unwrap()
                .to_vec();
            for r in ROLES {
                let body = Body::Upload {
                    kind: "timestudy_center",
                    name: format!("authz_{}_upload.csv", r.short()),
                    bytes: ts.clone(),
                };
                cells.push(mk(
                    r,
                    "own city",
                    route.into(),
                    body,
                    muni(r, &|_| go("/m/data")),
                    vec![],
                ));
            }
        }
        ("POST", "/m/data/delete") => {
            for r in ROLES {
                for (t, name, city) in [
                    ("X's file", "x_spare_ts.csv", 'X'),
                    ("Y's file", "y_spare_ts.csv", 'Y'),
                ] {
                    let e = muni(r, &|c| if c == city { go("/m/data") } else { deny(404) });
                    cells.push(mk(
                        r,
                        t,
                        route.into(),
                        form(&[("kind", "timestudy_center"), ("name", name)]),
                        e,
                        vec![],
                    ));
                }
            }
        }
        ("POST", "/m/survey/links") => {
            for r in ROLES {
                // Let through, and nothing left to issue: X's offices all have links, Y has
                // no open data (400 with the reason).
                cells.push(mk(
                    r,
                    "own city",
                    route.into(),
                    form(&[]),
                    muni(r, &|_| ok(400)),
                    vec![],
                ));
            }
        }
        ("POST", "/m/timestudy/links/{id}/cancel") => {
            for r in ROLES {
                for (t, id, city) in [
                    ("X's spare link", w.x_spare_link.clone(), Some('X')),
                    ("Y's spare link", w.y_spare_link.clone(), Some('Y')),
                    ("unknown", "0".repeat(12), None),
                ] {
                    let e = muni(r, &|c| {
                        if city == Some(c) {
                            go("/m/timestudy#entry")
                        } else {
                            deny(404)
                        }
                    });
                    let path = format!("/m/timestudy/links/{id}/cancel");
                    cells.push(mk(r, t, path, form(&[]), e, vec![]));
                }
            }
        }
        ("POST", "/m/effect/assumptions" | "/m/effect/assumptions/reset") => {
            let to = if route.ends_with("reset") {
                "/m/effect?reset=1"
            } else {
                "/m/effect?saved=1"
            };
            for r in ROLES {
                // The account's own assumptions: no id in the request, the session decides.
                cells.push(mk(
                    r,
                    "own city",
                    route.into(),
                    Body::EffectForm,
                    muni(r, &|_| go(to)),
                    vec![],
                ));
            }
        }
        ("POST", "/m/survey/questions") => {
            for r in ROLES {
                let text = format!("認可検査の追加設問 {}", r.short());
                let body = form(&[("text", &text), ("kind", "text"), ("choices", "")]);
                let e = muni(r, &|_| go("/m/survey#questions"));
                cells.push(mk(r, "own city", route.into(), body, e, vec![]));
            }
        }
        ("POST", "/m/survey/questions/{id}/delete") => {
            for r in ROLES {
                // Question ids are per municipality: X has Q1 and Q2 (made for this test), Y
                // only the Q1 its own cell above added.
                for (t, id, city) in [("X's Q2", "Q2", Some('X')), ("unknown", "Q999", None)] {
                    let e = muni(r, &|c| {
                        if city == Some(c) {
                            go("/m/survey#questions")
                        } else {
                            deny(404)
                        }
                    });
                    let path = format!("/m/survey/questions/{id}/delete");
                    cells.push(mk(r, t, path, form(&[]), e, vec![]));
                }
            }
        }
        ("GET" | "POST", "/a/{token}") => {
            for r in ROLES {
                for (t, token, valid) in [
                    ("X's link", w.x_survey.clone(), true),
                    ("unknown", "A".repeat(w.x_survey.len().max(22)), false),
                    ("malformed", "short".to_string(), false),
                ] {
                    let e = if valid { ok(200) } else { deny(404) };
                    let body = if method == "POST" {
                        form(&[("H1", "1"), ("R1", "2")])
                    } else {
                        Body::None
                    };
                    let disclosed = if valid {
                        vec![Group::XAccount, Group::XLink]
                    } else {
                        vec![]
                    };
                    cells.push(mk(r, t, format!("/a/{token}"), body, e, disclosed));
                }
            }
        }
        ("GET", "/m/{*rest}") => {
            for r in ROLES {
                cells.push(mk(
                    r,
                    "no such page",
                    "/m/no-such-page".into(),
                    Body::None,
                    deny(404),
                    vec![],
                ));
            }
        }
        _ => panic!("no cells for {method} {route}: add them to the authorization matrix"),
    }
    cells
}

// ---------------------------------------------------------------------------------------------
// Running a cell.

/// Statuses of one endpoint per role: (target index, status with `!` / `L` marks).
type Row = BTreeMap<Role, Vec<(usize, String)>>;

struct Answer {
    status: u16,
    location: String,
    body: Vec<u8>,
}

async fn run_cell(w: &World, http: &reqwest::Client, cell: &Cell) -> Answer {
    let role = cell.role;
    let fresh;
    let session: Option<&Session> = if role.has_session() && cell.fresh_session {
        let (login, page) = match role {
            Role::MuniX => ("authz-x", "/m"),
            Role::MuniY => ("authz-y", "/m"),
            _ => ("authz-op", "/operator"),
        };
        fresh = session_of(&w.app, login, page).await;
        Some(&fresh)
    } else {
        w.sessions.get(&role)
    };
    let public_form =
        cell.path == "/login" || cell.path.starts_with("/a/") || cell.path.starts_with("/t/");
    let csrf = match session {
        Some(s) if !public_form => s.csrf.clone(),
        _ => FORM_TOKEN.to_string(),
    };
    let mut url = w.app.url(&cell.path);
    if matches!(cell.body, Body::Upload { .. }) {
        url.push_str(&format!("?csrf={csrf}"));
    }
    let method = Method::from_bytes(cell.method.as_bytes()).unwrap();
    let mut req = http.request(method, url);
    let mut cookie = format!("tsunagu_form={FORM_TOKEN}");
    if let Some(s) = session {
        cookie.push_str(&format!("; tsunagu_session={}", s.cookie));
    }
    req = req.header("cookie", cookie);
    if let Some(d) = role.desk() {
        req = req.bearer_auth(&w.desks[d].token);
    }
    req = match &cell.body {
        Body::None => req,
        Body::Json(v) => req.json(v),
        Body::Envelope(env) => req
            .header("content-type", "application/octet-stream")
            .header(
                tsunagu_protocol::ROUTING_HEADER,
                tsunagu_protocol::encode_routing_header(&env.routing).unwrap(),
            )
            .body(env.ciphertext.clone()),
        Body::Form(fields) => {
            let mut f = fields.clone();
            f.push(("csrf".into(), csrf.clone()));
            req.form(&f)
        }
        Body::Upload { kind, name, bytes } => req.multipart(
            reqwest::multipart::Form::new()
                .text("kind", kind.to_string())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()),
                ),
        ),
        Body::EffectForm => {
            // The operator has a session but no such page: "0" like everyone else without one.
            let mut version = "0".to_string();
            if let Some(s) = session {
                let page = http
                    .get(w.app.url("/m/effect"))
                    .header("cookie", format!("tsunagu_session={}", s.cookie))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let field = "name=\"version\" value=\"";
                if let Some(at) = page.find(field) {
                    let rest = &page[at + field.len()..];
                    version = rest[..rest.find('"').unwrap()].to_string();
                }
            }
            req.form(&[("csrf", csrf.as_str()), ("version", version.as_str())])
        }
        Body::FreshRegister => {
            let invite = ops::issue_invite(
                w.app.store.as_ref(),
                office_of("E"),
                Some(OFFICES[4].2),
                Some(&muni_code_of("E")),
                14,
                tsunagu_hub::now_unix(),
            )
            .await
            .unwrap();
            req.json(&register_json(&invite.code))
        }
    };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.bytes().await.unwrap().to_vec();
    Answer {
        status,
        location,
        body,
    }
}

/// The part of an answer worth reading in a failure: from its error code when it has one.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let from = text.find("E-").unwrap_or(0);
    text[from..].chars().take(200).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Markers in the answer that the role may not see in this cell.
fn leaks(w: &World, cell: &Cell, answer: &Answer) -> Vec<String> {
    let allowed: BTreeSet<Group> = cell
        .role
        .visible()
        .iter()
        .copied()
        .chain(if cell.expect.allowed {
            cell.disclosed.clone()
        } else {
            vec![]
        })
        .collect();
    let mut found = Vec::new();
    for (group, label, bytes) in &w.markers {
        if allowed.contains(group)
            || cell
                .echo_ok
                .iter()
                .any(|e| e.as_bytes() == bytes.as_slice())
        {
            continue;
        }
        // An allowed answer may repeat the id its own path names (a link's form posts to it).
        if cell.expect.allowed && contains(cell.path.as_bytes(), bytes) {
            continue;
        }
        if contains(&answer.body, bytes) || contains(answer.location.as_bytes(), bytes) {
            found.push(format!("{label} ({group:?})"));
        }
    }
    found
}

#[tokio::test]
async fn every_endpoint_every_role_someone_elses_ids() {
    let db = TestDb::sqlite();
    matrix(&db, "SQLite").await;
    db.cleanup().await;
}

/// The same matrix over PostgreSQL (the store's scoping is the same SQL, but it is checked, not
/// assumed). Skipped with a notice when PostgreSQL is not reachable.
#[tokio::test]
async fn every_endpoint_every_role_someone_elses_ids_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    matrix(&db, "PostgreSQL").await;
    db.cleanup().await;
}

async fn matrix(db: &TestDb, backend: &str) {
    let w = World::build(db).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // 1. The tables hold every endpoint: the OpenAPI document's, the API router's, the web router's.
    let doc: serde_json::Value = http
        .get(w.app.url(routes::OPENAPI))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["get", "post", "put", "delete", "patch"] {
            if item.get(m).is_some() {
                documented.insert((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    let api_table: BTreeSet<(String, String)> = API
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&api_table).collect();
    assert!(
        missing.is_empty(),
        "OpenAPI operations missing from the matrix: {missing:?}"
    );
    let stale: Vec<_> = api_table.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "matrix rows the OpenAPI document does not have: {stale:?}"
    );
    let served: BTreeSet<(String, String)> =
        routes_in_source(include_str!("../../src/startup.rs"), api_constant)
            .into_iter()
            .collect();
    let all_api: BTreeSet<(String, String)> = api_table
        .iter()
        .cloned()
        .chain(
            API_UNDOCUMENTED
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    let missing: Vec<_> = served.difference(&all_api).collect();
    assert!(
        missing.is_empty(),
        "API routes missing from the matrix: {missing:?}"
    );
    let web_src = include_str!("../../src/web/mod.rs");
    let web_served: BTreeSet<(String, String)> =
        routes_in_source(web_src, |_| None).into_iter().collect();
    let web_table: BTreeSet<(String, String)> = WEB
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = web_served.difference(&web_table).collect();
    assert!(
        missing.is_empty(),
        "web routes missing from the matrix: {missing:?}"
    );
    let stale: Vec<_> = web_table.difference(&web_served).collect();
    assert!(
        stale.is_empty(),
        "matrix rows the web router does not have: {stale:?}"
    );
    assert!(
        !web_src.contains(".merge(") && !web_src.contains(".nest("),
        "the web router merges another router: read its routes into the matrix"
    );

    // 2. Every cell.
    let endpoints: Vec<(&'static str, &'static str)> = API
        .iter()
        .chain(API_UNDOCUMENTED)
        .chain(WEB)
        .copied()
        .collect();
    let mut failures = Vec::new();
    let mut leak_count = 0;
    let mut cell_count = 0;
    let mut denied_count = 0;
    let mut summary: Vec<(String, Row, Vec<String>)> = Vec::new();
    // Answers the leak check must catch when shown to the wrong role (checked at the end).
    let mut probes: Vec<(Role, Cell, Answer)> = Vec::new();
    for (method, route) in endpoints {
        let mut row = Row::new();
        let mut endpoint_cells: Vec<(usize, Cell)> = cells_of(&w, method, route)
            .into_iter()
            .enumerate()
            .collect();
        let targets: Vec<String> = endpoint_cells
            .iter()
            .filter(|(_, c)| c.role == Role::Anonymous)
            .map(|(_, c)| c.target.clone())
            .collect();
        // Denied cells first: an allowed one may delete or revoke what the others then try.
        endpoint_cells.sort_by_key(|(_, c)| c.expect.allowed);
        for (index, cell) in endpoint_cells {
            let answer = run_cell(&w, &http, &cell).await;
            cell_count += 1;
            if !cell.expect.allowed {
                denied_count += 1;
            }
            let mut mark = answer.status.to_string();
            let location_ok = cell
                .expect
                .location
                .is_none_or(|l| answer.location.starts_with(l));
            if answer.status != cell.expect.status || !location_ok {
                mark.push('!');
                failures.push(format!(
                    "{method} {route} [{}] as {}: expected {}{} got {} {} — {}",
                    cell.target,
                    cell.role.short(),
                    cell.expect.status,
                    cell.expect
                        .location
                        .map(|l| format!(" → {l}"))
                        .unwrap_or_default(),
                    answer.status,
                    answer.location,
                    excerpt(&answer.body)
                ));
            }
            let found = leaks(&w, &cell, &answer);
            if !found.is_empty() {
                leak_count += found.len();
                mark.push('L');
                failures.push(format!(
                    "LEAK {method} {route} [{}] as {} ({}): {}",
                    cell.target,
                    cell.role.short(),
                    answer.status,
                    found.join(", ")
                ));
            }
            row.entry(cell.role).or_default().push((index, mark));
            let probe = match (route, cell.target.as_str(), cell.role) {
                ("/api/v1/envelopes/{envelope_id}/ciphertext", "ab", Role::DeviceA) => {
                    Some(Role::DeviceC)
                }
                ("/m/offices", _, Role::MuniY) => Some(Role::MuniX),
                ("/m/data", _, Role::MuniX) => Some(Role::MuniY),
                ("/a/{token}", "X's link", Role::Anonymous) if method == "GET" => Some(Role::MuniY),
                _ => None,
            };
            if let Some(wrong) = probe {
                probes.push((wrong, cell, answer));
            }
        }
        summary.push((format!("{method} {route}"), row, targets));
    }

    // The leak check itself catches a leak: these answers, shown to another role, must flag.
    assert_eq!(probes.len(), 4, "probe cells");
    for (wrong, mut cell, answer) in probes {
        let role = cell.role;
        cell.role = wrong;
        cell.disclosed.clear();
        assert!(
            !leaks(&w, &cell, &answer).is_empty(),
            "the leak check misses {}'s answer to {} shown to {}",
            role.short(),
            cell.path,
            wrong.short()
        );
    }

    // 3. The matrix, compact: one line per endpoint, one column per role, one status per target.
    let mut out = String::new();
    let width = summary
        .iter()
        .map(|(k, _, _)| k.chars().count())
        .max()
        .unwrap_or(10);
    let _ = write!(out, "{:width$}", "endpoint \\ role");
    for r in ROLES {
        let _ = write!(out, " | {:<15}", r.short());
    }
    out.push_str(" | targets (someone else's ids), in the order of each column\n");
    for (endpoint, row, targets) in &summary {
        let _ = write!(out, "{endpoint:width$}");
        for r in ROLES {
            let mut marks = row.get(&r).cloned().unwrap_or_default();
            marks.sort();
            let cells: Vec<String> = marks.into_iter().map(|(_, m)| m).collect();
            let _ = write!(out, " | {:<15}", cells.join("/"));
        }
        if targets.iter().any(|t| t != "-") {
            let _ = write!(out, " | {}", targets.join(" / "));
        }
        out.push('\n');
    }
    println!("{out}");
    println!(
        "authorization matrix ({backend}): {} endpoints ({} API, {} web), {} roles, {cell_count} cells ({denied_count} denied, {} allowed), {leak_count} leaks, {} failures",
        summary.len(),
        API.len() + API_UNDOCUMENTED.len(),
        WEB.len(),
        ROLES.len(),
        cell_count - denied_count,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing cells:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cell_count > 500, "{cell_count} cells");
}
