#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions
//! The standard crate's one integration-test binary: fixtures written from the spec, round trips,
//! and property tests.

mod fixtures;
mod round_trip;
mod rules;
