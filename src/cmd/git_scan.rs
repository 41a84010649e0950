//! The git sources of `keylint scan`: `--staged`, `--history`/`--range`, and
//! the tracked-credential-file check that runs in every scan of a work tree.
//! The git work itself is in `keylint::source::git`; this wires it to the
//! plan's scanner and filters.

use super::scan::ScanPlan;
use crate::cli::ScanArgs;
use git2::Repository;
use keylint::finding::Finding;
use keylint::scan::credential_files::CredentialFiles;
use keylint::source::{git, is_binary, Stats};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

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
    let h = git::history(&repo, selection)?;
    if h.skipped_submodules > 0 {
        warn(format!(
            "{} submodule entr(ies) skipped: scan each submodule's repository on its own",
            h.skipped_submodules
        ));
    }
    let creds = CredentialFiles::new(plan.scanner.rules())?;
    let flagged_paths: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    let git_dir = repo.path().to_path_buf();
    let lfs = AtomicU64::new(0);
    let unreadable = AtomicU64::new(0);
    let chains = git::chains(&h.blobs);
    let work = || {
        chains.par_iter().for_each_init(
            || Repository::open(&git_dir).ok(),
            |repo, chain| {
                let Some(repo) = repo.as_ref() else { return };
                // Lines of this path's earlier versions: not new in later ones.
                let mut seen: HashSet<u64> = HashSet::new();
                for (i, b) in chain.iter().enumerate() {
                    if i == 0 {
                        // A range's first version is compared with the base's.
                        if let Some(old) = b.previous.and_then(|p| repo.find_blob(p).ok()) {
                            git::remember_lines(old.content(), &mut seen);
                        }
                    }
                    let commit = &h.commits[b.commit];
                    let mut found = Vec::new();
                    if !args.no_git
                        && creds.matches(&b.path).is_some()
                        && flagged_paths
                            .lock()
                            .expect("no panics")
                            .insert(b.path.clone())
                    {
                        let spec = creds.matches(&b.path).expect("matched above");
                        found.push(creds.finding(&b.path, spec));
                        plan.filters.retain(None, &mut found);
                    }
                    match repo.find_blob(b.oid) {
                        Ok(blob) => {
                            let bytes = blob.content();
                            if git::is_lfs_pointer(bytes) {
                                lfs.fetch_add(1, Relaxed);
                            } else if admit(bytes, plan.walk.max_file_size, stats) {
                                if args.explain || seen.is_empty() {
                                    found.extend(visit(&b.path, bytes));
                                    git::remember_lines(bytes, &mut seen);
                                } else {
                                    let added = git::added_lines(bytes, &mut seen);
                                    found.extend(plan.findings_in(&b.path, &added, bytes));
                                }
                            }
                        }
                        Err(_) => {
                            unreadable.fetch_add(1, Relaxed);
                        }
                    }
                    for f in &mut found {
                        f.commit = Some(commit.clone());
                    }
                    if !found.is_empty() {
                        keep(found);
                    }
                }
            },
        )
    };
    if args.threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(args.threads)
            .build()?
            .install(work);
    } else {
        work();
    }
    let lfs = lfs.into_inner();
    if lfs > 0 {
        warn(format!(
            "{lfs} Git LFS pointer file(s) skipped: their content is not in the repository"
        ));
    }
    let unreadable = unreadable.into_inner();
    if unreadable > 0 {
        stats.errors.fetch_add(unreadable, Relaxed);
        warn(format!(
            "{unreadable} blob(s) missing from the object store (partial clone?) were skipped"
        ));
    }
    Ok(())
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
