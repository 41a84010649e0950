//! The git sources of `keylint scan`: `--staged`, `--history`/`--range`, and
//! the tracked-credential-file check that runs in every scan of a work tree.
//! The git work itself is in `keylint::source::git`; this wires it to the
//! plan's scanner and filters.

use super::scan::ScanPlan;
use crate::cli::ScanArgs;
use keylint::finding::Finding;
use keylint::scan::credential_files::CredentialFiles;
use keylint::source::pack::PackReader;
use keylint::source::{git, is_binary, Stats};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

type Visit<'a> = dyn Fn(&str, &[u8]) -> Vec<Finding> + Sync + 'a;
type Keep<'a> = dyn Fn(Vec<Finding>) + Sync + 'a;
type Warn<'a> = dyn Fn(String) + Sync + 'a;

/// `--staged`: the index git is about to commit, only the added lines
/// unless `--whole-files`.
pub fn staged(
    args: &ScanArgs,
    plan: &ScanPlan,
    stats: &Stats,
    visit: &Visit,
    keep: &Keep,
    warn: &Warn,
) -> anyhow::Result<()> {
    let repo = git::open_from_env()?;
    let creds = CredentialFiles::new(plan.scanner.rules())?;
    let mut lfs = 0;
    for file in git::staged(&repo)? {
        if !args.no_git {
            if let Some(spec) = creds.matches(&file.path) {
                let mut f = vec![creds.finding(&file.path, spec)];
                plan.filters.retain(None, &mut f);
                keep(f);
            }
        }
        let blob = match repo.find_blob(file.blob) {
            Ok(b) => b,
            Err(e) => {
                warn(format!(
                    "{}: cannot read the staged blob: {}",
                    file.path,
                    e.message()
                ));
                continue;
            }
        };
        let bytes = blob.content();
        if !admit(bytes, plan.walk.max_file_size, stats) {
            continue;
        }
        if git::is_lfs_pointer(bytes) {
            lfs += 1;
            continue;
        }
        let mut found = visit(&file.path, bytes);
        if let (Some(added), false) = (&file.added, args.whole_files) {
            found.retain(|f| (f.location.line..=f.location.end_line).any(|l| added.contains(&l)));
        }
        keep(found);
    }
    if lfs > 0 {
        warn(format!(
            "{lfs} Git LFS pointer file(s) skipped: their content is not in the repository"
        ));
    }
    Ok(())
}

/// `--history` and `--range BASE..HEAD`: every distinct blob once, in
/// parallel, with the commit that introduced it.
pub fn history(
    args: &ScanArgs,
    plan: &ScanPlan,
    stats: &Stats,
    visit: &Visit,
    keep: &Keep,
    warn: &Warn,
) -> anyhow::Result<()> {
    let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let repo = git::discover(start).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: not a git repository; --history and --range need one (scan the files without them)",
            start.display()
        )
    })?;
    if repo.is_shallow() {
        warn("shallow clone: commits before the shallow boundary are not scanned (fetch with --unshallow for all)".into());
    }
    let selection = match &args.range {
        Some(r) => git::Selection::Range(r),
        None => git::Selection::All {
            all_refs: args.all_refs,
        },
    };
    git::configure();
    let h = git::history(&repo, selection, args.threads)?;
    if h.skipped_submodules > 0 {
        warn(format!(
            "{} submodule entr(ies) skipped: scan each submodule's repository on its own",
            h.skipped_submodules
        ));
    }
    let creds = CredentialFiles::new(plan.scanner.rules())?;
    let git_dir = repo.path().to_path_buf();
    let chains = git::chains(&h.blobs);
    let counters = ChainCounters::default();
    // One reader per worker thread, kept for the whole scan: its cache holds
    // the delta bases of the chains it reads. Chains are handed out longest
    // first, so no worker is left with a long one at the end.
    let next = AtomicUsize::new(0);
    let worker = || {
        let Ok(objects) = git::open_objects(&git_dir) else {
            return;
        };
        let mut objects = PackReader::new(h.packs.clone(), objects);
        while let Some(chain) = chains.get(next.fetch_add(1, Relaxed)) {
            let mut found = scan_chain(args, plan, stats, visit, &mut objects, chain, &counters);
            if !args.no_git {
                if let Some(spec) = creds.matches(&chain[0].path) {
                    let mut f = vec![creds.finding(&chain[0].path, spec)];
                    plan.filters.retain(None, &mut f);
                    found.extend(f.into_iter().map(|f| (0, f)));
                }
            }
            // A secret is reported once per path, at the version that
            // introduced it.
            found.sort_by_key(|(version, _)| *version);
            let mut reported = HashSet::new();
            let found: Vec<Finding> = found
                .into_iter()
                .filter(|(_, f)| reported.insert(f.fingerprint.clone()))
                .map(|(version, mut f)| {
                    f.commit = Some(h.commits[chain[version].commit].clone());
                    f
                })
                .collect();
            if !found.is_empty() {
                keep(found);
            }
        }
    };
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(worker);
        }
    });
    let lfs = counters.lfs.into_inner();
    if lfs > 0 {
        warn(format!(
            "{lfs} Git LFS pointer file(s) skipped: their content is not in the repository"
        ));
    }
    let unreadable = counters.unreadable.into_inner();
    if unreadable > 0 {
        stats.errors.fetch_add(unreadable, Relaxed);
        warn(format!(
            "{unreadable} blob(s) missing from the object store (partial clone?) were skipped"
        ));
    }
    Ok(())
}

