//! What a read standard file is: its name, kind, layout and records.

use serde::{Deserialize, Serialize};

use crate::encoding::SourceEncoding;
use crate::file_kind::FileKind;
use crate::file_name::StandardFileName;
use crate::layout::{Layout, LayoutVersion, TypedRecord};

/// One CSV record as read: the values of its fields and where it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Physical line (1-based) where the record starts; records may span lines.
    pub line: u64,
    /// Record number among the data records (1-based).
    pub number: usize,
    pub fields: Fields,
}

/// The values of one record, stored in one string with field boundaries: two allocations per
/// record instead of one per field (reading a month of a prefecture allocates millions of fields).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields {
    text: String,
    ends: Vec<u32>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// From the csv_core output: `text` holds the fields back to back, `ends` where each ends.
    pub(crate) fn from_parts(text: String, ends: Vec<u32>) -> Self {
        Self { text, ends }
    }

    pub fn push(&mut self, value: &str) {
        self.text.push_str(value);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end)
    }

    pub fn iter(&self) -> FieldsIter<'_> {
        self.into_iter()
    }

    pub fn first(&self) -> Option<&str> {
        self.get(0)
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

/// Iterates the values of a record as `&str`.
pub struct FieldsIter<'a> {
    fields: &'a Fields,
    next: usize,
}

impl<'a> Iterator for FieldsIter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let v = self.fields.get(self.next)?;
        self.next += 1;
        Some(v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.fields.len().saturating_sub(self.next);
        (n, Some(n))
    }
}

impl ExactSizeIterator for FieldsIter<'_> {}

impl<'a> IntoIterator for &'a Fields {
    type Item = &'a str;
    type IntoIter = FieldsIter<'a>;
    fn into_iter(self) -> FieldsIter<'a> {
        FieldsIter {
            fields: self,
            next: 0,
        }
    }
}

impl std::ops::Index<usize> for Fields {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        // Out of range is a caller bug, as with a slice.
        match self.get(i) {
            Some(s) => s,
            None => panic!(
                "field index {i} out of range for a record of {} fields",
                self.len()
            ),
        }
    }
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Fields {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut out = Fields::new();
        for s in iter {
            out.push(s.as_ref());
        }
        out
    }
}

impl From<Vec<String>> for Fields {
    fn from(v: Vec<String>) -> Self {
        v.iter().collect()
    }
}

impl Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<String>::deserialize(d)?.iter().collect())
    }
}

/// Anything that holds one record's field values: what the writer takes.
pub trait FieldValues {
    fn field_count(&self) -> usize;
    fn field(&self, i: usize) -> &str;
}

impl FieldValues for Fields {
    fn field_count(&self) -> usize {
        self.len()
    }
    fn field(&self, i: usize) -> &str {
        self.get(i).unwrap_or_default()
    }
}

impl FieldValues for [String] {
    fn field_count(&self) -> usize {
        self.len()
    }
    fn field(&self, i: usize) -> &str {
        self.get(i).map_or("", String::as_str)
    }
}

impl FieldValues for Vec<String> {
    fn field_count(&self) -> usize {
        self.len()
    }
    fn field(&self, i: usize) -> &str {
        self.get(i).map_or("", String::as_str)
    }
}

impl<T: FieldValues + ?Sized> FieldValues for &T {
    fn field_count(&self) -> usize {
        (**self).field_count()
    }
    fn field(&self, i: usize) -> &str {
        (**self).field(i)
    }
}

/// A standard CSV file, read.
#[derive(Debug, Clone)]
pub struct CsvFile {
    /// The name as given (shown in findings).
    pub file_name: String,
    pub name: StandardFileName,
    pub layout: &'static Layout,
    /// CSVバージョン of the first record ("" when the file has no records).
    pub csv_version: String,
    pub encoding: SourceEncoding,
    pub records: Vec<Record>,
    /// True when writing the records back gives exactly the bytes read.
    pub canonical: bool,
}

impl CsvFile {
    pub fn kind(&self) -> FileKind {
        self.layout.kind
    }

    pub fn version(&self) -> LayoutVersion {
        self.layout.version
    }

    /// A field of a record by key.
    pub fn get<'r>(&self, record: &'r Record, key: &str) -> &'r str {
        self.layout.get(record, key)
    }

    /// The records as typed structs; `None` when `T` is not this file's kind.
    pub fn typed<T: TypedRecord>(&self) -> Option<Vec<T>> {
        let same = T::KIND == self.kind()
            || (T::KIND == FileKind::ServiceSchedule && self.kind() == FileKind::ServiceActual);
        same.then(|| {
            self.records
                .iter()
                .map(|r| T::from_record(self.layout, r))
                .collect()
        })
    }
}

/// A 家族構成画像 (JPEG) file of a send unit.
#[derive(Debug, Clone)]
pub struct ImageFile {
    pub file_name: String,
    pub name: StandardFileName,
    pub size: usize,
}

/// Any standard file: a CSV or the JPEG image.
#[derive(Debug, Clone)]
pub enum Document {
    Csv(CsvFile),
    Image(ImageFile),
}

impl Document {
    pub fn name(&self) -> &StandardFileName {
        match self {
            Document::Csv(c) => &c.name,
            Document::Image(i) => &i.name,
        }
    }

    pub fn file_name(&self) -> &str {
        match self {
            Document::Csv(c) => &c.file_name,
            Document::Image(i) => &i.file_name,
        }
    }

    pub fn as_csv(&self) -> Option<&CsvFile> {
        match self {
            Document::Csv(c) => Some(c),
            Document::Image(_) => None,
        }
    }
}
