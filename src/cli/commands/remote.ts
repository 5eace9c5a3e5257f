import { GitreproError } from '../../errors.js';
import { remoteAdd, remoteDefault, remoteList, remoteRemove, type ShownRemote } from '../../ops/remote.js';
import type { Output } from '../output.js';
import type { CommandSpec } from '../spec.js';

type Args = { action: string; name?: string; url?: string; default?: boolean; endpoint?: string; region?: string; local?: boolean };

function need(v: string | undefined, what: string): string {
  if (!v) throw new GitreproError('GITREPRO_USAGE', `gitrepro remote needs ${what}`, { hint: 'see `gitrepro remote --help`' });
  return v;
}

function print(list: ShownRemote[], out: Output): void {
  if (list.length === 0) out.line('no store remotes (add one: gitrepro remote add <name> <dir | s3://bucket/prefix> --default)');
  for (const r of list) {
    const extra = [r.def.endpoint && `endpoint ${r.def.endpoint}`, r.def.region && `region ${r.def.region}`].filter(Boolean).join(', ');
    const notes = [r.default && 'default', r.source === 'git config' && 'this clone only', r.overridden.length && `${r.overridden.join('/')} from git config`, r.pending && out.color.yellow('changed by others, not accepted: gitrepro trust --show')].filter(Boolean).join('; ');
    out.line(`${r.default ? '*' : ' '} ${r.name}\t${r.def.url}${extra ? ` (${extra})` : ''}${notes ? `  [${notes}]` : ''}`);
  }
}

export const spec: CommandSpec<Args> = {
  command: 'remote <action> [name] [url]',
  summary: 'add, list, remove or pick the default store remote',
  description:
    'Store remotes hold the data objects other clones fetch: a directory (a path or file:// URL; on the same filesystem, read-only objects that belong to you are hard-linked, others copied) or S3 (s3://bucket[/prefix], with --endpoint for Ceph, MinIO and other S3 servers, which selects path-style addressing). Definitions live in gitrepro.yaml (commit it) and never hold credentials: S3 keys come from the AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws). A clone can override a url with `git config gitrepro.remote.<name>.url <url>` and its default with `remote default <name> --local`.\n\nactions: add <name> <url>, list, remove <name>, default <name>',
  positionals: {
    action: { describe: 'add | list | remove | default', type: 'string' },
    name: { describe: 'remote name', type: 'string' },
    url: { describe: 'directory path, file:// URL or s3://bucket[/prefix] (add)', type: 'string' },
  },
  options: {
    default: { type: 'boolean', describe: 'add: make it the default remote (default_remote in gitrepro.yaml)' },
    endpoint: { type: 'string', describe: 'add: S3 endpoint URL of a non-AWS server, e.g. http://rgw.internal:7480' },
    region: { type: 'string', describe: 'add: S3 region (default AWS_REGION, else us-east-1)' },
    local: { type: 'boolean', describe: 'default: set it for this clone only (git config gitrepro.remote)' },
  },
  examples: [
    ['gitrepro remote add team /mnt/share/data-store --default', 'a directory remote on a mounted share'],
    ['gitrepro remote add ceph s3://ml-data/vision --endpoint http://rgw.internal:7480', 'an S3 remote on a Ceph gateway'],
    ['gitrepro remote list --json', 'the remotes in effect here, for scripts'],
    ['git config gitrepro.remote.team.url /media/usb/data-store', 'use another copy of "team" in this clone only'],
  ],
  async run(args, out) {
    let list: ShownRemote[];
    switch (args.action) {
      case 'add':
        list = await remoteAdd({ cwd: args.cwd, name: need(args.name, 'a name'), url: need(args.url, 'a url'), endpoint: args.endpoint, region: args.region, makeDefault: args.default });
        if (!args.json) out.line(`gitrepro: added store remote "${args.name}"; commit gitrepro.yaml to share it`);
        break;
      case 'list':
        list = await remoteList({ cwd: args.cwd });
        break;
      case 'remove':
      case 'rm':
        list = await remoteRemove({ cwd: args.cwd, name: need(args.name, 'a name') });
        if (!args.json) out.line(`gitrepro: removed store remote "${args.name}"`);
        break;
      case 'default':
        list = await remoteDefault({ cwd: args.cwd, name: need(args.name, 'a name'), local: args.local });
        break;
      default:
        throw new GitreproError('GITREPRO_USAGE', `unknown action "${args.action}"`, { hint: 'use add, list, remove or default' });
    }
    if (args.json) out.json(list);
    else if (args.action === 'list' || args.action === 'default') print(list, out);
    return 0;
  },
};