#[derive(Default)]
struct ChainCounters {
    lfs: AtomicU64,
    unreadable: AtomicU64,
}

/// Scans the versions of one path, each tagged with its index in `chain`.
/// A version is scanned whole when it is the first, else only where it
/// differs from the version before it ([`git::changed_region`]).
///
/// Versions are read one after another through one [`PackReader`], whose
/// cache holds the delta bases they share.
fn scan_chain(
    args: &ScanArgs,
    plan: &ScanPlan,
    stats: &Stats,
    visit: &Visit,
    objects: &mut PackReader,
    chain: &[&git::HistoryBlob],
    counters: &ChainCounters,
) -> Vec<(usize, Finding)> {
    let mut found = Vec::new();
    let mut read = |oid: &gix::ObjectId| {
        let data = objects.read(oid);
        if data.is_none() {
            counters.unreadable.fetch_add(1, Relaxed);
        }
        data
    };
    let mut scan = |version: usize, bytes: &[u8], older: Option<&[u8]>| {
        let path = &chain[version].path;
        if git::is_lfs_pointer(bytes) {
            counters.lfs.fetch_add(1, Relaxed);
            return;
        }
        if !admit(bytes, plan.walk.max_file_size, stats) {
            return;
        }
        let f = match older {
            Some(older) if !args.explain => match git::changed_region(older, bytes) {
                // A secret the older version already held (a line that moved,
                // or a range's base) was not introduced here.
                Some(changed) => {
                    let mut f = plan.findings_in(path, &changed, bytes);
                    f.retain(|f| {
                        memchr::memmem::find(older, f.secret.expose().as_bytes()).is_none()
                    });
                    f
                }
                None => Vec::new(),
            },
            _ => visit(path, bytes),
        };
        found.extend(f.into_iter().map(|f| (version, f)));
    };
    // A range's first version is compared with the base's.
    let mut older = chain[0].previous.and_then(|p| read(&p));
    for (version, blob) in chain.iter().enumerate() {
        let Some(bytes) = read(&blob.oid) else {
            older = None;
            continue;
        };
        scan(version, &bytes, older.as_deref());
        older = Some(bytes);
    }
    found
}

/// Counts and filters a blob the way the filesystem walk does.
fn admit(bytes: &[u8], max: u64, stats: &Stats) -> bool {
    if bytes.len() as u64 > max {
        stats.skipped_large.fetch_add(1, Relaxed);
        return false;
    }
    if is_binary(bytes) {
        stats.skipped_binary.fetch_add(1, Relaxed);
        return false;
    }
    stats.scanned(bytes.len());
    true
}

/// In a work tree: tracked credential files under the scanned paths are
/// findings; untracked, unignored ones are warnings.
pub fn tracked_files(
    args: &ScanArgs,
    plan: &ScanPlan,
    keep: &Keep,
    warn: &Warn,
) -> anyhow::Result<()> {
    let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let Some(repo) = git::discover(start) else {
        return Ok(());
    };
    let Some(files) = git::work_tree_files(&repo)? else {
        return Ok(());
    };
    let creds = CredentialFiles::new(plan.scanner.rules())?;
    let roots: Vec<PathBuf> = args
        .paths
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let workdir = std::fs::canonicalize(&files.workdir).unwrap_or(files.workdir.clone());
    let cwd = std::env::current_dir().unwrap_or_default();
    let display = |rel: &str| {
        let abs = workdir.join(rel);
        let under = roots.iter().any(|r| abs.starts_with(r));
        let shown = abs
            .strip_prefix(&cwd)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| abs.to_string_lossy().into_owned());
        under.then_some(shown)
    };
    let mut found = Vec::new();
    for path in &files.tracked {
        if let (Some(spec), Some(shown)) = (creds.matches(path), display(path)) {
            found.push(creds.finding(&shown, spec));
        }
    }
    plan.filters.retain(None, &mut found);
    keep(found);
    for path in &files.untracked {
        if let (Some(spec), Some(shown)) = (creds.matches(path), display(path)) {
            warn(format!(
                "{shown} ({}) is neither tracked nor ignored: one `git add .` from a leak; add it to .gitignore",
                spec.description
            ));
        }
    }
    Ok(())
}
