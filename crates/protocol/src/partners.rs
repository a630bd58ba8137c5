//! `PUT /api/v1/partners`: the partners an office's desk reports — office numbers only.
//!
//! A desk knows the offices it works with, including those that still fax and are therefore
//! invisible in the hub's sender → recipient graph. The municipality's outreach list needs
//! exactly those. The report carries nothing but 10-digit 事業所番号 and, optionally, a count of
//! send units per month: no names, no 被保険者, nothing else from the care plan. Unknown fields
//! are refused, so a desk cannot send more even by mistake.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_standard::OfficeNumber;
use utoipa::ToSchema;

/// Most partners one report may name. A large 居宅 works with a few hundred offices; the bound
/// keeps one request (and one transaction) small.
pub const MAX_REPORTED_PARTNERS: usize = 2_000;

/// Largest `units_per_month` accepted (far above any real office; a bound, not a plausibility check).
pub const MAX_UNITS_PER_MONTH: u32 = 100_000;

/// The body of `PUT /api/v1/partners`: replaces the caller's office's previous report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerReport {
    /// At most 2,000 entries; an empty list withdraws the office's report.
    pub partners: Vec<ReportedPartner>,
}

/// One partner office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedPartner {
    /// 事業所番号: exactly 10 ASCII digits.
    #[schema(example = "0300000200")]
    pub office_number: String,
    /// Send units exchanged with this partner per month, when the desk can count them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units_per_month: Option<u32>,
}

/// Answer to `PUT /api/v1/partners`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartnerReportResponse {
    /// Distinct partner office numbers stored (duplicates and the office's own number dropped).
    pub stored: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub reported_at: OffsetDateTime,
    /// Days after `reported_at` the report stops counting unless the desk reports again.
    pub counts_for_days: u32,
}

/// Why a report was refused. Positions are 0-based indexes into `partners`; the values
/// themselves are not echoed (they are office numbers, but an error text is no place for data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartnerReportError {
    #[error("too many partners: {0} (at most {MAX_REPORTED_PARTNERS})")]
    TooMany(usize),
    #[error("partners[{0}].office_number is not 10 digits")]
    OfficeNumber(usize),
    #[error("partners[{0}].units_per_month is over {MAX_UNITS_PER_MONTH}")]
    Units(usize),
}

impl PartnerReport {
    /// The distinct partners, checked: 10-digit numbers, bounded count and units. Duplicates
    /// keep the larger count; `own` (the reporting office's number) is dropped, since an office
    /// is not its own partner.
    pub fn check(
        &self,
        own: &OfficeNumber,
    ) -> Result<BTreeMap<OfficeNumber, Option<u32>>, PartnerReportError> {
        if self.partners.len() > MAX_REPORTED_PARTNERS {
            return Err(PartnerReportError::TooMany(self.partners.len()));
        }
        let mut out: BTreeMap<OfficeNumber, Option<u32>> = BTreeMap::new();
        for (i, p) in self.partners.iter().enumerate() {
            let number = OfficeNumber::parse(&p.office_number)
                .map_err(|_| PartnerReportError::OfficeNumber(i))?;
            if p.units_per_month.is_some_and(|u| u > MAX_UNITS_PER_MONTH) {
                return Err(PartnerReportError::Units(i));
            }
            if number == *own {
                continue;
            }
            let units = out.entry(number).or_insert(None);
            *units = (*units).max(p.units_per_month);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: &str, u: Option<u32>) -> ReportedPartner {
        ReportedPartner {
            office_number: n.into(),
            units_per_month: u,
        }
    }

    #[test]
    fn check_dedupes_drops_own_and_refuses_bad_numbers() {
        let own = OfficeNumber::parse("0300000100").unwrap();
        let r = PartnerReport {
            partners: vec![
                p("0300000200", Some(2)),
                p("0300000200", Some(5)),
                p("0300000100", Some(9)),
                p("0300000300", None),
            ],
        };
        let got = r.check(&own).unwrap();
        let got: Vec<(&str, Option<u32>)> = got.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(got, vec![("0300000200", Some(5)), ("0300000300", None)]);

        for bad in [
            "030000020",
            "03000002000",
            "030000020X",
            "０３００００００２０",
            "",
        ] {
            let r = PartnerReport {
                partners: vec![p("0300000200", None), p(bad, None)],
            };
            assert_eq!(
                r.check(&own),
                Err(PartnerReportError::OfficeNumber(1)),
                "{bad}"
            );
        }
        let r = PartnerReport {
            partners: vec![p("0300000200", Some(MAX_UNITS_PER_MONTH + 1))],
        };
        assert_eq!(r.check(&own), Err(PartnerReportError::Units(0)));
        let r = PartnerReport {
            partners: (0..=MAX_REPORTED_PARTNERS)
                .map(|i| p(&format!("{:010}", i + 1), None))
                .collect(),
        };
        assert_eq!(
            r.check(&own),
            Err(PartnerReportError::TooMany(MAX_REPORTED_PARTNERS + 1))
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let ok: PartnerReport =
            serde_json::from_str(r#"{"partners":[{"office_number":"0300000200"}]}"#).unwrap();
        assert_eq!(ok.partners[0].units_per_month, None);
        assert!(
            serde_json::from_str::<PartnerReport>(
                r#"{"partners":[{"office_number":"0300000200","name":"訪問介護つなぐ"}]}"#
            )
            .is_err()
        );
        assert!(serde_json::from_str::<PartnerReport>(r#"{"partners":[],"users":[]}"#).is_err());
    }
}
