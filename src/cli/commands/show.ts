import { show } from '../../ops/show.js';
import { formatRecords } from '../render-records.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ rev?: string }> = {
  command: 'show [rev]',
  summary: 'show the record of a commit',
  description: 'Prints the data snapshot, params, environment and runs recorded for <rev> (default HEAD). Exit 1 when the commit has no valid record.',
  positionals: { rev: { describe: 'commit (default HEAD)', type: 'string' } },
  examples: [
    ['gitrepro show', 'the record of HEAD'],
    ['gitrepro show HEAD~3 --json', 'the raw record, for scripts'],
  ],
  async run(args, out) {
    const r = await show({ cwd: args.cwd, rev: args.rev });
    if (args.json) out.json(r);
    else for (const l of formatRecords(r, out, true)) out.line(l);
    return r.records.length && !r.recordError ? 0 : 1;
  },
};
