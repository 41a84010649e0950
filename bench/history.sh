#!/usr/bin/env bash
# History benchmark: keylint --history against gitleaks, betterleaks and
# Kingfisher's git modes on one repository (default: a clone of
# rust-lang/cargo you provide). Prints wall time, peak memory, findings.
#
#   bench/history.sh REPO [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(realpath "${1:?usage: bench/history.sh REPO [RUNS]}")
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
keylint=${CARGO_TARGET_DIR:-$PWD/target}/release/keylint
gitleaks=${GITLEAKS:-$(command -v gitleaks || true)}
betterleaks=${BETTERLEAKS:-$(command -v betterleaks || true)}
kingfisher=${KINGFISHER:-$(command -v kingfisher || true)}
echo "repo: $repo ($(git -C "$repo" rev-list --count HEAD) commits), best of $runs runs, $(nproc) cores"
# Warm the page cache.
cat "$repo"/.git/objects/pack/*.pack > /dev/null

count() { python3 -c '
import json,sys
try: d=json.load(open(sys.argv[1]))
except Exception: print("?"); sys.exit()
print(len(d) if isinstance(d,list) else len(d.get("findings", [])))' "$1"; }

run() {
  local name=$1 out=$2; shift 2
  local best="" rss=""
  for _ in $(seq "$runs"); do
    rm -f "$out"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/stdout" 2> "$work/stderr" || true
    read -r t m < <(tail -1 "$work/time")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  [ -s "$out" ] || cp "$work/stdout" "$out"
  awk -v n="$name" -v t="$best" -v r="$rss" -v f="$(count "$out")" \
    'BEGIN{printf "| %-12s | %8.2f s | %7.0f MB | %8s |\n", n, t, r/1024, f}'
}

echo "| tool         |   wall     | peak RSS  | findings |"
echo "|--------------|------------|-----------|----------|"
run keylint "$work/k.json" "$keylint" scan "$repo" --history --no-config -q --format json --output "$work/k.json"
# gitleaks, betterleaks and Kingfisher walk every ref (`git log --all`); so does this row.
run "keylint all" "$work/ka.json" "$keylint" scan "$repo" --history --all-refs --no-config -q --format json --output "$work/ka.json"
[ -n "$betterleaks" ] && run betterleaks "$work/b.json" "$betterleaks" git "$repo" --no-banner -l error --exit-code=0 -o "$work/b.json"
[ -n "$gitleaks" ] && run gitleaks "$work/g.json" "$gitleaks" git "$repo" --no-banner -l error --exit-code 0 --redact -f json -r "$work/g.json"
[ -n "$kingfisher" ] && run kingfisher "$work/kf.json" "$kingfisher" scan "$repo" --git-history full --no-validate --no-update-check -q --format json --output "$work/kf.json"
echo
echo "staged (typical commit: one changed file):"
tmp=$(mktemp -d); git clone -q "$repo" "$tmp/r"; echo "x = 1" >> "$tmp/r/README.md"; git -C "$tmp/r" add README.md
( cd "$tmp/r" && /usr/bin/time -f "keylint --staged: %e s, %M KB" "$keylint" scan --staged -q > /dev/null ) 2>&1 | tail -1
rm -rf "$tmp"
