//! Gitignore-style path patterns, matched the way git matches `.gitignore`
//! (the `ignore` crate's own matcher, the one the walk uses): a pattern
//! without a `/` matches at any depth, one with a `/` is anchored to the
//! root, `**` spans directories, a trailing `/` means a directory and
//! everything under it. The config's `allow.paths` and the rules'
//! `credential_files` both use it, so they cannot disagree.

use ignore::gitignore::{Gitignore, GitignoreBuilder};

#[derive(Debug, Clone)]
pub struct PathPatterns {
    matcher: Gitignore,
    patterns: Vec<String>,
}

impl PathPatterns {
    /// Compiles `patterns`. With `anywhere`, an anchored pattern such as
    /// `.muapi/config.json` also matches under any directory
    /// (`home/.muapi/config.json`), as a credential file does. `Err` names
    /// the index of the pattern that does not compile and why.
    pub fn new(
        patterns: &[String],
        anywhere: bool,
    ) -> std::result::Result<Self, (usize, ignore::Error)> {
        let matcher = Self::parse(patterns, anywhere)?
            .build()
            .map_err(|e| (0, e))?;
        Ok(PathPatterns {
            matcher,
            patterns: patterns.to_vec(),
        })
    }

    /// Whether every pattern parses, without building the matcher (the
    /// costly part): `Err` as for [`PathPatterns::new`].
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
        match self.matcher.matched_path_or_any_parents(rel, false) {
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

#[cfg(test)]
mod tests {
    use super::PathPatterns;

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
