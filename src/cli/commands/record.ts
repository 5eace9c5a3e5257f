import { recordCommit } from '../../ops/record.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ rev?: string; from?: string; force?: boolean }> = {
  command: 'record [rev]',
  summary: 'write the record of a commit that has none',
  description: 'Writes the note of a commit made without hooks (GITREPRO_SKIP=1, a GUI client, a hosting service\'s squash-merge). Data comes from the commit\'s gitrepro.lock, params from its tree, the environment from now (marked recordedLater) or, with --from, the provenance of another commit\'s record.',
  positionals: { rev: { describe: 'commit to record (default HEAD)', type: 'string' } },
  options: {
    from: { type: 'string', describe: 'copy environment and runs from this commit\'s record' },
    force: { type: 'boolean', describe: 'replace an existing record' },
  },
  examples: [
    ['gitrepro record', 'record HEAD, made with GITREPRO_SKIP=1'],
    ['gitrepro record main --from feature~0', 'restore provenance after a squash-merge'],
  ],
  async run(args, out) {
    const r = await recordCommit({ cwd: args.cwd, rev: args.rev, from: args.from, force: args.force });
    if (args.json) out.json(r);
    else out.line(`recorded ${r.commit.slice(0, 12)}: ${r.record.data.files} files, ${Object.keys(r.record.params).length} params file(s)${r.record.from ? `, provenance from ${r.record.from.slice(0, 12)}` : ''}`);
    return 0;
  },
};
