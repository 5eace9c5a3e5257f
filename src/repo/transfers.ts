/**
 * Moving objects between the local store and a store remote (ensureOnRemote for push and the
 * pre-push gate, download and remoteFetcher for fetch, pull and restores): the bounded-parallel
 * pool of store/retry.ts (policy.jobs workers, retries with backoff) plus progress and the
 * known-objects cache.
 *
 * Downloads go through the local store's own write path (LocalStore.receive: a temp file in its
 * tmp/, checked as it is written, renamed into `objects/`): an interrupted fetch leaves at most a
 * temp file in tmp/, never a partial object, and a rerun fetches what is still missing.
 * Uploads rely on the remote's own atomicity (temp + rename in a directory remote, a single PUT
 * or a completed multipart upload in S3).
 */
import { existsSync } from 'node:fs';
import { GitreproError, isGitreproError } from '../errors.js';
import { isLocalFs, SMALL_OBJECT } from '../store/fsfast.js';
import { KnownCache } from '../store/known.js';
import { transfer } from '../store/retry.js';
import { CHUNK_THRESHOLD } from '../store/pack.js';
import type { BatchOptions, BatchResult, ObjectRef, ObjectSink, Remote } from '../store/types.js';
import { trace } from '../trace.js';
import type { Repo, Reporter } from './context.js';
import type { NeededObject } from './object-plan.js';
import type { CheckedObject } from '../workspace/materialize.js';
import { knownFile, openStoreRemote, resolveStoreRemote, type RemoteInfo } from './remote-config.js';

export interface MoveOptions {
  jobs: number;
  reporter?: Reporter;
  known?: KnownCache;
}

export interface MoveResult {
  ok: NeededObject[];
  failed: { object: NeededObject; error: GitreproError }[];
  bytes: number;
}

/**
 * Uploads objects of the local store; those the store lacks fail with GITREPRO_OBJECT_MISSING.
 * A v2 remote takes them all at once (`putMany`: packs), a v1 remote one by one.
 */
export async function uploadObjects(repo: Repo, remote: Remote, objs: NeededObject[], o: MoveOptions): Promise<MoveResult> {
  const fast = isLocalFs(repo.store.root);
  const present = async (obj: NeededObject): Promise<boolean> => (fast && obj.size <= SMALL_OBJECT && existsSync(repo.store.objectPath(obj.sha256))) || (await repo.store.has(obj.sha256));
  const notLocal = (obj: NeededObject): GitreproError =>
    new GitreproError('GITREPRO_OBJECT_MISSING', `data object ${obj.sha256.slice(0, 12)} (${obj.path}) is neither on store remote "${remote.name}" nor in the local store`, {
      hint: 'fetch it from a remote that has it (`gitrepro fetch <remote> <rev>`), or restore that file and `gitrepro add` it',
      data: { sha256: obj.sha256, path: obj.path },
    });
  if (remote.putMany) {
    // a v2 remote reads small objects of local packs from the packs; a big one reads its file
    await repo.store.ensureLoose(objs.filter((x) => x.size > CHUNK_THRESHOLD).map((x) => x.sha256));
    // the remote reads each object itself (an absent one fails with data.local)
    const packed = repo.store.packs.any();
    // the loose path only when it is read (100,000 paths built up front cost 0.25 s of a push)
    const store = repo.store;
    const readRun = (pack: string, offset: number, into: Buffer): number => store.packs.preadInto(pack, offset, into);
    const items = objs.map((obj) => ({
      ref: obj,
      get src(): string {
        return store.objectPath(obj.sha256);
      },
      readInto: packed ? (slot: Buffer) => store.readPackedInto(obj.sha256, slot) : undefined,
      packed: packed ? () => store.packs.find(obj.sha256) : undefined,
      readRun,
    }));
    const batched = await batch('uploading', objs, [], o, (b) => remote.putMany!(items, b));
    if (batched) {
      for (const f of batched.failed) if (f.error.code === 'GITREPRO_OBJECT_MISSING' && f.error.data?.local) f.error = notLocal(f.object);
      return batched;
    }
  }
  // one by one (a v1 remote), each object is read from its file: one held only in a local pack
  // is written out loose first
  await repo.store.ensureLoose(objs.map((x) => x.sha256));
  await remote.prepare?.(objs);
  return move('uploading', objs, o, async (obj, onBytes) => {
    if (!(await present(obj))) throw notLocal(obj);
    await remote.put(obj, repo.store.objectPath(obj.sha256), { onBytes });
  });
}

