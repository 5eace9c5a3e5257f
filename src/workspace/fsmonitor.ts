/**
 * The change probe through Watchman (issue 11: "core.fsmonitor with Watchman where the user has
 * it"), opt-in per clone: `git config gitrepro.fsmonitor watchman`. Watchman keeps a clock per
 * watched root; a scan takes the clock before it reads anything and saves it beside the stamp
 * (worktree-state.ts), and the next probe asks Watchman which paths changed since that clock
 * instead of `find -cnewer` stat-ing every file: on W2 (100,000 files) ~5 ms against ~110 ms, and
 * it does not grow with the number of files.
 *
 * gitrepro never starts the Watchman server (`--no-spawn`, `--no-local`): the user runs it
 * (`watchman watch-project .` once starts it and watches the clone). Every doubt falls back to
 * `find`: no server, the root not watchable, a watch whose configuration ignores anything, a
 * clock of another Watchman instance or watch (`is_fresh_instance`), an error, a time-out (after
 * which Watchman is left alone for a while: changes.ts), output that does not parse.
 *
 * What inotify cannot see, Watchman cannot report: a write through a hard link from outside the
 * work tree, a write by another machine to a network filesystem, a write through mmap. So a scan
 * by Watchman never moves the stamp (changes.ts): the ctime checks that guard unsaved work (a
 * checkout re-hashes a file changed since the stamp before it replaces it) stay as safe as with
 * `find`; only the record of such a change waits for the next `find` scan.
 *
 * The setting is read from git config (this user's, never from a commit): it decides only how
 * changes are found, never what is stored.
 */
import { spawn } from 'node:child_process';
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { trace } from '../trace.js';

/** A Watchman clock as Watchman prints it (`c:<start>:<pid>:<root number>:<ticks>`). */
export const CLOCK_RE = /^c:[0-9]+:[0-9]+:[0-9]+:[0-9]+$/;
/** How long Watchman may wait for its view to catch up with the file system (a cookie sync). */
const SYNC_TIMEOUT_MS = 2_000;
/**
 * How long a Watchman command may take before the probe falls back to `find` (longer than the
 * sync: a server that is only slow answers with its own error first, which is no time-out).
 */
export const WATCHMAN_TIMEOUT_MS = 3_000;

export interface Watch {
  /** the directory Watchman watches (the repository root or a project above it) */
  watchRoot: string;
  /** the repository root relative to it ('' when the same) */
  rel: string;
}

interface Reply {
  error?: string;
  watch?: string;
  relative_path?: string;
  clock?: string;
  is_fresh_instance?: boolean;
  files?: unknown[];
  config?: Record<string, unknown>;
}

let timedOut = false;

/** True once a Watchman command ran out of time in this process (changes.ts then backs off). */
export function watchmanTimedOut(): boolean {
  return timedOut;
}

/**
 * One Watchman command in JSON; undefined on any failure (absent, server not running, error
 * reply, time-out). Never starts the server, and never crawls in the client.
 */
function command(cmd: unknown[]): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('watchman', ['-j', '--no-pretty', '--no-spawn', '--no-local'], { stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      return resolve(undefined);
    }
    const out: Buffer[] = [];
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, WATCHMAN_TIMEOUT_MS);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return resolve(undefined);
      try {
        const r = JSON.parse(Buffer.concat(out).toString('utf8')) as Reply;
        resolve(r && typeof r === 'object' && !r.error ? r : undefined);
      } catch {
        resolve(undefined);
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(cmd));
  });
}

/**
 * Whether a watch of `root` can be trusted to see every tracked path. Watchman leaves out what
 * the configuration it loaded when the watch began (`.watchmanconfig` at the watch root, read
 * then and kept for the watch's life, even after the file is gone) lists in `ignore_dirs` or
 * `ignore_vcs` (default `.git`, `.hg`, `.svn` at the root). A `.watchmanconfig` committed by
 * someone else could hide the data from the probe, and a change it hides is a change not
 * recorded. So: no `.watchmanconfig`, `.hg` or `.svn` at the repository root now, and a watch
 * whose loaded configuration ignores nothing (`get-config`, asked when a clock is taken: a new
 * watch means a new clock).
 */
function rootUsable(root: string): boolean {
  for (const n of ['.watchmanconfig', '.hg', '.svn']) if (lstatSync(path.join(root, n), { throwIfNoEntry: false })) return false;
  return globalConfigUsable();
}

