/**
 * A store remote as gitrepro sees it: objects by sha256, whatever the remote's format
 * (store/remote-format.ts). It wraps a backend (directory, S3) that offers both loose objects
 * (`Remote`, format v1) and raw files (`RemoteFiles`, format v2) and implements `Remote` on top:
 *
 *   reading  any format: pack indexes first (store/pack-catalog.ts), then loose objects; every
 *            object taken from a pack is re-hashed on arrival (LocalStore.receive/receiveBatch,
 *            receive.ts), every chunk of a big file too, and the reassembled file against its
 *            own sha256 before it gets its name;
 *   writing  the remote's format: v1 object by object (the backend's `put`); v2 in packs
 *            (`putMany`), big files as content-defined chunks (store/chunker.ts) whose chunk
 *            list is published only after every chunk is.
 *
 * Publication order in v2 (what makes a killed push harmless): a pack is uploaded before its
 * index, and an index is the only thing that makes objects visible; chunked files go into a last
 * index once the indexes of their chunks are published. A push killed anywhere leaves at most
 * a pack that no index names (garbage for a future gc), never an index naming bytes that are
 * not there; the rerun finds what the published indexes hold and packs the rest again.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError, isGitreproError } from '../errors.js';
import { trace } from '../trace.js';
import { chunkFile } from './chunker.js';
import { PackHasher } from './hash-thread.js';
import type { LocalStore } from './local.js';
import { Catalog, refreshCatalog, type BlobLoc, type ChunkedLoc } from './pack-catalog.js';
import { decodeChunkList, encodeChunkList, FormatError, type Chunk, type ChunkList } from './pack-format.js';
import { CHUNK_THRESHOLD, MAX_BLOB, PACK_TARGET, PACKS_IN_FLIGHT, PackBuilder, planReads, READ_GAP, READ_MAX, type RangeRead } from './pack.js';
import { openSource, readFileInto, receive, sha256Hex, SourceRefused, type ByteSource } from './receive.js';
import { badMarker, FORMAT_KEY, indexKey, LATEST_FORMAT, markerBytes, newerFormat, packKey, parseMarker, type RemoteFormat } from './remote-format.js';
import { isFatalError, transfer } from './retry.js';
import type { BatchOptions, BatchResult, LocalItem, LooseObject, ObjectRef, ObjectSink, Remote, RemoteFiles, Sha256, TransferProgress } from './types.js';

const SHA_RE = /^[0-9a-f]{64}$/;
/** chunked reads ahead of the one being written (per big file) */
const PREFETCH = 4;

export interface PackedRemoteOptions {
  /** the format a first push declares on an empty remote */
  format: RemoteFormat;
  /** the local cache of this remote's indexes (immutable, named by hash) */
  cache?: LocalStore;
}

interface State {
  /** the declared format, when the remote has a marker */
  marker?: number;
  /** the remote holds loose objects */
  loose: boolean;
  cat: Catalog;
}

/** What a remote is, for `gitrepro remote info` and the tests. */
export interface FormatInfo {
  /** the declared format (undefined: no marker) */
  declared?: number;
  /** what a push writes: undefined while the remote is empty and undeclared */
  writes?: RemoteFormat;
  indexes: number;
  objectsInPacks: number;
  loose: boolean;
  damaged: string[];
}

type Backend = Remote & RemoteFiles;

export class PackedRemote implements Remote {
  private stateP?: Promise<State>;

  constructor(
    readonly backend: Backend,
    private readonly o: PackedRemoteOptions,
  ) {}

  get name(): string {
    return this.backend.name;
  }

  get display(): string {
    return this.backend.display;
  }

  check(): Promise<void> {
    return this.backend.check();
  }

  close(): Promise<void> {
    return this.backend.close();
  }

  /** The marker, the loose-object probe and the catalog, loaded once per opened remote. */
  private state(): Promise<State> {
    this.stateP ??= this.loadState().catch((e: unknown) => {
      this.stateP = undefined;
      throw e;
    });
    return this.stateP;
  }

  private async loadState(): Promise<State> {
    const [mark, loose] = await Promise.all([this.backend.readFile(FORMAT_KEY, 64), this.backend.hasLoose()]);
    let marker: number | undefined;
    if (mark !== undefined) {
      marker = parseMarker(mark);
      if (marker === undefined) throw badMarker(this.name, this.display);
      if (marker > LATEST_FORMAT) throw newerFormat(this.name, this.display, marker);
    }
    const cat = new Catalog();
    await refreshCatalog(cat, this.backend, { jobs: 8, cache: this.o.cache });
    return { marker, loose: loose || marker === 1, cat };
  }

  /** The format new objects are written in; an empty, undeclared remote is declared first. */
  private async writeFormat(st: State): Promise<RemoteFormat> {
    if (st.marker === 1 || st.marker === 2) return st.marker;
    if (st.cat.indexes.size > 0) return 2;
    if (st.loose) return 1; // written by a gitrepro before v2: stays v1 until `gitrepro remote upgrade`
    const m = markerBytes(this.o.format);
    await this.backend.writeFile(FORMAT_KEY, m, createHash('sha256').update(m).digest('hex'));
    st.marker = this.o.format;
    if (st.marker === 1) st.loose = true; // what it holds from now on is loose
    trace(`store remote ${this.name}: declared format v${this.o.format}`);
    return this.o.format;
  }

