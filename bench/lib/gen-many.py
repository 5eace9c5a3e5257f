#!/usr/bin/env python3
"""Many small files, W2's shape at any count: the 1M row of the W2 benchmark (bench/w2.mjs).

Default: 1,000,000 files of 1 KiB in data/dNNN/fNNN (1,000 directories d000..d999 of 1,000
files f000..f999) = 1,024,000,000 bytes (976.6 MiB of content; every file takes one 4 KiB block
on ext4, so ~3.9 GiB of disk and 1,001,001 inodes per copy).  w2.py caps at 100 files a directory
(names fNN); this generator has the same commands and the same rules, so the harness drives both
alike:

  gen-many.py gen DEST              write DEST/data/... and DEST/manifest.m0..mR
  gen-many.py mod REPO ROUND        the (c) edit, round ROUND >= 1: replace the same 10 files
                                    (rm + write) with round-specific content
  gen-many.py verify DIR MANIFEST   hash every file under DIR/data (following symlinks) and
                                    compare with MANIFEST; exit 1 on any difference, missing or
                                    extra file
  gen-many.py modpaths              the 10 paths that `mod` replaces

File i's bytes are SHAKE-256 of "many-<i>" (round R of `mod`: "many-mod<R>-<i>"), as long as the
file: deterministic, incompressible, and fast enough to write a million files in about a minute.
manifest.m0 is the generated tree (c1); manifest.mR the tree after `mod ROUND` (the last round
wins, every round rewrites the same 10 paths).

Knobs (defaults are the 1M row): MANY_DIRS (1000), MANY_PER_DIR (1000, at most 1000), MANY_KIB
(1), MANY_MOD_ROUNDS (manifests written, default 1).
"""
import hashlib
import os
import sys

DIRS = int(os.environ.get("MANY_DIRS", "1000"))
PER_DIR = int(os.environ.get("MANY_PER_DIR", "1000"))
SIZE = int(os.environ.get("MANY_KIB", "1")) * 1024
MOD_ROUNDS = int(os.environ.get("MANY_MOD_ROUNDS", "1"))
N = DIRS * PER_DIR
assert 1 <= PER_DIR <= 1000 and 1 <= DIRS <= 1000
# 10 files spread over the tree, as in w2.py: d000/f000, d100/f001, ..., d900/f009 at full size
MOD_IDX = sorted({(k * DIRS // 10) * PER_DIR + (k % PER_DIR) for k in range(10)})


def path_of(i):
    return os.path.join("data", "d%03d" % (i // PER_DIR), "f%03d" % (i % PER_DIR))


def file_bytes(i, tag="many"):
    return hashlib.shake_256(b"%s-%d" % (tag.encode(), i)).digest(SIZE)


def mod_tag(rnd):
    return "many-mod%d" % rnd


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def write_manifest(path, man):
    with open(path, "w") as f:
        for p in sorted(man):
            f.write("%s  %s\n" % (man[p], p))


def gen(dest):
    man = {}
    for d in range(DIRS):
        os.makedirs(os.path.join(dest, "data", "d%03d" % d), exist_ok=True)
    for i in range(N):
        p = path_of(i)
        b = file_bytes(i)
        with open(os.path.join(dest, p), "wb") as f:
            f.write(b)
        man[p] = hashlib.sha256(b).hexdigest()
    write_manifest(os.path.join(dest, "manifest.m0"), man)
    for r in range(1, MOD_ROUNDS + 1):
        for i in MOD_IDX:
            man[path_of(i)] = hashlib.sha256(file_bytes(i, mod_tag(r))).hexdigest()
        write_manifest(os.path.join(dest, "manifest.m%d" % r), man)
    total = N * SIZE
    print("many: %d files in %d dirs, %d bytes (%.2f MiB); manifests m0..m%d"
          % (N, DIRS, total, total / 2**20, MOD_ROUNDS))


def mod(repo, rnd):
    for i in MOD_IDX:
        full = os.path.join(repo, path_of(i))
        os.unlink(full)
        with open(full, "wb") as f:
            f.write(file_bytes(i, mod_tag(rnd)))


def verify(root, manifest):
    want = {}
    with open(manifest) as f:
        for line in f:
            h, p = line.rstrip("\n").split("  ", 1)
            want[p] = h
    have = set()
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "data")):
        for n in filenames:
            have.add(os.path.relpath(os.path.join(dirpath, n), root))
    bad = []
    for p in sorted(want):
        try:
            h = sha256_file(os.path.join(root, p))
        except OSError as e:
            bad.append("%s: %s" % (p, e.strerror))
            continue
        if h != want[p]:
            bad.append("%s: content differs" % p)
    bad += ["%s: unexpected file" % p for p in sorted(have - set(want))]
    if bad:
        print("VERIFY FAILED (%d problems), first: %s" % (len(bad), "; ".join(bad[:5])))
        return 1
    print("verify ok: %d files" % len(want))
    return 0


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "gen":
        gen(sys.argv[2])
    elif cmd == "mod":
        rnd = int(sys.argv[3])
        if not 1 <= rnd:
            sys.exit("round must be >= 1")
        mod(sys.argv[2], rnd)
    elif cmd == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    elif cmd == "modpaths":
        print("\n".join(path_of(i) for i in MOD_IDX))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
