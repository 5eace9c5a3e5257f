/**
 * Storage v2 (issue 15) end to end on directory remotes, through the CLI and git hooks:
 * packs and chunked big files on push, ranged reads on fetch, small edits of a big file storing
 * only the edit, a push killed mid-pack leaving a consistent remote, remotes of the old format
 * staying readable (and writable as v1 until upgraded), a remote of a newer format refused,
 * concurrent pushers never losing each other's packs, damaged packs and hostile indexes refused.
 * (S3 runs the same paths in remote-contract.test.ts and s3-push.test.ts.)
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeIndex } from '../../src/store/pack-format.js';
import { cloneOf, killAfterBytes, manifestShas, project } from '../helpers/remote.js';
import { BIN, sha256 } from '../helpers/repo.js';
import { checkV2, ls, v2Bytes } from '../helpers/v2.js';

const MiB = 1 << 20;
const SHM = existsSync('/dev/shm') ? '/dev/shm' : undefined;
const shmDirs: string[] = [];
const shmStore = (): string => {
  const d = mkdtempSync(path.join(SHM ?? '/tmp', 'gr-v2-'));
  shmDirs.push(d);
  return path.join(d, 'store');
};
afterAll(() => {
  for (const d of shmDirs) rmSync(d, { recursive: true, force: true });
});

/** Deterministic incompressible bytes (sha256 in counter mode). */
function bytes(n: number, seed: string): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0, off = 0; off < n; i++, off += 32) createHash('sha256').update(`${seed}-${i}`).digest().copy(out, off);
  return out;
}