/**
 * Watchman's global configuration (`/etc/watchman.json`, or the file `WATCHMAN_CONFIG_FILE`
 * names, and either's `.default`, which Watchman may fall back to) applies `ignore_dirs` and
 * `ignore_vcs` to every watch, and `get-config` does not show it: one that ignores anything, or
 * does not parse, sends the probe to `find`. (Only the files this process can see: a server
 * started with another WATCHMAN_CONFIG_FILE is the user's own.)
 */
function globalConfigUsable(): boolean {
  const files = [process.env.WATCHMAN_CONFIG_FILE || '/etc/watchman.json', '/etc/watchman.json'];
  for (const f of new Set(files.flatMap((x) => [x, `${x}.default`]))) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    try {
      const c = JSON.parse(text) as Record<string, unknown>;
      if (!c || typeof c !== 'object' || 'ignore_dirs' in c || 'ignore_vcs' in c) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Watchman's clock for `root`, taken before a scan reads anything: every change after it shows
 * in the next `changedSinceClock`. Watches the root first if the server runs but does not watch
 * it yet. Undefined: no clock, use `find`.
 */
export async function takeClock(root: string): Promise<{ watch: Watch; clock: string } | undefined> {
  const real = realRoot(root);
  if (!real || !rootUsable(real)) return undefined;
  const w = await command(['watch-project', real]);
  if (!w?.watch) return undefined;
  const watch: Watch = { watchRoot: w.watch, rel: w.relative_path ?? '' };
  const cfg = await command(['get-config', watch.watchRoot]);
  if (!cfg?.config || typeof cfg.config !== 'object' || 'ignore_dirs' in cfg.config || 'ignore_vcs' in cfg.config) return undefined;
  // sync_timeout: the clock counts every change made before this call (a cookie file round trip)
  const c = await command(['clock', watch.watchRoot, { sync_timeout: SYNC_TIMEOUT_MS }]);
  if (!c?.clock || !CLOCK_RE.test(c.clock) || !rootUsable(real)) return undefined;
  trace('watchman clock taken');
  return { watch, clock: c.clock };
}

/**
 * The query that lists what changed under `roots` (track roots, relative to the repository root;
 * '' is the whole tree) since a clock, as JSON text up to the clock and after it: the sh hook
 * shims send the same query (faststate.ts).
 */
export function sinceQuery(watch: Watch, roots: string[]): { head: string; tail: string } {
  const under = (r: string): unknown[] => (r === '' ? ['true'] : ['anyof', ['name', r, 'wholename'], ['dirname', r]]);
  const spec: Record<string, unknown> = {
    fields: ['name'],
    expression: ['allof', ['anyof', ...roots.map(under), ['name', 'gitrepro.yaml', 'wholename']], ['not', ['dirname', '.git']], ['not', ['name', '.git', 'wholename']]],
    sync_timeout: SYNC_TIMEOUT_MS,
  };
  if (watch.rel) spec.relative_root = watch.rel;
  const text = JSON.stringify(['query', watch.watchRoot, { ...spec, since: '\u0000' }]);
  const at = text.indexOf('\\u0000');
  return { head: text.slice(0, at), tail: text.slice(at + '\\u0000'.length) };
}

/**
 * The paths (files and directories, present or gone, relative to the repository root) changed
 * under `roots` since `clock`, and the clock to ask from next time; undefined when Watchman
 * cannot say (then `find` decides).
 */
export async function changedSinceClock(root: string, watch: Watch, clock: string, roots: string[]): Promise<{ paths: string[]; clock: string } | undefined> {
  if (!CLOCK_RE.test(clock) || !rootUsable(root)) return undefined;
  const q = sinceQuery(watch, roots);
  const r = await command(JSON.parse(q.head + clock + q.tail) as unknown[]);
  if (!r || r.is_fresh_instance !== false || !Array.isArray(r.files) || !r.clock || !CLOCK_RE.test(r.clock)) return undefined;
  const out: string[] = [];
  for (const f of r.files) {
    if (typeof f !== 'string' || f === '' || f.split('/').some((c) => c === '' || c === '.' || c === '..' || c.toLowerCase() === '.git')) continue;
    out.push(f);
  }
  // the reply's clock was read after the query's sync: what changes later shows next time
  return { paths: out, clock: r.clock };
}

function realRoot(root: string): string | undefined {
  try {
    return realpathSync(path.resolve(root));
  } catch {
    return undefined;
  }
}
