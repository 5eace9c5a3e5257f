/**
 * Local packs (store/local-packs.ts, issue 11): a fetch of many objects from a v2 remote keeps
 * them as packs in the local store instead of one file per object. Through real clones, hooks
 * and checkouts: what a clone restores, what it fetches later, a corrupt pack (refused, set
 * aside whole, fetched again), pushing packed objects to other remotes, unsaved work over packed
 * files, and gc of packs that are wholly or partly garbage.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkBuffer } from '../../src/store/chunker.js';
import { decodeIndex, LAYOUT } from '../../src/store/pack-format.js';
import { cloneOf, dirRemoteObjects, manifestShas, project } from '../helpers/remote.js';
import { sha256, type TestRepo } from '../helpers/repo.js';
import { checkV2 } from '../helpers/v2.js';

/** Deterministic incompressible bytes. */
function bytes(n: number, seed: string): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0, off = 0; off < n; i++, off += 32) createHash('sha256').update(`${seed}-${i}`).digest().copy(out, off);
  return out;
}

function files(dir: string, n: number, seed: string, size = 3000): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < n; i++) out[`${dir}/f${i}.bin`] = bytes(size + i, `${seed}${i}`);
  return out;
}

function writeAll(r: TestRepo, fs: Record<string, Buffer>): void {
  for (const [p, b] of Object.entries(fs)) r.write(p, b);
}

/** The local store's packs: id -> object ids. */
function localPacks(r: TestRepo): Map<string, Set<string>> {
  const dir = path.join(r.gitDir(), 'gitrepro', 'packs');
  const out = new Map<string, Set<string>>();
  if (!existsSync(dir)) return out;
  for (const n of readdirSync(dir)) {
    const m = /^([0-9a-f]{64})\.idx$/.exec(n);
    if (!m) continue;
    const ix = decodeIndex(readFileSync(path.join(dir, n)));
    out.set(m[1]!, new Set(ix.blobs.map((b) => b.id)));
  }
  return out;
}

/** Loose object files of the local store. */
function looseObjects(r: TestRepo): string[] {
  const dir = path.join(r.gitDir(), 'gitrepro', 'objects');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => /[0-9a-f]{64}$/.test(f)).map((f) => path.basename(f));
}

/** Flips byte `at` of object `sha` inside local pack `id` of `r`. */
function damagePacked(r: TestRepo, id: string, sha: string, at: number): void {
  const dir = path.join(r.gitDir(), 'gitrepro', 'packs');
  const entry = decodeIndex(readFileSync(path.join(dir, `${id}.idx`))).blobs.find((b) => b.id === sha)!;
  const packFile = path.join(dir, `${id}.pack`);
  const buf = readFileSync(packFile);
  buf[entry.offset + at] ^= 0xff;
  chmodSync(packFile, 0o644);
  writeFileSync(packFile, buf);
}

const packedIds = (r: TestRepo): Set<string> => new Set([...localPacks(r).values()].flatMap((s) => [...s]));

/** A clone whose store holds the 120 files of data/a in one local pack; `target` is one of them. */
function cloneWithOnePack(): { r: TestRepo; c: TestRepo; id: string; target: string; sha: string } {
  const { r, bare } = project();
  writeAll(r, files('data/a', 120, 'one'));
  r.commit('v1');
  r.git(['push', '-q', 'origin', 'main']);
  const c = cloneOf(r, bare, 'clone');
  const packs = localPacks(c);
  expect(packs.size).toBe(1);
  const [id] = [...packs.keys()];
  const target = 'data/a/f7.bin';
  return { r, c, id: id!, target, sha: sha256(c.read(target)) };
}

