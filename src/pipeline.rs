//! Runs a [`ScanPlan`]: the plan's source pushes blobs into the scanning
//! sink, which judges each blob once, applies the filters and keeps what is
//! reported (and, for `--explain`, every verdict). Unreadable input is
//! remembered, not fatal: the outcome carries the errors and the binary
//! exits 2 when there are any and no finding.

use crate::filter::inline;
use crate::finding::{CommitInfo, Finding, Fingerprint, Location};
use crate::lines::{self, LineIndex};
use crate::plan::{Mode, ScanPlan};
use crate::report::{line_hash, Summary};
use crate::scan::credential_files::CredentialFiles;
use crate::scan::Verdict;
use crate::source::archive::{self, Budget};
use crate::source::git::{self, diff, lfs, worktree::Tracked};
use crate::source::{encoded, notebook};
use crate::source::{fs, is_binary, Blob, Origin, Sink, Skip, Stats};
pub use crate::verdict::{Considered, Outcome, Suppressed};
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How far a running scan has got, for a progress line.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub files: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

/// Everything a scan produced, sorted.
pub struct ScanResult {
    pub findings: Vec<Finding>,
    /// Findings a marker, the config or a baseline accepted, kept only for
    /// reports that record them (SARIF); empty otherwise.
    pub suppressed: Vec<Suppressed>,
    /// Every candidate and its outcome, with `--explain`.
    pub considered: Vec<Considered>,
    pub summary: Summary,
    pub warnings: Vec<String>,
    pub errors: Vec<Error>,
}

pub fn run(plan: &ScanPlan) -> Result<ScanResult> {
    run_observed(plan, None)
}

/// [`run`], calling `observe` about every 100 ms while the scan runs (on
/// a thread of its own), for a progress line.
pub fn run_observed(
    plan: &ScanPlan,
    observe: Option<&(dyn Fn(Progress) + Sync)>,
) -> Result<ScanResult> {
    let started = Instant::now();
    let sink = Collector::new(plan)?;
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // No progress line if its thread cannot start: the scan needs none.
        let ticker = observe.and_then(|observe| {
            let (sink, done) = (&sink, &done);
            std::thread::Builder::new()
                .spawn_scoped(scope, move || loop {
                    std::thread::park_timeout(Duration::from_millis(100));
                    if done.load(Ordering::Acquire) {
                        break;
                    }
                    observe(Progress {
                        files: Stats::get(&sink.stats.files),
                        bytes: Stats::get(&sink.stats.bytes),
                        elapsed: started.elapsed(),
                    });
                })
                .ok()
        });
        let outcome = scan_into(plan, &sink);
        done.store(true, Ordering::Release);
        if let Some(t) = ticker {
            t.thread().unpark();
        }
        outcome
    })?;
    Ok(sink.finish(started))
}

/// The plan's source, pushing into `sink`.
fn scan_into(plan: &ScanPlan, sink: &Collector<'_>) -> Result<()> {
    match &plan.mode {
        Mode::Tree { roots, no_ignore } => {
            let opts = fs::WalkOptions {
                no_ignore: *no_ignore,
                max_file_size: plan.max_file_size,
                max_archive_size: (plan.archives.depth > 0)
                    .then_some(plan.archives.per_archive.max(plan.max_file_size)),
                threads: plan.threads,
            };
            fs::walk(roots, &opts, sink)?;
            if plan.git_aware {
                sink.check_work_tree(roots, *no_ignore)?;
            }
        }
        Mode::Staged { whole_files } => {
            let repo = git::open_from_env()?;
            git::staged::scan(&repo, plan.max_file_size, *whole_files, sink)?;
        }
        Mode::History { repo, selection } => {
            let found = git::discover(repo)?.ok_or_else(|| Error::NotARepository {
                path: repo.clone(),
                needed: "`keylint scan --history` and `keylint scan --range` need one",
            })?;
            let opts = git::history::Options {
                selection: selection.clone(),
                threads: plan.threads,
                max_file_size: plan.max_file_size,
            };
            git::history::scan(&found, &opts, sink)?;
        }
    }
    Ok(())
}

