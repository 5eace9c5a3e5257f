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
import { gitRemoteNames, readRef } from '../git/refs.js';
import { tryResolveCommit } from '../git/revs.js';
import { isSetUp, openRepo } from '../repo/context.js';
import { hookOk, type HookContext, type HookResult } from '../repo/hook-context.js';
import { planCommits } from '../repo/object-plan.js';
import { mergeRecords, pushRecords, trackingName } from '../repo/record-sync.js';
import { ensureOnRemote } from '../repo/transfers.js';
import { setting } from '../settings.js';
import { trace } from '../trace.js';

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


export async function prePush(ctx: HookContext): Promise<HookResult> {
  if (setting('GITREPRO_RECORDS_PUSH', ctx.env)) return hookOk();
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return hookOk();
  const remote = ctx.args[0] || ctx.args[1] || '';
  const updates = parsePrePushInput(ctx.stdin ?? '').filter((u) => !isZeroOid(u.localSha) && u.localSha !== u.remoteSha && !isRecordRef(u.localRef) && !isRecordRef(u.remoteRef));
  const tips: string[] = [];
  for (const u of updates) {
    const c = await tryResolveCommit(repo.root, u.localSha); // a tag of a tree or blob has no data
    if (c) tips.push(c);
  }
  if (tips.length === 0) return hookOk();
  try {
    await (await import('../repo/record-io.js')).completePending(repo);
    trace('pre-push: journal completed');
    const named = (await gitRemoteNames(repo.root)).includes(remote);
    if (named) await mergeRecords(repo, trackingName(remote, [remote]));
    trace('pre-push: fetched records merged');
    const exclude: string[] = [];
    for (const u of updates) if (!isZeroOid(u.remoteSha) && (await readRef(repo.root, `${u.remoteSha}^{commit}`))) exclude.push(u.remoteSha);
    if (named) exclude.push(`--remotes=${remote}`);
    const plan = await planCommits(repo, [...new Set(tips)], exclude, { gate: true });
    trace(`pre-push: planned ${plan.commits.length} commit(s), ${plan.objects.size} object(s)`);
    if (plan.problems.length) return { code: 1, notes: [{ kind: 'push-unreproducible', problems: plan.problems }] };
    // the records go to the Git remote (a git process) while the data uploads: W2's 100,000
    // pointers take git ~2 s to send. They describe commits, which the remote gets only after
    // this hook succeeds; a failed upload leaves records of commits it does not have, as a push
    // that git rejects after the hook always did. Under `pushMissing: refuse` nothing goes out
    // before the check has passed.
    const refuse = repo.config.policy.pushMissing === 'refuse';
    const sendRecords = (): Promise<unknown> =>
      pushRecords(repo, remote).then(
        () => trace('pre-push: records pushed'),
        (e: unknown) => e,
      );
    const records = refuse ? undefined : sendRecords();
    const upload = ensureOnRemote(repo, plan.objects, { env: ctx.env, reporter: ctx.reporter, refuse }).then(
      (r) => ({ r }),
      (e: unknown) => ({ e }),
    );
    const [up, early] = await Promise.all([upload, records]);
    if ('e' in up) throw up.e;
    const res = up.r;
    trace(`pre-push: store remote: ${res.uploaded.length} uploaded, ${res.known} known, ${res.present} present`);
    if (res.refused.length) {
      return { code: 1, notes: [{ kind: 'push-policy-refused', remote: res.remote!, objects: res.refused.map((o) => ({ sha256: o.sha256, path: o.path })) }] };
    }
    if (res.failed.length) {
      const reasons = [...new Map(res.failed.map((f) => [f.error.message, f.error])).values()];
      return {
        code: 1,
        notes: [{ kind: 'push-upload-failed', remote: res.remote!, failed: res.failed.length, total: res.failed.length + res.uploaded.length, errors: reasons.map((e) => ({ message: e.message, hint: e.hint })) }],
      };
    }
    const recordsError = records ? early : await sendRecords();
    if (recordsError) throw recordsError;
    return hookOk(res.uploaded.length ? [{ kind: 'uploaded', remote: res.remote!, count: res.uploaded.length, bytes: res.bytes }] : []);
  } catch (e) {
    if (!isGitreproError(e)) throw e;
    return { code: 1, notes: [{ kind: 'push-error', message: e.message, hint: e.hint }] };
  }
}
