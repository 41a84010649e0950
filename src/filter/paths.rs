//! Gitignore-style path patterns, matched the way git matches `.gitignore`
//! (the `ignore` crate's own matcher, the one the walk uses): a pattern
//! without a `/` matches at any depth, one with a `/` is anchored to the
//! root, `**` spans directories, a trailing `/` means a directory and
//! everything under it. The config's `allow.paths` and the rules'
//! `credential_files` both use it, so they cannot disagree.

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub struct PathPatterns {
    /// The parsed patterns; the matcher is built from them on the first
    /// path that holds a [`Self::required`] piece (building it was a
    /// thirteenth of a one-file scan, whose path usually holds none).
    parsed: GitignoreBuilder,
    matcher: OnceLock<Gitignore>,
    patterns: Vec<String>,
    /// One piece of literal text per pattern that every path it matches
    /// contains (`.pem` of `*.pem`, `service-account` of
    /// `**/*service-account*.json`): a path holding none of them matches no
    /// pattern, told by one substring search instead of the matcher's glob
    /// test of the path and each of its parents (a twentieth of a tree
    /// walk's CPU for the credential-file patterns). `None` when some
    /// pattern has no such piece (`*`).
    required: Option<AhoCorasick>,
}

impl PathPatterns {
    /// Parses `patterns`. With `anywhere`, an anchored pattern such as
    /// `.muapi/config.json` also matches under any directory
    /// (`home/.muapi/config.json`), as a credential file does. `Err` names
    /// the index of the pattern that does not compile and why.
    pub fn new(
        patterns: &[String],
        anywhere: bool,
    ) -> std::result::Result<Self, (usize, ignore::Error)> {
        let parsed = Self::parse(patterns, anywhere)?;
        // Negations only un-match, so only the other patterns' pieces count.
        let required: Option<Vec<String>> = patterns
            .iter()
            .filter(|p| !p.starts_with('!'))
            .map(|p| required_literal(p))
            .collect();
        // A contiguous NFA, not the DFA `new` picks for a few dozen pieces:
        // each path is searched once, so the DFA's build (part of the
        // aho-corasick builds that were an eighth of a one-file scan) is
        // never paid back.
        let required = required.and_then(|pieces| {
            AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(pieces)
                .ok()
        });
        Ok(PathPatterns {
            parsed,
            matcher: OnceLock::new(),
            patterns: patterns.to_vec(),
            required,
        })
    }

    /// Builds the matcher now, for patterns a user wrote: a set too large
    /// to build is then an error at load, where it can be fixed, not a set
    /// that silently matches nothing. The error says why in a few words
    /// (globset's own names the whole generated regex).
    pub fn build_now(&self) -> std::result::Result<(), String> {
        if self.matcher.get().is_none() {
            let built = self.parsed.build().map_err(|_| {
                "the patterns are too large to match together: use fewer or shorter ones"
                    .to_string()
            })?;
            let _ = self.matcher.set(built);
        }
        Ok(())
    }

    /// Whether every pattern parses, without building anything: `Err` as
    /// for [`PathPatterns::new`].
    pub fn check(
        patterns: &[String],
        anywhere: bool,
    ) -> std::result::Result<(), (usize, ignore::Error)> {
        Self::parse(patterns, anywhere).map(drop)
    }

    fn parse(
        patterns: &[String],
        anywhere: bool,
    ) -> std::result::Result<GitignoreBuilder, (usize, ignore::Error)> {
        let mut b = GitignoreBuilder::new("");
        for (i, p) in patterns.iter().enumerate() {
            let line =
                if anywhere && !p.starts_with('/') && !p.starts_with("**/") && p.contains('/') {
                    format!("**/{p}")
                } else {
                    p.clone()
                };
            b.add_line(None, &line).map_err(|e| (i, e))?;
        }
        Ok(b)
    }

