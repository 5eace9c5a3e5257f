import { push, type EnsureResult } from '../../ops/push.js';
import { humanBytes, type Output } from '../output.js';
import { makeProgress } from '../progress.js';
import type { CommandSpec } from '../spec.js';

/** Failures, one line per distinct reason; returns the exit code. */
export function printFailures(failed: EnsureResult['failed'], out: Output): number {
  if (failed.length === 0) return 0;
  const reasons = new Map(failed.map((f) => [f.error.message, f.error]));
  out.err(`gitrepro: ${failed.length} object(s) failed`);
  for (const e of [...reasons.values()].slice(0, 10)) {
    out.err(`error [${e.code}]: ${e.message}`);
    if (e.hint) out.err(`hint: ${e.hint}`);
  }
  return 1;
}

export const spec: CommandSpec<{ remote?: string; revs?: string[]; all?: boolean; recheck?: boolean; records?: boolean }> = {
  command: 'push [remote] [revs..]',
  summary: 'upload the data of commits to a store remote',
  description:
    'Uploads the objects that <rev>... (default HEAD) and their ancestors not yet on any remote-tracking branch reference, or with --all those of every branch and tag, to <remote> (default: git config gitrepro.remote, else default_remote in gitrepro.yaml, else the only remote). Objects the remote is known to hold (a per-clone cache) are not asked for again. `git push` does this by itself through the pre-push hook, and also pushes the records; --records does that here.',
  positionals: {
    remote: { describe: 'store remote (default: the default remote); a name no remote has is taken as the first revision', type: 'string' },
    revs: { describe: 'revisions (default HEAD)', type: 'string', array: true },
  },
  options: {
    all: { type: 'boolean', describe: 'every commit of every branch and tag' },
    recheck: { type: 'boolean', describe: 'ask the remote about every object (ignore the cache of what it holds)' },
    records: { type: 'boolean', describe: 'also push the record refs to the Git remote of the branch (else origin)' },
  },
  examples: [
    ['gitrepro push', "upload HEAD's data (and its unpushed ancestors') to the default remote"],
    ['gitrepro push backup --all', 'copy the data of every branch and tag to the remote "backup"'],
    ['gitrepro push --records', 'also push the records (after `gitrepro record` of an old commit)'],
  ],
  async run(args, out) {
    const progress = makeProgress();
    const r = await push({ cwd: args.cwd, args: [...(args.remote !== undefined ? [args.remote] : []), ...(args.revs ?? [])].map(String), all: args.all, recheck: args.recheck, records: args.records, reporter: progress.reporter }).finally(() => progress.stop());
    if (args.json) out.json({ ...r, uploaded: r.uploaded.map((o) => o.sha256), failed: r.failed.map((f) => ({ sha256: f.object.sha256, code: f.error.code, message: f.error.message })) });
    else if (r.needed === 0) out.line(`gitrepro: no data to push (${r.commits} commit(s))`);
    else {
      out.line(`gitrepro: store remote "${r.remote}" (${r.location}): ${r.uploaded.length} object(s) uploaded (${humanBytes(r.bytes)}), ${r.known + r.present} already there, of ${r.needed}`);
    }
    if (r.records && !args.json) out.line(`gitrepro: records ${r.records.pushed.length ? 'pushed' : 'already'} on git remote "${r.records.gitRemote}"${r.records.pushed.length ? '' : ''}`);
    return args.json ? (r.failed.length ? 1 : 0) : printFailures(r.failed, out);
  },
};
