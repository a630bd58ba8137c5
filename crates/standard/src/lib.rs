//! The ケアプランデータ連携標準仕様 (care-plan data-exchange standard), pure: bytes in, bytes out.

pub mod office;

pub use office::{OfficeError, OfficeId, OfficeNumber, ServiceKind};
