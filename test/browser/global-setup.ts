/**
 * vitest globalSetup for the browser tests: Debian's Chromium (`/usr/bin/chromium`), driven by
 * playwright-core with the system executable (never a downloaded browser build).
 *
 * - GITREPRO_BROWSER=off: no browser; the browser tests skip.
 * - GITREPRO_CHROMIUM=<path>: that executable.
 * - otherwise /usr/bin/chromium; when it is missing and this is a Debian machine where we are
 *   root, `apt-get install chromium` (a minute or two; .ci/run installs it before the suite).
 * When no browser can be had the browser tests skip with a loud notice, unless
 * GITREPRO_REQUIRE_BROWSER=1 (CI), which fails the run instead.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import type { BrowserProvided } from './env.js';

const execFileP = promisify(execFile);
const DEFAULT = '/usr/bin/chromium';
const INSTALL_TIMEOUT_MS = 10 * 60_000;

async function install(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root, cannot apt-get install chromium';
  if (!existsSync('/usr/bin/apt-get')) return 'no apt-get on this machine';
  console.log('[browser] /usr/bin/chromium is missing: apt-get install chromium');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await execFileP('apt-get', ['update', '-qq'], { env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 << 20 });
    await execFileP('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `apt-get install chromium failed: ${(err.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || err.message}`;
  }
  return undefined;
}

export default async function setup(project: TestProject): Promise<void> {
  const env = process.env;
  if (env.GITREPRO_BROWSER === 'off') return unavailable(project, 'GITREPRO_BROWSER=off');
  const executable = env.GITREPRO_CHROMIUM || DEFAULT;
  if (!existsSync(executable)) {
    const why = env.GITREPRO_CHROMIUM ? `GITREPRO_CHROMIUM=${executable} does not exist` : await install();
    if (why || !existsSync(executable)) return unavailable(project, why ?? `${executable} missing after the install`);
  }
  try {
    await import('playwright-core');
  } catch (e) {
    return unavailable(project, `playwright-core is not installed (npm ci): ${(e as Error).message}`);
  }
  const version = await execFileP(executable, ['--version'], { timeout: 30_000 }).then((r) => r.stdout.trim(), (e: Error) => `unknown (${e.message.split('\n')[0]})`);
  console.log(`[browser] ${version} at ${executable}`);
  const provided: BrowserProvided = { ok: true, executable };
  project.provide('gitreproBrowser', provided);
}

function unavailable(project: TestProject, reason: string): void {
  if (process.env.GITREPRO_REQUIRE_BROWSER === '1') {
    throw new Error(`GITREPRO_REQUIRE_BROWSER=1 but no browser for the browser tests: ${reason}`);
  }
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! BROWSER TESTS WILL BE SKIPPED: no Chromium.\n!! ${reason}\n!! Install it with \`apt-get install chromium\` (root, Debian), or set GITREPRO_REQUIRE_BROWSER=1 to fail instead.\n${bar}\n`);
  const provided: BrowserProvided = { ok: false, reason };
  project.provide('gitreproBrowser', provided);
}
