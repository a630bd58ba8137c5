//! `tsunagu hub …` subcommands through `tsunagu_hub::run`, as the binary calls them.

use clap::Parser;
use tsunagu_hub::HubArgs;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: HubArgs,
}

fn args(db: &str, rest: &[&str]) -> HubArgs {
    let mut argv = vec!["hub"];
    argv.extend_from_slice(rest);
    argv.extend_from_slice(&["--database", db]);
    Cli::try_parse_from(argv).unwrap().hub
}

#[test]
fn invite_offices_retention_and_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite").to_string_lossy().into_owned();
    // A new office needs a name and a municipality.
    assert!(
        tsunagu_hub::run(args(
            &db,
            &["invite", "--office", "0300000100", "--kind", "43"]
        ))
        .is_err()
    );
    let invite = [
        "invite",
        "--office",
        "0300000100",
        "--kind",
        "43",
        "--name",
        "居宅A",
        "--municipality",
        "312029",
    ];
    tsunagu_hub::run(args(&db, &invite)).unwrap();
    // A second invite for the now existing office needs no name.
    tsunagu_hub::run(args(
        &db,
        &["invite", "--office", "0300000100", "--kind", "43"],
    ))
    .unwrap();
    tsunagu_hub::run(args(&db, &["offices"])).unwrap();
    tsunagu_hub::run(args(&db, &["retention", "run"])).unwrap();
    tsunagu_hub::run(args(&db, &["audit", "verify"])).unwrap();
    // Alter a row behind the hub's back: verify now fails and names the row.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(
        crate::helpers::TestDb::sqlite_at(&db)
            .execute_raw("UPDATE audit_log SET at = at + 1 WHERE seq = 2"),
    );
    let err = tsunagu_hub::run(args(&db, &["audit", "verify"]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("E-HUB-AUDIT-001") && err.contains(" 2 "),
        "{err}"
    );
}
