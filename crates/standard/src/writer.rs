//! Canonical output: CP932, free text quoted with `""` escaping, codes unquoted, CRLF after every
//! record, exactly the layout's field count. A canonical file read and written back is
//! byte-identical.

use crate::encoding;
use crate::layout::{FieldSpec, Layout};
use crate::record::FieldValues;

/// Why records could not be written; names the record and field, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("E-WRT-001 記録{record}: 項目数が {actual} です（このレイアウトは {expected} 項目）")]
    FieldCount {
        record: usize,
        expected: usize,
        actual: usize,
    },
    #[error(
        "E-WRT-002 記録{record} 項目{field_no}「{field_name}」: Shift-JIS（MS932）にない文字（U+{code_point:04X}）があり、置き換えられる標準の文字もありません"
    )]
    Unmappable {
        record: usize,
        field_no: u16,
        field_name: &'static str,
        code_point: u32,
    },
}

impl WriteError {
    pub fn code(&self) -> &'static str {
        match self {
            WriteError::FieldCount { .. } => "E-WRT-001",
            WriteError::Unmappable { .. } => "E-WRT-002",
        }
    }
}

fn needs_quotes(value: &str) -> bool {
    value.contains([',', '"', '\r', '\n'])
}

/// Appends one field in canonical form. Quoting is a per-field decision (free text always, other
/// fields only when they must be), which the csv crate's writer cannot express, hence by hand.
fn push_field(out: &mut String, spec: &FieldSpec, value: &str) {
    if !value.is_empty() && (spec.format.is_free_text() || needs_quotes(value)) {
        out.push('"');
        for c in value.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// True when `text` is exactly the canonical text of `records` — the same answer as comparing with
/// [`canonical_text`], without building it (reading checks every file this way).
pub fn is_canonical_text<I, R>(layout: &Layout, records: I, text: &str) -> bool
where
    I: IntoIterator<Item = R>,
    R: FieldValues,
{
    let mut rest = text.as_bytes();
    let mut expect = |part: &[u8]| {
        if rest.len() < part.len() {
            return false;
        }
        // Most fields are a few bytes: a plain loop beats a call to memcmp for them.
        let same = if part.len() <= 16 {
            part.iter().zip(rest.iter()).all(|(a, b)| a == b)
        } else {
            rest[..part.len()] == *part
        };
        if same {
            rest = &rest[part.len()..];
        }
        same
    };
    for fields in records {
        if fields.field_count() != layout.fields.len() {
            return false;
        }
        for (j, spec) in layout.fields.iter().enumerate() {
            if j > 0 && !expect(b",") {
                return false;
            }
            let value = fields.field(j);
            if !value.is_empty() && (spec.format.is_free_text() || needs_quotes(value)) {
                if !expect(b"\"") {
                    return false;
                }
                for (k, piece) in value.split('"').enumerate() {
                    if (k > 0 && !expect(b"\"\"")) || !expect(piece.as_bytes()) {
                        return false;
                    }
                }
                if !expect(b"\"") {
                    return false;
                }
            } else if !expect(value.as_bytes()) {
                return false;
            }
        }
        if !expect(b"\r\n") {
            return false;
        }
    }
    rest.is_empty()
}

/// The canonical text of records (before encoding). Records must have the layout's field count.
pub fn canonical_text<I, R>(layout: &Layout, records: I) -> Result<String, WriteError>
where
    I: IntoIterator<Item = R>,
    R: FieldValues,
{
    let mut out = String::new();
    for (i, fields) in records.into_iter().enumerate() {
        if fields.field_count() != layout.fields.len() {
            return Err(WriteError::FieldCount {
                record: i + 1,
                expected: layout.fields.len(),
                actual: fields.field_count(),
            });
        }
        for (j, spec) in layout.fields.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_field(&mut out, spec, fields.field(j));
        }
        out.push_str("\r\n");
    }
    Ok(out)
}

/// Writes records as a canonical CP932 standard file. Characters outside CP932 are replaced by
/// their standard substitutes (〜→～, −→－, ‖→∥, ¢£¬, —→―, ¥→￥); anything else is refused with the
/// record and field.
pub fn write_csv<I, R>(layout: &Layout, records: I) -> Result<Vec<u8>, WriteError>
where
    I: IntoIterator<Item = R>,
    R: FieldValues,
{
    let records: Vec<R> = records.into_iter().collect();
    let text = canonical_text(layout, &records)?;
    let text = encoding::normalise(&text);
    match encoding::encode_cp932(&text) {
        Ok(bytes) => Ok(bytes),
        Err(_) => {
            // Find the first offending field so the message can name it.
            for (i, fields) in records.iter().enumerate() {
                for (j, spec) in layout.fields.iter().enumerate() {
                    let value = encoding::normalise(fields.field(j));
                    if let Err(c) = encoding::encode_cp932(&value) {
                        return Err(WriteError::Unmappable {
                            record: i + 1,
                            field_no: spec.no,
                            field_name: spec.name,
                            code_point: u32::from(c),
                        });
                    }
                }
            }
            // Each field encodes alone, so the whole does; reaching here means a bug in encode.
            Err(WriteError::Unmappable {
                record: 0,
                field_no: 0,
                field_name: "",
                code_point: 0xFFFD,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file_kind::FileKind;
    use crate::layout::{LayoutVersion, layout};

    #[test]
    fn canonical_text_check_agrees_with_building_it() {
        let l = layout(FileKind::BasicInfoSchedule, LayoutVersion::V4).unwrap();
        let rec: Vec<String> = [
            "202407",
            "312017",
            "0000012345",
            "20250310",
            "6:00",
            "a\"b\"\r\nc,d",
            "",
        ]
        .map(String::from)
        .to_vec();
        let text = canonical_text(l, [&rec]).unwrap();
        assert!(is_canonical_text(l, [&rec], &text));
        assert!(!is_canonical_text(l, [&rec], &text.replace("\r\n", "\n")));
        assert!(!is_canonical_text(l, [&rec], &text[..text.len() - 1]));
        assert!(!is_canonical_text(l, [&rec], &format!("{text}x")));
        assert!(!is_canonical_text(
            l,
            [&rec],
            &text.replacen("202407", "\"202407\"", 1)
        ));
        assert!(!is_canonical_text(
            l,
            [&rec],
            &text.replace(",\r\n", ",\"\"\r\n")
        ));
    }
}