describe('local packs', () => {
  it('a clone keeps its fetch as packs (no loose object); later fetches too; checkouts restore byte for byte; fsck re-hashes them', () => {
    const { r, bare } = project();
    const v1 = files('data/a', 150, 'one');
    writeAll(r, v1);
    r.write('data/run.sh', '#!/bin/sh\necho hi\n', 0o755);
    r.commit('v1');
    const m1 = r.manifest();
    const v2 = files('data/a', 100, 'two');
    writeAll(r, v2);
    r.commit('v2');
    const m2 = r.manifest();
    r.git(['push', '-q', 'origin', 'main']);

    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(m2);
    expect(looseObjects(c)).toEqual([]);
    const first = packedIds(c);
    for (const s of manifestShas(m2)) expect(first.has(s)).toBe(true);

    // the commit before: its 100 differing objects are fetched by the checkout hook, as a pack
    c.git(['checkout', '-q', 'HEAD~1']);
    expect(c.manifest()).toEqual(m1);
    expect(looseObjects(c)).toEqual([]);
    expect(localPacks(c).size).toBeGreaterThan(1);
    c.git(['checkout', '-q', 'main']);
    expect(c.manifest()).toEqual(m2);
    // executable bits come back as recorded
    expect(statSync(c.path('data/run.sh')).mode & 0o111).not.toBe(0);

    const fsck = c.grJson(['fsck']);
    expect(fsck).toMatchObject({ ok: true, corrupt: [] });
    expect(fsck.objects).toBe(new Set([...manifestShas(m1), ...manifestShas(m2)]).size);
    c.gr(['verify', '--deep']);
  });

  it('a corrupt packed object is refused and its pack set aside whole; a fetch brings what it held back', () => {
    const { r, c, id, target, sha } = cloneWithOnePack();
    damagePacked(c, id, sha, 10);

    rmSync(c.path(target));
    const res = c.gr(['restore'], { ok: [1] });
    expect(res.stderr).toMatch(new RegExp(`${target}.*stored object ${sha.slice(0, 12)} is corrupt`));
    expect(existsSync(c.path(target))).toBe(false); // never written
    // the pack and its index went to quarantine; nothing else was touched
    const q = readdirSync(path.join(c.gitDir(), 'gitrepro', 'quarantine')).sort();
    expect(q.map((n) => n.replace(/\.\d+\./, '.'))).toEqual([`${id}.idx`, `${id}.pack`]);
    expect(localPacks(c).size).toBe(0);
    // fetch brings every object the pack held again, checked; restore completes
    c.gr(['fetch']);
    c.gr(['restore']);
    expect(c.manifest()).toEqual(r.manifest());
    expect(c.grJson(['fsck']).ok).toBe(true);
  });

  it('a damaged entry of a local index hides only that object: the rest of its pack still serves, the object is fetched again', () => {
    const { r, c, id, target, sha } = cloneWithOnePack();
    // the entry's length made to run past the end of the pack (entries are checked when used)
    const idx = path.join(c.gitDir(), 'gitrepro', 'packs', `${id}.idx`);
    const buf = readFileSync(idx);
    const ix = decodeIndex(buf);
    const i = ix.blobs.findIndex((b) => b.id === sha);
    buf.writeBigUInt64BE(BigInt(ix.packSize), LAYOUT.INDEX_HEADER + i * LAYOUT.BLOB_ENTRY + 40);
    chmodSync(idx, 0o644);
    writeFileSync(idx, buf);

    rmSync(c.path(target));
    rmSync(c.path('data/a/f8.bin'));
    // the restore fetches f7 again (a loose object) and takes f8 from the pack, untouched
    const res = c.gr(['restore']);
    expect(res.stdout).toMatch(/2 restored/);
    expect(c.read(target)).toEqual(r.read(target));
    expect(c.read('data/a/f8.bin')).toEqual(r.read('data/a/f8.bin'));
    expect(looseObjects(c)).toEqual([sha]);
    expect(readdirSync(path.join(c.gitDir(), 'gitrepro', 'packs')).sort()).toEqual([`${id}.idx`, `${id}.pack`]);
    expect(c.manifest()).toEqual(r.manifest());
    expect(c.grJson(['fsck']).ok).toBe(true);
  });

  it('objects held only in local packs push to other remotes (v1 and v2) byte for byte', () => {
    const { r, bare } = project();
    writeAll(r, files('data/a', 90, 'one'));
    r.commit('v1');
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    expect(looseObjects(c)).toEqual([]);
    const want = manifestShas(r.manifest());

    const v1 = path.join(path.dirname(c.dir), 'store-v1');
    c.gr(['remote', 'add', 'old', v1, '--format', '1']);
    expect(c.gr(['push', 'old']).stderr + c.gr(['push', 'old']).stdout).toMatch(/already there|uploaded/);
    const got = dirRemoteObjects(v1);
    for (const s of want) expect(got.get(s)).toBe(true);

    const v2 = path.join(path.dirname(c.dir), 'store-v2');
    c.gr(['remote', 'add', 'new', v2]);
    c.gr(['push', 'new']);
    const rep = checkV2(v2);
    expect(rep.problems).toEqual([]);
    for (const s of want) expect(rep.objects.has(s)).toBe(true);
  });

  it('unsaved changes to a file restored from a pack are stored before a checkout replaces it', () => {
    const { r, bare } = project();
    writeAll(r, files('data/a', 80, 'one'));
    r.commit('v1');
    writeAll(r, files('data/a', 80, 'two'));
    r.commit('v2');
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    c.write('data/a/f3.bin', 'my unsaved edit');
    c.git(['checkout', '-q', 'HEAD~1']);
    const rescued = c.grJson(['recover', '--list']);
    expect(JSON.stringify(rescued)).toContain(sha256('my unsaved edit'));
    c.gr(['recover', '--', 'data/a/f3.bin']);
    expect(c.read('data/a/f3.bin').toString()).toBe('my unsaved edit');
  });

  it.each([['intact'], ['whose entries are out of order (a damaged index)']])('gc removes a pack of garbage whole and, from a pack partly needed, keeps what is needed as loose objects: indexes %s', (state) => {
    const { r, bare } = project();
    writeAll(r, files('data/a', 70, 'base'));
    r.commit('base');
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');

    // two branches on origin, each fetched by the clone as one pack
    const g1 = files('data/g1', 80, 'garbage');
    r.git(['checkout', '-q', '-b', 'exp1']);
    writeAll(r, g1);
    r.commit('exp1');
    r.git(['push', '-q', 'origin', 'exp1']);
    const g2 = files('data/g2', 100, 'mixed');
    r.git(['checkout', '-q', '-b', 'exp2', 'main']);
    writeAll(r, g2);
    r.commit('exp2');
    r.git(['push', '-q', 'origin', 'exp2']);
    // main keeps 30 of exp2's files (the same bytes)
    r.git(['checkout', '-q', 'main']);
    const kept = Object.fromEntries(Object.entries(g2).slice(0, 30).map(([p, b]) => [p.replace('data/g2', 'data/k'), b]));
    writeAll(r, kept);
    r.commit('main keeps 30');
    r.git(['push', '-q', 'origin', 'main']);

    for (const b of ['exp1', 'exp2']) {
      c.git(['fetch', '-q', 'origin', b]);
      c.git(['checkout', '-q', '-b', b, `origin/${b}`]);
    }
    c.git(['checkout', '-q', 'main']);
    c.git(['pull', '-q', '--ff-only', 'origin', 'main']);
    expect(c.manifest()).toEqual(r.manifest());
    expect(looseObjects(c)).toEqual([]);
    const before = localPacks(c);
    expect(before.size).toBe(3); // base, exp1, exp2 (main's 30 were in exp2's pack already)

    // the branches go everywhere; their reflogs too
    for (const b of ['exp1', 'exp2']) {
      c.git(['branch', '-D', b]);
      c.git(['update-ref', '-d', `refs/remotes/origin/${b}`]);
    }
    c.git(['reflog', 'expire', '--expire=now', '--all']);
    if (state !== 'intact') {
      // exp2's pack index with its entries reversed: every entry valid, the order wrong (a search misses them)
      const id = [...before].find(([, ids]) => ids.has(sha256(Object.values(kept)[0]!)))![0];
      const idx = path.join(c.gitDir(), 'gitrepro', 'packs', `${id}.idx`);
      const buf = readFileSync(idx);
      const H = LAYOUT.INDEX_HEADER;
      const B = LAYOUT.BLOB_ENTRY;
      const n = (buf.length - H) / B;
      const out = Buffer.concat([buf.subarray(0, H), ...Array.from({ length: n }, (_, i) => buf.subarray(H + (n - 1 - i) * B, H + (n - i) * B))]);
      chmodSync(idx, 0o644);
      writeFileSync(idx, out);
    }
    const dry = c.grJson(['gc', '--dry-run', '--keep', '0']);
    expect(dry.removed.objects).toBe(80 + 70);
    const run = c.grJson(['gc', '--keep', '0']);
    expect(run.removed).toEqual(dry.removed);
    expect(run.failed).toEqual([]);
    // only the base pack is left; main's 30 objects from exp2's pack are loose now
    expect(localPacks(c).size).toBe(1);
    const loose = new Set(looseObjects(c));
    for (const b of Object.values(kept)) expect(loose.has(sha256(b))).toBe(true);
    expect(loose.size).toBe(30);
    // every commit still reachable restores byte for byte
    rmSync(c.path('data'), { recursive: true });
    c.gr(['restore']);
    expect(c.manifest()).toEqual(r.manifest());
    expect(c.grJson(['fsck']).ok).toBe(true);
  });

  it('a first recording of many small files stores them as local packs; checkouts, pushes (v2 from the packs, v1 as files) and clones restore them byte for byte', () => {
    const { r, bare, store } = project();
    writeAll(r, files('data/a', 200, 'first'));
    r.write('data/big.bin', bytes(3 << 20, 'big')); // above the packed-ingest size: loose
    r.commit('first recording');
    const m1 = r.manifest();
    const packed = packedIds(r);
    expect(packed.size).toBe(200);
    expect(looseObjects(r)).toEqual([sha256(r.read('data/big.bin'))]);
    // an incremental change is stored loose, as before
    writeAll(r, files('data/a', 3, 'second'));
    r.commit('three changed');
    const m2 = r.manifest();
    expect(looseObjects(r).length).toBe(4);
    r.git(['checkout', '-q', 'HEAD~1']);
    expect(r.manifest()).toEqual(m1);
    r.git(['checkout', '-q', 'main']);
    expect(r.manifest()).toEqual(m2);
    expect(r.grJson(['fsck'])).toMatchObject({ ok: true, objects: 204 });

    // the push reads the packed objects from the packs, checked, and writes nothing loose
    r.git(['push', '-q', 'origin', 'main']);
    const rep = checkV2(store);
    expect(rep.problems).toEqual([]);
    for (const s of [...manifestShas(m1), ...manifestShas(m2)]) expect(rep.objects.has(s)).toBe(true);
    expect(looseObjects(r).length).toBe(4);
    // a v1 remote reads files: the packed objects are written out loose first
    const v1 = path.join(path.dirname(r.dir), 'store-v1');
    r.gr(['remote', 'add', 'old', v1, '--format', '1']);
    r.gr(['push', 'old']);
    const got = dirRemoteObjects(v1);
    for (const s of manifestShas(m2)) expect(got.get(s)).toBe(true);

    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(m2);
    c.git(['checkout', '-q', 'HEAD~1']);
    expect(c.manifest()).toEqual(m1);
  });

  it('a first recording whose files repeat each other and objects the store holds packs each new object once, in a pack named by its bytes; clones restore every file', () => {
    const { r, bare } = project();
    const held = files('data/held', 5, 'held', 60_000); // stored loose by a small first commit
    writeAll(r, held);
    r.commit('five held');
    const fresh = files('data/a', 160, 'fresh', 60_000); // 9.6 MB: named on the hashing thread
    const heldBytes = Object.values(held);
    const freshBytes = Object.values(fresh);
    // every fifth file repeats an earlier file of the read, every seventh one a held object
    Object.keys(fresh).forEach((p, i) => {
      if (i % 5 === 4) fresh[p] = freshBytes[i - 1]!;
      else if (i % 7 === 6) fresh[p] = heldBytes[i % 5]!;
    });
    writeAll(r, fresh);
    r.gr(['add'], { env: { GITREPRO_TRACE: '1' } });
    r.commit('many repeated');
    const wantNew = new Set(Object.values(fresh).map(sha256));
    for (const b of heldBytes) wantNew.delete(sha256(b));
    expect(wantNew.size).toBeLessThan(160);
    const packs = localPacks(r);
    expect(packedIds(r)).toEqual(wantNew);
    expect([...packs.values()].reduce((n, s) => n + s.size, 0)).toBe(wantNew.size); // each once
    const dir = path.join(r.gitDir(), 'gitrepro', 'packs');
    for (const id of packs.keys()) {
      const pack = readFileSync(path.join(dir, `${id}.pack`));
      expect(sha256(pack)).toBe(id);
      for (const b of decodeIndex(readFileSync(path.join(dir, `${id}.idx`))).blobs) expect(sha256(pack.subarray(b.offset, b.offset + b.length))).toBe(b.id);
    }
    expect(r.grJson(['fsck'])).toMatchObject({ ok: true, objects: wantNew.size + 5 });
    const m = r.manifest();
    for (const [p, b] of Object.entries(fresh)) expect(sha256(r.read(p))).toBe(sha256(b));
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(m);
  });

  it('a big push takes the pointers of packed objects from the local packs, reads the others from git, and the remote gets every object; a clone takes them from the remote\'s pack indexes', () => {
    const { r, bare, store } = project();
    writeAll(r, files('data/many', 2100, 'm', 64));
    r.commit('2,100 files, packed');
    expect(packedIds(r).size).toBe(2100);
    writeAll(r, files('data/many', 5, 'changed', 64)); // stored loose: their pointers come from git
    r.commit('five changed');
    const m1 = r.git(['rev-parse', 'HEAD~1']).stdout.trim();
    const m2 = r.manifest();
    const res = r.gr(['push'], { env: { GITREPRO_TRACE: '1' } });
    // the tip's 2,100 pointers and the 5 the commit before held: 2,100 point to packed objects
    expect(res.stderr).toMatch(/snapshot objects: 2105 pointer\(s\), 2100 known from the local packs, 5 read from git/);
    const rep = checkV2(store);
    expect(rep.problems).toEqual([]);
    expect(rep.objects.size).toBe(2105);
    r.git(['push', '-q', 'origin', 'main']);
    // a clone knows the pointers to the objects the remote's pack indexes list by their blob ids
    const c = cloneOf(r, bare, 'clone', { install: false });
    const inst = c.gr(['install'], { env: { GITREPRO_TRACE: '1' } });
    expect(inst.stderr).toMatch(/: 2100 entries, 2100 pointer\(s\) known by their blob ids, 0 read from git/);
    expect(c.manifest()).toEqual(m2);
    c.git(['checkout', '-q', m1]);
    expect(c.read('data/many/f0.bin')).toEqual(files('data/many', 1, 'm', 64)['data/many/f0.bin']);
  });

  it('a damaged packed copy is not pushed: the push reads the loose copy, or fails naming the object', () => {
    const { r, store } = project();
    writeAll(r, files('data/a', 100, 'p'));
    r.commit('packed');
    const [id] = [...localPacks(r).keys()];
    const target = 'data/a/f5.bin';
    const sha = sha256(r.read(target));
    damagePacked(r, id!, sha, 0);
    const res = r.gr(['push'], { ok: [1] });
    expect(res.stderr).toMatch(new RegExp(sha.slice(0, 12)));
    expect(res.stderr).toMatch(/corrupt/);
    // nothing damaged reached the remote
    expect(checkV2(store).problems).toEqual([]);
    expect(checkV2(store).objects.has(sha)).toBe(false);
  });

  it('a push of more than a pack checks packed copies on a second thread: a damaged one is replaced by its loose copy or left out by name, and a chunked file never loses a chunk to it', () => {
    const { r, bare, store } = project();
    const fs = files('data/a', 70, 'thread', 600 << 10); // 41 MiB of packed objects: packs of 32 MiB
    const big = bytes(12 << 20, 'big'); // chunked on the remote
    const chunks = chunkBuffer(big);
    // small files equal to chunks of it: one packed before the first pack is handed over, one after
    const early = Buffer.from(chunks[Math.floor(chunks.length / 3)]!);
    const late = Buffer.from(chunks[Math.floor((2 * chunks.length) / 3)]!);
    writeAll(r, fs);
    r.write('data/a/a-twin.bin', early);
    r.write('data/a/z-twin.bin', late);
    r.write('data/big.bin', big);
    r.commit('first recording');
    const ids = packedIds(r);
    const [good, lost] = ['data/a/f3.bin', 'data/a/f60.bin'].map((p) => sha256(fs[p]!));
    expect([good!, lost!, sha256(early), sha256(late)].every((s) => ids.has(s))).toBe(true);
    // damaged packed copies; `good` also has a loose copy (as a store that wrote it out has)
    for (const s of [good!, lost!, sha256(early), sha256(late)]) {
      const [pack] = [...localPacks(r)].find(([, set]) => set.has(s))!;
      damagePacked(r, pack, s, 100);
    }
    mkdirSync(path.dirname(r.objectPath(good!)), { recursive: true });
    writeFileSync(r.objectPath(good!), fs['data/a/f3.bin']!);

    const res = r.gr(['push'], { ok: [1], env: { GITREPRO_TRACE: '1' } });
    expect(Number(/(\d+) pack\(s\) hashed on a second thread/.exec(res.stderr)?.[1])).toBeGreaterThanOrEqual(1);
    expect(res.stderr).toMatch(new RegExp(`local object ${lost!.slice(0, 12)} is corrupt`));
    expect(res.stderr).not.toMatch(new RegExp(`${good!.slice(0, 12)} is corrupt`));
    const rep = checkV2(store); // every entry hashes to its id, every chunked file's chunks are published
    expect(rep.problems).toEqual([]);
    expect(rep.objects.has(lost!)).toBe(false);
    for (const [p, b] of Object.entries(fs)) if (p !== 'data/a/f60.bin') expect(rep.objects.has(sha256(b))).toBe(true);
    expect(rep.chunkedFiles.has(sha256(big))).toBe(true);
    // the late twin took the chunk's good bytes; the early one's pack was handed over before the
    // big file was chunked: it is left out, and the chunk goes into a later pack
    expect(res.stderr).toMatch(new RegExp(`local object ${sha256(early).slice(0, 12)} is corrupt`));
    expect(res.stderr).not.toMatch(new RegExp(`${sha256(late).slice(0, 12)} is corrupt`));
    expect(rep.objects.has(sha256(early)) && rep.objects.has(sha256(late))).toBe(true);

    // once the lost object has a good copy again, the push completes and a clone restores it all
    r.write('data/b/lost.bin', fs['data/a/f60.bin']!);
    r.commit('a good copy of f60');
    r.gr(['push']);
    expect(checkV2(store).problems).toEqual([]);
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
    expect(c.read('data/big.bin').equals(big)).toBe(true);
    expect(c.read('data/a/a-twin.bin').equals(early)).toBe(true);
    expect(c.read('data/a/z-twin.bin').equals(late)).toBe(true);
  });

  it('a chunk equal to an object its pack already dropped is packed again: the chunked file is never published without it', () => {
    const { r, bare, store } = project();
    // one pack in flight: the first pack is checked, and its damaged object dropped, before the
    // big file is chunked
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml').toString()}policy:\n  jobs: 1\n`);
    const big = bytes(12 << 20, 'big2');
    const twin = Buffer.from(chunkBuffer(big)[5]!);
    r.write('data/a/a-twin.bin', twin); // first in path order: the first pack
    writeAll(r, files('data/a', 120, 'filler', 600 << 10)); // 70 MiB: two packs handed over after it
    r.write('data/big.bin', big);
    r.commit('first recording');
    const [pack] = [...localPacks(r)].find(([, set]) => set.has(sha256(twin)))!;
    damagePacked(r, pack, sha256(twin), 10);
    const res = r.gr(['push'], { ok: [1] });
    expect(res.stderr).toMatch(new RegExp(`local object ${sha256(twin).slice(0, 12)} is corrupt`));
    const rep = checkV2(store);
    expect(rep.problems).toEqual([]);
    expect(rep.chunkedFiles.has(sha256(big))).toBe(true);
    expect(rep.objects.has(sha256(twin))).toBe(true); // as the chunk, packed again
    r.git(['push', '-q', '--no-verify', 'origin', 'main']);
    r.gr(['push', '--records']);
    const c = cloneOf(r, bare, 'clone');
    expect(c.read('data/big.bin').equals(big)).toBe(true);
    expect(c.read('data/a/a-twin.bin').equals(twin)).toBe(true);
  });
});
