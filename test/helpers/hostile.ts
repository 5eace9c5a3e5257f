/**
 * What a collaborator turned hostile does with plumbing (STYLE §15: each defence is tested as
 * the attack): forge a gitrepro.lock whose snapshot says what they want, plant bytes in a shared
 * directory store, push it all so that a victim's ordinary `git pull` brings it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sandboxOf } from './remote.js';
import type { TestRepo } from './repo.js';

export interface Entry {
  sha256: string;
  size: number;
  exec?: boolean;
}

export function pointer(e: Entry): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${e.sha256}\nsize ${e.size}\n`;
}

/** Writes `content` as an object of a directory store remote (as anyone who can write the share can). */
export function plantObject(store: string, content: Buffer | string): Entry {
  const bytes = Buffer.from(content);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const dir = path.join(store, 'objects', sha256.slice(0, 2), sha256.slice(2, 4));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, sha256), bytes);
  chmodSync(path.join(dir, sha256), 0o444);
  return { sha256, size: bytes.length };
}

/**
 * Commits a gitrepro.lock whose snapshot is HEAD's with `entries` added (or, with `only`, just
 * `entries`), anchored on refs/gitrepro/snapshots so that it is pushed and fetched like any
 * snapshot, with hooks skipped and a record written by hand (`gitrepro record`): a lock made
 * without gitrepro's hooks that still looks valid.
 */
export function forgeLock(r: TestRepo, entries: Record<string, Entry>, opts: { message?: string; only?: boolean } = {}): string {
  const index = path.join(sandboxOf(r), `forge-index-${Date.now()}`);
  const env = { GIT_INDEX_FILE: index };
  const head = r.git(['show', 'HEAD:gitrepro.lock'], { ok: [0, 128] });
  const base = /^tree ([0-9a-f]+)$/m.exec(head.stdout)?.[1];
  if (base && !opts.only) r.git(['read-tree', base], { env });
  else r.git(['read-tree', '--empty'], { env });
  for (const [p, e] of Object.entries(entries)) {
    const blob = r.git(['hash-object', '-w', '--stdin'], { input: pointer(e) }).stdout.trim();
    r.git(['update-index', '--add', '--cacheinfo', `${e.exec ? '100755' : '100644'},${blob},${p}`], { env });
  }
  const tree = r.git(['write-tree'], { env }).stdout.trim();
  const parent = r.git(['rev-parse', '-q', '--verify', 'refs/gitrepro/snapshots'], { ok: [0, 1] }).stdout.trim();
  const commit = r.git(['commit-tree', tree, ...(parent ? ['-p', parent] : [])], { input: 'forged\n' }).stdout.trim();
  r.git(['update-ref', 'refs/gitrepro/snapshots', commit]);
  let files = 0;
  let bytes = 0;
  for (const line of r.git(['ls-tree', '-r', tree]).stdout.split('\n').filter(Boolean)) {
    const oid = line.split(/\s+/)[2]!;
    const size = Number(/size (\d+)/.exec(r.git(['cat-file', 'blob', oid]).stdout)?.[1]);
    files++;
    bytes += size;
  }
  r.write('gitrepro.lock', `gitrepro.lock/v1\nbytes ${bytes}\nfiles ${files}\ntree ${tree}\n`);
  r.git(['add', 'gitrepro.lock']);
  r.git(['commit', '-q', '-m', opts.message ?? 'update data'], { env: { GITREPRO_SKIP: '1' } });
  r.gr(['record', 'HEAD']);
  return tree;
}

/** Pushes the branch and the record refs (as the pre-push hook would), skipping gitrepro's gate. */
export function pushRaw(r: TestRepo, branch = 'main'): void {
  r.git(['push', '-q', 'origin', branch, '+refs/notes/gitrepro:refs/notes/gitrepro', '+refs/gitrepro/snapshots:refs/gitrepro/snapshots'], { env: { GITREPRO_SKIP: '1' } });
}
