import { status } from '../../ops/status.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec = {
  command: 'status',
  summary: 'show data added, modified or deleted against HEAD',
  description: 'Compares tracked data in the work tree with the snapshot of HEAD (the next commit records the work tree), and lists objects HEAD needs that the local store lacks. Exit code 0 either way; use --json in scripts.',
  examples: [
    ['gitrepro status', 'what the next commit will record'],
    ['gitrepro status --json | jq .modified', 'modified data paths, for scripts'],
  ],
  async run(args, out) {
    const r = await status({ cwd: args.cwd });
    if (args.json) {
      out.json(r);
      return 0;
    }
    if (r.conflicts) {
      out.line(out.color.red(`data merge conflict in ${r.conflicts.paths.length} path(s):`));
      for (const p of r.conflicts.paths) out.line(`  ${p in r.conflicts.resolved ? `resolved (${r.conflicts.resolved[p]}):` : out.color.red('both changed:')} ${p}`);
      out.line('(pick a side: `gitrepro resolve <path> --ours|--theirs`, then `git commit`)');
    }
    if (r.lockModified && !r.conflicts) out.line(out.color.yellow('gitrepro.lock differs from HEAD (a merge, or a file checkout of gitrepro.lock): run `gitrepro restore` or resolve'));
    if (r.lockStaged) out.line('gitrepro.lock is staged: the next commit records new data');
    if (r.clean) out.line('data: clean (work tree matches HEAD)');
    for (const p of r.added) out.line(`  ${out.color.green('added:')}    ${p}`);
    for (const p of r.modified) out.line(`  ${out.color.yellow('modified:')} ${p}`);
    for (const p of r.deleted) out.line(`  ${out.color.red('deleted:')}  ${p}`);
    if (!r.clean) out.line('(`gitrepro add` or `git commit` records them; `gitrepro restore` puts HEAD\'s data back)');
    if (r.missingObjects.length) out.line(out.color.red(`${r.missingObjects.length} object(s) of HEAD are not in the local store: run \`gitrepro pull\``));
    for (const s of r.skipped) out.line(`  skipped: ${s.path}: ${s.why}`);
    return 0;
  },
};