    /// The pattern (as written) that matches `rel`, a `/`-separated path
    /// relative to the patterns' root, if any. Negations (`!x`) win as in
    /// git.
    pub fn matched(&self, rel: &str) -> Option<&str> {
        let rel = rel.trim_start_matches("./");
        if self.required.as_ref().is_some_and(|r| !r.is_match(rel)) {
            return None;
        }
        // Every pattern parsed, so building fails only past globset's
        // regex size limit. A user's patterns were built at load
        // (`build_now`) and built-in ones by the test suite, so this
        // cannot fail; were it to, the patterns would match nothing.
        let matcher = self
            .matcher
            .get_or_init(|| self.parsed.build().unwrap_or_else(|_| Gitignore::empty()));
        match matcher.matched_path_or_any_parents(rel, false) {
            ignore::Match::Ignore(glob) => {
                let original = glob.original();
                let unanchored = original.strip_prefix("**/").unwrap_or(original);
                self.patterns
                    .iter()
                    .find(|p| p.as_str() == original || p.as_str() == unanchored)
                    .map(String::as_str)
            }
            _ => None,
        }
    }

    pub fn is_match(&self, rel: &str) -> bool {
        self.matched(rel).is_some()
    }
}

/// The longest run of literal characters in a gitignore pattern that every
/// path it matches, or lies under, must contain; `None` if it has none.
/// Conservative: a run ends at `/` (`**/` also matches no directory), at
/// wildcards and escapes, and the insides of `[…]` and `{…}` are skipped,
/// their text being optional.
fn required_literal(pattern: &str) -> Option<String> {
    let mut best = String::new();
    let mut run = String::new();
    // git drops trailing whitespace (an escaped last space ends a run below).
    let mut chars = pattern.trim_end().chars();
    let mut close = |run: &mut String| {
        if run.len() > best.len() {
            best = std::mem::take(run);
        }
        run.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '[' | '{' => {
                close(&mut run);
                let end = if c == '[' { ']' } else { '}' };
                for c in chars.by_ref() {
                    if c == end {
                        break;
                    }
                }
            }
            '\\' => {
                close(&mut run);
                chars.next();
            }
            '*' | '?' | '/' | ']' | '}' | '!' => close(&mut run),
            c => run.push(c),
        }
    }
    close(&mut run);
    (!best.is_empty()).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::{required_literal, PathPatterns};

    #[test]
    fn every_match_holds_the_required_literal() {
        assert_eq!(required_literal("*.pem").as_deref(), Some(".pem"));
        assert_eq!(
            required_literal("**/*service-account*.json").as_deref(),
            Some("service-account")
        );
        assert_eq!(
            required_literal(".config/gh/hosts.yml").as_deref(),
            Some("hosts.yml")
        );
        assert_eq!(required_literal("id_[rd]sa").as_deref(), Some("id_"));
        assert_eq!(required_literal("*.{pem,key}").as_deref(), Some("."));
        assert_eq!(required_literal("**"), None);
        assert_eq!(required_literal("*"), None);
        assert_eq!(required_literal("*.pem  ").as_deref(), Some(".pem"));
        // A pattern without a literal turns the shortcut off, and the
        // matcher still answers.
        let m = p(&["*.pem", "*"], true);
        assert!(m.is_match("src/main.rs"));
        // Bracketed and braced text is optional, so it is not required.
        let m = p(&["key.[jp]em", "cert.{pem,crt}"], true);
        assert!(m.is_match("a/key.jem"));
        assert!(m.is_match("a/cert.crt"));
        assert!(!m.is_match("a/cert.der"));
    }

    fn p(patterns: &[&str], anywhere: bool) -> PathPatterns {
        let v: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
        PathPatterns::new(&v, anywhere).unwrap()
    }

    #[test]
    fn gitignore_semantics() {
        let m = p(
            &["fixtures/**", "*.md", "docs/examples/*.py", "build/"],
            false,
        );
        assert_eq!(m.matched("fixtures/a/b.txt"), Some("fixtures/**"));
        assert_eq!(
            m.matched("src/notes.md"),
            Some("*.md"),
            "no slash: any depth"
        );
        assert!(m.is_match("docs/examples/x.py"));
        assert!(!m.is_match("other/docs/examples/x.py"), "a slash anchors");
        assert!(
            m.is_match("build/out/x.bin"),
            "a directory pattern covers its files"
        );
        assert!(!m.is_match("src/main.rs"));
    }

    #[test]
    fn credential_files_match_anywhere() {
        let m = p(&[".env", ".muapi/config.json", "*.pem"], true);
        assert!(m.is_match("app/.env"));
        assert!(m.is_match("home/.muapi/config.json"));
        assert!(m.is_match("certs/server.pem"));
        assert!(!m.is_match("src/env.rs"));
    }
}
