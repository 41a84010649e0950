//! keylint: finds hard-coded credentials and helps use API keys safely.
//!
//! The data flows one way, and the module layout follows it:
//! [`source`] (where bytes come from) → [`scan`] (prefilter, regex, validators
//! produce candidates and findings) → [`filter`] (inline allows, config,
//! baseline) → [`report`] (human, JSON, SARIF). [`rules`] is the data every
//! stage reads; [`keys`] is the key resolver, which shares the rules' provider
//! knowledge; [`verify`] asks providers, on request only, whether a key is live.

pub mod atomic;
pub mod error;
pub mod filter;
pub mod finding;
pub mod fingerprint;
pub mod keys;
pub mod lines;
pub mod pipeline;
pub mod plan;
pub mod quiet;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod validation;
pub mod verdict;
pub mod verify;

pub use error::{Error, Result};
pub use finding::{Finding, Fingerprint, Secret};
