/**
 * Writing records (git notes). The post-commit hook only journals the commit
 * (`<git-common-dir>/gitrepro/pending`, one line per commit, appended by the sh shim) and starts
 * a detached `gitrepro hook flush`, like `git gc --auto`: the environment snapshot costs more
 * than a commit may wait. Every command that reads records calls `completePending` first, so a
 * journaled record is never missing from what a user sees.
 *
 * Journal lines: `<commit>` or `<commit>\t<json PendingExtra>`. The flusher renames the journal
 * before reading it (appends made meanwhile go to a fresh file) and deletes it when done, so no
 * line is lost; leftovers of a dead flusher are picked up by the next one.
 */
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { collectEnv } from '../env/index.js';
import { isGitreproError } from '../errors.js';
import { listNotes, readNote, readNotes, writeNote } from '../git/notes.js';
import { readFileAt } from '../git/revs.js';
import {
  CONFIG_FILE, formatNote, GIT_OID_RE, LOCK_FILE, parseLock, parseNote, RECORD_SCHEMA,
  type EnvSnapshot, type GitreproRecord, type RunRecord,
} from '../record/index.js';
import { sha256Buffer } from '../store/hash.js';
import { parseConfig } from '../workspace/config.js';
import { withRepoLock } from '../workspace/lock.js';
import { parseParams } from '../workspace/params.js';
import type { Repo } from './context.js';
import { VERSION } from './version.js';

import type { PendingExtra } from './journal.js';

export function emptyTreeId(objectFormat: string): string {
  return objectFormat === 'sha256'
    ? '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321'
    : '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
}


/** Params values of a commit, from the params files its own tree names. */
export async function paramsAt(
  repo: Repo,
  commit: string,
  read: (commit: string, path: string) => Promise<Buffer | undefined> = (c, p) => readFileAt(repo.root, c, p),
): Promise<GitreproRecord['params']> {
  const cfgText = await read(commit, CONFIG_FILE);
  let files: string[] | undefined;
  try {
    files = (await parseConfig(cfgText?.toString("utf8"))).params;
  } catch {
    files = undefined; // an invalid config at that commit: fall back to the default file
  }
  const out: GitreproRecord['params'] = {};
  for (const name of files ?? ['params.yaml']) {
    const buf = await read(commit, name);
    if (!buf) continue;
    out[name] = { sha256: sha256Buffer(buf), values: parseParams(buf.toString('utf8'), name) as Record<string, never> };
  }
  return out;
}

export interface BuildOptions {
  env: EnvSnapshot;
  runs?: RunRecord[];
  recordedLater?: boolean;
  from?: string;
  rewrittenFrom?: string[];
  dataNotCommitted?: boolean;
}

/** Builds the record of a commit: data from its lock, params from its tree, env as given. */
export async function buildRecord(repo: Repo, commit: string, o: BuildOptions): Promise<GitreproRecord> {
  const lockBuf = await readFileAt(repo.root, commit, LOCK_FILE);
  const parsed = lockBuf ? parseLock(lockBuf.toString('utf8')) : undefined;
  const data = parsed?.ok ? parsed.value : { tree: emptyTreeId(repo.paths.objectFormat), files: 0, bytes: 0 };
  return {
    schema: RECORD_SCHEMA,
    tool: `gitrepro ${VERSION}`,
    recordedAt: new Date().toISOString(),
    data,
    params: await paramsAt(repo, commit),
    env: o.env,
    runs: o.runs ?? [],
    ...(o.recordedLater ? { recordedLater: true } : {}),
    ...(o.from ? { from: o.from } : {}),
    ...(o.rewrittenFrom?.length ? { rewrittenFrom: o.rewrittenFrom } : {}),
    ...(o.dataNotCommitted ? { dataNotCommitted: true } : {}),
  };
}

export async function currentEnv(repo: Repo): Promise<EnvSnapshot> {
  return collectEnv({ cwd: repo.root, allow: repo.config.env.allow, packages: repo.config.env.packages, cacheDir: repo.sharedDir });
}

