//! A few seconds of the exchange bench with tiny counts, so the bench code cannot rot. It checks
//! that every phase runs and every accepted envelope is received and acknowledged; it asserts
//! no timings (numbers belong in docs/performance.md, from a release build).

use std::process::Command;

#[test]
fn exchange_bench_runs_end_to_end() {
    let out = Command::new(env!("CARGO_BIN_EXE_tsunagu-bench"))
        .args([
            "exchange",
            "--offices",
            "3",
            "--units",
            "24",
            "--concurrency",
            "4",
            "--duration-secs",
            "2",
            "--skip-nginx",
        ])
        .env_remove("TSUNAGU_DB_POOL_SIZE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for expected in [
        "baseline: minimal axum",
        "**hub** (SQLite) PUT /api/v1/envelopes, full speed",
        "while receivers download + post receipts",
        "receipts/s",
        "hub ÷ minimal axum+SQLite",
        "hub memory: peak (VmHWM)",
        "result: every accepted envelope was received and acknowledged",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}