  async info(): Promise<FormatInfo> {
    const st = await this.state();
    const writes = st.marker === 1 || st.marker === 2 ? st.marker : st.cat.indexes.size > 0 ? 2 : st.loose ? 1 : undefined;
    return { declared: st.marker, writes, indexes: st.cat.indexes.size, objectsInPacks: st.cat.blobs.size + st.cat.chunked.size, loose: st.loose, damaged: [...st.cat.damaged.keys()] };
  }

  /** Declares format v2 on a v1 remote (`gitrepro remote upgrade`): its loose objects stay readable. */
  async upgrade(): Promise<{ from?: number; to: RemoteFormat }> {
    const st = await this.state();
    const from = st.marker;
    if (st.marker !== 2) {
      const m = markerBytes(2);
      await this.backend.writeFile(FORMAT_KEY, m, createHash('sha256').update(m).digest('hex'));
      st.marker = 2;
    }
    return { from, to: 2 };
  }

  /** Where the packs hold object `sha` (tests, gc). */
  async locate(sha: Sha256): Promise<{ blobs: BlobLoc[]; chunked: ChunkedLoc[] }> {
    const st = await this.state();
    return { blobs: st.cat.blobLocs(sha), chunked: st.cat.chunkedLocs(sha) };
  }

  async listObjects(): Promise<ObjectRef[]> {
    const st = await this.state();
    const out: ObjectRef[] = [];
    for (const ix of st.cat.indexes.values()) {
      for (const b of ix.blobs) out.push({ sha256: b.id, size: b.length });
      for (const c of ix.chunked) out.push({ sha256: c.id, size: c.size });
    }
    return out;
  }

  async has(shas: Sha256[]): Promise<Set<Sha256>> {
    const st = await this.state();
    const found = new Set<Sha256>();
    const rest: Sha256[] = [];
    for (const s of new Set(shas)) {
      if (!SHA_RE.test(s)) throw new GitreproError('GITREPRO_SNAPSHOT_INVALID', `not a sha256 object id: ${s.slice(0, 80)}`);
      if (st.cat.holds(s)) found.add(s);
      else rest.push(s);
    }
    if (rest.length && st.loose) for (const s of await this.backend.has(rest)) found.add(s);
    return found;
  }

  async prepare(refs: ObjectRef[]): Promise<void> {
    const st = await this.state();
    if ((await this.writeFormat(st)) === 1) await this.backend.prepare?.(refs);
  }

  /** One object: v1 as a loose object, v2 as a pack of its own (always written: a put repairs). */
  async put(ref: ObjectRef, src: string, progress?: TransferProgress): Promise<void> {
    const st = await this.state();
    if ((await this.writeFormat(st)) === 1) return this.backend.put(ref, src, progress);
    const r = await this.packObjects(st, [{ ref, src }], { jobs: 1, onBytes: progress?.onBytes }, true);
    if (r.failed.length) throw r.failed[0]!.error;
  }

  async putMany(items: LocalItem[], o: BatchOptions): Promise<BatchResult | undefined> {
    const st = await this.state();
    if ((await this.writeFormat(st)) === 1) return undefined;
    return this.packObjects(st, items, o, false);
  }

  async open(ref: ObjectRef): Promise<ByteSource> {
    const st = await this.state();
    const openers = this.openers(st, ref);
    if (openers.length === 0) return this.openLoose(st, ref);
    let first: unknown;
    for (const op of openers) {
      try {
        return await op();
      } catch (e) {
        if (!isGitreproError(e, 'GITREPRO_OBJECT_CORRUPT') && !isGitreproError(e, 'GITREPRO_OBJECT_MISSING')) throw e;
        first ??= e;
      }
    }
    throw first;
  }

  /** Downloads into `dest`, trying each copy the packs hold until one verifies. */
  async get(ref: ObjectRef, dest: string, progress?: TransferProgress): Promise<void> {
    const st = await this.state();
    const openers = this.openers(st, ref);
    const loose = openers.length === 0 ? await this.openLoose(st, ref) : undefined;
    await mkdir(path.dirname(dest), { recursive: true });
    if (loose) return void (await receive(loose, ref, dest, { tmpDir: path.dirname(dest), mode: 0o444, durable: true, onBytes: progress?.onBytes }));
    let first: unknown;
    for (const op of openers) {
      try {
        return void (await receive(await op(), ref, dest, { tmpDir: path.dirname(dest), mode: 0o444, durable: true, onBytes: progress?.onBytes }));
      } catch (e) {
        if (!isGitreproError(e, 'GITREPRO_OBJECT_CORRUPT') && !isGitreproError(e, 'GITREPRO_OBJECT_MISSING')) throw e;
        first ??= e;
      }
    }
    throw first;
  }

