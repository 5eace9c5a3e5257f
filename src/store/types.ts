import type { ByteSource } from './receive.js';

/**
 * The store interfaces. The local object store is content-addressed by sha256; remotes
 * (directory, S3) sit behind one `Remote` interface and pass one shared contract test suite.
 */

/** An object id: 64 lowercase hex sha256 of the content. */
export type Sha256 = string;

export interface ObjectRef {
  sha256: Sha256;
  size: number;
}

/** Progress callbacks for long transfers (bytes moved so far). */
export interface TransferProgress {
  onBytes?(n: number): void;
}

/**
 * A store remote. Implementations must:
 * - key objects by full sha256 (`<prefix>/objects/aa/bb/<sha256>`);
 * - never expose a partial object under its final key (temp + rename, or a single PUT / multipart);
 * - verify sha256 of every downloaded byte stream before it reaches the caller's destination
 *   (`get` writes to `dest` only through receive.ts: a temp file renamed on success; `open` hands
 *   the bytes to a receiver that checks them as it writes, such as the local store);
 * - read what someone else wrote without following links or blocking (receive.ts openSource);
 * - map failures to GitreproError codes (GITREPRO_REMOTE_*), never leaking credentials.
 */
export interface Remote {
  readonly name: string;
  /** printable location, credentials removed */
  readonly display: string;
  /** which of `shas` the remote holds (batched; one call per batch where the backend allows) */
  has(shas: Sha256[]): Promise<Set<Sha256>>;
  /** uploads the local file `src` (an object of the local store) as object `ref` */
  put(ref: ObjectRef, src: string, progress?: TransferProgress): Promise<void>;
  /** downloads object `ref` into `dest` atomically, verifying its sha256 and size */
  get(ref: ObjectRef, dest: string, progress?: TransferProgress): Promise<void>;
  /**
   * The bytes of object `ref`, unverified (the receiver checks them): GITREPRO_OBJECT_MISSING when
   * absent, GITREPRO_OBJECT_CORRUPT when what is there cannot be the object (another size, not a file).
   */
  open(ref: ObjectRef): Promise<ByteSource>;
  /** removes objects (tests, gc) */
  delete(shas: Sha256[]): Promise<void>;
  /**
   * Optional: gets ready to receive `refs` (a directory remote creates their fan-out directories
   * in parallel up front; one by one they would dominate a push of many small objects).
   */
  prepare?(refs: ObjectRef[]): Promise<void>;
  /** checks reachability, credentials and bucket existence with one cheap call */
  check(): Promise<void>;
  /**
   * Optional: uploads many objects at once (format v2 packs them: one request per ~32 MiB, not
   * per object). Undefined when the remote is written object by object (format v1): the caller
   * then uses `put`. Failures are collected per object, never thrown for one object.
   */
  putMany?(items: LocalItem[], o: BatchOptions): Promise<BatchResult | undefined>;
  /**
   * Optional: downloads many objects into `sink` (the local store) at once (format v2 reads
   * coalesced byte ranges of packs). Undefined when the remote holds loose objects only.
   */
  getMany?(refs: ObjectRef[], sink: ObjectSink, o: BatchOptions): Promise<BatchResult | undefined>;
  /**
   * Optional: every object the remote's pack indexes describe (format v2; none for v1), as the
   * indexes claim them: a caller may derive ids from them (repo/object-plan.ts: the git blob ids
   * of their pointers) but must check whatever it derives.
   */
  listObjects?(): Promise<ObjectRef[]>;
  /** releases sockets */
  close(): Promise<void>;
}

/** The files of a v2 remote besides loose objects (store/remote-format.ts checks every key). */
export type FileDir = 'packs' | 'index';

/**
 * Raw, immutable files of a remote under its location, for the v2 format (packs, indexes, the
 * format marker): store/remote-packed.ts builds the object-level `Remote` on top of them. Keys
 * are relative to the remote's location: `gitrepro-format`, `packs/<sha256>.pack`,
 * `index/<sha256>.idx`. Implementations must:
 * - write atomically (temp + rename, one PUT with Content-MD5, a multipart upload with Content-MD5
 *   per part) and check that the bytes hash to `sha256` before they are exposed;
 * - read without following links or blocking, and return exactly the bytes asked for, or fail:
 *   GITREPRO_OBJECT_MISSING when the file is absent, GITREPRO_OBJECT_CORRUPT when it is shorter.
 */
export interface RemoteFiles {
  /** the files in `dir`, with their sizes and, where the backend knows it, their mtime in ms (any order) */
  listFiles(dir: FileDir): Promise<{ key: string; size: number; mtime?: number }[]>;
  /** every loose object (`objects/`, the v1 layout) with its size and mtime in ms (gc) */
  listLoose(): Promise<LooseObject[]>;
  /** true when the remote holds a loose object (`objects/`, the v1 layout) */
  hasLoose(): Promise<boolean>;
  /** bytes [offset, offset + length) of file `key` */
  readRange(key: string, offset: number, length: number): Promise<Buffer>;
  /** the whole file, or undefined when absent; GITREPRO_OBJECT_CORRUPT when longer than `max` */
  readFile(key: string, max: number): Promise<Buffer | undefined>;
  /**
   * stores `bytes` under `key`; `sha256` is their hash, computed by the caller from these very
   * bytes in memory (a pack just built), so a backend need not hash them again. An intact
   * existing copy may be kept.
   */
  writeFile(key: string, bytes: Buffer, sha256: string): Promise<void>;
  /** removes files; absent ones are ignored */
  deleteFiles(keys: string[]): Promise<void>;
}

/** A loose object of a remote as listed (gc): its id, size, and when it was written (ms). */
export interface LooseObject {
  sha256: Sha256;
  size: number;
  mtime: number;
}

export interface BatchOptions {
  /** requests in flight */
  jobs: number;
  onBytes?(n: number): void;
  /** objects that just became complete (on the remote, or in the sink) */
  onDone?(refs: ObjectRef[]): void;
}

export interface BatchResult {
  ok: ObjectRef[];
  failed: { ref: ObjectRef; error: unknown }[];
}

/** Where downloaded objects go: the local store's receive paths (store/local.ts). */
export interface ObjectSink {
  receive(ref: ObjectRef, src: ByteSource, o?: { onBytes?: (n: number) => void; link?: boolean }): Promise<void>;
  receiveBatch(items: { ref: ObjectRef; bytes: Buffer }[], corrupt: (ref: ObjectRef, got: { sha256: string; size: number }) => Error): Promise<{ ok: ObjectRef[]; failed: { ref: ObjectRef; error: Error }[] }>;
}

/**
 * An object of the local store to upload: its loose path, and for an object held in a local
 * pack `readInto`, which copies its bytes (unchecked: the uploader hashes them) into a buffer
 * of its size and returns false when the object is not packed.
 */
export interface LocalItem {
  ref: ObjectRef;
  /** may be computed when read */
  readonly src: string;
  readInto?: (slot: Buffer) => boolean;
  /**
   * Where the object sits in a local pack (undefined: not packed), and how to read a run of
   * neighbouring bytes there into a buffer (returns the count read; unchecked, as readInto):
   * a push reads objects that lie side by side in a local pack with one read.
   */
  packed?: () => { pack: string; offset: number; length: number } | undefined;
  readRun?: (pack: string, offset: number, into: Buffer) => number;
}
