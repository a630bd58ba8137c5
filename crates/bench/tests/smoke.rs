//! A few seconds of the exchange bench with tiny counts, so the bench code cannot rot. It checks
//! that every phase runs and every accepted envelope is received and acknowledged; it asserts
//! no timings (numbers belong in docs/performance.md, from a release build).

use std::process::Command;

/// Runs the bench binary with `args` (the hub's pool size left to its default) and checks that
/// it succeeds and prints every line of `expected`.
fn runs_and_prints(args: &[&str], expected: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_tsunagu-bench"))
        .args(args)
        .env_remove("TSUNAGU_DB_POOL_SIZE")
        .output()
        .expect("the bench binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for expected in expected {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn exchange_bench_runs_end_to_end() {
    runs_and_prints(
        &[
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
        ],
        &[
            "baseline: minimal axum",
            "**hub** (SQLite) PUT /api/v1/envelopes, full speed",
            "while receivers download + post receipts",
            "receipts/s",
            "hub GET /api/v1/inbox (empty inbox",
            "hub ÷ minimal axum+SQLite",
            "hub memory: peak (VmHWM)",
            "result: every accepted envelope was received and acknowledged",
        ],
    );
}

/// Two kill -9 rounds on a tiny burst: the crash check itself runs end to end and finds every
/// unit stored once (the full 20-round run is in docs/reliability.md).
#[test]
fn crash_bench_runs_end_to_end() {
    runs_and_prints(
        &[
            "crash",
            "--rounds",
            "2",
            "--units",
            "300",
            "--rate",
            "150",
            "--offices",
            "2",
            "--concurrency",
            "4",
            "--min-ms",
            "300",
            "--max-ms",
            "600",
        ],
        &[
            "kill  1:",
            "kill  2:",
            "2 kills during the burst",
            "verified in the database: 300 units stored exactly once",
            "audit chain intact: true",
            "result: no acknowledged unit lost or duplicated",
        ],
    );
}

/// A month-end in miniature: both bursts, every unit receipted.
#[test]
fn month_end_bench_runs_end_to_end() {
    runs_and_prints(
        &[
            "month-end",
            "--units",
            "120",
            "--care-offices",
            "3",
            "--providers",
            "6",
            "--concurrency",
            "4",
            "--poll-ms",
            "100",
        ],
        &[
            "| 予定 (居宅 → サービス事業所) | 60 | 0 |",
            "| 実績 (サービス事業所 → 居宅) | 60 | 0 |",
            "whole month-end: 120 units sent, received and acknowledged",
            "result: every unit of the month-end was received and acknowledged",
        ],
    );
}
