//! Canonical output: CP932, free text quoted with `""` escaping, codes unquoted, CRLF after every
//! record, exactly the layout's field count. A canonical file read and written back is
//! byte-identical.

use crate::encoding;
use crate::layout::{FieldSpec, Layout};

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

/// The canonical text of records (before encoding). Records must have the layout's field count.
pub fn canonical_text<'a, I, R>(layout: &Layout, records: I) -> Result<String, WriteError>
where
    I: IntoIterator<Item = R>,
    R: AsRef<[String]> + 'a,
{
    let mut out = String::new();
    for (i, fields) in records.into_iter().enumerate() {
        let fields = fields.as_ref();
        if fields.len() != layout.fields.len() {
            return Err(WriteError::FieldCount {
                record: i + 1,
                expected: layout.fields.len(),
                actual: fields.len(),
            });
        }
        for (j, (spec, value)) in layout.fields.iter().zip(fields).enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_field(&mut out, spec, value);
        }
        out.push_str("\r\n");
    }
    Ok(out)
}

/// Writes records as a canonical CP932 standard file. Characters outside CP932 are replaced by
/// their standard substitutes (〜→～, −→－, ‖→∥, ¢£¬, —→―, ¥→￥); anything else is refused with the
/// record and field.
pub fn write_csv<'a, I, R>(layout: &Layout, records: I) -> Result<Vec<u8>, WriteError>
where
    I: IntoIterator<Item = R>,
    R: AsRef<[String]> + 'a,
{
    let records: Vec<R> = records.into_iter().collect();
    let text = canonical_text(layout, records.iter().map(|r| r.as_ref()))?;
    let text = encoding::normalise(&text);
    match encoding::encode_cp932(&text) {
        Ok(bytes) => Ok(bytes),
        Err(_) => {
            // Find the first offending field so the message can name it.
            for (i, fields) in records.iter().enumerate() {
                for (spec, value) in layout.fields.iter().zip(fields.as_ref()) {
                    let value = encoding::normalise(value);
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
