import { experiments } from '../../ops/exp.js';
import { log } from '../../ops/show.js';
import { renderExperiments } from '../render-experiments.js';
import { formatRecords } from '../render-records.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ rev?: string; n?: number; table?: boolean }> = {
  command: 'log [rev]',
  summary: 'list commits with their data and records',
  description: 'Lists the commits of <rev>\'s history with their data snapshot and record. --table prints them as the experiments table instead (one row per recorded commit, one column per param and metric that varies; <rev> may then be a range a..b), as `gitrepro exp` does.',
  positionals: { rev: { describe: 'start commit (default HEAD); with --table, also a range a..b', type: 'string' } },
  options: {
    n: { alias: 'max-count', type: 'number', describe: 'show at most this many commits' },
    table: { type: 'boolean', describe: 'the experiments table: params and metrics that vary, one row per commit' },
  },
  examples: [
    ['gitrepro log -n 5', 'the last five commits'],
    ['gitrepro log --table main..HEAD', 'this branch\'s experiments as a table'],
    ['gitrepro log --json | jq ".[].lock.files"', 'file counts, for scripts'],
  ],
  async run(args, out) {
    if (args.table) {
      const t = await experiments({ cwd: args.cwd, range: args.rev, maxCount: args.n });
      if (args.json) out.json(t);
      else renderExperiments(t, out);
      return 0;
    }
    const list = await log({ cwd: args.cwd, rev: args.rev, maxCount: args.n });
    if (args.json) out.json(list);
    else for (const r of list) for (const l of formatRecords(r, out, false)) out.line(l);
    return 0;
  },
};
