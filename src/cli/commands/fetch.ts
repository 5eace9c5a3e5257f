import { fetchData } from '../../ops/fetch.js';
import { humanBytes } from '../output.js';
import { makeProgress } from '../progress.js';
import type { CommandSpec } from '../spec.js';
import { printFailures } from './push.js';

export const spec: CommandSpec<{ remote?: string; revs?: string[]; all?: boolean }> = {
  command: 'fetch [remote] [revs..]',
  summary: 'download the records and the data of commits',
  description:
    'Fetches the records (refs/notes/gitrepro, refs/gitrepro/snapshots) from the Git remote of the branch (else origin) and merges them with the local ones, then downloads into the local store the objects that <rev>... (default HEAD) need, or with --all every branch, tag and remote-tracking branch, from <remote> (default: git config gitrepro.remote, else default_remote, else the only remote). Every object is verified (sha256) before it enters the store. The work tree is not touched: `gitrepro pull` also restores. A sparse clone (git config gitrepro.include / gitrepro.exclude) fetches only the data its filter holds; paths after -- are fetched whatever the filter says.',
  positionals: {
    remote: { describe: 'store remote (default: the default remote); a name no remote has is taken as the first revision', type: 'string' },
    revs: { describe: 'revisions (default HEAD)', type: 'string', array: true },
  },
  options: { all: { type: 'boolean', describe: 'every commit of every branch, tag and remote-tracking branch' } },
  examples: [
    ['gitrepro fetch', "download HEAD's data"],
    ['gitrepro fetch origin v1.0 v2.0', 'download the data of two tags from the remote "origin"'],
    ['gitrepro fetch --all', 'make this clone self-sufficient (e.g. before going offline)'],
    ['gitrepro fetch -- data/big/', "download HEAD's data under data/big/, even outside this clone's sparse filter"],
  ],
  async run(args, out) {
    const progress = makeProgress();
    const r = await fetchData({ cwd: args.cwd, args: [...(args.remote !== undefined ? [args.remote] : []), ...(args.revs ?? [])].map(String), all: args.all, paths: (args['--'] ?? []).map(String), reporter: progress.reporter }).finally(() => progress.stop());
    if (args.json) {
      out.json({ ...r, fetched: r.fetched.map((o) => o.sha256), failed: r.failed.map((f) => ({ sha256: f.object.sha256, code: f.error.code, message: f.error.message })) });
      return r.failed.length ? 1 : 0;
    }
    if (r.records.error) out.err(`gitrepro: records not fetched: ${r.records.error}`);
    else if (r.records.gitRemote) out.line(`gitrepro: records from git remote "${r.records.gitRemote}": ${r.records.notes ?? 'none'}`);
    if (r.fetched.length || r.failed.length) out.line(`gitrepro: store remote "${r.remote}" (${r.location}): ${r.fetched.length} object(s) fetched (${humanBytes(r.bytes)}), ${r.local} already here, of ${r.needed}`);
    else out.line(`gitrepro: all ${r.needed} object(s) of ${r.commits} commit(s) are in the local store`);
    if (r.unavailable.length) out.err(`gitrepro: ${r.unavailable.length} commit(s) have a snapshot that is not in this clone (their records were never pushed), e.g. ${r.unavailable[0]!.slice(0, 12)}`);
    return printFailures(r.failed, out);
  },
};
