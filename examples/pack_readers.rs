//! Reads every blob version of a repository's history the way `scan
//! --history` does (path by path, each path's versions in commit order),
//! once through keylint's pack reader and once through gix's own object
//! reader with its object cache, oldest-first and newest-first, and prints
//! the wall time of each. `bench/pack-readers.sh` runs it; BENCHMARKS.md
//! keeps the figures that decide which reader history scans use.
//!
//!   cargo run --release --example pack_readers -- REPO [CACHE_MIB]

use keylint::source::pack::{PackReader, Packs};
use std::collections::HashMap;
use std::process::{Command, ExitCode};
use std::time::Instant;

type Id = gix::ObjectId;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(repo_path) = args.first() else {
        eprintln!("usage: pack_readers REPO [CACHE_MIB]");
        return ExitCode::from(2);
    };
    let cache_mib: usize = match args.get(1).map(|a| a.parse()) {
        None => 64,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("{}: CACHE_MIB must be a whole number", args[1]);
            return ExitCode::from(2);
        }
    };
    let repo = match gix::open(repo_path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{repo_path}: cannot open the repository: {e}");
            return ExitCode::from(2);
        }
    };
    let paths = match versions(repo_path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{repo_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let count: usize = paths.iter().map(Vec::len).sum();
    println!(
        "{repo_path}: {count} blob versions of {} paths, one thread",
        paths.len()
    );
    let newest_first: Vec<Vec<Id>> = paths
        .iter()
        .map(|v| v.iter().rev().copied().collect())
        .collect();
    for (order, list) in [("oldest-first", &paths), ("newest-first", &newest_first)] {
        let packs = Packs::open(&repo);
        let mut reader = PackReader::new(packs, repo.clone());
        let (secs, bytes) = time(list, |id| reader.read(id).map(|d| d.len()).ok());
        println!("keylint pack reader, {order}: {secs:.2} s ({bytes} bytes)");

        let mut gix_repo = repo.clone();
        gix_repo.object_cache_size(cache_mib << 20);
        let (secs, bytes) = time(list, |id| {
            gix_repo.find_object(*id).map(|o| o.data.len()).ok()
        });
        println!("gix, {cache_mib} MiB object cache, {order}: {secs:.2} s ({bytes} bytes)");
    }
    ExitCode::SUCCESS
}

/// Reads every id with `read`; the wall time and the bytes read.
fn time(paths: &[Vec<Id>], mut read: impl FnMut(&Id) -> Option<usize>) -> (f64, usize) {
    let start = Instant::now();
    let mut bytes = 0;
    for id in paths.iter().flatten() {
        bytes += read(id).unwrap_or(0);
    }
    (start.elapsed().as_secs_f64(), bytes)
}

/// Each path's distinct blob versions in commit order, paths in the order
/// they first appear (what `git log --reverse --raw` lists).
fn versions(repo: &str) -> Result<Vec<Vec<Id>>, String> {
    let out = Command::new("git")
        .args(["-C", repo, "log", "--reverse", "--format=", "--raw"])
        .args(["--no-abbrev", "--no-renames", "HEAD"])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let mut order: HashMap<String, usize> = HashMap::new();
    let mut paths: Vec<Vec<Id>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((meta, path)) = line.strip_prefix(':').and_then(|l| l.split_once('\t')) else {
            continue;
        };
        let Some(new) = meta.split(' ').nth(3) else {
            continue;
        };
        let Ok(id) = Id::from_hex(new.as_bytes()) else {
            continue;
        };
        if id.is_null() || !seen.insert(id) {
            continue;
        }
        let next = order.len();
        let slot = *order.entry(path.to_string()).or_insert(next);
        if slot == paths.len() {
            paths.push(Vec::new());
        }
        paths[slot].push(id);
    }
    Ok(paths)
}
