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
  /** releases sockets */
  close(): Promise<void>;
}
