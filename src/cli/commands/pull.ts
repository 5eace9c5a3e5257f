import { describeRestore } from '../hook-messages.js';
import { pull } from '../../ops/pull.js';
import { humanBytes } from '../output.js';
import { makeProgress } from '../progress.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ remote?: string }> = {
  command: 'pull [remote]',
  summary: "fetch what HEAD needs, then restore it",
  description:
    "Fetches the records from the Git remote of the branch (else origin), downloads the objects HEAD's data needs from <remote> (default: git config gitrepro.remote, else default_remote, else the only remote), then makes the work tree's data match HEAD like `gitrepro restore` (a modified file is stored first; see `gitrepro recover`). It does not run `git pull`: the hooks do this after a `git pull` by themselves.",
  positionals: { remote: { describe: 'store remote (default: the default remote)', type: 'string' } },
  examples: [
    ['gitrepro pull', "bring HEAD's data after a checkout that could not fetch it"],
    ['gitrepro pull backup', 'take the objects from the remote "backup"'],
  ],
  async run(args, out) {
    const progress = makeProgress();
    const r = await pull({ cwd: args.cwd, remote: args.remote, reporter: progress.reporter }).finally(() => progress.stop());
    if (args.json) out.json(r);
    else {
      if (r.fetched) out.line(`gitrepro: fetched ${r.fetched} object(s) (${humanBytes(r.fetchedBytes)})`);
      out.line(`gitrepro: data of ${r.commit.slice(0, 12)}: ${r.written.length} restored, ${r.removed.length} removed, ${r.unchanged.length} unchanged`);
      for (const l of describeRestore(r)) out.err(l);
    }
    return r.missing.length || r.failed.length ? 1 : 0;
  },
};
