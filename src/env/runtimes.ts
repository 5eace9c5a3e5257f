/**
 * Language runtimes: node from the running process, python and nvcc by asking the tools on the
 * snapshot's PATH (the interpreter a user's scripts would get). Both `python3` and `python` are
 * asked because they often differ (a venv, a pyenv shim, a distro's python2).
 */
import type { EnvSnapshot } from '../record/env.js';
import type { Runner } from './probe.js';

/** "Python 3.11.7" → "3.11.7" (python 2 prints it on stderr, so both streams are searched). */
export function parsePythonVersion(out: string): string | undefined {
  return /Python\s+(\d+\.\d+(?:\.\d+)?[A-Za-z0-9+.]*)/.exec(out)?.[1];
}

/** `nvcc --version` → the toolkit build version, e.g. "Cuda compilation tools, release 13.0, V13.0.88" → "13.0.88". */
export function parseNvccVersion(out: string): string | undefined {
  const m = /release\s+(\d+\.\d+),\s*V(\d+\.\d+(?:\.\d+)?)/.exec(out);
  return m ? m[2] : undefined;
}

async function ask(run: Runner, cmd: string, args: string[], parse: (s: string) => string | undefined): Promise<string | undefined> {
  const r = await run(cmd, args);
  return r ? parse(`${r.stdout}\n${r.stderr}`) : undefined;
}

/** A probe's answer, from the probe cache when its key still holds (collect.ts); default: always asked. */
export type Memo = (tool: string, probe: () => Promise<string | undefined>) => Promise<string | undefined>;

/** Runtime versions; a runtime that is absent or does not answer in time is left out. */
export async function collectRuntimes(run: Runner, memo: Memo = (_tool, probe) => probe()): Promise<EnvSnapshot['runtimes']> {
  const [python3, python, nvcc] = await Promise.all([
    memo('python3', () => ask(run, 'python3', ['--version'], parsePythonVersion)),
    memo('python', () => ask(run, 'python', ['--version'], parsePythonVersion)),
    memo('nvcc', () => ask(run, 'nvcc', ['--version'], parseNvccVersion)),
  ]);
  const runtimes: EnvSnapshot['runtimes'] = { node: process.version.replace(/^v/, '') };
  if (python3) runtimes.python3 = python3;
  if (python) runtimes.python = python;
  if (nvcc) runtimes.nvcc = nvcc;
  return runtimes;
}
