/**
 * One contract for every store remote (STYLE §10; DVC's remote_tests.py), run in both formats
 * (v1: loose objects; v2: packs, indexes and chunked big files) against:
 *   (a) a directory remote on the filesystem of the local store (hard links),
 *   (b) a directory remote on another filesystem, /dev/shm (copies),
 *   (c) the S3 remote against a real Ceph radosgw (test/s3/rgw.sh), in a fresh bucket.
 * Plus the per-backend behaviour the contract cannot state generically (links, read-only files,
 * S3 error mapping without leaking credentials).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile, open } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitreproError } from '../../src/errors.js';
import { LocalStore } from '../../src/store/local.js';
import { DirRemote } from '../../src/store/remote-dir.js';
import { openRemote, parseRemoteUrl } from '../../src/store/backends.js';
import type { PackedRemote } from '../../src/store/remote-packed.js';
import type { ObjectRef, Remote } from '../../src/store/types.js';
import { s3TestEnv } from '../s3/env.js';

interface Harness {
  remote: Remote;
  /** replaces the bytes stored under the object's key (v2: its range of its pack), bypassing the remote */
  corrupt(sha: string, bytes: Buffer): Promise<void>;
}

/**
 * Damages object `sha` inside its pack (format v2): same-size bytes overwrite its range; other
 * bytes replace its range and cut the pack there (a truncated pack). `rw` reads and writes a
 * pack file behind the remote's back.
 */
async function corruptInPack(remote: PackedRemote, sha: string, bytes: Buffer, rw: { read(key: string): Promise<Buffer>; write(key: string, b: Buffer): Promise<void> }): Promise<void> {
  const loc = (await remote.locate(sha)).blobs[0];
  if (!loc) throw new Error(`${sha} is in no pack`);
  const key = `packs/${loc.pack}.pack`;
  const pack = await rw.read(key);
  const out = bytes.length === loc.length ? Buffer.concat([pack.subarray(0, loc.offset), bytes, pack.subarray(loc.offset + loc.length)]) : Buffer.concat([pack.subarray(0, loc.offset), bytes]);
  await rw.write(key, out);
}

interface Fixture {
  store: LocalStore;
  small: ObjectRef;
  empty: ObjectRef;
  big?: ObjectRef;
}

const MiB = 1 << 20;
const absent = (): string => randomBytes(32).toString('hex');

async function expectCode(p: Promise<unknown>, code: string): Promise<GitreproError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `expected ${code}`).toBeInstanceOf(GitreproError);
  expect((e as GitreproError).code, (e as Error).message).toBe(code);
  return e as GitreproError;
}

/** Writes `size` random bytes in 8 MiB pieces (no 100 MiB buffer) and ingests the file. */
async function ingestRandom(store: LocalStore, dir: string, size: number): Promise<ObjectRef> {
  const f = path.join(dir, `rand-${size}`);
  const fh = await open(f, 'w');
  for (let left = size; left > 0; left -= 8 * MiB) await fh.write(randomBytes(Math.min(left, 8 * MiB)));
  await fh.close();
  const r = await store.ingestFile(f);
  await rm(f);
  return { sha256: r.sha256, size: r.size };
}

async function makeFixture(big: boolean): Promise<{ fx: Fixture; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gr-contract-'));
  const store = new LocalStore(path.join(dir, 'state'));
  const fx: Fixture = {
    store,
    small: await ingestRandom(store, dir, 4321),
    empty: await ingestRandom(store, dir, 0),
  };
  if (big) fx.big = await ingestRandom(store, dir, 100 * MiB);
  return { fx, dir };
}

async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('.gitrepro-tmp'));
}

