/**
 * Issue 3, behaviours 5 and 6 end to end against the real S3 server (Ceph radosgw on loopback,
 * test/s3/rgw.sh): `git push` uploads through the pre-push hook (a multipart upload for the
 * large object), `git clone` + `gitrepro install` restores byte-identical, an interrupted push
 * leaves only whole objects, and wrong credentials, an unreachable endpoint, a missing bucket and
 * a denied bucket each give one actionable message without a stack trace or a secret.
 * Credentials reach the git and gitrepro processes through the environment only.
 */
import { randomBytes, createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOrigin, cloneOf, killAfterBytes, manifestShas, notesIn } from '../helpers/remote.js';
import { TestRepo } from '../helpers/repo.js';
import { decodeIndex } from '../../src/store/pack-format.js';
import { admin, createBucket, dropBucket, listKeys } from '../s3/admin.js';
import { s3TestEnv } from '../s3/env.js';

const s3 = s3TestEnv();
if (!s3.ok) console.warn(`\n${'!'.repeat(78)}\n!! S3 END-TO-END TESTS SKIPPED: ${s3.reason}\n${'!'.repeat(78)}\n`);
const MiB = 1 << 20;
const PREFIX = 'team/proj';

describe.skipIf(!s3.ok)('push and clone through S3 (radosgw)', () => {
  const env = s3.ok ? s3.env : ({} as never);
  const buckets: string[] = [];
  let bucket: string;
  const creds = (key = env.key, secret = env.secret): NodeJS.ProcessEnv => ({ AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: env.region });

  beforeAll(async () => {
    bucket = await createBucket(env);
    buckets.push(bucket);
  });
  afterAll(async () => {
    for (const b of buckets) await dropBucket(env, b);
  }, 120_000);

  function s3Project(b: string, format: 1 | 2 = 1): { r: TestRepo; bare: string } {
    const r = TestRepo.init({ track: ['data/'] });
    Object.assign(r.env, creds(), { GITREPRO_SYNC_RECORDS: '1' });
    delete r.env.AWS_PROFILE;
    r.gr(['remote', 'add', 'ceph', `s3://${b}/${PREFIX}`, '--endpoint', env.endpoint, '--default', '--format', String(format)]);
    return { r, bare: addOrigin(r) };
  }

  const keyOf = (sha: string) => `${PREFIX}/objects/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`;

  it('git push uploads (multipart for the 20 MiB file) and pushes the records; clone + install restores byte-identical', async () => {
    const { r, bare } = s3Project(bucket);
    r.write('data/small/a.txt', 'alpha\n');
    r.write('data/small/b.bin', randomBytes(100_000));
    r.write('data/big.bin', randomBytes(20 * MiB));
    r.write('data/run.sh', '#!/bin/sh\n', 0o755);
    r.commit('v1');
    const push = r.git(['push', '-q', 'origin', 'main']);
    expect(push.stderr).toMatch(/uploaded 4 data object\(s\), 20\.1 MiB, to store remote "ceph"/);
    const keys = await listKeys(env, bucket, `${PREFIX}/`);
    expect(keys.sort()).toEqual([...[...manifestShas(r.manifest())].map(keyOf), `${PREFIX}/gitrepro-format`].sort());
    // a code-only commit pushes with wrong credentials: the store remote is not asked anything
    r.write('train.py', 'lr = 0.1\n');
    r.commit('code');
    r.git(['push', '-q', 'origin', 'main'], { env: creds(env.key, 'WRONG-SECRET-x') });
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
    expect(statSync(c.path('data/big.bin')).size).toBe(20 * MiB);
    // secrets never reach records, local state or output
    const notes = [...notesIn(bare, r.env).values()].join('\n');
    expect(notes).not.toContain(env.secret);
    for (const repo of [r, c]) expect(grepTree(path.join(repo.dir, '.git'), env.secret)).toEqual([]);
    expect(push.stderr + push.stdout).not.toContain(env.secret);
  });

  it('a push killed mid-transfer leaves only whole objects; pushing again completes it', async () => {
    const b = await createBucket(env);
    buckets.push(b);
    const { r } = s3Project(b);
    for (let i = 0; i < 10; i++) r.write(`data/f${i}.bin`, randomBytes(MiB));
    r.commit('ten');
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml').toString()}policy:\n  jobs: 2\n`);
    const killed = r.gr(['push'], { ok: [128], env: killAfterBytes(4 * MiB) });
    expect(killed.code).toBe(128);
    const partial = (await listKeys(env, b, `${PREFIX}/`)).filter((k) => k.includes('/objects/'));
    expect(partial.length).toBeLessThan(10);
    const { m, client } = await admin(env);
    try {
      for (const key of partial) {
        const body = await (await client.send(new m.GetObjectCommand({ Bucket: b, Key: key }))).Body!.transformToByteArray();
        expect(createHash('sha256').update(body).digest('hex'), key).toBe(key.slice(key.lastIndexOf('/') + 1));
      }
    } finally {
      client.destroy();
    }
    expect(r.gr(['push']).stdout).toMatch(new RegExp(`${10 - partial.length} object\\(s\\) uploaded`));
    expect((await listKeys(env, b, `${PREFIX}/objects/`)).length).toBe(10);
  });

  /** Every index and pack of a v2 prefix, checked: named by their hash, every index's pack whole, every blob right. */
  async function checkBucketV2(b: string): Promise<{ objects: Set<string>; packs: number; indexes: number; loose: number }> {
    const keys = await listKeys(env, b, `${PREFIX}/`);
    const { m, client } = await admin(env);
    const get = async (Key: string): Promise<Buffer> => Buffer.from(await (await client.send(new m.GetObjectCommand({ Bucket: b, Key }))).Body!.transformToByteArray());
    const sha = (x: Buffer): string => createHash('sha256').update(x).digest('hex');
    const objects = new Set<string>();
    try {
      const idx = keys.filter((k) => k.startsWith(`${PREFIX}/index/`));
      for (const k of idx) {
        const bytes = await get(k);
        expect(`${sha(bytes)}.idx`, k).toBe(k.slice(k.lastIndexOf('/') + 1));
        const ix = decodeIndex(bytes);
        const pack = await get(`${PREFIX}/packs/${ix.pack}.pack`);
        expect(sha(pack), `pack of ${k}`).toBe(ix.pack);
        for (const e of ix.blobs) {
          expect(sha(pack.subarray(e.offset, e.offset + e.length))).toBe(e.id);
          objects.add(e.id);
        }
        for (const e of ix.chunked) objects.add(e.id);
      }
      return { objects, packs: keys.filter((k) => k.startsWith(`${PREFIX}/packs/`)).length, indexes: idx.length, loose: keys.filter((k) => k.includes('/objects/')).length };
    } finally {
      client.destroy();
    }
  }

  it('v2: git push uploads packs (each signed with its own sha256) and a chunked big file, no loose object; clone + install restores byte-identical', async () => {
    const b = await createBucket(env);
    buckets.push(b);
    const { r, bare } = s3Project(b, 2);
    for (let i = 0; i < 200; i++) r.write(`data/small/${i}.bin`, randomBytes(5000));
    r.write('data/big.bin', randomBytes(40 * MiB));
    r.commit('v2');
    const push = r.git(['push', '-q', 'origin', 'main']);
    expect(push.stderr).toMatch(/uploaded 201 data object\(s\)/);
    const rep = await checkBucketV2(b);
    expect(rep.loose).toBe(0);
    expect(rep.indexes).toBe(rep.packs);
    expect(rep.packs).toBeGreaterThanOrEqual(2);
    for (const s of manifestShas(r.manifest())) expect(rep.objects.has(s)).toBe(true);
    expect(await listKeys(env, b, `${PREFIX}/gitrepro-format`)).toEqual([`${PREFIX}/gitrepro-format`]);
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
  });

  it('v2: a push killed mid-pack leaves only indexes that name whole packs; pushing again completes it', async () => {
    const b = await createBucket(env);
    buckets.push(b);
    const { r, bare } = s3Project(b, 2);
    for (let i = 0; i < 10; i++) r.write(`data/f${i}.bin`, randomBytes(7 * MiB));
    r.write('data/big.bin', randomBytes(20 * MiB));
    r.commit('ninety');
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml').toString()}policy:\n  jobs: 2\n`);
    const killed = r.gr(['push'], { ok: [128], env: killAfterBytes(45 * MiB) });
    expect(killed.code).toBe(128);
    const mid = await checkBucketV2(b);
    const files = manifestShas(r.manifest());
    expect([...files].filter((s) => mid.objects.has(s)).length).toBeLessThan(files.size);
    r.gr(['push']);
    const done = await checkBucketV2(b);
    for (const s of manifestShas(r.manifest())) expect(done.objects.has(s), s).toBe(true);
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
  }, 120_000);

  it('wrong credentials, unreachable endpoint, missing bucket, permission denied: one clear line each, no stack, no secret', async () => {
    const { r } = s3Project(bucket);
    r.write('data/e.txt', `errors ${Date.now()}\n`);
    r.commit('for errors');
    const port = await closedPort();
    const cases: [string, NodeJS.ProcessEnv, [string, string][], string, RegExp][] = [
      ['wrong secret', creds(env.key, 'sEcReT-wrong-123'), [], 'GITREPRO_REMOTE_AUTH', /refused the credentials/],
      ['unknown key id', creds('NOSUCHKEYID999', env.secret), [], 'GITREPRO_REMOTE_AUTH', /refused the credentials/],
      ['unreachable endpoint', creds(), [['gitrepro.remote.ceph.endpoint', `http://127.0.0.1:${port}`]], 'GITREPRO_REMOTE_UNREACHABLE', /cannot connect/],
      ['missing bucket', creds(), [['gitrepro.remote.ceph.url', `s3://gr-missing-${Date.now()}/p`]], 'GITREPRO_REMOTE_NO_BUCKET', /the bucket does not exist/],
      ['permission denied', creds(env.key2, env.secret2), [], 'GITREPRO_REMOTE_DENIED', /access denied/],
    ];
    for (const [what, e, config, code, text] of cases) {
      for (const [k, v] of config) r.git(['config', k, v]);
      try {
        const cli = r.gr(['push'], { env: e, ok: [1, 2] });
        expect(cli.code, what).not.toBe(0);
        expect(cli.stderr, what).toMatch(new RegExp(`^error \\[${code}\\]: .*store remote "ceph"`, 'm'));
        expect(cli.stderr, what).toMatch(text);
        expect(cli.stderr, what).toMatch(/^hint: /m);
        const outs = [cli.stdout + cli.stderr];
        if (what === 'wrong secret' || what === 'missing bucket') {
          // through the hook: the push is refused with the same line (a remote-wide refusal
          // before any upload, and one met while uploading)
          const hook = r.git(['push', 'origin', 'main'], { env: e, ok: [1] });
          expect(hook.stderr, what).toMatch(/^gitrepro: push refused: /m);
          expect(hook.stderr, what).toMatch(text);
          outs.push(hook.stdout + hook.stderr);
        }
        for (const out of outs) {
          expect(out, what).not.toMatch(/^\s+at /m);
          for (const secret of [env.secret, env.secret2, 'sEcReT-wrong-123']) expect(out, what).not.toContain(secret);
          expect(out, what).not.toContain('NOSUCHKEYID999');
        }
      } finally {
        for (const [k] of config) r.git(['config', '--unset', k]);
      }
    }
  });
});

/** Files under `dir` whose bytes contain `needle`. */
function grepTree(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size < 50 * MiB && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}
