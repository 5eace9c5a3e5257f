/**
 * `gitrepro verify`: the gate a team runs before merging. For each commit of a range: lock and
 * record present, schema-valid and in agreement; snapshot readable; every object on the store
 * remote (or local store; `deep`: downloaded and re-hashed); params in the record equal the
 * params files of the commit's tree; environment drift against now. A failing check is a result
 * (exit 1), not an exception; a usage or environment problem throws (exit 2).
 *
 * Built for ranges of thousands of commits: one rev-list, one cat-file for locks, notes and
 * params, each unique snapshot subtree read once (TreeWalker), and one batched presence query.
 */
import { diffEnv, type EnvDiff } from '../env/index.js';
import { isGitreproError } from '../errors.js';
import { CatFile } from '../git/catfile.js';
import { readNotes, listNotes } from '../git/notes.js';
import { gitMaybe } from '../git/run.js';
import { resolveCommit, revList } from '../git/revs.js';
import { parseTree, TreeWalker, type PathRule } from '../git/treewalk.js';
import { canonicalJson, CONFIG_FILE, parseNote, type GitreproRecord } from '../record/index.js';
import { sha256Buffer } from '../store/hash.js';
import { parseConfig } from '../workspace/config.js';
import { makeMatcher, trackRule } from '../workspace/walk.js';
import { mapLimit } from '../concurrency.js';
import { hashSource } from '../store/receive.js';
import { transfer } from '../store/retry.js';
import { openRepo, type Repo } from '../repo/context.js';
import { commitData } from '../repo/object-plan.js';
import { completePending, currentEnv, paramsAt } from '../repo/record-io.js';
import { openStoreRemote, resolveStoreRemote } from '../repo/remote-config.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';
export type CheckName = 'lock' | 'record' | 'agree' | 'snapshot' | 'objects' | 'params' | 'env';
export interface Check {
  name: CheckName;
  status: CheckStatus;
  message: string;
  fix?: string;
}
export interface CommitVerdict {
  commit: string;
  subject: string;
  ok: boolean;
  checks: Check[];
  envDiff: EnvDiff[];
}
export interface VerifyOptions {
  cwd: string;
  /** `A..B`, or one commit; default: HEAD's commits not on the upstream / default branch */
  range?: string;
  base?: string;
  remote?: string;
  local?: boolean;
  deep?: boolean;
  env?: NodeJS.ProcessEnv;
  /** also re-execute each commit's recorded runs in a temporary worktree */
  rerun?: { repeat: number; stage?: string; trustRecords?: boolean; io?: import('../pipeline/shell.js').StageIO };
}
export interface VerifyResult {
  /** with `rerun`: the re-execution of the recorded runs (ops/rerun.ts) */
  rerun?: import('./verify-rerun.js').RerunReport;
  range: string;
  where: string;
  deep: boolean;
  ok: boolean;
  commits: CommitVerdict[];
}

/** The upstream of HEAD's branch, else the remote's default branch, else main/master. */
async function defaultBase(repo: Repo): Promise<string | undefined> {
  for (const spec of ['@{upstream}', 'refs/remotes/origin/HEAD', 'origin/main', 'origin/master', 'main', 'master']) {
    const c = await gitMaybe(repo.root, ['rev-parse', '-q', '--verify', `${spec}^{commit}`]);
    if (c) return spec;
  }
  return undefined;
}

export async function commitsToVerify(repo: Repo, o: VerifyOptions): Promise<{ label: string; commits: string[]; base?: string }> {
  const base = o.base ?? (await defaultBase(repo));
  if (o.range?.includes('..')) return { label: o.range, commits: await revList(repo.root, [o.range]), base: o.range.split('..')[0] || base };
  if (o.range) return { label: o.range, commits: [await resolveCommit(repo.root, o.range)], base };
  const head = await resolveCommit(repo.root, 'HEAD');
  if (base) {
    await resolveCommit(repo.root, base);
    const commits = await revList(repo.root, [head, '--not', base]);
    if (commits.length) return { label: `${base}..HEAD`, commits, base };
  }
  // on the base branch itself (or no base at all): the tip is what a merge would publish
  return { label: 'HEAD', commits: [head], base };
}

const check = (name: CheckName, status: CheckStatus, message: string, fix?: string): Check => ({ name, status, message, ...(fix ? { fix } : {}) });

