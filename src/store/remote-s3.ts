/**
 * The S3 remote (AWS S3, Ceph RGW, MinIO, Swift s3api) through @aws-sdk/client-s3 and
 * @aws-sdk/lib-storage. Imported lazily by remotes.ts: nothing else may import this module.
 *
 * Keys: `<prefix>/objects/aa/bb/<sha256>` (`objects/...` with no prefix), metadata `sha256`.
 * Compatibility with non-AWS servers (see docs/remotes.md for the probe against Ceph RGW 16):
 * - path-style URLs whenever an endpoint is set (no wildcard DNS on a private server);
 * - checksums WHEN_REQUIRED with an endpoint: the default (WHEN_SUPPORTED) sends aws-chunked
 *   streaming bodies that RGW 16 rejects (411 MissingContentLength);
 * - the server does not check x-amz-checksum-sha256, so every download is hashed here;
 * - DeleteObjects carries Content-MD5, which older servers require (middleware below);
 * - no If-None-Match: RGW honours it, other servers silently overwrite.
 * Errors become GitreproErrors without the SDK error as `cause`: S3 error bodies can carry the
 * access key id (AWS's SignatureDoesNotMatch has <AWSAccessKeyId>), and causes get printed.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { GitreproError, redactText } from '../errors.js';
import { sharedBuffer } from './hash-thread.js';
import { CHUNK, receive, type ByteSource } from './receive.js';
import { checkFileKey } from './remote-format.js';
import { transfer } from './retry.js';
import type { FileDir, LooseObject, ObjectRef, Remote, RemoteFiles, Sha256, TransferProgress } from './types.js';

const SHA_RE = /^[0-9a-f]{64}$/;
/**
 * Calls without a large request body get 10 s to produce response headers (the timer stops at
 * the headers, so a long download is not cut): a server that accepts connections but never
 * answers fails after 3 attempts, ~30 s, instead of hanging.
 */
const META = { requestTimeout: 10_000 };
const MiB = 1 << 20;
/** parts of 16 MiB, 4 in flight: 64 MiB of buffers per large upload; grows past ~140 GiB objects (10,000-part limit) */
const PART_SIZE = 16 * MiB;
const QUEUE_SIZE = 4;
/** v2 files up to this size go in one PUT (packs are ~32 MiB); larger ones in parts of PACK_PART */
const PACK_SINGLE = 64 * MiB;
const PACK_PART = 16 * MiB;
/** HEAD or LIST requests in flight during `has` */
const HEAD_JOBS = 16;
/**
 * What one listing page costs in HEADs. Measured on RGW over loopback (2 cores): a HEAD takes
 * 9-19 ms per lane at 8-32 lanes (1000 in 0.6-1.2 s), a 1000-key ListObjectsV2 page 43-50 ms.
 */
const LIST_COST = 5;

export interface S3RemoteConfig {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region?: string;
  env: NodeJS.ProcessEnv;
}

export class S3Remote implements Remote, RemoteFiles {
  readonly display: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly base: string;
  /** `<prefix>/`, or '' without a prefix: where the v2 files live */
  private readonly root: string;

  constructor(
    readonly name: string,
    cfg: S3RemoteConfig,
  ) {
    this.bucket = cfg.bucket;
    this.base = cfg.prefix === '' ? 'objects/' : `${cfg.prefix}/objects/`;
    this.root = cfg.prefix === '' ? '' : `${cfg.prefix}/`;
    this.display = `s3://${cfg.bucket}${cfg.prefix ? '/' + cfg.prefix : ''}${cfg.endpoint ? ` at ${redactText(cfg.endpoint)}` : ''}`;
    this.client = new S3Client(clientConfig(cfg));
    addContentMd5(this.client);
  }

