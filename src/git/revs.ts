/** Revisions and files at revisions. */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { GitreproError } from '../errors.js';
import { gitFailure, runGit, gitMaybe, git } from './run.js';

/** Resolves a revision to a commit id, or throws GITREPRO_BAD_REVISION. */
export async function resolveCommit(cwd: string, rev: string): Promise<string> {
  const r = await gitMaybe(cwd, ['rev-parse', '-q', '--verify', '--end-of-options', `${rev}^{commit}`]);
  if (!r) throw new GitreproError('GITREPRO_BAD_REVISION', `${rev} does not name a commit`, { hint: 'pass a commit, branch or tag (see `git log`)' });
  return r;
}

export async function tryResolveCommit(cwd: string, rev: string): Promise<string | undefined> {
  return gitMaybe(cwd, ['rev-parse', '-q', '--verify', '--end-of-options', `${rev}^{commit}`]);
}

/** Content of `path` at `rev` (`:path` for the index), or undefined when absent. */
export async function readFileAt(cwd: string, rev: string, path: string, env?: Record<string, string | undefined>): Promise<Buffer | undefined> {
  const r = await runGit(cwd, ['cat-file', 'blob', `${rev}:${path}`], { ok: [0, 128], env });
  return r.code === 0 ? r.stdout : undefined;
}

/** Blob id of `path` at `rev`, or undefined. */
export async function blobIdAt(cwd: string, rev: string, path: string, env?: Record<string, string | undefined>): Promise<string | undefined> {
  return gitMaybe(cwd, ['rev-parse', '-q', '--verify', `${rev}:${path}`], { env });
}

/** Commits of a range, newest first (`git rev-list`). */
export async function revList(cwd: string, args: string[]): Promise<string[]> {
  const out = await git(cwd, ['rev-list', ...args]);
  return out ? out.split('\n') : [];
}

/** Parents of a commit. */
export async function parentsOf(cwd: string, commit: string): Promise<string[]> {
  const out = await git(cwd, ['rev-list', '--parents', '-n', '1', commit]);
  return out.split(' ').slice(1);
}

/** Stages the work-tree file `path` (already written) into the index named by `indexFile`. */
export async function stageFile(cwd: string, path: string, indexFile?: string): Promise<void> {
  const env = indexFile ? { GIT_INDEX_FILE: indexFile } : undefined;
  await git(cwd, ['update-index', '--add', '--', path], { env });
}

/** Whether this git's rev-list takes `--filter=object:type=blob` (git ≥ 2.32); learnt on first use. */
let blobFilter: boolean | undefined;

/**
 * `git rev-list --objects <args>`, blobs only: [oid, path] per object. With git ≥ 2.32 the
 * filter leaves the trees out (the objects named in `args` stay listed, under their name: the
 * caller drops them); with older git every object is listed and one `cat-file --batch-check`
 * of their types drops the trees.
 */
export async function revListBlobs(cwd: string, args: string[]): Promise<[string, string][]> {
  const parse = (out: string): [string, string][] => {
    const rows: [string, string][] = [];
    for (const line of out.split('\n')) {
      const sp = line.indexOf(' ');
      if (sp > 0) rows.push([line.slice(0, sp), line.slice(sp + 1)]);
    }
    return rows;
  };
  if (blobFilter !== false) {
    const r = await runGit(cwd, ['rev-list', '--objects', '--filter=object:type=blob', ...args], { ok: [0, 128, 129] });
    if (r.code === 0) {
      blobFilter = true;
      return parse(r.stdout.toString('utf8'));
    }
    if (!/filter/i.test(r.stderr)) throw gitFailure(['rev-list', '--objects', '--filter=object:type=blob', ...args], r);
    blobFilter = false;
  }
  const rows = parse(await git(cwd, ['rev-list', '--objects', ...args]));
  if (rows.length === 0) return rows;
  const types = (await git(cwd, ['cat-file', '--batch-check=%(objecttype)'], { input: rows.map(([oid]) => `${oid}\n`).join('') })).split('\n');
  return rows.filter((_, i) => types[i] === 'blob');
}

/** node's one-shot `crypto.hash` (node ≥ 20.12): no Hash object per call (100,000 pointers) */
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

/** The git blob id of `content` (computed, not written), for sha1 and sha256 repositories. */
export function blobId(content: string | Buffer, objectFormat: string): string {
  if (typeof content === 'string' && oneShot) return oneShot(objectFormat === 'sha256' ? 'sha256' : 'sha1', `blob ${Buffer.byteLength(content)}\0${content}`, 'hex');
  const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const h = createHash(objectFormat === 'sha256' ? 'sha256' : 'sha1');
  h.update(`blob ${body.length}\0`);
  h.update(body);
  return h.digest('hex');
}

/** Every value of the config keys matching `regexp` (names lowercased by git), in order. */
export async function configGetAll(cwd: string, regexp: string): Promise<[string, string][]> {
  const out = await gitMaybe(cwd, ['config', '-z', '--get-regexp', regexp]);
  if (!out) return [];
  return out
    .split('\0')
    .filter(Boolean)
    .map((rec) => {
      const nl = rec.indexOf('\n');
      return nl < 0 ? [rec, ''] : [rec.slice(0, nl), rec.slice(nl + 1)];
    });
}

export async function configGet(cwd: string, key: string): Promise<string | undefined> {
  return gitMaybe(cwd, ['config', '--get', key]);
}
