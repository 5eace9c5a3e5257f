import { GitreproError } from '../../errors.js';
import { bundleCreate } from '../../ops/bundle-create.js';
import { bundleImport } from '../../ops/bundle-import.js';
import { bundleVerify } from '../../ops/bundle-verify.js';
import { humanBytes } from '../output.js';
import { makeProgress } from '../progress.js';
import type { CommandSpec } from '../spec.js';

type Args = { action: string; file?: string; revs?: string[]; all?: boolean; fetch?: boolean };

export const spec: CommandSpec<Args> = {
  command: 'bundle <action> [file] [revs..]',
  summary: 'write, check or import one tar file holding the data and records of commits (air gaps)',
  description:
    'A bundle is one tar file with the data objects that commits need, their snapshots and records (a `git bundle` of refs/notes/gitrepro and refs/gitrepro/snapshots) and a manifest; the code travels as a `git bundle` of its own. Together they restore a fresh clone with no store remote reachable.\n\n' +
    'create <file> [<rev> | <a>..<b>]... | --all: the commits named (a revision: that commit; a range: every commit of it; default HEAD), or with --all every branch, tag and remote-tracking branch. The records of every commit travel (the whole record refs), the data of the commits asked for. Objects missing locally are fetched from the store remote first (--no-fetch: fail naming them). Written atomically.\n\n' +
    'import <file>: checks everything first (only regular files at the names the manifest gives, of its sizes; the sha256 of every object and of the records), then merges the records into the local ones (no local record is dropped) and stores the new objects; a bad archive imports nothing (exit 1). Importing twice adds nothing. Run `gitrepro install` (or `gitrepro restore`) afterwards to put the data in the work tree.\n\n' +
    'verify <file>: the checks of import, writing nothing; exit 0 when the archive is sound, 1 with the reason when not.',
  positionals: {
    action: { describe: 'create | import | verify', type: 'string' },
    file: { describe: 'the bundle archive (a .tar file)', type: 'string' },
    revs: { describe: 'create: revisions or ranges (default HEAD)', type: 'string', array: true },
  },
  options: {
    all: { type: 'boolean', describe: 'create: every commit of every branch, tag and remote-tracking branch' },
    fetch: { type: 'boolean', default: true, describe: 'create: fetch objects missing locally from the store remote (--no-fetch: fail naming them)' },
  },
  examples: [
    ['gitrepro bundle create data.tar --all', 'data and records of every branch and tag (the code: git bundle create code.bundle --all)'],
    ['gitrepro bundle import ../data.tar && gitrepro install', 'in a clone of code.bundle: its data, no store remote needed'],
    ['gitrepro bundle create v2.tar v1.0..v2.0', 'the data of every commit after v1.0 up to v2.0'],
    ['gitrepro bundle verify data.tar --json', 'check an archive without importing it'],
  ],
  async run(args, out) {
    const file = args.file;
    if (!file) throw new GitreproError('GITREPRO_USAGE', `gitrepro bundle ${args.action} needs a file`, { hint: 'see `gitrepro bundle --help`' });
    if (args.action !== 'create' && args.revs?.length) throw new GitreproError('GITREPRO_USAGE', `gitrepro bundle ${args.action} takes one file, not revisions`, { hint: 'see `gitrepro bundle --help`' });
    switch (args.action) {
      case 'create': {
        const progress = makeProgress();
        const r = await bundleCreate({ cwd: args.cwd, file, revs: (args.revs ?? []).map(String), all: args.all, noFetch: args.fetch === false, reporter: progress.reporter }).finally(() => progress.stop());
        if (args.json) out.json(r);
        else out.line(`gitrepro: wrote ${file} (${humanBytes(r.bytes)}): ${r.objects} object(s) (${humanBytes(r.dataBytes)}) of ${r.commits} commit(s)${r.fetched ? `, ${r.fetched} fetched from the store remote first` : ''}, records ${r.refs.length ? r.refs.join(', ') : 'none'}`);
        return 0;
      }
      case 'import': {
        const progress = makeProgress();
        const r = await bundleImport({ cwd: args.cwd, file, reporter: progress.reporter }).finally(() => progress.stop());
        if (args.json) out.json(r);
        else {
          out.line(`gitrepro: imported ${file}: ${r.added} new object(s) of ${r.objects} (${humanBytes(r.bytes)}), records of ${r.commits} commit(s)${r.records ? ` (notes ${r.records.notes}, snapshots ${r.records.snapshots})` : ''}`);
          if (r.problem) out.err(`gitrepro: ${r.problem}`);
          if (r.incomplete.length) out.err(`gitrepro: ${r.incomplete.length} object(s) its snapshots reference are neither in the archive nor in the store, e.g. ${r.incomplete[0]!.slice(0, 12)}: \`gitrepro fetch\` them when a store remote is reachable`);
        }
        return 0;
      }
      case 'verify': {
        const r = await bundleVerify({ cwd: args.cwd, file });
        if (args.json) out.json(r);
        else if (r.ok) out.line(`gitrepro: ${file} is a sound bundle: ${r.objects} object(s) (${humanBytes(r.bytes ?? 0)}) of ${r.commits} commit(s), records ${r.refs?.length ? r.refs.join(', ') : 'none'}`);
        else out.err(`gitrepro: ${file} is not a sound bundle: ${r.reason}`);
        return r.ok ? 0 : 1;
      }
      default:
        throw new GitreproError('GITREPRO_USAGE', `unknown action "${args.action}": create, import or verify`, { hint: 'see `gitrepro bundle --help`' });
    }
  },
};