  key(sha: Sha256): string {
    if (!SHA_RE.test(sha)) throw new GitreproError('GITREPRO_SNAPSHOT_INVALID', `not a sha256 object id: ${sha.slice(0, 80)}`);
    return `${this.base}${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`;
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), META);
    } catch (e) {
      throw await this.explain(e, 'check');
    }
  }

  /**
   * HEAD per object, or listings per `aa/` key prefix when that is cheaper. A listing page
   * (up to 1000 keys) costs about LIST_COST HEADs, so listing wins only when many wanted ids
   * share each prefix and the remote is not much larger than the request. The remote's size is
   * unknown: the largest group is listed first (its answer is needed either way), and its page
   * count stands for every prefix (sha256 spreads keys evenly).
   */
  async has(shas: Sha256[]): Promise<Set<Sha256>> {
    const wanted = [...new Set(shas)];
    const groups = new Map<string, Sha256[]>();
    for (const sha of wanted) {
      this.key(sha); // validates
      const g = groups.get(sha.slice(0, 2));
      if (g) g.push(sha);
      else groups.set(sha.slice(0, 2), [sha]);
    }
    const found = new Set<Sha256>();
    if (wanted.length === 0) return found;
    if (wanted.length < LIST_COST * groups.size) {
      await this.headAll(wanted, found);
      return found;
    }
    const [first, ...rest] = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
    const pages = await this.listGroup(first![0], new Set(first![1]), found);
    const restShas = rest.flatMap(([, g]) => g);
    if (restShas.length < LIST_COST * rest.length * pages) {
      await this.headAll(restShas, found);
    } else {
      const r = await transfer(rest, async ([aa, g]) => void (await this.listGroup(aa, new Set(g), found)), { jobs: HEAD_JOBS, retries: 2 });
      if (r.failed.length > 0) throw r.failed[0]!.error;
    }
    return found;
  }

  private async headAll(shas: Sha256[], found: Set<Sha256>): Promise<void> {
    const r = await transfer(
      shas,
      async (sha) => {
        try {
          await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(sha) }), META);
          found.add(sha);
        } catch (e) {
          if (status(e) !== 404) throw await this.explain(e, 'has');
        }
      },
      { jobs: HEAD_JOBS, retries: 2 },
    );
    if (r.failed.length > 0) throw r.failed[0]!.error;
  }

  /** Lists `<base>aa/`, adding the wanted ids it holds to `found`; returns the page count. */
  private async listGroup(aa: string, wanted: Set<Sha256>, found: Set<Sha256>): Promise<number> {
    let token: string | undefined;
    let pages = 0;
    do {
      let res;
      try {
        res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.base}${aa}/`, ContinuationToken: token }), META);
      } catch (e) {
        throw await this.explain(e, 'has');
      }
      pages++;
      for (const o of res.Contents ?? []) {
        const sha = o.Key?.slice(o.Key.lastIndexOf('/') + 1) ?? '';
        if (wanted.has(sha)) found.add(sha);
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return pages;
  }

  async put(ref: ObjectRef, src: string, progress?: TransferProgress): Promise<void> {
    const Key = this.key(ref.sha256);
    const size = (await stat(src)).size;
    if (size !== ref.size) throw this.localCorrupt(ref, { sha256: '', size });
    const params = { Bucket: this.bucket, Key, ContentType: 'application/octet-stream', Metadata: { sha256: ref.sha256 } };
    if (size <= PART_SIZE) {
      // One PUT from memory: verified before it leaves, replayable by the SDK's retries, and
      // guarded in transit by Content-MD5 (which servers, RGW included, do check).
      const body = await readWhole(src, size);
      const got = createHash('sha256').update(body).digest('hex');
      if (got !== ref.sha256) throw this.localCorrupt(ref, { sha256: got, size });
      try {
        await this.client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: size, ContentMD5: createHash('md5').update(body).digest('base64') }));
      } catch (e) {
        throw await this.explain(e, 'put', ref.sha256);
      }
      progress?.onBytes?.(size);
      return;
    }
    // Multipart: hash while the parts stream out; a mismatch deletes what was uploaded.
    const h = createHash('sha256');
    const fh = await open(src, 'r');
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        h.update(chunk);
        cb(null, chunk);
      },
    });
    // pipeline, not pipe: a read error must fail the upload, not leave it waiting for data
    const body = pipeline(fh.createReadStream({ highWaterMark: CHUNK, autoClose: false }), hashing, () => {});
    const partSize = Math.max(PART_SIZE, Math.ceil(size / 9_000 / MiB) * MiB);
    const upload = new Upload({ client: this.client, params: { ...params, Body: body }, partSize, queueSize: QUEUE_SIZE, leavePartsOnError: false });
    let sent = 0;
    upload.on('httpUploadProgress', (p) => {
      if (p.loaded !== undefined && p.loaded > sent) {
        progress?.onBytes?.(p.loaded - sent);
        sent = p.loaded;
      }
    });
    try {
      await upload.done();
    } catch (e) {
      throw await this.explain(e, 'put', ref.sha256);
    } finally {
      body.destroy();
      await fh.close();
    }
    const got = h.digest('hex');
    if (got !== ref.sha256) {
      await this.delete([ref.sha256]).catch(() => {});
      throw this.localCorrupt(ref, { sha256: got, size });
    }
  }

  async open(ref: ObjectRef): Promise<ByteSource> {
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(ref.sha256) }), META);
    } catch (e) {
      throw await this.explain(e, 'get', ref.sha256);
    }
    const body = res.Body as unknown as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    if (body === undefined) throw this.corrupt(ref, { sha256: '', size: 0 });
    if (res.ContentLength !== undefined && res.ContentLength !== ref.size) {
      body.destroy?.();
      throw this.corrupt(ref, { sha256: '', size: res.ContentLength });
    }
    const explain = (e: unknown) => this.explain(e, 'get', ref.sha256);
    // a broken download stream (reset, timeout) becomes a remote error worth a retry
    async function* guarded(): AsyncGenerator<Uint8Array> {
      try {
        yield* body!;
      } catch (e) {
        throw await explain(e);
      }
    }
    return { kind: 'stream', stream: guarded(), destroy: () => body.destroy?.(), corrupt: (got) => this.corrupt(ref, got) };
  }

  async get(ref: ObjectRef, dest: string, progress?: TransferProgress): Promise<void> {
    const src = await this.open(ref);
    await mkdir(path.dirname(dest), { recursive: true });
    await receive(src, ref, dest, { tmpDir: path.dirname(dest), mode: 0o444, durable: true, onBytes: progress?.onBytes, corrupt: (got) => this.corrupt(ref, got) });
  }

  async delete(shas: Sha256[]): Promise<void> {
    await this.deleteKeys([...new Set(shas)].map((s) => this.key(s)));
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let res;
      try {
        res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), META);
      } catch (e) {
        throw await this.explain(e, 'delete');
      }
      const err = res.Errors?.find((x) => x.Code !== 'NoSuchKey');
      if (err) throw this.toError({ name: err.Code ?? 'Unknown', status: err.Code === 'AccessDenied' ? 403 : undefined }, 'delete');
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  // ---- RemoteFiles: packs, indexes and the format marker (format v2) ----

  async listFiles(dir: FileDir): Promise<{ key: string; size: number; mtime?: number }[]> {
    const out: { key: string; size: number; mtime?: number }[] = [];
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.root}${dir}/`, ContinuationToken: token }), META);
      } catch (e) {
        throw await this.explain(e, 'has');
      }
      for (const o of res.Contents ?? []) if (o.Key) out.push({ key: o.Key.slice(this.root.length), size: o.Size ?? -1, mtime: o.LastModified?.getTime() });
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** Every loose object under `<prefix>/objects/` (one listing; keys that are not `aa/bb/<sha256>` are skipped). */
  async listLoose(): Promise<LooseObject[]> {
    const out: LooseObject[] = [];
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.base, ContinuationToken: token }), META);
      } catch (e) {
        throw await this.explain(e, 'has');
      }
      for (const o of res.Contents ?? []) {
        const rel = o.Key?.slice(this.base.length) ?? '';
        const sha = rel.slice(6);
        if (rel.length === 70 && SHA_RE.test(sha) && rel === `${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`) {
          // no LastModified: treated as written now, so the grace period keeps it
          out.push({ sha256: sha, size: o.Size ?? -1, mtime: o.LastModified?.getTime() ?? Date.now() });
        }
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async hasLoose(): Promise<boolean> {
    try {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.base, MaxKeys: 1 }), META);
      return (res.KeyCount ?? res.Contents?.length ?? 0) > 0;
    } catch (e) {
      throw await this.explain(e, 'has');
    }
  }

  /** A ranged GET (S3 `Range: bytes=a-b`): exactly `length` bytes, or an error. */
  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    const Key = this.root + checkFileKey(key);
    if (length === 0) return Buffer.alloc(0);
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${offset}-${offset + length - 1}` }), META);
    } catch (e) {
      const err = await this.explain(e, 'get');
      if (status(e) === 416) throw this.fileCorrupt(key, `no bytes at ${offset}+${length}`);
      throw this.fileError(err, key);
    }
    return this.readBody(res, key, length, length);
  }

  async readFile(key: string, max: number): Promise<Buffer | undefined> {
    const Key = this.root + checkFileKey(key);
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }), META);
    } catch (e) {
      const err = await this.explain(e, 'get');
      if (err instanceof GitreproError && err.code === 'GITREPRO_OBJECT_MISSING') return undefined;
      throw err;
    }
    return this.readBody(res, key, undefined, max);
  }

  /** Reads a GET's body whole: exactly `want` bytes when given, never more than `max`. */
  private async readBody(res: { Body?: unknown; ContentLength?: number }, key: string, want: number | undefined, max: number): Promise<Buffer> {
    const body = res.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    if (body === undefined) throw this.fileCorrupt(key, 'no body');
    const expect = want ?? res.ContentLength;
    if (expect !== undefined && (expect > max || (res.ContentLength !== undefined && res.ContentLength !== expect))) {
      body.destroy?.();
      throw this.fileCorrupt(key, `${res.ContentLength} bytes sent, ${expect} wanted (at most ${max})`);
    }
    const parts: Buffer[] = [];
    // a range of a known length is gathered in shared memory: the objects in it are checked on a
    // second thread (LocalStore.receivePack)
    const into = want !== undefined ? sharedBuffer(want) : undefined;
    let n = 0;
    try {
      for await (const p of body) {
        if (into && n + p.byteLength <= want!) Buffer.from(p.buffer, p.byteOffset, p.byteLength).copy(into, n);
        n += p.byteLength;
        if (n > max) throw this.fileCorrupt(key, `more than ${max} bytes sent`);
        if (!into) parts.push(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
      }
    } catch (e) {
      body.destroy?.();
      if (e instanceof GitreproError) throw e;
      throw await this.explain(e, 'get');
    }
    if (want !== undefined && n !== want) throw this.fileCorrupt(key, `${n} bytes sent, ${want} wanted`);
    if (into) return into;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  /**
   * Stores a pack, an index or the marker. Up to PACK_SINGLE bytes: one PutObject whose SigV4
   * payload hash (`x-amz-content-sha256`) is `sha256`, the file's own name, computed once as the
   * pack was built: the server hashes what it receives and refuses a mismatch
   * (XAmzContentSHA256Mismatch; checked against RGW 16 and AWS), so the name, the check of the
   * bytes and the guard of the transfer cost one sha256 pass instead of three (sha256 + the SDK's
   * own payload hash + Content-MD5: W1's push went from 9.1 to 5.8 s here). Larger (a chunk
   * list of a huge file): a multipart upload of PACK_PART parts, each signed with its own payload
   * hash, QUEUE_SIZE in flight, aborted on failure.
   */
  async writeFile(key: string, bytes: Buffer, sha256: string): Promise<void> {
    const Key = this.root + checkFileKey(key);
    const params = { Bucket: this.bucket, Key, ContentType: 'application/octet-stream', Metadata: { sha256 } };
    if (bytes.length <= PACK_SINGLE) {
      try {
        await this.client.send(withPayloadHash(new PutObjectCommand({ ...params, Body: bytes, ContentLength: bytes.length }), sha256));
      } catch (e) {
        throw await this.explain(e, 'put');
      }
      return;
    }
    let uploadId: string | undefined;
    try {
      uploadId = (await this.client.send(new CreateMultipartUploadCommand(params), META)).UploadId;
      if (!uploadId) throw new Error('the server returned no UploadId');
      const n = Math.ceil(bytes.length / PACK_PART);
      const etags: string[] = new Array(n);
      const r = await transfer(
        Array.from({ length: n }, (_, i) => i),
        async (i) => {
          const part = bytes.subarray(i * PACK_PART, Math.min(bytes.length, (i + 1) * PACK_PART));
          try {
            const cmd = new UploadPartCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumber: i + 1, Body: part, ContentLength: part.length });
            etags[i] = (await this.client.send(withPayloadHash(cmd, createHash('sha256').update(part).digest('hex')))).ETag ?? '';
          } catch (e) {
            throw await this.explain(e, 'put');
          }
        },
        { jobs: QUEUE_SIZE, retries: 2 },
      );
      if (r.failed.length) throw r.failed[0]!.error;
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    } catch (e) {
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId }), META).catch(() => {});
      throw await this.explain(e, 'put');
    }
  }

  async deleteFiles(keys: string[]): Promise<void> {
    await this.deleteKeys(keys.map((k) => this.root + checkFileKey(k)));
  }

  private fileError(err: unknown, key: string): unknown {
    if (err instanceof GitreproError && err.code === 'GITREPRO_OBJECT_MISSING') {
      return new GitreproError('GITREPRO_OBJECT_MISSING', `${key} is not on store remote "${this.name}" (${this.display})`, { data: { key, remote: this.name } });
    }
    return err;
  }

  private fileCorrupt(key: string, what: string): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `${key} on store remote "${this.name}" is damaged (${what})`, { data: { key, remote: this.name } });
  }

  /**
   * Maps an SDK or network error. A HEAD request's 403 has no body, so it cannot tell wrong
   * credentials from a denied bucket: a one-key listing of the same place gets the error code.
   */
  private async explain(e: unknown, op: S3Op, sha?: Sha256): Promise<unknown> {
    if (e instanceof GitreproError) return e;
    const st = status(e);
    const name = (e as { name?: string } | null)?.name;
    if (st === 403 && (name === undefined || name === 'Unknown' || name === 'Forbidden' || name === '403')) {
      try {
        await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.base, MaxKeys: 1 }), META);
        return this.toError({ name: 'AccessDenied', status: 403 }, op, sha);
      } catch (probe) {
        if (status(probe) !== 403 || !['Unknown', 'Forbidden'].includes((probe as { name?: string }).name ?? '')) return this.mapError(probe, op, sha);
      }
    }
    return this.mapError(e, op, sha);
  }

  private mapError(e: unknown, op: S3Op, sha?: Sha256): unknown {
    const err = e as { name?: string; code?: string; $metadata?: { httpStatusCode?: number; requestId?: string } } | null;
    if (err === null || typeof err !== 'object') return e;
    return this.toError({ name: err.name, errno: err.code ?? causeCode(e), status: err.$metadata?.httpStatusCode, requestId: err.$metadata?.requestId }, op, sha, e);
  }

  private toError(info: { name?: string; errno?: string; status?: number; requestId?: string }, op: S3Op, sha?: Sha256, original?: unknown): unknown {
    const c = classifyS3Error(info, op);
    if (c === undefined) return original ?? new Error(`S3 ${op} failed: ${info.name}`);
    if (c.code === 'GITREPRO_OBJECT_MISSING' && sha !== undefined) {
      return new GitreproError(c.code, `data object ${sha.slice(0, 12)} is not on store remote "${this.name}" (${this.display})`, {
        hint: 'push it from a clone that has it (`gitrepro push`), or check the remote url and prefix',
        data: { sha256: sha, remote: this.name },
      });
    }
    return new GitreproError(c.code, `store remote "${this.name}" (${this.display}): ${c.what}`, {
      hint: c.hint,
      data: { remote: this.name, op, s3Code: info.name, errno: info.errno, status: info.status, requestId: info.requestId, transient: c.transient },
    });
  }

  private corrupt(ref: ObjectRef, got: { sha256: string; size: number }): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `the copy of ${ref.sha256.slice(0, 12)} on store remote "${this.name}" is corrupt (expected sha256 ${ref.sha256} (${ref.size} bytes), got ${got.sha256 || 'a body of another size'} (${got.size} bytes)): not downloaded`, {
      hint: 'push the object again from a clone with a good copy (`gitrepro push` overwrites it)',
      data: { sha256: ref.sha256, expectedSize: ref.size, got: got.sha256, size: got.size, remote: this.name },
    });
  }

  private localCorrupt(ref: ObjectRef, got: { sha256: string; size: number }): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `local object ${ref.sha256.slice(0, 12)} is corrupt (${got.size} bytes${got.sha256 ? ` hashing to ${got.sha256.slice(0, 12)}` : ''}): not pushed`, {
      hint: 'run `gitrepro fsck` to find and quarantine damaged objects',
      data: { sha256: ref.sha256, got: got.sha256, size: got.size },
    });
  }
}

function clientConfig(cfg: S3RemoteConfig): S3ClientConfig {
  // The SDK warns on every Node < 22 that its *future* releases will need Node 22. gitrepro
  // supports Node 20.19+, and the warning would land in the middle of CLI output: opt out.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const env = cfg.env;
  const custom = cfg.endpoint !== undefined;
  const config: S3ClientConfig = {
    region: cfg.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // 3 attempts with the SDK's jittered backoff: a refused or unresolvable endpoint fails in
    // well under a second; the transfer pool retries transient failures again.
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 3_000,
      // no byte either way for 30 s: a hung server or network (uploads keep the socket busy)
      socketTimeout: 30_000,
      // makes the per-call `requestTimeout` (META below) an error rather than a logged warning
      throwOnRequestTimeout: true,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    },
  };
  if (custom) {
    config.endpoint = cfg.endpoint;
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  // The standard chain reads process.env; an injected env (tests, the typed env accessor) is
  // honoured by handing its keys over. Without keys the SDK's own chain runs unchanged
  // (env, AWS_PROFILE and ~/.aws files, SSO, web identity, instance roles).
  if (env !== process.env && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  } else if (env !== process.env && env.AWS_PROFILE) {
    config.profile = env.AWS_PROFILE;
  }
  return config;
}

/**
 * Signs a request with `sha256` as its payload hash (`x-amz-content-sha256`): the SDK's signer
 * takes a hash header that is already there instead of hashing the body again, and the server
 * refuses a body that does not match it.
 */
function withPayloadHash<C extends { middlewareStack: { add: (...a: never[]) => unknown } }>(cmd: C, sha256: string): C {
  (cmd.middlewareStack as unknown as S3Client['middlewareStack']).add(
    (next) => async (args) => {
      const req = args.request as { headers?: Record<string, string> };
      if (req.headers) req.headers['x-amz-content-sha256'] = sha256;
      return next(args);
    },
    { step: 'build', name: 'gitreproPayloadHash' },
  );
  return cmd;
}

/** Content-MD5 on DeleteObjects: WHEN_REQUIRED sends only a CRC32 checksum, unknown to older servers. */
function addContentMd5(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { headers?: Record<string, string>; body?: unknown } | undefined;
      if (context.commandName === 'DeleteObjectsCommand' && req?.headers && !req.headers['content-md5']) {
        if (typeof req.body === 'string' || req.body instanceof Uint8Array) req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'gitreproDeleteContentMd5' },
  );
}

async function readWhole(src: string, size: number): Promise<Buffer> {
  const fh = await open(src, 'r');
  try {
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

export type S3Op = 'check' | 'has' | 'put' | 'get' | 'delete';

const AUTH = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'InvalidSecurity', 'CredentialsProviderError', 'AuthorizationHeaderMalformed']);
const DENIED = new Set(['AccessDenied', 'AllAccessDisabled', 'AccountProblem', 'InvalidPayer', 'Forbidden']);
const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'ServiceUnavailable', 'InternalError', 'RequestTimeout']);
/** the server received other bytes than were sent (a damaged transfer): worth a retry */
const DAMAGED = new Set(['XAmzContentSHA256Mismatch', 'BadDigest']);
const NET_DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ERR_INVALID_URL']);
const NET_FLAKY = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ESOCKETTIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE']);
const CRED_HINT = 'check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws/credentials for this server';

export interface S3ErrorClass {
  code: 'GITREPRO_REMOTE_AUTH' | 'GITREPRO_REMOTE_DENIED' | 'GITREPRO_REMOTE_NO_BUCKET' | 'GITREPRO_REMOTE_UNREACHABLE' | 'GITREPRO_REMOTE_INVALID' | 'GITREPRO_OBJECT_MISSING';
  what: string;
  hint: string;
  transient: boolean;
}

/**
 * Classifies an S3 failure by its error name (the S3 `Code`), Node errno and HTTP status;
 * undefined when it is not a remote failure at all. Pure: only names and numbers go in, so
 * nothing a server echoes (key ids, string-to-sign) can reach a message.
 */
export function classifyS3Error(info: { name?: string; errno?: string; status?: number }, op: S3Op): S3ErrorClass | undefined {
  const name = info.name ?? '';
  const st = info.status;
  const errno = info.errno ?? '';
  if (name === 'CredentialsProviderError') return { code: 'GITREPRO_REMOTE_AUTH', what: 'no AWS credentials were found', hint: CRED_HINT, transient: false };
  if (name === 'RequestTimeTooSkewed') return { code: 'GITREPRO_REMOTE_AUTH', what: 'the server refused the request: this machine\'s clock is off', hint: 'fix the system clock (NTP) and retry', transient: false };
  if (AUTH.has(name)) return { code: 'GITREPRO_REMOTE_AUTH', what: `the server refused the credentials (${name})`, hint: CRED_HINT, transient: false };
  if (name === 'NoSuchBucket' || (op === 'check' && st === 404)) return { code: 'GITREPRO_REMOTE_NO_BUCKET', what: 'the bucket does not exist', hint: 'create the bucket (e.g. `aws s3 mb s3://BUCKET`), or fix the url/endpoint of the remote', transient: false };
  if (name === 'NoSuchKey' || (st === 404 && (op === 'get' || op === 'has'))) return { code: 'GITREPRO_OBJECT_MISSING', what: 'the object is not on the remote', hint: 'push it from a clone that has it (`gitrepro push`)', transient: false };
  if (DENIED.has(name) || st === 403) return { code: 'GITREPRO_REMOTE_DENIED', what: `access denied for ${op} (${name || st})`, hint: 'the credentials are valid but lack permission on this bucket/prefix: ask its owner for s3:GetObject, s3:PutObject, s3:ListBucket and s3:DeleteObject', transient: false };
  if (name === 'PermanentRedirect' || name === 'IllegalLocationConstraintException' || st === 301) return { code: 'GITREPRO_REMOTE_INVALID', what: 'the bucket lives in another region', hint: 'set `region:` in the remote definition (or AWS_REGION)', transient: false };
  // The SDK has already retried a timeout maxAttempts times: the server is not answering.
  if (name === 'TimeoutError') return { code: 'GITREPRO_REMOTE_UNREACHABLE', what: 'the server did not answer in time', hint: 'check the endpoint and that the server is healthy', transient: false };
  if (NET_DOWN.has(errno)) return { code: 'GITREPRO_REMOTE_UNREACHABLE', what: `cannot connect (${errno})`, hint: 'check the endpoint address and port, and that the server is running', transient: false };
  if (DAMAGED.has(name)) return { code: 'GITREPRO_REMOTE_UNREACHABLE', what: `the server received damaged bytes (${name})`, hint: 'retry; if it persists, check the network between here and the server', transient: true };
  if (NET_FLAKY.has(errno) || THROTTLED.has(name) || st === 429 || (st !== undefined && st >= 500)) {
    return { code: 'GITREPRO_REMOTE_UNREACHABLE', what: `the connection or server failed (${errno || name || st})`, hint: 'retry later; if it persists, check the server and the network', transient: true };
  }
  if (st !== undefined && st >= 400) return { code: 'GITREPRO_REMOTE_INVALID', what: `the server rejected ${op} (${name || st})`, hint: 'the server may not support this S3 feature; see docs/remotes.md', transient: false };
  return undefined;
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** Node's network errors sometimes sit in `cause` or in an AggregateError's `errors` (happy eyeballs). */
function causeCode(e: unknown): string | undefined {
  const x = e as { cause?: { code?: unknown }; errors?: { code?: unknown }[] };
  const c = x.cause?.code ?? x.errors?.find((s) => typeof s?.code === 'string')?.code;
  return typeof c === 'string' ? c : undefined;
}
