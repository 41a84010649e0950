//! The key resolver: find an API key for a provider from a flag, the
//! environment, keylint's own store or the provider's config file.
