/**
 * `gitrepro gc` (issue 14) on real repositories with hooks installed: what every kind of root
 * keeps (another branch, a tag, a stash, another worktree's HEAD and index, a reflog entry, what
 * `recover` can bring back, objects younger than the grace period), what goes (dry run first,
 * then for real, with equal counts and bytes), and on directory store remotes (v1 loose, v2
 * packs) that a ref of the Git remote this clone never fetched, or one pushed by another clone
 * while gc runs, keeps its data.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseKeep } from '../../src/ops/gc.js';
import { checkV2 } from '../helpers/v2.js';
import { addOrigin, cloneOf, dirRemoteObjects, project, sandboxOf } from '../helpers/remote.js';
import { createBucket, dropBucket, listKeys } from '../s3/admin.js';
import { s3TestEnv } from '../s3/env.js';
import { sha256, TestRepo } from '../helpers/repo.js';

/** Deterministic incompressible bytes. */
function bytes(n: number, seed: string): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0, off = 0; off < n; i++, off += 32) createHash('sha256').update(`${seed}-${i}`).digest().copy(out, off);
  return out;
}

/**
 * A branch `exp` with `files` committed (`subject`) and pushed, then deleted on the Git remote and
 * here, reflogs expired: its data is needed by no ref anywhere. Leaves `r` on main.
 */
function pushedThenDeleted(r: TestRepo, files: Record<string, Buffer>, subject: string): void {
  r.git(['checkout', '-q', '-b', 'exp']);
  for (const [p, b] of Object.entries(files)) r.write(p, b);
  r.commit(subject);
  r.git(['push', '-q', 'origin', 'exp']);
  r.git(['checkout', '-q', 'main']);
  r.git(['push', '-q', 'origin', '--delete', 'exp']);
  r.git(['branch', '-D', 'exp']);
  r.git(['reflog', 'expire', '--expire=now', '--all']);
}

const shas = (r: { objects: { sha256: string }[] }): string[] => r.objects.map((o) => o.sha256).sort();

