#!/usr/bin/env python3
"""How many of the peer scanners' own rule test examples keylint finds.

    bench/peer-examples.py KEYLINT [--kingfisher DIR] [--noseyparker DIR]
                           [--gitleaks DIR] [--betterleaks DIR]
                           [--misses FILE] [--keep DIR] [--rules-dir DIR]

Each DIR is a checkout (or an extracted subtree) of the peer's repository;
bench/peer-examples.sh says how to get them. The script reads the peers'
examples at run time and writes them only to a temporary directory (removed
at exit unless --keep): no peer example is ever copied into this repository.

What is read, per suite:
  kingfisher   data/rules/*.yml|yaml: `examples` (positives) and
               `negative_examples` (negatives).
  noseyparker  crates/noseyparker/data/default/builtin/rules/*.yml:
               `examples`; `negative_examples` and `non_examples` (negatives).
  gitleaks,    cmd/generate/config/rules/*.go: the `tps` / `fps` arguments
  betterleaks  of utils.Validate / utils.ValidateWithPaths, evaluated with a
               tiny Go-subset evaluator (string literals, `+`, []string{...},
               map[string]string{...}, append(...), local and package
               variables). Elements built by a call (GenerateSampleSecret(s),
               secrets.NewSecret, fmt.Sprintf, helper functions...) are
               random or templated, so they are skipped and counted as
               "generated". ValidateWithPaths map entries with empty content
               are path-only tests (keylint reports credential files only with
               git awareness, which the bench turns off) and are skipped too.

Every example becomes its own file, TMP/{pos,neg}/<suite>/<rule-id>/<n>.txt
(map-literal examples keep the peer's file name: .../<n>/<name>). keylint runs
once per tree (`scan --no-git --no-config --no-ignore --format json`); a
positive counts as found when keylint reports anything in its file, a negative
as flagged likewise. With --misses, keylint also runs once with --explain over
each tree so every missed positive lists why each candidate was dropped.

"core" excludes the peers' own non-secret helper rules: Kingfisher rules with
`visible: false` (ids, hosts, user names that dependent rules use), Nosey
Parker rules outside its `default` ruleset (assets, identifiers, hashes) and
betterleaks rules with `SkipReport: true` (components of composite rules).
Those are reported on their own "aux" line.

Output is deterministic (sorted). Python 3.8+, stdlib plus PyYAML (already
installed where this was written; `pip install pyyaml` otherwise).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("peer-examples.py needs PyYAML: pip install pyyaml")

KF_RULES = "data/rules"
NP_RULES = "crates/noseyparker/data/default/builtin/rules"
NP_DEFAULT_RULESET = "crates/noseyparker/data/default/builtin/rulesets/default.yml"
GO_RULES = "cmd/generate/config/rules"


class Example:
    __slots__ = ("suite", "rule", "kind", "text", "core", "n", "name", "relpath")

    def __init__(self, suite, rule, kind, text, core=True, name=None):
        self.suite, self.rule, self.kind, self.text = suite, rule, kind, text
        self.core, self.name = core, name
        self.n = 0
        self.relpath = None


# --------------------------------------------------------------------------
# YAML suites


def yaml_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith((".yml", ".yaml")))


def load_kingfisher(root, stats):
    out = []
    d = os.path.join(root, KF_RULES)
    for f in yaml_files(d):
        with open(os.path.join(d, f), encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        for r in doc.get("rules") or []:
            core = r.get("visible", True) is not False
            for e in r.get("examples") or []:
                out.append(Example("kingfisher", r["id"], "pos", str(e), core))
            for e in r.get("negative_examples") or []:
                out.append(Example("kingfisher", r["id"], "neg", str(e), core))
    return out


def load_noseyparker(root, stats):
    out = []
    default = set()
    rs = os.path.join(root, NP_DEFAULT_RULESET)
    if os.path.exists(rs):
        with open(rs, encoding="utf-8") as fh:
            for s in (yaml.safe_load(fh) or {}).get("rulesets") or []:
                if s.get("id") == "default":
                    default.update(s.get("include_rule_ids") or [])
    d = os.path.join(root, NP_RULES)
    for f in yaml_files(d):
        with open(os.path.join(d, f), encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        for r in doc.get("rules") or []:
            core = r["id"] in default if default else True
            for e in r.get("examples") or []:
                out.append(Example("noseyparker", r["id"], "pos", str(e), core))
            for key in ("negative_examples", "non_examples"):
                for e in r.get(key) or []:
                    out.append(Example("noseyparker", r["id"], "neg", str(e), core))
    return out


# --------------------------------------------------------------------------
# Go suites: a tokenizer and an evaluator for the handful of forms the rule
# files use to write their test cases.

GO_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<lcom>//[^\n]*)
  | (?P<bcom>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<rune>'(?:[^'\\\n]|\\.)+')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>[0-9][0-9A-Za-z_.]*)
  | (?P<op>\.\.\.|:=|\+=|==|!=|<=|>=|&&|\|\||<-|[-+*/%&|^<>=!(){}\[\],;:.])
    """,
    re.S | re.X,
)

