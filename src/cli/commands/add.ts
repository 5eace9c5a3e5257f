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
    for (const p of r.added) out.line(`${out.color.green('added')}    ${p}`);
    for (const p of r.modified) out.line(`${out.color.yellow('modified')} ${p}`);
    for (const p of r.deleted) out.line(`${out.color.red('deleted')}  ${p}`);
    for (const s of r.skipped) out.err(`gitrepro: skipped ${s.path}: ${s.why}`);
    out.line(`gitrepro.lock: ${r.lock.files} files, ${humanBytes(r.lock.bytes)}${r.staged ? ' (staged)' : ' (unchanged)'}; ${r.stored} new object(s) stored`);
    return 0;
  },
};