/**
 * Downloads objects into the local store, each verified (store/receive.ts) before it enters
 * `objects/`: from a remote with packs all at once (`getMany`: coalesced ranged reads), from
 * one with loose objects only one by one.
 */
export async function downloadObjects(repo: Repo, remote: Remote, objs: NeededObject[], o: MoveOptions & { onChecked?: OnChecked }): Promise<MoveResult> {
  if (remote.getMany) {
    // ranged reads of packs arrive in batches, kept as local packs when big (no fan-out directories)
    const sink = o.onChecked ? handingOver(repo.store, o.onChecked) : repo.store;
    const batched = await batch('downloading', objs, [], o, (b) => remote.getMany!(objs, sink, b));
    if (batched) return batched;
  }
  if (objs.length > 1) await repo.store.prepare(objs);
  trace(`local store: fan-out directories of ${objs.length} object(s) ready`);
  return move('downloading', objs, o, async (obj, onBytes) => {
    await repo.store.receive(obj, await remote.open(obj), { onBytes, link: true });
  });
}

/** Takes objects as they arrive, each checked against its name (SyncOptions.fetchMissing). */
export type OnChecked = (items: readonly CheckedObject[]) => Promise<void>;

/**
 * The local store as a fetch's sink that also hands each batch's objects, once the store has
 * checked and kept them, to `onChecked` (a restore writes their files from those bytes). Only
 * objects the store reported good are handed over; the fetch waits for the consumer, so no
 * more than the transfer's jobs batches are held in memory.
 */
function handingOver(store: ObjectSink, onChecked: OnChecked): ObjectSink {
  return {
    receive: (ref, src, o) => store.receive(ref, src, o),
    async receiveBatch(items, corrupt) {
      const r = await store.receiveBatch(items, corrupt);
      const good = new Set(r.ok);
      await onChecked(items.filter((it) => good.has(it.ref)));
      return r;
    },
  };
}

/** Progress of a transfer: objects done, bytes moved, reported at most every 100 ms (and at the end). */
function progressOf(label: string, total: number, o: MoveOptions): { done: number; bytes: number; report(force: boolean): void; addBytes(n: number): void } {
  let last = 0;
  const p = {
    done: 0,
    bytes: 0,
    report(force: boolean): void {
      const now = Date.now();
      if (!o.reporter?.progress || (!force && now - last < 100)) return;
      last = now;
      o.reporter.progress({ label, done: p.done, total, bytes: p.bytes });
    },
    addBytes(n: number): void {
      p.bytes += n;
      p.report(false);
    },
  };
  return p;
}

/** Runs a batch transfer (putMany/getMany) with progress and the known-objects cache; undefined when the remote has none. */
async function batch(label: string, objs: NeededObject[], failed: MoveResult['failed'], o: MoveOptions, run: (b: BatchOptions) => Promise<BatchResult | undefined>): Promise<MoveResult | undefined> {
  const byId = new Map(objs.map((x) => [x.sha256, x]));
  const p = progressOf(label, objs.length, o);
  p.done = failed.length;
  const r = await run({
    jobs: o.jobs,
    onBytes: (n) => p.addBytes(n),
    onDone: (refs) => {
      p.done += refs.length;
      p.report(p.done === objs.length);
    },
  });
  if (!r) return undefined;
  const ok = r.ok.map((x) => byId.get(x.sha256)!).filter(Boolean);
  if (o.known) await o.known.add(ok.map((x) => x.sha256));
  return {
    ok,
    failed: [...failed, ...r.failed.map((f) => ({ object: byId.get(f.ref.sha256) ?? { ...f.ref, path: f.ref.sha256.slice(0, 12) }, error: asGitreproError(f.error) }))],
    bytes: ok.reduce((n, x) => n + x.size, 0),
  };
}

