//! The exchange, end to end, through the real `tsunagu` binary: a hub process on port 0 and two
//! office desks in temporary folders (issue 3, "How we will know").

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod crash;
mod kit;
mod restore;
mod scenario;
