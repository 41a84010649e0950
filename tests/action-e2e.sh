#!/usr/bin/env bash
# End-to-end: the GitHub Action's install and scan steps (scripts/
# action-install.sh, scripts/action-scan.sh, which action.yml calls) against
# temporary repositories, since the Action itself cannot run here.
#
#   tests/action-e2e.sh [KEYLINT_BINARY]
#
# Default binary: $CARGO_TARGET_DIR/release/keylint (.ci/run builds it for the
# self-scan just before). No network: the "release" is a file:// directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keylint=${1:-${CARGO_TARGET_DIR:-$root/target}/release/keylint}
[ -x "$keylint" ] || { echo "action-e2e: no keylint binary at $keylint (build it with cargo build --release)"; exit 2; }
keylint=$(cd "$(dirname "$keylint")" && pwd)/$(basename "$keylint")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }
out_of() { sed -n "s/^$1=//p" "$2" | tail -1; }

# A fake key, generated here so no key-shaped literal lives in this file.
key=$(python3 -c 'import random,string;r=random.Random(11);a=string.ascii_letters+string.digits;p=lambda n:"".join(r.choice(a) for _ in range(n));print("sk-proj-"+p(74)+"T3Blbk"+"FJ"+p(74))')

export GIT_AUTHOR_NAME="keylint e2e" GIT_AUTHOR_EMAIL=e2e@keylint.test
export GIT_COMMITTER_NAME="keylint e2e" GIT_COMMITTER_EMAIL=e2e@keylint.test

# ---- install step -------------------------------------------------------
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
releases="$work/releases"
KEYLINT_BIN="$keylint" bash "$root/scripts/release-build.sh" x86_64-unknown-linux-musl "$releases/v$version" > "$work/build.log" 2>&1 \
  || { cat "$work/build.log"; echo "FAIL: release-build.sh"; exit 1; }
