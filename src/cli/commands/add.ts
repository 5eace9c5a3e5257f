import { addData } from '../../ops/add.js';
import { humanBytes } from '../output.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ paths?: string[] }> = {
  command: 'add [paths..]',
  summary: 'store changed data and stage gitrepro.lock (the data twin of git add)',
  description: 'Hashes tracked files whose stat changed, copies new content into the store, builds the new snapshot and stages gitrepro.lock. After it, a plain `git commit` records a data-only change.',
  positionals: { paths: { describe: 'limit to these tracked files or directories', type: 'string', array: true } },
  examples: [
    ['gitrepro add', 'store every changed tracked file'],
    ['gitrepro add data/train.csv && git commit -m "new training data"', 'commit a data-only change'],
  ],
  async run(args, out) {
    const r = await addData({ cwd: args.cwd, paths: args.paths });
    if (args.json) {
      out.json(r);
      return 0;
    }
    // one write for all the paths: one per line cost a first add of 100,000 files 0.33 s
    const lines = [
      ...r.added.map((p) => `${out.color.green('added')}    ${p}`),
      ...r.modified.map((p) => `${out.color.yellow('modified')} ${p}`),
      ...r.deleted.map((p) => `${out.color.red('deleted')}  ${p}`),
    ];
    if (lines.length) out.line(lines.join('\n'));
    for (const s of r.skipped) out.err(`gitrepro: skipped ${s.path}: ${s.why}`);
    out.line(`gitrepro.lock: ${r.lock.files} files, ${humanBytes(r.lock.bytes)}${r.staged ? ' (staged)' : ' (unchanged)'}; ${r.stored} new object(s) stored`);
    return 0;
  },
};
