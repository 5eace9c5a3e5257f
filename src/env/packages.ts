/**
 * Installed package lists (opt-in): `python -m pip freeze --all` and, inside a conda env,
 * `conda list --export`. They cost 0.5–5 s, far over the snapshot budget, so they are cached in
 * `cacheDir` under a key made of the lockfile hashes, the python version and the active env.
 * The bet (DESIGN §6) is that the environment changes when a lockfile does; a bare `pip install`
 * that no lockfile records is seen only after the cache key changes.
 * With no lockfile at all there is nothing to key on, so the lists are collected every time.
 * Lines are redacted before they are cached: secrets never reach the disk either.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packagesSchema, type EnvSnapshot, type PackageLists } from '../record/env.js';
import { scrubText } from '../secrets.js';
import type { Runner } from './probe.js';

export interface PackageOptions {
  env: NodeJS.ProcessEnv;
  run: Runner;
  lockfiles: Record<string, string>;
  runtimes: EnvSnapshot['runtimes'];
  cacheDir?: string;
  timeoutMs: number;
}

/** Cache key: changes when a lockfile, the interpreter or the active env changes. */
export function packagesCacheKey(o: Pick<PackageOptions, 'env' | 'lockfiles' | 'runtimes'>): string {
  const basis = { v: 1, lockfiles: o.lockfiles, python: o.runtimes.python3 ?? o.runtimes.python ?? null, venv: o.env.VIRTUAL_ENV ?? null, conda: o.env.CONDA_PREFIX ?? null };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 32);
}

function lines(out: string): string[] {
  return out.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map(scrubText);
}

async function listNow(o: PackageOptions): Promise<PackageLists> {
  const python = o.runtimes.python3 !== undefined ? 'python3' : o.runtimes.python !== undefined ? 'python' : undefined;
  const [pip, conda] = await Promise.all([
    // -I: isolated (no current directory, user site or PYTHON* variables on the import path): a
    // pip.py or sitecustomize.py of the repository is never imported
    python ? o.run(python, ['-I', '-m', 'pip', 'freeze', '--all', '--disable-pip-version-check'], { timeoutMs: o.timeoutMs, maxBytes: 16 << 20 }) : undefined,
    // conda is only asked inside an activated env: starting it costs about a second.
    o.env.CONDA_PREFIX ? o.run('conda', ['list', '--export'], { timeoutMs: o.timeoutMs, maxBytes: 16 << 20 }) : undefined,
  ]);
  const lists: PackageLists = {};
  if (pip) lists.pip = lines(pip.stdout);
  if (conda) lists.conda = lines(conda.stdout);
  return lists;
}

/** Package lists, from the cache when the key matches; undefined when no tool answered. */
export async function collectPackages(o: PackageOptions): Promise<PackageLists | undefined> {
  const cacheable = o.cacheDir !== undefined && Object.keys(o.lockfiles).length > 0;
  const file = cacheable ? path.join(o.cacheDir as string, `packages-${packagesCacheKey(o)}.json`) : undefined;
  if (file) {
    // The cache is local and disposable: anything unreadable or malformed is a miss.
    const cached = await readFile(file, 'utf8')
      .then((t) => packagesSchema.safeParse(JSON.parse(t)))
      .catch(() => undefined);
    if (cached?.success) return cached.data;
  }
  const lists = await listNow(o);
  if (lists.pip === undefined && lists.conda === undefined) return undefined;
  if (file) {
    // temp file + rename: a concurrent reader sees the old entry or the whole new one.
    const tmp = `${file}.${process.pid}.tmp`;
    await mkdir(path.dirname(file), { recursive: true })
      .then(() => writeFile(tmp, JSON.stringify(lists)))
      .then(() => rename(tmp, file))
      .catch(() => undefined);
  }
  return lists;
}
