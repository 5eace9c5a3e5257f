/**
 * The pre-push gate (DESIGN §2.3; git-lfs's pre-push is the model). Git runs it as
 * `pre-push <remote name> <url>` with one stdin line per ref being pushed:
 *
 *   <local ref> SP <local sha> SP <remote ref> SP <remote sha> LF
 *
 * (a deletion has an all-zero local sha; a new remote ref an all-zero remote sha). The gate:
 *   1. completes the record journal, and merges records that a plain `git fetch` brought;
 *   2. finds the new commits: `rev-list <local shas> --not <remote shas> --remotes=<remote>`;
 *   3. refuses when one of them (made under gitrepro) has no lock or no valid record;
 *   4. makes the store remote hold every object their snapshots reference (refusing under
 *      policy.pushMissing=refuse, or when an object is neither there nor in the local store);
 *   5. pushes refs/notes/gitrepro and refs/gitrepro/snapshots to the same Git remote, in a
 *      nested `git push` that the hook ignores (GITREPRO_RECORDS_PUSH=1: no recursion).
 * hooks/pre-push.sh answers pushes with no new commit in sh, without starting node.
 */
import { isGitreproError } from '../errors.js';
import { trace } from '../trace.js';
import { gitRemoteNames, readRef } from '../git/refs.js';
import { tryResolveCommit } from '../git/revs.js';
import { isSetUp, openRepo } from './context.js';
import type { HookContext, HookResult } from './hooks.js';
import { ensureOnRemote, planCommits, type GateProblem } from './push.js';
import { mergeRecords, pushRecords, RECORDS_PUSH_ENV, trackingName } from './records-sync.js';

export interface PushUpdate {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

const OID_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Parses pre-push stdin; malformed lines are skipped. */
export function parsePrePushInput(text: string): PushUpdate[] {
  const out: PushUpdate[] = [];
  for (const line of text.split('\n')) {
    const [localRef, localSha, remoteRef, remoteSha, extra] = line.trim().split(/\s+/);
    if (!localRef || !remoteRef || extra !== undefined || !OID_RE.test(localSha ?? '') || !OID_RE.test(remoteSha ?? '')) continue;
    out.push({ localRef, localSha: localSha!, remoteRef, remoteSha: remoteSha! });
  }
  return out;
}

export const isZeroOid = (oid: string): boolean => /^0+$/.test(oid);

/** Refs that carry records, not project commits: pushed as they are, never gated. */
export const isRecordRef = (ref: string): boolean => ref.startsWith('refs/notes/') || ref.startsWith('refs/gitrepro/');

const PREFIX = 'gitrepro:';

export async function prePush(ctx: HookContext): Promise<HookResult> {
  if (ctx.env[RECORDS_PUSH_ENV] === '1') return { code: 0, lines: [] };
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return { code: 0, lines: [] };
  const remote = ctx.args[0] || ctx.args[1] || '';
  const updates = parsePrePushInput(ctx.stdin ?? '').filter((u) => !isZeroOid(u.localSha) && u.localSha !== u.remoteSha && !isRecordRef(u.localRef) && !isRecordRef(u.remoteRef));
  const tips: string[] = [];
  for (const u of updates) {
    const c = await tryResolveCommit(repo.root, u.localSha); // a tag of a tree or blob has no data
    if (c) tips.push(c);
  }
  if (tips.length === 0) return { code: 0, lines: [] };
  try {
    await (await import('./records.js')).completePending(repo);
    trace('pre-push: journal completed');
    const named = (await gitRemoteNames(repo.root)).includes(remote);
    if (named) await mergeRecords(repo, trackingName(remote, [remote]));
    trace('pre-push: fetched records merged');
    const exclude: string[] = [];
    for (const u of updates) if (!isZeroOid(u.remoteSha) && (await readRef(repo.root, `${u.remoteSha}^{commit}`))) exclude.push(u.remoteSha);
    if (named) exclude.push(`--remotes=${remote}`);
    const plan = await planCommits(repo, [...new Set(tips)], exclude, { gate: true });
    trace(`pre-push: planned ${plan.commits.length} commit(s), ${plan.objects.size} object(s)`);
    if (plan.problems.length) return { code: 1, lines: refusal(plan.problems) };
    const res = await ensureOnRemote(repo, plan.objects, { env: ctx.env, reporter: ctx.reporter, refuse: repo.config.policy.pushMissing === 'refuse' });
    trace(`pre-push: store remote: ${res.uploaded.length} uploaded, ${res.known} known, ${res.present} present`);
    if (res.refused.length) {
      return {
        code: 1,
        lines: [
          `${PREFIX} push refused: ${res.refused.length} data object(s) of the pushed commits are not on store remote "${res.remote}" and policy.pushMissing is "refuse"`,
          ...res.refused.slice(0, 5).map((o) => `${PREFIX}   ${o.sha256.slice(0, 12)}  ${o.path}`),
          `${PREFIX} fix: upload them with \`gitrepro push ${res.remote}\`, then push again`,
        ],
      };
    }
    if (res.failed.length) {
      const reasons = [...new Map(res.failed.map((f) => [f.error.message, f.error])).values()];
      return {
        code: 1,
        lines: [
          `${PREFIX} push refused: ${res.failed.length} of ${res.failed.length + res.uploaded.length} data object(s) could not be uploaded to store remote "${res.remote}" (the pushed commits would not be reproducible elsewhere)`,
          ...reasons.slice(0, 5).flatMap((e) => [`${PREFIX}   ${e.message}`, ...(e.hint ? [`${PREFIX}   hint: ${e.hint}`] : [])]),
          `${PREFIX} fix the cause and push again: what was uploaded stays there`,
        ],
      };
    }
    const lines: string[] = [];
    if (res.uploaded.length) lines.push(`${PREFIX} uploaded ${res.uploaded.length} data object(s), ${humanBytes(res.bytes)}, to store remote "${res.remote}"`);
    await pushRecords(repo, remote);
    trace('pre-push: records pushed');
    return { code: 0, lines };
  } catch (e) {
    if (!isGitreproError(e)) throw e;
    return { code: 1, lines: [`${PREFIX} push refused: ${e.message}`, ...(e.hint ? [`${PREFIX} hint: ${e.hint}`] : [])] };
  }
}

/** One line per commit and what fixes it. */
function refusal(problems: GateProblem[]): string[] {
  const n = new Set(problems.map((p) => p.commit)).size;
  const lines = [`${PREFIX} push refused: ${n} pushed commit(s) cannot be reproduced:`];
  for (const p of problems) {
    const id = p.commit.slice(0, 12);
    const what = `${PREFIX}   ${id} ${JSON.stringify(p.subject.slice(0, 60))}:`;
    if (p.problem === 'no-record') lines.push(`${what} no record; fix: gitrepro record ${id}`);
    else if (p.problem === 'invalid-record') lines.push(`${what} invalid record (${p.detail}); fix: gitrepro record --force ${id}`);
    else if (p.problem === 'no-lock') lines.push(`${what} no gitrepro.lock (committed without gitrepro's pre-commit hook); fix: gitrepro add, then amend that commit (git commit --amend, or git rebase -i for an older one)`);
    else lines.push(`${what} invalid gitrepro.lock (${p.detail}); fix: restore a valid lock (gitrepro add), then amend that commit`);
  }
  lines.push(`${PREFIX} then push again`);
  return lines;
}

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
