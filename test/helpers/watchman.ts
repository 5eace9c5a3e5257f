/**
 * Watchman for the tests of the Watchman probe (src/workspace/fsmonitor.ts): the real daemon,
 * Debian's `watchman`. Without it those tests are left out, unless GITREPRO_REQUIRE_WATCHMAN=1
 * (CI), which fails the run instead.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import type { TestRepo } from './repo.js';

let known: boolean | undefined;

export function hasWatchman(): boolean {
  if (known === undefined) {
    const r = spawnSync('watchman', ['--version'], { encoding: 'utf8', timeout: 30_000 });
    known = r.status === 0 && /^\d+\.\d+/.test(r.stdout.trim());
    // gitrepro never starts the server (fsmonitor.ts): the user does, and so do the tests
    if (known) known = spawnSync('watchman', ['watch-list'], { encoding: 'utf8', timeout: 60_000 }).status === 0;
    if (!known && process.env.GITREPRO_REQUIRE_WATCHMAN === '1') throw new Error('GITREPRO_REQUIRE_WATCHMAN=1 but `watchman --version` failed: install Debian\'s watchman');
  }
  return known;
}

/** Ends Watchman's watch of each repository (the file's daemon is shut down after it: helpers/temp-root.ts). */
export function unwatch(repos: TestRepo[]): void {
  for (const r of repos) {
    try {
      spawnSync('watchman', ['--no-spawn', 'watch-del', realpathSync(r.dir)], { encoding: 'utf8', timeout: 30_000 });
    } catch {
      // gone already
    }
  }
}

/** Runs a Watchman command as JSON. */
export function watchman(cmd: unknown[]): any {
  const r = spawnSync('watchman', ['-j', '--no-pretty'], { input: JSON.stringify(cmd), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`watchman ${JSON.stringify(cmd)} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