SIMPLE_ESC = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
              "\\": 92, "'": 39, '"': 34}


def go_unquote(tok):
    if tok[0] == "`":
        return tok[1:-1].replace("\r", "")
    s, out, i = tok[1:-1], bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1]
        if e in SIMPLE_ESC:
            out.append(SIMPLE_ESC[e])
            i += 2
        elif e == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif e in "uU":
            w = 4 if e == "u" else 8
            out += chr(int(s[i + 2:i + 2 + w], 16)).encode("utf-8")
            i += 2 + w
        elif e in "01234567":
            out.append(int(s[i + 1:i + 4], 8))
            i += 4
        else:
            raise ValueError("bad escape")
    return out.decode("utf-8", "surrogateescape")


def go_tokens(src):
    toks, pos = [], 0
    while pos < len(src):
        m = GO_TOKEN.match(src, pos)
        if not m:
            toks.append(("op", src[pos]))
            pos += 1
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "lcom"):
            continue
        if kind == "bcom":
            if "\n" in m.group():
                toks.append(("nl", "\n"))
            continue
        toks.append((kind, m.group()))
    return toks


class Gen:
    """A value the evaluator does not reproduce (a call's result)."""

    def __init__(self, what):
        self.what = what


class GoEval:
    def __init__(self, toks, env):
        self.t, self.i, self.env = toks, 0, env

    # token helpers
    def peek(self, skip_nl=True):
        j = self.i
        while skip_nl and j < len(self.t) and self.t[j][0] == "nl":
            j += 1
        return self.t[j] if j < len(self.t) else ("eof", "")

    def next(self, skip_nl=True):
        while skip_nl and self.i < len(self.t) and self.t[self.i][0] == "nl":
            self.i += 1
        tok = self.t[self.i] if self.i < len(self.t) else ("eof", "")
        self.i += 1
        return tok

    def expect(self, v):
        tok = self.next()
        if tok[1] != v:
            raise SyntaxError("expected %r, got %r" % (v, tok[1]))

    def skip_balanced(self):
        """Skips one bracketed group starting at the current token."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        depth = []
        while True:
            tok = self.next()
            if tok[0] == "eof":
                raise SyntaxError("unbalanced")
            if tok[1] in pairs:
                depth.append(pairs[tok[1]])
            elif depth and tok[1] == depth[-1]:
                depth.pop()
                if not depth:
                    return

    # expressions: a value is str, Gen, or list of (str|Gen, filename|None)
    def expr(self):
        v = self.unary()
        while self.peek(skip_nl=False)[1] == "+":
            self.next(skip_nl=False)
            w = self.unary()
            if isinstance(v, str) and isinstance(w, str):
                v = v + w
            else:
                v = Gen("concatenation with a generated part")
        return v

    def unary(self):
        tok = self.peek()
        if tok[1] in ("&", "*", "-", "!"):
            self.next()
            self.unary()
            return Gen("operator")
        return self.primary()

    def elements(self, closing, is_map):
        items = []
        while True:
            if self.peek()[1] == closing:
                self.next()
                return items
            key = None
            v = self.expr()
            if is_map and self.peek()[1] == ":":
                self.next()
                key = v
                v = self.expr()
            if isinstance(v, list):  # nested composite: flatten
                items.extend(v)
            else:
                items.append((v, key if isinstance(key, str) else None))
            if self.peek()[1] == ",":
                self.next()

    def composite(self):
        """`[]T{...}` or `map[K]V{...}` with the current token at `[`/`map`."""
        is_map = self.peek()[1] == "map"
        while self.peek()[1] != "{":
            tok = self.next()
            if tok[0] == "eof":
                raise SyntaxError("composite")
        self.expect("{")
        return self.elements("}", is_map)

    def args(self):
        self.expect("(")
        out = []
        while True:
            if self.peek()[1] == ")":
                self.next()
                return out
            v = self.expr()
            spread = False
            if self.peek()[1] == "...":
                self.next()
                spread = True
            out.append((v, spread))
            if self.peek()[1] == ",":
                self.next()

    def as_list(self, v):
        if isinstance(v, list):
            return v
        return [(v, None)]

    def primary(self):
        tok = self.peek()
        if tok[0] in ("str", "raw"):
            self.next()
            return go_unquote(tok[1])
        if tok[1] in ("[", "map"):
            return self.composite()
        if tok[1] == "(":
            self.next()
            v = self.expr()
            self.expect(")")
            return v
        if tok[1] == "func":
            self.next()
            self.skip_balanced()  # params
            while self.peek()[1] != "{":
                self.next()
            self.skip_balanced()  # body
            if self.peek(skip_nl=False)[1] == "(":
                self.skip_balanced()
            return Gen("func literal")
        if tok[0] in ("num", "rune"):
            self.next()
            return Gen("number")
        if tok[0] == "ident":
            self.next()
            name = tok[1]
            while self.peek(skip_nl=False)[1] == ".":
                self.next()
                name += "." + self.next()[1]
            if name == "append" and self.peek(skip_nl=False)[1] == "(":
                items = []
                for v, spread in self.args():
                    if isinstance(v, list):
                        items.extend(v)
                    elif isinstance(v, Gen) and spread:
                        items.append((v, None))
                    else:
                        items.append((v, None))
                return items
            if self.peek(skip_nl=False)[1] == "(":
                self.args()
                v = Gen(name.split(".")[-1])
            elif self.peek(skip_nl=False)[1] == "{":
                # a struct literal such as config.Rule{...}
                self.skip_balanced()
                v = Gen("struct")
            else:
                v = self.env.get(name, Gen("unknown " + name))
            while self.peek(skip_nl=False)[1] in ("[", "("):  # index / call
                self.skip_balanced()
                v = Gen("index")
            return v
        raise SyntaxError("unexpected %r" % (tok[1],))


# Tokens after which an identifier starts a statement (`(`: a var block).
STMT_PREV = {"\n", "{", ";", "}", "(", "var"}


def go_functions(toks):
    """Yields (name, body tokens) for top-level funcs, and the rest."""
    i, depth, top = 0, 0, []
    while i < len(toks):
        kind, v = toks[i]
        if depth == 0 and v == "func":
            name = toks[i + 1][1] if i + 1 < len(toks) else "?"
            j = i + 1
            while j < len(toks) and toks[j][1] != "{":
                j += 1
            start, d = j, 0
            while j < len(toks):
                if toks[j][1] == "{":
                    d += 1
                elif toks[j][1] == "}":
                    d -= 1
                    if d == 0:
                        break
                j += 1
            yield name, toks[start + 1:j]
            i = j + 1
            continue
        if v in ("{", "(", "["):
            depth += 1
        elif v in ("}", ")", "]"):
            depth -= 1
        top.append(toks[i])
        i += 1
    yield None, top


def go_assignments(toks, env):
    """Evaluates `name := expr`, `name = expr`, `var name [T] = expr` in order;
    returns the Validate calls seen:
    (RuleID, positives, negatives, with_paths, skip_report)."""
    calls = []
    rule_id = None
    skip_report = False
    i = 0
    while i < len(toks):
        kind, v = toks[i]
        prev = toks[i - 1] if i else ("nl", "\n")
        if v == "RuleID" and i + 2 < len(toks) and toks[i + 1][1] == ":" \
                and toks[i + 2][0] in ("str", "raw") and rule_id is None:
            # The rule's own id comes first; later RuleID: fields are
            # references (betterleaks' RequiredRules).
            rule_id = go_unquote(toks[i + 2][1])
        if v == "SkipReport" and i + 2 < len(toks) and toks[i + 1][1] == ":" \
                and toks[i + 2][1] == "true":
            skip_report = True  # betterleaks: a component of a composite rule
        if kind == "ident" and v in ("Validate", "ValidateWithPaths") \
                and prev[1] == "." and i + 1 < len(toks) and toks[i + 1][1] == "(":
            ev = GoEval(toks[i + 1:], env)
            try:
                args = ev.args()
                pos = ev.as_list(args[1][0]) if len(args) > 1 else []
                neg = ev.as_list(args[2][0]) if len(args) > 2 else []
                calls.append((rule_id, pos, neg, v == "ValidateWithPaths", skip_report))
            except (SyntaxError, IndexError, ValueError) as e:
                calls.append((rule_id, None, str(e), False, skip_report))
            rule_id = None
            skip_report = False
            i += ev.i
            continue
        if kind == "ident" and prev[1] in STMT_PREV and i + 1 < len(toks):
            j = i + 1
            if toks[j][1] in (":=", "="):
                j += 1
            elif prev[1] == "var":
                # var name T = expr
                while j < len(toks) and toks[j][1] not in ("=", "\n"):
                    j += 1
                if j >= len(toks) or toks[j][1] != "=":
                    i += 1
                    continue
                j += 1
            else:
                i += 1
                continue
            # Evaluate, but keep scanning inside the value: a struct literal
            # (r := config.Rule{RuleID: ...}) holds the RuleID.
            ev = GoEval(toks[j:], env)
            try:
                env[v] = ev.expr()
            except (SyntaxError, ValueError, IndexError):
                env[v] = Gen("unparsed")
        i += 1
    return calls


def load_go(root, suite, stats):
    d = os.path.join(root, GO_RULES)
    files = sorted(f for f in os.listdir(d) if f.endswith(".go") and not f.endswith("_test.go"))
    parsed = {}
    genv = {"nil": []}
    for f in files:
        with open(os.path.join(d, f), encoding="utf-8") as fh:
            toks = go_tokens(fh.read())
        funcs = list(go_functions(toks))
        parsed[f] = funcs
        for name, body in funcs:
            if name is None:
                go_assignments(body, genv)
    out = []
    for f in files:
        for name, body in parsed[f]:
            if name is None:
                continue
            env = dict(genv)
            for rule_id, pos, neg, with_paths, skip_report in go_assignments(body, env):
                rid = rule_id or name
                if pos is None:
                    stats["unparsed Validate calls"] += 1
                    continue
                for kind, items in (("pos", pos), ("neg", neg)):
                    for v, fname in items:
                        if isinstance(v, Gen):
                            stats["%s skipped: generated" % kind] += 1
                        elif with_paths and fname is not None and v == "":
                            stats["%s skipped: path-only" % kind] += 1
                        else:
                            out.append(Example(suite, rid, kind, v, not skip_report,
                                               os.path.basename(fname) if fname else None))
    return out


# --------------------------------------------------------------------------
# running keylint


def safe(s):
    return re.sub(r"[^A-Za-z0-9._-]", "_", s)[:120] or "_"


def write_tree(base, examples):
    counters = Counter()
    for ex in examples:
        key = (ex.suite, ex.rule)
        counters[key] += 1
        ex.n = counters[key]
        if ex.name:
            rel = os.path.join(ex.suite, safe(ex.rule), str(ex.n), safe(ex.name))
        else:
            rel = os.path.join(ex.suite, safe(ex.rule), "%d.txt" % ex.n)
        ex.relpath = rel.replace(os.sep, "/")
        p = os.path.join(base, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        text = ex.text if ex.text.endswith("\n") else ex.text + "\n"
        with open(p, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
            fh.write(text)


def norm(p):
    p = p.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def keylint_args(keylint, extra):
    return [keylint, "scan", "--no-git", "--no-config", "--no-ignore", "."] + extra


def run_scan(keylint, tree, rules_dir):
    extra = ["--rules-dir", rules_dir] if rules_dir else []
    out = os.path.join(tree, "..", os.path.basename(tree) + ".json")
    r = subprocess.run(keylint_args(keylint, extra) + ["--format", "json", "-o", out, "-q"],
                       cwd=tree)
    if r.returncode not in (0, 1):
        sys.exit("keylint exited %d on %s" % (r.returncode, tree))
    with open(out, encoding="utf-8") as fh:
        report = json.load(fh)
    hits = defaultdict(set)
    for f in report.get("findings", []):
        hits[norm(f["path"])].add(f.get("rule_id") or f.get("rule"))
    return hits


def run_explain(keylint, tree, rules_dir):
    extra = ["--rules-dir", rules_dir] if rules_dir else []
    r = subprocess.run(keylint_args(keylint, extra) + ["--explain", "--format", "json",
                                                        "--no-summary", "--exit-zero"],
                       cwd=tree, stdout=subprocess.PIPE)
    why = defaultdict(set)
    try:
        for c in json.loads(r.stdout.decode("utf-8", "replace") or "[]"):
            if c.get("outcome") != "reported":
                why[norm(c["path"])].add("%s: %s" % (c.get("rule_id"), c.get("reason", c.get("outcome"))))
    except ValueError:
        pass
    return why


def generic_rules(keylint, rules_dir):
    cmd = [keylint, "rules", "--format", "json"] + (["--dir", rules_dir] if rules_dir else [])
    try:
        data = json.loads(subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout)
    except (subprocess.CalledProcessError, ValueError):
        return set()
    if isinstance(data, dict):
        data = data.get("rules", [])
    return {r.get("id") for r in data if "generic" in (r.get("tags") or [])}


def clip(s, n=200):
    s = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return s if len(s) <= n else s[:n] + "…"


def pct(a, b):
    return "%5.1f%%" % (100.0 * a / b) if b else "    -"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("keylint")
    ap.add_argument("--kingfisher")
    ap.add_argument("--noseyparker")
    ap.add_argument("--gitleaks")
    ap.add_argument("--betterleaks")
    ap.add_argument("--misses", help="write missed positives and flagged negatives here")
    ap.add_argument("--keep", help="write the example trees here and keep them")
    ap.add_argument("--rules-dir", help="pass --rules-dir DIR to keylint (rule development)")
    a = ap.parse_args()
    keylint = os.path.abspath(a.keylint) if os.sep in a.keylint else a.keylint

    stats = defaultdict(Counter)
    examples = []
    loaders = [("kingfisher", a.kingfisher, load_kingfisher),
               ("noseyparker", a.noseyparker, load_noseyparker),
               ("gitleaks", a.gitleaks, lambda r, s: load_go(r, "gitleaks", s)),
               ("betterleaks", a.betterleaks, lambda r, s: load_go(r, "betterleaks", s))]
    suites = []
    for suite, root, load in loaders:
        if root:
            suites.append(suite)
            examples.extend(load(root, stats[suite]))
    if not suites:
        ap.error("give at least one peer checkout")

    # A peer's negative is a per-rule test ("rule R must not match this"),
    # and some are another of the same peer's rules' positives (gitleaks'
    # Cloudflare fps are its other Cloudflare keys). Those are secrets: they
    # are kept out of the negative figures and counted on their own.
    pos_texts = {(e.suite, e.text) for e in examples if e.kind == "pos"}
    kept = []
    for e in examples:
        if e.kind == "neg" and (e.suite, e.text) in pos_texts:
            stats[e.suite]["neg dropped: also a positive of another rule"] += 1
        else:
            kept.append(e)
    examples = kept

    if a.keep:
        tmp = os.path.abspath(a.keep)
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
        os.makedirs(tmp)
    else:
        tmp = tempfile.mkdtemp(prefix="keylint-peer-")
    try:
        trees = {}
        for kind in ("pos", "neg"):
            tree = os.path.join(tmp, kind)
            os.makedirs(tree)
            exs = [e for e in examples if e.kind == kind]
            write_tree(tree, exs)
            hits = run_scan(keylint, tree, a.rules_dir) if exs else {}
            why = run_explain(keylint, tree, a.rules_dir) if (a.misses and exs and kind == "pos") else {}
            trees[kind] = (exs, hits, why)
        generic = generic_rules(keylint, a.rules_dir)

        print("keylint peer-examples bench (a positive is found, a negative flagged, "
              "when keylint reports anything in its file)")
        print("%-12s %-5s %20s %9s %22s" % ("suite", "set", "positives found", "generic-only",
                                            "negatives flagged"))
        for suite in suites:
            for core, label in ((True, "core"), (False, "aux")):
                row = []
                gen_only = 0
                for kind in ("pos", "neg"):
                    exs, hits, _ = trees[kind]
                    sel = [e for e in exs if e.suite == suite and e.core == core]
                    hit = [e for e in sel if e.relpath in hits]
                    if kind == "pos":
                        gen_only = sum(1 for e in hit if hits[e.relpath] <= generic) if generic else 0
                    row.append((len(hit), len(sel)))
                if label == "aux" and row[0][1] == 0 and row[1][1] == 0:
                    continue
                (pf, pt), (nf, nt) = row
                print("%-12s %-5s %7d / %-5d %s %9d %8d / %-4d %s" % (
                    suite, label, pf, pt, pct(pf, pt), gen_only, nf, nt, pct(nf, nt)))
            for k, v in sorted(stats[suite].items()):
                print("%-12s   (%s: %d)" % ("", k, v))
        print("core: Kingfisher rules without `visible: false`, Nosey Parker's default "
              "ruleset, gitleaks/betterleaks rules without SkipReport; aux: the peers' non-secret "
              "helper rules.")
        print("generic-only: found only by keylint rules tagged `generic`.")

        if a.misses:
            lines = []
            exs, hits, why = trees["pos"]
            for e in exs:
                if e.relpath not in hits:
                    lines.append((e.suite, "MISS", e.rule, e.n, "\t".join([
                        e.suite, "MISS" if e.core else "MISS-aux", e.rule, str(e.n),
                        clip(e.text), "; ".join(sorted(why.get(e.relpath, ()))) or "no candidate"])))
            exs, hits, _ = trees["neg"]
            for e in exs:
                if e.relpath in hits:
                    lines.append((e.suite, "FLAG", e.rule, e.n, "\t".join([
                        e.suite, "FLAG" if e.core else "FLAG-aux", e.rule, str(e.n),
                        clip(e.text), ",".join(sorted(hits[e.relpath]))])))
            lines.sort(key=lambda x: (x[1], x[0], x[2], x[3]))
            with open(a.misses, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write("# suite\tkind\tpeer-rule\tn\texample (first 200 chars)\t"
                         "MISS: keylint's drop reasons (--explain) | FLAG: keylint rules\n")
                for x in lines:
                    fh.write(x[4] + "\n")
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
