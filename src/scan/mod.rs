//! The engine: bytes in, findings out. For one blob it
//! 1. finds every rule keyword at once (Aho-Corasick) — most files stop here;
//! 2. runs each gated rule's regex only on the lines around its keyword hits,
//!    producing [`Candidate`]s;
//! 3. judges each candidate (rule allow-list, placeholder, entropy, checksum,
//!    generic heuristics) into a [`Verdict`];
//! 4. keeps the most confident finding where candidates overlap.
//!
//! A [`Scanner`] is immutable and shared by all threads.

pub mod cost;
pub mod credential_files;
pub mod examples;
pub mod generic;
pub mod jwt;
pub mod validate;

use crate::finding::{Finding, Location, Secret};
use crate::lines;
use crate::rules::compile::ByteSet;
use crate::rules::{CompiledRule, Confidence, Rules, Validator};
use std::collections::HashMap;
use std::sync::Arc;

/// How far around a keyword hit, within its line, a regex looks. Bounds the
/// work on minified files whose "line" is a megabyte.
pub const MAX_REACH: usize = 1024;

/// Windows holding more names than this are searched whole, not anchored
/// at each name.
const MAX_NAMES: usize = 4;

/// A regex match not yet judged.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub rule: usize,
    /// Byte range of the secret in the blob.
    pub start: usize,
    pub end: usize,
    /// Byte range of the `name` capture group (the variable or key the secret
    /// is assigned to), for rules that have one.
    pub name: Option<(usize, usize)>,
    /// Byte range of the `user` capture group (the account a password
    /// belongs to), for rules that have one.
    pub user: Option<(usize, usize)>,
}

