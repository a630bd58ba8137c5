//! The ケアプランデータ連携標準仕様 (care-plan data-exchange standard), pure: bytes in, bytes out.
