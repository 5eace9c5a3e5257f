/**
 * vitest globalSetup: a real S3 server (Ceph radosgw on loopback, test/s3/rgw.sh) for the S3
 * tests. Wire it with `globalSetup: ['test/s3/global-setup.ts']` in vitest.config.ts.
 *
 * - GITREPRO_S3=off: no server; S3 tests skip.
 * - GITREPRO_S3_ENDPOINT set: that server is used as it is (with GITREPRO_S3_KEY/SECRET...).
 * - otherwise `rgw.sh start` reuses a running server or starts one (on a fresh Debian 12
 *   machine it apt-installs Ceph first: about a minute, allowed 6); a server this setup started
 *   is stopped at teardown unless GITREPRO_S3_KEEP=1.
 * When no server can be had, the S3 tests skip with a loud notice, unless GITREPRO_REQUIRE_S3=1
 * (CI), which fails the run instead.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import type { S3Provided, S3TestEnv } from './env.js';

const execFileP = promisify(execFile);
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rgw.sh');
const START_TIMEOUT_MS = 6 * 60_000;

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const env = process.env;
  if (env.GITREPRO_S3 === 'off') return unavailable(project, 'GITREPRO_S3=off');
  if (env.GITREPRO_S3_ENDPOINT) {
    project.provide('gitreproS3', { ok: true, env: fromEnv(env) });
    return undefined;
  }
  const running = await execFileP('bash', [SCRIPT, 'status'], { timeout: 20_000 }).then(
    () => true,
    () => false,
  );
  let stdout: string;
  try {
    ({ stdout } = await execFileP('bash', [SCRIPT, 'start'], { timeout: START_TIMEOUT_MS, maxBuffer: 16 << 20 }));
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return unavailable(project, `rgw.sh start failed: ${(err.stderr ?? '').trim().split('\n').slice(-5).join(' | ') || err.message}`);
  }
  const exports = (await execFileP('bash', [SCRIPT, 'env'])).stdout;
  const parsed: NodeJS.ProcessEnv = {};
  for (const m of exports.matchAll(/^export (\w+)=(.*)$/gm)) parsed[m[1]!] = m[2];
  project.provide('gitreproS3', { ok: true, env: fromEnv(parsed) });
  console.log(`[s3] radosgw at ${stdout.trim().split('\n').pop()}${running ? ' (already running)' : ' (started)'}`);
  if (running || env.GITREPRO_S3_KEEP === '1') return undefined;
  return async () => {
    await execFileP('bash', [SCRIPT, 'stop'], { timeout: 60_000 }).catch(() => {});
  };
}

function fromEnv(env: NodeJS.ProcessEnv): S3TestEnv {
  const v = (k: string, d?: string): string => env[k] ?? d ?? '';
  return {
    endpoint: v('GITREPRO_S3_ENDPOINT'),
    key: v('GITREPRO_S3_KEY', 'GRTESTKEY'),
    secret: v('GITREPRO_S3_SECRET', 'GRTESTSECRET'),
    key2: v('GITREPRO_S3_KEY2', 'GRTESTKEY2'),
    secret2: v('GITREPRO_S3_SECRET2', 'GRTESTSECRET2'),
    region: v('GITREPRO_S3_REGION', 'us-east-1'),
  };
}

function unavailable(project: TestProject, reason: string): undefined {
  if (process.env.GITREPRO_REQUIRE_S3 === '1') {
    throw new Error(`GITREPRO_REQUIRE_S3=1 but no S3 test server: ${reason}`);
  }
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! S3 TESTS WILL BE SKIPPED: no S3 test server.\n!! ${reason}\n!! Start one with \`bash test/s3/rgw.sh start\` (root, Debian 12), or set GITREPRO_REQUIRE_S3=1 to fail instead.\n${bar}\n`);
  const provided: S3Provided = { ok: false, reason };
  project.provide('gitreproS3', provided);
  return undefined;
}