/// An accepted finding's identity: its fingerprint, and its place outside
/// history (in history, the earliest commit's place wins).
type SuppressedKey = (Fingerprint, Option<Location>);

/// What the filters made of one blob's candidates the rules report.
#[derive(Default)]
struct Judged {
    reported: Vec<Finding>,
    /// Accepted ones, kept only when the report records them.
    suppressed: Vec<Suppressed>,
}

impl Judged {
    fn retain(&mut self, keep: impl Fn(&Finding) -> bool) {
        self.reported.retain(&keep);
        self.suppressed.retain(|s| keep(&s.finding));
    }

    fn extend(&mut self, other: Judged) {
        self.reported.extend(other.reported);
        self.suppressed.extend(other.suppressed);
    }

    /// Reported and accepted findings alike.
    fn all_mut(&mut self) -> impl Iterator<Item = &mut Finding> {
        self.reported
            .iter_mut()
            .chain(self.suppressed.iter_mut().map(|s| &mut s.finding))
    }

    /// Marks every finding as inside a file whose name is the first
    /// `within` bytes of its path (an archive member, a notebook cell),
    /// unless a deeper level already did.
    fn set_within(&mut self, within: usize) {
        for f in self.all_mut() {
            f.within.get_or_insert(within);
        }
    }

    /// The fingerprints of what was reported and what was accepted.
    fn fingerprints(&self) -> (HashSet<Fingerprint>, HashSet<Fingerprint>) {
        let reported = self.reported.iter().map(|f| f.fingerprint().clone());
        let accepted = self
            .suppressed
            .iter()
            .map(|s| s.finding.fingerprint().clone());
        (reported.collect(), accepted.collect())
    }
}

/// Each finding's GitHub line hash, from one pass over the blob `bytes`
/// they were found in.
fn fill_line_hashes<'a>(bytes: &[u8], findings: impl Iterator<Item = &'a mut Finding>) {
    let mut all: Vec<&mut Finding> = findings.collect();
    if all.is_empty() {
        return;
    }
    let lines: Vec<usize> = all.iter().map(|f| f.location.line).collect();
    for (f, h) in all.iter_mut().zip(line_hash::line_hashes(bytes, &lines)) {
        f.line_hash = h;
    }
}

/// The validator stage (`--verify`): asks each finding's provider about its
/// key, each distinct key once, within the plan's bounds; `announce` gets
/// the one line saying what is sent where, before anything is. With
/// `--only-live`, keeps only the keys that work.
pub fn verify(plan: &ScanPlan, result: &mut ScanResult, announce: impl FnOnce(&str)) {
    let Some(settings) = &plan.verify else {
        return;
    };
    crate::verify::verify_findings(
        &mut result.findings,
        plan.scanner.rules(),
        settings,
        announce,
    );
    if plan.only_live {
        result.findings.retain(Finding::is_live);
        result.summary.findings = result.findings.len();
    }
    result.summary.live = Some(result.findings.iter().filter(|f| f.is_live()).count());
}

/// The sink every source pushes into.
struct Collector<'p> {
    plan: &'p ScanPlan,
    creds: CredentialFiles,
    stats: Stats,
    /// Inflated bytes the scan's archives have left.
    budget: Budget,
    found: Mutex<Vec<Finding>>,
    /// History: each fingerprint once, at the earliest commit that holds it.
    earliest: Mutex<HashMap<Fingerprint, (usize, Finding)>>,
    considered: Mutex<Vec<Considered>>,
    /// Accepted findings (SARIF only); in history each fingerprint once,
    /// at the earliest commit.
    suppressed: Mutex<HashMap<SuppressedKey, (usize, Suppressed)>>,
    warnings: Mutex<Vec<String>>,
    errors: Mutex<Vec<Error>>,
    /// Credential files the walk met (shown path, path on disk), to warn
    /// about the untracked ones.
    walked_credential_files: Mutex<Vec<(String, PathBuf)>>,
}