/** The shared contract. `make` opens a fresh, empty remote. */
function remoteContract(label: string, make: () => Promise<Harness>, opts: { big: boolean; skip?: string }): void {
  describe.skipIf(opts.skip !== undefined)(`remote contract: ${label}`, () => {
    let h: Harness;
    let fx: Fixture;
    let dir: string;
    let out: string;

    beforeAll(async () => {
      ({ fx, dir } = await makeFixture(opts.big));
      out = path.join(dir, 'out');
      h = await make();
      await h.remote.check();
    }, 120_000);
    afterAll(async () => {
      await h?.remote.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const refs = (): [string, ObjectRef][] => [['small', fx.small], ['empty (0 bytes)', fx.empty], ...(fx.big ? [['100 MiB (multipart)', fx.big] as [string, ObjectRef]] : [])];

    it('put, then has, then get returns identical bytes', async () => {
      for (const [what, ref] of refs()) {
        let moved = 0;
        await h.remote.put(ref, fx.store.objectPath(ref.sha256), { onBytes: (n) => (moved += n) });
        expect(moved, what).toBe(ref.size);
        expect(await h.remote.has([ref.sha256]), what).toEqual(new Set([ref.sha256]));
        const dest = path.join(out, what.replace(/\W/g, '_'));
        await h.remote.get(ref, dest);
        const [a, b] = await Promise.all([readFile(dest), readFile(fx.store.objectPath(ref.sha256))]);
        expect(a.equals(b), what).toBe(true);
        expect((await stat(dest)).mode & 0o222, `${what}: downloaded object is read-only`).toBe(0);
      }
    }, 180_000);

    it('has() leaves out absent ids, in small batches (HEAD) and large ones (listing)', async () => {
      const none = [absent(), absent()];
      expect(await h.remote.has(none)).toEqual(new Set());
      expect(await h.remote.has([])).toEqual(new Set());
      const many = [fx.small.sha256, ...Array.from({ length: 2000 }, absent)];
      expect(await h.remote.has(many)).toEqual(new Set([fx.small.sha256]));
    }, 60_000);

    it('get of a missing object fails with GITREPRO_OBJECT_MISSING and writes nothing', async () => {
      const dest = path.join(out, 'missing');
      await expectCode(h.remote.get({ sha256: absent(), size: 3 }, dest), 'GITREPRO_OBJECT_MISSING');
      await expect(stat(dest)).rejects.toThrow();
      expect(await leftovers(out)).toEqual([]);
    });

    it('get of a corrupted object fails with GITREPRO_OBJECT_CORRUPT and leaves no file', async () => {
      const ref = await ingestRandom(fx.store, dir, 1000);
      await h.remote.put(ref, fx.store.objectPath(ref.sha256));
      const dest = path.join(out, 'corrupt');
      // same size, other bytes: only the hash can tell
      await h.corrupt(ref.sha256, randomBytes(1000));
      await expectCode(h.remote.get(ref, dest), 'GITREPRO_OBJECT_CORRUPT');
      await expect(stat(dest)).rejects.toThrow();
      expect(await leftovers(out)).toEqual([]);
      // another size: caught by the length
      await h.corrupt(ref.sha256, Buffer.from('truncated'));
      await expectCode(h.remote.get(ref, dest), 'GITREPRO_OBJECT_CORRUPT');
      await expect(stat(dest)).rejects.toThrow();
      expect(await leftovers(out)).toEqual([]);
      // a later put repairs the damaged copy
      await h.remote.put(ref, fx.store.objectPath(ref.sha256));
      await h.remote.get(ref, dest);
      expect((await readFile(dest)).equals(await readFile(fx.store.objectPath(ref.sha256)))).toBe(true);
    }, 60_000);

    it('put is idempotent', async () => {
      await h.remote.put(fx.small, fx.store.objectPath(fx.small.sha256));
      await h.remote.put(fx.small, fx.store.objectPath(fx.small.sha256));
      expect(await h.remote.has([fx.small.sha256])).toEqual(new Set([fx.small.sha256]));
      const dest = path.join(out, 'again');
      await h.remote.get(fx.small, dest);
      expect((await stat(dest)).size).toBe(fx.small.size);
    });

    it('put refuses a local object that does not match its id', async () => {
      const bogus = path.join(dir, 'bogus');
      await writeFile(bogus, 'not what the id says', { mode: 0o444 });
      const ref = { sha256: absent(), size: 20 };
      await expectCode(h.remote.put(ref, bogus), 'GITREPRO_OBJECT_CORRUPT');
      expect(await h.remote.has([ref.sha256])).toEqual(new Set());
    });

    it('delete removes objects and ignores absent ones', async () => {
      const ref = await ingestRandom(fx.store, dir, 77);
      await h.remote.put(ref, fx.store.objectPath(ref.sha256));
      await h.remote.delete([ref.sha256, absent()]);
      expect(await h.remote.has([ref.sha256])).toEqual(new Set());
      await expectCode(h.remote.get(ref, path.join(out, 'deleted')), 'GITREPRO_OBJECT_MISSING');
      expect(await fx.store.has(ref.sha256)).toBe(true); // the local copy is untouched
    });
  });
}

// ---- (a), (b): directory remotes -------------------------------------------------------------

const dirHarness = (base: () => string, format: 1 | 2) => async (): Promise<Harness> => {
  const remote = await openRemote('dir', { url: path.join(base(), `remote-${randomBytes(4).toString('hex')}`), format });
  const dir = remote.backend as DirRemote;
  // A new file under the same name: writing in place would also change a hard-linked source.
  const replace = async (p: string, bytes: Buffer): Promise<void> => {
    await rm(p, { force: true });
    await writeFile(p, bytes);
  };
  return {
    remote,
    corrupt: async (sha, bytes) => {
      if (format === 1) return replace(dir.objectPath(sha), bytes);
      await corruptInPack(remote, sha, bytes, { read: (k) => readFile(dir.filePath(k)), write: (k, b) => replace(dir.filePath(k), b) });
    },
  };
};

let dirBase = '';
let shmBase = '';
beforeAll(async () => {
  dirBase = await mkdtemp(path.join(tmpdir(), 'gr-dirremote-'));
  if (await isOtherFs('/dev/shm')) shmBase = await mkdtemp('/dev/shm/gr-dirremote-');
});
afterAll(async () => {
  for (const d of [dirBase, shmBase]) if (d) await rm(d, { recursive: true, force: true });
});

async function isOtherFs(p: string): Promise<boolean> {
  try {
    return (await stat(p)).dev !== (await stat(tmpdir())).dev;
  } catch {
    return false;
  }
}
const shmSkip = (await isOtherFs('/dev/shm')) ? undefined : 'no /dev/shm on another filesystem';

for (const format of [1, 2] as const) {
  remoteContract(`v${format}, directory, same filesystem (hard links)`, dirHarness(() => dirBase, format), { big: format === 2 });
  remoteContract(`v${format}, directory, other filesystem (/dev/shm, copies)`, dirHarness(() => shmBase, format), { big: false, skip: shmSkip });
}

describe('directory remote specifics', () => {
  let dir: string;
  let store: LocalStore;
  let ref: ObjectRef;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gr-dirspec-'));
    store = new LocalStore(path.join(dir, 'state'));
    ref = await ingestRandom(store, dir, 5000);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('hard-links on the same filesystem; the object is read-only', async () => {
    const remote = new DirRemote('r', path.join(dir, 'same'));
    await remote.put(ref, store.objectPath(ref.sha256));
    const [a, b] = await Promise.all([stat(remote.objectPath(ref.sha256)), stat(store.objectPath(ref.sha256))]);
    expect(a.ino).toBe(b.ino);
    expect(a.mode & 0o222).toBe(0);
  });

  it('copies when the source is writable (a link would share its future edits)', async () => {
    const src = path.join(dir, 'writable');
    await writeFile(src, await readFile(store.objectPath(ref.sha256)), { mode: 0o644 });
    const remote = new DirRemote('r', path.join(dir, 'writable-src'));
    await remote.put(ref, src);
    const a = await stat(remote.objectPath(ref.sha256));
    expect(a.ino).not.toBe((await stat(src)).ino);
    expect(a.mode & 0o222).toBe(0);
  });

  it.skipIf(shmSkip !== undefined)('copies across filesystems, read-only, no temp files left', async () => {
    const root = await mkdtemp('/dev/shm/gr-dirspec-');
    try {
      const remote = new DirRemote('r', path.join(root, 'store'));
      await remote.put(ref, store.objectPath(ref.sha256));
      const a = await stat(remote.objectPath(ref.sha256));
      expect(a.ino).not.toBe((await stat(store.objectPath(ref.sha256))).ino);
      expect(a.mode & 0o222).toBe(0);
      expect(await readdir(path.join(root, 'store', 'tmp'))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a missing directory is an empty remote that the first put creates', async () => {
    const remote = new DirRemote('r', path.join(dir, 'new-remote'));
    await remote.check();
    expect(await remote.has([ref.sha256])).toEqual(new Set());
    await expectCode(remote.get(ref, path.join(dir, 'o1')), 'GITREPRO_OBJECT_MISSING');
    await remote.put(ref, store.objectPath(ref.sha256));
    expect(await remote.has([ref.sha256])).toEqual(new Set([ref.sha256]));
  });

  it('does not create missing parents (unmounted share, typo)', async () => {
    const remote = new DirRemote('r', path.join(dir, 'no', 'such', 'parent'));
    await expectCode(remote.check(), 'GITREPRO_REMOTE_UNREACHABLE');
    await expectCode(remote.put(ref, store.objectPath(ref.sha256)), 'GITREPRO_REMOTE_UNREACHABLE');
    await expect(stat(path.join(dir, 'no'))).rejects.toThrow();
  });

  it('a file where the directory should be is GITREPRO_REMOTE_INVALID', async () => {
    await writeFile(path.join(dir, 'afile'), 'x');
    await expectCode(new DirRemote('r', path.join(dir, 'afile')).check(), 'GITREPRO_REMOTE_INVALID');
  });

  // root ignores permission bits, so this can only be shown as an ordinary user.
  it.skipIf(process.getuid?.() === 0)('permission errors are GITREPRO_REMOTE_DENIED', async () => {
    const root = path.join(dir, 'locked');
    const remote = new DirRemote('r', root);
    await remote.put(ref, store.objectPath(ref.sha256));
    await chmod(root, 0o555);
    try {
      const other = await ingestRandom(store, dir, 10);
      await expectCode(remote.put(other, store.objectPath(other.sha256)), 'GITREPRO_REMOTE_DENIED');
    } finally {
      await chmod(root, 0o755);
    }
  });
});

// ---- remote urls ------------------------------------------------------------------------------

describe('remote urls', () => {
  it('parses directory paths, file:// urls and s3:// urls', () => {
    expect(parseRemoteUrl('../store')).toEqual({ kind: 'dir', path: '../store' });
    expect(parseRemoteUrl('/srv/store')).toEqual({ kind: 'dir', path: '/srv/store' });
    expect(parseRemoteUrl('file:///srv/store')).toEqual({ kind: 'dir', path: '/srv/store' });
    expect(parseRemoteUrl('s3://bucket')).toEqual({ kind: 's3', bucket: 'bucket', prefix: '' });
    expect(parseRemoteUrl('s3://bucket/')).toEqual({ kind: 's3', bucket: 'bucket', prefix: '' });
    expect(parseRemoteUrl('s3://bucket//a/b/')).toEqual({ kind: 's3', bucket: 'bucket', prefix: 'a/b' });
  });

  it('rejects what it cannot serve, with a hint and without credentials', () => {
    for (const url of ['', 'https://user:hunter2@example.com/x', 'ssh://host/x', 'git@host:store', 'file://otherhost/x', 's3://', 's3://AKIAX:hunter2@bucket/p', 's3://b/../x']) {
      let err: unknown;
      try {
        parseRemoteUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err, url).toBeInstanceOf(GitreproError);
      const g = err as GitreproError;
      expect(g.code).toBe('GITREPRO_REMOTE_INVALID');
      expect(g.hint, url).toBeTruthy();
      expect(`${g.message} ${g.hint}`).not.toContain('hunter2');
    }
  });

  it('resolves relative directory paths against cwd, and refuses an endpoint on them', async () => {
    const r = await openRemote('d', { url: 'store' }, { cwd: '/srv/proj' });
    expect(r.display).toBe('/srv/proj/store');
    await expectCode(openRemote('d', { url: 'store', endpoint: 'http://127.0.0.1:1' }), 'GITREPRO_REMOTE_INVALID');
    await expectCode(openRemote('s', { url: 's3://b', endpoint: 'ftp://x' }), 'GITREPRO_REMOTE_INVALID');
    await expectCode(openRemote('s', { url: 's3://b', endpoint: 'http://k:secret@127.0.0.1:1' }), 'GITREPRO_REMOTE_INVALID');
  });

  it('keeps the S3 SDK out of every module but remote-s3 (loaded lazily)', async () => {
    const dirOf = path.join(import.meta.dirname, '../../src/store');
    for (const f of await readdir(dirOf)) {
      if (f === 'remote-s3.ts') continue;
      const src = await readFile(path.join(dirOf, f), 'utf8');
      expect(src, f).not.toMatch(/from ['"]@aws-sdk|import ['"]@aws-sdk/);
      expect(src, f).not.toMatch(/^import[^;]*['"]\.\/remote-s3\.js['"]/m);
    }
  });
});

// ---- (c): S3 against radosgw --------------------------------------------------------------------

const s3 = s3TestEnv();
if (!s3.ok) {
  console.warn(`\n${'!'.repeat(78)}\n!! S3 REMOTE TESTS SKIPPED: ${s3.reason}\n${'!'.repeat(78)}\n`);
}

type S3Mod = typeof import('@aws-sdk/client-s3');
async function sdk(): Promise<{ m: S3Mod; admin: InstanceType<S3Mod['S3Client']> }> {
  const m = await import('@aws-sdk/client-s3');
  if (!s3.ok) throw new Error('no S3');
  const admin = new m.S3Client({
    endpoint: s3.env.endpoint,
    region: s3.env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.env.key, secretAccessKey: s3.env.secret },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return { m, admin };
}

function s3Env(key: string, secret: string): NodeJS.ProcessEnv {
  return { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret };
}

async function freshBucket(): Promise<string> {
  const { m, admin } = await sdk();
  const bucket = `gr-test-${Date.now()}-${randomBytes(3).toString('hex')}`;
  await admin.send(new m.CreateBucketCommand({ Bucket: bucket }));
  admin.destroy();
  return bucket;
}

async function dropBucket(bucket: string): Promise<void> {
  const { m, admin } = await sdk();
  try {
    for (;;) {
      const r = await admin.send(new m.ListObjectsV2Command({ Bucket: bucket }));
      const keys = (r.Contents ?? []).map((c) => ({ Key: c.Key! }));
      if (keys.length === 0) break;
      await admin.send(new m.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    }
    await admin.send(new m.DeleteBucketCommand({ Bucket: bucket }));
  } catch {
    // best effort: the server keeps its data in memory only
  } finally {
    admin.destroy();
  }
}

const s3Buckets: string[] = [];
afterAll(async () => {
  for (const b of s3Buckets) await dropBucket(b);
}, 120_000);

for (const format of [1, 2] as const) {
  remoteContract(
    `v${format}, S3 on Ceph radosgw`,
    async () => {
      if (!s3.ok) throw new Error('unreachable');
      const bucket = await freshBucket();
      s3Buckets.push(bucket);
      const remote = await openRemote('s3', { url: `s3://${bucket}/team/proj`, endpoint: s3.env.endpoint, region: s3.env.region, format }, { env: s3Env(s3.env.key, s3.env.secret) });
      const put = async (Key: string, Body: Buffer): Promise<void> => {
        const { m, admin } = await sdk();
        await admin.send(new m.PutObjectCommand({ Bucket: bucket, Key, Body }));
        admin.destroy();
      };
      const get = async (Key: string): Promise<Buffer> => {
        const { m, admin } = await sdk();
        const r = await admin.send(new m.GetObjectCommand({ Bucket: bucket, Key }));
        const b = Buffer.from(await r.Body!.transformToByteArray());
        admin.destroy();
        return b;
      };
      return {
        remote,
        corrupt: async (sha, bytes) => {
          if (format === 1) return put(`team/proj/objects/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`, bytes);
          await corruptInPack(remote, sha, bytes, { read: (k) => get(`team/proj/${k}`), write: (k, b) => put(`team/proj/${k}`, b) });
        },
      };
    },
    { big: true, skip: s3.ok ? undefined : s3.reason },
  );
}

describe.skipIf(!s3.ok)('S3 remote specifics (radosgw)', () => {
  const env = s3.ok ? s3.env : ({} as never);
  let bucket: string;
  let dir: string;
  let store: LocalStore;
  let ref: ObjectRef;
  const open = (e: NodeJS.ProcessEnv, b = bucket, endpoint = env.endpoint, url = `s3://${b}`): Promise<Remote> => openRemote('origin', { url, endpoint, region: env.region, format: 1 }, { env: e });

  beforeAll(async () => {
    bucket = await freshBucket();
    s3Buckets.push(bucket);
    dir = await mkdtemp(path.join(tmpdir(), 'gr-s3spec-'));
    store = new LocalStore(path.join(dir, 'state'));
    ref = await ingestRandom(store, dir, 2048);
  }, 60_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('keys objects as <prefix>/objects/aa/bb/<sha256> (no leading slash) with sha256 metadata', async () => {
    const { m, admin } = await sdk();
    for (const [url, key] of [
      [`s3://${bucket}`, `objects/${ref.sha256.slice(0, 2)}/${ref.sha256.slice(2, 4)}/${ref.sha256}`],
      [`s3://${bucket}/p/q/`, `p/q/objects/${ref.sha256.slice(0, 2)}/${ref.sha256.slice(2, 4)}/${ref.sha256}`],
    ] as const) {
      const r = await open(s3Env(env.key, env.secret), bucket, env.endpoint, url);
      await r.put(ref, store.objectPath(ref.sha256));
      const head = await admin.send(new m.HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength).toBe(ref.size);
      expect(head.Metadata?.sha256).toBe(ref.sha256);
      await r.close();
    }
    admin.destroy();
  });

  it('uploads objects above 16 MiB in parts, and checks the source hash of a multipart upload', async () => {
    const { m, admin } = await sdk();
    const r = await open(s3Env(env.key, env.secret));
    const big = await ingestRandom(store, dir, 20 * MiB);
    await r.put(big, store.objectPath(big.sha256));
    const head = await admin.send(new m.HeadObjectCommand({ Bucket: bucket, Key: `objects/${big.sha256.slice(0, 2)}/${big.sha256.slice(2, 4)}/${big.sha256}` }));
    expect(head.ETag).toMatch(/-2"$/); // a multipart ETag names its part count
    const bogus = path.join(dir, 'bogus-big');
    await writeFile(bogus, randomBytes(17 * MiB), { mode: 0o444 });
    const ref = { sha256: absent(), size: 17 * MiB };
    await expectCode(r.put(ref, bogus), 'GITREPRO_OBJECT_CORRUPT');
    expect(await r.has([ref.sha256])).toEqual(new Set()); // what was uploaded is deleted again
    admin.destroy();
    await r.close();
  }, 60_000);

  it('wrong secret: GITREPRO_REMOTE_AUTH, and neither the secret nor the key id is shown', async () => {
    const secret = 'Wr0ngSecretSentinel/abc+123';
    const r = await open(s3Env(env.key, secret));
    for (const op of [() => r.check(), () => r.has([ref.sha256]), () => r.put(ref, store.objectPath(ref.sha256)), () => r.get(ref, path.join(dir, 'x'))]) {
      const e = await expectCode(op(), 'GITREPRO_REMOTE_AUTH');
      const shown = `${e.message}\n${e.hint}\n${JSON.stringify(e.data)}\n${e.stack}\n${String(e.cause ?? '')}`;
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(env.key);
      expect(e.message).not.toContain('\n');
      expect(e.hint).toMatch(/AWS_ACCESS_KEY_ID/);
    }
    await r.close();
  });

  it('unknown key id: GITREPRO_REMOTE_AUTH without the key id', async () => {
    const r = await open(s3Env('NOSUCHKEYID123', env.secret));
    const e = await expectCode(r.check(), 'GITREPRO_REMOTE_AUTH');
    expect(`${e.message} ${e.hint} ${JSON.stringify(e.data)}`).not.toContain('NOSUCHKEYID123');
    await r.close();
  });

  it('unreachable endpoint: GITREPRO_REMOTE_UNREACHABLE within seconds', async () => {
    const port = await closedPort();
    const r = await open(s3Env(env.key, env.secret), bucket, `http://127.0.0.1:${port}`);
    const t0 = Date.now();
    await expectCode(r.check(), 'GITREPRO_REMOTE_UNREACHABLE');
    await expectCode(r.has([ref.sha256]), 'GITREPRO_REMOTE_UNREACHABLE');
    expect(Date.now() - t0).toBeLessThan(8_000);
    await r.close();
  });

  it('missing bucket: GITREPRO_REMOTE_NO_BUCKET', async () => {
    const r = await open(s3Env(env.key, env.secret), `gr-nope-${Date.now()}`);
    await expectCode(r.check(), 'GITREPRO_REMOTE_NO_BUCKET');
    await expectCode(r.put(ref, store.objectPath(ref.sha256)), 'GITREPRO_REMOTE_NO_BUCKET');
    await expectCode(r.get(ref, path.join(dir, 'nb')), 'GITREPRO_REMOTE_NO_BUCKET');
    await r.close();
  });

  it("another user's bucket: GITREPRO_REMOTE_DENIED", async () => {
    const r = await open(s3Env(env.key2, env.secret2));
    await expectCode(r.put(ref, store.objectPath(ref.sha256)), 'GITREPRO_REMOTE_DENIED');
    await expectCode(r.check(), 'GITREPRO_REMOTE_DENIED');
    await expectCode(r.has([ref.sha256]), 'GITREPRO_REMOTE_DENIED');
    await expectCode(r.get(ref, path.join(dir, 'den')), 'GITREPRO_REMOTE_DENIED');
    await r.close();
  });
});

describe('S3 error classes', () => {
  it('maps S3 codes, statuses and network errors to remote codes', async () => {
    const { classifyS3Error } = await import('../../src/store/remote-s3.js');
    const c = (info: { name?: string; errno?: string; status?: number }, op: 'check' | 'has' | 'put' | 'get' | 'delete' = 'put') => {
      const r = classifyS3Error(info, op);
      return r && `${r.code}${r.transient ? ' transient' : ''}`;
    };
    expect(c({ name: 'SignatureDoesNotMatch', status: 403 })).toBe('GITREPRO_REMOTE_AUTH');
    expect(c({ name: 'InvalidAccessKeyId', status: 403 })).toBe('GITREPRO_REMOTE_AUTH');
    expect(c({ name: 'CredentialsProviderError' })).toBe('GITREPRO_REMOTE_AUTH');
    expect(c({ name: 'AccessDenied', status: 403 })).toBe('GITREPRO_REMOTE_DENIED');
    expect(c({ name: 'NoSuchBucket', status: 404 })).toBe('GITREPRO_REMOTE_NO_BUCKET');
    expect(c({ name: 'NotFound', status: 404 }, 'check')).toBe('GITREPRO_REMOTE_NO_BUCKET');
    expect(c({ name: 'NoSuchKey', status: 404 }, 'get')).toBe('GITREPRO_OBJECT_MISSING');
    expect(c({ errno: 'ECONNREFUSED' })).toBe('GITREPRO_REMOTE_UNREACHABLE');
    expect(c({ errno: 'ENOTFOUND' })).toBe('GITREPRO_REMOTE_UNREACHABLE');
    expect(c({ name: 'TimeoutError', errno: 'ETIMEDOUT' })).toBe('GITREPRO_REMOTE_UNREACHABLE');
    expect(c({ errno: 'ECONNRESET' })).toBe('GITREPRO_REMOTE_UNREACHABLE transient');
    expect(c({ name: 'SlowDown', status: 503 })).toBe('GITREPRO_REMOTE_UNREACHABLE transient');
    expect(c({ name: 'InternalError', status: 500 })).toBe('GITREPRO_REMOTE_UNREACHABLE transient');
    expect(c({ status: 429 })).toBe('GITREPRO_REMOTE_UNREACHABLE transient');
    expect(c({ name: 'PermanentRedirect', status: 301 })).toBe('GITREPRO_REMOTE_INVALID');
    expect(c({ name: 'Error' })).toBeUndefined(); // not a remote failure: passed through as is
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
