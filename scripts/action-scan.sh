#!/usr/bin/env bash
# The GitHub Action's scan step (action.yml calls this; tests/action-e2e.sh
# runs it against a temporary repository). Everything comes in through the
# environment, never through ${{ }} text pasted into a script:
#
#   KEYLINT       the keylint binary
#   EVENT         github.event_name
#   BASE, HEAD    the pull request's base and head commits (pull requests)
#   PR_NUMBER     the pull request's number (to fetch refs/pull/N/head)
#   SCAN_PATH     what to scan on other events (default ".")
#   SARIF         where to write the SARIF report
#   ARGS          extra `keylint scan` arguments, split like a shell would
#                 (quotes group, nothing is expanded or executed)
#   CATEGORY      SARIF category prefix (default "keylint")
#   GITHUB_OUTPUT the step's output file
#
# A pull request scans what it adds (`--range BASE..HEAD`) and uploads under
# CATEGORY/pull-request; other events scan the tree under CATEGORY/tree, so a
# pull request's partial view never marks the tree's alerts fixed.
# The step itself fails only when keylint fails (exit 2); whether findings
# fail the job is decided by a later step from the `failed` output.
set -euo pipefail
# Windows runners name it python, the others python3.
python=$(command -v python3 || command -v python || echo python3)

: "${KEYLINT:?KEYLINT must name the keylint binary}"
: "${SARIF:=keylint.sarif}"
: "${SCAN_PATH:=.}"
: "${CATEGORY:=keylint}"
: "${GITHUB_OUTPUT:=/dev/null}"
EVENT=${EVENT:-push}

# Split ARGS into words without eval: shlex follows POSIX shell quoting and
# never expands `$(...)`, `*` or variables. One NUL-terminated word each.
extra=()
if [ -n "${ARGS:-}" ]; then
  words=$(mktemp)
  if ! ARGS="$ARGS" "$python" -c '
import os, shlex, sys
try:
    words = shlex.split(os.environ["ARGS"])
except ValueError as e:
    sys.exit("keylint action: the args input does not parse (%s); quote it as a shell would" % e)
for w in words:
    sys.stdout.write(w + "\0")
' > "$words"; then
    rm -f "$words"
    exit 2
  fi
  while IFS= read -r -d '' w; do extra+=("$w"); done < "$words"
  rm -f "$words"
fi

# Make sure a commit is present, fetching it from origin if not: under
# pull_request_target the checkout is the base branch, and the head commit
# (possibly from a fork) is only reachable as refs/pull/N/head.
have_commit() { git cat-file -e "$1^{commit}" 2>/dev/null; }
need_commit() {
  local sha=$1
  have_commit "$sha" && return 0
  if [ -n "${PR_NUMBER:-}" ]; then
    git fetch --quiet --no-tags origin "+refs/pull/${PR_NUMBER}/head:refs/remotes/keylint/pull/${PR_NUMBER}" || true
  fi
  have_commit "$sha" || git fetch --quiet --no-tags origin "$sha" || true
  have_commit "$sha" || {
    echo "::error::keylint: commit $sha is not in the checkout and could not be fetched; use actions/checkout with fetch-depth: 0"
    exit 2
  }
}

case "$EVENT" in
  pull_request | pull_request_target)
    : "${BASE:?BASE (the pull request base commit) is empty}"
    : "${HEAD:?HEAD (the pull request head commit) is empty}"
    need_commit "$BASE"
    need_commit "$HEAD"
    # A shallow checkout has the two ends but not the commits between them.
    if ! git merge-base "$BASE" "$HEAD" > /dev/null 2>&1 \
      && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
      git fetch --quiet --no-tags --unshallow origin || true
    fi
    category="$CATEGORY/pull-request"
    cmd=("$KEYLINT" scan --range "$BASE..$HEAD" --format sarif --output "$SARIF" ${extra[@]+"${extra[@]}"})
    ;;
  *)
    category="$CATEGORY/tree"
    cmd=("$KEYLINT" scan "$SCAN_PATH" --format sarif --output "$SARIF" ${extra[@]+"${extra[@]}"})
    ;;
esac

printf 'keylint:'; printf ' %q' "${cmd[@]:1}"; echo
set +e
"${cmd[@]}"
code=$?
set -e
if [ "$code" -ge 2 ]; then
  echo "::error::keylint failed (exit $code)"
  exit "$code"
fi

# Findings GitHub will show as open alerts: results without a suppression.
count=$("$python" -c '
import json, sys
runs = json.load(open(sys.argv[1], encoding="utf-8"))["runs"]
print(sum(1 for r in runs for x in r.get("results", []) if not x.get("suppressions")))
' "$SARIF")
failed=false
[ "$code" -eq 1 ] && failed=true
{
  echo "findings=$count"
  echo "failed=$failed"
  echo "category=$category"
} >> "$GITHUB_OUTPUT"
echo "keylint: $count finding(s), report in $SARIF (category $category)"
