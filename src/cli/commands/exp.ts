import { GitreproError } from '../../errors.js';
import { experiments } from '../../ops/exp.js';
import { experimentsCsv, renderExperiments } from '../render-experiments.js';
import type { CommandSpec } from '../spec.js';

type Args = { range?: string; n?: number; sort?: string; sortOrder?: string; csv?: boolean };

export const spec: CommandSpec<Args> = {
  command: 'exp [range]',
  summary: 'table of experiments: a row per commit, a column per varying param and metric',
  description:
    'One row per recorded commit of <range> (default: HEAD and its history; `a..b` for a range), one column per param and metric whose value varies in the range; those with one value everywhere are summarised above the table. The env column counts the environment differences from the parent\'s record, (N!) those that can change results. `gitrepro log --table` prints the same table. A table wider than the terminal is folded into blocks (COLUMNS sets the width). --csv writes every key as a column; `gitrepro report` draws the same range.',
  positionals: { range: { describe: 'commits: a revision and its history, or a..b (default HEAD)', type: 'string' } },
  options: {
    n: { alias: 'max-count', type: 'number', describe: 'at most this many commits (the newest)' },
    sort: { alias: 'sort-by', type: 'string', describe: 'sort by this metric or param (key, or file:key); rows without it last' },
    'sort-order': { type: 'string', choices: ['asc', 'desc'], describe: 'with --sort: desc (default, highest first) or asc' },
    csv: { type: 'boolean', describe: 'CSV of every key, for spreadsheets' },
  },
  examples: [
    ['gitrepro exp', 'every recorded commit of HEAD'],
    ['gitrepro exp main..HEAD --sort accuracy', 'this branch\'s experiments, best accuracy first'],
    ['gitrepro exp --sort loss --sort-order asc -n 20', 'the 20 newest, lowest loss first'],
    ['gitrepro exp --csv > runs.csv', 'every param and metric, for a spreadsheet'],
  ],
  async run(args, out) {
    if (args.csv && args.json) throw new GitreproError('GITREPRO_USAGE', '--csv and --json are two formats: pick one', { hint: 'gitrepro exp --csv, or gitrepro exp --json' });
    const t = await experiments({ cwd: args.cwd, range: args.range, maxCount: args.n, sort: args.sort, order: args.sortOrder as 'asc' | 'desc' | undefined });
    if (args.json) out.json(t);
    else if (args.csv) out.line(experimentsCsv(t).replace(/\n$/, ''));
    else renderExperiments(t, out);
    return 0;
  },
};