export async function verify(o: VerifyOptions): Promise<VerifyResult> {
  const repo = await openRepo(o.cwd);
  await completePending(repo);
  const { label, commits, base } = await commitsToVerify(repo, o);
  const data = await commitData(repo, commits);
  const notes = await readNotes(repo.root, commits);
  const cat = new CatFile(repo.root);
  const walker = new TreeWalker(repo.root);
  try {
    const subjects = new Map<string, string>();
    const log = await gitMaybe(repo.root, ['log', '--no-walk=unsorted', '--format=%H %s', ...commits.slice(0, 5000)]);
    for (const l of log?.split('\n') ?? []) subjects.set(l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1));

    // snapshots: validity and the union of objects, each subtree read once
    const trees = new Set(data.flatMap((d) => (d.lock ? [d.lock.tree] : [])));
    const objects = await walker.objectsOf(trees);
    const where = o.local ? 'local store' : undefined;
    const present = await presence(repo, o, objects, base);
    // one predicate for every commit: missingIn memoizes per subtree for the same predicate
    const usable = (sha: string): boolean => present.has.has(sha) && !present.corrupt.has(sha) && !present.wrongSize.has(sha);

    const current = await currentEnv(repo);
    const read = async (c: string, p: string) => (await cat.read(`${c}:${p}`))?.content;
    // a file's mode, from its directory's tree (same cat-file process)
    const modeOf = async (c: string, p: string): Promise<string | undefined> => {
      const slash = p.lastIndexOf('/');
      const dir = await cat.read(slash < 0 ? `${c}^{tree}` : `${c}:${p.slice(0, slash)}`);
      if (!dir || dir.type !== 'tree') return undefined;
      const mode = parseTree(dir.content, dir.oid.length === 64 ? 32 : 20).find((e) => e.name === p.slice(slash + 1))?.mode;
      return mode === undefined ? undefined : mode.padStart(6, '0');
    };
    // what a snapshot may hold: data its commit's gitrepro.yaml tracks, never a file git tracks
    const rules = new Map<string, Promise<{ rule: PathRule; key: string }>>();
    const ruleOf = (commit: string): Promise<{ rule: PathRule; key: string }> =>
      read(commit, CONFIG_FILE).then((text) => {
        const key = text ? sha256Buffer(text) : 'none';
        let r = rules.get(key);
        if (!r) {
          r = parseConfig(text?.toString('utf8'))
            .then((c) => c.track, () => [] as string[])
            .then((track) => ({ rule: trackRule(makeMatcher(track)), key }));
          rules.set(key, r);
        }
        return r;
      });
    const foreignEntry = async (commit: string, tree: string): Promise<{ path: string; why: string } | undefined> => {
      const { rule, key } = await ruleOf(commit);
      const outside = await walker.firstRefused(tree, rule, key);
      if (outside !== undefined) return { path: outside, why: "which that commit's gitrepro.yaml does not track" };
      const inGit = await walker.firstOverlap(tree, `${commit}^{tree}`);
      return inGit === undefined ? undefined : { path: inGit, why: 'a path git itself tracks in that commit' };
    };
    const byTree = await recordedByTree(repo);
    const verdicts = await mapLimit(data, 8, async (d): Promise<CommitVerdict> => {
      const checks: Check[] = [];
      let envDiff: EnvDiff[] = [];
      const subject = subjects.get(d.commit) ?? '';
      if (!d.adopted) return { commit: d.commit, subject, ok: true, checks: [check('lock', 'skip', 'not under gitrepro (no gitrepro.yaml or gitrepro.lock)')], envDiff };
      // lock
      if (d.lock) checks.push(check('lock', 'pass', `${d.lock.files} files, ${d.lock.bytes} bytes`));
      else checks.push(check('lock', 'fail', d.lockError ? `gitrepro.lock is invalid: ${d.lockError}` : 'no gitrepro.lock', 'restore a valid gitrepro.lock (`git checkout <good> -- gitrepro.lock` or `gitrepro add`) and commit'));
      // record
      const note = notes.get(d.commit);
      const parsed = note === undefined ? undefined : parseNote(note);
      let records: GitreproRecord[] = [];
      if (parsed?.ok) {
        records = parsed.records;
        checks.push(check('record', 'pass', records.length > 1 ? `${records.length} records` : `recorded ${records[0].recordedAt}${records[0].recordedLater ? ' (later)' : ''}`));
      } else {
        const twin = d.lock ? byTree.get(d.lock.tree)?.find((c) => c !== d.commit) : undefined;
        const fix = twin
          ? `restore its provenance: gitrepro record ${d.commit.slice(0, 12)} --from ${twin.slice(0, 12)} (same data)`
          : `write it: gitrepro record ${d.commit.slice(0, 12)}`;
        checks.push(check('record', 'fail', parsed ? `record is invalid: ${parsed.error}` : 'no record (made without hooks, or lost in a squash-merge)', fix));
      }
      // lock and record agree
      if (d.lock && records.length) {
        const bad = records.find((r) => r.data.tree !== d.lock!.tree || r.data.files !== d.lock!.files || r.data.bytes !== d.lock!.bytes);
        if (bad) checks.push(check('agree', 'fail', `record says ${bad.data.files} files (snapshot ${bad.data.tree.slice(0, 12)}), lock says ${d.lock.files} (snapshot ${d.lock.tree.slice(0, 12)})`, `if the lock was edited by hand, restore it; else re-record: gitrepro record ${d.commit.slice(0, 12)} --force`));
        else checks.push(check('agree', 'pass', 'record and lock name the same snapshot'));
      }
      // snapshot and objects
      if (d.lock) {
        const f = await walker.factsOf(d.lock.tree);
        if (f.error) checks.push(check('snapshot', 'fail', f.error, 'fetch the records (`gitrepro fetch`); if it persists, the lock is hostile or corrupt'));
        else {
          const t = await walker.totals(d.lock.tree);
          if (t.files !== d.lock.files || t.bytes !== d.lock.bytes) {
            checks.push(check('snapshot', 'fail', `snapshot ${d.lock.tree.slice(0, 12)} holds ${t.files} files (${t.bytes} bytes) but the lock says ${d.lock.files} (${d.lock.bytes} bytes)`, 'the lock was edited: restore it from a good commit, or rebuild it with `gitrepro add`, and commit'));
          } else {
            const foreign = await foreignEntry(d.commit, d.lock.tree);
            if (foreign) checks.push(check('snapshot', 'fail', `snapshot ${d.lock.tree.slice(0, 12)} holds ${JSON.stringify(foreign.path)}, ${foreign.why} (a restore refuses it)`, 'the lock is hostile or broken: see who changed it (`git log -p -- gitrepro.lock`) and restore a good one'));
            else checks.push(check('snapshot', 'pass', `snapshot ${d.lock.tree.slice(0, 12)} is readable, matches the lock and holds only tracked data`));
          }
          const m = await walker.missingIn(d.lock.tree, usable);
          if (m.count === 0) checks.push(check('objects', 'pass', `all objects on the ${present.where}${o.deep ? ' and re-hashed' : ''}`));
          else if (present.wrongSize.has(m.first!)) {
            const w = m.first!;
            checks.push(check('snapshot', 'fail', `a pointer names object ${w.slice(0, 12)} with ${objects.get(w)} bytes, but that object has ${present.wrongSize.get(w)} bytes and is intact: the pointer is wrong`, 'the lock is hostile or broken: see who changed it (`git log -p -- gitrepro.lock`) and restore a good one'));
          } else {
            const corrupt = m.first && present.corrupt.has(m.first);
            checks.push(check('objects', 'fail', `${m.count} object(s) ${corrupt ? 'corrupt' : 'missing'} on the ${present.where} (e.g. ${m.first!.slice(0, 12)})`, o.local ? 'fetch them: `gitrepro fetch`' : 'upload them from a clone that has them: `gitrepro push`'));
          }
        }
      }
      // params
      if (records.length) {
        const inTree = await paramsAt(repo, d.commit, { read, mode: modeOf });
        const rec = records[records.length - 1].params;
        const diffs = [...new Set([...Object.keys(inTree), ...Object.keys(rec)])].filter((f) => canonicalJson(inTree[f] ?? null) !== canonicalJson(rec[f] ?? null));
        if (diffs.length) checks.push(check('params', 'fail', `params differ from the commit's files: ${diffs.join(', ')}`, `re-record from the committed files: gitrepro record ${d.commit.slice(0, 12)} --force`));
        else checks.push(check('params', 'pass', `${Object.keys(rec).length} params file(s) match`));
        envDiff = diffEnv(records[records.length - 1].env, current);
        const imp = envDiff.filter((e) => e.important);
        checks.push(check('env', imp.length ? 'warn' : 'pass', imp.length ? `${imp.length} difference(s) that matter now: ${imp.slice(0, 4).map((e) => e.field).join(', ')}${imp.length > 4 ? ', ...' : ''}` : `${envDiff.length} minor difference(s) from now`));
      }
      return { commit: d.commit, subject, ok: !checks.some((c) => c.status === 'fail'), checks, envDiff };
    });
    const result: VerifyResult = { range: label, where: where ?? present.where, deep: Boolean(o.deep), ok: verdicts.every((v) => v.ok), commits: verdicts };
    if (o.rerun) {
      const { rerunVerify, summarize } = await import('./verify-rerun.js');
      result.rerun = await rerunVerify({ cwd: o.cwd, revs: [...commits].reverse(), repeat: o.rerun.repeat, stage: o.rerun.stage, trustRecords: o.rerun.trustRecords, io: o.rerun.io, env: o.env });
      if (!summarize(result.rerun).ok) result.ok = false;
    }
    return result;
  } finally {
    walker.close();
    cat.close();
  }
}

