/**
 * Runs an external tool for the environment snapshot. A probe must never fail the snapshot:
 * a missing tool, a non-zero exit, a timeout or too much output all give `undefined`.
 *
 * A probe never runs code from the repository (a commit's files are someone else's): the tool
 * is looked up only in the absolute entries of PATH (an empty or relative entry means "the
 * current directory"), skipping any executable that the repository itself holds (`untrusted`:
 * files git tracks; an untracked virtualenv inside the work tree is the user's own and is
 * used), it runs with its working directory at the filesystem root, with a small fixed
 * environment (probeEnv), and python is started isolated (-I) wherever it imports modules.
 *
 * Why not child_process.execFile with `timeout`: it kills only the direct child, and its callback
 * waits for the pipes to close. A wrapper script (`#!/bin/sh` + `nvidia-smi "$@"`, pyenv shims)
 * leaves a grandchild holding the pipe open, so the "timeout" would last as long as the hang.
 * Here the tool runs in its own process group, the whole group is killed on timeout, and the
 * promise settles at the deadline whatever the pipes do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

export interface RunOptions {
  /** environment of the tool; its PATH is the one searched for `cmd` */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** stdout + stderr cap; beyond it the tool is killed (default 4 MiB) */
  maxBytes?: number;
}

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/** A bound runner: the collectors receive this, tests can substitute it. */
export type Runner = (cmd: string, args: readonly string[], opts?: { timeoutMs?: number; maxBytes?: number }) => Promise<ToolOutput | undefined>;

/** Runs `cmd args` without a shell; resolves with its output on exit 0, else undefined. */
export function runTool(cmd: string, args: readonly string[], opts: RunOptions & { cwd?: string }): Promise<ToolOutput | undefined> {
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  const ownGroup = process.platform !== 'win32';
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, [...args], { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup, windowsHide: true });
    } catch {
      resolve(undefined);
      return;
    }
    let settled = false;
    const finish = (value: ToolOutput | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const kill = (): void => {
      try {
        if (ownGroup && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const timer = setTimeout(() => {
      kill();
      finish(undefined);
    }, opts.timeoutMs);

    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    const sink = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        kill();
        finish(undefined);
      } else into.push(chunk);
    };
    child.stdout?.on('data', sink(out));
    child.stderr?.on('data', sink(err));
    child.on('error', () => finish(undefined)); // ENOENT, EACCES
    child.on('close', (code) => {
      finish(code === 0 ? { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') } : undefined);
    });
  });
}

/** The variables a probe runs with: enough to find and run the tools, nothing else of the caller's. */
export const PROBE_VARS = ['HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SYSTEMROOT', 'CONDA_PREFIX', 'CONDA_DEFAULT_ENV', 'CONDA_EXE', 'VIRTUAL_ENV'];

/** The absolute directories of a PATH value (empty and relative entries name the current directory: dropped). */
export function absolutePath(value: string | undefined): string[] {
  return (value ?? '').split(path.delimiter).filter((d) => d !== '' && path.isAbsolute(d));
}

/** The fixed, minimal environment of a probe (its PATH holds only absolute directories). */
export function probeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { PATH: absolutePath(env.PATH).join(path.delimiter), LC_ALL: 'C' };
  for (const k of PROBE_VARS) if (env[k] !== undefined && k !== 'LC_ALL') out[k] = env[k];
  return out;
}

export interface ProbeOptions {
  /** a file that must never run (the repository's own: files git tracks in the work tree) */
  untrusted?: (absFile: string) => boolean;
}

/** The executable `cmd` resolves to on the absolute PATH, skipping untrusted files; undefined when none. */
export function resolveTool(cmd: string, env: NodeJS.ProcessEnv, o: ProbeOptions = {}): string | undefined {
  if (cmd.includes('/')) return undefined; // probes name tools, never paths
  for (const dir of absolutePath(env.PATH)) {
    const file = path.join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      if (!statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    if (o.untrusted?.(file) || o.untrusted?.(realpathSync(file))) continue;
    return file;
  }
  return undefined;
}

/**
 * Binds env and default timeout once, so collectors only name the tool. Tools run from the
 * filesystem root with probeEnv(env), resolved by resolveTool (see the module comment).
 */
export function makeRunner(env: NodeJS.ProcessEnv, timeoutMs: number, o: ProbeOptions = {}): Runner {
  const penv = probeEnv(env);
  const cwd = path.parse(process.cwd()).root;
  return async (cmd, args, r) => {
    const file = resolveTool(cmd, penv, o);
    if (!file) return undefined;
    return runTool(file, args, { env: penv, cwd, timeoutMs: r?.timeoutMs ?? timeoutMs, maxBytes: r?.maxBytes });
  };
}