/// A poisoned lock means a scanning thread panicked: its partial results
/// are still worth keeping.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<'p> Collector<'p> {
    fn new(plan: &'p ScanPlan) -> Result<Self> {
        Ok(Collector {
            plan,
            creds: CredentialFiles::new(plan.scanner.rules())?,
            stats: Stats::default(),
            budget: Budget::new(&plan.archives),
            found: Mutex::default(),
            earliest: Mutex::default(),
            considered: Mutex::default(),
            suppressed: Mutex::default(),
            warnings: Mutex::default(),
            errors: Mutex::default(),
            walked_credential_files: Mutex::default(),
        })
    }

    /// Judges `scanned` (a blob, or a history version with its unchanged
    /// lines blanked) once; inline allows and line hashes are read from
    /// `whole`. Returns the reported findings; with `--explain` records
    /// every candidate's outcome.
    fn consider(&self, path: &str, scanned: &[u8], whole: &[u8]) -> Judged {
        let scanner = &self.plan.scanner;
        let judged = scanner.judge(path, scanned);
        if judged.is_empty() {
            return Judged::default();
        }
        let described = scanner.describe(path, scanned, &judged, self.plan.explain);
        if described.is_empty() {
            return Judged::default();
        }
        let allows = inline::InlineAllows::parse(whole);
        let keep_suppressed = self.plan.keeps_suppressed();
        let mut out = Judged::default();
        let mut considered = Vec::new();
        for (i, finding) in described {
            let outcome = match &judged[i].verdict {
                Verdict::Drop(why) => Outcome::Dropped(why.clone()),
                Verdict::Report => match self.plan.filters.suppression(&finding, allows.as_ref()) {
                    Some(suppression) => {
                        let why = suppression.justification.clone();
                        if keep_suppressed {
                            out.suppressed.push(Suppressed {
                                finding: finding.clone(),
                                suppression,
                            });
                        }
                        Outcome::Allowed(why)
                    }
                    None => Outcome::Reported,
                },
            };
            if outcome == Outcome::Reported {
                out.reported.push(finding.clone());
            }
            if self.plan.explain {
                considered.push(Considered { finding, outcome });
            }
        }
        if !considered.is_empty() {
            lock(&self.considered).extend(considered);
        }
        if self.plan.verify.is_some() {
            self.find_partners(&mut out.reported, whole);
        }
        if self.plan.line_hashes() {
            fill_line_hashes(whole, out.all_mut());
        }
        out
    }

    /// With `--verify`: the other half of each two-part credential, looked
    /// for near it while the bytes are at hand.
    fn find_partners(&self, reported: &mut [Finding], whole: &[u8]) {
        let rules = self.plan.scanner.rules();
        for f in reported {
            let pair = rules
                .get(&f.rule.id)
                .and_then(|r| r.spec.verify.as_ref())
                .and_then(|v| v.pair.as_ref());
            if let Some(pair) = pair {
                f.partner =
                    crate::verify::pair::find(pair, whole, f.location.line, f.secret.expose());
            }
        }
    }

    /// A history version: only what it introduces. Unchanged lines are
    /// blanked, and a secret the older version already held was not
    /// introduced here — unless the change touched an allow marker, which
    /// can re-activate secrets anywhere it governed: then both versions are
    /// judged whole and what the older one did not report is new.
    fn introduced(
        &self,
        path: &str,
        bytes: &[u8],
        older: &[u8],
        (old_span, new_span): (Range<usize>, Range<usize>),
    ) -> Judged {
        if touches_marker(older, old_span, bytes, new_span.clone()) {
            let (reported, accepted) = self.consider(path, older, older).fingerprints();
            let mut now = self.consider(path, bytes, bytes);
            // Reported now and not before is new, even when the older
            // version allowed it (that is the re-activation); a secret the
            // older version reported or allowed is no new suppression.
            now.reported.retain(|f| !reported.contains(f.fingerprint()));
            now.suppressed.retain(|s| {
                let fp = s.finding.fingerprint();
                !reported.contains(fp) && !accepted.contains(fp)
            });
            return now;
        }
        let changed = diff::region_of(bytes, new_span);
        let mut found = self.consider(path, &changed, bytes);
        found.retain(|f| memchr::memmem::find(older, f.secret.expose().as_bytes()).is_none());
        found
    }

    fn keep(&self, judged: Judged, commit: Option<(&CommitInfo, usize)>) {
        let Judged {
            reported: found,
            suppressed,
        } = judged;
        if !suppressed.is_empty() {
            self.keep_suppressed(suppressed, commit);
        }
        if found.is_empty() {
            return;
        }
        match commit {
            None => {
                // Fingerprints cost a key stretch for weak secrets: compute
                // them here, on the scanning threads, not serially at the end.
                for f in &found {
                    f.fingerprint();
                }
                lock(&self.found).extend(found)
            }
            Some((info, order)) => {
                let mut earliest = lock(&self.earliest);
                for mut f in found {
                    f.commit = Some(info.clone());
                    match earliest.get(f.fingerprint()) {
                        Some((o, _)) if *o <= order => {}
                        _ => {
                            earliest.insert(f.fingerprint().clone(), (order, f));
                        }
                    }
                }
            }
        }
    }

    fn keep_suppressed(&self, suppressed: Vec<Suppressed>, commit: Option<(&CommitInfo, usize)>) {
        let mut kept = lock(&self.suppressed);
        for mut s in suppressed {
            let (key, order) = match commit {
                None => (
                    (
                        s.finding.fingerprint().clone(),
                        Some(s.finding.location.clone()),
                    ),
                    0,
                ),
                Some((info, order)) => {
                    s.finding.commit = Some(info.clone());
                    ((s.finding.fingerprint().clone(), None), order)
                }
            };
            match kept.get(&key) {
                Some((o, _)) if *o <= order => {}
                _ => {
                    kept.insert(key, (order, s));
                }
            }
        }
    }

    /// In a work tree: tracked credential files under the scanned roots are
    /// findings; untracked ones the walk met are warnings.
    fn check_work_tree(&self, roots: &[PathBuf], no_ignore: bool) -> Result<()> {
        let Some(start) = roots.iter().find(|r| r.as_os_str() != "-") else {
            return Ok(());
        };
        // Discovery starts from a directory: a named file's own.
        let dir = match start.parent() {
            _ if start.is_dir() => start.as_path(),
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // A repository that is there but cannot be opened is an error the
        // run remembers: the files were scanned, git's checks were not.
        let repo = match git::discover(dir) {
            Ok(Some(repo)) => repo,
            Ok(None) => return Ok(()),
            Err(e) => {
                self.error(e);
                return Ok(());
            }
        };
        let Some(tracked) = Tracked::read(&repo)? else {
            return Ok(());
        };
        let canonical_roots: Vec<PathBuf> = roots
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut tracked_paths: Vec<&String> = tracked.paths.iter().collect();
        tracked_paths.sort();
        for rel in tracked_paths {
            if self.creds.matches(rel).is_none() {
                continue;
            }
            let abs = tracked.workdir.join(rel);
            if canonical_roots.iter().any(|r| abs.starts_with(r)) {
                self.tracked(&shown_from(&abs, &cwd), None);
            }
        }
        // With --no-ignore the walk also met ignored files: whether one is
        // untracked says nothing then.
        if !no_ignore {
            let walked = std::mem::take(&mut *lock(&self.walked_credential_files));
            for (shown, path) in walked {
                if !tracked.is_tracked(&path) {
                    self.untracked(&shown);
                }
            }
        }
        Ok(())
    }

    fn finish(self, started: Instant) -> ScanResult {
        let mut findings = self.found.into_inner().unwrap_or_else(|e| e.into_inner());
        findings.extend(
            self.earliest
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .into_values()
                .map(|(_, f)| f),
        );
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings.dedup_by(|a, b| a.location == b.location && a.fingerprint() == b.fingerprint());
        self.creds.escalate_holding(&mut findings);
        let mut suppressed: Vec<Suppressed> = self
            .suppressed
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_values()
            .map(|(_, s)| s)
            .collect();
        suppressed.sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        let mut considered = self
            .considered
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        considered.sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        let mut warnings = self
            .warnings
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        warnings.extend(
            self.plan
                .filters
                .accepted
                .iter()
                .filter_map(|a| a.legacy_warning()),
        );
        warnings.sort();
        warnings.dedup();
        let mut errors = self.errors.into_inner().unwrap_or_else(|e| e.into_inner());
        errors.sort_by_key(|e| e.to_string());
        let s = &self.stats;
        ScanResult {
            summary: Summary {
                files: Stats::get(&s.files),
                bytes: Stats::get(&s.bytes),
                findings: findings.len(),
                skipped_binary: Stats::get(&s.skipped_binary),
                skipped_large: Stats::get(&s.skipped_large),
                skipped_lfs: Stats::get(&s.skipped_lfs),
                searched_bytes: Stats::get(&s.searched),
                errors: errors.len() as u64,
                live: None,
                elapsed: started.elapsed(),
            },
            findings,
            suppressed,
            considered,
            warnings,
            errors,
        }
    }
}

