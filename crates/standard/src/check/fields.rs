//! Field-level checks: required, 項目長, format, code lists, 外字.

use crate::encoding;
use crate::finding::Problem;
use crate::layout::{FieldSpec, Format, Requirement};
use crate::month::{Date, YearMonth, parse_hhmm};

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn bad(expected: &'static str, expected_en: &'static str) -> Option<Problem> {
    Some(Problem::BadFormat {
        expected,
        expected_en,
    })
}

/// Checks one value against its field spec; pushes every problem found.
pub fn check_field(spec: &FieldSpec, value: &str, out: &mut Vec<Problem>) {
    if value.is_empty() {
        match spec.requirement {
            Requirement::Required => out.push(Problem::RequiredMissing),
            Requirement::Estimated => out.push(Problem::RequiredMissingEstimated),
            Requirement::Optional => {}
        }
        return;
    }
    if !value.is_ascii() && value.chars().any(encoding::is_user_defined) {
        out.push(Problem::UserDefinedCharacter);
    }
    if let Some(max) = spec.max_len {
        // Byte length bounds the character count from above, so most values skip the count.
        if value.len() > usize::from(max) {
            let actual = value.chars().count();
            if actual > usize::from(max) {
                if spec.len_certain {
                    // A value too long for a fixed-format field is also malformed; one finding
                    // says enough.
                    out.push(Problem::TooLong { max, actual });
                    return;
                }
                out.push(Problem::TooLongUncertain { max, actual });
            }
        }
    }
    if let Some(p) = check_format(spec.format, value) {
        out.push(p);
    }
}

