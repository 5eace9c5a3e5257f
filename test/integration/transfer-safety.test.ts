/**
 * Issue 3, behaviour 4: transfers are safe. A push or fetch killed mid-transfer (SIGKILL, no
 * cleanup) leaves no partial object anywhere, and rerunning it completes the job; a damaged
 * object on the remote never enters the local store. The directory remote lives on /dev/shm
 * (another filesystem than the repo's), so objects are copied, not linked.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cloneOf, dirRemoteObjects, killAfterBytes, manifestShas, project } from '../helpers/remote.js';
import { sha256 } from '../helpers/repo.js';

const SHM = existsSync('/dev/shm') ? '/dev/shm' : undefined;
// stores on /dev/shm live in memory: removed when the file is done
const shmDirs: string[] = [];
const shmStore = (): string => {
  const d = mkdtempSync(path.join(SHM!, 'gr-store-'));
  shmDirs.push(d);
  return path.join(d, 'store');
};
afterAll(() => {
  for (const d of shmDirs) rmSync(d, { recursive: true, force: true });
});

/** Every file under the local store's objects/: named by its content's sha256. */
function storeIntact(gitDir: string): { count: number; bad: string[] } {
  const root = path.join(gitDir, 'gitrepro', 'objects');
  let count = 0;
  const bad: string[] = [];
  for (const a of existsSync(root) ? readdirSync(root) : []) {
    for (const b of readdirSync(path.join(root, a))) {
      for (const name of readdirSync(path.join(root, a, b))) {
        count++;
        const bytes = readFileSync(path.join(root, a, b, name));
        if (sha256(bytes) !== name) bad.push(name);
      }
    }
  }
  return { count, bad };
}

describe.skipIf(!SHM)('interrupted transfers', () => {
  it('a push killed mid-upload leaves no partial object on the remote; pushing again completes it', () => {
    const { r, store } = project({ storeDir: shmStore(), format: 1 });
    for (let i = 0; i < 6; i++) r.write(`data/f${i}.bin`, randomBytes(3 << 20));
    r.commit('six files');
    // the pool runs 2 transfers at a time; die after 7 MiB: one object is half copied
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml').toString()}policy:\n  jobs: 2\n`);
    const killed = r.gr(['push'], { ok: [128], env: killAfterBytes(7 << 20) });
    expect(killed.code).not.toBe(0);
    const after = dirRemoteObjects(store);
    expect(after.size).toBeLessThan(6);
    expect([...after.values()].every(Boolean)).toBe(true); // whatever is there is whole
    expect(readdirSync(path.join(store, 'tmp')).length).toBeGreaterThan(0); // the partial copy stayed in tmp/
    const again = r.gr(['push']);
    expect(again.stdout).toMatch(new RegExp(`${6 - after.size} object\\(s\\) uploaded`));
    const done = dirRemoteObjects(store);
    expect([...done.keys()].sort()).toEqual([...manifestShas(r.manifest())].sort());
    expect([...done.values()].every(Boolean)).toBe(true);
  });

  it('a fetch killed mid-download leaves no partial object in the store; fetching again completes it', () => {
    const { r, bare } = project({ storeDir: shmStore(), format: 1 });
    for (let i = 0; i < 4; i++) r.write(`data/f${i}.bin`, randomBytes(3 << 20));
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml').toString()}policy:\n  jobs: 2\n`);
    r.commit('four files');
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone', { install: false });
    const killed = c.gr(['install'], { ok: [128], env: killAfterBytes(5 << 20) });
    expect(killed.code).not.toBe(0);
    const mid = storeIntact(c.gitDir());
    expect(mid.bad).toEqual([]);
    expect(mid.count).toBeLessThan(4);
    c.gr(['pull']);
    expect(storeIntact(c.gitDir())).toEqual({ count: 4, bad: [] });
    expect(c.manifest()).toEqual(r.manifest());
  });

  it('a damaged object on the remote is refused (sha256 checked before it enters the store)', () => {
    const { r, bare, store } = project({ storeDir: shmStore(), format: 1 });
    r.write('data/good.txt', 'good\n');
    r.write('data/victim.bin', Buffer.alloc(10_000, 1));
    r.commit('two');
    r.git(['push', '-q', 'origin', 'main']);
    const victim = sha256(Buffer.alloc(10_000, 1));
    const file = path.join(store, 'objects', victim.slice(0, 2), victim.slice(2, 4), victim);
    chmodSync(file, 0o644);
    writeFileSync(file, Buffer.alloc(10_000, 2)); // same size, other bytes
    const c = cloneOf(r, bare, 'clone', { install: false });
    const res = c.gr(['install'], { ok: [1] });
    expect(res.stderr).toMatch(new RegExp(`the copy of ${victim.slice(0, 12)} on store remote "store" is corrupt`));
    expect(existsSync(c.objectPath(victim))).toBe(false);
    expect(c.exists('data/victim.bin')).toBe(false);
    expect(c.read('data/good.txt').toString()).toBe('good\n');
    expect(storeIntact(c.gitDir()).bad).toEqual([]);
  });
});
