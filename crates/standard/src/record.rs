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
    pub fields: Vec<String>,
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
