import { pathToFileURL } from 'node:url';
import { report } from '../../ops/report.js';
import { humanBytes } from '../output.js';
import type { CommandSpec } from '../spec.js';

type Args = { range?: string; output?: string; n?: number; x?: string; y?: string; best?: 'max' | 'min'; maxLines?: number };

export const spec: CommandSpec<Args> = {
  command: 'report [range]',
  summary: 'write one offline HTML file: the experiments table and plots',
  description:
    'Writes the experiments of <range> (default: HEAD and its history) as one self-contained HTML file: nothing is fetched and no script runs when it is opened (plots are inline SVG drawn now). It holds: which commit has the best value of the primary metric (--y, else the first metric that varies) and what else changed there; the experiments table; one plot per metric over the commits, one point per commit; metrics with steps (CSV rows) as one line per commit; a param against a metric (--x, --y; by default each varying param against the primary metric); and per commit its data size and the environment differences from its parent, the important ones marked as `gitrepro diff` marks them. Hover a point for its commit.',
  positionals: { range: { describe: 'commits: a revision and its history, or a..b (default HEAD)', type: 'string' } },
  options: {
    output: { alias: 'o', type: 'string', describe: 'the HTML file to write (default report.html)' },
    n: { alias: 'max-count', type: 'number', describe: 'at most this many commits (the newest)' },
    x: { type: 'string', describe: 'the param (or metric) on the x axis of the scatter' },
    y: { type: 'string', describe: 'the metric on the y axis of the scatter, and the one the report ranks commits by' },
    best: { type: 'string', choices: ['max', 'min'], describe: 'which end of the primary metric is best (default: min for loss/error-like names, else max)' },
    'max-lines': { type: 'number', describe: 'series plots draw the newest N commits (default 50)' },
  },
  examples: [
    ['gitrepro report -o report.html', 'every recorded commit of HEAD'],
    ['gitrepro report main..HEAD --x train.lr --y eval.acc -o lr.html', 'this branch: accuracy against the learning rate'],
    ['gitrepro report -n 1000 --json', 'the 1,000 newest commits; where the file went, for scripts'],
  ],
  async run(args, out) {
    const r = await report({ cwd: args.cwd, range: args.range, out: args.output, maxCount: args.n, x: args.x, y: args.y, best: args.best, maxLines: args.maxLines });
    if (args.json) {
      out.json(r);
      return 0;
    }
    const plots = r.plots.length;
    out.line(`gitrepro: wrote ${r.path} (${r.commits} commit(s), ${plots} plot(s), ${humanBytes(r.bytes)})${r.withoutRecord ? `; ${r.withoutRecord} commit(s) without a record left out` : ''}`);
    if (r.primary) out.line(`gitrepro: ranked by ${r.primary.key}, ${r.primary.direction === 'max' ? 'highest' : 'lowest'} is best (--y, --best to change)`);
    out.line(`open it in any browser: ${pathToFileURL(r.path).href}`);
    return 0;
  },
};