  /**
   * Removes objects: loose copies, and from every pack that holds them by repacking it without
   * them (the building block of a future gc: a pack is rewritten with what stays, the new index
   * published, then the old index and pack deleted).
   */
  async delete(shas: Sha256[]): Promise<void> {
    const st = await this.state();
    await this.backend.delete(shas);
    const drop = new Set(shas.filter((s) => st.cat.holds(s)));
    if (drop.size) await this.repack(st, drop);
  }

  /**
   * Everything the remote holds, for gc: its loose objects, each published index with its pack
   * (sizes and mtimes where the backend knows them), the packs no index names (left by a push
   * killed between pack and index), and the indexes set aside as damaged. Read fresh (the
   * catalog is refreshed from the listing, not taken from an earlier call).
   */
  async inventory(): Promise<RemoteInventory> {
    const st = await this.state();
    await refreshCatalog(st.cat, this.backend, { jobs: 8, cache: this.o.cache });
    const [packFiles, indexFiles, loose] = await Promise.all([this.backend.listFiles('packs'), this.backend.listFiles('index'), st.loose ? this.backend.listLoose() : Promise.resolve([])]);
    const packs = new Map(packFiles.map((f) => [f.key, f]));
    const ixFiles = new Map(indexFiles.map((f) => [f.key, f]));
    const named = new Set<string>();
    const indexes: RemoteInventory['indexes'] = [];
    for (const [id, ix] of st.cat.indexes) {
      const pf = packs.get(packKey(ix.pack));
      named.add(packKey(ix.pack));
      indexes.push({ id, pack: ix.pack, packSize: pf?.size ?? 0, mtime: Math.max(pf?.mtime ?? Date.now(), ixFiles.get(indexKey(id))?.mtime ?? Date.now()), blobs: ix.blobs.map((b) => ({ id: b.id, length: b.length })), chunked: ix.chunked.map((c) => ({ id: c.id, size: c.size, list: c.list })) });
    }
    // the pack a damaged index names is unknown: then no pack is taken for an orphan
    if (st.cat.damaged.size) return { loose, indexes, orphanPacks: [], damaged: [...st.cat.damaged.keys()] };
    const orphanPacks = packFiles.filter((f) => !named.has(f.key)).map((f) => ({ key: f.key, size: f.size, mtime: f.mtime ?? Date.now() }));
    return { loose, indexes, orphanPacks, damaged: [] };
  }

  /** The chunk list and the chunks of chunked object `sha` (every copy the indexes describe), read from the remote (gc). */
  async partsOf(sha: Sha256): Promise<string[]> {
    const st = await this.state();
    const out: string[] = [];
    for (const loc of st.cat.chunkedLocs(sha)) {
      out.push(loc.list);
      const list = await this.readChunkList(st, { sha256: sha, size: loc.size }, loc);
      for (const c of list.chunks) out.push(c.id);
    }
    return out;
  }

  /** Removes whole files (packs that no index names): gc. */
  async deleteFiles(keys: string[]): Promise<void> {
    await this.backend.deleteFiles(keys);
  }

  /** Downloads `refs` into the local store: coalesced ranges of packs, chunked files, loose objects. */
  async getMany(refs: ObjectRef[], sink: ObjectSink, o: BatchOptions): Promise<BatchResult | undefined> {
    const st = await this.state();
    if (st.cat.indexes.size === 0) return undefined;
    type Task = { kind: 'range'; read: RangeRead<ObjectRef>; size: number } | { kind: 'chunked'; ref: ObjectRef; loc: ChunkedLoc; size: number } | { kind: 'loose'; ref: ObjectRef; size: number };
    const byPack = new Map<string, { offset: number; length: number; item: ObjectRef }[]>();
    const tasks: Task[] = [];
    const seen = new Set<string>();
    for (const ref of refs) {
      if (seen.has(ref.sha256)) continue;
      seen.add(ref.sha256);
      const b = st.cat.blobLocs(ref.sha256, ref.size).find((x) => x.length <= MAX_BLOB);
      const c = b ? undefined : st.cat.chunkedLocs(ref.sha256, ref.size)[0];
      if (b) {
        const l = byPack.get(b.pack) ?? [];
        l.push({ offset: b.offset, length: b.length, item: ref });
        byPack.set(b.pack, l);
      } else if (c) tasks.push({ kind: 'chunked', ref, loc: c, size: ref.size });
      else tasks.push({ kind: 'loose', ref, size: ref.size });
    }
    for (const [pack, wanted] of byPack) for (const read of planReads(pack, wanted)) tasks.push({ kind: 'range', read, size: read.items.reduce((n, w) => n + w.length, 0) });
    // big files first: each is a long stream, better started early than left for last
    tasks.sort((a, b) => (b.kind === 'chunked' ? 1 : 0) - (a.kind === 'chunked' ? 1 : 0));
    const ok: ObjectRef[] = [];
    const failed: { ref: ObjectRef; error: unknown }[] = [];
    const done = (r: ObjectRef[]): void => {
      ok.push(...r);
      o.onDone?.(r);
    };
    const r = await transfer(
      tasks,
      async (t) => {
        if (t.kind === 'range') {
          const buf = await this.backend.readRange(packKey(t.read.pack), t.read.offset, t.read.length);
          const items = t.read.items.map((w) => ({ ref: w.item, bytes: buf.subarray(w.offset - t.read.offset, w.offset - t.read.offset + w.length) }));
          const res = await sink.receiveBatch(items, (ref, got) => this.corruptIn(ref, t.read.pack, got));
          for (const f of res.failed) failed.push({ ref: f.ref, error: f.error });
          o.onBytes?.(res.ok.reduce((n, x) => n + x.size, 0));
          done(res.ok);
        } else if (t.kind === 'chunked') {
          await sink.receive(t.ref, await this.chunkedSource(st, t.ref, t.loc), { onBytes: o.onBytes });
          done([t.ref]);
        } else {
          await sink.receive(t.ref, await this.openLoose(st, t.ref), { onBytes: o.onBytes, link: true });
          done([t.ref]);
        }
      },
      { jobs: o.jobs, sizeOf: (t) => t.size },
    );
    for (const f of r.failed) {
      const t = f.item;
      for (const ref of t.kind === 'range' ? t.read.items.map((w) => w.item) : [t.ref]) failed.push({ ref, error: f.error });
    }
    // a second chance for what failed its check or went missing: the other copies the packs hold
    const retry = failed.splice(0);
    for (const f of retry) {
      if (!isGitreproError(f.error, 'GITREPRO_OBJECT_CORRUPT') && !isGitreproError(f.error, 'GITREPRO_OBJECT_MISSING')) {
        failed.push(f);
        continue;
      }
      const alts = this.openers(st, f.ref).slice(1);
      let got = false;
      for (const op of alts) {
        try {
          await sink.receive(f.ref, await op(), { onBytes: o.onBytes });
          got = true;
          break;
        } catch {
          // the first error is the one reported
        }
      }
      if (got) done([f.ref]);
      else failed.push(f);
    }
    return { ok, failed };
  }

