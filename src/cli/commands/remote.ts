import { GitreproError } from '../../errors.js';
import { remoteAdd, remoteDefault, remoteFormat, remoteList, remoteRemove, type RemoteFormatResult, type ShownRemote } from '../../ops/remote.js';
import type { Output } from '../output.js';
import type { CommandSpec } from '../spec.js';

type Args = { action: string; name?: string; url?: string; default?: boolean; endpoint?: string; region?: string; local?: boolean; format?: number };

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

function printFormat(f: RemoteFormatResult, out: Output): void {
  if (f.upgradedFrom !== undefined) out.line(f.upgradedFrom === 2 ? `gitrepro: store remote "${f.name}" is already in format v2` : `gitrepro: store remote "${f.name}" now declares format v2 (was ${f.upgradedFrom === null ? 'undeclared' : `v${f.upgradedFrom}`}); its loose objects stay readable`);
  const fmt = f.declared !== undefined ? `v${f.declared}` : f.writes !== undefined ? `v${f.writes} (undeclared: written before storage v2)` : 'empty (the first push declares it)';
  out.line(`${f.name}\t${f.location}`);
  out.line(`  format: ${fmt}`);
  out.line(`  packs: ${f.indexes} index(es), ${f.objectsInPacks} object(s) and chunk(s)${f.damaged.length ? `; ${f.damaged.length} damaged index(es)` : ''}`);
  out.line(`  loose objects: ${f.loose ? 'yes' : 'none'}`);
}

export const spec: CommandSpec<Args> = {
  command: 'remote <action> [name] [url]',
  summary: 'add, list, remove or pick the default store remote',
  description:
    'Store remotes hold the data objects other clones fetch: a directory (a path or file:// URL; in format 1 on the same filesystem, read-only objects that belong to you are hard-linked, others copied) or S3 (s3://bucket[/prefix], with --endpoint for Ceph, MinIO and other S3 servers, which selects path-style addressing). Definitions live in gitrepro.yaml (commit it) and never hold credentials: S3 keys come from the AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws). A clone can override a url with `git config gitrepro.remote.<name>.url <url>` and its default with `remote default <name> --local`.\n\nA new remote gets storage format v2 on its first push (small files in packs, big files as content-defined chunks); `--format 1` keeps one object per file, readable by gitrepro versions before storage v2. `info` shows a remote\'s format; `upgrade` declares v2 on a v1 remote (its objects stay readable).\n\nactions: add <name> <url>, list, remove <name>, default <name>, info [name], upgrade [name]',
  positionals: {
    action: { describe: 'add | list | remove | default | info | upgrade', type: 'string' },
    name: { describe: 'remote name', type: 'string' },
    url: { describe: 'directory path, file:// URL or s3://bucket[/prefix] (add)', type: 'string' },
  },
  options: {
    default: { type: 'boolean', describe: 'add: make it the default remote (default_remote in gitrepro.yaml)' },
    endpoint: { type: 'string', describe: 'add: S3 endpoint URL of a non-AWS server, e.g. http://rgw.internal:7480' },
    region: { type: 'string', describe: 'add: S3 region (default AWS_REGION, else us-east-1)' },
    local: { type: 'boolean', describe: 'default: set it for this clone only (git config gitrepro.remote)' },
    format: { type: 'number', describe: 'add: storage format of a new remote: 2 (packs; default) or 1 (one object per file)' },
  },
  examples: [
    ['gitrepro remote add team /mnt/share/data-store --default', 'a directory remote on a mounted share'],
    ['gitrepro remote add ceph s3://ml-data/vision --endpoint http://rgw.internal:7480', 'an S3 remote on a Ceph gateway'],
    ['gitrepro remote list --json', 'the remotes in effect here, for scripts'],
    ['gitrepro remote upgrade team', 'switch a remote written before storage v2 to packs'],
    ['git config gitrepro.remote.team.url /media/usb/data-store', 'use another copy of "team" in this clone only'],
  ],
  async run(args, out) {
    let list: ShownRemote[];
    switch (args.action) {
      case 'info':
      case 'upgrade': {
        const f = await remoteFormat({ cwd: args.cwd, name: args.name, upgrade: args.action === 'upgrade' });
        if (args.json) out.json(f);
        else printFormat(f, out);
        return 0;
      }
      case 'add':
        if (args.format !== undefined && args.format !== 1 && args.format !== 2) throw new GitreproError('GITREPRO_USAGE', `--format must be 1 or 2, not ${args.format}`, { hint: 'see `gitrepro remote --help`' });
        list = await remoteAdd({ cwd: args.cwd, name: need(args.name, 'a name'), url: need(args.url, 'a url'), endpoint: args.endpoint, region: args.region, format: args.format as 1 | 2 | undefined, makeDefault: args.default });
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
        throw new GitreproError('GITREPRO_USAGE', `unknown action "${args.action}"`, { hint: 'use add, list, remove, default, info or upgrade' });
    }
    if (args.json) out.json(list);
    else if (args.action === 'list' || args.action === 'default') print(list, out);
    return 0;
  },
};
