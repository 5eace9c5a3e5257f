#!/usr/bin/env python3
"""Writes variant K of the ten files W1's (c) edit touches, so every measured round of
"10 files changed" stores new content.  Paths come from `w1.py modpaths` (same scale knobs).

  variant.py W1_PY REPO K
K = 0 restores W1's original content; other K give fresh content (rm + write, like w1.py mod).
"""
import os
import random
import subprocess
import sys

w1_py, repo, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = int(os.environ.get("W1_SMALL_KIB", "16")) * 1024
paths = subprocess.run([sys.executable, w1_py, "modpaths"], check=True, capture_output=True, text=True).stdout.split()
for p in paths:
    i = int(os.path.basename(p)[1:-4])
    seed = "w1-small-%d" % i if k == 0 else "bench-variant-%d-%d" % (k, i)
    full = os.path.join(repo, p)
    os.unlink(full)
    with open(full, "wb") as f:
        f.write(random.Random(seed).randbytes(size))
