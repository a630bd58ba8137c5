//! The ケアプランデータ連携標準仕様 (care-plan data-exchange standard), pure: bytes in, bytes out.
//!
//! - [`file_name`]: parse and build the standard file names; [`file_kind`]: the kinds of file.
//! - [`encoding`]: strict CP932 in, canonical CP932 out.
//! - [`reader`]: bytes → records; [`layout`]: every field of every layout; [`check`]: every rule.
//! - [`writer`]: canonical CSV; [`json_form`]: the JSON form and back.

pub mod check;
pub mod codes;
pub mod encoding;
pub mod file_kind;
pub mod file_name;
pub mod finding;
pub mod forms;
pub mod json_form;
pub mod layout;
pub mod month;
pub mod office;
pub mod reader;
pub mod record;
pub mod sample;
pub mod writer;

pub use file_kind::FileKind;
pub use file_name::{FileMonth, NameStyle, SendUnitKey, Serial, StandardFileName};
pub use finding::{Finding, Lang, Problem, Severity, Tally};
pub use layout::{FieldSpec, Format, Layout, LayoutVersion, TypedRecord};
pub use month::{Date, YearMonth};
pub use office::{OfficeError, OfficeId, OfficeNumber, ServiceKind};
pub use reader::{ReadOutcome, read};
pub use record::{CsvFile, Document, ImageFile, Record};
pub use writer::{WriteError, write_csv};
