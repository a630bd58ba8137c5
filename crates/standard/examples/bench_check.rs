//! Benchmark: full checking (`check_all`: decode, parse, every field and rule, send units) against
//! plain `csv` crate parsing of the same, already decoded text, in one run on one corpus.
//!
//! ```text
//! cargo run --release -p tsunagu -- sample --offices 40 --users 100 --month 202504 --out /tmp/corpus
//! cargo run --release -p tsunagu-standard --example bench_check -- /tmp/corpus [ROUNDS]
//! ```
//! Numbers go into docs/performance.md with the command and the machine.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tsunagu_standard::check::check_all;
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
            Ok((
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read(p)?,
            ))
        })
        .collect::<std::io::Result<_>>()?;
    let bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let texts: Vec<String> = inputs
        .iter()
        .filter(|(n, _)| n.to_ascii_uppercase().ends_with(".CSV"))
        .map(|(_, b)| encoding::decode(b).map(|(t, _)| t).unwrap_or_default())
        .collect();
    let mb = bytes as f64 / 1e6;
    println!(
        "corpus: {} files, {:.1} MB, {} rounds",
        inputs.len(),
        mb,
        rounds
    );

    let (mut plain, mut full) = (Vec::new(), Vec::new());
    let mut checked = (0usize, 0usize);
    for _ in 0..rounds {
        let t = Instant::now();
        let fields = plain_parse(&texts);
        plain.push(t.elapsed());
        std::hint::black_box(fields);

        let t = Instant::now();
        let (_, report) = check_all(&inputs);
        full.push(t.elapsed());
        checked = (
            report.files.iter().map(|f| f.records).sum(),
            report.tally.errors,
        );
    }
    let (p, f) = (median(plain), median(full));
    let (ps, fs) = (mb / p.as_secs_f64(), mb / f.as_secs_f64());
    println!(
        "plain csv parse of decoded text: {:>8.1} MB/s (median {:?})",
        ps, p
    );
    println!(
        "tsunagu full check from bytes:   {:>8.1} MB/s (median {:?}), {} records, {} errors",
        fs, f, checked.0, checked.1
    );
    println!("ratio full / plain: {:.2}", fs / ps);
    Ok(())
}