  // ---- reading ----

  /** Ways to read object `ref` from the packs, in the catalog's order. */
  private openers(st: State, ref: ObjectRef): (() => Promise<ByteSource>)[] {
    const out: (() => Promise<ByteSource>)[] = [];
    for (const b of st.cat.blobLocs(ref.sha256, ref.size).filter((x) => x.length <= MAX_BLOB)) {
      out.push(async () => ({ kind: 'bytes', bytes: await this.backend.readRange(packKey(b.pack), b.offset, b.length), corrupt: (got) => this.corruptIn(ref, b.pack, got) }));
    }
    for (const c of st.cat.chunkedLocs(ref.sha256, ref.size)) out.push(() => this.chunkedSource(st, ref, c));
    return out;
  }

  private async openLoose(st: State, ref: ObjectRef): Promise<ByteSource> {
    try {
      return await this.backend.open(ref);
    } catch (e) {
      if (!isGitreproError(e, 'GITREPRO_OBJECT_MISSING') || (st.cat.indexes.size === 0 && st.marker !== 2)) throw e;
      throw this.missing(st, ref.sha256);
    }
  }

  private async readChunkList(st: State, ref: ObjectRef, loc: ChunkedLoc): Promise<ChunkList> {
    const b = st.cat.blobLocs(loc.list).find((x) => x.length <= MAX_BLOB);
    if (!b) throw this.missing(st, loc.list, `the chunk list of ${ref.sha256.slice(0, 12)}`);
    const bytes = await this.backend.readRange(packKey(b.pack), b.offset, b.length);
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== loc.list) throw this.corruptIn({ sha256: loc.list, size: b.length }, b.pack, { sha256: got, size: bytes.length }, `the chunk list of ${ref.sha256.slice(0, 12)}`);
    try {
      const cl = decodeChunkList(bytes);
      if (cl.size !== ref.size) throw new FormatError(`it describes ${cl.size} bytes, not ${ref.size}`);
      return cl;
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      throw new GitreproError('GITREPRO_OBJECT_CORRUPT', `the chunk list of ${ref.sha256.slice(0, 12)} on store remote "${this.name}" is invalid (${e.message}): not downloaded`, {
        hint: 'a clone with a good copy can push the file again; `gitrepro verify --deep` lists what is damaged',
        data: { sha256: ref.sha256, list: loc.list, remote: this.name },
      });
    }
  }

  /**
   * A big file as a stream of its chunks in order: the chunk list read and checked, the chunks'
   * places planned in file order (contiguous chunks of one pack in one ranged read), PREFETCH
   * reads in flight, each chunk re-hashed before it is passed on. The receiver hashes the whole
   * stream against the file's sha256 before the file gets its name.
   */
  private async chunkedSource(st: State, ref: ObjectRef, loc: ChunkedLoc): Promise<ByteSource> {
    const list = await this.readChunkList(st, ref, loc);
    type Read = { pack: string; offset: number; length: number; chunks: { c: Chunk; at: number }[] };
    const reads: Read[] = [];
    for (const c of list.chunks) {
      const b = st.cat.blobLocs(c.id, c.length)[0];
      if (!b) throw this.missing(st, c.id, `chunk ${c.id.slice(0, 12)} of ${ref.sha256.slice(0, 12)}`);
      const last = reads[reads.length - 1];
      const gap = last ? b.offset - (last.offset + last.length) : -1;
      if (last && last.pack === b.pack && gap >= 0 && gap <= READ_GAP && last.length + gap + b.length <= READ_MAX) {
        last.chunks.push({ c, at: b.offset - last.offset });
        last.length += gap + b.length;
      } else reads.push({ pack: b.pack, offset: b.offset, length: b.length, chunks: [{ c, at: 0 }] });
    }
    let stopped = false;
    const backend = this.backend;
    const fetchRead = (r: Read): Promise<Buffer> => backend.readRange(packKey(r.pack), r.offset, r.length);
    const corruptIn = this.corruptIn.bind(this);
    async function* stream(): AsyncGenerator<Uint8Array> {
      const ahead: Promise<Buffer>[] = [];
      let next = 0;
      const fill = (): void => {
        while (ahead.length < PREFETCH && next < reads.length) {
          const p = fetchRead(reads[next++]!);
          p.catch(() => {}); // awaited in order below; an early failure must not go unhandled
          ahead.push(p);
        }
      };
      for (let i = 0; i < reads.length && !stopped; i++) {
        fill();
        const buf = await ahead.shift()!;
        const r = reads[i]!;
        for (const { c, at } of r.chunks) {
          const bytes = buf.subarray(at, at + c.length);
          const got = sha256Hex(bytes);
          if (got !== c.id) throw corruptIn({ sha256: c.id, size: c.length }, r.pack, { sha256: got, size: bytes.length }, `chunk ${c.id.slice(0, 12)} of ${ref.sha256.slice(0, 12)}`);
          yield bytes;
        }
      }
    }
    return {
      kind: 'stream',
      stream: stream(),
      destroy: () => {
        stopped = true;
      },
      corrupt: (got) =>
        new GitreproError('GITREPRO_OBJECT_CORRUPT', `the chunks of ${ref.sha256.slice(0, 12)} on store remote "${this.name}" reassemble into ${got.size} bytes hashing to ${got.sha256.slice(0, 12) || '?'}, not the file: not downloaded`, {
          hint: 'its chunk list is wrong; a clone with a good copy can push the file again',
          data: { sha256: ref.sha256, got: got.sha256, size: got.size, remote: this.name },
        }),
    };
  }

  // ---- writing ----

  /**
   * Packs `items` and uploads the packs, PACKS_IN_FLIGHT at a time (see the module comment for
   * the order of publication). Objects the catalog holds are skipped unless `force` (a `put`
   * rewrites, which is how a damaged copy is repaired). Small objects are read whole and
   * checked against their id (those copied out of a local pack on a second thread, with the
   * pack's own hash, before the pack is published: store/hash-thread.ts); big ones are chunked
   * while their whole-file hash is checked.
   */
  private async packObjects(st: State, items: LocalItem[], o: BatchOptions, force: boolean): Promise<BatchResult> {
    const hasher = new PackHasher({ thread: items.length > 1 });
    try {
      return await this.packObjectsWith(st, items, o, force, hasher);
    } finally {
      await hasher.close();
      if (hasher.counts.thread) trace(`store remote ${this.name}: ${hasher.counts.thread} pack(s) hashed on a second thread, ${hasher.counts.here} on the main thread`);
    }
  }

  private async packObjectsWith(st: State, items: LocalItem[], o: BatchOptions, force: boolean, hasher: PackHasher): Promise<BatchResult> {
    const ok: ObjectRef[] = [];
    const failed: { ref: ObjectRef; error: unknown }[] = [];
    const known = (id: string): boolean => !force && st.cat.holds(id);
    const packedHere = new Map<string, PackBuilder>();
    const results = new Map<PackBuilder, unknown>(); // null: published
    /** per published pack, the objects it left out (no good local copy), with the reason */
    const droppedIn = new Map<PackBuilder, Map<string, unknown>>();
    const inflight = new Set<Promise<void>>();
    const lanes = Math.max(1, Math.min(PACKS_IN_FLIGHT, o.jobs));
    let fatal: unknown;
    let cur = new PackBuilder();

    const flush = async (b: PackBuilder): Promise<void> => {
      if (b.empty) return;
      while (inflight.size >= lanes) await Promise.race(inflight);
      const p: Promise<void> = this.publish(st, b, hasher).then(
        (d) => {
          droppedIn.set(b, d.errors);
          // refs of a dropped object fail, those that joined the pack after the drop too
          const refs = b.refs.filter((r) => !d.errors.has(r.sha256));
          for (const ref of [...d.refs, ...b.refs.filter((r) => d.errors.has(r.sha256))]) failed.push({ ref, error: d.errors.get(ref.sha256) });
          results.set(b, null);
          ok.push(...refs);
          o.onBytes?.(b.bytes);
          o.onDone?.(refs);
        },
        (e: unknown) => {
          results.set(b, e);
          if (isFatalError(e)) fatal ??= e;
          for (const ref of b.refs) failed.push({ ref, error: e });
        },
      );
      const tracked = p.finally(() => {
        inflight.delete(tracked);
        b.release();
      });
      inflight.add(tracked);
    };
    /**
     * Reads of neighbours in a local pack, put off and joined: objects that lie side by side in
     * a local pack land side by side in the pack being built, so a run of them is one read
     * straight into its buffer (W2: 100,000 copies out of a 1 MiB window were 0.37 s of copying
     * and most of 0.4 s of GC). Unchecked, like every local packed copy: publish() hashes them.
     * Read before anything else touches the builder's buffer, and before it is handed over.
     */
    let run: { b: PackBuilder; pack: string; from: number; at: number; length: number; read: (pack: string, offset: number, into: Buffer) => number } | undefined;
    const readRun = (): void => {
      if (!run) return;
      const r = run;
      run = undefined;
      const into = r.b.buffer.subarray(r.at, r.at + r.length);
      let got = 0;
      try {
        got = r.read(r.pack, r.from, into);
      } catch {
        // unreadable: the zeros below fail every object's check, and each is read again alone
      }
      if (got < into.length) into.fill(0, got);
    };
    /** Reserves the object's slot in the current run of neighbours; false when it is not packed. */
    const joinRun = (it: LocalItem, slot: Buffer): boolean => {
      const loc = it.packed?.();
      if (!loc || !it.readRun || loc.length !== slot.length) return false;
      const at = slot.byteOffset - cur.buffer.byteOffset;
      if (run && run.b === cur && run.pack === loc.pack && run.from + run.length === loc.offset && run.at + run.length === at) run.length += loc.length;
      else {
        readRun();
        run = { b: cur, pack: loc.pack, from: loc.offset, at, length: loc.length, read: it.readRun };
      }
      return true;
    };
    /** `redo`: for bytes copied in unchecked, how to read a checked copy if they fail their check */
    const add = async (id: string, length: number, fill: (slot: Buffer) => boolean, redo?: (slot: Buffer) => void, ref?: ObjectRef): Promise<void> => {
      let unchecked = false;
      const at = cur.addWith(id, length, (slot) => void (unchecked = !fill(slot)));
      if (unchecked && at >= 0 && redo) cur.unchecked.set(id, { offset: at, length, redo });
      packedHere.set(id, cur);
      if (ref) {
        cur.refs.push(ref);
        cur.bytes += ref.size;
      }
      if (cur.size >= PACK_TARGET) {
        readRun();
        const full = cur;
        cur = new PackBuilder();
        await flush(full);
      }
    };

    const manifest: { ref: ObjectRef; list: Buffer; listId: string; deps: Set<PackBuilder> }[] = [];
    let sinceYield = 0;
    for (const it of items) {
      const { ref } = it;
      // small objects are read synchronously: let the uploads in flight move now and then
      if ((sinceYield += ref.size + 4096) >= 4 << 20) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (fatal) {
        failed.push({ ref, error: fatal });
        continue;
      }
      if (known(ref.sha256)) {
        ok.push(ref);
        continue;
      }
      try {
        if (ref.size <= CHUNK_THRESHOLD) {
          const dup = packedHere.get(ref.sha256);
          if (dup) {
            // reported with its pack; once the pack is published, at once
            const lost = droppedIn.get(dup)?.get(ref.sha256);
            if (!results.has(dup)) dup.refs.push(ref);
            else if (results.get(dup) === null && !droppedIn.get(dup)?.has(ref.sha256)) ok.push(ref);
            else failed.push({ ref, error: results.get(dup) ?? lost });
            continue;
          }
          await add(
            ref.sha256,
            ref.size,
            (slot) => (joinRun(it, slot) ? false : this.readLocalInto(it, slot, true)),
            (slot) => void this.readLocalInto(it, slot, false),
            ref,
          );
          continue;
        }
        readRun(); // the chunks below may land on a slot of the run
        const deps = new Set<PackBuilder>();
        const chunks: Chunk[] = [];
        const whole = createHash('sha256');
        const src = await this.openLocal(it);
        try {
          for await (const c of chunkFile(src.handle, ref.size)) {
            whole.update(c);
            const id = sha256Hex(c);
            chunks.push({ id, length: c.length });
            if (known(id)) continue;
            let b = packedHere.get(id);
            const u = b?.unchecked.get(id);
            if (b && u && b === cur) {
              // a small object with this chunk's bytes, copied in unchecked: the chunk is a good copy
              c.copy(b.slot(u));
              b.unchecked.delete(id);
            } else if (b && (u || !b.has(id))) {
              // in a pack handed over: still unchecked (its check may drop it), or dropped already
              // (no good local copy): the chunk goes into the current pack, the list depends on that
              b = undefined;
            }
            if (b) {
              deps.add(b);
              continue;
            }
            deps.add(cur);
            await add(id, c.length, (slot) => c.copy(slot) >= 0);
          }
        } finally {
          await src.handle.close().catch(() => {});
        }
        const got = whole.digest('hex');
        if (got !== ref.sha256) throw this.localCorrupt(ref, { sha256: got, size: ref.size });
        const list = encodeChunkList({ size: ref.size, chunks });
        manifest.push({ ref, list, listId: createHash('sha256').update(list).digest('hex'), deps });
      } catch (e) {
        failed.push({ ref, error: e });
      }
    }
    readRun();
    await flush(cur);
    while (inflight.size) await Promise.race(inflight);
    // chunked files last: published only once every pack holding their chunks is
    let m = new PackBuilder();
    for (const x of manifest) {
      const bad = [...x.deps].map((d) => results.get(d)).find((r) => r !== null && r !== undefined);
      if (bad !== undefined || fatal) {
        failed.push({ ref: x.ref, error: bad ?? fatal });
        continue;
      }
      m.add(x.listId, x.list);
      m.chunked.push({ id: x.ref.sha256, size: x.ref.size, list: x.listId });
      m.refs.push(x.ref);
      m.bytes += x.ref.size;
      if (m.size >= PACK_TARGET) {
        await flush(m);
        m = new PackBuilder();
      }
    }
    await flush(m);
    while (inflight.size) await Promise.race(inflight);
    return { ok, failed };
  }

  /**
   * Checks the objects copied in unchecked and hashes the pack (on the hasher's thread when it has
   * one), then uploads the pack, then its index (with retries), and adds the index to the catalog
   * and the cache. An object whose copy fails its check is read again from a checked source
   * (`redo`: the loose copy); one without a good copy is dropped from the pack, and its refs are
   * returned with the reason. Nothing is uploaded when every object was dropped.
   */
  private async publish(st: State, b: PackBuilder, hasher?: PackHasher): Promise<{ refs: ObjectRef[]; errors: Map<string, unknown> }> {
    const errors = new Map<string, unknown>();
    const droppedRefs: ObjectRef[] = [];
    const checks = [...b.unchecked].map(([id, u]) => ({ id, offset: u.offset, length: u.length }));
    let packId: string | undefined;
    if (hasher) {
      const h = await hasher.hash(b.buffer, b.size, checks);
      packId = h.packId;
      for (const i of h.bad) {
        const id = checks[i]!.id;
        const u = b.unchecked.get(id)!;
        try {
          u.redo(b.slot(u)); // checked: throws when no good copy is found
        } catch (e) {
          errors.set(id, e);
        }
        packId = undefined; // bytes changed or will move
      }
      b.unchecked.clear();
    } else if (b.unchecked.size) throw new Error('unreachable: unchecked objects without a hasher');
    if (errors.size) {
      const drop = new Set(errors.keys());
      droppedRefs.push(...b.refs.filter((r) => drop.has(r.sha256)));
      b.drop(drop);
      if (b.empty) return { refs: droppedRefs, errors };
    }
    const built = b.finish(packId);
    const once = async (what: () => Promise<void>): Promise<void> => {
      const r = await transfer([0], what, { jobs: 1 });
      if (r.failed.length) throw r.failed[0]!.error;
    };
    await once(() => this.backend.writeFile(packKey(built.packId), built.pack, built.packId));
    await once(() => this.backend.writeFile(indexKey(built.indexId), built.index, built.indexId));
    st.cat.add(built.indexId, built.ix);
    if (this.o.cache) await this.o.cache.receive({ sha256: built.indexId, size: built.index.length }, { kind: 'bytes', bytes: built.index }).catch(() => {});
    trace(`store remote ${this.name}: pack ${built.packId.slice(0, 12)} (${built.pack.length} bytes, ${built.ix.blobs.length} blobs, ${built.ix.chunked.length} chunked) published`);
    return { refs: droppedRefs, errors };
  }

  /**
   * Reads a small object of the local store into its slot of a pack buffer and checks it against
   * its id: a damaged local object is never pushed. Synchronous (store/fsfast.ts): the local store
   * is on this machine, and 100,000 small reads through the thread pool cost seconds. With
   * `defer`, a copy out of a local pack is left unchecked (false is returned): publish() checks it
   * with the pack's hash, on another thread, and calls this again without `defer` if it fails.
   */
  private readLocalInto(it: LocalItem, slot: Buffer, defer: boolean): boolean {
    let packed: string | undefined;
    try {
      // a packed copy first; a loose copy is read when there is no packed one or it is damaged
      if (defer && it.readInto?.(slot)) return false;
      if (it.readInto?.(slot) && (packed = sha256Hex(slot)) === it.ref.sha256) return true;
      readFileInto(it.src, slot);
    } catch (e) {
      if (!(e instanceof SourceRefused)) throw e;
      if (e.reason === 'missing' && packed) throw this.localCorrupt(it.ref, { sha256: packed, size: slot.length });
      if (e.reason === 'missing') throw notLocal(it.ref);
      throw this.localCorrupt(it.ref, { sha256: '', size: -1 }, e.detail);
    }
    const got = sha256Hex(slot);
    if (got !== it.ref.sha256) throw this.localCorrupt(it.ref, { sha256: got, size: slot.length });
    return true;
  }

  private async openLocal(it: LocalItem): Promise<Extract<ByteSource, { kind: 'file' }>> {
    try {
      const src = await openSource(it.src, { size: it.ref.size });
      if (src.kind !== 'file') throw new Error('unreachable: a big file read whole');
      return src;
    } catch (e) {
      if (!(e instanceof SourceRefused)) throw e;
      if (e.reason === 'missing') throw notLocal(it.ref);
      throw this.localCorrupt(it.ref, { sha256: '', size: -1 }, e.detail);
    }
  }

  /**
   * Rewrites every pack holding one of `drop` without those objects (and without the chunk lists
   * of dropped chunked files): what stays is read back, re-hashed and packed anew; the new index
   * is published before the old index, then the old pack, are deleted, so a reader never misses
   * an object that stays.
   */
  private async repack(st: State, drop: Set<string>): Promise<void> {
    const affected = [...st.cat.indexes].filter(([, ix]) => ix.blobs.some((b) => drop.has(b.id)) || ix.chunked.some((c) => drop.has(c.id)));
    for (const [indexId, ix] of affected) {
      const chunked = ix.chunked.filter((c) => !drop.has(c.id));
      const lists = new Set(chunked.map((c) => c.list));
      const droppedLists = new Set(ix.chunked.filter((c) => drop.has(c.id)).map((c) => c.list));
      const blobs = ix.blobs.filter((b) => !drop.has(b.id) && (lists.has(b.id) || !droppedLists.has(b.id)));
      if (blobs.length) {
        const b = new PackBuilder();
        for (const read of planReads(ix.pack, blobs.map((x) => ({ offset: x.offset, length: x.length, item: x.id })))) {
          const buf = await this.backend.readRange(packKey(ix.pack), read.offset, read.length);
          for (const w of read.items) {
            const bytes = Buffer.from(buf.subarray(w.offset - read.offset, w.offset - read.offset + w.length));
            if (createHash('sha256').update(bytes).digest('hex') === w.item) b.add(w.item, bytes);
            else trace(`repack: object ${w.item.slice(0, 12)} in pack ${ix.pack.slice(0, 12)} is damaged: left out`);
          }
        }
        for (const c of chunked) if (b.has(c.list)) b.chunked.push(c);
        if (!b.empty) await this.publish(st, b);
      }
      await this.backend.deleteFiles([indexKey(indexId)]);
      st.cat.remove(indexId);
      if (st.cat.indexesOfPack(ix.pack).length === 0) await this.backend.deleteFiles([packKey(ix.pack)]);
    }
  }

  // ---- errors ----

  private missing(st: State, sha: string, what = `data object ${sha.slice(0, 12)}`): GitreproError {
    const damaged = st.cat.damaged.size ? `; ${st.cat.damaged.size} of its indexes are damaged (${[...st.cat.damaged.keys()].map((k) => k.slice(0, 12)).join(', ')})` : '';
    return new GitreproError('GITREPRO_OBJECT_MISSING', `${what} is not on store remote "${this.name}" (${this.display}): in none of its ${st.cat.indexes.size} pack index(es), and not loose${damaged}`, {
      hint: 'push it from a clone that has it (`gitrepro push`), or check that the remote url is right',
      data: { sha256: sha, remote: this.name, format: 2 },
    });
  }

  private corruptIn(ref: ObjectRef, pack: string, got: { sha256: string; size: number }, what = ref.sha256.slice(0, 12)): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `the copy of ${what} in pack ${pack.slice(0, 12)} on store remote "${this.name}" is corrupt (got ${got.size} bytes hashing to ${got.sha256.slice(0, 12) || '?'}): not downloaded`, {
      hint: 'a clone with a good copy can upload it again; `gitrepro verify --deep` lists what is damaged',
      data: { sha256: ref.sha256, expectedSize: ref.size, got: got.sha256, size: got.size, pack, remote: this.name },
    });
  }

  private localCorrupt(ref: ObjectRef, got: { sha256: string; size: number }, what?: string): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `local object ${ref.sha256.slice(0, 12)} is corrupt (${what ?? `${got.size} bytes hashing to ${got.sha256.slice(0, 12) || '?'}`}): not pushed`, {
      hint: 'run `gitrepro fsck` to find and quarantine damaged objects',
      data: { sha256: ref.sha256, got: got.sha256, size: got.size },
    });
  }
}

/** What a remote holds, as gc sees it (PackedRemote.inventory). */
export interface RemoteInventory {
  loose: LooseObject[];
  indexes: { id: string; pack: string; packSize: number; mtime: number; blobs: { id: string; length: number }[]; chunked: { id: string; size: number; list: string }[] }[];
  /** packs no index names, older or newer: gc removes old ones */
  orphanPacks: { key: string; size: number; mtime: number }[];
  /** ids of indexes that did not verify: while there are any, no pack is taken for an orphan */
  damaged: string[];
}

/** An object to push that the local store does not hold (transfers.ts names the path). */
function notLocal(ref: ObjectRef): GitreproError {
  return new GitreproError('GITREPRO_OBJECT_MISSING', `data object ${ref.sha256.slice(0, 12)} is not in the local store`, {
    hint: 'fetch it from a remote that has it (`gitrepro fetch <remote> <rev>`), or restore that file and `gitrepro add` it',
    data: { sha256: ref.sha256, local: true },
  });
}