impl Collector<'_> {
    /// A blob that is not an archive: judged as text, unless it is binary.
    /// `within`: the length of the path's prefix naming the archive that
    /// holds it.
    fn judge_blob(&self, blob: Blob<'_>, within: Option<usize>) {
        let _counted = CountSearched(&self.stats);
        let Blob {
            path,
            bytes,
            origin,
        } = blob;
        if is_binary(bytes) {
            return self.skipped(path, Skip::Binary);
        }
        self.stats.scanned(bytes.len());
        if within.is_none()
            && matches!(origin, Origin::File)
            && self.plan.git_aware
            && self.creds.matches(path).is_some()
        {
            lock(&self.walked_credential_files).push((path.to_string(), PathBuf::from(path)));
        }
        let commit = match &origin {
            Origin::Version { commit, order, .. } => Some((*commit, *order)),
            _ => None,
        };
        if let Some(cells) = notebook::cells(path, bytes) {
            let mut found = self.judge_cells(path, bytes, &cells, &origin);
            found.set_within(within.unwrap_or(path.len()));
            return self.keep(found, commit);
        }
        // What a version changed against its older one (`Some(None)`:
        // nothing), found once for its text and its base64 values.
        let changed = match &origin {
            Origin::Version {
                older: Some(older), ..
            } if !self.plan.explain => Some(diff::changed_spans(older, bytes)),
            _ => None,
        };
        let mut found = match origin {
            Origin::File | Origin::Member { .. } => self.consider(path, bytes, bytes),
            Origin::Staged { added, older } => {
                let mut found = self.consider(path, bytes, bytes);
                if let Some(added) = added {
                    // A change touching an allow marker re-activates what it
                    // governed: a secret HEAD's version did not report
                    // counts as added wherever it is.
                    // (`--explain` shows every candidate of this version
                    // whatever counts, and would show the older one's too.)
                    let before = older
                        .filter(|_| !self.plan.explain)
                        .filter(|older| {
                            diff::changed_spans(older, bytes)
                                .is_some_and(|(o, n)| touches_marker(older, o, bytes, n))
                        })
                        .map(|older| self.consider(path, older, older).fingerprints().0);
                    let on_added = |f: &Finding| {
                        added.iter().any(|r| {
                            *r.start() <= f.location.end_line && f.location.line <= *r.end()
                        })
                    };
                    found.reported.retain(|f| {
                        on_added(f)
                            || before
                                .as_ref()
                                .is_some_and(|b| !b.contains(f.fingerprint()))
                    });
                    found.suppressed.retain(|s| on_added(&s.finding));
                }
                found
            }
            Origin::Version { older, .. } => match (older, &changed) {
                (Some(older), Some(Some(spans))) => {
                    self.introduced(path, bytes, older, spans.clone())
                }
                (_, Some(None)) => Judged::default(),
                _ => self.consider(path, bytes, bytes),
            },
        };
        // Base64 runs outside what a version changed were the older one's.
        let search = match changed {
            Some(Some((_, new_span))) => Some(line_span(bytes, new_span)),
            Some(None) => None,
            None => Some(0..bytes.len()),
        };
        if let Some(search) = search {
            self.decoded(path, bytes, &origin, search, &mut found);
        }
        if let Some(n) = within {
            found.set_within(n);
        }
        self.keep(found, commit);
    }

    /// Secrets inside the blob's base64 values (only those a staged change
    /// or a version introduces), each reported at its encoded text. A
    /// finding of the encoded text itself gives way to what it decodes to.
    ///
    /// Linear in the blob however many runs share a line: line positions
    /// come from one index, a version's runs are compared with the older
    /// version's by a set, and each finding's line is cut around it.
    fn decoded(
        &self,
        path: &str,
        bytes: &[u8],
        origin: &Origin<'_>,
        search: Range<usize>,
        found: &mut Judged,
    ) {
        let index: std::cell::OnceCell<LineIndex<'_>> = std::cell::OnceCell::new();
        let index = || index.get_or_init(|| LineIndex::new(bytes));
        let older_runs: std::cell::OnceCell<HashSet<&[u8]>> = std::cell::OnceCell::new();
        let staged = |run: &Range<usize>| match origin {
            Origin::Staged {
                added: Some(ranges),
                ..
            } => {
                let line = index().line_of(run.start);
                ranges.iter().any(|r| r.contains(&line))
            }
            Origin::Version {
                older: Some(older), ..
            } if !self.plan.explain => !older_runs
                .get_or_init(|| encoded::run_texts(older))
                .contains(&bytes[run.clone()]),
            _ => true,
        };
        let views = encoded::views_in(bytes, search, Some(&staged));
        if views.is_empty() {
            return;
        }
        let allows = inline::InlineAllows::parse(bytes);
        // (line, column, end column, bytes) of each run that holds a finding.
        let mut hits: Vec<(usize, usize, usize, std::ops::Range<usize>)> = Vec::new();
        let mut decoded = Vec::new();
        for view in views {
            let inner = self.in_view(path, &view, 1);
            if inner.is_empty() {
                continue;
            }
            let index = index();
            let run = view.encoded.clone();
            let line = index.line_of(run.start);
            let column = index.column(run.start);
            let end_column = column + (run.end - run.start);
            hits.push((line, column, end_column, run.clone()));
            let context = index.context(run.clone(), &[]);
            for mut f in inner {
                f.location = crate::finding::Location {
                    path: path.to_string(),
                    line,
                    column,
                    end_line: line,
                    end_column,
                };
                f.context = context.clone();
                f.decoded = Some("base64");
                f.line_hash = None;
                if self
                    .plan
                    .filters
                    .dropped_with(&f, allows.as_ref())
                    .is_none()
                {
                    decoded.push(f);
                }
            }
        }
        if hits.is_empty() {
            return;
        }
        // The encoded text itself, if a rule matched it, is the decoded
        // finding (`hits` is in blob order: sorted by line and column).
        let overlaps_hit = |f: &Finding| {
            let (line, col, end) = (f.location.line, f.location.column, f.location.end_column);
            let from = hits.partition_point(|h| (h.0, h.2) <= (line, col));
            hits[from..]
                .iter()
                .take_while(|h| h.0 == line && h.1 < end)
                .any(|h| col < h.2)
        };
        found.retain(|f| !overlaps_hit(f));
        if self.plan.line_hashes() {
            fill_line_hashes(bytes, decoded.iter_mut());
        }
        found.reported.extend(decoded);
        // A base64 run shown beside another finding gives its secret away
        // as surely as the secret itself, and a decoded finding's line may
        // hold a plain one: on lines with hits, every finding's shown line
        // redacts the runs and the plain secrets near it.
        let mut near: Vec<(usize, usize, usize, String)> = hits
            .iter()
            .map(|(line, col, end, run)| {
                let text = String::from_utf8_lossy(&bytes[run.clone()]).into_owned();
                (*line, *col, *end, text)
            })
            .collect();
        let on_hit_line = |line: usize| {
            let at = hits.partition_point(|h| h.0 < line);
            hits.get(at).is_some_and(|h| h.0 == line)
        };
        near.extend(
            found
                .reported
                .iter()
                .chain(found.suppressed.iter().map(|s| &s.finding))
                .filter(|f| f.decoded.is_none() && on_hit_line(f.location.line))
                .map(|f| {
                    let l = &f.location;
                    (
                        l.line,
                        l.column,
                        l.end_column,
                        f.secret.expose().to_string(),
                    )
                }),
        );
        near.sort();
        let longest = near.iter().map(|n| n.2 - n.1).max().unwrap_or(0);
        for f in found.all_mut() {
            let l = &f.location;
            if !on_hit_line(l.line) {
                continue;
            }
            // What a context can show: the whole line when short, else a
            // window around the finding (see `crate::lines`).
            let reach = lines::SHOWN_REACH;
            let from = near.partition_point(|n| {
                (n.0, n.1) < (l.line, l.column.saturating_sub(reach + longest))
            });
            let values: Vec<&str> = near[from..]
                .iter()
                .take_while(|n| n.0 == l.line && n.1 <= l.end_column + reach)
                .map(|n| n.3.as_str())
                .collect();
            f.context.redact_values(&values);
        }
    }

    /// The findings in a decoded view's value, and in base64 decoded from
    /// it in turn, to [`encoded::MAX_DEPTH`].
    fn in_view(&self, path: &str, view: &encoded::View, depth: u32) -> Vec<Finding> {
        let text = view.text.as_bytes();
        let mut found = self.consider(path, text, text).reported;
        if let Some(cols) = &view.value_columns {
            found.retain(|f| {
                f.location.line == 1
                    && f.location.column - 1 < cols.end
                    && cols.start < f.location.end_column - 1
            });
        }
        if depth < encoded::MAX_DEPTH {
            let value = view.value.clone();
            let within =
                |run: &std::ops::Range<usize>| value.start <= run.start && run.end <= value.end;
            for nested in encoded::views(text, Some(&within)) {
                found.extend(self.in_view(path, &nested, depth + 1));
            }
        }
        found
    }

    /// A notebook, cell by cell, as the text each cell shows. What counts
    /// of a staged or historical version: a secret whose (JSON-escaped)
    /// text the change adds.
    fn judge_cells(
        &self,
        path: &str,
        bytes: &[u8],
        cells: &[notebook::Cell],
        origin: &Origin<'_>,
    ) -> Judged {
        let mut found = Judged::default();
        for cell in cells {
            let shown = format!("{path}:{}", cell.label);
            let text = cell.text.as_bytes();
            found.extend(self.consider(&shown, text, text));
        }
        let added: Option<Vec<u8>> = match origin {
            Origin::Staged {
                added: Some(ranges),
                ..
            } => Some(lines_in(bytes, ranges)),
            _ => None,
        };
        found.retain(|f| {
            let escaped = notebook::escaped(f.secret.expose());
            let has = |hay: &[u8]| memchr::memmem::find(hay, escaped.as_bytes()).is_some();
            match (origin, &added) {
                (_, Some(added)) => has(added),
                (Origin::Version { older: Some(o), .. }, _) if !self.plan.explain => !has(o),
                _ => true,
            }
        });
        found
    }
}

