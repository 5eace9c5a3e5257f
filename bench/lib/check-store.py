#!/usr/bin/env python3
"""Byte-exact check of a pushed store (untimed, after a transfer): every object MANIFEST's files
need is at OBJECTS/aa/bb/<sha256> (gitrepro's store and git-lfs's lfs/objects share this layout),
is a regular file, and hashes to its name. Reports how many files the store holds and how many are
hard links (a push on the same filesystem links instead of copying).

  check-store.py OBJECTS_DIR MANIFEST            exit 1 on a missing or damaged object
"""
import hashlib
import os
import stat
import sys


def main():
    objects, manifest = sys.argv[1:3]
    want = set()
    with open(manifest) as f:
        for line in f:
            want.add(line.split("  ", 1)[0])
    bad = []
    for h in sorted(want):
        p = os.path.join(objects, h[:2], h[2:4], h)
        try:
            st = os.lstat(p)
            if not stat.S_ISREG(st.st_mode):
                bad.append("%s: not a regular file" % h)
                continue
            with open(p, "rb") as f:
                d = hashlib.sha256()
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    d.update(b)
            if d.hexdigest() != h:
                bad.append("%s: content differs" % h)
        except OSError as e:
            bad.append("%s: %s" % (h, e.strerror))
    files = linked = 0
    for dirpath, _dirs, names in os.walk(objects):
        for n in names:
            files += 1
            if os.lstat(os.path.join(dirpath, n)).st_nlink > 1:
                linked += 1
    if bad:
        print("STORE CHECK FAILED (%d problems of %d objects), first: %s" % (len(bad), len(want), "; ".join(bad[:5])))
        return 1
    print("store ok: %d objects byte-exact; %d files in the store, %d hard-linked" % (len(want), files, linked))
    return 0


if __name__ == "__main__":
    sys.exit(main())
