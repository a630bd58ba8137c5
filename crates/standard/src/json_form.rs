//! The JSON form of a standard file: the same records with named fields, and back to the identical
//! CSV bytes. The bridge for APIs, vendors and the standard's announced JSON future.
//!
//! ```json
//! { "format": "tsunagu-standard-json/1", "file_name": "UPPLAN_…CSV", "kind": "UPPLAN",
//!   "kind_name": "サービス利用票（第６表）予定", "layout_version": "v4", "csv_version": "202407",
//!   "records": [ { "csv_version": "202407", "insurer_number": "131011", … } ] }
//! ```
//! Field keys are the layout keys (`tsunagu layouts` lists them with their 項目名); every value is
//! a string, empty for Null. Writing back gives the canonical CSV: a file Tsunagu wrote (or any
//! canonical file) round-trips byte for byte.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::file_kind::FileKind;
use crate::file_name::StandardFileName;
use crate::layout::{self, LayoutVersion};
use crate::record::CsvFile;
use crate::writer::{self, WriteError};

pub const FORMAT: &str = "tsunagu-standard-json/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonDocument {
    pub format: String,
    pub file_name: String,
    pub kind: String,
    pub kind_name: String,
    pub layout_version: String,
    pub csv_version: String,
    pub records: Vec<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonFormError {
    #[error("E-JSN-001 JSON として読めません: {0}")]
    Syntax(String),
    #[error("E-JSN-002 format は「{FORMAT}」です")]
    Format,
    #[error("E-JSN-003 file_name が標準ファイル名ではありません: {0}")]
    FileName(String),
    #[error("E-JSN-004 kind「{0}」が file_name の種類と一致しません")]
    Kind(String),
    #[error("E-JSN-005 layout_version「{0}」はこの種類にありません（v3 または v4）")]
    LayoutVersion(String),
    #[error("E-JSN-006 記録{record}: 項目「{key}」はこのレイアウトにありません")]
    UnknownKey { record: usize, key: String },
    #[error("E-JSN-007 記録{record}: 項目「{key}」の値は文字列です")]
    NotString { record: usize, key: String },
    #[error("E-JSN-008 家族構成画像（JPEG）には JSON 形式がありません")]
    Image,
    #[error("{0}")]
    Write(#[from] WriteError),
}

fn version_label(v: LayoutVersion) -> &'static str {
    match v {
        LayoutVersion::V3 => "v3",
        LayoutVersion::V4 => "v4",
    }
}

/// The JSON form of a read file. Records keep their values exactly (short records are padded with
/// empty values only in the JSON, so a file with a field-count error is not silently "fixed").
pub fn to_json(file: &CsvFile) -> JsonDocument {
    let records = file
        .records
        .iter()
        .map(|r| {
            file.layout
                .fields
                .iter()
                .enumerate()
                .map(|(i, spec)| {
                    let v = r.fields.get(i).unwrap_or_default().to_string();
                    (spec.key.to_string(), Value::String(v))
                })
                .collect()
        })
        .collect();
    JsonDocument {
        format: FORMAT.to_string(),
        file_name: file.name.to_string(),
        kind: file.kind().prefix().to_string(),
        kind_name: file.kind().japanese_name().to_string(),
        layout_version: version_label(file.version()).to_string(),
        csv_version: file.csv_version.clone(),
        records,
    }
}

/// Canonical CSV bytes (and the canonical file name) from a JSON document.
pub fn from_json(doc: &JsonDocument) -> Result<(String, Vec<u8>), JsonFormError> {
    if doc.format != FORMAT {
        return Err(JsonFormError::Format);
    }
    let name = StandardFileName::parse(&doc.file_name)
        .map_err(|e| JsonFormError::FileName(e.to_string()))?;
    if name.kind == FileKind::BasicInfoFamilyImage {
        return Err(JsonFormError::Image);
    }
    if !doc.kind.eq_ignore_ascii_case(name.kind.prefix()) {
        return Err(JsonFormError::Kind(doc.kind.clone()));
    }
    let version = match doc.layout_version.as_str() {
        "v3" => LayoutVersion::V3,
        "v4" => LayoutVersion::V4,
        other => return Err(JsonFormError::LayoutVersion(other.to_string())),
    };
    let layout = layout::layout(name.kind, version)
        .ok_or_else(|| JsonFormError::LayoutVersion(doc.layout_version.clone()))?;
    let mut rows = Vec::with_capacity(doc.records.len());
    for (i, rec) in doc.records.iter().enumerate() {
        let mut fields = vec![String::new(); layout.fields.len()];
        for (key, value) in rec {
            let idx = layout.index(key).ok_or_else(|| JsonFormError::UnknownKey {
                record: i + 1,
                key: key.clone(),
            })?;
            match value {
                Value::String(s) => fields[idx].clone_from(s),
                Value::Null => {}
                _ => {
                    return Err(JsonFormError::NotString {
                        record: i + 1,
                        key: key.clone(),
                    });
                }
            }
        }
        rows.push(fields);
    }
    let bytes = writer::write_csv(layout, &rows)?;
    Ok((name.to_string(), bytes))
}

/// Parses a JSON document from text.
pub fn parse(text: &str) -> Result<JsonDocument, JsonFormError> {
    serde_json::from_str(text).map_err(|e| JsonFormError::Syntax(e.to_string()))
}
