/**
 * A restore that writes while it fetches (workspace/materialize.ts `incoming`), driven directly
 * with a fetch the test controls: what the user does to the work tree while the fetch runs is
 * seen when each file is written, not when the restore began, and a fetch that fails ends the
 * restore only once its other writes have ended.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SnapChange } from '../../src/git/snapshot.js';
import { openRepo } from '../../src/repo/context.js';
import { materialize, type CheckedObject } from '../../src/workspace/materialize.js';
import { readWorkState } from '../../src/workspace/worktree-state.js';
import { sharedBuffer } from '../../src/store/hash-thread.js';
import { TestRepo } from '../helpers/repo.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Objects' bytes as a fetch hands them over: side by side in one range's shared memory, checked. */
function arrivedTogether(texts: string[]): CheckedObject[] {
  const bufs = texts.map((t) => Buffer.from(t));
  const range = sharedBuffer(bufs.reduce((n, b) => n + b.length, 0));
  let at = 0;
  return bufs.map((b) => {
    b.copy(range, at);
    at += b.length;
    return { ref: { sha256: sha(b), size: b.length }, bytes: range.subarray(at - b.length, at) };
  });
}
const arrived = (text: string): CheckedObject => arrivedTogether([text])[0]!;

async function setUp(): Promise<{ r: TestRepo; repo: Awaited<ReturnType<typeof openRepo>>; stampMs: number }> {
  const r = TestRepo.init({ track: ['data/'] });
  r.write('data/a.bin', 'a as recorded\n');
  r.commit('v1');
  const repo = await openRepo(r.dir);
  const stampMs = (await readWorkState(repo.stateDir)).stampMs!;
  return { r, repo, stampMs };
}

