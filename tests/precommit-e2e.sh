#!/usr/bin/env bash
# End-to-end: keylint's .pre-commit-hooks.yaml with the real pre-commit tool.
# A temporary repository installs a hook from this repository; a commit
# adding a (generated, fake) key is blocked, a clean one passes. .ci/run
# calls this once per hook:
#
#   tests/precommit-e2e.sh keylint-src          # pre-commit runs cargo install --path .
#   tests/precommit-e2e.sh keylint WHEELHOUSE   # pre-commit pip-installs the shim, which
#                                               # pulls the keylint wheel from WHEELHOUSE
#
# keylint-src builds with CARGO_TARGET_DIR pointing at this checkout's target
# directory, so it reuses the release build .ci/run just made; a user's first
# commit compiles from cold (bench/precommit-first-commit.sh measures both).
# The python hook installs with no index at all: WHEELHOUSE must hold the
# keylint wheel (scripts/build-wheel.sh) and a setuptools wheel (the shim's
# build backend), so the test needs no network.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hook=${1:-keylint-src}
command -v pre-commit >/dev/null || python3 -m pip install --quiet "pre-commit>=3.2"
case "$hook" in
  keylint-src) export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" ;;
  keylint)
    wheelhouse=$(cd "${2:?usage: tests/precommit-e2e.sh keylint WHEELHOUSE}" && pwd)
    export PIP_NO_INDEX=1 PIP_FIND_LINKS="$wheelhouse"
    ;;
  *) echo "precommit-e2e: unknown hook $hook (keylint or keylint-src)"; exit 2 ;;
esac
# A pre-commit cache of its own: the hook is installed fresh, as a new user's.
export PRE_COMMIT_HOME
PRE_COMMIT_HOME=$(mktemp -d)
rev=$(git -C "$root" rev-parse HEAD)
work=$(mktemp -d)
trap 'rm -rf "$work" "$PRE_COMMIT_HOME"' EXIT
cd "$work"
git init -q -b main
git config user.email e2e@keylint.test
git config user.name "keylint e2e"
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $root
    rev: $rev
    hooks:
      - id: $hook
YAML
git add .pre-commit-config.yaml
git commit -qm "pre-commit config" --no-verify
pre-commit install --hook-type pre-commit >/dev/null

# A fake key, generated here so no key-shaped literal lives in this file.
key=$(python3 -c 'import random,string;r=random.Random(7);a=string.ascii_letters+string.digits;p=lambda n:"".join(r.choice(a) for _ in range(n));print("sk-proj-"+p(74)+"T3Blbk"+"FJ"+p(74))')
printf 'OPENAI_API_KEY = "%s"\n' "$key" > "settings with spaces.py"
git add "settings with spaces.py"
if git commit -qm "add a key" > out.txt 2>&1; then
  cat out.txt; echo "FAIL: the commit adding a key was not blocked"; exit 1
fi
grep -q "openai-api-key" out.txt || { cat out.txt; echo "FAIL: no finding in the hook output"; exit 1; }
grep -q "commit blocked" out.txt || { cat out.txt; echo "FAIL: no remedy message"; exit 1; }
if grep -q "$key" out.txt; then echo "FAIL: the hook printed the full key"; exit 1; fi
echo "ok: $hook: commit with a key blocked"

git reset -q
rm "settings with spaces.py"
printf 'print("hello")\n' > "clean file.py"
git add "clean file.py"
git commit -qm "clean" > out.txt 2>&1 || { cat out.txt; echo "FAIL: a clean commit was blocked"; exit 1; }
echo "ok: $hook: clean commit passed"
echo "2 passed, 0 failed"
