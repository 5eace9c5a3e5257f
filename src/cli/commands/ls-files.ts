import { lsFiles } from '../../ops/lsfiles.js';
import { humanBytes } from '../output.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ rev?: string; long?: boolean }> = {
  command: 'ls-files [rev]',
  summary: 'list the data files of a commit',
  positionals: { rev: { describe: 'commit (default HEAD; ":" for the staged snapshot)', type: 'string' } },
  description:
    'Lists the data paths of a snapshot. With --long: the sha256 (12 digits), x for an executable, the size, ! when the local store lacks the object, and whether the file is in the work tree: "present", "absent", or "sparse" (absent, outside this clone\'s gitrepro.include/exclude filter).',
  options: { long: { alias: 'l', type: 'boolean', describe: 'show sha256, size, whether the local store has it and whether the work tree does' } },
  examples: [
    ['gitrepro ls-files', "HEAD's data files"],
    ['gitrepro ls-files -l v1.0', 'with hashes and sizes, at tag v1.0'],
  ],
  async run(args, out) {
    const r = await lsFiles({ cwd: args.cwd, rev: args.rev });
    if (args.json) out.json(r);
    else
      for (const f of r.files) {
        const here = f.present ? 'present' : f.sparse ? 'sparse' : 'absent';
        out.line(args.long ? `${f.sha256.slice(0, 12)} ${f.exec ? 'x' : '-'} ${humanBytes(f.size).padStart(10)} ${f.local ? ' ' : '!'} ${here.padEnd(7)} ${f.path}` : f.path);
      }
    return 0;
  },
};
