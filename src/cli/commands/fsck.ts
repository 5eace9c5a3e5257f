import { fsck } from '../../ops/fsck.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec = {
  command: 'fsck',
  summary: 're-hash the local store, quarantine corrupt objects, report incomplete records',
  description: 'Re-hashes every object in the local store; a corrupt one is moved to <git-common-dir>/gitrepro/quarantine/. Then reports records whose snapshots reference objects the local store lacks (fetch them with `gitrepro fetch`). Exit 1 when an object is corrupt or a record invalid.',
  examples: [
    ['gitrepro fsck', 'check the local store'],
    ['gitrepro fsck --json', 'for scripts'],
  ],
  async run(args, out) {
    const r = await fsck({ cwd: args.cwd });
    if (args.json) {
      out.json(r);
      return r.ok ? 0 : 1;
    }
    out.line(`checked ${r.objects} object(s)`);
    for (const c of r.corrupt) out.line(out.color.red(`corrupt: ${c.sha256} (moved to ${c.quarantinedAs ?? 'quarantine'})`));
    for (const n of r.invalidNotes) out.line(out.color.red(`invalid record on ${n.commit.slice(0, 12)}: ${n.error}`));
    for (const i of r.incomplete) out.line(`record of ${i.commit.slice(0, 12)}: ${i.missing} object(s) not in the local store (e.g. ${i.first.slice(0, 12)}); \`gitrepro fetch\` gets them`);
    out.line(r.ok ? 'fsck: ok' : 'fsck: problems found');
    return r.ok ? 0 : 1;
  },
};
