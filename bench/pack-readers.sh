#!/usr/bin/env bash
# keylint's pack reader against gix's own object reader, on every blob
# version of a repository's history, oldest-first and newest-first
# (examples/pack_readers.rs does the reading; one thread, wall time each).
#
#   bench/pack-readers.sh REPO [CACHE_MIB ...]
# e.g.
#   bench/pack-readers.sh /tmp/cargo-hist 0 64 256
#
# CACHE_MIB is the size of gix's object cache (default 64). The figures
# decide which reader `scan --history` uses: BENCHMARKS.md keeps them.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,12p' "$0"; exit 2; }
repo=$1; shift
[ $# -ge 1 ] || set -- 64
cd "$(dirname "$0")/.."
cargo build --quiet --release --locked --example pack_readers
for mib in "$@"; do
  ./target/release/examples/pack_readers "$repo" "$mib"
done
