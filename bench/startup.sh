#!/usr/bin/env bash
# Start-up benchmark: the pre-commit case, where keylint scans one small
# file (or one staged change) and its own start-up is most of the time.
# Prints mean and min wall time over many runs (hyperfine when installed,
# else a loop), for a plain file and for `--staged` in a temporary repository.
#
#   bench/startup.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --locked --quiet
keylint=$(realpath "${CARGO_TARGET_DIR:-target}/release/keylint")
printf 'import os\nAPI_URL = "https://example.org"\ntoken = os.environ["TOKEN"]\n' > "$work/app.py"
git -C "$work" init -q -b main
git -C "$work" -c user.name=b -c user.email=b@example.org commit -q --allow-empty -m init
cp "$work/app.py" "$work/staged.py"
git -C "$work" add staged.py
echo "keylint $("$keylint" --version | cut -d' ' -f2), $("$keylint" rules | wc -l) rules, $runs runs, $(nproc) cores"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 5 --runs "$runs" --style basic \
    -n "one small file" "$keylint scan --no-git $work/app.py -q" \
    -n "staged change" "env -C $work $keylint scan --staged -q" 2>&1 | grep -E "^(Benchmark|  Time|  Range)"
else
  for name in file staged; do
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do
      if [ $name = file ]; then "$keylint" scan --no-git "$work/app.py" -q; else (cd "$work" && "$keylint" scan --staged -q); fi
    done
    echo "$name: $(( ($(date +%s%N) - start) / runs / 1000000 )) ms mean"
  done
fi
