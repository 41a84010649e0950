#!/usr/bin/env python3
"""Writes the most common trigrams of a source tree, most common first, in
the format of src/rules/trigrams.txt: the keyword prefilter anchors each
keyword at its rarest trigram, and this list is what "rare" means.

    scripts/common-trigrams.py ~/.cargo/registry/src 4096 > src/rules/trigrams.txt

Text is lowercased the way the prefilter folds it (bit 5 set), and only
trigrams of printable ASCII are kept. Files are read in sorted order, up to
64 MB, so the list is reproducible from the same tree. Use any large tree
of mixed source code, not a benchmark's tree.
"""
import collections
import os
import sys

root, top = sys.argv[1], int(sys.argv[2])
budget = 64 << 20
counts = collections.Counter()
for dirpath, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(files):
        if budget <= 0:
            break
        try:
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        budget -= len(data)
        folded = bytes(b | 0x20 for b in data)
        counts.update(folded[i : i + 3] for i in range(len(folded) - 2))
kept = [g for g, _ in counts.most_common() if all(0x20 <= b < 0x7F for b in g)]
print("# The most common trigrams of source code, most common first, one per")
print("# line between bars (made by scripts/common-trigrams.py; see there).")
for g in kept[:top]:
    print("|" + g.decode() + "|")
