#!/usr/bin/env bash
# The wait a new user sees: the first `git commit` through keylint's
# pre-commit hook (pre-commit installs the hook then), and the second one.
#
#   bench/precommit-first-commit.sh keylint WHEELHOUSE   # the wheel hook
#   bench/precommit-first-commit.sh keylint-src          # built from source
#
# The hook comes from this repository at HEAD (commit first). A fresh
# PRE_COMMIT_HOME every run, as on a new machine. keylint: pip gets the
# keylint wheel (scripts/build-wheel.sh) and setuptools from WHEELHOUSE only
# (PIP_NO_INDEX), standing in for PyPI. keylint-src: CARGO_TARGET_DIR is
# unset, so cargo builds from cold as pre-commit does for a user (the crate
# sources are taken from ~/.cargo's download cache when present: downloads
# are not what this measures).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hook=${1:?usage: bench/precommit-first-commit.sh keylint WHEELHOUSE | keylint-src}
command -v pre-commit > /dev/null || { echo "pre-commit is not on PATH (pip install pre-commit)"; exit 2; }
case "$hook" in
  keylint)
    export PIP_NO_INDEX=1 PIP_FIND_LINKS
    PIP_FIND_LINKS=$(cd "${2:?WHEELHOUSE}" && pwd)
    ;;
  keylint-src) unset CARGO_TARGET_DIR ;;
  *) echo "unknown hook $hook"; exit 2 ;;
esac
rev=$(git -C "$root" rev-parse HEAD)
work=$(mktemp -d)
export PRE_COMMIT_HOME="$work/cache"
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q -b main repo && cd repo
git config user.email bench@keylint.test && git config user.name bench
printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: %s\n' "$root" "$rev" "$hook" > .pre-commit-config.yaml
git add . && git commit -qm config --no-verify
pre-commit install --hook-type pre-commit > /dev/null

timed_commit() { # message
  printf 'print("%s")\n' "$1" > "$1.py"
  git add "$1.py"
  local t0 t1
  t0=$(date +%s.%N)
  git commit -qm "$1" > "$work/$1.log" 2>&1 || { cat "$work/$1.log"; echo "commit failed"; exit 1; }
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}
first=$(timed_commit first)
second=$(timed_commit second)
size=$(du -sh "$PRE_COMMIT_HOME" | cut -f1)
echo "$hook: first commit ${first} s (installs the hook), second commit ${second} s, pre-commit cache $size, load $(cut -d' ' -f1-3 /proc/loadavg)"
