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
import { readdir, readFile, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { collectEnv, redactParams, scrubText } from '../env/index.js';
import { absolutePath } from '../env/probe.js';
import { isGitreproError } from '../errors.js';
import { listNotes, readNote, readNotes, writeNote } from '../git/notes.js';
import { readFileAt, tryResolveCommit } from '../git/revs.js';
import { emptyTreeId } from '../git/snapshot.js';
import { gitMaybe, runGit } from '../git/run.js';
import {
  CONFIG_FILE, formatNote, GIT_OID_RE, LOCK_FILE, parseLock, parseNote, RECORD_SCHEMA,
  type EnvSnapshot, type GitreproRecord, type RunRecord,
} from '../record/index.js';
import { sha256Buffer } from '../store/hash.js';
import { canonicalJson } from '../record/canonical.js';
import { releasePendingRuns, takePendingRuns, type PendingRun } from '../pipeline/runlog.js';
import { parseConfig } from '../workspace/config.js';
import { alive, withRepoLock } from '../workspace/repo-lock.js';
import { parseParams } from '../workspace/params.js';
import type { Repo } from './context.js';
import { metricsAt } from './metrics-at.js';
import { VERSION } from '../version.js';

import { hookEnvOf, journalPending, type PendingExtra } from './record-journal.js';
import { setting } from '../settings.js';
import { effectiveEnvSettings } from './trust.js';

/** Reads files of commits: their bytes, and their mode (120000 is a symbolic link). */
export interface CommitFileReader {
  read(commit: string, path: string): Promise<Buffer | undefined>;
  mode(commit: string, path: string): Promise<string | undefined>;
}

/** A CommitFileReader with one git process per call (a record is one commit; verify brings its own). */
export function gitFileReader(repo: Repo): CommitFileReader {
  return {
    read: (c, p) => readFileAt(repo.root, c, p),
    mode: async (c, p) => (await runGit(repo.root, ['ls-tree', '-z', c, '--', p], { ok: [0, 128] })).stdout.toString('utf8').split(' ')[0] || undefined,
  };
}

/**
 * Params values of a commit, from the params files its own tree names. A params file committed as
 * a symbolic link is never followed (its target could be any file of whoever records): it is
 * recorded with an error. Values pass the secret scan (env/redact.ts): a key named like a
 * credential, or a value shaped like one, is recorded redacted.
 */
export async function paramsAt(repo: Repo, commit: string, reader: CommitFileReader = gitFileReader(repo)): Promise<GitreproRecord['params']> {
  const cfgText = await reader.read(commit, CONFIG_FILE);
  let files: string[] | undefined;
  try {
    files = (await parseConfig(cfgText?.toString('utf8'))).params;
  } catch {
    files = undefined; // an invalid config at that commit: fall back to the default file
  }
  const out: GitreproRecord['params'] = {};
  for (const name of files ?? ['params.yaml']) {
    const buf = await reader.read(commit, name);
    if (!buf) continue;
    if ((await reader.mode(commit, name)) === '120000') {
      out[name] = { sha256: sha256Buffer(buf), values: {}, error: 'a symbolic link: not followed (params files must be regular files)' };
      continue;
    }
    try {
      out[name] = { sha256: sha256Buffer(buf), values: redactParams(parseParams(buf.toString('utf8'), name)) as Record<string, never> };
    } catch (e) {
      // a params file that does not parse is still recorded (by hash, with why), never a reason to skip the record
      out[name] = { sha256: sha256Buffer(buf), values: {}, error: scrubText((e as Error).message.slice(0, 300)) };
    }
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
    ...(await metricsField(repo, commit)), // >>><<< metrics (issue 13)
    env: o.env,
    runs: o.runs ?? [],
    ...(o.recordedLater ? { recordedLater: true } : {}),
    ...(o.from ? { from: o.from } : {}),
    ...(o.rewrittenFrom?.length ? { rewrittenFrom: o.rewrittenFrom } : {}),
    ...(o.dataNotCommitted ? { dataNotCommitted: true } : {}),
  };
}

// >>> metrics (issue 13): a record holds `metrics` only when the commit's config names a metrics file
async function metricsField(repo: Repo, commit: string): Promise<{ metrics?: GitreproRecord['metrics'] }> {
  const metrics = await metricsAt(repo, commit);
  return metrics ? { metrics } : {};
}
// <<< metrics

/** The environment snapshot of this machine, with `env`'s variables (default: this process's). */
export async function currentEnv(repo: Repo, env: NodeJS.ProcessEnv = process.env): Promise<EnvSnapshot> {
  const { allow, packages } = await effectiveEnvSettings(repo);
  return collectEnv({ cwd: repo.root, env, allow, packages, cacheDir: repo.sharedDir, untrusted: await repoExecutables(repo, env) });
}

/**
 * The files an environment probe must never run: those git tracks in PATH directories that lie
 * inside the work tree (a committed `bin/python3` is someone else's code). An untracked
 * virtualenv inside the work tree is the user's own and stays usable.
 */
export async function repoExecutables(repo: Repo, env: NodeJS.ProcessEnv = process.env): Promise<(file: string) => boolean> {
  const root = await realpath(repo.root).catch(() => repo.root);
  const inside = (d: string): boolean => d === root || d.startsWith(root + path.sep) || d === repo.root || d.startsWith(repo.root + path.sep);
  const dirs = absolutePath(env.PATH).map((d) => path.resolve(d)).filter(inside);
  if (dirs.length === 0) return () => false;
  const rels = dirs.map((d) => path.relative(d.startsWith(root) ? root : repo.root, d) || '.');
  const out = await runGit(repo.root, ['ls-files', '-z', '-c', '--', ...rels], { ok: [0, 1, 128] });
  const tracked = new Set<string>();
  for (const rel of out.stdout.toString('utf8').split('\0')) if (rel) tracked.add(path.join(root, rel)).add(path.join(repo.root, rel));
  return (file) => tracked.has(file) || (inside(file) && file.split(path.sep).includes('.git'));
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

/** The pid in a pid file (`flusher.pid`: a bare pid; `flusher.lock`: `pid host`), 0 when none. */
async function pidIn(file: string): Promise<number> {
  return Number((await readFile(file, 'utf8').catch(() => '')).trim().split(' ')[0]) || 0;
}

/**
 * The journal as it stands, merged per commit, without taking it (`files`: which journal files;
 * default the live one and any leftovers). Lines are `<commit>` or `<commit>\t<json>`.
 */
async function readJournal(repo: Repo, files?: string[]): Promise<Map<string, PendingExtra>> {
  files ??= (await readdir(repo.sharedDir).catch(() => [] as string[])).filter((f) => f === 'pending' || f.startsWith('pending.')).map((f) => path.join(repo.sharedDir, f));
  const todo = new Map<string, PendingExtra>();
  for (const f of files) {
    for (const line of (await readFile(f, 'utf8').catch(() => '')).split('\n')) {
      const [commit, json] = line.split('\t');
      if (!commit || !GIT_OID_RE.test(commit)) continue;
      const extra = parseExtra(json);
      const prev = todo.get(commit) ?? {};
      todo.set(commit, {
        rewrittenFrom: [...new Set([...(prev.rewrittenFrom ?? []), ...(extra.rewrittenFrom ?? [])])],
        dataNotCommitted: prev.dataNotCommitted || extra.dataNotCommitted,
        hookEnv: extra.hookEnv ?? prev.hookEnv,
        flusher: extra.flusher ?? prev.flusher,
      });
    }
  }
  return todo;
}

/** A journal line's extra, keeping only well-formed fields (a torn or foreign line gives {}). */
function parseExtra(json: string | undefined): PendingExtra {
  if (!json) return {};
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return {}; // a torn line's extra
  }
  if (!v || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  const out: PendingExtra = {};
  if (Array.isArray(o.rewrittenFrom)) out.rewrittenFrom = o.rewrittenFrom.filter((c): c is string => typeof c === 'string' && GIT_OID_RE.test(c));
  if (o.dataNotCommitted === true) out.dataNotCommitted = true;
  if (o.hookEnv && typeof o.hookEnv === 'object' && !Array.isArray(o.hookEnv) && Object.values(o.hookEnv).every((x) => typeof x === 'string')) {
    out.hookEnv = o.hookEnv as Record<string, string>;
  }
  if (Number.isSafeInteger(o.flusher) && (o.flusher as number) > 0) out.flusher = o.flusher as number;
  return out;
}

/**
 * A flusher about to exit without the lock: the commits the sh shim handed to it (same
 * environment, journaled naming it, without variables) get its variables journaled, so that
 * whoever writes them describes their environment and not its own.
 */
export async function handOverOwnCommits(repo: Repo): Promise<void> {
  let hookEnv: Record<string, string> | undefined;
  for (const [commit, e] of await readJournal(repo)) {
    if (e.flusher === process.pid && !e.hookEnv) await journalPending(repo, commit, { hookEnv: (hookEnv ??= hookEnvOf(process.env, repo)) });
  }
}

/** A commit whose environment only its own flusher knows, and that flusher still runs. */
function awaitsItsFlusher(e: PendingExtra): boolean {
  return !e.hookEnv && e.flusher !== undefined && e.flusher !== process.pid && alive(e.flusher);
}

/**
 * The detached flushers carry the environments of the commits that started them: a reader lets
 * them finish (bounded wait) rather than record a commit with the reader's environment. It waits
 * for the flusher writing now (`flusher.lock`), the one started last (`flusher.pid`) and every
 * flusher whose commit's environment is not journaled yet.
 */
async function waitForFlushers(repo: Repo, maxMs = 30_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const pids = [await pidIn(path.join(repo.sharedDir, 'flusher.lock')), await pidIn(path.join(repo.sharedDir, 'flusher.pid'))];
    for (const e of (await readJournal(repo)).values()) if (awaitsItsFlusher(e)) pids.push(e.flusher!);
    if (!pids.some((p) => p && p !== process.pid && alive(p)) || Date.now() - start >= maxMs) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A commit whose post-commit never ran (git killed after the commit landed) is found by the
 * marker its pre-commit left: the marker names HEAD's lock. It is journaled (as hooks/pre-commit.sh
 * does before it writes a new marker), so no record is lost to a crash.
 */
async function journalOrphan(repo: Repo): Promise<void> {
  const marker = (await readFile(path.join(repo.stateDir, 'precommit'), 'utf8').catch(() => '')).trim();
  if (!marker) return;
  const ids = (await gitMaybe(repo.root, ['rev-parse', 'HEAD', 'HEAD:gitrepro.lock'])) ?? '';
  const [head, lock] = ids.split('\n');
  if (head && lock === marker) await journalPending(repo, head);
}

/** Writes the records of every journaled commit (and of a commit a crash left unjournaled). Returns the commits recorded. */
export async function completePending(repo: Repo): Promise<string[]> {
  if (!setting('GITREPRO_DETACHED')) await waitForFlushers(repo);
  const detached = setting('GITREPRO_DETACHED');
  return (await writePending(repo, { leaveToFlushers: detached, recoverOrphan: !detached })).done;
}

export interface WritePendingResult {
  /** commits recorded */
  done: string[];
  /** commits left journaled for their own flusher, which has not journaled their environment yet */
  deferred: number;
}

/**
 * completePending without the wait. Each commit's environment snapshot is taken with the
 * variables its hook saw (`hookEnv`); a commit journaled without them (by the pre-commit shim
 * for a commit whose post-commit never ran, or by an older gitrepro) gets this process's.
 * `leaveToFlushers`: a commit whose own flusher still runs and has not journaled its hook's
 * variables is left journaled for it (a flusher does this; a reader has waited for them).
 * `recoverOrphan` (default true): journal HEAD first when its pre-commit marker says its
 * post-commit never ran. A flusher must not: it runs while a script makes the next commits, and
 * between a commit landing and its post-commit journaling it, the marker looks just like an
 * orphan's; the flusher would record that commit with its own environment.
 */
export async function writePending(repo: Repo, o: { leaveToFlushers?: boolean; recoverOrphan?: boolean } = {}): Promise<WritePendingResult> {
  return withRepoLock(repo.sharedDir, async () => {
    if (o.recoverOrphan !== false) await journalOrphan(repo);
    const files = await takeJournal(repo);
    if (files.length === 0) return { done: [], deferred: 0 };
    const todo = await readJournal(repo, files);
    const done: string[] = [];
    // one snapshot per distinct hook environment: back-to-back commits from one shell share it
    const envs = new Map<string, Promise<EnvSnapshot>>();
    const envOf = (hookEnv: Record<string, string> | undefined): Promise<EnvSnapshot> => {
      const key = hookEnv ? canonicalJson(hookEnv) : '';
      if (!envs.has(key)) envs.set(key, currentEnv(repo, hookEnv));
      return envs.get(key)!;
    };
    // >>> pipelines (issue 6): pending run records join the record of the next commit
    const pendingRuns = await takePendingRuns(repo.sharedDir);
    const unclaimed = pendingRuns.runs;
    // <<< pipelines
    // a plain entry for a commit that already has a record (a merge journaled twice, a commit
    // recorded by hand meanwhile) is done; a rewrite entry always re-records
    const noted = await listNotes(repo.root);
    const exists = await commitsThatExist(repo, [...todo.keys()]);
    const again: { commit: string; extra: PendingExtra }[] = [];
    let deferred = 0;
    for (const [commit, taken] of todo) {
      // git notes would annotate any object id, even one that names no commit: never record those
      if (!exists.has(commit)) continue;
      let extra = taken;
      if (!extra.hookEnv && extra.flusher !== undefined && extra.flusher !== process.pid && !alive(extra.flusher)) {
        // its flusher journaled the commit's variables after this journal was taken, and left
        // (journaling is the first thing a flusher does): they are in the live journal now
        extra = { ...extra, hookEnv: (await readJournal(repo)).get(commit)?.hookEnv };
      }
      if (!extra.rewrittenFrom?.length && !extra.dataNotCommitted && noted.has(commit)) continue;
      if (o.leaveToFlushers && (deferred > 0 || awaitsItsFlusher(extra))) {
        // its flusher has started but not journaled its hook's variables yet; the commits after
        // it wait too, so that pending runs still join the first commit made after them (claimRuns)
        again.push({ commit, extra });
        deferred++;
        continue;
      }
      const mine = await claimRuns(repo, unclaimed, commit); // >>><<< pipelines
      try {
        const inherited = await inheritFrom(repo, extra.rewrittenFrom ?? []);
        const rec = await buildRecord(repo, commit, {
          env: inherited?.env ?? (await envOf(extra.hookEnv)),
          // >>> pipelines: a record written again keeps the runs it had
          runs: mergeRuns(inherited?.runs, noted.has(commit) ? await existingRuns(repo, commit) : [], mine.map((r) => r.run)),
          // <<< pipelines
          rewrittenFrom: extra.rewrittenFrom,
          dataNotCommitted: extra.dataNotCommitted,
        });
        await writeNote(repo.root, commit, formatNote(rec));
        done.push(commit);
      } catch (e) {
        unclaimed.push(...mine); // >>><<< pipelines: runs of a commit not recorded stay pending
        if (!isGitreproError(e)) throw e;
        // the commit exists (checked above) but its note could not be written (the notes ref
        // locked by another git, say): it stays journaled for the next flush, never dropped
        again.push({ commit, extra });
      }
    }
    for (const f of again) await journalPending(repo, f.commit, journalExtra(f.extra));
    await releasePendingRuns(repo.sharedDir, pendingRuns.files, unclaimed); // >>><<< pipelines
    for (const f of files) await rm(f, { force: true });
    return { done, deferred };
  }, { what: 'write records' });
}

/** What of a merged entry goes back into the journal (undefined: a plain line). */
function journalExtra(e: PendingExtra): PendingExtra | undefined {
  const out: PendingExtra = {};
  if (e.rewrittenFrom?.length) out.rewrittenFrom = e.rewrittenFrom;
  if (e.dataNotCommitted) out.dataNotCommitted = true;
  if (e.hookEnv) out.hookEnv = e.hookEnv;
  if (e.flusher) out.flusher = e.flusher;
  return Object.keys(out).length ? out : undefined;
}

// >>> pipelines (issue 6): attaching pending runs
/**
 * Takes out of `pending` the runs that join `commit`'s record: every run not recorded at
 * `commit` itself nor at one of its descendants (`base`, HEAD when the run was recorded: such
 * a run came after `commit`). Commits are recorded in journal order, so a run joins the first
 * commit made after it; one that joins none stays pending for the next commit.
 */
async function claimRuns(repo: Repo, pending: PendingRun[], commit: string): Promise<PendingRun[]> {
  const after = new Map<string, boolean>(); // base -> the run came after `commit`
  const mine: PendingRun[] = [];
  for (const r of [...pending]) {
    if (r.base) {
      let later = after.get(r.base);
      if (later === undefined) {
        // exit 0: `commit` is an ancestor of base; 1: it is not; 128: one of them is no commit
        // here: a base gone (gc) claims, a journaled id that names no commit never does
        const code = r.base === commit ? 0 : (await runGit(repo.root, ['merge-base', '--is-ancestor', commit, r.base], { ok: [0, 1, 128] })).code;
        later = code === 0 || (code === 128 && !(await tryResolveCommit(repo.root, commit)));
        after.set(r.base, later);
      }
      if (later) continue;
    }
    mine.push(r);
    pending.splice(pending.indexOf(r), 1);
  }
  return mine;
}

async function existingRuns(repo: Repo, commit: string): Promise<RunRecord[]> {
  const cur = await recordsOf(repo, commit);
  return cur?.ok ? cur.records.flatMap((r) => r.runs) : [];
}

/** Runs from several sources, each once (identical records are the same run). */
function mergeRuns(...lists: (RunRecord[] | undefined)[]): RunRecord[] {
  const seen = new Map<string, RunRecord>();
  for (const r of lists.flatMap((l) => l ?? [])) seen.set(canonicalJson(r), r);
  return [...seen.values()];
}
// <<< pipelines

/** The ids among `ids` that name commits of this repository (one cat-file process). */
async function commitsThatExist(repo: Repo, ids: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (ids.length === 0) return out;
  const r = await runGit(repo.root, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: ids.join('\n') + '\n', ok: [0, 128] });
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const [oid, type] = line.split(' ');
    if (type === 'commit') out.add(oid);
  }
  return out;
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