describe('gc of the local store', () => {
  it('keeps what a branch, a tag, a stash, a worktree, a reflog entry and recover need; removes the rest; dry run and run agree', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.env.GITREPRO_SYNC_RECORDS = '1';
    const A1 = bytes(3000, 'a1');
    r.write('data/a.bin', A1);
    r.commit('main v1');
    // garbage: a branch that was deleted, its reflogs expired
    r.git(['checkout', '-q', '-b', 'old']);
    const O1 = bytes(5000, 'o1');
    r.write('data/o.bin', O1);
    r.commit('old data');
    const oldCommit = r.head();
    r.git(['checkout', '-q', 'main']);
    r.git(['branch', '-D', 'old']);
    r.git(['reflog', 'expire', '--expire=now', '--all']);
    // another branch
    r.git(['checkout', '-q', '-b', 'feature']);
    const F1 = bytes(4000, 'f1');
    r.write('data/f.bin', F1);
    r.commit('feature');
    // a tag (its branch deleted), whose data/a differs
    r.git(['checkout', '-q', '-b', 'tagged', 'main']);
    const T1 = bytes(3500, 't1');
    r.write('data/a.bin', T1);
    r.commit('tagged');
    r.git(['tag', '-a', '-m', 'release', 'v1']);
    r.git(['checkout', '-q', 'main']);
    r.git(['branch', '-D', 'tagged']);
    expect(r.read('data/a.bin').equals(A1)).toBe(true);
    // what recover can bring back: an unsaved edit replaced by a checkout
    const U1 = bytes(2500, 'u1');
    r.write('data/a.bin', U1);
    r.git(['checkout', '-q', 'v1']);
    r.git(['checkout', '-q', 'main']);
    expect(r.read('data/a.bin').equals(A1)).toBe(true);
    expect(r.grJson(['recover', '--list']).map((e: any) => e.sha256)).toContain(sha256(U1));
    // a stash: data stored and staged, stashed, the work tree back at HEAD's data
    const S1 = bytes(2000, 's1');
    r.write('data/s.bin', S1);
    r.gr(['add']);
    r.git(['stash', '-q']);
    r.gr(['restore']);
    expect(r.exists('data/s.bin')).toBe(false);
    // another worktree: a detached commit, and data staged there but not committed
    const wt = path.join(sandboxOf(r), 'wt2');
    r.git(['worktree', 'add', '-q', '--detach', wt]);
    const w = new TestRepo(wt, r.env);
    const W1 = bytes(2200, 'w1');
    w.write('data/w1.bin', W1);
    w.commit('detached in wt2');
    const W2 = bytes(2300, 'w2');
    w.write('data/w2.bin', W2);
    w.gr(['add']);
    // a reflog entry: a commit reset away
    const R1 = bytes(2100, 'r1');
    r.write('data/r.bin', R1);
    r.commit('reset away');
    r.git(['reset', '-q', '--hard', 'HEAD~1']);
    r.gr(['restore']);

    const keep = [A1, F1, T1, U1, S1, W1, W2, R1].map(sha256);
    for (const s of [...keep, sha256(O1)]) expect(existsSync(r.objectPath(s)), s).toBe(true);

    // the default grace period keeps everything just written
    const fresh = r.grJson(['gc', '--dry-run']);
    expect(fresh.removed).toEqual({ objects: 0, bytes: 0 });
    expect(fresh.kept.young).toBe(1);

    const dry = r.grJson(['gc', '--dry-run', '--keep', '0']);
    expect(dry.dryRun).toBe(true);
    expect(shas(dry)).toEqual([sha256(O1)]);
    expect(dry.removed).toEqual({ objects: 1, bytes: O1.length });
    expect(dry.objects[0].lastNeededBy.commit).toBe(oldCommit);
    expect(dry.objects[0].lastNeededBy.subject).toBe('old data');
    const human = r.gr(['gc', '--dry-run', '--keep', '0']).stdout;
    expect(human).toMatch(/would remove 1 object\(s\), 4\.9 KiB/);
    expect(human).toContain(`last needed by ${oldCommit.slice(0, 12)}`);
    expect(existsSync(r.objectPath(sha256(O1)))).toBe(true);

    const run = r.gr(['gc', '--keep', '0']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/removed 1 object\(s\), 4\.9 KiB; kept 8 \(8 needed, 0 younger than 0\)/);
    expect(existsSync(r.objectPath(sha256(O1)))).toBe(false);
    for (const s of keep) expect(existsSync(r.objectPath(s)), s).toBe(true);
    const again = r.grJson(['gc', '--keep', '0']);
    expect(again.removed).toEqual({ objects: 0, bytes: 0 });

    // the kept commits still restore their bytes
    r.git(['checkout', '-q', 'feature']);
    expect(r.read('data/f.bin').equals(F1)).toBe(true);
    r.git(['checkout', '-q', 'v1']);
    expect(r.read('data/a.bin').equals(T1)).toBe(true);
    r.git(['checkout', '-q', 'main']);
    r.gr(['recover', '--', 'data/a.bin']);
    expect(r.read('data/a.bin').equals(U1)).toBe(true);
    r.gr(['restore', '--force'], { ok: [0, 1, 2] });

    // once the stash is dropped and the reflogs expire, their data goes too
    r.git(['stash', 'drop', '-q']);
    r.git(['reflog', 'expire', '--expire=now', '--all']);
    const later = r.grJson(['gc', '--keep', '0', '--dry-run']);
    expect(shas(later)).toEqual([sha256(S1), sha256(R1)].sort());
    const done = r.grJson(['gc', '--keep', '0']);
    expect(done.removed).toEqual(later.removed);
    expect(existsSync(r.objectPath(sha256(S1)))).toBe(false);
    expect(existsSync(r.objectPath(sha256(W1)))).toBe(true);
    expect(existsSync(r.objectPath(sha256(W2)))).toBe(true);
  });

  it('refuses a --keep that is not a duration, with exit 2 and a hint', () => {
    const r = TestRepo.init({ track: ['data/'] });
    const bad = r.gr(['gc', '--keep', '14'], { ok: [2] });
    expect(bad.stderr).toMatch(/^error \[GITREPRO_USAGE\]: --keep "14" is not a duration/);
    expect(bad.stderr).toMatch(/hint: .*14d, 2w, 36h/);
    // a store shared with other repositories (gitrepro.cachedir) is not collected: their refs are unknown here
    r.git(['config', 'gitrepro.cachedir', '../shared-cache']);
    const shared = r.gr(['gc', '--dry-run'], { ok: [2] });
    expect(shared.stderr).toMatch(/^error \[GITREPRO_USAGE\]: the local store is a cache shared through gitrepro.cachedir/);
  });

  it('an old object nothing needs goes after the grace period; storing its bytes again makes it young (a commit in progress keeps it)', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.env.GITREPRO_SYNC_RECORDS = '1';
    r.write('data/keep.bin', bytes(1000, 'k'));
    r.commit('main');
    r.git(['checkout', '-q', '-b', 'tmp']);
    const X = bytes(1500, 'x');
    r.write('data/x.bin', X);
    r.commit('tmp');
    r.git(['checkout', '-q', 'main']);
    r.git(['branch', '-D', 'tmp']);
    r.git(['reflog', 'expire', '--expire=now', '--all']);
    const month = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(r.objectPath(sha256(X)), month, month);
    expect(shas(r.grJson(['gc', '--dry-run']))).toEqual([sha256(X)]);
    expect(r.grJson(['gc', '--dry-run', '--keep', '5w']).removed.objects).toBe(0);
    // the same bytes stored again (a commit being prepared): the object is young again
    r.write('data/again.bin', X);
    r.gr(['add']);
    expect(statSync(r.objectPath(sha256(X))).mtimeMs).toBeGreaterThan(month.getTime() + 86_400_000);
  });

  it('keeps the outputs a run not yet committed recorded (the run cache restores them)', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.env.GITREPRO_SYNC_RECORDS = '1';
    r.write('data/in.txt', 'input\n');
    r.commit('input');
    r.gr(['run', '-d', 'data/in.txt', '-o', 'data/out.txt', '--', 'sort data/in.txt > data/out.txt && echo made >> data/out.txt']);
    const out = sha256(r.read('data/out.txt'));
    expect(existsSync(r.objectPath(out))).toBe(true);
    // the output leaves the work tree and the staged snapshot: only the pending run names it
    rmSync(r.path('data/out.txt'));
    r.gr(['add']);
    const dry = r.grJson(['gc', '--dry-run', '--keep', '0']);
    expect(shas(dry)).not.toContain(out);
    r.gr(['gc', '--keep', '0']);
    expect(existsSync(r.objectPath(out))).toBe(true);
  });

  it('parses --keep durations', () => {
    expect(parseKeep('14d')).toBe(14 * 86_400_000);
    expect(parseKeep('2w')).toBe(14 * 86_400_000);
    expect(parseKeep('36h')).toBe(36 * 3_600_000);
    expect(parseKeep('90m')).toBe(90 * 60_000);
    expect(parseKeep('0')).toBe(0);
    for (const bad of ['14', '1y', '-1d', '', 'd']) expect(() => parseKeep(bad), bad).toThrow(/not a duration/);
  });
});

