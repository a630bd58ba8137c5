//! What the hub knows about the exchange, as the municipality may count it: who sent how many
//! send units to whom in which month, and which partners each desk reports (office numbers only).
//!
//! CSV forms, for the CLI and for tests:
//! - edges: `月,送信元事業所番号,送信先事業所番号,件数` (月 `2025-06`, optional; 件数 optional, 1)
//! - partners: `報告元事業所番号,相手事業所番号[,月あたり件数]` (what desks report to the hub;
//!   the hub itself keeps them in its database, this form is for the CLI and tests)

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::input::{CsvTable, InputError};
use crate::offices::OfficeNo;

/// Send units from one office to another (in one month, when known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeEdge {
    /// `2025-06`.
    pub month: Option<String>,
    pub sender: OfficeNo,
    pub recipient: OfficeNo,
    pub units: u32,
}

/// A partner an office's desk says it works with (whether or not that partner is on the hub).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedPartner {
    pub reporter: OfficeNo,
    pub partner: OfficeNo,
    /// Send units per month with that partner, when the desk counted them.
    #[serde(default)]
    pub units_per_month: Option<u32>,
}

/// `2025-06`, `2025/6`, `202506` → `2025-06`.
pub fn parse_month(s: &str) -> Option<String> {
    let s = s.trim();
    let (y, m) = if let Some((y, m)) = s.split_once(['-', '/', '年']) {
        (y, m.trim_end_matches('月'))
    } else if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.split_at(4)
    } else {
        return None;
    };
    let y: u16 = y.parse().ok()?;
    let m: u8 = m.parse().ok()?;
    ((1900..=2999).contains(&y) && (1..=12).contains(&m)).then(|| format!("{y:04}-{m:02}"))
}

fn office_field(
    t: &CsvTable,
    line: u64,
    col: usize,
    value: &str,
    issues: &mut Vec<InputError>,
) -> Option<OfficeNo> {
    match OfficeNo::parse_lenient(value) {
        Some((n, restored)) => {
            if restored {
                issues.push(
                    InputError::at(
                        "E-INS-NUMBER-ZERO",
                        &t.file,
                        line,
                        Some(t.name(col)),
                        "先頭の0を補って事業所番号としました",
                    )
                    .warning(),
                );
            }
            Some(n)
        }
        None => {
            issues.push(InputError::at(
                "E-INS-NUMBER",
                &t.file,
                line,
                Some(t.name(col)),
                "事業所番号は英数字10文字です。この行は読み飛ばしました",
            ));
            None
        }
    }
}

pub fn parse_edges(
    file: &str,
    bytes: &[u8],
) -> Result<(Vec<ExchangeEdge>, Vec<InputError>), InputError> {
    let t = CsvTable::parse(file, bytes)?;
    let c_from = t.require(&["送信元事業所番号", "送信元"])?;
    let c_to = t.require(&["送信先事業所番号", "送信先"])?;
    let c_units = t.column(&["件数", "送信単位数"]);
    let c_month = t.column(&["月", "サービス提供年月", "年月"]);
    let mut edges = Vec::new();
    let mut issues = Vec::new();
    for r in &t.rows {
        let from = office_field(&t, r.line, c_from, r.get(Some(c_from)), &mut issues);
        let to = office_field(&t, r.line, c_to, r.get(Some(c_to)), &mut issues);
        let units = match r.get(c_units) {
            "" => Some(1),
            s => s.parse::<u32>().ok(),
        };
        let Some(units) = units else {
            issues.push(InputError::at(
                "E-INS-UNITS",
                file,
                r.line,
                c_units.map(|c| t.name(c)),
                "件数は0以上の整数です",
            ));
            continue;
        };
        let month = match r.get(c_month) {
            "" => None,
            s => match parse_month(s) {
                Some(m) => Some(m),
                None => {
                    issues.push(InputError::at(
                        "E-INS-MONTH",
                        file,
                        r.line,
                        c_month.map(|c| t.name(c)),
                        "月は 2025-06 の形で書いてください",
                    ));
                    continue;
                }
            },
        };
        if let (Some(sender), Some(recipient)) = (from, to) {
            edges.push(ExchangeEdge {
                month,
                sender,
                recipient,
                units,
            });
        }
    }
    Ok((edges, issues))
}

