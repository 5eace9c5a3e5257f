import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectEnv, envSnapshotSchema, GPU_QUERY_ARGS } from '../../src/env/index.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/gpu-h100/', import.meta.url));
let tmp: string;

/** Writes an executable sh script `name` into `dir`. */
function tool(dir: string, name: string, body: string): void {
  writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(dir, name), 0o755);
}

function dir(name: string): string {
  const d = path.join(tmp, name);
  execFileSync('mkdir', ['-p', d]);
  return d;
}

/** True while `pid` runs. A killed child whose parent died is a zombie until PID 1 reaps it,
 * and some container init processes never do: a zombie counts as gone. */
function running(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gitrepro-env-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('collectEnv on this machine', () => {
  it('records os, cpu, memory and runtimes that match what node and python report', async () => {
    const s = await collectEnv({ cwd: tmp, seed: 42 });
    expect(s.schema).toBe('gitrepro.env/v1');
    expect(s.os.platform).toBe(process.platform);
    expect(s.os.arch).toBe(process.arch);
    expect(s.os.release).toBe(os.release());
    expect(s.cpu.logical).toBe(os.cpus().length);
    expect(s.memory.totalBytes).toBe(os.totalmem());
    expect(s.runtimes.node).toBe(process.version.slice(1));
    const py = execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim().replace(/^Python /, '');
    expect(s.runtimes.python3).toBe(py);
    expect(s.seed).toBe(42);
    expect(Date.parse(s.capturedAt)).toBeGreaterThan(Date.now() - 60_000);
    if (process.platform === 'linux') expect(s.cpu.simdHash).toMatch(/^[0-9a-f]{16}$/);
    // What is written must be what a reader accepts, after a JSON round trip.
    expect(envSnapshotSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('rejects a non-integer seed with a usage error', async () => {
    await expect(collectEnv({ cwd: tmp, seed: 1.5 })).rejects.toMatchObject({ code: 'GITREPRO_USAGE' });
  });
});

describe('GPU via nvidia-smi', () => {
  it('reads the H100 fixtures through a fake nvidia-smi on opts.env PATH', async () => {
    const bin = dir('bin-gpu');
    // The fake answers only the exact calls the collector makes, with the captured real output.
    tool(bin, 'nvidia-smi', [
      `F='${FIXTURES}'`,
      'case "$*" in',
      `  '${GPU_QUERY_ARGS.join(' ')}') exec cat "$F/nvidia-smi-query.csv" ;;`,
      `  '') exec cat "$F/nvidia-smi.txt" ;;`,
      `  '-q -x') exec cat "$F/nvidia-smi-q.xml" ;;`,
      '  *) echo "fake nvidia-smi: unexpected args: $*" >&2; exit 9 ;;',
      'esac',
    ].join('\n'));
    const s = await collectEnv({ cwd: tmp, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(s.gpu).toEqual({
      count: 1,
      driver: '580.159.04',
      cuda: '13.0',
      devices: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, computeCap: '9.0' }],
    });
    // The driver agrees with the kernel module's own report captured on the same machine.
    expect(readFileSync(path.join(FIXTURES, 'proc-driver-nvidia-version.txt'), 'utf8')).toContain(` ${s.gpu?.driver} `);
    // Board identifiers are read but never recorded.
    const json = JSON.stringify(s);
    expect(json).not.toContain('GPU-6c9b7174-71a6-1d9d-c4e7-81ccf5815470');
    expect(json).not.toContain('00000000:00:06.0');
    expect(json).not.toContain('1752824022804');
  });

  it('leaves gpu out, without error, when nvidia-smi is not on PATH', async () => {
    const empty = dir('bin-empty');
    const s = await collectEnv({ cwd: tmp, env: { PATH: empty } });
    expect('gpu' in s).toBe(false);
    expect(s.runtimes).toEqual({ node: process.version.slice(1) });
  });

  it('bounds a hanging nvidia-smi by the timeout and kills its whole process group', async () => {
    const bin = dir('bin-hang');
    const pidFile = path.join(tmp, 'hang.pid');
    // Not exec: the sleeping grandchild holds the pipes, the case a plain execFile timeout misses.
    tool(bin, 'nvidia-smi', `sleep 30 &\necho $! > '${pidFile}'\nwait`);
    const t0 = performance.now();
    const s = await collectEnv({ cwd: tmp, env: { PATH: `${bin}:/usr/bin:/bin` }, timeoutMs: 300 });
    const elapsed = performance.now() - t0;
    expect('gpu' in s).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 50));
    expect(running(sleeper)).toBe(false); // no leftover process
  });

  it('treats a failing nvidia-smi (driver not loaded) as no GPU', async () => {
    const bin = dir('bin-fail');
    tool(bin, 'nvidia-smi', "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"\nexit 9");
    const s = await collectEnv({ cwd: tmp, env: { PATH: bin } });
    expect('gpu' in s).toBe(false);
  });
});
