//! Filters decide which findings a user has already accepted: inline allow
//! comments (which need the file's bytes, so they run in the scanning
//! thread), and later config allow-lists and baselines.

pub mod inline;