pub fn parse_partners(
    file: &str,
    bytes: &[u8],
) -> Result<(Vec<ReportedPartner>, Vec<InputError>), InputError> {
    let t = CsvTable::parse(file, bytes)?;
    let c_rep = t.require(&["報告元事業所番号", "報告元"])?;
    let c_par = t.require(&["相手事業所番号", "相手"])?;
    let c_units = t.column(&["月あたり件数", "件数"]);
    let mut out = Vec::new();
    let mut issues = Vec::new();
    for r in &t.rows {
        let a = office_field(&t, r.line, c_rep, r.get(Some(c_rep)), &mut issues);
        let b = office_field(&t, r.line, c_par, r.get(Some(c_par)), &mut issues);
        let units_per_month = match r.get(c_units) {
            "" => None,
            s => match s.parse::<u32>() {
                Ok(u) => Some(u),
                Err(_) => {
                    issues.push(InputError::at(
                        "E-INS-UNITS",
                        file,
                        r.line,
                        c_units.map(|c| t.name(c)),
                        "件数は0以上の整数です",
                    ));
                    continue;
                }
            },
        };
        if let (Some(reporter), Some(partner)) = (a, b) {
            out.push(ReportedPartner {
                reporter,
                partner,
                units_per_month,
            });
        }
    }
    Ok((out, issues))
}

/// Undirected partner graph: for each office, its partners and the units exchanged with each
/// (reported partners with no units count 0).
pub fn partner_graph(
    edges: &[ExchangeEdge],
    reported: &[ReportedPartner],
) -> BTreeMap<OfficeNo, BTreeMap<OfficeNo, u32>> {
    let mut g: BTreeMap<OfficeNo, BTreeMap<OfficeNo, u32>> = BTreeMap::new();
    for e in edges {
        if e.sender == e.recipient {
            continue;
        }
        *g.entry(e.sender)
            .or_default()
            .entry(e.recipient)
            .or_insert(0) += e.units;
        *g.entry(e.recipient)
            .or_default()
            .entry(e.sender)
            .or_insert(0) += e.units;
    }
    for p in reported {
        if p.reporter == p.partner {
            continue;
        }
        g.entry(p.reporter)
            .or_default()
            .entry(p.partner)
            .or_insert(0);
        g.entry(p.partner)
            .or_default()
            .entry(p.reporter)
            .or_insert(0);
    }
    g
}

/// Months present in the edges, sorted.
pub fn months(edges: &[ExchangeEdge]) -> Vec<String> {
    let set: BTreeSet<&String> = edges.iter().filter_map(|e| e.month.as_ref()).collect();
    set.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_edges_and_partners() {
        let (e, issues) = parse_edges(
            "e.csv",
            "月,送信元事業所番号,送信先事業所番号,件数\n2025/6,3170100011,317010002,3\n2025-06,x,3170100011,1\n202507,3170100011,3170100012,\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].recipient.as_str(), "0317010002");
        assert_eq!(e[0].month.as_deref(), Some("2025-06"));
        assert_eq!(e[1].units, 1);
        assert_eq!(issues.len(), 2); // restored zero (warning) + bad number
        let (p, issues) = parse_partners(
            "p.csv",
            "報告元事業所番号,相手事業所番号,月あたり件数\n3170100011,3170100099,\n3170100011,3170100098,4\n3170100011,3170100097,x\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(issues.len(), 1, "bad count");
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].units_per_month, p[1].units_per_month),
            (None, Some(4))
        );
        let p = &p[..1];
        let g = partner_graph(&e, p);
        let a = OfficeNo::parse("3170100011").unwrap();
        assert_eq!(g[&a].len(), 3);
        assert_eq!(g[&a][&OfficeNo::parse("0317010002").unwrap()], 3);
        assert_eq!(months(&e), vec!["2025-06", "2025-07"]);
    }

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("2025年6月").as_deref(), Some("2025-06"));
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("abc"), None);
    }
}
