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
  verify: { summary: 'check that every commit of a range can be reproduced by anyone', load: () => import('./commands/verify.js') },
  gc: { summary: 'remove data objects no commit, reflog, stash, worktree or recover needs (local store or a store remote)', load: () => import('./commands/gc.js') },
  fsck: { summary: 're-hash the local store, quarantine corrupt objects, report incomplete records', load: () => import('./commands/fsck.js') },
  show: { summary: 'show the record of a commit', load: () => import('./commands/show.js') },
  log: { summary: 'list commits with their data and records', load: () => import('./commands/log.js') },
  'ls-files': { summary: 'list the data files of a commit', load: () => import('./commands/ls-files.js') },
  diff: { summary: 'data, params, metrics and environment changes between commits', load: () => import('./commands/diff.js') },
  // >>> metrics (issue 13)
  metrics: { summary: 'show metrics of commits, or what changed between two (metrics diff)', load: () => import('./commands/metrics.js') },
  params: { summary: 'show params of commits, or what changed between two (params diff)', load: () => import('./commands/params.js') },
  exp: { summary: 'table of experiments: a row per commit, a column per varying param and metric', load: () => import('./commands/exp.js') },
  report: { summary: 'write one offline HTML file: the experiments table and plots', load: () => import('./commands/report.js') },
  // <<< metrics
  // >>> pipelines (issue 6)
  stage: { summary: 'add a pipeline stage to gitrepro.yaml, or list the stages', load: () => import('./commands/stage.js') },
  repro: { summary: 'run the pipeline stages whose inputs changed, recording each run', load: () => import('./commands/repro.js') },
  run: { summary: 'run an ad-hoc command and record it like a stage', load: () => import('./commands/run.js') },
  // <<< pipelines
  trust: { summary: 'accept the settings of gitrepro.yaml that others changed (remotes, track, env)', load: () => import('./commands/trust.js') },
  remote: { summary: 'add, list, remove or pick the default store remote', load: () => import('./commands/remote.js') },
  push: { summary: 'upload the data of commits to a store remote', load: () => import('./commands/push.js') },
  fetch: { summary: 'download the records and the data of commits', load: () => import('./commands/fetch.js') },
  pull: { summary: "fetch what HEAD needs, then restore it", load: () => import('./commands/pull.js') },
  bundle: { summary: 'write, check or import one tar file holding the data and records of commits (air gaps)', load: () => import('./commands/bundle.js') },
};
