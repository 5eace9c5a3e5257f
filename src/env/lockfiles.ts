/**
 * Hashes of the dependency lockfiles at the work-tree root. A lockfile pins what an install
 * produces, so its hash is the cheapest strong signal that the software environment changed.
 *
 * Line endings are normalised (CRLF → LF) before hashing: the same commit checked out with
 * core.autocrlf on Windows must not look like a dependency change. For an LF file the hash is
 * the plain `sha256sum`.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';

/** Exact root-level names hashed (requirements*.txt is matched by pattern). */
export const LOCKFILE_NAMES = [
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml',
  'uv.lock', 'poetry.lock', 'Pipfile.lock', 'environment.yml', 'environment.yaml', 'conda-lock.yml',
  'renv.lock', 'Cargo.lock',
];
/** requirements.txt, requirements-dev.txt, requirements_gpu.txt, ... */
const REQUIREMENTS_RE = /^requirements[A-Za-z0-9._-]*\.txt$/;
/** A "lockfile" above this size is not one; skip it rather than blow the time budget. */
const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

/** True for the root-level file names this module hashes. */
export function isLockfileName(name: string): boolean {
  return LOCKFILE_NAMES.includes(name) || REQUIREMENTS_RE.test(name);
}

/** sha256 of a lockfile's text with CRLF normalised to LF. */
export function hashLockfileContent(content: Buffer): string {
  const text = content.includes(13) ? Buffer.from(content.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : content;
  return createHash('sha256').update(text).digest('hex');
}

/** name → sha256 for each lockfile found directly in `root` (sorted by name; {} if none or unreadable). */
export async function hashLockfiles(root: string, errors?: Record<string, string>): Promise<Record<string, string>> {
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return {};
  }
  const realRoot = await realpath(root).catch(() => root);
  // A symlinked lockfile is followed only while it stays inside the work tree (monorepos link
  // them): one that leads out of it (a committed link to ~/.ssh/id_rsa, say) is never read,
  // and recorded as an error instead. Directories are not lockfiles.
  const names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && isLockfileName(e.name)).map((e) => e.name).sort();
  const hashes = await Promise.all(
    names.map(async (name): Promise<string | undefined> => {
      try {
        const target = await realpath(path.join(root, name));
        if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
          if (errors) errors[name] = 'a symbolic link leading out of the work tree: not read';
          return undefined;
        }
        const content = await readFile(target);
        return content.length > MAX_LOCKFILE_BYTES ? undefined : hashLockfileContent(content);
      } catch {
        return undefined; // dangling link, permission: not a lockfile we can vouch for
      }
    }),
  );
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    const h = hashes[i];
    if (h !== undefined) out[name] = h;
  });
  return out;
}