async function move(label: string, objs: NeededObject[], o: MoveOptions, one: (obj: NeededObject, onBytes: (n: number) => void) => Promise<void>): Promise<MoveResult> {
  const p = progressOf(label, objs.length, o);
  const onBytes = (n: number): void => p.addBytes(n);
  const r = await transfer(
    objs,
    async (obj) => {
      let sent = 0;
      await one(obj, (n) => {
        sent += n;
        onBytes(n);
      }).catch((e: unknown) => {
        p.bytes -= sent; // a retry starts over
        sent = 0;
        throw e;
      });
      if (sent < obj.size) onBytes(obj.size - sent); // present already, or a backend without byte progress
    },
    {
      jobs: o.jobs,
      onProgress: (q) => {
        p.done = q.done;
        p.report(q.done === q.total);
      },
    },
  );
  if (o.known) await o.known.add(r.ok.map((x) => x.sha256));
  return {
    ok: r.ok,
    failed: r.failed.map((f) => ({ object: f.item, error: asGitreproError(f.error) })),
    bytes: r.ok.reduce((n, x) => n + x.size, 0),
  };
}

function asGitreproError(e: unknown): GitreproError {
  if (isGitreproError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  return new GitreproError('GITREPRO_IO_FAILED', `${(e as Error)?.message ?? String(e)}`, { data: { errno: typeof code === 'string' ? code : undefined } });
}

export interface OpenedRemote {
  info: RemoteInfo;
  remote: Remote;
  /** what the remote is known to hold (store/known.ts) */
  known: KnownCache;
}

/**
 * Opens store remote `name` (default: the default remote) with its known-objects cache, runs
 * `fn`, and closes the remote whatever happens: the preamble of every push and fetch.
 */
export async function withStoreRemote<T>(repo: Repo, name: string | undefined, env: NodeJS.ProcessEnv, fn: (r: OpenedRemote) => Promise<T>): Promise<T> {
  const opened = await openHeld(repo, name, env);
  try {
    return await fn(opened);
  } finally {
    await opened.remote.close();
  }
}

export interface EnsureResult {
  /** the store remote used (undefined: nothing needed one) */
  remote?: string;
  location?: string;
  needed: number;
  /** found in the known-objects cache: no call made for them */
  known: number;
  /** found on the remote by `has` */
  present: number;
  uploaded: NeededObject[];
  bytes: number;
  failed: { object: NeededObject; error: GitreproError }[];
  /** policy.pushMissing=refuse: objects the remote lacks, not uploaded */
  refused: NeededObject[];
  /** false when the store remote was not asked anything */
  contacted: boolean;
}

export interface EnsureOptions {
  remote?: string;
  env: NodeJS.ProcessEnv;
  reporter?: Reporter;
  /** do not upload: report what the remote lacks (policy.pushMissing=refuse) */
  refuse?: boolean;
  /** ignore the known-objects cache */
  recheck?: boolean;
}

/** Makes the store remote hold `objects`: cache, then one batched `has`, then uploads. */
export async function ensureOnRemote(repo: Repo, objects: Map<string, NeededObject>, o: EnsureOptions): Promise<EnsureResult> {
  const res: EnsureResult = { needed: objects.size, known: 0, present: 0, uploaded: [], bytes: 0, failed: [], refused: [], contacted: false };
  if (objects.size === 0) return res;
  return withStoreRemote(repo, o.remote, o.env, async ({ info, remote, known }) => {
    res.remote = info.name;
    res.location = remote.display;
    const unknown = [...objects.values()].filter((x) => o.recheck || !known.has(x.sha256));
    res.known = objects.size - unknown.length;
    if (unknown.length === 0) return res;
    res.contacted = true;
    const present = await remote.has(unknown.map((x) => x.sha256));
    trace(`store remote: has ${present.size} of ${unknown.length}`);
    await known.add(present);
    res.present = present.size;
    const missing = unknown.filter((x) => !present.has(x.sha256));
    if (o.recheck) await known.forget(missing.map((x) => x.sha256));
    if (missing.length === 0) return res;
    if (o.refuse) {
      res.refused = missing;
      return res;
    }
    const moved = await uploadObjects(repo, remote, missing, { jobs: repo.config.policy.jobs, reporter: o.reporter, known });
    res.uploaded = moved.ok;
    res.bytes = moved.bytes;
    res.failed = moved.failed;
    return res;
  });
}

/** Downloads `want` from the store remote `o.remote` (default: the default remote); `where` learns which. */
export async function download(repo: Repo, want: NeededObject[], o: { remote?: string; env: NodeJS.ProcessEnv; reporter?: Reporter }, where: { remote?: string; location?: string }): Promise<MoveResult> {
  return withStoreRemote(repo, o.remote, o.env, async (r) => downloadFrom(repo, r, want, o, where));
}

function downloadFrom(repo: Repo, { info, remote, known }: OpenedRemote, want: NeededObject[], o: { reporter?: Reporter; onChecked?: OnChecked }, where: { remote?: string; location?: string }): Promise<MoveResult> {
  where.remote = info.name;
  where.location = remote.display;
  return downloadObjects(repo, remote, want, { jobs: repo.config.policy.jobs, reporter: o.reporter, known, onChecked: o.onChecked });
}

export interface Fetcher {
  /** for SyncOptions.fetchMissing */
  fetchMissing(refs: ObjectRef[], onChecked?: OnChecked): Promise<void>;
  /**
   * for SyncOptions.remoteObjects: what the store remote's pack indexes claim (none on any
   * failure). The remote stays open for the fetch that follows, until `close`.
   */
  listObjects(): Promise<ObjectRef[]>;
  /** closes the remote listObjects opened (the fetcher stays usable) */
  close(): Promise<void>;
  fetched: number;
  bytes: number;
  /** one line per distinct reason objects could not be fetched */
  problems: string[];
}

/**
 * A fetchMissing callback: downloads from the store remote (named, else the default) what a
 * restore needs. It never throws: what it cannot get stays missing, and the restore reports it;
 * the reasons (no remote, auth, unreachable) are collected in `problems`.
 */
export function remoteFetcher(repo: Repo, o: { remote?: string; env: NodeJS.ProcessEnv; reporter?: Reporter }): Fetcher {
  // opened by listObjects and used again by the fetch: one listing of the remote's indexes
  let held: Promise<OpenedRemote> | undefined;
  const f: Fetcher = {
    fetched: 0,
    bytes: 0,
    problems: [],
    async fetchMissing(refs, onChecked) {
      const want = refs.map((r) => ({ ...r, path: r.sha256.slice(0, 12) }));
      trace(`fetching ${want.length} missing object(s)`);
      try {
        const opened = await held?.catch(() => undefined);
        const moved = opened ? await downloadFrom(repo, opened, want, { reporter: o.reporter, onChecked }, {}) : await withStoreRemote(repo, o.remote, o.env, (r) => downloadFrom(repo, r, want, { reporter: o.reporter, onChecked }, {}));
        trace(`fetched ${moved.ok.length} object(s), ${moved.failed.length} failed`);
        f.fetched += moved.ok.length;
        f.bytes += moved.bytes;
        for (const m of new Set(moved.failed.map((x) => x.error.message))) f.problems.push(m);
      } catch (e) {
        if (!isGitreproError(e)) throw e;
        f.problems.push(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
      }
    },
    async listObjects() {
      try {
        held ??= openHeld(repo, o.remote, o.env);
        const objs = (await (await held).remote.listObjects?.()) ?? [];
        trace(`store remote: ${objs.length} object(s) in its pack indexes`);
        return objs;
      } catch (e) {
        // the fetch that follows reports what is wrong with the remote
        if (!isGitreproError(e)) throw e;
        return [];
      }
    },
    async close() {
      const h = held;
      held = undefined;
      await (await h?.catch(() => undefined))?.remote.close();
    },
  };
  return f;
}

/** withStoreRemote's opening, for a remote used by more than one call (closed by its user). */
async function openHeld(repo: Repo, name: string | undefined, env: NodeJS.ProcessEnv): Promise<OpenedRemote> {
  const info = await resolveStoreRemote(repo, name);
  const remote = await openStoreRemote(repo, info, env);
  try {
    const known = await KnownCache.load(knownFile(repo, info.name), remote.display);
    trace(`store remote ${info.name}: opened, ${known.size} object(s) known to be there`);
    return { info, remote, known };
  } catch (e) {
    await remote.close();
    throw e;
  }
}
