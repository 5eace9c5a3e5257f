#!/usr/bin/env python3
"""Byte-exact check of a pushed store (untimed, after a transfer): every object MANIFEST's files
need is at OBJECTS/aa/bb/<sha256> (format v1: gitrepro's loose layout, which git-lfs's lfs/objects
shares), is a regular file, and hashes to its name. Reports how many files the store holds and how
many are hard links (a push on the same filesystem links instead of copying).

A gitrepro store remote in format v2 (OBJECTS/../index exists: packs and pack indexes, docs/spec.md
"Store remote formats") is read with this file's own decoder, independent of gitrepro's: every
wanted object must be named by an index, and the bytes the index points at (a blob of its pack, or
the chunks its chunk list names) must hash to the object's name.

  check-store.py OBJECTS_DIR MANIFEST            exit 1 on a missing or damaged object
"""
import hashlib
import os
import stat
import struct
import sys

IDX_MAGIC = b"gitrepro.idx/v2\n"
CHUNKS_MAGIC = b"gitrepro.chunks/v2\n"


def read_indexes(root):
    """{object id: ("blob", pack, offset, length) | ("chunked", size, list id)} from index/*.idx."""
    where = {}
    idir = os.path.join(root, "index")
    for n in sorted(os.listdir(idir)):
        with open(os.path.join(idir, n), "rb") as f:
            b = f.read()
        if hashlib.sha256(b).hexdigest() + ".idx" != n or not b.startswith(IDX_MAGIC):
            raise SystemExit("STORE CHECK FAILED: index %s is damaged" % n)
        at = len(IDX_MAGIC)
        pack = b[at:at + 32].hex()
        nb, nc = struct.unpack(">II", b[at + 40:at + 48])
        at += 48
        for _ in range(nb):
            oid = b[at:at + 32].hex()
            off, ln = struct.unpack(">QQ", b[at + 32:at + 48])
            where[oid] = ("blob", pack, off, ln)
            at += 48
        for _ in range(nc):
            oid = b[at:at + 32].hex()
            (size,) = struct.unpack(">Q", b[at + 32:at + 40])
            where[oid] = ("chunked", size, b[at + 40:at + 72].hex())
            at += 72
    return where


def blob_bytes(root, where, oid):
    kind, pack, off, ln = where[oid]
    with open(os.path.join(root, "packs", pack + ".pack"), "rb") as f:
        f.seek(off)
        return f.read(ln)


def hash_v2(root, where, oid):
    e = where.get(oid)
    if e is None:
        return None
    if e[0] == "blob":
        return hashlib.sha256(blob_bytes(root, where, oid)).hexdigest()
    lst = blob_bytes(root, where, e[2])
    if not lst.startswith(CHUNKS_MAGIC):
        return "bad chunk list"
    at = len(CHUNKS_MAGIC)
    _size, count = struct.unpack(">QI", lst[at:at + 12])
    at += 12
    d = hashlib.sha256()
    for _ in range(count):
        cid = lst[at:at + 32].hex()
        at += 36
        c = blob_bytes(root, where, cid) if cid in where else b""
        if hashlib.sha256(c).hexdigest() != cid:
            return "bad chunk %s" % cid
        d.update(c)
    return d.hexdigest()


def check_v2(root, want):
    where = read_indexes(root)
    bad = []
    for h in sorted(want):
        got = hash_v2(root, where, h)
        if got is None:
            bad.append("%s: in no pack index" % h)
        elif got != h:
            bad.append("%s: content differs (%s)" % (h, got[:16]))
    packs = len(os.listdir(os.path.join(root, "packs"))) if os.path.isdir(os.path.join(root, "packs")) else 0
    linked = sum(1 for d in ("packs", "index") if os.path.isdir(os.path.join(root, d))
                 for n in os.listdir(os.path.join(root, d)) if os.lstat(os.path.join(root, d, n)).st_nlink > 1)
    if bad:
        print("STORE CHECK FAILED (%d problems of %d objects), first: %s" % (len(bad), len(want), "; ".join(bad[:5])))
        return 1
    print("store ok (format v2): %d objects byte-exact in %d packs, %d indexes; %d files hard-linked"
          % (len(want), packs, len(os.listdir(os.path.join(root, "index"))), linked))
    return 0


def main():
    objects, manifest = sys.argv[1:3]
    want = set()
    with open(manifest) as f:
        for line in f:
            want.add(line.split("  ", 1)[0])
    root = os.path.dirname(os.path.normpath(objects))
    if os.path.isdir(os.path.join(root, "index")):
        return check_v2(root, want)
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
