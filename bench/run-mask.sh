#!/usr/bin/env bash
# Throughput of `keylint run`'s output masker: a child writes SIZE MiB of
# base64 text (with the injected key in it every ~64 KiB) through keylint,
# against the same command with --no-masking and without keylint at all.
# Usage: bench/run-mask.sh [KEYLINT_BINARY] [SIZE_MIB]
set -euo pipefail
bin=${1:-target/release/keylint}
size=${2:-200}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME=$home XDG_CONFIG_HOME=$home/xdg
unset MUAPI_API_KEY KEYLINT_RUN
key="mu_$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
printf '%s\n' "$key" | "$bin" key set muapi --force >/dev/null 2>&1
gen="head -c $((size * 3 * 1024 * 256)) /dev/zero | tr '\\0' 'A' | base64 -w 65536 | sed \"s/^/\$MUAPI_API_KEY /\""
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
plain=$(MUAPI_API_KEY=$key t sh -c "$gen")
nomask=$(t "$bin" run -p muapi --no-masking -- sh -c "$gen")
masked=$(t "$bin" run -p muapi -- sh -c "$gen")
leaks=$("$bin" run -p muapi -- sh -c "$gen" | grep -c -F "$key" || true)
printf 'output %d MiB: no keylint %.2fs, --no-masking %.2fs, masked %.2fs (%.0f MiB/s); lines with the key in the masked output: %s\n' \
  "$size" "$plain" "$nomask" "$masked" "$(echo "$size / $masked" | bc -l)" "$leaks"
