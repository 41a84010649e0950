#!/usr/bin/env bash
# Builds one release archive: scripts/release-build.sh TARGET [OUT_DIR]
#
#   dist/keylint-vX.Y.Z-TARGET.tar.gz   (.zip for Windows targets)
#   dist/keylint-vX.Y.Z-TARGET.tar.gz.sha256
#
# The archive holds one folder, keylint-vX.Y.Z-TARGET/, with the binary,
# README.md, the man page (doc/keylint.1) and shell completions
# (complete/). The release workflow runs this once per target; it runs the
# same way here for the host target:
#
#   scripts/release-build.sh x86_64-unknown-linux-gnu
#
# These names are what action.yml downloads and what
# [package.metadata.binstall] in Cargo.toml points at: change them together.
set -euo pipefail
# Windows runners name it python, the others python3.
python=$(command -v python3 || command -v python || echo python3)
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: scripts/release-build.sh TARGET [OUT_DIR]}
out=${2:-$root/dist}
cd "$root"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
name="keylint-v$version-$target"
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$target" in
  *windows*) exe=keylint.exe ;;
  *) exe=keylint ;;
esac

# KEYLINT_BIN packages an already built binary (tests/action-e2e.sh does, to
# test the archive layout without a second release build).
if [ -n "${KEYLINT_BIN:-}" ]; then
  bin=$KEYLINT_BIN
else
  cargo build --release --locked --target "$target"
  bin="$target_dir/$target/release/$exe"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/doc" "$stage/$name/complete" "$out"
cp "$bin" README.md "$stage/$name/"

# Man page and completions come from the binary's own clap definitions. A
# cross-compiled binary that cannot run here leaves them out, loudly; with
# KEYLINT_REQUIRE_DOCS=1 (the release workflow) a binary that runs but cannot
# make them fails the build.
missing_docs=0
if "$bin" --version > /dev/null 2>&1; then
  if "$bin" man > "$stage/$name/doc/keylint.1" 2> /dev/null; then :; else
    echo "release-build: warning: \`keylint man\` failed; no man page in $name" >&2
    rm -f "$stage/$name/doc/keylint.1"
    missing_docs=1
  fi
  for shell in bash zsh fish powershell elvish; do
    case $shell in
      bash) file=keylint.bash ;;
      zsh) file=_keylint ;;
      fish) file=keylint.fish ;;
      powershell) file=_keylint.ps1 ;;
      elvish) file=keylint.elv ;;
    esac
    if ! "$bin" completions "$shell" > "$stage/$name/complete/$file" 2> /dev/null; then
      echo "release-build: warning: \`keylint completions $shell\` failed; left out of $name" >&2
      rm -f "$stage/$name/complete/$file"
      missing_docs=1
    fi
  done
else
  echo "release-build: warning: $target binary does not run on this host; no man page or completions" >&2
fi

if [ "$missing_docs" = 1 ] && [ "${KEYLINT_REQUIRE_DOCS:-0}" = 1 ]; then
  echo "release-build: KEYLINT_REQUIRE_DOCS=1 and the man page or a completion is missing" >&2
  exit 1
fi

case "$target" in
  *windows*)
    archive="$out/$name.zip"
    # Relative names only: a Windows python does not read MSYS paths.
    (cd "$stage" && "$python" -m zipfile -c "$name.zip" "$name")
    mv -f "$stage/$name.zip" "$archive"
    ;;
  *)
    archive="$out/$name.tar.gz"
    tar -C "$stage" -czf "$archive" "$name"
    ;;
esac

# sha256sum on Linux, shasum on macOS; the line format is the same.
if command -v sha256sum > /dev/null; then sum=(sha256sum); else sum=(shasum -a 256); fi
(cd "$out" && "${sum[@]}" "$(basename "$archive")" > "$(basename "$archive").sha256")
echo "release-build: $archive"
cat "$archive.sha256"