async function takeJournal(repo: Repo): Promise<string[]> {
  const files: string[] = [];
  const own = path.join(repo.sharedDir, `pending.${process.pid}.${Date.now()}`);
  try {
    await rename(path.join(repo.sharedDir, 'pending'), own);
    files.push(own);
  } catch {
    /* nothing journaled */
  }
  // leftovers of a flusher that died (we hold the repo lock, so none is running)
  for (const f of await readdir(repo.sharedDir).catch(() => [] as string[])) {
    const full = path.join(repo.sharedDir, f);
    if (f.startsWith('pending.') && full !== own) files.push(full);
  }
  return files;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The detached flusher a commit started carries that commit's environment variables: a reader
 * lets it finish (bounded wait) rather than recording the commit with the reader's environment.
 */
async function waitForFlusher(repo: Repo, maxMs = 30_000): Promise<void> {
  const pid = Number((await readFile(path.join(repo.sharedDir, 'flusher.pid'), 'utf8').catch(() => '')).trim());
  if (!pid || pid === process.pid) return;
  const start = Date.now();
  while (alive(pid) && Date.now() - start < maxMs) await new Promise((r) => setTimeout(r, 20));
}

/** Writes the records of every journaled commit. Returns the commits recorded. */
export async function completePending(repo: Repo): Promise<string[]> {
  if (process.env.GITREPRO_DETACHED !== '1') await waitForFlusher(repo);
  return withRepoLock(repo.sharedDir, async () => {
    const files = await takeJournal(repo);
    if (files.length === 0) return [];
    const todo = new Map<string, PendingExtra>();
    for (const f of files) {
      for (const line of (await readFile(f, 'utf8').catch(() => '')).split('\n')) {
        const [commit, json] = line.split('\t');
        if (!commit || !GIT_OID_RE.test(commit)) continue;
        let extra: PendingExtra = {};
        try {
          extra = json ? (JSON.parse(json) as PendingExtra) : {};
        } catch {
          /* ignore a torn line's extra */
        }
        const prev = todo.get(commit) ?? {};
        todo.set(commit, {
          rewrittenFrom: [...new Set([...(prev.rewrittenFrom ?? []), ...(extra.rewrittenFrom ?? [])])],
          dataNotCommitted: prev.dataNotCommitted || extra.dataNotCommitted,
        });
      }
    }
    const done: string[] = [];
    let env: EnvSnapshot | undefined;
    // a plain entry for a commit that already has a record (a merge journaled twice, a commit
    // recorded by hand meanwhile) is done; a rewrite entry always re-records
    const noted = await listNotes(repo.root);
    for (const [commit, extra] of todo) {
      if (!extra.rewrittenFrom?.length && !extra.dataNotCommitted && noted.has(commit)) continue;
      try {
        const inherited = await inheritFrom(repo, extra.rewrittenFrom ?? []);
        const rec = await buildRecord(repo, commit, {
          env: inherited?.env ?? (env ??= await currentEnv(repo)),
          runs: inherited?.runs,
          rewrittenFrom: extra.rewrittenFrom,
          dataNotCommitted: extra.dataNotCommitted,
        });
        await writeNote(repo.root, commit, formatNote(rec));
        done.push(commit);
      } catch (e) {
        if (!isGitreproError(e)) throw e;
        // a commit that vanished (amended away before we ran) has nothing to record
      }
    }
    for (const f of files) await rm(f, { force: true });
    return done;
  }, { what: 'write records' });
}

/** Rewritten commits keep the environment and runs that produced the originals. */
async function inheritFrom(repo: Repo, olds: string[]): Promise<{ env: EnvSnapshot; runs: RunRecord[] } | undefined> {
  if (olds.length === 0) return undefined;
  const notes = await readNotes(repo.root, olds);
  const recs: GitreproRecord[] = [];
  for (const o of olds) {
    const t = notes.get(o);
    const p = t ? parseNote(t) : undefined;
    if (p?.ok) recs.push(...p.records);
  }
  if (recs.length === 0) return undefined;
  return { env: recs[recs.length - 1].env, runs: recs.flatMap((r) => r.runs) };
}

/** The records of a commit (none: undefined), validated. */
export async function recordsOf(repo: Repo, commit: string): Promise<{ ok: true; records: GitreproRecord[] } | { ok: false; error: string } | undefined> {
  const t = await readNote(repo.root, commit);
  return t === undefined ? undefined : parseNote(t);
}
