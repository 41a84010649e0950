#!/usr/bin/env bash
# Scores keylint on a CredData-style corpus (data/ + meta/*.csv) with the
# corpus' own scorer. For developers: the corpus and scorer live outside the
# repository.
#
#   bench/creddata.sh DATASET_DIR SCORER [scorer args...]
# e.g.
#   bench/creddata.sh ../shared/bench/creddata-dev ../shared/bench/score_creddata.py \
#     --exclude-cat "UUID,AWS S3 Bucket,Firebase Domain,Tencent WeChat API App ID" --by-cat
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=$(realpath "$1"); scorer=$(realpath "$2"); shift 2
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"${CARGO_TARGET_DIR:-target}/release/keylint" scan "$dataset/data" --no-git --exit-zero -q --format sarif --output "$out/report.sarif"
python3 "$scorer" "$dataset" "sarif:$out/report.sarif" "$@"
