/**
 * Running a stage's command: `sh -c <cmd>` from its wdir, with the seed exported, output
 * streamed (inherited by the CLI, handed to a callback by tests and by `verify --rerun`).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { GitreproError } from '../errors.js';
import { stopWithUs } from '../shutdown.js';

/** 'inherit': the child writes to our stdout/stderr; a function receives every chunk. */
export type StageIO = 'inherit' | ((chunk: Buffer, fd: 1 | 2) => void);

export interface ExecResult {
  exit: number;
  durationMs: number;
  startedAt: string;
  /** the last few KiB of output (not kept when inherited) */
  tail: string;
}

/**
 * The child's environment: the seed as GITREPRO_SEED, and as PYTHONHASHSEED unless that is set
 * already (a user's own choice wins; it is recorded either way). `knobs` override the base: a
 * rerun puts back the determinism variables (PYTHONHASHSEED, ...) the recorded run had.
 */
export function stageEnv(base: NodeJS.ProcessEnv, seed?: number, knobs: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of ['GITREPRO_REPO_INFO', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_PREFIX']) delete env[k];
  for (const [k, v] of Object.entries(knobs)) env[k] = v;
  if (seed !== undefined) {
    env.GITREPRO_SEED = String(seed);
    if (env.PYTHONHASHSEED === undefined) env.PYTHONHASHSEED = String(seed);
  }
  return env;
}

const TAIL = 8192;

export function execStage(o: { cmd: string; cwd: string; env: NodeJS.ProcessEnv; io?: StageIO }): Promise<ExecResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const inherit = o.io === 'inherit';
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', o.cmd], { cwd: o.cwd, env: o.env, stdio: inherit ? ['inherit', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'] });
    stopWithUs(child); // a Ctrl-C or SIGTERM that stops gitrepro stops the stage too
    let tail = Buffer.alloc(0);
    const sink = (fd: 1 | 2) => (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > TAIL) tail = tail.subarray(tail.length - TAIL);
      if (typeof o.io === 'function') o.io(chunk, fd);
    };
    child.stdout?.on('data', sink(1));
    child.stderr?.on('data', sink(2));
    child.on('error', (e) =>
      reject(new GitreproError('GITREPRO_STAGE_FAILED', `cannot start /bin/sh in ${o.cwd}: ${e.message}`, { hint: 'check that the stage wdir exists', cause: e })),
    );
    child.on('close', (code, signal) => {
      const exit = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      resolve({ exit, durationMs: Math.round((performance.now() - t0) * 10) / 10, startedAt, tail: tail.toString('utf8') });
    });
  });
}

/** Joins argv into one shell command; a single argument is taken as a command line as is. */
export function shellJoin(argv: string[]): string {
  if (argv.length === 1) return argv[0];
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