/// The lines of `bytes` in `ranges` (1-based, inclusive), joined.
fn lines_in(bytes: &[u8], ranges: &[RangeInclusive<usize>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if ranges.iter().any(|r| r.contains(&(i + 1))) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

impl Sink for Collector<'_> {
    /// Every source's blobs come through here, so every mode opens
    /// archives the same way.
    fn blob(&self, blob: Blob<'_>) {
        if let Origin::Member { archive, of } = blob.origin {
            // Nested archives were opened by the archive source itself.
            let origin = match of {
                Origin::Staged { .. } => Origin::Staged {
                    added: None,
                    older: None,
                },
                Origin::Version { commit, order, .. } => Origin::Version {
                    commit,
                    order: *order,
                    older: None,
                },
                _ => Origin::File,
            };
            return self.judge_blob(Blob { origin, ..blob }, Some(archive));
        }
        let bytes = blob.bytes;
        let archive = self.plan.archives.depth > 0
            && archive::kind(&bytes[..bytes.len().min(archive::SNIFF_LEN)]).is_some();
        // An archive may be larger than a file: its own limit is what it
        // inflates to.
        let max = match archive {
            true => self.plan.max_file_size.max(self.plan.archives.per_archive),
            false => self.plan.max_file_size,
        };
        if bytes.len() as u64 > max {
            return self.skipped(blob.path, Skip::Large);
        }
        if archive {
            return archive::expand(
                blob.path,
                bytes,
                &blob.origin,
                &self.plan.archives,
                &self.budget,
                self,
            );
        }
        if lfs::is_lfs_pointer(bytes) {
            return self.skipped(blob.path, Skip::LfsPointer);
        }
        self.judge_blob(blob, None);
    }

    fn tracked(&self, path: &str, commit: Option<(&CommitInfo, usize)>) {
        if !self.plan.git_aware {
            return;
        }
        let Some(spec) = self.creds.matches(path) else {
            return;
        };
        let finding = self.creds.finding(path, spec);
        let mut judged = Judged::default();
        match self.plan.filters.suppression(&finding, None) {
            None => judged.reported.push(finding),
            Some(suppression) if self.plan.keeps_suppressed() => {
                judged.suppressed.push(Suppressed {
                    finding,
                    suppression,
                })
            }
            Some(_) => {}
        }
        self.keep(judged, commit);
    }

    fn untracked(&self, path: &str) {
        if let Some(spec) = self.creds.matches(path) {
            self.warn(format!(
                "{path} ({}) is neither tracked nor ignored: one `git add .` from a leak; add it to .gitignore",
                spec.description
            ));
        }
    }

    fn skipped(&self, _path: &str, why: Skip) {
        self.stats.skipped(why);
    }

    fn warn(&self, message: String) {
        lock(&self.warnings).push(message);
    }

    fn error(&self, error: Error) {
        lock(&self.errors).push(error);
    }
}

/// Whether a change (the span `old_span` of `older` became `new_span` of
/// `newer`) can change what an allow marker governs: a marker on a changed
/// line, or on the line just before one (`keylint:allow-next-line` governs
/// the line after it, so inserting a line below it re-activates the secret
/// it allowed).
fn touches_marker(
    older: &[u8],
    old_span: std::ops::Range<usize>,
    newer: &[u8],
    new_span: std::ops::Range<usize>,
) -> bool {
    inline::mentions_marker(lines_and_one_before(older, old_span))
        || inline::mentions_marker(lines_and_one_before(newer, new_span))
}

/// The whole lines around a byte span of `bytes`, and the line before them.
fn lines_and_one_before(bytes: &[u8], span: std::ops::Range<usize>) -> &[u8] {
    let lines = line_span(bytes, span);
    let start = match lines.start {
        0 => 0,
        s => memchr::memrchr(b'\n', &bytes[..s - 1]).map_or(0, |i| i + 1),
    };
    &bytes[start..lines.end]
}

/// `span` widened to the whole lines it touches.
fn line_span(bytes: &[u8], span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = memchr::memrchr(b'\n', &bytes[..span.start]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &bytes[span.end..]).map_or(bytes.len(), |i| span.end + i);
    start..end
}

/// `abs` as a finding shows it: relative to the current directory when
/// under it.
fn shown_from(abs: &Path, cwd: &Path) -> String {
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    match abs.strip_prefix(&cwd) {
        Ok(rel) => crate::source::display_path(rel),
        Err(_) => crate::source::display_path(abs),
    }
}

/// Adds what this thread's detectors read to the scan's count when a blob
/// is done, whichever way its judging returns.
struct CountSearched<'a>(&'a Stats);

impl Drop for CountSearched<'_> {
    fn drop(&mut self) {
        self.0.searched.fetch_add(
            crate::scan::cost::take(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}
