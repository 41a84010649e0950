//! keylint's integration tests, as one test binary: each module was its own
//! binary once, and linking eleven copies of keylint and its dependencies
//! was a large part of a cold `cargo test` (BENCHMARKS.md, "Cold test
//! time"). Each module runs the real binary (or the library) the way a user
//! would; `common` holds the temporary trees and the scan helpers.

mod common;

mod archives;
mod cli;
mod filters;
mod git;
mod hooks;
mod keys;
mod report;
mod robustness;
mod rules;
mod scan;
mod verify;
