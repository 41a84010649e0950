#!/usr/bin/env bash
# Archive benchmark: keylint with archive scanning on (the default) and off
# (--archive-depth 0) on trees of real packages nobody here wrote — popular
# wheels from PyPI and the .crate files in the cargo registry cache — and on
# a copy of the Python standard library (no archives worth noting: it must
# not get slower). Prints best wall time, peak RSS, files scanned and
# findings per run.
#
#   bench/archives.sh [RUNS]
#   KEYLINT=/tmp/keylint-base bench/archives.sh 3   # another build, same trees
#
# Network only for `pip download` (skipped when /tmp/bench-pkgs/wheels has
# wheels already).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}

wheels=/tmp/bench-pkgs/wheels
crates=/tmp/bench-pkgs/crates
stdlib=/tmp/stdlib
if ! ls "$wheels"/*.whl >/dev/null 2>&1; then
  mkdir -p "$wheels"
  pip download --no-deps --only-binary=:all: -d "$wheels" \
    requests urllib3 certifi idna charset-normalizer six packaging setuptools pip wheel \
    attrs click jinja2 markupsafe pyyaml numpy pandas boto3 botocore
fi
if [ ! -d "$crates" ]; then
  mkdir -p "$crates"
  cp ~/.cargo/registry/cache/*/*.crate "$crates"/
fi
if [ ! -d "$stdlib" ]; then
  cp -r "$(python3 -c 'import sysconfig;print(sysconfig.get_paths()["stdlib"])')" "$stdlib"
fi

# KEYLINT=path/to/keylint compares another build (e.g. main's).
if [ -z "${KEYLINT:-}" ]; then
  cargo build --release --quiet
fi
keylint=${KEYLINT:-${CARGO_TARGET_DIR:-$PWD/target}/release/keylint}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run TREE ARGS...: best wall time, its peak RSS, files and findings.
run() {
  local tree=$1; shift
  local best="" rss="" files="" found=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -v -o "$work/time" "$keylint" scan --no-git --format json -o "$work/out.json" \
      "$@" "$tree" 2>"$work/err" || true
    local wall mem
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time")
    mem=$(awk -F': ' '/Maximum resident/ {print int($2/1024)}' "$work/time")
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then
      best=$wall; rss=$mem
    fi
  done
  files=$(python3 -c 'import json,sys;d=json.load(open(sys.argv[1]));print(d["summary"]["files"], len(d["findings"]))' "$work/out.json")
  printf '| %s | %s | %ss | %s MB | %s | %s |\n' "$(basename "$tree")" "${*:-default}" "$best" "$rss" \
    "${files% *}" "${files#* }"
}

# Warm the page cache.
for t in "$wheels" "$crates" "$stdlib"; do find "$t" -type f -print0 | xargs -0 cat >/dev/null; done
echo "wheels: $(ls "$wheels" | wc -l) files, $(du -sm "$wheels" | cut -f1) MB; crates: $(ls "$crates" | wc -l) files, $(du -sm "$crates" | cut -f1) MB; stdlib: $(du -sm "$stdlib" | cut -f1) MB"
echo "best of $runs runs, $(nproc) cores"
echo "| tree | flags | wall | peak RSS | files scanned | findings |"
echo "|---|---|---|---|---|---|"
for t in "$wheels" "$crates" "$stdlib"; do
  run "$t"
  run "$t" --archive-depth 0
done