cat "$releases/v$version"/*.sha256 > "$releases/v$version/SHA256SUMS"
install() { # DEST, then env
  : > "$work/out"
  RUNNER_OS=Linux RUNNER_ARCH=X64 KEYLINT_RELEASES="file://$releases" DEST="$1" \
    GITHUB_OUTPUT="$work/out" bash "$root/scripts/action-install.sh" > "$work/install.log" 2>&1
}

if install "$work/inst1" && [ "$(out_of installed "$work/out")" = true ] \
  && "$(out_of path "$work/out")" --version | grep -q "$version"; then
  ok "install: release archive downloaded, checksum verified, binary runs"
else
  cat "$work/install.log"; fail "install from the release"
fi

sum=$(cut -d' ' -f1 "$releases/v$version/SHA256SUMS")
if KEYLINT_SHA256=$sum install "$work/inst2" && [ "$(out_of installed "$work/out")" = true ]; then
  ok "install: a pinned sha256 that matches is accepted"
else
  cat "$work/install.log"; fail "pinned matching sha256"
fi

code=0
KEYLINT_SHA256=$(printf '0%.0s' $(seq 64)) install "$work/inst3" || code=$?
if [ "$code" = 2 ] && [ ! -e "$work/inst3/bin/keylint" ] && grep -q "pins" "$work/install.log"; then
  ok "install: a pinned sha256 that differs is refused (exit 2, nothing installed)"
else
  cat "$work/install.log"; fail "pinned wrong sha256 (exit $code)"
fi

cp "$releases/v$version/SHA256SUMS" "$work/sums.good"
# Change the digest's first character (to `0` when it already is `f`).
sed -i -e 's/^f/0/;t' -e 's/^./f/' "$releases/v$version/SHA256SUMS"
code=0
install "$work/inst4" || code=$?
cp "$work/sums.good" "$releases/v$version/SHA256SUMS"
if [ "$code" = 2 ] && [ ! -e "$work/inst4/bin/keylint" ]; then
  ok "install: an archive that does not match SHA256SUMS is refused"
else
  cat "$work/install.log"; fail "tampered SHA256SUMS (exit $code)"
fi

code=0
VERSION=999.0.0 install "$work/inst5" || code=$?
if [ "$code" = 0 ] && [ "$(out_of installed "$work/out")" = false ] && [ -n "$(out_of source-key "$work/out")" ]; then
  ok "install: a version without a release falls back to building from source"
else
  cat "$work/install.log"; fail "missing release fallback (exit $code)"
fi

# ---- scan step ----------------------------------------------------------
# origin: main holds a clean file; refs/pull/1/head adds a key (in a file
# whose name has spaces); refs/pull/2/head adds only clean code. The base
# checkout (as pull_request_target makes it) has neither pull ref.
git init -q --bare "$work/origin.git"
git clone -q "$work/origin.git" "$work/author" 2> /dev/null
(
  cd "$work/author"
  git checkout -q -b main
  mkdir -p "ci conf"
  printf 'print("hello")\n' > app.py
  printf '[allow]\nvalues = ["^sk-proj-"]\n' > "ci conf/keylint.toml"
  git add . && git commit -qm base && git push -q origin main
  git checkout -q -b pr1
  printf 'OPENAI_API_KEY = "%s"\n' "$key" > "settings with spaces.py"
  git add . && git commit -qm "add a key" && git push -q origin "HEAD:refs/pull/1/head"
  git checkout -q main && git checkout -q -b pr2
  printf 'print("bye")\n' >> app.py
  git commit -qam "clean change" && git push -q origin "HEAD:refs/pull/2/head"
)
base=$(git -C "$work/author" rev-parse main)
head1=$(git -C "$work/author" rev-parse pr1)
head2=$(git -C "$work/author" rev-parse pr2)

scan() { # dir, then env
  : > "$work/out"
  (cd "$1" && GITHUB_OUTPUT="$work/out" KEYLINT="$keylint" SARIF="$work/r.sarif" bash "$root/scripts/action-scan.sh") > "$work/scan.log" 2>&1
}
checkout() { rm -rf "$work/ws"; git clone -q --single-branch --branch main "$work/origin.git" "$work/ws"; }

checkout
code=0
EVENT=pull_request_target BASE=$base HEAD=$head1 PR_NUMBER=1 scan "$work/ws" || code=$?
if [ "$code" = 0 ] && [ "$(out_of failed "$work/out")" = true ] && [ "$(out_of findings "$work/out")" = 1 ] \
  && [ "$(out_of category "$work/out")" = keylint/pull-request ] && grep -q openai-api-key "$work/r.sarif"; then
  ok "pull_request_target: head fetched from refs/pull/1/head, the added key found, category keylint/pull-request"
else
  cat "$work/scan.log"; fail "pull_request_target scan (exit $code)"
fi
if grep -q "$key" "$work/r.sarif" "$work/scan.log"; then fail "the full key appears in the SARIF or the log"; else ok "no full key in the SARIF or the log"; fi

checkout
code=0
EVENT=pull_request BASE=$base HEAD=$head2 PR_NUMBER=2 scan "$work/ws" || code=$?
if [ "$code" = 0 ] && [ "$(out_of failed "$work/out")" = false ] && [ "$(out_of findings "$work/out")" = 0 ]; then
  ok "pull_request with a clean change: 0 findings, not failed"
else
  cat "$work/scan.log"; fail "clean pull request (exit $code)"
fi

checkout
code=0
EVENT=pull_request BASE=$base HEAD=$head1 PR_NUMBER=1 ARGS='--config "ci conf/keylint.toml"' scan "$work/ws" || code=$?
if [ "$code" = 0 ] && [ "$(out_of findings "$work/out")" = 0 ]; then
  ok "args: a quoted path with a space reaches keylint as one argument"
else
  cat "$work/scan.log"; fail "quoted args (exit $code)"
fi

checkout
code=0
# shellcheck disable=SC2016 # the $(...) must reach the script unexpanded
EVENT=pull_request BASE=$base HEAD=$head1 PR_NUMBER=1 ARGS='$(touch pwned) `touch pwned2` *' scan "$work/ws" || code=$?
if [ ! -e "$work/ws/pwned" ] && [ ! -e "$work/ws/pwned2" ] && [ ! -e pwned ]; then
  ok "args: \$(...) and backticks are never executed (exit $code)"
else
  fail "args executed a command substitution"
fi

checkout
code=0
EVENT=pull_request BASE=$base HEAD=$head1 ARGS='--config "unterminated' scan "$work/ws" || code=$?
if [ "$code" = 2 ] && grep -q "does not parse" "$work/scan.log"; then
  ok "args: unbalanced quotes are an error (exit 2)"
else
  cat "$work/scan.log"; fail "unbalanced quotes (exit $code)"
fi

# push: the whole tree of the checked-out head, under its own category.
checkout
git -C "$work/ws" fetch -q origin refs/pull/1/head && git -C "$work/ws" checkout -q FETCH_HEAD
code=0
EVENT=push scan "$work/ws" || code=$?
if [ "$code" = 0 ] && [ "$(out_of failed "$work/out")" = true ] && [ "$(out_of category "$work/out")" = keylint/tree ]; then
  ok "push: the tree scanned, category keylint/tree"
else
  cat "$work/scan.log"; fail "push scan (exit $code)"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
