#!/usr/bin/env bash
# Seed corpora from the project's own data: every rule example and
# counter-example (scan), the rule files and a config example (config), the
# fixtures. Packs are seeded from a small real repository's packs.
#
#   fuzz/seed.sh        # writes fuzz/corpus/<target>/ (not committed)
set -euo pipefail
cd "$(dirname "$0")"
rm -rf corpus && mkdir -p corpus/{scan,config,pack,masker,accepted}
python3 - <<'PY'
import glob, hashlib, tomllib
def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    open(f"corpus/{target}/{hashlib.sha1(data).hexdigest()}", "wb").write(data)
for path in sorted(glob.glob("../rules/*.toml")):
    text = open(path, "rb").read()
    put("config", text)
    doc = tomllib.loads(text.decode())
    for rule in doc.get("rules", []):
        for ex in rule.get("examples", []):
            put("scan", ex["input"])
            put("masker", bytes([len(ex["secret"]) % 40]) + ex["secret"].encode() + b" in output\n")
        for cx in rule.get("counter_examples", []):
            put("scan", cx if isinstance(cx, str) else cx["input"])
for path in glob.glob("../fixtures/**/*", recursive=True):
    try:
        put("scan", open(path, "rb").read())
    except IsADirectoryError:
        pass
put("config", open("../.keylint.toml").read())
put("accepted", '{"version": 2, "findings": [{"path": "a.py", "rule_id": "r", "fingerprint": "' + "ab" * 32 + '"}]}')
put("accepted", "# comment\n52f51f63b0e12443  # a.py\n")
put("accepted", '{"auth": {"api_key": "k"}}')
PY
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
git -C "$work" init -q; for i in 1 2 3; do echo "line $i" >> "$work/f"; git -C "$work" add f; git -C "$work" -c user.name=f -c user.email=f@example.org commit -qm $i; done
git -C "$work" gc -q --aggressive
cp "$work"/.git/objects/pack/*.pack corpus/pack/
echo "seeded: $(for d in corpus/*; do printf '%s %s  ' "${d#corpus/}" "$(ls "$d" | wc -l)"; done)"
