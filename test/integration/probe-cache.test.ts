import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolIdentity } from '../../src/env/probe-cache.js';
import { TestRepo } from '../helpers/repo.js';

/**
 * A pyenv-shaped python3 (the shim text pyenv writes, a `pyenv` that runs the interpreter its
 * version file names), whose interpreters log every run: the probe cache (env/probe-cache.ts)
 * must answer the second commit without running it, and run it again once what it is keyed on
 * changes.
 */
function fakePyenv(dir: string): { shims: string; root: string; runs: () => number; install: (v: string, prints?: string) => void; use: (v: string) => void } {
  const root = path.join(dir, 'fakepyenv');
  const log = path.join(dir, 'python-runs.log');
  mkdirSync(path.join(root, 'shims'), { recursive: true });
  mkdirSync(path.join(root, 'libexec'), { recursive: true });
  const exe = (p: string, text: string): void => {
    writeFileSync(p, text);
    chmodSync(p, 0o755);
  };
  exe(path.join(root, 'shims', 'python3'), `#!/usr/bin/env bash
set -e
program="\${0##*/}"

export PYENV_ROOT="${root}"
exec "${root}/libexec/pyenv" exec "$program" "$@"
`);
  exe(path.join(root, 'libexec', 'pyenv'), `#!/bin/sh
shift
program="$1"; shift
exec "$PYENV_ROOT/versions/$(cat "$PYENV_ROOT/version")/bin/$program" "$@"
`);
  const install = (v: string, prints = v): void => {
    mkdirSync(path.join(root, 'versions', v, 'bin'), { recursive: true });
    exe(path.join(root, 'versions', v, 'bin', 'python3'), `#!/bin/sh\necho run >> '${log}'\necho "Python ${prints}"\n`);
  };
  return {
    shims: path.join(root, 'shims'),
    root,
    runs: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0),
    install,
    use: (v) => writeFileSync(path.join(root, 'version'), `${v}\n`),
  };
}

describe('the probe cache', () => {
  it('a second commit reuses the probe answers and records what a fresh probe gives; a changed key probes again', () => {
    const r = TestRepo.init();
    const py = fakePyenv(path.dirname(r.dir));
    py.install('3.99.1');
    py.use('3.99.1');
    const env = { PATH: `${py.shims}:${r.env.PATH}`, GITREPRO_SYNC_RECORDS: '1' };
    let n = 0;
    const commit = (): any => {
      r.write('n.txt', String(++n));
      r.commit(`c${n}`, { env });
      return r.record().env;
    };
    const cold = commit();
    expect(cold.runtimes.python3).toBe('3.99.1');
    const probes = py.runs();
    expect(probes).toBeGreaterThanOrEqual(1);
    const cacheFile = path.join(r.gitDir(), 'gitrepro', 'probe-cache.json');
    expect(JSON.parse(readFileSync(cacheFile, 'utf8'))).toMatchObject({ schema: 'gitrepro.probe-cache/v1' });

    const warm = commit();
    expect(py.runs()).toBe(probes); // answered from the cache
    const { capturedAt: _a, captureMs: _b, ...warmRest } = warm;
    const { capturedAt: _c, captureMs: _d, ...coldRest } = cold;
    expect(warmRest).toEqual(coldRest);

    rmSync(cacheFile); // a fresh probe gives what the cache gave
    expect(commit().runtimes).toEqual(warm.runtimes);
    expect(py.runs()).toBe(probes + 1);

    // the interpreter rewritten in place (an upgrade): its size and mtime change
    py.install('3.99.1', '3.99.1+patched');
    expect(commit().runtimes.python3).toBe('3.99.1+patched');
    // another version selected (`pyenv global`): the version file changes
    py.install('3.98.0');
    py.use('3.98.0');
    expect(commit().runtimes.python3).toBe('3.98.0');
    const runsNow = py.runs();
    commit();
    expect(py.runs()).toBe(runsNow);

    // the cache is input: garbage, a foreign schema or a link is a miss, never an error
    for (const bad of ['not json', '{"schema":"gitrepro.probe-cache/v1","entries":{"runtime:python3":{"key":"x","value":1}}}']) {
      writeFileSync(cacheFile, bad);
      expect(commit().runtimes.python3).toBe('3.98.0');
    }
    // a valid cache behind a symbolic link is not read, and the link's target is never written
    const elsewhere = path.join(path.dirname(r.dir), 'elsewhere.json');
    const valid = readFileSync(cacheFile, 'utf8');
    writeFileSync(elsewhere, valid);
    rmSync(cacheFile);
    symlinkSync(elsewhere, cacheFile);
    const before = py.runs();
    expect(commit().runtimes.python3).toBe('3.98.0');
    expect(py.runs()).toBe(before + 1);
    expect(readFileSync(elsewhere, 'utf8')).toBe(valid);

    // the writer's own answers are cached too, keyed on what decides them: TZ for the time zone
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')).entries;
    expect(Object.keys(cached)).toEqual(expect.arrayContaining(['runtime:python3', 'timezone']));
    r.write('n.txt', 'tz');
    r.commit('tz', { env: { ...env, TZ: 'Asia/Tokyo' } });
    expect(r.record().env.locale).toMatchObject({ TZ: 'Asia/Tokyo', timezone: 'Asia/Tokyo' });
    expect(commit().locale.timezone).toBe(cold.locale.timezone);
  });

  it('caches binaries and pyenv shims, never another wrapper script (what it runs cannot be seen from outside)', async () => {
    const r = TestRepo.init({ install: false });
    const dir = path.dirname(r.dir);
    expect(await toolIdentity('/bin/sh', 'sh')).toMatchObject({ id: expect.any(String) });
    const wrapper = path.join(dir, 'nvcc');
    writeFileSync(wrapper, '#!/bin/sh\nexec /usr/local/cuda/bin/nvcc "$@"\n');
    chmodSync(wrapper, 0o755);
    expect(await toolIdentity(wrapper, 'nvcc')).toBeUndefined();
    const py = fakePyenv(dir);
    py.use('system');
    expect(await toolIdentity(path.join(py.shims, 'python3'), 'python3')).toBeUndefined(); // "system": PATH decides
    py.install('3.99.1');
    py.use('3.99.1');
    expect(await toolIdentity(path.join(py.shims, 'python3'), 'python3')).toMatchObject({ pyenv: { root: py.root, global: '3.99.1\n' } });
  });
});
