#!/usr/bin/env bash
# How many of the peer scanners' own rule test examples keylint finds
# (bench/peer-examples.py does the work; see its docstring for the method).
#
#   bench/peer-examples.sh KEYLINT PEERS_DIR [peer-examples.py options...]
# e.g.
#   bench/peer-examples.sh /tmp/keylint-bench /tmp/peers --misses /tmp/peer-misses.txt
#
# PEERS_DIR holds one checkout per peer, named owner+repo. Getting them (the
# examples are read from these at run time and never copied into this repo):
#
#   mkdir -p /tmp/peers && cd /tmp/peers
#   git clone -q --depth 1 https://github.com/mongodb/kingfisher           mongodb+kingfisher
#   git clone -q --depth 1 https://github.com/praetorian-inc/noseyparker   praetorian-inc+noseyparker
#   git clone -q --depth 1 https://github.com/gitleaks/gitleaks            gitleaks+gitleaks
#   git clone -q --depth 1 https://github.com/betterleaks/betterleaks      betterleaks+betterleaks
#
# From a bare mirror (e.g. the session tool `fetch github:owner/name`, which
# leaves /work/.mirror/owner+name/repo): `git clone -q --no-local MIRROR DIR`;
# when the mirror lacks some large blobs (Kingfisher, betterleaks), export
# just the rule directories instead:
#
#   git --git-dir=/work/.mirror/mongodb+kingfisher/repo archive HEAD data/rules \
#     | (mkdir -p mongodb+kingfisher && tar -x -C mongodb+kingfisher)
#   git --git-dir=/work/.mirror/betterleaks+betterleaks/repo archive HEAD cmd/generate \
#     | (mkdir -p betterleaks+betterleaks && tar -x -C betterleaks+betterleaks)
#
# Only these subtrees are read: kingfisher data/rules/, noseyparker
# crates/noseyparker/data/default/builtin/{rules,rulesets}/, gitleaks and
# betterleaks cmd/generate/config/rules/. A missing checkout is left out.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,30p' "$0"; exit 2; }
keylint=$1; peers=$2; shift 2
args=()
[ -d "$peers/mongodb+kingfisher/data/rules" ] && args+=(--kingfisher "$peers/mongodb+kingfisher")
[ -d "$peers/praetorian-inc+noseyparker/crates" ] && args+=(--noseyparker "$peers/praetorian-inc+noseyparker")
[ -d "$peers/gitleaks+gitleaks/cmd/generate" ] && args+=(--gitleaks "$peers/gitleaks+gitleaks")
[ -d "$peers/betterleaks+betterleaks/cmd/generate" ] && args+=(--betterleaks "$peers/betterleaks+betterleaks")
exec python3 "$(dirname "$0")/peer-examples.py" "$keylint" "${args[@]}" "$@"
