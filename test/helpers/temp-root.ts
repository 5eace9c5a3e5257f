/**
 * Every test file's temp dirs under one root of its own, removed when the file's tests end: the
 * sandboxes (helpers/repo.ts) and the tests' own `mkdtempSync(tmpdir())` dirs, and what the
 * gitrepro and git processes they start put in TMPDIR. Left in place for a look afterwards
 * with GITREPRO_TEST_KEEP=1 (each run of the suite left ~1 GiB in /tmp before). Watchman keeps
 * its daemon's socket and state in `$TMPDIR/<user>-state`: a file whose tests start one (the
 * Watchman probe's) has its own daemon, shut down here before its root goes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const before = process.env.TMPDIR;
const root = mkdtempSync(path.join(tmpdir(), 'gr-run-'));
process.env.TMPDIR = root; // os.tmpdir() reads it on each call; child processes inherit it

afterAll(() => {
  if (before === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = before;
  for (const name of existsSync(root) ? readdirSync(root) : []) {
    const sock = path.join(root, name, 'sock');
    if (name.endsWith('-state') && existsSync(sock)) spawnSync('watchman', ['--no-spawn', `--sockname=${sock}`, 'shutdown-server'], { timeout: 30_000 });
  }
  if (process.env.GITREPRO_TEST_KEEP === '1') return;
  // a hook's detached record flusher may still be writing in a sandbox: a few retries, then leave it
  try {
    rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  } catch {
    /* left for the next tmp clean-up */
  }
});
