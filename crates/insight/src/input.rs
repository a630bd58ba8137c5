//! Reading the files people bring: bytes in (UTF-8 with or without BOM, or CP932 from Excel),
//! CSV rows out, and one error type that says file, line and column in Japanese.

use std::fmt;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// How bad a finding is: an error drops the row (or the file); a warning keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    Warning,
    Error,
}

/// A problem in an input file, with a stable code so it can be looked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct InputError {
    pub code: &'static str,
    pub severity: Severity,
    pub file: String,
    /// 1-based line of the record in the file; `None` for whole-file problems.
    pub line: Option<u64>,
    /// Column name as the file's header spells it (or as the format defines it).
    pub column: Option<String>,
    pub message: String,
}

impl InputError {
    pub fn file(code: &'static str, file: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at(
        code: &'static str,
        file: &str,
        line: u64,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: Severity::Error,
            file: file.to_string(),
            line: Some(line),
            column: column.map(str::to_string),
            message: message.into(),
        }
    }

    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "エラー",
            Severity::Warning => "注意",
        };
        write!(f, "{kind} {}", self.file)?;
        match (self.line, &self.column) {
            (Some(l), Some(c)) => write!(f, " {l}行目「{c}」")?,
            (Some(l), None) => write!(f, " {l}行目")?,
            (None, Some(c)) => write!(f, " 列「{c}」")?,
            (None, None) => {}
        }
        write!(f, ": {} [{}]", self.message, self.code)
    }
}

/// The text encoding a file turned out to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextEncoding {
    Utf8Bom,
    Utf8,
    Cp932,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8Bom => "UTF-8（BOM付き）",
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Cp932 => "Shift_JIS（CP932）",
        }
    }
}

/// Decodes a text file: UTF-8 with BOM, UTF-8, or CP932 (what Excel writes for 「CSV（コンマ区切り）」).
pub fn decode(file: &str, bytes: &[u8]) -> Result<(String, TextEncoding), InputError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((s.to_string(), TextEncoding::Utf8Bom)),
            Err(_) => Err(InputError::file(
                "E-INS-ENC",
                file,
                "BOM は UTF-8 ですが、中身に UTF-8 でない文字があります",
            )),
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), TextEncoding::Utf8));
    }
    // encoding_rs's Shift_JIS is the WHATWG one, i.e. Windows-31J (CP932).
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(InputError::file(
            "E-INS-ENC",
            file,
            "文字コードを判定できません（UTF-8 でも Shift_JIS（CP932）でもありません）",
        ));
    }
    Ok((text.into_owned(), TextEncoding::Cp932))
}

/// NFKC, no whitespace, ASCII lower case: how header names are compared.
pub(crate) fn header_key(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A CSV file read into a header and rows of trimmed fields.
#[derive(Debug, Clone)]
pub struct CsvTable {
    pub file: String,
    pub encoding: TextEncoding,
    pub header: Vec<String>,
    pub rows: Vec<CsvRow>,
}

#[derive(Debug, Clone)]
pub struct CsvRow {
    /// 1-based line where the record starts.
    pub line: u64,
    pub fields: Vec<String>,
}

impl CsvRow {
    /// The field at `index`, or "" when the row is short.
    pub fn get(&self, index: Option<usize>) -> &str {
        index
            .and_then(|i| self.fields.get(i))
            .map_or("", String::as_str)
    }
}

impl CsvTable {
    /// Reads the first row as the header. Rows whose fields are all blank are skipped
    /// (Excel writes them after the data).
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, InputError> {
        let (text, encoding) = decode(file, bytes)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut header = None;
        let mut rows = Vec::new();
        for result in reader.records() {
            // csv's own line count is off after CRLF line ends, and its byte offset then points
            // at the previous line's LF; count the LFs up to and including that byte.
            let line_at = |byte: u64| {
                let end = usize::try_from(byte)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1)
                    .min(text.len());
                text.as_bytes()[..end]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64
                    + 1
            };
            let record = result.map_err(|e| {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                InputError::at(
                    "E-INS-CSV",
                    file,
                    line,
                    None,
                    "CSV として読めません（引用符 \" の対応を確かめてください）",
                )
            })?;
            let line = record.position().map_or(0, |p| line_at(p.byte()));
            let fields: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
            if header.is_none() {
                header = Some(fields);
                continue;
            }
            if fields.iter().all(String::is_empty) {
                continue;
            }
            rows.push(CsvRow { line, fields });
        }
        let header = header.ok_or_else(|| {
            InputError::file(
                "E-INS-EMPTY",
                file,
                "ファイルが空です（見出し行がありません）",
            )
        })?;
        Ok(Self {
            file: file.to_string(),
            encoding,
            header,
            rows,
        })
    }

    /// Index of the first header equal (after NFKC, without spaces, case-insensitively) to
    /// one of `names`.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        let keys: Vec<String> = names.iter().map(|n| header_key(n)).collect();
        self.header
            .iter()
            .position(|h| keys.contains(&header_key(h)))
    }

    /// Like [`column`](Self::column) but an error naming the first alias when missing.
    pub fn require(&self, names: &[&str]) -> Result<usize, InputError> {
        self.column(names).ok_or_else(|| {
            let mut e = InputError::file(
                "E-INS-COLUMN",
                &self.file,
                format!("見出し行に必要な列「{}」がありません", names[0]),
            );
            e.column = Some(names[0].to_string());
            e
        })
    }

    /// The header's own spelling of column `index` (for messages).
    pub fn name(&self, index: usize) -> &str {
        self.header.get(index).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bom_plain_and_cp932() {
        let (s, e) = decode("a", "\u{feff}事業所".as_bytes()).unwrap();
        assert_eq!((s.as_str(), e), ("事業所", TextEncoding::Utf8Bom));
        let (s, e) = decode("a", "事業所".as_bytes()).unwrap();
        assert_eq!((s.as_str(), e), ("事業所", TextEncoding::Utf8));
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("事業所番号,①");
        let (s, e) = decode("a", &bytes).unwrap();
        assert_eq!((s.as_str(), e), ("事業所番号,①", TextEncoding::Cp932));
        assert!(decode("a", b"\xEF\xBB\xBF\xff").is_err());
    }

    #[test]
    fn table_skips_blank_rows_and_finds_columns() {
        let t = CsvTable::parse(
            "t.csv",
            "事業所番号 , Ｈ１\r\n1,2\r\n,,\r\n3,4\r\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 4);
        assert_eq!(t.column(&["h1"]), Some(1));
        assert_eq!(t.column(&["事業所番号"]), Some(0));
        let e = t.require(&["圏域コード"]).unwrap_err();
        assert!(e.to_string().contains("圏域コード"), "{e}");
    }
}
