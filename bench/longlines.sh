#!/usr/bin/env bash
# Long-line benchmark: crafted input whose cost must stay linear. 5 MB of a
# keyword on one line, minified JavaScript, 10,000 tokens on one line, and
# 1 MB of base64 values on one line, each against the same bytes with line
# breaks. Before line boundaries were indexed per blob the first ones took
# 51-238 s; before base64 views were cut to the run's neighbourhood the
# last took minutes and gigabytes. Each should now take about what the
# same bytes with line breaks take.
#
#   bench/longlines.sh                   # this checkout's release build
#   KEYLINT=/path/to/keylint bench/longlines.sh   # another binary (before/after)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${KEYLINT:-}" ]; then
  cargo build --release --locked --quiet
  KEYLINT="${CARGO_TARGET_DIR:-target}/release/keylint"
fi
keylint=$(realpath "$KEYLINT")
python3 - "$work" <<'PY'
import random, string, sys
d = sys.argv[1]
rnd = random.Random(7)
def rand(n, alphabet=string.ascii_letters + string.digits):
    return "".join(rnd.choice(alphabet) for _ in range(n))
five = 5 << 20
for name, unit in [("akia", "AKIA"), ("sk", "sk_"), ("password", "password=")]:
    open(f"{d}/{name}-line.txt", "w").write((unit * (five // len(unit) + 1))[:five])
    open(f"{d}/{name}-lines.txt", "w").write(((unit + "\n") * (five // (len(unit) + 1) + 1))[:five])
js = []
while sum(map(len, js)) < five:
    js.append(f"var {rand(6, string.ascii_lowercase)}={{key:\"{rand(12)}\",token:t,password:p}};")
open(f"{d}/minified-line.js", "w").write("".join(js))
open(f"{d}/minified-lines.js", "w").write("\n".join(js))
tokens = [f"api_token=\"{rand(32)}\"" for _ in range(10_000)]
open(f"{d}/tokens-line.txt", "w").write(" ".join(tokens))
open(f"{d}/tokens-lines.txt", "w").write("\n".join(tokens))
import base64
run = base64.b64encode(b"user:hunter2 x").decode()
b64 = (run + " ") * ((1 << 20) // (len(run) + 1))
open(f"{d}/base64-line.txt", "w").write(b64)
open(f"{d}/base64-lines.txt", "w").write(b64.replace(" ", "\n"))
PY
printf '| input | one line | with line breaks |\n|---|---|---|\n'
for name in akia sk password; do
  a=$( { /usr/bin/time -f %e "$keylint" scan --no-git -q --exit-zero "$work/$name-line.txt" > /dev/null; } 2>&1 | tail -1)
  b=$( { /usr/bin/time -f %e "$keylint" scan --no-git -q --exit-zero "$work/$name-lines.txt" > /dev/null; } 2>&1 | tail -1)
  echo "| 5 MB of \`$name\` | $a s | $b s |"
done
a=$( { /usr/bin/time -f %e "$keylint" scan --no-git -q --exit-zero --max-file-size 20MiB "$work/minified-line.js" > /dev/null; } 2>&1 | tail -1)
b=$( { /usr/bin/time -f %e "$keylint" scan --no-git -q --exit-zero --max-file-size 20MiB "$work/minified-lines.js" > /dev/null; } 2>&1 | tail -1)
echo "| 5 MB minified JS | $a s | $b s |"
a=$( { /usr/bin/time -f %e "$keylint" scan --no-git -q --exit-zero "$work/tokens-line.txt" > /dev/null; } 2>&1 | tail -1)
b=$( { /usr/bin/time -f %e "$keylint" scan --no-git -q --exit-zero "$work/tokens-lines.txt" > /dev/null; } 2>&1 | tail -1)
echo "| 10,000 tokens | $a s | $b s |"
# (a binary from before the fix is stopped after 300 s)
a=$( { /usr/bin/time -f %e timeout 300 "$keylint" scan --no-git -q --exit-zero "$work/base64-line.txt" > /dev/null; } 2>&1 | tail -1 || true)
b=$( { /usr/bin/time -f %e "$keylint" scan --no-git -q --exit-zero "$work/base64-lines.txt" > /dev/null; } 2>&1 | tail -1)
echo "| 1 MB of base64 values | $a s | $b s |"
