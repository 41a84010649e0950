#!/usr/bin/env bash
# Speed benchmark: keylint against gitleaks, betterleaks and Kingfisher on one
# tree (default: a copy of the Python standard library). Prints wall time,
# throughput, peak memory and finding count per tool. Peers are optional:
# each one missing from PATH (or from $GITLEAKS/$BETTERLEAKS/$KINGFISHER) is
# skipped. DEVELOPERS.md says how to install them.
#
#   bench/speed.sh [TREE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

tree=${1:-}
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "$tree" ]; then
  # The stdlib lives under a hidden parent (~/.pyenv/...): hidden paths would
  # be skipped by some tools, so copy it out first.
  src=$(python3 -c 'import sysconfig;print(sysconfig.get_paths()["stdlib"])')
  tree="$work/stdlib"
  cp -a "$src" "$tree"
fi

cargo build --release --quiet
keylint=${CARGO_TARGET_DIR:-$PWD/target}/release/keylint
gitleaks=${GITLEAKS:-$(command -v gitleaks || true)}
betterleaks=${BETTERLEAKS:-$(command -v betterleaks || true)}
kingfisher=${KINGFISHER:-$(command -v kingfisher || true)}

mb=$(du -sm --apparent-size "$tree" | cut -f1)
files=$(find "$tree" -type f | wc -l)
echo "tree: $tree ($mb MB apparent, $files files), best of $runs runs, $(nproc) cores"
# Warm the page cache so every tool reads from memory.
find "$tree" -type f -print0 | xargs -0 cat > /dev/null

count() { python3 - "$1" "$2" <<'PY'
import json, sys
kind, path = sys.argv[1], sys.argv[2]
try:
    text = open(path).read()
except OSError:
    print("?"); sys.exit()
if kind == "jsonl":
    print(sum(1 for l in text.splitlines() if l.strip())); sys.exit()
d = json.loads(text or "[]")
if isinstance(d, list):
    print(len(d))
elif "findings" in d:
    print(len(d["findings"]))
else:
    print(next((len(v) for v in d.values() if isinstance(v, list)), "?"))
PY
}

# run NAME KIND OUTFILE CMD...: best wall time and its peak RSS over $runs runs.
run() {
  local name=$1 kind=$2 out=$3; shift 3
  local best="" rss=""
  for _ in $(seq "$runs"); do
    rm -f "$out"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/stdout" 2> "$work/stderr" || true
    read -r t m < <(tail -1 "$work/time")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  [ -s "$out" ] || cp "$work/stdout" "$out"
  local n; n=$(count "$kind" "$out")
  awk -v n="$name" -v t="$best" -v mb="$mb" -v r="$rss" -v f="$n" \
    'BEGIN{printf "| %-12s | %8.2f s | %8.0f MB/s | %7.0f MB | %8s |\n", n, t, mb/t, r/1024, f}'
}

echo "| tool         |   wall     |  throughput   | peak RSS  | findings |"
echo "|--------------|------------|---------------|-----------|----------|"
run keylint json "$work/keylint.json" "$keylint" scan "$tree" --no-git -q --format json --output "$work/keylint.json"
[ -n "$kingfisher" ] && run kingfisher json "$work/kf.json" "$kingfisher" scan "$tree" --no-validate --no-update-check --format json --output "$work/kf.json"
[ -n "$betterleaks" ] && run betterleaks json "$work/bl.json" "$betterleaks" "$tree" --no-banner -o "$work/bl.json"
[ -n "$gitleaks" ] && run gitleaks json "$work/gl.json" "$gitleaks" dir "$tree" --no-banner --redact -f json -r "$work/gl.json"
if [ -n "${KEEP:-}" ]; then cp "$work"/*.json "$KEEP"/; fi
