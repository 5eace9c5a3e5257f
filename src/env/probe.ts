/**
 * Runs an external tool for the environment snapshot. A probe must never fail the snapshot:
 * a missing tool, a non-zero exit, a timeout or too much output all give `undefined`.
 *
 * Why not child_process.execFile with `timeout`: it kills only the direct child, and its callback
 * waits for the pipes to close. A wrapper script (`#!/bin/sh` + `nvidia-smi "$@"`, pyenv shims)
 * leaves a grandchild holding the pipe open, so the "timeout" would last as long as the hang.
 * Here the tool runs in its own process group, the whole group is killed on timeout, and the
 * promise settles at the deadline whatever the pipes do.
 */
import { spawn, type ChildProcess } from 'node:child_process';

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
export function runTool(cmd: string, args: readonly string[], opts: RunOptions): Promise<ToolOutput | undefined> {
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  const ownGroup = process.platform !== 'win32';
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, [...args], { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup, windowsHide: true });
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

/** Binds env and default timeout once, so collectors only name the tool. */
export function makeRunner(env: NodeJS.ProcessEnv, timeoutMs: number): Runner {
  return (cmd, args, o) => runTool(cmd, args, { env, timeoutMs: o?.timeoutMs ?? timeoutMs, maxBytes: o?.maxBytes });
}
