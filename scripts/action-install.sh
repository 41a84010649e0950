#!/usr/bin/env bash
# The GitHub Action's install step: downloads the release archive of one
# keylint version for this runner and checks it against that release's
# SHA256SUMS (and against KEYLINT_SHA256, when the workflow pins a hash).
# Writes `installed=true` and `path=...` to GITHUB_OUTPUT on success; on a
# runner or version without a release binary it writes `installed=false`
# and exits 0, and action.yml falls back to a cached `cargo install --locked`.
# A checksum mismatch is an error (exit 2), never a fallback.
#
#   VERSION          keylint version without the "v" (default: Cargo.toml's)
#   DEST             install root; the binary lands in DEST/bin
#   RUNNER_OS, RUNNER_ARCH   as GitHub sets them (Linux/macOS/Windows, X64/ARM64)
#   KEYLINT_RELEASES base URL of the releases (default: the GitHub releases
#                    of this repository; tests use a file:// directory)
#   KEYLINT_SHA256   optional expected SHA-256 of the archive
set -euo pipefail
# Windows runners name it python, the others python3.
python=$(command -v python3 || command -v python || echo python3)
root=$(cd "$(dirname "$0")/.." && pwd)
: "${DEST:?DEST must name the install root}"
: "${GITHUB_OUTPUT:=/dev/null}"
version=${VERSION:-$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)}
version=${version#v}
releases=${KEYLINT_RELEASES:-https://github.com/keylint/keylint/releases/download}

# The fallback's cache key: the source this action would build. (hashFiles()
# in action.yml only sees the workspace, not the action's own folder.)
fallback() {
  echo "keylint: $1; building from source instead"
  if command -v sha256sum > /dev/null; then sum=(sha256sum); else sum=(shasum -a 256); fi
  key=$(cd "$root" && find Cargo.toml Cargo.lock build.rs src rules -type f | LC_ALL=C sort \
    | while IFS= read -r f; do "${sum[@]}" "$f"; done | "${sum[@]}" | cut -c1-32)
  {
    echo "installed=false"
    echo "source-key=$key"
  } >> "$GITHUB_OUTPUT"
  exit 0
}

case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) fallback "no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" ;;
esac
case "$target" in
  *windows*) ext=zip exe=keylint.exe ;;
  *) ext=tar.gz exe=keylint ;;
esac
name="keylint-v$version-$target"
url="$releases/v$version"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/$name.$ext" "$url/$name.$ext" 2> "$work/err" \
  || fallback "no release archive $name.$ext at $url ($(head -c 200 "$work/err"))"
curl -fsSL --retry 3 -o "$work/SHA256SUMS" "$url/SHA256SUMS" \
  || fallback "release v$version has no SHA256SUMS"

if command -v sha256sum > /dev/null; then sum=(sha256sum); else sum=(shasum -a 256); fi
actual=$("${sum[@]}" "$work/$name.$ext" | cut -d' ' -f1)
expected=$(awk -v f="$name.$ext" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")
if [ -z "$expected" ]; then
  echo "::error::keylint: SHA256SUMS of v$version does not list $name.$ext"
  exit 2
fi
if [ "$actual" != "$expected" ]; then
  echo "::error::keylint: $name.$ext has SHA-256 $actual, but SHA256SUMS of v$version says $expected; not installing it"
  exit 2
fi
if [ -n "${KEYLINT_SHA256:-}" ] && [ "$actual" != "$KEYLINT_SHA256" ]; then
  echo "::error::keylint: $name.$ext has SHA-256 $actual, but the workflow pins $KEYLINT_SHA256; not installing it"
  exit 2
fi

mkdir -p "$DEST/bin"
case "$ext" in
  zip) (cd "$work" && "$python" -m zipfile -e "$name.$ext" .) ;;
  *) tar -C "$work" -xzf "$work/$name.$ext" ;;
esac
cp "$work/$name/$exe" "$DEST/bin/$exe"
chmod +x "$DEST/bin/$exe"
echo "keylint: installed $name (sha256 $actual)"
{
  echo "installed=true"
  echo "path=$DEST/bin/$exe"
} >> "$GITHUB_OUTPUT"
