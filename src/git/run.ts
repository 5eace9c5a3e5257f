/**
 * The one place that runs the native `git` binary. Every call has an explicit cwd; any exit
 * outside `ok` becomes a GitreproError(GITREPRO_GIT_FAILED) carrying args, exit code and stderr.
 */
import { spawn } from 'node:child_process';
import { GitreproError, redactText } from '../errors.js';

export interface GitOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  /** exit codes that are not errors (default [0]) */
  ok?: number[];
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

/**
 * glibc gives freed heap back to the kernel at once by default: `git fast-import` writing a
 * snapshot of 100,000 pointers made 210,000 `brk` calls and took 15.5 s, 1.7 s with 64 MiB of
 * top padding (measured here; `git cat-file --batch` of the same pointers 1.6 → 1.3 s). Only the
 * allocator's behaviour changes; a value the user set is kept.
 */
export function keepHeap(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  env.MALLOC_TOP_PAD_ ??= String(64 << 20);
  return env;
}

/** Environment for child gits: never let a hook's GIT_DIR/GIT_INDEX_FILE leak unless asked. */
function childEnv(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Hooks run with GIT_DIR etc. relative to the hook's cwd; our calls pass explicit cwds.
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_PREFIX', 'GIT_EDITOR']) delete env[k];
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  keepHeap(env);
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runGit(cwd: string, args: string[], opts: GitOptions = {}): Promise<GitResult> {
  return startGit(cwd, args, opts).end(opts.input);
}

/**
 * A git process fed while it runs (fast-import taking pointer blobs as files are hashed): `write`
 * queues input (a git that exited early swallows the rest: its exit code tells), `end` closes its
 * input and resolves with its output and exit code (a code outside `ok` rejects, as runGit).
 */
export function startGit(cwd: string, args: string[], opts: Omit<GitOptions, 'input'> = {}): { write(s: string): void; end(last?: string | Buffer): Promise<GitResult> } {
  const child = spawn('git', args, { cwd, env: childEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => {}); // git may exit before reading all input
  const done = new Promise<GitResult>((resolve, reject) => {
    child.on('error', (e) => reject(new GitreproError('GITREPRO_GIT_FAILED', `cannot run git: ${e.message}`, { hint: 'install git and put it on PATH', cause: e })));
    child.on('close', (code) => {
      const res = { stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code: code ?? 128 };
      if ((opts.ok ?? [0]).includes(res.code)) resolve(res);
      else reject(gitFailure(args, res));
    });
  });
  done.catch(() => {}); // observed by `end`; a process never ended must not fail the process
  // writes are gathered into pieces of 64 KiB: one pipe write per call cost a first recording's
  // 100,000 pointer blobs 1 s (git reads nothing back before `end`, so nothing waits on them)
  let pending = '';
  const flush = (): void => {
    if (pending) child.stdin.write(pending);
    pending = '';
  };
  return {
    write: (s) => {
      pending += s;
      if (pending.length >= 1 << 16) flush();
    },
    end: (last = '') => {
      flush();
      child.stdin.end(last);
      return done;
    },
  };
}

export function gitFailure(args: string[], res: { code: number; stderr: string }): GitreproError {
  const first = redactText(res.stderr.trim().split('\n').find((l) => l.trim()) ?? `exit ${res.code}`);
  return new GitreproError('GITREPRO_GIT_FAILED', `git ${args[0]} failed: ${first}`, {
    data: { args: args.map(redactText), exitCode: res.code, stderr: redactText(res.stderr) },
  });
}

/** Runs git and returns stdout as utf8 with the trailing newline removed. */
export async function git(cwd: string, args: string[], opts: GitOptions = {}): Promise<string> {
  const r = await runGit(cwd, args, opts);
  return r.stdout.toString('utf8').replace(/\n$/, '');
}

/** Like git(), but returns undefined instead of throwing when git exits non-zero. */
export async function gitMaybe(cwd: string, args: string[], opts: GitOptions = {}): Promise<string | undefined> {
  const r = await runGit(cwd, args, { ...opts, ok: [0, 1, 128] });
  return r.code === 0 ? r.stdout.toString('utf8').replace(/\n$/, '') : undefined;
}
