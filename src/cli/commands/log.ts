import { log } from '../../ops/show.js';
import { formatRecords } from '../render-records.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ rev?: string; n?: number }> = {
  command: 'log [rev]',
  summary: 'list commits with their data and records',
  positionals: { rev: { describe: 'start commit (default HEAD)', type: 'string' } },
  options: { n: { alias: 'max-count', type: 'number', describe: 'show at most this many commits' } },
  examples: [
    ['gitrepro log -n 5', 'the last five commits'],
    ['gitrepro log --json | jq ".[].lock.files"', 'file counts, for scripts'],
  ],
  async run(args, out) {
    const list = await log({ cwd: args.cwd, rev: args.rev, maxCount: args.n });
    if (args.json) out.json(list);
    else for (const r of list) for (const l of formatRecords(r, out, false)) out.line(l);
    return 0;
  },
};
