//! Hub integration tests (filled in below).
