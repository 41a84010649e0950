#!/usr/bin/env bash
# Builds the keylint wheel (pypi/pyproject.toml: maturin, bindings = "bin")
# and proves it works without Rust: installs it into a fresh virtualenv whose
# PATH has no cargo or rustc, runs `keylint --version` (must be Cargo.toml's
# version) and two scans (a tree with a generated fake key: exit 1; a clean
# one: exit 0).
#
#   scripts/build-wheel.sh [OUT_DIR]      # default dist/
#
# maturin comes from $MATURIN, or PATH, or a virtualenv under /tmp it creates
# (pip install maturin). The wheel is what `pip install keylint` and the
# `keylint` pre-commit hook install.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)

maturin=${MATURIN:-$(command -v maturin || true)}
if [ -z "$maturin" ]; then
  tools=${TMPDIR:-/tmp}/keylint-maturin
  [ -x "$tools/bin/maturin" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install --quiet "maturin>=1.5,<2"; }
  maturin=$tools/bin/maturin
fi

rm -f "$out"/keylint-"$version"-*.whl
(cd "$root/pypi" && "$maturin" build --release --locked --out "$out")
wheel=$(ls "$out"/keylint-"$version"-*.whl)
echo "build-wheel: $wheel ($(du -h "$wheel" | cut -f1))"

# A fresh virtualenv and a PATH with no Rust toolchain in it.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index "$wheel"
norust_path="$work/venv/bin:/usr/local/bin:/usr/bin:/bin"
if PATH=$norust_path command -v cargo > /dev/null || PATH=$norust_path command -v rustc > /dev/null; then
  echo "build-wheel: cannot test without Rust: cargo or rustc is in /usr/local/bin, /usr/bin or /bin" >&2
  exit 2
fi
run() { env -i HOME="$work" PATH="$norust_path" "$@"; }

got=$(run keylint --version)
echo "build-wheel: $got"
case "$got" in
  *" $version"*) ;;
  *) echo "build-wheel: FAIL: the wheel's keylint says '$got', Cargo.toml says $version" >&2; exit 1 ;;
esac

mkdir -p "$work/tree" "$work/clean"
key=$(python3 -c 'import random,string;r=random.Random(5);a=string.ascii_letters+string.digits;p=lambda n:"".join(r.choice(a) for _ in range(n));print("sk-proj-"+p(74)+"T3Blbk"+"FJ"+p(74))')
printf 'OPENAI_API_KEY = "%s"\n' "$key" > "$work/tree/settings.py"
printf 'print("hello")\n' > "$work/clean/app.py"
code=0
run keylint scan "$work/tree" --color never > "$work/scan.txt" 2>&1 || code=$?
if [ "$code" != 1 ] || ! grep -q openai-api-key "$work/scan.txt"; then
  cat "$work/scan.txt"; echo "build-wheel: FAIL: a scan of a tree with a key exited $code without the finding" >&2; exit 1
fi
code=0
run keylint scan "$work/clean" > "$work/scan.txt" 2>&1 || code=$?
if [ "$code" != 0 ]; then
  cat "$work/scan.txt"; echo "build-wheel: FAIL: a clean tree exited $code" >&2; exit 1
fi
echo "build-wheel: ok: the wheel installs without Rust, reports $version, finds a key (exit 1), passes a clean tree (exit 0)"
