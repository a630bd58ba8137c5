//! Checking: every rule of §4–§7 that the spec states, on one file and on a send unit.
//! Rules the spec marks 推定 give warnings, not errors.

mod fields;
mod rules;
mod send_unit;

use serde::{Deserialize, Serialize};

use crate::file_kind::FileKind;
use crate::finding::{Finding, Problem, Severity, Tally};
use crate::reader;
use crate::record::{CsvFile, Document};

pub use fields::check_field;
pub use rules::carried_numbers;
pub use send_unit::{check_unit, group_units, unit_label};

/// Findings of the same code beyond this many per file are summarised in one line.
pub const MAX_REPEATS_PER_CODE: usize = 20;

/// Checks every record and field of a file, and the rules across its records.
pub fn check_file(file: &CsvFile) -> Vec<Finding> {
    let mut out = Vec::new();
    let layout = file.layout;
    let expected = layout.fields.len();
    let mut problems = Vec::new();
    for r in &file.records {
        if r.fields.len() != expected {
            let p = Problem::FieldCount {
                expected,
                actual: r.fields.len(),
            };
            out.push(Finding::new(&p, &file.file_name).at_record(r));
        }
        let summary_line = is_annex_summary(file, r);
        for (spec, value) in layout.fields.iter().zip(&r.fields) {
            if summary_line && value.is_empty() && SUMMARY_LINE_EMPTY.contains(&spec.key) {
                continue;
            }
            fields::check_field(spec, value, &mut problems);
            if problems.is_empty() {
                continue;
            }
            for p in problems.drain(..) {
                out.push(
                    Finding::new(&p, &file.file_name)
                        .at_record(r)
                        .at_field(spec),
                );
            }
        }
    }
    rules::check_rules(file, &mut out);
    let counts_ok = file.records.iter().all(|r| r.fields.len() == expected);
    if !file.canonical && counts_ok && file.encoding == crate::encoding::SourceEncoding::Cp932 {
        out.push(Finding::new(&Problem::NotCanonical, &file.file_name));
    }
    out
}

/// Fields a 第7表 種類別小計 / 全合計 line leaves empty: it has no 回数 of its own (the paper 別表
/// prints none), although the field is required on service lines.
const SUMMARY_LINE_EMPTY: &[&str] = &["count"];

fn is_annex_summary(file: &CsvFile, r: &crate::record::Record) -> bool {
    if file.kind() != FileKind::ServiceAnnex {
        return false;
    }
    rules::is_summary_code(file.get(r, "service_code"))
}

/// Keeps the first [`MAX_REPEATS_PER_CODE`] findings of each code and summarises the rest.
pub fn cap_repeats(findings: Vec<Finding>) -> Vec<Finding> {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(findings.len().min(1024));
    let mut file = String::new();
    for f in findings {
        let n = counts.entry(f.code.clone()).or_default();
        *n += 1;
        if *n <= MAX_REPEATS_PER_CODE {
            file.clone_from(&f.file);
            out.push(f);
        }
    }
    let mut more: Vec<(String, usize)> = counts
        .into_iter()
        .filter(|(_, n)| *n > MAX_REPEATS_PER_CODE)
        .map(|(c, n)| (c, n - MAX_REPEATS_PER_CODE))
        .collect();
    more.sort();
    for (code, more) in more {
        out.push(Finding::new(&Problem::Repeated { code, more }, &file));
    }
    out
}

/// The result of checking one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<FileKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv_version: Option<String>,
    pub records: usize,
    pub findings: Vec<Finding>,
}

/// The result of checking one send unit as a whole.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitReport {
    pub unit: String,
    pub files: Vec<String>,
    pub findings: Vec<Finding>,
}

/// The result of checking a set of files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    pub files: Vec<FileReport>,
    pub units: Vec<UnitReport>,
    pub tally: Tally,
}

impl CheckReport {
    pub fn has_errors(&self) -> bool {
        self.tally.errors > 0
    }

    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files
            .iter()
            .flat_map(|f| &f.findings)
            .chain(self.units.iter().flat_map(|u| &u.findings))
    }
}

/// Reads and checks one file.
pub fn check_bytes(file_name: &str, bytes: &[u8]) -> (Option<Document>, FileReport) {
    let outcome = reader::read(file_name, bytes);
    let mut findings = outcome.findings;
    let (kind, csv_version, records) = match &outcome.document {
        Some(Document::Csv(c)) => {
            findings.extend(check_file(c));
            (Some(c.kind()), Some(c.csv_version.clone()), c.records.len())
        }
        Some(Document::Image(i)) => (Some(i.name.kind), None, 0),
        None => (None, None, 0),
    };
    let report = FileReport {
        file: file_name.to_string(),
        kind,
        csv_version,
        records,
        findings: cap_repeats(findings),
    };
    (outcome.document, report)
}

/// Reads and checks files, then the send units they form, using every core the machine offers
/// for large inputs.
pub fn check_all<N: AsRef<str> + Sync, B: AsRef<[u8]> + Sync>(
    inputs: &[(N, B)],
) -> (Vec<Document>, CheckReport) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    check_all_with_threads(inputs, threads)
}

/// [`check_all`] on at most `threads` threads (1 = on the calling thread only). Files are read and
/// checked in parallel in contiguous chunks; the results keep the input order.
pub fn check_all_with_threads<N: AsRef<str> + Sync, B: AsRef<[u8]> + Sync>(
    inputs: &[(N, B)],
    threads: usize,
) -> (Vec<Document>, CheckReport) {
    let check_chunk = |chunk: &[(N, B)]| -> Vec<(Option<Document>, FileReport)> {
        chunk
            .iter()
            .map(|(name, bytes)| check_bytes(name.as_ref(), bytes.as_ref()))
            .collect()
    };
    // Below a few MB, threads cost more than they save.
    let total: usize = inputs.iter().map(|(_, b)| b.as_ref().len()).sum();
    let threads = if total < 4 << 20 {
        1
    } else {
        threads.clamp(1, inputs.len().max(1))
    };
    let checked: Vec<(Option<Document>, FileReport)> = if threads == 1 {
        check_chunk(inputs)
    } else {
        let chunk_len = inputs.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = inputs
                .chunks(chunk_len)
                .map(|chunk| scope.spawn(move || check_chunk(chunk)))
                .collect();
            handles
                .into_iter()
                // A panic in a worker is a bug; re-raise it on this thread rather than lose files.
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let mut documents = Vec::with_capacity(checked.len());
    let mut files = Vec::with_capacity(checked.len());
    for (doc, report) in checked {
        documents.extend(doc);
        files.push(report);
    }
    let units = group_units(&documents)
        .into_iter()
        .map(|(key, docs)| UnitReport {
            unit: unit_label(&key),
            files: docs.iter().map(|d| d.file_name().to_string()).collect(),
            findings: check_unit(&key, &docs),
        })
        .collect::<Vec<_>>();
    let mut tally = Tally::default();
    for f in files
        .iter()
        .flat_map(|f| &f.findings)
        .chain(units.iter().flat_map(|u| &u.findings))
    {
        match f.severity {
            Severity::Error => tally.errors += 1,
            Severity::Warning => tally.warnings += 1,
            Severity::Info => tally.infos += 1,
        }
    }
    (
        documents,
        CheckReport {
            files,
            units,
            tally,
        },
    )
}

/// True when no finding is an error.
pub fn passes(findings: &[Finding]) -> bool {
    !findings.iter().any(|f| f.severity == Severity::Error)
}
