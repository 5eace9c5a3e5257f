/**
 * Which format a store remote is written in, and the names of its files (docs/spec.md, "Store
 * remote formats").
 *
 *   v1  loose objects only: `objects/aa/bb/<sha256>` (every gitrepro before storage v2)
 *   v2  packs and indexes (`packs/<sha256>.pack`, `index/<sha256>.idx`); loose objects that a
 *       v1 writer added stay readable
 *
 * The format is declared by a small immutable file, `gitrepro-format`, holding exactly
 * "gitrepro.remote/v<N>\n", written once before anything else of that format. A remote without
 * it is v1 when it holds loose objects (written by an old gitrepro) and empty otherwise: the
 * first push then declares the format the remote definition asks for (default v2). A marker of
 * a later version than this code knows stops every read and write with GITREPRO_REMOTE_FORMAT.
 */
import { GitreproError } from '../errors.js';

export type RemoteFormat = 1 | 2;
export const FORMAT_KEY = 'gitrepro-format';
export const LATEST_FORMAT: RemoteFormat = 2;
export const DEFAULT_FORMAT: RemoteFormat = 2;

const MARKER_RE = /^gitrepro\.remote\/v([1-9][0-9]{0,3})\n$/;
const KEY_RE = /^(?:gitrepro-format|packs\/[0-9a-f]{64}\.pack|index\/[0-9a-f]{64}\.idx)$/;

export function markerBytes(v: RemoteFormat): Buffer {
  return Buffer.from(`gitrepro.remote/v${v}\n`, 'latin1');
}

/** The version a marker declares; undefined when the bytes are not a marker at all. */
export function parseMarker(b: Buffer): number | undefined {
  if (b.length > 32) return undefined;
  const m = MARKER_RE.exec(b.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

export function packKey(id: string): string {
  return `packs/${id}.pack`;
}

export function indexKey(id: string): string {
  return `index/${id}.idx`;
}

/** Refuses any key but the three forms above (no path can be smuggled into a backend). */
export function checkFileKey(key: string): string {
  if (!KEY_RE.test(key)) throw new GitreproError('GITREPRO_SNAPSHOT_INVALID', `not a store remote file name: ${key.slice(0, 100)}`);
  return key;
}

/** The id in a listed key of `dir` (`index/<id>.idx`), or undefined for anything else there. */
export function idOfKey(key: string, dir: 'packs' | 'index'): string | undefined {
  const m = (dir === 'index' ? /^index\/([0-9a-f]{64})\.idx$/ : /^packs\/([0-9a-f]{64})\.pack$/).exec(key);
  return m?.[1];
}

export function newerFormat(remote: string, display: string, version: number): GitreproError {
  return new GitreproError('GITREPRO_REMOTE_FORMAT', `store remote "${remote}" (${display}) is in format v${version}; this gitrepro reads formats v1 and v2 only`, {
    hint: 'upgrade gitrepro (a newer version wrote to this remote); nothing was read or written',
    data: { remote, version },
  });
}

export function badMarker(remote: string, display: string): GitreproError {
  return new GitreproError('GITREPRO_REMOTE_FORMAT', `store remote "${remote}" (${display}) has a ${FORMAT_KEY} file that is not a format marker`, {
    hint: `it must hold exactly "gitrepro.remote/v2" and a newline; check that the url points at a gitrepro store`,
    data: { remote },
  });
}
