#!/usr/bin/env python3
"""The check around a timed checkout when a full verify is too slow (the 1M row): the work tree
DIR holds exactly MANIFEST's paths (names listed, not read), and every path whose content differs
between MANIFEST and OTHER (what a checkout between the two commits rewrites) has MANIFEST's bytes.

  verify-quick.py DIR MANIFEST OTHER_MANIFEST        exit 1 on any difference
"""
import hashlib
import os
import sys


def load(path):
    man = {}
    with open(path) as f:
        for line in f:
            h, p = line.rstrip("\n").split("  ", 1)
            man[p] = h
    return man


def main():
    root, man_path, other_path = sys.argv[1:4]
    want, other = load(man_path), load(other_path)
    have = set()
    for dirpath, _dirs, files in os.walk(os.path.join(root, "data")):
        rel = os.path.relpath(dirpath, root)
        for n in files:
            have.add(os.path.join(rel, n))
    bad = ["%s: missing" % p for p in sorted(set(want) - have)]
    bad += ["%s: unexpected file" % p for p in sorted(have - set(want))]
    differ = sorted(p for p in want if other.get(p) != want[p])
    for p in differ:
        try:
            with open(os.path.join(root, p), "rb") as f:
                h = hashlib.sha256(f.read()).hexdigest()
        except OSError as e:
            bad.append("%s: %s" % (p, e.strerror))
            continue
        if h != want[p]:
            bad.append("%s: content differs" % p)
    if bad:
        print("VERIFY-QUICK FAILED (%d problems), first: %s" % (len(bad), "; ".join(bad[:5])))
        return 1
    print("verify-quick ok: %d files listed, %d hashed" % (len(want), len(differ)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