fn check_format(format: Format, v: &str) -> Option<Problem> {
    match format {
        Format::CsvVersion => {
            (!digits(v, 6)).then(|| bad("半角数字6桁（YYYYMM）", "6 digits (YYYYMM)"))?
        }
        Format::InsurerNumber => (!digits(v, 6)).then(|| bad("半角数字6桁", "6 digits"))?,
        Format::InsuredNumber => {
            let ok = digits(v, 10) || (v.len() == 10 && v.starts_with('H') && digits(&v[1..], 9));
            (!ok).then(|| {
                bad(
                    "半角数字10桁（生保単独は H＋数字9桁）",
                    "10 digits (or H + 9 digits)",
                )
            })?
        }
        Format::OfficeNumber | Format::OfficeNumberOrAllNines => {
            (!digits(v, 10)).then(|| bad("半角数字10桁", "10 digits"))?
        }
        Format::AllNines => {
            (v != "9999999999").then(|| bad("「9999999999」固定", "fixed 9999999999"))?
        }
        Format::Date => Date::parse(v)
            .is_none()
            .then(|| bad("実在する日付（YYYYMMDD）", "a real date YYYYMMDD"))?,
        Format::DateOrZeros => (v != "00000000" && Date::parse(v).is_none()).then(|| {
            bad(
                "実在する日付（YYYYMMDD）または 00000000",
                "a real date YYYYMMDD or 00000000",
            )
        })?,
        Format::YearMonth => YearMonth::parse(v)
            .is_none()
            .then(|| bad("実在する年月（YYYYMM）", "a real month YYYYMM"))?,
        Format::YearMonthOrZeros => {
            (v != "000000" && YearMonth::parse(v).is_none()).then(|| {
                bad(
                    "実在する年月（YYYYMM）または 000000",
                    "a real month YYYYMM or 000000",
                )
            })?
        }
        Format::Time => parse_hhmm(v)
            .is_none()
            .then(|| bad("時刻（HHMM、24時間制）", "a time HHMM"))?,
        Format::TimeOrNone => (v != "9999" && parse_hhmm(v).is_none()).then(|| {
            bad(
                "時刻（HHMM、24時間制）または時間表示なしの 9999",
                "a time HHMM or 9999",
            )
        })?,
        Format::PostalCode => {
            let ok = v
                .split_once('-')
                .is_some_and(|(a, b)| digits(a, 3) && digits(b, 4));
            (!ok).then(|| bad("郵便番号（XXX-XXXX、半角）", "a postal code XXX-XXXX"))?
        }
        Format::Phone => (!v
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-()+ ".contains(&b)))
        .then(|| bad("半角の数字とハイフン", "digits and hyphens"))?,
        Format::Integer => {
            let body = v.strip_prefix('-').unwrap_or(v);
            (!all_digits(body)).then(|| bad("半角の整数（減算はマイナス付き）", "an integer"))?
        }
        Format::Count => (!all_digits(v)).then(|| bad("半角数字", "digits"))?,
        Format::Decimal2 => {
            let ok = v
                .split_once('.')
                .is_some_and(|(i, f)| all_digits(i) && digits(f, 2));
            (!ok).then(|| bad("小数2桁（99.99 形式、例 11.40）", "a decimal 99.99"))?
        }
        Format::SequenceNo => {
            let ok = all_digits(v) && v.parse::<u16>().is_ok_and(|n| (1..=99).contains(&n));
            (!ok).then(|| bad("1～99 の番号", "a number 1-99"))?
        }
        Format::FreeText => None,
        Format::Code(list) => {
            (!list.contains(v)).then_some(Problem::UnknownCode { list: list.name })
        }
        Format::ServiceCode | Format::AnnexServiceCode => {
            let ok = v.len() == 6
                && v.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
            (!ok).then(|| {
                bad(
                    "半角英数字6桁のサービスコード",
                    "a 6-character service code",
                )
            })?
        }
        Format::ServiceKind => {
            let ok = v.len() == 2
                && v.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
            (!ok).then(|| {
                bad(
                    "半角英数字2桁のサービス種類コード",
                    "a 2-character service kind",
                )
            })?
        }
        Format::EquipmentCode => {
            if let Some((a, b)) = v.split_once('-') {
                (!(digits(a, 5) && digits(b, 6)))
                    .then(|| bad("数字5桁-数字6桁（例 00001-000010）", "5 digits-6 digits"))?
            } else if let Some((a, b)) = v.split_once('－') {
                if digits(a, 5) && digits(b, 6) {
                    Some(Problem::FullWidthHyphen)
                } else {
                    bad("数字5桁-数字6桁（例 00001-000010）", "5 digits-6 digits")
                }
            } else {
                bad("数字5桁-数字6桁（例 00001-000010）", "5 digits-6 digits")
            }
        }
        Format::DayFlags => (!(v.len() == 31 && v.bytes().all(|b| b == b'0' || b == b'1')))
            .then(|| bad("「0」「1」31桁（1日が左端）", "31 characters of 0/1"))?,
        Format::Unused => Some(Problem::UnusedFieldFilled),
        Format::Plain => v
            .contains(['\r', '\n'])
            .then(|| bad("改行を含まない値", "a value without line breaks"))?,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;

    fn spec(format: Format, len: i16, req: Requirement) -> FieldSpec {
        FieldSpec::new(1, "k", "項目", len, format, req)
    }

    fn problems(format: Format, len: i16, v: &str) -> Vec<String> {
        let mut out = Vec::new();
        check_field(&spec(format, len, Requirement::Optional), v, &mut out);
        out.iter().map(|p| p.code().to_string()).collect()
    }

    #[test]
    fn formats() {
        let ok =
            |f, len, v: &str| assert!(problems(f, len, v).is_empty(), "{v:?} should pass {f:?}");
        let ng = |f, len, v: &str, code: &str| {
            assert_eq!(problems(f, len, v), vec![code], "{v:?} {f:?}")
        };
        ok(Format::InsuredNumber, 10, "0000123456");
        ok(Format::InsuredNumber, 10, "H123456789");
        ng(Format::InsuredNumber, 10, "12345678", "E-FLD-003");
        ok(Format::Date, 8, "20240229");
        ng(Format::Date, 8, "20250229", "E-FLD-003");
        ok(Format::DateOrZeros, 8, "00000000");
        ok(Format::YearMonthOrZeros, 6, "000000");
        ng(Format::YearMonth, 6, "000000", "E-FLD-003");
        ok(Format::TimeOrNone, 4, "9999");
        ok(Format::TimeOrNone, 4, "0930");
        ng(Format::Time, 4, "9999", "E-FLD-003");
        ok(Format::PostalCode, 8, "100-0001");
        ng(Format::PostalCode, 8, "1000001", "E-FLD-003");
        ng(Format::PostalCode, 8, "１００-０００１", "E-FLD-003");
        ng(Format::PostalCode, 8, "100-00001", "E-FLD-002");
        ng(Format::PostalCode, 8, "ab-あcd", "E-FLD-003");
        ng(Format::ServiceCode, 6, "つなぐ", "E-FLD-003");
        ok(Format::Integer, 6, "-600");
        ng(Format::Integer, 6, "1,000", "E-FLD-003");
        ok(Format::Decimal2, 6, "11.40");
        ng(Format::Decimal2, 6, "11.4", "E-FLD-003");
        ok(Format::SequenceNo, 2, "1");
        ng(Format::SequenceNo, 2, "0", "E-FLD-003");
        ok(Format::Code(&codes::CARE_LEVEL), 2, "21");
        ng(Format::Code(&codes::CARE_LEVEL), 2, "20", "E-FLD-004");
        ok(Format::ServiceCode, 6, "A21111");
        ng(Format::ServiceCode, 6, "11111", "E-FLD-003");
        ok(Format::EquipmentCode, 12, "00001-000010");
        ng(Format::EquipmentCode, 12, "00001－000010", "W-FLD-005");
        ok(Format::DayFlags, 31, "1111100000000000000000000000000");
        ng(Format::DayFlags, 31, "11111", "E-FLD-003");
        ng(Format::Unused, 1, "x", "W-FLD-006");
        ok(Format::FreeText, 0, "自由\r\n記述, \"引用\"");
        ng(Format::FreeText, 0, "外\u{E000}字", "E-ENC-003");
    }

    #[test]
    fn lengths_and_requirements() {
        assert_eq!(problems(Format::Count, 2, "123"), vec!["E-FLD-002"]);
        assert_eq!(problems(Format::Count, -2, "123"), vec!["W-FLD-002"]);
        let mut out = Vec::new();
        check_field(&spec(Format::Date, 8, Requirement::Required), "", &mut out);
        assert_eq!(out, vec![Problem::RequiredMissing]);
        out.clear();
        check_field(&spec(Format::Date, 8, Requirement::Estimated), "", &mut out);
        assert_eq!(out, vec![Problem::RequiredMissingEstimated]);
    }
}