describe('a restore writing while it fetches', () => {
  it('stores a file the user edited while the fetch ran before replacing it (the stat taken when the restore began is not trusted)', async () => {
    const { r, repo, stampMs } = await setUp();
    const recorded = { sha256: sha(Buffer.from('a as recorded\n')), size: 14, exec: false };
    const next = arrived('a as fetched\n');
    // as syncTo does: a file unchanged since the stamp is known to hold what the snapshot says
    const known = (rel: string, st: { ctimeMs: number }): string | undefined => (st.ctimeMs < stampMs && rel === 'data/a.bin' ? recorded.sha256 : undefined);
    await new Promise((res) => setTimeout(res, 20));
    const res = await materialize([{ path: 'data/a.bin', entry: { ...next.ref, exec: false }, before: recorded }], {
      root: r.dir,
      store: repo.store,
      known,
      sharedDir: repo.sharedDir,
      reason: 'test',
      incoming: {
        pending: new Set([next.ref.sha256]),
        fetch: async (consume) => {
          r.write('data/a.bin', 'an edit made while the fetch ran\n');
          await consume([next]);
        },
      },
    });
    expect(res.written).toEqual(['data/a.bin']);
    expect(r.read('data/a.bin').toString()).toBe('a as fetched\n');
    expect(res.rescued.map((e) => e.path)).toEqual(['data/a.bin']);
    expect(res.rescued[0]!.sha256).toBe(sha(Buffer.from('an edit made while the fetch ran\n')));
    r.gr(['recover', '--', 'data/a.bin']);
    expect(r.read('data/a.bin').toString()).toBe('an edit made while the fetch ran\n');
  });

  it('leaves a file that appeared while the fetch ran, in a directory the restore made, and says so', async () => {
    const { r, repo } = await setUp();
    const objs = arrivedTogether(Array.from({ length: 80 }, (_, i) => `new ${i}\n`)); // one batch, for the writing thread
    const changes = objs.map((o, i) => ({ path: `data/new/f${i}`, entry: { ...o.ref, exec: false } }));
    const res = await materialize(changes, {
      root: r.dir,
      store: repo.store,
      sharedDir: repo.sharedDir,
      reason: 'test',
      incoming: {
        pending: new Set(objs.map((o) => o.ref.sha256)),
        fetch: async (consume) => {
          mkdirSync(r.path('data/new'), { recursive: true });
          writeFileSync(r.path('data/new/f7'), 'the user was faster\n');
          await consume(objs);
        },
      },
    });
    expect(r.read('data/new/f7').toString()).toBe('the user was faster\n');
    expect(res.failed.map((f) => f.path)).toEqual(['data/new/f7']);
    expect(res.failed[0]!.error.message).toMatch(/data\/new\/f7: a file appeared there while the restore ran; it was left as it is/);
    expect(res.written).toHaveLength(79);
    for (let i = 0; i < 80; i++) if (i !== 7) expect(r.read(`data/new/f${i}`).toString()).toBe(`new ${i}\n`);
    expect(readdirSync(r.path('data/new')).filter((n) => n.startsWith('.gitrepro-tmp-'))).toEqual([]);
  });

  it('a file that appeared while the fetch ran is left also when its object is copied from the store (not handed over)', async () => {
    const { r, repo } = await setUp();
    const big = Buffer.from('a big file, fetched in chunks: stored, never handed over\n');
    const ref = { sha256: sha(big), size: big.length };
    const res = await materialize([{ path: 'data/new/big.bin', entry: { ...ref, exec: false } }], {
      root: r.dir,
      store: repo.store,
      sharedDir: repo.sharedDir,
      reason: 'test',
      incoming: {
        pending: new Set([ref.sha256]),
        fetch: async () => {
          mkdirSync(r.path('data/new'), { recursive: true });
          writeFileSync(r.path('data/new/big.bin'), 'the user was faster\n');
          writeFileSync(r.path('fetched.tmp'), big);
          await repo.store.ingestFile(r.path('fetched.tmp'));
        },
      },
    });
    expect(r.read('data/new/big.bin').toString()).toBe('the user was faster\n');
    expect(res.written).toEqual([]);
    expect(res.failed.map((f) => f.path)).toEqual(['data/new/big.bin']);
    expect(res.failed[0]!.error.message).toMatch(/a file appeared there while the restore ran; it was left as it is/);
  });

  it('a file edited after it was stored but before its rename is left as it is (the writer checks it is still the file it stored)', async () => {
    const { r, repo } = await setUp();
    const objs = arrivedTogether(['a as fetched\n', ...Array.from({ length: 70 }, (_, i) => `n ${i}\n`)]);
    const changes = objs.map((o, i) => ({ path: i === 0 ? 'data/a.bin' : `data/n/f${i}`, entry: { ...o.ref, exec: false } }));
    // the user saves an edit of a.bin just after the restore looked at it and made sure it was stored
    let edited = false;
    const store = new Proxy(repo.store, {
      get(t, k) {
        const v = Reflect.get(t, k, t);
        if (k !== 'intact') return typeof v === 'function' ? v.bind(t) : v;
        return async (ref: { sha256: string; size: number }) => {
          const ok = await t.intact(ref);
          if (!edited) {
            edited = true;
            writeFileSync(r.path('data/a.bin'), 'an edit saved at the last moment, longer\n');
          }
          return ok;
        };
      },
    });
    const res = await materialize(changes, {
      root: r.dir,
      store,
      sharedDir: repo.sharedDir,
      reason: 'test',
      incoming: { pending: new Set(objs.map((o) => o.ref.sha256)), fetch: (consume) => consume(objs) },
    });
    expect(edited).toBe(true);
    expect(r.read('data/a.bin').toString()).toBe('an edit saved at the last moment, longer\n');
    expect(res.failed.map((f) => f.path)).toEqual(['data/a.bin']);
    expect(res.failed[0]!.error.message).toMatch(/the file there changed while the restore ran; it was left as it is/);
    expect(res.written).toHaveLength(70);
  });

  it('a fetch that fails ends the restore only after the writes of what the store held have ended', async () => {
    const { r, repo } = await setUp();
    const held = await repo.store.ingestFile(r.path('data/a.bin'));
    const changes: SnapChange[] = Array.from({ length: 3000 }, (_, i) => ({ path: `data/x/f${i}`, entry: { sha256: held.sha256, size: held.size, exec: false } }));
    const lost = 'f'.repeat(64);
    changes.push({ path: 'data/y.bin', entry: { sha256: lost, size: 5, exec: false } });
    const count = (): number => readdirSync(r.path('data/x')).length;
    let err: unknown;
    await materialize(changes, {
      root: r.dir,
      store: repo.store,
      sharedDir: repo.sharedDir,
      reason: 'test',
      incoming: {
        pending: new Set([lost]),
        fetch: async () => {
          throw Object.assign(new Error('EISDIR: the known-objects cache is a directory'), { code: 'EISDIR' });
        },
      },
    }).catch((e: unknown) => (err = e));
    expect((err as Error).message).toMatch(/EISDIR/);
    const then = count();
    expect(then).toBe(3000);
    await new Promise((res) => setTimeout(res, 300));
    expect(count()).toBe(then);
  });

  describe('a fresh directory, written whole under a temp name and renamed into place once', () => {
    // as syncTo passes it for `data/` (a directory track pattern: git ignores data/ whole)
    const beside = (d: string): boolean => d === 'data' || d.startsWith('data/');
    const objs80 = (): CheckedObject[] => arrivedTogether(Array.from({ length: 80 }, (_, i) => `new ${i}\n`)); // one batch each half, for the writing thread
    const tempsIn = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('.gitrepro-tmp-'));

    /** 80 files of `dir`, with `during` run before the first batch or between the two (after 70) */
    async function restoreWith(dir: string, during: { before?: (r: TestRepo) => void; between?: (r: TestRepo) => void }, exec = (_i: number): boolean => false) {
      const { r, repo } = await setUp();
      const objs = objs80();
      const changes = objs.map((o, i) => ({ path: `${dir}/f${i}`, entry: { ...o.ref, exec: exec(i) } }));
      const res = await materialize(changes, {
        root: r.dir,
        store: repo.store,
        sharedDir: repo.sharedDir,
        reason: 'test',
        tempBeside: beside,
        incoming: {
          pending: new Set(objs.map((o) => o.ref.sha256)),
          fetch: async (consume) => {
            during.before?.(r);
            await consume(objs.slice(0, 70));
            during.between?.(r);
            await consume(objs.slice(70));
          },
        },
      });
      return { r, res };
    }


    it('appears with all its files at once: while its files arrive, a reader sees no part of it', async () => {
      let between: { there: boolean; temps: string[]; inTemp: number } | undefined;
      const { r, res } = await restoreWith(
        'data/new',
        {
          between: (r) => {
            const temps = tempsIn(r.path('data'));
            between = { there: existsSync(r.path('data/new')), temps, inTemp: temps.length === 1 ? readdirSync(r.path(`data/${temps[0]}`)).length : -1 };
          },
        },
        (i) => i % 5 === 0,
      );
      expect(between!.there).toBe(false);
      expect(between!.temps).toHaveLength(1);
      expect(between!.inTemp).toBe(70);
      expect(res.failed).toEqual([]);
      expect(res.written).toHaveLength(80);
      for (let i = 0; i < 80; i++) {
        expect(r.read(`data/new/f${i}`).toString()).toBe(`new ${i}\n`);
        expect(lstatSync(r.path(`data/new/f${i}`)).mode & 0o777).toBe(i % 5 === 0 ? 0o755 : 0o644);
      }
      expect(tempsIn(r.path('data'))).toEqual([]);
      expect(tempsIn(r.path('data/new'))).toEqual([]);
    });

    it('a directory the user made meanwhile keeps what they put there: the other files go in one by one, beside it', async () => {
      // f7 is written in the temp directory by then
      const { r, res } = await restoreWith('data/new', {
        between: (r) => {
          mkdirSync(r.path('data/new'));
          writeFileSync(r.path('data/new/f7'), 'the user was faster\n');
          writeFileSync(r.path('data/new/notes.txt'), 'theirs\n');
        },
      });
      expect(r.read('data/new/f7').toString()).toBe('the user was faster\n');
      expect(r.read('data/new/notes.txt').toString()).toBe('theirs\n');
      expect(res.failed.map((f) => f.path)).toEqual(['data/new/f7']);
      expect(res.failed[0]!.error.message).toMatch(/data\/new\/f7: a file appeared there while the restore ran; it was left as it is/);
      expect(res.written).toHaveLength(79);
      for (let i = 0; i < 80; i++) if (i !== 7) expect(r.read(`data/new/f${i}`).toString()).toBe(`new ${i}\n`);
      expect(tempsIn(r.path('data'))).toEqual([]);
      expect(tempsIn(r.path('data/new'))).toEqual([]);
    });

    it('a symlink put at its path meanwhile is not written through: every file of it fails, naming the path', async () => {
      const outside = mkdtempSync(path.join(tmpdir(), 'gr-outside-'));
      const { r, res } = await restoreWith('data/new', { between: (r) => symlinkSync(outside, r.path('data/new')) });
      expect(readdirSync(outside)).toEqual([]);
      expect(lstatSync(r.path('data/new')).isSymbolicLink()).toBe(true);
      expect(res.written).toEqual([]);
      expect(res.failed).toHaveLength(80);
      // the files in the temp directory by then: refused at the rename; those that came after: refused as they came
      expect(res.failed.find((f) => f.path === 'data/new/f0')!.error.message).toMatch(/data\/new became something other than a directory while the restore ran; it was left as it is/);
      expect(res.failed.find((f) => f.path === 'data/new/f70')!.error.message).toMatch(/refusing to write "data\/new\/f70": a parent directory became a symlink or a file while the restore ran/);
      expect(tempsIn(r.path('data'))).toEqual([]);
    });

    it('a fetch that hands over only some of its objects: those files go into place, the rest are reported missing', async () => {
      const { r, repo } = await setUp();
      const objs = objs80();
      const changes = objs.map((o, i) => ({ path: `data/new/f${i}`, entry: { ...o.ref, exec: false } }));
      const res = await materialize(changes, {
        root: r.dir,
        store: repo.store,
        sharedDir: repo.sharedDir,
        reason: 'test',
        tempBeside: beside,
        incoming: { pending: new Set(objs.map((o) => o.ref.sha256)), fetch: (consume) => consume(objs.slice(0, 75)) },
      });
      expect(res.written).toHaveLength(75);
      expect(res.missing.map((m) => m.path).sort()).toEqual([75, 76, 77, 78, 79].map((i) => `data/new/f${i}`));
      for (let i = 0; i < 75; i++) expect(r.read(`data/new/f${i}`).toString()).toBe(`new ${i}\n`);
      expect(existsSync(r.path('data/new/f75'))).toBe(false);
      expect(tempsIn(r.path('data'))).toEqual([]);
    });

    it('a symlink put at its path, or at its parent\'s, before its first file arrives is not written through: each file is refused', async () => {
      for (const [dir, link] of [['data/new', 'data/new'], ['data/sub/new', 'data/sub']] as const) {
        const outside = mkdtempSync(path.join(tmpdir(), 'gr-outside-'));
        const { res } = await restoreWith(dir, { before: (r) => symlinkSync(outside, r.path(link)) });
        expect(readdirSync(outside)).toEqual([]);
        expect(res.written).toEqual([]);
        expect(res.failed).toHaveLength(80);
        expect(res.failed[0]!.error.message).toMatch(/refusing to write ".*f\d+": a parent directory became a symlink or a file while the restore ran/);
      }
    });

    it('an empty directory the user made meanwhile is kept (its inode and mode): the files go into it one by one', async () => {
      let made: { ino: number; mode: number } | undefined;
      const { r, res } = await restoreWith('data/x', {
        between: (r) => {
          mkdirSync(r.path('data/x'), { mode: 0o700 });
          const st = lstatSync(r.path('data/x'));
          made = { ino: st.ino, mode: st.mode & 0o777 };
        },
      });
      expect(made!.mode).toBe(0o700);
      const st = lstatSync(r.path('data/x'));
      expect({ ino: st.ino, mode: st.mode & 0o777 }).toEqual(made);
      expect(res.failed).toEqual([]);
      expect(res.written).toHaveLength(80);
      for (let i = 0; i < 80; i++) expect(r.read(`data/x/f${i}`).toString()).toBe(`new ${i}\n`);
      expect(tempsIn(r.path('data'))).toEqual([]);
    });

    it('a parent swapped for a symlink after its first files: nothing is written or made outside, every file fails in one line naming the parent', async () => {
      const outside = mkdtempSync(path.join(tmpdir(), 'gr-outside-'));
      const { res } = await restoreWith('data/sub/new', {
        between: (r) => {
          renameSync(r.path('data/sub'), r.path('data/sub2'));
          symlinkSync(outside, r.path('data/sub'));
        },
      });
      expect(readdirSync(outside)).toEqual([]);
      expect(res.written).toEqual([]);
      expect(res.failed).toHaveLength(80);
      for (const f of res.failed) expect(f.error.message).not.toMatch(/\n|gitrepro-tmp/);
      expect(res.failed.find((f) => f.path === 'data/sub/new/f0')!.error.message).toMatch(/data\/sub became something other than a directory while the restore ran; it was left as it is/);
      expect(res.failed.find((f) => f.path === 'data/sub/new/f75')!.error.message).toMatch(/a parent directory became a symlink or a file while the restore ran/);
    });

    it('a killed restore\'s temp directory beside it is removed (its process is gone); a live process\'s is left', async () => {
      const { r, repo } = await setUp();
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      r.write(`data/.gitrepro-tmp-dir-${dead}-0123456789ab-3/f1`, 'a killed restore\'s file\n');
      r.write(`data/.gitrepro-tmp-obj-${dead}-0123456789ab-4`, 'a killed restore\'s temp file\n');
      r.write(`data/.gitrepro-tmp-dir-${process.ppid}-0123456789ab-5/f1`, 'a running process\'s\n');
      const objs = objs80();
      const res = await materialize(
        objs.map((o, i) => ({ path: `data/new/f${i}`, entry: { ...o.ref, exec: false } })),
        { root: r.dir, store: repo.store, sharedDir: repo.sharedDir, reason: 'test', tempBeside: beside, incoming: { pending: new Set(objs.map((o) => o.ref.sha256)), fetch: (consume) => consume(objs) } },
      );
      expect(res.written).toHaveLength(80);
      expect(tempsIn(r.path('data'))).toEqual([`.gitrepro-tmp-dir-${process.ppid}-0123456789ab-5`]);
    });
  });
});