describe('storage v2 on a directory remote', () => {
  it('a push packs small files and chunks big ones (no loose object); a clone restores byte for byte', () => {
    const { r, bare, store } = project();
    for (let i = 0; i < 300; i++) r.write(`data/small/f${i}.bin`, bytes(4096 + i, `s${i}`));
    r.write('data/empty.txt', '');
    r.write('data/big.bin', bytes(12 * MiB, 'big'));
    r.write('data/run.sh', '#!/bin/sh\n', 0o755);
    r.commit('v1');
    const push = r.git(['push', '-q', 'origin', 'main']);
    expect(push.stderr).toMatch(/uploaded 303 data object\(s\)/);
    expect(readFileSync(path.join(store, 'gitrepro-format'), 'utf8')).toBe('gitrepro.remote/v2\n');
    expect(ls(path.join(store, 'objects'))).toEqual([]);
    const rep = checkV2(store);
    expect(rep.problems).toEqual([]);
    expect(rep.indexes).toBe(2); // the small files and the chunks; then the chunk list of big.bin
    expect(rep.chunkedFiles).toEqual(new Set([sha256(r.read('data/big.bin'))]));
    for (const s of manifestShas(r.manifest())) expect(rep.objects.has(s)).toBe(true);
    const info = r.grJson(['remote', 'info']);
    expect(info).toMatchObject({ name: 'store', declared: 2, writes: 2, indexes: 2, loose: false, damaged: [] });
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
    // the clone keeps the indexes it read (named by their hash): the next fetch lists, reads none
    const cached = readdirSync(path.join(c.gitDir(), 'gitrepro', 'remote-index', 'objects'), { recursive: true }).filter((f) => /[0-9a-f]{64}$/.test(String(f)));
    expect(cached.length).toBe(2);
  });

  it('a 1 MiB edit in the middle of a big file, and a 1 MiB insert at its start, each add about 1 MiB to the remote', () => {
    const { r, bare, store } = project();
    const base = bytes(48 * MiB, 'model');
    r.write('data/model.bin', base);
    r.commit('model');
    r.gr(['push']);
    const before = v2Bytes(store);
    expect(before).toBeGreaterThan(48 * MiB);
    const edited = Buffer.from(base);
    bytes(MiB, 'edit').copy(edited, 24 * MiB);
    r.write('data/model.bin', edited);
    r.commit('edit in the middle');
    r.gr(['push']);
    const afterEdit = v2Bytes(store);
    const inserted = Buffer.concat([bytes(MiB, 'insert'), base]);
    r.write('data/model.bin', inserted);
    r.commit('insert at the start');
    r.git(['push', '-q', 'origin', 'main']);
    const afterInsert = v2Bytes(store);
    expect(afterEdit - before).toBeLessThan(2 * MiB);
    expect(afterInsert - afterEdit).toBeLessThan(2 * MiB);
    expect(checkV2(store).problems).toEqual([]);
    // every version reassembles from chunks shared between them
    const c = cloneOf(r, bare, 'clone');
    expect(sha256(c.read('data/model.bin'))).toBe(sha256(inserted));
    c.git(['checkout', '-q', 'HEAD~1']);
    expect(sha256(c.read('data/model.bin'))).toBe(sha256(edited));
    c.git(['checkout', '-q', 'HEAD~1']);
    expect(sha256(c.read('data/model.bin'))).toBe(sha256(base));
  });

  it.skipIf(!SHM)('a push killed mid-pack leaves a consistent remote; pushing again completes it and nothing is lost', () => {
    const { r, bare, store } = project({ storeDir: shmStore() });
    for (let i = 0; i < 10; i++) r.write(`data/f${i}.bin`, bytes(7 * MiB, `f${i}`)); // 70 MiB: three packs
    r.write('data/big.bin', bytes(20 * MiB, 'big')); // chunked: its chunk list is published last
    r.commit('ninety MiB');
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml').toString()}policy:\n  jobs: 2\n`);
    const killed = r.gr(['push'], { ok: [128], env: killAfterBytes(45 * MiB) });
    expect(killed.code).toBe(128);
    const mid = checkV2(store);
    expect(mid.problems).toEqual([]); // whatever an index names is whole
    const files = manifestShas(r.manifest());
    expect([...files].filter((s) => mid.objects.has(s)).length).toBeLessThan(files.size);
    expect(ls(path.join(store, 'tmp')).length).toBeGreaterThan(0); // the partial pack stayed in tmp/
    const again = r.gr(['push']);
    expect(again.stdout).toMatch(/object\(s\) uploaded/);
    const done = checkV2(store);
    expect(done.problems).toEqual([]);
    for (const s of manifestShas(r.manifest())) expect(done.objects.has(s), s).toBe(true);
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
  });

  it('a remote written before storage v2 (loose objects, no marker) restores byte for byte, stays v1 on push until upgraded', () => {
    const { r, bare, store } = project({ format: 1 });
    r.write('data/a.txt', 'alpha\n');
    r.write('data/big.bin', bytes(9 * MiB, 'old-big'));
    r.commit('old');
    r.git(['push', '-q', 'origin', 'main']);
    rmSync(path.join(store, 'gitrepro-format')); // exactly what a gitrepro before v2 leaves
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
    // a new clone pushing to it keeps writing loose objects (old clones of the team read them)
    c.write('data/b.txt', 'beta\n');
    c.commit('new');
    c.git(['push', '-q', 'origin', 'main']);
    expect(existsSync(path.join(store, 'objects', sha256('beta\n').slice(0, 2), sha256('beta\n').slice(2, 4), sha256('beta\n')))).toBe(true);
    expect(ls(path.join(store, 'index'))).toEqual([]);
    expect(c.grJson(['remote', 'info'])).toMatchObject({ writes: 1, loose: true });
    // upgraded: new data goes into packs, the old loose objects stay readable
    expect(c.gr(['remote', 'upgrade']).stdout).toMatch(/now declares format v2 \(was undeclared\)/);
    c.write('data/c.txt', 'gamma\n');
    c.commit('after upgrade');
    c.git(['push', '-q', 'origin', 'main']);
    expect(readFileSync(path.join(store, 'gitrepro-format'), 'utf8')).toBe('gitrepro.remote/v2\n');
    expect(checkV2(store).objects.has(sha256('gamma\n'))).toBe(true);
    const d = cloneOf(r, bare, 'clone2');
    expect(d.manifest()).toEqual(c.manifest());
  });

  it('a remote of a newer format is refused with GITREPRO_REMOTE_FORMAT, and nothing is written to it', () => {
    const { r, store } = project();
    r.write('data/a.txt', 'a\n');
    r.commit('a');
    r.gr(['push']);
    chmodSync(path.join(store, 'gitrepro-format'), 0o644);
    writeFileSync(path.join(store, 'gitrepro-format'), 'gitrepro.remote/v3\n');
    r.write('data/b.txt', 'b\n');
    r.commit('b');
    const before = [ls(path.join(store, 'packs')), ls(path.join(store, 'index'))];
    const push = r.gr(['push'], { ok: [2] });
    expect(push.stderr).toMatch(/^error \[GITREPRO_REMOTE_FORMAT\]: store remote "store" .* is in format v3; this gitrepro reads formats v1 and v2 only/m);
    expect(push.stderr).toMatch(/^hint: upgrade gitrepro/m);
    expect([ls(path.join(store, 'packs')), ls(path.join(store, 'index'))]).toEqual(before);
  });

  it('two clones pushing at once never lose each other’s packs', async () => {
    const { r, bare, store } = project();
    r.write('data/base.txt', 'base\n');
    r.commit('base');
    r.git(['push', '-q', 'origin', 'main']);
    const a = cloneOf(r, bare, 'a');
    const b = cloneOf(r, bare, 'b');
    for (let i = 0; i < 50; i++) a.write(`data/a/${i}.bin`, bytes(20_000, `a${i}`));
    for (let i = 0; i < 50; i++) b.write(`data/b/${i}.bin`, bytes(20_000, `b${i}`));
    a.commit('a');
    b.commit('b');
    const push = (c: typeof a): Promise<number> =>
      new Promise((resolve) => {
        const p = spawn(BIN, ['push'], { cwd: c.dir, env: c.env, stdio: 'ignore' });
        p.on('close', (code) => resolve(code ?? 128));
      });
    expect(await Promise.all([push(a), push(b)])).toEqual([0, 0]);
    const rep = checkV2(store);
    expect(rep.problems).toEqual([]);
    for (const s of [...manifestShas(a.manifest()), ...manifestShas(b.manifest())]) expect(rep.objects.has(s)).toBe(true);
  });

  it('a damaged pack is refused (each object re-hashed before it enters the store); a hostile index is set aside', () => {
    const { r, bare, store } = project();
    r.write('data/good.txt', 'good\n');
    r.write('data/victim.bin', Buffer.alloc(10_000, 1));
    r.commit('two');
    r.git(['push', '-q', 'origin', 'main']);
    const victim = sha256(Buffer.alloc(10_000, 1));
    const [idxName] = ls(path.join(store, 'index'));
    const ix = decodeIndex(readFileSync(path.join(store, 'index', idxName!)));
    const loc = ix.blobs.find((b) => b.id === victim)!;
    const packFile = path.join(store, 'packs', `${ix.pack}.pack`);
    const pack = readFileSync(packFile);
    Buffer.alloc(10_000, 2).copy(pack, loc.offset); // same size, other bytes
    rmSync(packFile);
    writeFileSync(packFile, pack);
    const c = cloneOf(r, bare, 'clone', { install: false });
    const res = c.gr(['install'], { ok: [1] });
    expect(res.stderr).toMatch(new RegExp(`the copy of ${victim.slice(0, 12)} in pack ${ix.pack.slice(0, 12)} on store remote "store" is corrupt`));
    expect(existsSync(c.objectPath(victim))).toBe(false);
    expect(c.exists('data/victim.bin')).toBe(false);
    expect(c.read('data/good.txt').toString()).toBe('good\n');
    // an index whose entry points past the end of its pack: set aside as damaged, its objects missing
    const hostile = Buffer.from(readFileSync(path.join(store, 'index', idxName!)));
    hostile.writeBigUInt64BE(BigInt(ix.packSize + 100), 16 + 32 + 8 + 8 + 32 + 8);
    const name = `${sha256(hostile)}.idx`;
    rmSync(path.join(store, 'index', idxName!), { force: true });
    writeFileSync(path.join(store, 'index', name), hostile);
    const d = cloneOf(r, bare, 'clone2', { install: false });
    const res2 = d.gr(['install'], { ok: [1] });
    expect(res2.stderr).toMatch(/is not on store remote "store" .*in none of its 0 pack index\(es\), and not loose; 1 of its indexes are damaged/);
    expect(d.exists('data/good.txt')).toBe(false);
  });

  it('a fetch of ranges above 8 MiB checks every object on a second thread: a damaged one is refused by name, no local pack holds it, the rest restores byte for byte', () => {
    const { r, bare, store } = project();
    // ~38 MiB in two packs, fetched in ranges of 16 MiB: the damaged object's range, and ranges whose
    // local pack is named by the hash the thread computed
    const files = Array.from({ length: 200 }, (_, i) => bytes(200_000 + i, `t${i}`));
    files.forEach((b, i) => r.write(`data/f${i}.bin`, b));
    r.commit('many');
    r.git(['push', '-q', 'origin', 'main']);
    const victim = sha256(files[57]!);
    const ix = ls(path.join(store, 'index'))
      .map((f) => decodeIndex(readFileSync(path.join(store, 'index', f))))
      .find((x) => x.blobs.some((b) => b.id === victim))!;
    const loc = ix.blobs.find((b) => b.id === victim)!;
    const packFile = path.join(store, 'packs', `${ix.pack}.pack`);
    const pack = readFileSync(packFile);
    pack[loc.offset + 1000] ^= 0xff;
    rmSync(packFile);
    writeFileSync(packFile, pack);
    const c = cloneOf(r, bare, 'clone', { install: false });
    const res = c.gr(['install'], { ok: [1], env: { GITREPRO_TRACE: '1' } });
    expect(res.stderr).toMatch(new RegExp(`the copy of ${victim.slice(0, 12)} in pack ${ix.pack.slice(0, 12)} on store remote "store" is corrupt`));
    expect(res.stderr).toMatch(/local store: \d+ object\(s\) received, checked on a second thread/);
    expect(c.exists('data/f57.bin')).toBe(false);
    files.forEach((b, i) => {
      if (i !== 57) expect(c.read(`data/f${i}.bin`).equals(b)).toBe(true);
    });
    expect((res.stderr.match(/local store: \d+ object\(s\) received, checked on a second thread/g) ?? []).length).toBeGreaterThanOrEqual(2);
    // the local packs hold every other object, each intact, and not the damaged one
    const packs = path.join(c.gitDir(), 'gitrepro', 'packs');
    const held = new Set<string>();
    for (const f of ls(packs).filter((f) => f.endsWith('.idx'))) {
      const lx = decodeIndex(readFileSync(path.join(packs, f)));
      const lp = readFileSync(path.join(packs, `${lx.pack}.pack`));
      expect(sha256(lp)).toBe(lx.pack);
      for (const b of lx.blobs) {
        expect(sha256(lp.subarray(b.offset, b.offset + b.length))).toBe(b.id);
        held.add(b.id);
      }
    }
    // a range of fewer objects than make a local pack arrives loose
    const objects = path.join(c.gitDir(), 'gitrepro', 'objects');
    for (const f of readdirSync(objects, { recursive: true }).map(String)) {
      const name = path.basename(f);
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      expect(sha256(readFileSync(path.join(objects, f)))).toBe(name);
      held.add(name);
    }
    expect(held.has(victim)).toBe(false);
    expect(held.size).toBe(199);
    // the work tree was written from the checked ranges as they arrived, on the writing thread
    expect(res.stderr).toMatch(/work tree: files of fetched objects written in [1-9]\d* batch\(es\) on a second thread/);
    expect(tempFiles(c.dir)).toEqual([]);
  });

  it('a pull writes fetched objects as they arrive, on a second thread: a file the user changed is stored first; bytes, exec bits and untracked files are right; no temp file is left', () => {
    const { r, bare } = project();
    const v1 = Array.from({ length: 150 }, (_, i) => bytes(5000 + i, `a${i}`));
    v1.forEach((b, i) => r.write(`data/d${i % 3}/f${i}.bin`, b));
    r.write('data/run.sh', '#!/bin/sh\necho 1\n', 0o755);
    r.commit('v1');
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
    c.write('data/d1/f4.bin', 'unsaved edit\n');
    c.write('data/d2/mine.txt', 'mine\n');
    const v2 = Array.from({ length: 150 }, (_, i) => bytes(6000 + i, `b${i}`));
    v2.forEach((b, i) => r.write(`data/d${i % 3}/f${i}.bin`, b));
    r.write('data/run.sh', '#!/bin/sh\necho 2\n', 0o755);
    r.write('data/new/only-v2.txt', 'new\n');
    r.commit('v2');
    r.git(['push', '-q', 'origin', 'main']);
    const res = c.git(['pull', '-q'], { env: { GITREPRO_TRACE: '1' } });
    expect(res.stderr).toMatch(/fetching 152 missing object\(s\)/);
    expect(res.stderr).toMatch(/work tree: files of fetched objects written in 1 batch\(es\) on a second thread, 0 on the main thread/);
    expect(res.stderr).toMatch(/saved your unsaved data\/d1\/f4\.bin before replacing it/);
    v2.forEach((b, i) => expect(c.read(`data/d${i % 3}/f${i}.bin`).equals(b)).toBe(true));
    expect(c.read('data/d2/mine.txt').toString()).toBe('mine\n');
    const { ['data/d2/mine.txt']: mine, ...rest } = c.manifest();
    expect(mine).toBeDefined();
    expect(rest).toEqual(r.manifest());
    expect(rest['data/run.sh']).toMatch(/ x$/);
    expect(tempFiles(c.dir)).toEqual([]);
    c.gr(['recover', '--', 'data/d1/f4.bin']);
    expect(c.read('data/d1/f4.bin').toString()).toBe('unsaved edit\n');
  });
});

/** gitrepro temp files anywhere under `dir` (the work tree and its git dir). */
function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => path.basename(f).startsWith('.gitrepro-tmp-'));
}