describe('gc of a store remote', () => {
  it('v1: keeps what a ref of the Git remote needs that this clone never fetched, removes what none needs; writes the list', () => {
    const { r, bare, store } = project({ format: 1 });
    const M1 = bytes(3000, 'm1');
    r.write('data/m.bin', M1);
    r.commit('main');
    r.git(['push', '-q', 'origin', 'main']);
    const E1 = bytes(4000, 'e1');
    pushedThenDeleted(r, { 'data/e.bin': E1 }, 'exp');
    // another clone pushes a branch this clone never fetches
    const b = cloneOf(r, bare, 'b');
    b.env.GITREPRO_SYNC_RECORDS = '1';
    b.git(['checkout', '-q', '-b', 'b-feature']);
    const B1 = bytes(3300, 'b1');
    b.write('data/b.bin', B1);
    b.commit('b feature');
    b.git(['push', '-q', 'origin', 'b-feature']);
    expect(r.git(['branch', '-a']).stdout).not.toMatch(/b-feature/);
    for (const s of [M1, E1, B1].map(sha256)) expect(dirRemoteObjects(store).get(s)).toBe(true);

    const fresh = r.grJson(['gc', '--remote', 'store', '--dry-run']);
    expect(fresh.removed.objects).toBe(0);
    const dry = r.grJson(['gc', '--remote', 'store', '--keep', '0', '--dry-run']);
    expect(shas(dry)).toEqual([sha256(E1)]);
    expect(dry.removed.bytes).toBe(E1.length);
    expect(dry.remote).toMatchObject({ name: 'store', gitRemote: 'origin' });
    expect(dry.objects[0].lastNeededBy.subject).toBe('exp');
    const run = r.gr(['gc', '--remote', 'store', '--keep', '0']);
    expect(run.stdout).toMatch(/removed 1 object\(s\), 3\.9 KiB/);
    const list = /list of what was removed: (.*)$/m.exec(run.stdout)![1]!;
    expect(readFileSync(list, 'utf8')).toContain(`${sha256(E1)} ${E1.length} loose`);
    const left = dirRemoteObjects(store);
    expect(left.has(sha256(E1))).toBe(false);
    expect(left.get(sha256(M1))).toBe(true);
    expect(left.get(sha256(B1))).toBe(true);
    // gc's copies of the remote refs are gone; a fresh clone restores both branches
    expect(r.git(['for-each-ref', 'refs/gitrepro-gc/']).stdout).toBe('');
    const c = cloneOf(r, bare, 'c');
    expect(c.read('data/m.bin').equals(M1)).toBe(true);
    c.git(['checkout', '-q', 'b-feature']);
    expect(c.read('data/b.bin').equals(B1)).toBe(true);
  });

  it('v1: a push from another clone between the plan and the removal keeps the data it needs (gc plans again)', () => {
    const { r, bare, store } = project({ format: 1 });
    r.write('data/m.bin', bytes(3000, 'm1'));
    r.commit('main');
    r.git(['push', '-q', 'origin', 'main']);
    const E1 = bytes(4000, 'e1');
    pushedThenDeleted(r, { 'data/e.bin': E1 }, 'exp');
    // another clone commits E1's bytes again; its push will find E1 on the remote and not upload it
    const b = cloneOf(r, bare, 'b');
    b.env.GITREPRO_SYNC_RECORDS = '1';
    b.git(['checkout', '-q', '-b', 'late']);
    b.write('data/again.bin', E1);
    b.commit('late');
    expect(shas(r.grJson(['gc', '--remote', 'store', '--keep', '0', '--dry-run']))).toEqual([sha256(E1)]);

    const seam = `cd '${b.dir}' && git push -q origin late`;
    const res = JSON.parse(r.gr(['gc', '--remote', 'store', '--keep', '0', '--json'], { env: { GITREPRO_TEST_GC_BEFORE_RECHECK: seam } }).stdout);
    expect(res.remote.rounds).toBe(2);
    expect(res.removed).toEqual({ objects: 0, bytes: 0 });
    expect(dirRemoteObjects(store).get(sha256(E1))).toBe(true);
    const c = cloneOf(r, bare, 'c');
    c.git(['checkout', '-q', 'late']);
    expect(c.read('data/again.bin').equals(E1)).toBe(true);
    // a remote that moves in every round: nothing is removed, exit 75 (try again later)
    const busy = `cd '${b.dir}' && git commit -q --allow-empty -m more && git push -q origin late`;
    const gave = r.gr(['gc', '--remote', 'store', '--keep', '0'], { env: { GITREPRO_TEST_GC_BEFORE_RECHECK: busy }, ok: [75] });
    expect(gave.stderr).toMatch(/^error \[GITREPRO_REMOTE_BUSY\]: the refs of git remote "origin" moved during each of 3 rounds of gc: nothing was removed/);
  });

  it('v2: a pack of garbage only is removed, a pack partly garbage rewritten with what stays, an old unindexed pack removed', () => {
    const { r, bare, store } = project();
    const v1 = Array.from({ length: 20 }, (_, i) => bytes(3000 + i, `s${i}`));
    v1.forEach((b, i) => r.write(`data/s${i}.bin`, b));
    r.commit('main v1');
    r.git(['push', '-q', 'origin', 'main']);
    // 5 files changed in an amended commit, force-pushed: their old versions are garbage inside the first pack
    const v2 = Array.from({ length: 5 }, (_, i) => bytes(3100 + i, `t${i}`));
    v2.forEach((b, i) => r.write(`data/s${i}.bin`, b));
    r.gr(['add']);
    r.git(['add', '-A']);
    r.git(['commit', '-q', '--amend', '-m', 'main v1b']);
    r.git(['push', '-q', '-f', 'origin', 'main']);
    // a branch pushed, then deleted: its pack holds garbage only
    const ex = Array.from({ length: 3 }, (_, i) => bytes(2000 + i, `x${i}`));
    pushedThenDeleted(r, Object.fromEntries(ex.map((b, i) => [`data/x${i}.bin`, b])), 'exp');
    // a pack no index names (a push killed between pack and index)
    const orphan = bytes(1000, 'orphan');
    writeFileSync(path.join(store, 'packs', `${sha256(orphan)}.pack`), orphan);
    const before = checkV2(store);
    expect(before.problems).toEqual([]);
    expect([before.indexes, before.orphanPacks]).toEqual([3, 1]);

    const garbage = [...v1.slice(0, 5), ...ex];
    const dry = r.grJson(['gc', '--remote', 'store', '--keep', '0', '--dry-run']);
    expect(shas(dry)).toEqual(garbage.map(sha256).sort());
    expect(dry.removed.bytes).toBe(garbage.reduce((n, b) => n + b.length, 0) + orphan.length);
    expect(dry.packs).toEqual({ removed: 1, rewritten: 1, orphans: 1, damagedIndexes: 0 });
    const run = r.grJson(['gc', '--remote', 'store', '--keep', '0']);
    expect(run.removed).toEqual(dry.removed);
    const after = checkV2(store);
    expect(after.problems).toEqual([]);
    expect(after.orphanPacks).toBe(0);
    expect([...after.objects].sort()).toEqual([...v2, ...v1.slice(5)].map(sha256).sort());
    const c = cloneOf(r, bare, 'c');
    expect(c.manifest()).toEqual(r.manifest());
    expect(r.grJson(['gc', '--remote', 'store', '--keep', '0']).removed).toEqual({ objects: 0, bytes: 0 });
  });

  it('v2: a big file someone needs keeps its chunk list and every chunk, also those it shares with a big file that goes', () => {
    const MiB = 1 << 20;
    const { r, bare, store } = project();
    const K = bytes(10 * MiB, 'keep');
    r.write('data/k.bin', K);
    r.commit('keep');
    r.git(['push', '-q', 'origin', 'main']);
    const D = Buffer.from(K);
    bytes(64 * 1024, 'edit').copy(D, 5 * MiB);
    pushedThenDeleted(r, { 'data/k.bin': D }, 'edit in the middle');
    expect(checkV2(store).chunkedFiles).toEqual(new Set([sha256(K), sha256(D)]));
    const dry = r.grJson(['gc', '--remote', 'store', '--keep', '0', '--dry-run']);
    expect(shas(dry)).toContain(sha256(D));
    expect(shas(dry)).not.toContain(sha256(K));
    // only the chunks around the edit and the chunk list go, not the 10 MiB they share with K
    expect(dry.removed.bytes).toBeGreaterThan(0);
    expect(dry.removed.bytes).toBeLessThan(2 * MiB);
    const run = r.grJson(['gc', '--remote', 'store', '--keep', '0']);
    expect(run.removed).toEqual(dry.removed);
    const after = checkV2(store);
    expect(after.problems).toEqual([]);
    expect(after.chunkedFiles).toEqual(new Set([sha256(K)]));
    const c = cloneOf(r, bare, 'c');
    expect(c.read('data/k.bin').equals(K)).toBe(true);
  });
});

