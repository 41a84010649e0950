#!/usr/bin/env bash
# One version everywhere: Cargo.toml (the crate, the binary, the wheel via
# maturin), Cargo.lock, the pre-commit shim (pyproject.toml: its version and
# its keylint== pin) and, given one, the release tag (vX.Y.Z). Also that
# Cargo.toml's rust-version is what the locked dependencies a build uses
# (normal and build ones, every platform) need: no lower.
#
#   scripts/check-versions.sh [TAG]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
lock_version=$(awk '/^name = "keylint"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
shim_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -1)
shim_pin=$(sed -n 's/^dependencies = \["keylint==\(.*\)"\]$/\1/p' pyproject.toml)
bad=0
check() { # what, value
  if [ "$2" != "$cargo_version" ]; then
    echo "check-versions: $1 is '$2' but Cargo.toml's version is '$cargo_version'; set it to $cargo_version" >&2
    bad=1
  fi
}
check "Cargo.lock's keylint version" "$lock_version"
check "pyproject.toml's version" "$shim_version"
check "pyproject.toml's keylint== pin" "$shim_pin"
declared=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
needed=$(python3 - <<'PY'
import json, subprocess
run = lambda *a: subprocess.run(a, capture_output=True, text=True, check=True).stdout
meta = json.loads(run("cargo", "metadata", "--format-version", "1", "--locked"))
used = {tuple(l.split()[:2]) for l in run("cargo", "tree", "--locked", "-e", "normal,build",
        "--target", "all", "--prefix", "none", "--format", "{p}").splitlines() if l.strip()}
key = lambda v: tuple(int(x) for x in v.split("."))
versions = [p["rust_version"] for p in meta["packages"]
            if p.get("rust_version") and (p["name"], "v" + p["version"]) in used]
best = max(versions, key=key)
print(f"{best} {' '.join(sorted({p['name'] for p in meta['packages'] if p.get('rust_version') == best and (p['name'], 'v' + p['version']) in used}))}")
PY
)
need_version=${needed%% *}
vkey() { echo "$1" | awk -F. '{ printf "%05d%05d%05d", $1, $2, $3 }'; }
if [ "$(vkey "$declared")" \< "$(vkey "$need_version")" ]; then
  echo "check-versions: Cargo.toml says rust-version $declared but the locked ${needed#* } need(s) $need_version; set rust-version = \"$need_version\" (and the README's 'needs Rust' line)" >&2
  bad=1
fi
if [ $# -gt 0 ]; then
  tag=${1#refs/tags/}
  case "$tag" in
    v"$cargo_version") ;;
    *) echo "check-versions: tag '$tag' does not name version $cargo_version; release tags are v$cargo_version" >&2; bad=1 ;;
  esac
fi
[ "$bad" = 0 ] && echo "check-versions: $cargo_version everywhere"
exit "$bad"
