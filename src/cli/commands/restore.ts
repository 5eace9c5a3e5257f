import { restore } from '../../ops/restore.js';
import { describeRestore } from '../hook-messages.js';
import { makeProgress } from '../progress.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ rev?: string }> = {
  command: 'restore [rev]',
  summary: "put a commit's data into the work tree",
  description: 'Makes tracked data match the snapshot of <rev> (default HEAD), touching only files that differ. A modified file is stored before it is replaced (see `gitrepro recover`). Objects the local store lacks are fetched from the store remote. Limit to paths after --; in a sparse clone (git config gitrepro.include / gitrepro.exclude) named paths are restored whatever the filter says.',
  positionals: { rev: { describe: 'commit whose data to restore (default HEAD)', type: 'string' } },
  examples: [
    ['gitrepro restore', "put HEAD's data back"],
    ['gitrepro restore v1.0 -- data/labels.csv', 'restore one file as of tag v1.0'],
  ],
  async run(args, out) {
    const progress = makeProgress();
    const r = await restore({ cwd: args.cwd, rev: args.rev, paths: (args['--'] ?? []).map(String), reporter: progress.reporter }).finally(() => progress.stop());
    if (args.json) {
      out.json(r);
    } else {
      for (const p of r.written) out.line(`restored ${p}`);
      for (const p of r.removed) out.line(`removed  ${p}`);
      out.line(`gitrepro: data of ${r.commit.slice(0, 12)}: ${r.written.length} restored, ${r.removed.length} removed, ${r.unchanged.length} unchanged`);
      for (const l of describeRestore(r)) out.err(l);
    }
    return r.missing.length || r.failed.length ? 1 : 0;
  },
};
