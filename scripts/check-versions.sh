#!/usr/bin/env bash
# One version everywhere: Cargo.toml (the crate, the binary, the wheel via
# maturin), Cargo.lock, the pre-commit shim (pyproject.toml: its version and
# its keylint== pin) and, given one, the release tag (vX.Y.Z).
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
if [ $# -gt 0 ]; then
  tag=${1#refs/tags/}
  case "$tag" in
    v"$cargo_version") ;;
    *) echo "check-versions: tag '$tag' does not name version $cargo_version; release tags are v$cargo_version" >&2; bad=1 ;;
  esac
fi
[ "$bad" = 0 ] && echo "check-versions: $cargo_version everywhere"
exit "$bad"