const s3 = s3TestEnv();

describe.skipIf(!s3.ok)('gc of an S3 store remote (radosgw)', () => {
  const env = s3.ok ? s3.env : ({} as never);
  const buckets: string[] = [];
  afterAll(async () => {
    for (const b of buckets) await dropBucket(env, b);
  }, 120_000);
  const PREFIX = 'gc/proj';

  it.each([1, 2] as const)('format v%i: removes what no ref of the Git remote needs, keeps the rest; a clone restores', async (format) => {
    const bucket = await createBucket(env);
    buckets.push(bucket);
    const r = TestRepo.init({ track: ['data/'] });
    Object.assign(r.env, { AWS_ACCESS_KEY_ID: env.key, AWS_SECRET_ACCESS_KEY: env.secret, AWS_REGION: env.region, GITREPRO_SYNC_RECORDS: '1' });
    delete r.env.AWS_PROFILE;
    r.gr(['remote', 'add', 'ceph', `s3://${bucket}/${PREFIX}`, '--endpoint', env.endpoint, '--default', '--format', String(format)]);
    const bare = addOrigin(r);
    const M1 = bytes(3000, 'm1');
    r.write('data/m.bin', M1);
    r.commit('main');
    r.git(['push', '-q', 'origin', 'main']);
    const E1 = bytes(4000, 'e1');
    pushedThenDeleted(r, { 'data/e.bin': E1 }, 'exp');
    const before = await listKeys(env, bucket, `${PREFIX}/`);
    expect(r.grJson(['gc', '--remote', 'ceph', '--dry-run']).removed.objects).toBe(0);
    const dry = r.grJson(['gc', '--remote', 'ceph', '--keep', '0', '--dry-run']);
    expect(shas(dry)).toEqual([sha256(E1)]);
    const run = r.grJson(['gc', '--remote', 'ceph', '--keep', '0']);
    expect(run.removed).toEqual({ objects: 1, bytes: E1.length });
    const after = await listKeys(env, bucket, `${PREFIX}/`);
    if (format === 1) {
      const key = (s: string): string => `${PREFIX}/objects/${s.slice(0, 2)}/${s.slice(2, 4)}/${s}`;
      expect(before).toContain(key(sha256(E1)));
      expect(after).not.toContain(key(sha256(E1)));
      expect(after).toContain(key(sha256(M1)));
    } else {
      // one pack and its index fewer
      expect(before.filter((k) => k.includes('/packs/')).length).toBe(2);
      expect(after.filter((k) => k.includes('/packs/')).length).toBe(1);
      expect(after.filter((k) => k.includes('/index/')).length).toBe(1);
    }
    const c = cloneOf(r, bare, 'c');
    expect(c.read('data/m.bin').equals(M1)).toBe(true);
  });
});
