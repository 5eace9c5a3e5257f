/** Every command, with its module loaded lazily (a hook must not parse what it does not run). */
import type { CommandSpec } from './spec.js';

type Loader = () => Promise<{ spec: CommandSpec<any> }>;

export const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  install: { summary: 'set up gitrepro in this clone: hooks, git config, restore HEAD\'s data', load: () => import('./commands/install.js') },
  uninstall: { summary: 'remove gitrepro\'s hooks and git config (chained hooks are put back)', load: () => import('./commands/uninstall.js') },
  track: { summary: 'track data paths (gitignore patterns) in the store', load: () => import('./commands/track.js') },
  untrack: { summary: 'stop tracking data patterns', load: () => import('./commands/untrack.js') },
  add: { summary: 'store changed data and stage gitrepro.lock (the data twin of git add)', load: () => import('./commands/add.js') },
  status: { summary: 'show data added, modified or deleted against HEAD', load: () => import('./commands/status.js') },
  record: { summary: 'write the record of a commit that has none', load: () => import('./commands/record.js') },
  restore: { summary: 'put a commit\'s data into the work tree', load: () => import('./commands/restore.js') },
  recover: { summary: 'list or bring back data gitrepro saved before replacing it', load: () => import('./commands/recover.js') },
  resolve: { summary: 'settle a data merge conflict by picking a side per path', load: () => import('./commands/resolve.js') },
  show: { summary: 'show the record of a commit', load: () => import('./commands/show.js') },
  log: { summary: 'list commits with their data and records', load: () => import('./commands/log.js') },
  'ls-files': { summary: 'list the data files of a commit', load: () => import('./commands/ls-files.js') },
  diff: { summary: 'data, params and environment changes between commits', load: () => import('./commands/diff.js') },
};
