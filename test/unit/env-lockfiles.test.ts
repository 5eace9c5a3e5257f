import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectEnv, diffEnv, hashLockfiles, redactionMarker } from '../../src/env/index.js';

let repo: string;
let bin: string;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeEach(() => {
  repo = mkdtempSync(path.join(os.tmpdir(), 'gitrepro-lock-'));
  bin = path.join(repo, '.bin');
  mkdirSync(bin);
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe('lockfile hashes', () => {
  it('hashes the known lockfiles at the root and nothing else', async () => {
    writeFileSync(path.join(repo, 'uv.lock'), 'version = 1\n');
    writeFileSync(path.join(repo, 'requirements-dev.txt'), 'pytest==8\n');
    writeFileSync(path.join(repo, 'README.md'), '# no\n');
    mkdirSync(path.join(repo, 'sub'));
    writeFileSync(path.join(repo, 'sub', 'poetry.lock'), 'nested\n');
    expect(await hashLockfiles(repo)).toEqual({ 'requirements-dev.txt': sha('pytest==8\n'), 'uv.lock': sha('version = 1\n') });
  });

  it('changes when the file changes, and the diff marks it important', async () => {
    const file = path.join(repo, 'poetry.lock');
    writeFileSync(file, 'numpy 1.26.4\n');
    const before = await collectEnv({ cwd: repo, env: { PATH: bin } });
    writeFileSync(file, 'numpy 2.1.0\n');
    const after = await collectEnv({ cwd: repo, env: { PATH: bin } });
    expect(before.lockfiles['poetry.lock']).toBe(sha('numpy 1.26.4\n'));
    expect(after.lockfiles['poetry.lock']).toBe(sha('numpy 2.1.0\n'));
    expect(diffEnv(before, after)).toEqual([
      { field: 'lockfiles.poetry.lock', before: sha('numpy 1.26.4\n'), after: sha('numpy 2.1.0\n'), important: true },
    ]);
  });

  it('ignores CRLF versus LF so an autocrlf checkout is not a dependency change', async () => {
    writeFileSync(path.join(repo, 'yarn.lock'), 'a\r\nb\r\n');
    expect((await hashLockfiles(repo))['yarn.lock']).toBe(sha('a\nb\n'));
  });
});

describe('package lists', () => {
  const counter = () => Number(readFileSync(path.join(repo, 'calls'), 'utf8').trim().split('\n').length);

  beforeEach(() => {
    // A fake python3: answers --version, and counts each pip freeze so caching is observable.
    writeFileSync(path.join(bin, 'python3'), [
      '#!/bin/sh',
      'if [ "$1" = --version ]; then echo "Python 3.12.1"; exit 0; fi',
      `echo x >> '${path.join(repo, 'calls')}'`,
      'echo "numpy==2.1.0"',
      'echo "private-pkg @ git+https://deploy:hunter2secret@git.example.com/p.git"',
    ].join('\n'));
    chmodSync(path.join(bin, 'python3'), 0o755);
    writeFileSync(path.join(repo, 'uv.lock'), 'v1\n');
  });

  it('records pip freeze with credentials redacted, and only when asked', async () => {
    const without = await collectEnv({ cwd: repo, env: { PATH: bin } });
    expect('packages' in without).toBe(false);
    const s = await collectEnv({ cwd: repo, env: { PATH: bin }, packages: true });
    expect(s.runtimes.python3).toBe('3.12.1');
    expect(s.packages?.pip).toEqual(['numpy==2.1.0', `private-pkg @ git+https://${redactionMarker('deploy:hunter2secret')}@git.example.com/p.git`]);
    expect(JSON.stringify(s)).not.toContain('hunter2secret');
  });

  it('pays for pip freeze once per lockfile state when a cache dir is given', async () => {
    const cacheDir = path.join(repo, 'cache');
    const a = await collectEnv({ cwd: repo, env: { PATH: bin }, packages: true, cacheDir });
    const b = await collectEnv({ cwd: repo, env: { PATH: bin }, packages: true, cacheDir });
    expect(counter()).toBe(1);
    expect(b.packages).toEqual(a.packages);
    // The cached copy on disk holds the redacted lines only.
    expect(readFileSync(path.join(cacheDir, (await import('node:fs')).readdirSync(cacheDir)[0]), 'utf8')).not.toContain('hunter2secret');
    writeFileSync(path.join(repo, 'uv.lock'), 'v2\n');
    await collectEnv({ cwd: repo, env: { PATH: bin }, packages: true, cacheDir });
    expect(counter()).toBe(2);
  });
});
