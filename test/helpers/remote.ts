/**
 * Stories with remotes: a bare Git origin in the sandbox, clones of it (each with its own
 * `gitrepro install`), and looking into directory store remotes and bare repositories.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT, run, TestRepo } from './repo.js';

/** The sandbox directory of a test repo (its parent). */
export function sandboxOf(r: TestRepo): string {
  return path.dirname(r.dir);
}

/** A bare origin next to `r`, added as its remote `origin`. */
export function addOrigin(r: TestRepo, name = 'origin.git'): string {
  const bare = path.join(sandboxOf(r), name);
  run('git', ['init', '-q', '--bare', bare], sandboxOf(r), r.env);
  r.git(['remote', 'add', 'origin', bare]);
  return bare;
}

/**
 * A project with data tracked under data/, a directory store remote `store` and a bare origin.
 * Records are written synchronously (GITREPRO_SYNC_RECORDS=1, also in clones made with cloneOf)
 * unless `detachedRecords`: a push right after a commit otherwise waits for the detached flusher.
 */
export function project(opts: { storeDir?: string; detachedRecords?: boolean; format?: 1 | 2 } = {}): { r: TestRepo; bare: string; store: string } {
  const r = TestRepo.init({ track: ['data/'] });
  if (!opts.detachedRecords) r.env.GITREPRO_SYNC_RECORDS = '1';
  const store = opts.storeDir ?? path.join(sandboxOf(r), 'store');
  r.gr(['remote', 'add', 'store', store, '--default', ...(opts.format ? ['--format', String(opts.format)] : [])]);
  const bare = addOrigin(r);
  return { r, bare, store };
}

/** `git clone` of `bare` into the same sandbox as `like` (sharing its HOME), then `gitrepro install`. */
export function cloneOf(like: TestRepo, bare: string, dirName: string, opts: { install?: boolean; env?: NodeJS.ProcessEnv } = {}): TestRepo {
  const dir = path.join(sandboxOf(like), dirName);
  run('git', ['clone', '-q', bare, dir], sandboxOf(like), { ...like.env, ...opts.env });
  const c = new TestRepo(dir, { ...like.env, ...opts.env });
  if (opts.install !== false) c.gr(['install']);
  return c;
}

/** sha256 -> content hash check of every loose object file under a directory remote (format v1). */
export function dirRemoteObjects(store: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const objects = path.join(store, 'objects');
  if (!existsSync(objects)) return out;
  for (const a of readdirSync(objects)) {
    for (const b of readdirSync(path.join(objects, a))) {
      for (const name of readdirSync(path.join(objects, a, b))) {
        const bytes = readFileSync(path.join(objects, a, b, name));
        out.set(name, createHash('sha256').update(bytes).digest('hex') === name);
      }
    }
  }
  return out;
}

/** sha256 of every file of the manifest (values of TestRepo.manifest() without the exec flag). */
export function manifestShas(m: Record<string, string>): Set<string> {
  return new Set(Object.values(m).map((v) => v.split(' ')[0]!));
}

/** Notes of refs/notes/gitrepro in a (bare) repository: commit -> note text. */
export function notesIn(gitDir: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  const list = run('git', ['--git-dir', gitDir, 'notes', '--ref=gitrepro', 'list'], gitDir, env, { ok: [0, 1, 128] });
  for (const line of list.stdout.split('\n')) {
    const [blob, commit] = line.split(' ');
    if (blob && commit) out.set(commit, run('git', ['--git-dir', gitDir, 'cat-file', 'blob', blob], gitDir, env).stdout);
  }
  return out;
}

/** The refs of a (bare) repository: refname -> id. */
export function refsIn(gitDir: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of run('git', ['--git-dir', gitDir, 'for-each-ref', '--format=%(objectname) %(refname)'], gitDir, env).stdout.split('\n')) {
    const [id, ref] = line.split(' ');
    if (id && ref) out.set(ref, id);
  }
  return out;
}

export function mkdirp(p: string): string {
  mkdirSync(p, { recursive: true });
  return p;
}

/**
 * The environment that makes a gitrepro process die (SIGKILL, no cleanup) once it has written
 * `bytes` to files and sockets: a test seam loaded with NODE_OPTIONS (kill-after-bytes.mjs).
 */
export function killAfterBytes(bytes: number): NodeJS.ProcessEnv {
  const seam = path.join(PROJECT, 'test', 'helpers', 'kill-after-bytes.mjs');
  return { NODE_OPTIONS: `--import=${seam}`, GITREPRO_TEST_KILL_AFTER_BYTES: String(bytes) };
}
