/**
 * `gitrepro install` / `gitrepro uninstall`: hooks, git config (DESIGN §3), the committed project
 * files (gitrepro.yaml if absent, the merge attribute, the managed .gitignore block), and the
 * first restore of HEAD's data. In a fresh clone that restore first fetches the records from the
 * Git remote (a clone brings branches and tags only) and the objects HEAD needs from the store
 * remote. Each Git remote gets fetch refspecs for the record refs, so a plain `git fetch` or
 * `git pull` brings the others' records (into tracking refs; see records-sync.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { installHooks, uninstallHooks, type HookInstallResult } from '../git/hook-install.js';
import { gitRemoteNames, readRef } from '../git/refs.js';
import { git, runGit } from '../git/run.js';
import { CONFIG_FILE, NOTES_REF } from '../record/index.js';
import { DEFAULT_CONFIG_TEXT, syncGitignore } from '../workspace/config.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { openRepo, type Repo } from '../repo/context.js';
import { lockAt } from '../repo/lock-file.js';
import { restoreWithRemotes, type RemoteRestoreResult } from '../repo/worktree-fetch.js';
import { ensureFetchRefspecs, recordRefspecs } from '../repo/record-sync.js';
import { VERSION } from '../version.js';
import { trustOnFirstUse } from '../repo/trust.js';
import { trace } from '../trace.js';

export interface InstallOptions {
  cwd: string;
  /** absolute path of the gitrepro launcher the shims run */
  bin: string;
  /** directory holding the shim templates (hooks/ of the package) */
  templateDir: string;
}

export interface InstallResult {
  hooksDir: string;
  hooks: HookInstallResult;
  createdConfig: boolean;
  restore?: RemoteRestoreResult;
}

const ATTR_LINE = 'gitrepro.lock merge=gitrepro';

async function ensureAttributes(root: string): Promise<boolean> {
  const file = path.join(root, '.gitattributes');
  const text = await readFile(file, 'utf8').catch(() => '');
  if (text.split('\n').some((l) => l.trim() === ATTR_LINE)) return false;
  await writeFileAtomic(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${ATTR_LINE}\n`);
  return true;
}

/** git config values install sets (local to the clone). */
export function configFor(bin: string): [string, string][] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    // records follow amend and rebase; a squash keeps one whole note instead of concatenating JSON
    ['notes.rewriteMode', 'overwrite'],
    ['merge.gitrepro.name', 'gitrepro snapshot merge'],
    ['merge.gitrepro.driver', `${q(bin)} merge-driver %O %A %B %P`],
  ];
}

async function setConfig(root: string, bin: string): Promise<void> {
  for (const [k, v] of configFor(bin)) await git(root, ['config', k, v]);
  const refs = (await runGit(root, ['config', '--get-all', 'notes.rewriteRef'], { ok: [0, 1] })).stdout.toString().split('\n');
  if (!refs.includes(NOTES_REF)) await git(root, ['config', '--add', 'notes.rewriteRef', NOTES_REF]);
}

export async function install(opts: InstallOptions): Promise<InstallResult> {
  let repo = await openRepo(opts.cwd);
  const createdConfig = !existsSync(path.join(repo.root, CONFIG_FILE));
  if (createdConfig) {
    await writeFile(path.join(repo.root, CONFIG_FILE), DEFAULT_CONFIG_TEXT);
    repo = await openRepo(opts.cwd);
  }
  await ensureAttributes(repo.root);
  await syncGitignore(repo.root, repo.config.track);
  await setConfig(repo.root, opts.bin);
  for (const remote of await gitRemoteNames(repo.root)) await ensureFetchRefspecs(repo, remote);
  trace('install: project files and git config');
  const hooks = await installHooks(repo.paths.hooksDir, opts.templateDir, opts.bin);
  trace('install: hooks');
  await mkdir(repo.sharedDir, { recursive: true });
  // trust on first use: this clone accepts the settings it was installed with (repo/trust.ts)
  await trustOnFirstUse(repo);
  await writeFile(path.join(repo.sharedDir, 'installed'), `gitrepro ${VERSION}\n`);
  trace('install: trusted');
  const restore = await restoreHead(repo);
  return { hooksDir: repo.paths.hooksDir, hooks, createdConfig, restore };
}

/** In a fresh clone or worktree: bring HEAD's data into the work tree. */
async function restoreHead(repo: Repo): Promise<RemoteRestoreResult | undefined> {
  const head = await runGit(repo.root, ['rev-parse', '-q', '--verify', 'HEAD'], { ok: [0, 1] });
  if (head.code !== 0) return undefined;
  const lock = await lockAt(repo, 'HEAD');
  if (!lock) return undefined;
  const commit = head.stdout.toString('utf8').trim();
  // no records here yet: a fresh clone
  const fresh = (await readRef(repo.root, NOTES_REF)) === undefined;
  return restoreWithRemotes(repo, lock, { reason: 'install', commit, env: process.env, syncRecords: fresh });
}

export interface UninstallResult {
  hooksDir: string;
  removed: string[];
  restored: string[];
}

export async function uninstall(opts: { cwd: string }): Promise<UninstallResult> {
  const repo = await openRepo(opts.cwd);
  const r = await uninstallHooks(repo.paths.hooksDir);
  for (const [k] of configFor('')) await runGit(repo.root, ['config', '--unset-all', k], { ok: [0, 5] });
  await runGit(repo.root, ['config', '--unset', 'notes.rewriteRef', `^${NOTES_REF.replace(/\//g, '\\/')}$`], { ok: [0, 5] });
  for (const remote of await gitRemoteNames(repo.root)) {
    for (const spec of recordRefspecs(remote)) await runGit(repo.root, ['config', '--fixed-value', '--unset', `remote.${remote}.fetch`, spec], { ok: [0, 5] });
  }
  await rm(path.join(repo.sharedDir, 'installed'), { force: true });
  return { hooksDir: repo.paths.hooksDir, ...r };
}
