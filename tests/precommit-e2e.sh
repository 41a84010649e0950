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

# A key committed past the hook (--no-verify): what pre-commit.ci and most
# CI setups run, `pre-commit run --all-files`, must report it, and so must
# `--files` naming its file.
printf 'OPENAI_API_KEY = "%s"\n' "$key" > committed.py
git add committed.py
git commit -qm "committed past the hook" --no-verify
if pre-commit run --all-files > out.txt 2>&1; then
  cat out.txt; echo "FAIL: pre-commit run --all-files passed over a committed key"; exit 1
fi
grep -q "committed.py:1:" out.txt || { cat out.txt; echo "FAIL: --all-files did not name the file"; exit 1; }
if pre-commit run --files committed.py > out.txt 2>&1; then
  cat out.txt; echo "FAIL: pre-commit run --files passed over a committed key"; exit 1
fi
pre-commit run --files "clean file.py" > out.txt 2>&1 || { cat out.txt; echo "FAIL: --files on a clean file failed"; exit 1; }
echo "ok: $hook: --all-files and --files scan whole files"

# Moving the file that holds the old key adds no line: the commit passes.
git mv committed.py moved.py
git commit -qm "move" > out.txt 2>&1 || { cat out.txt; echo "FAIL: a rename of an old secret was blocked"; exit 1; }
echo "ok: $hook: a rename does not block"

# A tracked .env of plain settings is a warning, which does not block.
printf 'DEBUG=1\n' > .env
git add .env
git commit -qm "settings" > out.txt 2>&1 || { cat out.txt; echo "FAIL: a settings-only .env blocked"; exit 1; }
echo "ok: $hook: a settings-only .env warns without blocking"

# At pre-push: the pushed range; a blocked push says how to get out.
pre-commit install --hook-type pre-push >/dev/null
git init -q --bare "$work/remote.git"
git remote add origin "$work/remote.git"
git push -q origin HEAD:refs/heads/base --no-verify
git branch -q --set-upstream-to=origin/base
printf 'TOKEN = "%s"\n' "$key" > deploy.py
git add deploy.py
git commit -qm "deploy" --no-verify
if git push origin HEAD:refs/heads/base > out.txt 2>&1; then
  cat out.txt; echo "FAIL: a push adding a key was not blocked"; exit 1
fi
for want in "push blocked" "git rebase -i" "git commit --amend" "rotate the key"; do
  grep -q -- "$want" out.txt || { cat out.txt; echo "FAIL: the blocked push does not say '$want'"; exit 1; }
done
echo "ok: $hook: a blocked push says how to rewrite and rotate"
echo "6 passed, 0 failed"
