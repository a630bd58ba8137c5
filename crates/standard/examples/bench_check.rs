//! Benchmark: full checking (`check_all`: decode, parse, every field and rule, send units) against
//! plain `csv` crate parsing of the same, already decoded text, in one run on one corpus.
//!
//! ```text
//! cargo run --release -p tsunagu -- sample --offices 120 --users 100 --month 202504 --out /tmp/corpus
//! cargo run --release -p tsunagu-standard --example bench_check -- /tmp/corpus [ROUNDS]
//! ```
//! The plain parse uses the csv crate the ordinary way (a `csv::Reader` per file, one thread). The
//! full check is timed on one thread and on every core. Numbers go into docs/performance.md with
//! the command and the machine.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tsunagu_standard::check::check_all_with_threads;
use tsunagu_standard::encoding;

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            files_under(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn plain_parse(texts: &[String]) -> usize {
    let mut fields = 0usize;
    let mut record = csv::StringRecord::new();
    for t in texts {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(t.as_bytes());
        while rdr.read_record(&mut record).unwrap_or(false) {
            fields += record.len();
        }
    }
    fields
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: bench_check CORPUS_DIR [ROUNDS]")?,
    );
    let rounds: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let mut paths = Vec::new();
    files_under(&dir, &mut paths)?;
    paths.sort();
    let inputs: Vec<(String, Vec<u8>)> = paths
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Ok((name, std::fs::read(p)?))
        })
        .collect::<std::io::Result<_>>()?;
    let bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let texts: Vec<String> = inputs
        .iter()
        .filter(|(n, _)| n.to_ascii_uppercase().ends_with(".CSV"))
        .map(|(_, b)| encoding::decode(b).map(|(t, _)| t).unwrap_or_default())
        .collect();
    let mb = bytes as f64 / 1e6;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "corpus: {} files, {mb:.1} MB, {rounds} rounds, {threads} cores",
        inputs.len()
    );

    let (mut plain, mut single, mut all) = (Vec::new(), Vec::new(), Vec::new());
    let mut checked = (0usize, 0usize);
    for _ in 0..rounds {
        let t = Instant::now();
        let fields = plain_parse(&texts);
        plain.push(t.elapsed());
        std::hint::black_box(fields);

        let t = Instant::now();
        let (_, report) = check_all_with_threads(&inputs, 1);
        single.push(t.elapsed());
        checked = (
            report.files.iter().map(|f| f.records).sum(),
            report.tally.errors,
        );

        let t = Instant::now();
        let (_, report) = check_all_with_threads(&inputs, threads);
        all.push(t.elapsed());
        std::hint::black_box(report);
    }
    let (p, s, a) = (median(plain), median(single), median(all));
    let rate = |d: Duration| mb / d.as_secs_f64();
    println!(
        "plain csv parse of decoded text, 1 thread: {:>7.1} MB/s (median {p:?})",
        rate(p)
    );
    println!(
        "full check from bytes, 1 thread:           {:>7.1} MB/s (median {s:?}), {} records, {} errors",
        rate(s),
        checked.0,
        checked.1
    );
    println!(
        "full check from bytes, {threads} threads:           {:>7.1} MB/s (median {a:?})",
        rate(a)
    );
    println!(
        "ratio full / plain: {:.2} (1 thread), {:.2} ({threads} threads)",
        rate(s) / rate(p),
        rate(a) / rate(p)
    );
    Ok(())
}
