/**
 * A harness of real repositories: each TestRepo is a temp dir with its own HOME and global git
 * config (identity, main, gc.auto 0), fixed commit dates so ids are stable, and the built
 * gitrepro first on PATH so the installed hooks run the real binary. A failing command throws
 * with its stdout and stderr.
 */
import { THREAD_VARS } from '../../src/env/vars.js';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, statSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(PROJECT, 'bin', 'gitrepro');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {}

let dateCounter = 0;

export function sandbox(prefix = 'gr-test-'): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const gitconfig = path.join(home, '.gitconfig');
  writeFileSync(gitconfig, '[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n[advice]\n\tdetachedHead = false\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    GIT_CONFIG_GLOBAL: gitconfig,
    GIT_CONFIG_NOSYSTEM: '1',
    PATH: `${path.join(PROJECT, 'bin')}:${process.env.PATH}`,
    NO_COLOR: '1',
  };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GITREPRO_SKIP', 'GITREPRO_SYNC_RECORDS']) delete env[k];
  // the host's thread settings (a machine may set OPENBLAS_CORETYPE, say) would enter every
  // record: tests set the ones they check
  for (const k of Object.keys(env)) if (THREAD_VARS.includes(k) || k.endsWith('_NUM_THREADS')) delete env[k];
  return { dir, env };
}

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, opts: { input?: string; ok?: number[]; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, { cwd, env, input: opts.input ?? '', encoding: 'utf8', maxBuffer: 256 << 20, timeout: opts.timeoutMs, killSignal: 'SIGKILL' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') throw new CommandError(`${cmd} ${args.join(' ')} did not end within ${opts.timeoutMs} ms in ${cwd}\n--- stderr\n${r.stderr}`);
  const res = { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (!(opts.ok ?? [0]).includes(res.code)) {
    throw new CommandError(`${cmd} ${args.join(' ')} exited ${res.code} in ${cwd}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`);
  }
  return res;
}

export class TestRepo {
  constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A new repo (git init, optionally object format) in a fresh sandbox. */
  static init(opts: { objectFormat?: 'sha1' | 'sha256'; install?: boolean; track?: string[] } = {}): TestRepo {
    const sb = sandbox();
    const dir = path.join(sb.dir, 'repo');
    mkdirSync(dir);
    const r = new TestRepo(dir, sb.env);
    r.git(['init', '-q', ...(opts.objectFormat ? [`--object-format=${opts.objectFormat}`] : [])]);
    if (opts.install !== false) {
      r.gr(['install']);
      if (opts.track?.length) r.gr(['track', ...opts.track]);
    }
    return r;
  }

  private dated(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const d = `${1_700_000_000 + ++dateCounter * 60} +0000`;
    return { ...this.env, GIT_AUTHOR_DATE: d, GIT_COMMITTER_DATE: d, ...extra };
  }

  git(args: string[], opts: { input?: string; ok?: number[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
    return run('git', args, this.dir, this.dated(opts.env), opts);
  }

  gr(args: string[], opts: { input?: string; ok?: number[]; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): RunResult {
    return run(BIN, args, opts.cwd ?? this.dir, { ...this.env, ...opts.env }, opts);
  }

  grJson<T = any>(args: string[]): T {
    return JSON.parse(this.gr([...args, '--json']).stdout) as T;
  }

  path(rel: string): string {
    return path.join(this.dir, rel);
  }

  write(rel: string, content: string | Buffer, mode?: number): void {
    const p = this.path(rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
    if (mode !== undefined) chmodSync(p, mode);
  }

  read(rel: string): Buffer {
    return readFileSync(this.path(rel));
  }

  exists(rel: string): boolean {
    return existsSync(this.path(rel));
  }

  /** Like a user: `gitrepro add` (when installed), `git add -A`, `git commit`. */
  commit(msg: string, opts: { all?: boolean; env?: NodeJS.ProcessEnv } = {}): RunResult {
    if (opts.all !== false) {
      if (existsSync(path.join(this.gitDir(), 'gitrepro', 'installed')) && opts.env?.GITREPRO_SKIP !== '1') this.gr(['add']);
      this.git(['add', '-A']);
    }
    return this.git(['commit', '-q', '-m', msg], { env: opts.env });
  }

  head(rev = 'HEAD'): string {
    return this.git(['rev-parse', rev]).stdout.trim();
  }

  /** Completes deferred records (any reader of records does), then returns HEAD's raw note. */
  note(rev = 'HEAD', ref = 'refs/notes/gitrepro'): string | undefined {
    this.gr(['log', '-n', '1']);
    const r = this.git(['notes', `--ref=${ref}`, 'show', rev], { ok: [0, 1] });
    return r.code === 0 ? r.stdout : undefined;
  }

  record(rev = 'HEAD'): any {
    const n = this.note(rev);
    if (n === undefined) throw new Error(`no note on ${rev}`);
    return JSON.parse(n);
  }

  gitDir(): string {
    return path.resolve(this.dir, this.git(['rev-parse', '--git-common-dir']).stdout.trim());
  }

  objectPath(sha: string): string {
    return path.join(this.gitDir(), 'gitrepro', 'objects', sha.slice(0, 2), sha.slice(2, 4), sha);
  }

  /** Every data file under `dir` with its sha256 and exec bit. */
  manifest(dir = 'data'): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
      for (const d of readdirSync(this.path(rel), { withFileTypes: true })) {
        const r = `${rel}/${d.name}`;
        if (d.isDirectory()) walk(r);
        else {
          const st = statSync(this.path(r));
          out[r] = `${sha256(this.read(r))}${st.mode & 0o100 ? ' x' : ''}`;
        }
      }
    };
    if (this.exists(dir)) walk(dir);
    return out;
  }
}

export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A small deterministic generator (mulberry32): the same sequence on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