/// Why a candidate was dropped, for `--explain`.
#[derive(Debug, Clone, PartialEq)]
pub enum DropReason {
    RuleAllow(String),
    /// The provider publishes this value as public; the reason says where.
    Published(String),
    Placeholder(String),
    Entropy {
        got: f64,
        min: f64,
    },
    Checksum,
    /// Longer than the rule's `max_secret_length`.
    TooLong {
        len: usize,
        max: usize,
    },
    NotASecret(&'static str),
    Overlapped(String),
    Empty,
    /// The file holds a provider's reserved example credentials.
    ExampleDocument(String),
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DropReason::RuleAllow(p) => write!(f, "matches the rule's allow pattern {p:?}"),
            DropReason::Published(why) => write!(f, "published as public: {why}"),
            DropReason::Placeholder(why) => write!(f, "placeholder ({why})"),
            DropReason::Entropy { got, min } => {
                write!(f, "entropy {got:.2} below the rule's threshold {min:.2}")
            }
            DropReason::Checksum => write!(f, "checksum does not match"),
            DropReason::TooLong { len, max } => {
                write!(f, "{len} bytes, over the rule's max_secret_length of {max}")
            }
            DropReason::NotASecret(why) => write!(f, "not a secret: {why}"),
            DropReason::Overlapped(by) => write!(f, "same text reported by rule `{by}`"),
            DropReason::Empty => write!(f, "empty value"),
            DropReason::ExampleDocument(what) => {
                write!(f, "the file uses {what}: documentation")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Report,
    Drop(DropReason),
}

/// A judged candidate, as `--explain` shows it.
#[derive(Debug, Clone)]
pub struct Judged {
    pub candidate: Candidate,
    pub verdict: Verdict,
}

pub struct Scanner {
    rules: Arc<Rules>,
    /// Every rule's published-public values with their reasons. A value its
    /// provider publishes is public whichever rule (the generic ones too)
    /// matches it.
    published: HashMap<Vec<u8>, String>,
}

impl Scanner {
    pub fn new(rules: Arc<Rules>) -> Self {
        let published = rules
            .rules
            .iter()
            .flat_map(|r| r.spec.published.iter())
            .map(|p| (p.value.as_bytes().to_vec(), p.reason.clone()))
            .collect();
        Scanner { rules, published }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Scans one blob; `path` is what findings report. The reported
    /// findings only; [`Scanner::judge`] and [`Scanner::describe`] give the
    /// whole story.
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        let judged = self.judge(path, bytes);
        self.describe(path, bytes, &judged, false)
            .into_iter()
            .map(|(_, f)| f)
            .collect()
    }

    pub fn rule(&self, idx: usize) -> &CompiledRule {
        &self.rules.rules[idx]
    }

    /// Every candidate in the blob with its verdict, reported or not, in
    /// blob order. A blob is judged once: the scan keeps the reported ones
    /// and `--explain` shows them all.
    pub fn judge(&self, path: &str, bytes: &[u8]) -> Vec<Judged> {
        let candidates = self.candidates(bytes);
        if candidates.is_empty() {
            return Vec::new();
        }
        let mut judged: Vec<Judged> = candidates
            .into_iter()
            .map(|c| {
                let verdict = self.verdict(&self.rules.rules[c.rule], path, bytes, &c);
                Judged {
                    candidate: c,
                    verdict,
                }
            })
            .collect();
        self.drop_examples(bytes, &mut judged);
        self.resolve_overlaps(&mut judged);
        judged
    }

    /// A [`Finding`] for each judged candidate that was reported (or, with
    /// `all`, for every one), paired with its index in `judged`. Each
    /// finding's line shows every reported secret on it redacted.
    pub fn describe(
        &self,
        path: &str,
        bytes: &[u8],
        judged: &[Judged],
        all: bool,
    ) -> Vec<(usize, Finding)> {
        if !judged.iter().any(|j| all || j.verdict == Verdict::Report) {
            return Vec::new();
        }
        let index = lines::LineIndex::new(bytes);
        let mut reported: Vec<std::ops::Range<usize>> = judged
            .iter()
            .filter(|j| j.verdict == Verdict::Report)
            .map(|j| j.candidate.start..j.candidate.end)
            .collect();
        // Judged candidates come in rule order, not blob order: sort, and keep
        // the running maximum of their ends so the secrets near a finding are
        // found by two binary searches even among long (PEM) spans.
        reported.sort_by_key(|r| (r.start, r.end));
        let reach_ends: Vec<usize> = reported
            .iter()
            .scan(0, |max, r| {
                *max = r.end.max(*max);
                Some(*max)
            })
            .collect();
        judged
            .iter()
            .enumerate()
            .filter(|(_, j)| all || j.verdict == Verdict::Report)
            .map(|(i, j)| {
                let c = &j.candidate;
                let rule = &self.rules.rules[c.rule];
                let secret =
                    Secret::new(String::from_utf8_lossy(&bytes[c.start..c.end]).into_owned());
                // Other reported secrets near this one (the line is at most
                // a few hundred bytes of context either side).
                let lo = reach_ends.partition_point(|&end| end + MAX_REACH < c.start);
                let hi = reported.partition_point(|r| r.start <= c.end + MAX_REACH);
                let others: Vec<_> = reported[lo..hi.max(lo)]
                    .iter()
                    .filter(|r| r.end + MAX_REACH >= c.start)
                    .filter(|r| (r.start, r.end) != (c.start, c.end))
                    .cloned()
                    .collect();
                let finding = Finding::new(
                    rule.meta.clone(),
                    Location {
                        path: path.to_string(),
                        line: index.line_of(c.start),
                        column: index.column(c.start),
                        end_line: index.line_of(c.end.saturating_sub(1).max(c.start)),
                        end_column: index.column(c.end),
                    },
                    secret,
                    index.context(c.start..c.end, &others),
                );
                (i, finding)
            })
            .collect()
    }

    /// Regex matches near keyword hits, in blob order.
    fn candidates(&self, bytes: &[u8]) -> Vec<Candidate> {
        self.candidates_placed(bytes, true)
    }

    /// [`Self::candidates`], with or without what rules say about the name
    /// around their keyword (the tests compare the two).
    fn candidates_placed(&self, bytes: &[u8], use_names: bool) -> Vec<Candidate> {
        // (rule, window start, window end, start of the name around the
        // hit) for every keyword hit.
        cost::add(bytes.len());
        // Taken, not borrowed: nothing below scans another blob, but a
        // reentrant call would then start from an empty list, not alias.
        let (mut windows, mut spare) = WINDOWS.take();
        windows.clear();
        self.rules.prefilter().for_each_hit(bytes, |k, hs, he| {
            let line = hit_line(bytes, hs, he);
            for &r in &self.rules.keyword_rules[k] {
                let rule = &self.rules.rules[r];
                let (s, e) = window(bytes, line, rule);
                if let Some(then) = rule.keyword_then.as_ref().filter(|_| use_names) {
                    if !then.holds(bytes, he, e) {
                        continue;
                    }
                }
                let mut name = s;
                if let Some(facts) = rule.keyword_name.as_ref().filter(|_| use_names) {
                    name = facts.name_start(bytes, hs, s);
                    // The byte before the name is inside the window, or the
                    // regex could not have seen it either.
                    let after = |a: &ByteSet| name > s && a.contains(bytes[name - 1]);
                    if facts.after.as_ref().is_some_and(|a| !after(a)) {
                        continue;
                    }
                }
                windows.push((r, s, e, name));
            }
        });
        order_windows(&mut windows, &mut spare, self.rules.rules.len());
        let out = self.search_windows(bytes, &windows, use_names);
        if windows.capacity().max(spare.capacity()) <= KEEP_WINDOWS {
            WINDOWS.set((windows, spare));
        }
        out
    }

    /// The candidates in `windows`, ordered by rule, then start.
    fn search_windows(&self, bytes: &[u8], windows: &[Window], use_names: bool) -> Vec<Candidate> {
        let mut out = Vec::new();
        let mut names: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < windows.len() {
            let (r, s, mut e, name) = windows[i];
            names.clear();
            names.push(name);
            i += 1;
            while i < windows.len() && windows[i].0 == r && windows[i].1 <= e {
                e = e.max(windows[i].2);
                names.push(windows[i].3);
                i += 1;
            }
            // A built-in pattern that does not compile is ruled out by the
            // test suite; were one to slip through it matches nothing.
            let Ok(m) = self.rules.rules[r].matcher() else {
                continue;
            };
            let window = &bytes[s..e];
            cost::add(e - s);
            let starts_at_names = self.rules.rules[r]
                .keyword_name
                .as_ref()
                .is_some_and(|n| n.starts_match && use_names);
            if starts_at_names {
                names.sort_unstable();
                names.dedup();
            }
            let found = match starts_at_names {
                // Each match starts at a name or the byte before it: a
                // search anchored there stops within a few bytes, where the
                // plain one reads the line. Many names in one window (a
                // minified line) take the one linear search instead, so the
                // window is never read more than `2 * MAX_NAMES` times.
                true if names.len() <= MAX_NAMES => names.iter().any(|&n| {
                    let at = n - s;
                    [at.checked_sub(1), Some(at)]
                        .into_iter()
                        .flatten()
                        .any(|from| {
                            let input = regex_automata::Input::new(window)
                                .span(from..window.len())
                                .anchored(regex_automata::Anchored::Yes)
                                .earliest(true);
                            m.regex.is_match(input)
                        })
                }),
                // Most windows hold no match, and telling so costs the lazy
                // DFA alone; captures cost two to three times that.
                _ => m.regex.is_match(window),
            };
            if !found {
                continue;
            }
            cost::add(e - s);
            // `login, password = 'a@b.com', 'pw'`: a name among names
            // takes the value in its place.
            let unpacks = self.rules.rules[r]
                .validate
                .contains(&Validator::GenericValue);
            for caps in m.regex.captures_iter(window) {
                if let Some(g) = m.secret_groups.iter().find_map(|&i| caps.get_group(i)) {
                    let name = m
                        .name_group
                        .and_then(|n| caps.get_group(n))
                        .map(|m| (s + m.start, s + m.end));
                    let value = (s + g.start, s + g.end);
                    let (start, end) = name
                        .filter(|_| unpacks)
                        .and_then(|n| generic::unpacked_value(bytes, n, value))
                        .unwrap_or(value);
                    out.push(Candidate {
                        rule: r,
                        start,
                        end,
                        name,
                        user: m
                            .user_group
                            .and_then(|n| caps.get_group(n))
                            .map(|m| (s + m.start, s + m.end)),
                    });
                }
            }
        }
        out.sort_unstable_by_key(|c| (c.start, c.end, c.rule));
        out.dedup_by_key(|c| (c.start, c.end, c.rule));
        out
    }

    fn verdict(&self, rule: &CompiledRule, path: &str, bytes: &[u8], c: &Candidate) -> Verdict {
        use DropReason::*;
        let vocab = &self.rules.vocabulary;
        let params = &rule.params;
        let secret = &bytes[c.start..c.end];
        if secret.is_empty() {
            return Verdict::Drop(Empty);
        }
        if let Some(max) = rule.max_secret_length.filter(|&max| secret.len() > max) {
            return Verdict::Drop(TooLong {
                len: secret.len(),
                max,
            });
        }
        if let Some(why) = self.published.get(secret) {
            return Verdict::Drop(Published(why.clone()));
        }
        if let Some(a) = rule
            .allow()
            .unwrap_or_default()
            .iter()
            .find(|a| a.is_match(secret))
        {
            return Verdict::Drop(RuleAllow(a.as_str().to_string()));
        }
        if rule.placeholder_check {
            if let Some(why) = validate::placeholder_reason(secret, vocab) {
                return Verdict::Drop(Placeholder(why.to_string()));
            }
        }
        if let Some(min) = rule.entropy {
            let got = validate::shannon_entropy(secret);
            if got < min {
                return Verdict::Drop(Entropy { got, min });
            }
        }
        if let Some(kind) = rule.checksum {
            if !validate::checksum_ok(kind, secret) {
                return Verdict::Drop(Checksum);
            }
        }
        if !rule.spec.payload_fields.is_empty() {
            if let Some(why) = validate::reject_payload(secret, &rule.spec.payload_fields) {
                return Verdict::Drop(NotASecret(why));
            }
        }
        for v in &rule.validate {
            let rejected = match v {
                Validator::GenericValue => generic::reject_assignment(
                    &generic::Assignment::new(path, bytes, c),
                    vocab,
                    params,
                ),
                Validator::GenericLiteral => generic::reject_assignment(
                    &generic::Assignment::new(path, bytes, c).literal(),
                    vocab,
                    params,
                ),
                Validator::GenericMarkup => generic::reject_markup(
                    &generic::Assignment::new(path, bytes, c).literal(),
                    vocab,
                    params,
                ),
                Validator::TokenValue => generic::reject_token_value(
                    &generic::Assignment::new(path, bytes, c),
                    vocab,
                    params,
                ),
                Validator::UrlPassword => {
                    let user = c.user.map(|(s, e)| &bytes[s..e]);
                    generic::reject_url_password(secret, vocab, params)
                        .or_else(|| user.and_then(|u| generic::reject_password_of_user(secret, u)))
                }
                Validator::Base64Credentials => generic::reject_basic_auth(secret, vocab, params),
                Validator::Base64Value => generic::reject_base64_assignment(
                    &generic::Assignment::new(path, bytes, c),
                    vocab,
                    params,
                ),
                Validator::PemBody => validate::reject_pem_body(secret),
                Validator::ExampleJwt => {
                    jwt::reject_example_jwt(bytes, c.start, c.end, vocab, params)
                }
            };
            if let Some(why) = rejected {
                return Verdict::Drop(NotASecret(why));
            }
        }
        Verdict::Report
    }

    /// Less-than-certain findings in a documentation file written with
    /// reserved example credentials (the rules' `example_documents`) are
    /// examples too.
    fn drop_examples(&self, bytes: &[u8], judged: &mut [Judged]) {
        let uncertain = |j: &Judged| {
            j.verdict == Verdict::Report
                && self.rules.rules[j.candidate.rule].meta.confidence < Confidence::High
        };
        if !judged.iter().any(uncertain) {
            return;
        }
        let Some((_, what)) = self
            .rules
            .example_documents
            .iter()
            .find(|(re, _)| re.is_match(bytes))
        else {
            return;
        };
        for j in judged.iter_mut().filter(|j| uncertain(j)) {
            j.verdict = Verdict::Drop(DropReason::ExampleDocument(what.clone()));
        }
    }

    /// Where reported candidates overlap, the most confident (then a
    /// provider's over a generic one, then the longest, then the
    /// earliest-defined) rule keeps the text.
    fn resolve_overlaps(&self, judged: &mut [Judged]) {
        let rank = |j: &Judged| {
            let r = &self.rules.rules[j.candidate.rule];
            (
                r.meta.confidence,
                // At equal confidence a provider's rule names the key
                // better than a generic one (`Bearer <provider token>`).
                r.meta.provider_id != "generic",
                j.candidate.end - j.candidate.start,
                std::cmp::Reverse(j.candidate.rule),
            )
        };
        let reported: Vec<usize> = (0..judged.len())
            .filter(|&i| judged[i].verdict == Verdict::Report)
            .collect();
        for (a_pos, &a) in reported.iter().enumerate() {
            for &b in &reported[a_pos + 1..] {
                if judged[b].candidate.start >= judged[a].candidate.end {
                    break;
                }
                if judged[a].verdict != Verdict::Report || judged[b].verdict != Verdict::Report {
                    continue;
                }
                let (loser, winner) = if rank(&judged[a]) >= rank(&judged[b]) {
                    (b, a)
                } else {
                    (a, b)
                };
                let by = self.rules.rules[judged[winner].candidate.rule]
                    .meta
                    .id
                    .clone();
                judged[loser].verdict = Verdict::Drop(DropReason::Overlapped(by));
            }
        }
    }
}

/// The part of the blob a rule's regex sees for a keyword hit: the hit's line
/// (at most [`MAX_REACH`] either side), plus the rule's extra lines before and
/// bytes after. `line` is the hit's line, found once for all the rules of
/// its keyword ([`hit_line`]).
fn window(bytes: &[u8], line: (usize, usize), rule: &CompiledRule) -> (usize, usize) {
    let (mut s, e) = line;
    for _ in 0..rule.lines_before {
        if s == 0 {
            break;
        }
        s = lines::line_start_within(bytes, s - 1, MAX_REACH);
    }
    (s, (e + rule.bytes_after).min(bytes.len()))
}

/// The line holding the keyword hit `hs..he`, at most [`MAX_REACH`] either
/// side.
fn hit_line(bytes: &[u8], hs: usize, he: usize) -> (usize, usize) {
    (
        lines::line_start_within(bytes, hs, MAX_REACH),
        lines::line_end_within(bytes, he, MAX_REACH),
    )
}

/// A window to search: (rule, start, end, start of the name around the
/// hit, or the window's start for a rule without `keyword_name`).
type Window = (usize, usize, usize, usize);

thread_local! {
    /// The window list each blob's search fills (and the one it is ordered
    /// through), kept per thread: most blobs have a few dozen windows, and
    /// a fresh vector grown for each was a tenth of the time spent making
    /// them.
    static WINDOWS: std::cell::Cell<(Vec<Window>, Vec<Window>)> =
        const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

/// Orders windows by rule, then start, for merging. They come in the order
/// of their hits, so within one rule nearly by start: a stable pass into
/// buckets by rule, then a sort per rule that takes runs as they come,
/// costs about a pass over them, where one comparison sort of a large
/// blob's windows was 3% of a tree scan's instructions. `rules` bounds
/// the rule indices.
fn order_windows(windows: &mut Vec<Window>, spare: &mut Vec<Window>, rules: usize) {
    if windows.len() < 64 {
        windows.sort_unstable_by_key(|w| (w.0, w.1));
        return;
    }
    let mut ends = vec![0usize; rules + 1];
    for w in windows.iter() {
        ends[w.0 + 1] += 1;
    }
    for r in 1..ends.len() {
        ends[r] += ends[r - 1];
    }
    let mut next = ends.clone();
    // Every slot is written below: only new ones need a value first.
    if spare.len() < windows.len() {
        spare.resize(windows.len(), (0, 0, 0, 0));
    }
    spare.truncate(windows.len());
    for &w in windows.iter() {
        spare[next[w.0]] = w;
        next[w.0] += 1;
    }
    std::mem::swap(windows, spare);
    for r in 0..rules {
        windows[ends[r]..ends[r + 1]].sort_by_key(|w| w.1);
    }
}

/// Windows kept between blobs; a larger list (a minified file's) goes back.
const KEEP_WINDOWS: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// Windows are merged by rule and start: ordering them by buckets must
    /// give that order, with every window kept, for lists small and large.
    #[test]
    fn windows_are_ordered_by_rule_then_start_and_none_is_lost() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n) as usize
        };
        for len in [0, 1, 5, 63, 64, 65, 1000] {
            let mut windows: Vec<Window> = (0..len)
                .map(|i| {
                    // Mostly in hit order, with some out of place.
                    let s = if next(5) == 0 { next(5000) } else { i * 5 };
                    (next(7), s, s + next(300), s)
                })
                .collect();
            let mut expected = windows.clone();
            expected.sort_unstable();
            let mut spare = vec![(9, 9, 9, 9); 3];
            order_windows(&mut windows, &mut spare, 7);
            assert!(windows
                .windows(2)
                .all(|p| (p[0].0, p[0].1) <= (p[1].0, p[1].1)));
            windows.sort_unstable();
            assert_eq!(windows, expected, "{len} windows");
        }
    }

    /// A rule that says where its matches sit relative to the name around
    /// its keyword (`keyword_name`), or what follows the keyword
    /// (`keyword_then`), is searched only there: the facts must
    /// lose no match the plain search over the line finds. Checked on every
    /// rule's examples and counter-examples, and on lines built to meet
    /// the edges: a name at the start of the text or of a line, names
    /// glued to other names, quotes and escapes before them, many names on
    /// one line.
    #[test]
    fn what_rules_say_about_their_keyword_names_loses_no_match() {
        let set = RuleSet::builtin().unwrap();
        let scanner = Scanner::new(Arc::new(set.compile().unwrap()));
        let placed: Vec<usize> = (0..scanner.rules.rules.len())
            .filter(|&r| {
                let rule = &scanner.rules.rules[r];
                rule.keyword_name.is_some() || rule.keyword_then.is_some()
            })
            .collect();
        assert!(placed.len() >= 3, "rules state keyword_name facts");
        let mut texts: Vec<String> = Vec::new();
        for spec in set.rules() {
            texts.extend(spec.examples.iter().map(|e| e.input.clone()));
            texts.extend(spec.counter_examples.iter().map(|c| c.input().to_string()));
        }
        let value = "Zq8vK2mWx9Lp"; // keylint:allow (fake value under test)
        for before in [
            "", " ", "\n", "x", "\"", "'", "`", "(", "<", "\\n", ".", "-", ":", "--",
        ] {
            for name in [
                "password", "db_pass", "api.key", "ns:token", "x-secret", "machine",
            ] {
                for op in [
                    "=",
                    " = ",
                    ": ",
                    ":=",
                    "\" : \"",
                    "\", \"",
                    "> ",
                    " example.com login u password ",
                ] {
                    let line = format!("{before}{name}{op}{value}");
                    texts.push(line.clone());
                    texts.push(format!("set({before}{name}{op}{value})"));
                    texts.push(format!("<{name}>{value}</{name}>"));
                    texts.push(format!("a {line} b {line}\n{line}"));
                }
            }
        }
        texts.push(format!("{} password={value}", "key ".repeat(2 * MAX_NAMES)));
        for url in [
            "https://u:{v}@db.example.com",
            "postgres://svc:{v}@10.0.0.1:5432/app",
            "x+ssh://git:{v}@host ftp://a@b http://h:80/p",
            "http://example.com/a:b@c",
            "s3://bucket/key://u:{v}@h",
            "jdbc:mysql://root:{v}@[::1]/db",
            "://:{v}@h",
            "mongodb+srv://app:{v}@cluster0.example.net",
            "'redis://:{v}@cache:6379'",
        ] {
            texts.push(url.replace("{v}", value));
        }
        let mut matched = 0;
        for text in &texts {
            let bytes = text.as_bytes();
            let with = scanner.candidates_placed(bytes, true);
            let without = scanner.candidates_placed(bytes, false);
            let of = |cs: &[Candidate]| -> Vec<(usize, usize, usize)> {
                cs.iter().map(|c| (c.rule, c.start, c.end)).collect()
            };
            assert_eq!(of(&with), of(&without), "{text:?}");
            matched += with.iter().filter(|c| placed.contains(&c.rule)).count();
        }
        // The comparison means something only if those rules matched.
        assert!(matched > 500, "{matched} matches of the rules with facts");
    }
}