/** Which objects the store (remote, or local with `local`) holds; with `deep`, which are corrupt. */
async function presence(repo: Repo, o: VerifyOptions, objects: Map<string, number>, base?: string): Promise<{ has: Set<string>; corrupt: Set<string>; wrongSize: Map<string, number>; where: string }> {
  const shas = [...objects.keys()];
  const corrupt = new Set<string>();
  // a pointer whose size is not its (intact) local object's: the snapshot's fault, found wherever
  // the object is kept locally
  const wrongSize = new Map<string, number>();
  await mapLimit(shas, 16, async (s) => {
    const size = await repo.store.sizeOf(s);
    if (size !== undefined && size !== objects.get(s) && (await repo.store.verify(s))) wrongSize.set(s, size);
  });
  if (o.local) {
    const has = new Set<string>();
    await mapLimit(shas, 16, async (s) => {
      if (await repo.store.has(s)) has.add(s);
      if (o.deep && has.has(s) && !(await repo.store.verify(s))) corrupt.add(s);
    });
    return { has, corrupt, wrongSize, where: 'local store' };
  }
  const info = await resolveStoreRemote(repo, o.remote);
  // in a clone that accepted nothing (a CI checkout of a pull request), trust comes from the base
  const remote = await openStoreRemote(repo, info, o.env ?? process.env, { baseRev: base });
  try {
    const has = shas.length ? await remote.has(shas) : new Set<string>();
    if (o.deep && has.size) {
      // every object read back and re-hashed, through the transfer pool (bounded, with retries of
      // transient failures); nothing is written anywhere
      const r = await transfer(
        [...has],
        async (s) => {
          const ref = { sha256: s, size: objects.get(s)! };
          try {
            const src = await remote.open(ref);
            const got = await hashSource(src, ref.size);
            if (got.sha256 !== ref.sha256 || got.size !== ref.size) corrupt.add(s);
          } catch (e) {
            if (isGitreproError(e, 'GITREPRO_OBJECT_CORRUPT') || isGitreproError(e, 'GITREPRO_OBJECT_MISSING')) corrupt.add(s);
            else throw e;
          }
        },
        { jobs: repo.config.policy.jobs },
      );
      if (r.failed.length) throw r.failed[0]!.error;
    }
    return { has, corrupt, wrongSize, where: `store remote ${info.name}` };
  } finally {
    await remote.close();
  }
}

/** snapshot tree → commits whose records name it (to suggest a backfill source). */
async function recordedByTree(repo: Repo): Promise<Map<string, string[]>> {
  const all = await listNotes(repo.root);
  const out = new Map<string, string[]>();
  if (all.size === 0) return out;
  const texts = await readNotes(repo.root, [...all.keys()]);
  for (const [c, t] of texts) {
    const p = parseNote(t);
    if (!p.ok) continue;
    for (const r of p.records) out.set(r.data.tree, [...(out.get(r.data.tree) ?? []), c]);
  }
  return out;
}

