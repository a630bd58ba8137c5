//! A second user for an existing municipality: the operator adds one on its page (CSRF, checks,
//! 404 for an unknown account, not for municipality users), or with `tsunagu hub municipality
//! add-user`; the new user sees the same municipality's dashboard and nothing else; each
//! municipality's 利用者 page lists its own users only.

use clap::Parser;
use tsunagu_hub::HubArgs;

use crate::helpers::TestDb;
use crate::web::{Browser, PASSWORD, two_cities, upload_sample};

/// The account id in the add-user form of the operator page's row of `name`.
fn add_user_action(page: &str, name: &str) -> String {
    let row = &page[page.find(&format!("<td>{name}</td>")).unwrap()..];
    let at = row.find("action=\"/operator/municipalities/").unwrap() + 8;
    row[at..at + row[at..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn the_operator_adds_a_second_user_to_a_municipality() {
    let db = TestDb::sqlite();
    let (app, _) = two_cities(&db).await;
    let mut a = Browser::new(&app);
    a.login("city-a", PASSWORD).await;
    upload_sample(&mut a).await;

    let mut op = Browser::new(&app);
    op.login("operator", PASSWORD).await;
    let page = op.get("/operator").await;
    let action = add_user_action(&page.text(), "つなぐ市");
    assert!(action.ends_with("/users"));
    let csrf = page.csrf();

    // Refusals: no token, a taken login, a short password, an unknown account.
    let r = op
        .post(&action, &[("login", "city-a-2"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, 403);
    for (login, password, code) in [
        ("city-b", PASSWORD, "E-HUB-OPS-008"),
        ("city-a-2", "short", "E-HUB-OPS-007"),
        ("米子", PASSWORD, "E-HUB-OPS-006"),
    ] {
        let r = op
            .post(
                &action,
                &[("csrf", &csrf), ("login", login), ("password", password)],
            )
            .await;
        assert_eq!(r.status, 400, "{login}");
        assert!(r.text().contains(code), "{login}: {}", r.text());
    }
    let r = op
        .post(
            "/operator/municipalities/muni_nobody/users",
            &[("csrf", &csrf), ("login", "ghost"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 404);
    // A municipality user has no operator pages, even with its own valid token.
    let a_csrf = a.get("/m").await.csrf();
    let r = a
        .post(
            &action,
            &[
                ("csrf", &a_csrf),
                ("login", "sneaky"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(
        app.store
            .web_user_by_login("sneaky")
            .await
            .unwrap()
            .is_none()
    );

    // Added.
    let r = op
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("login", "city-a-2"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = op.get(r.location()).await.text();
    assert!(page.contains("つなぐ市 に city-a-2 を利用者として追加しました"));
    let row = &page[page.find("<td>つなぐ市</td>").unwrap()..];
    assert!(row[..row.find("</tr>").unwrap()].contains("city-a、city-a-2"));

    // The second user sees つなぐ市's dashboard, the same offices as the first, nothing of B.
    let mut a2 = Browser::new(&app);
    assert_eq!(a2.login("city-a-2", PASSWORD).await.location(), "/");
    let offices = a2.get("/m/csv/offices.csv").await.text();
    assert_eq!(offices, a.get("/m/csv/offices.csv").await.text());
    assert!(!offices.contains("0300000100"));
    assert_eq!(a2.get("/m/offices/0300000100").await.status, 404);

    // 利用者: each municipality lists its own users only.
    let list = a2.get("/m/account").await.text();
    let table = &list[list.find("id=\"user-table\"").unwrap()..];
    assert!(table.contains("city-a-2 <span class=\"muted\">（あなた）</span>"));
    assert!(table.contains("<td>city-a</td>"));
    assert!(!table.contains("city-b") && !table.contains("operator"));
    let b_list = {
        let mut b = Browser::new(&app);
        b.login("city-b", PASSWORD).await;
        b.get("/m/account").await.text()
    };
    assert!(b_list.contains("city-b") && !b_list.contains("city-a"));
    assert_eq!(op.get("/m/account").await.status, 404);

    // The account's creation is in the audit chain, bound to the municipality.
    let audit = app.store.audit_rows(0, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.event == "web_user_created" && r.detail.contains("city-a-2"))
    );
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: HubArgs,
}

#[test]
fn the_cli_adds_a_user_by_municipality_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite").to_string_lossy().into_owned();
    let run = |rest: &[&str]| {
        let mut argv = vec!["hub"];
        argv.extend_from_slice(rest);
        argv.extend_from_slice(&["--database", &db]);
        tsunagu_hub::run(Cli::try_parse_from(argv).unwrap().hub)
    };
    // The password from a variable every process has (setting one in a multi-threaded test
    // process is unsound); PATH is long enough for the 10-character minimum.
    assert!(std::env::var("PATH").unwrap().chars().count() >= 10);
    let pw = ["--password-env", "PATH"];
    let mut add = vec![
        "municipality",
        "add",
        "--code",
        "312029",
        "--name",
        "米子市",
        "--user",
        "yonago",
    ];
    add.extend_from_slice(&pw);
    run(&add).unwrap();
    let mut second = vec![
        "municipality",
        "add-user",
        "--code",
        "312029",
        "--user",
        "yonago-2",
    ];
    second.extend_from_slice(&pw);
    run(&second).unwrap();
    // An unknown code says so; a taken login too.
    let mut unknown = vec![
        "municipality",
        "add-user",
        "--code",
        "312045",
        "--user",
        "x-user",
    ];
    unknown.extend_from_slice(&pw);
    let e = run(&unknown).unwrap_err().to_string();
    assert!(e.contains("E-HUB-OPS-012"), "{e}");
    let e = run(&second).unwrap_err().to_string();
    assert!(e.contains("E-HUB-OPS-008"), "{e}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let users = rt.block_on(async {
        let store = tsunagu_hub::store::open(&db, 2).await.unwrap();
        let m = store.municipalities().await.unwrap();
        store.web_users_of(&m[0].muni_id).await.unwrap()
    });
    let logins: Vec<&str> = users.iter().map(|u| u.login.as_str()).collect();
    assert_eq!(logins, ["yonago", "yonago-2"]);
}
