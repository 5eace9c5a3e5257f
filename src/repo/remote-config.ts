/**
 * Which store remotes this clone has: definitions from `remotes:` in gitrepro.yaml (committed,
 * never holding credentials) with per-clone overrides from git config, which one a command uses,
 * and opening it (store/backends.ts turns a definition into a backend).
 *
 * Per-clone git config (never committed):
 *   gitrepro.remote                  the default store remote of this clone
 *   gitrepro.remote.<name>.url       another url for <name> here (e.g. a local mount of the share);
 *   gitrepro.remote.<name>.endpoint  likewise the S3 endpoint, and .region
 * A name that only git config defines is a remote of this clone alone.
 *
 * Which remote: the one named, else git config gitrepro.remote, else gitrepro.yaml's
 * default_remote, else the only one defined.
 */
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { configGetRegexp } from '../git/refs.js';
import { openRemote, type RemoteDef } from '../store/backends.js';
import type { PackedRemote } from '../store/remote-packed.js';
import type { Repo } from './context.js';
import { assertRemoteTrusted } from './trust.js';

export const REMOTE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface RemoteInfo {
  name: string;
  /** the definition in effect in this clone (git config overrides applied) */
  def: RemoteDef;
  /** where it is defined */
  source: 'gitrepro.yaml' | 'git config';
  /** fields git config overrides in this clone */
  overridden: (keyof RemoteDef)[];
  default: boolean;
}

/** Every store remote of this clone, with git config overrides applied. */
export async function storeRemotes(repo: Repo): Promise<RemoteInfo[]> {
  const git = await configGetRegexp(repo.root, '^gitrepro\\.remote');
  let localDefault: string | undefined;
  const over = new Map<string, Partial<RemoteDef>>();
  for (const [key, value] of git) {
    if (key === 'gitrepro.remote') {
      localDefault = value;
      continue;
    }
    const m = /^gitrepro\.remote\.(.+)\.(url|endpoint|region)$/.exec(key);
    if (!m) continue;
    over.set(m[1]!, { ...over.get(m[1]!), [m[2]!]: value });
  }
  const out: RemoteInfo[] = [];
  for (const [name, def] of Object.entries(repo.config.remotes)) {
    const o = over.get(name) ?? {};
    out.push({ name, def: { ...def, ...o }, source: 'gitrepro.yaml', overridden: Object.keys(o) as (keyof RemoteDef)[], default: false });
  }
  for (const [name, o] of over) {
    if (name in repo.config.remotes || !o.url) continue;
    out.push({ name, def: { url: o.url, endpoint: o.endpoint, region: o.region }, source: 'git config', overridden: [], default: false });
  }
  const def = pickDefault(out, localDefault, repo.config.default_remote);
  for (const r of out) r.default = r.name === def;
  return out;
}

function pickDefault(all: RemoteInfo[], local: string | undefined, committed: string | undefined): string | undefined {
  if (local && all.some((r) => r.name === local)) return local;
  if (committed && all.some((r) => r.name === committed)) return committed;
  return all.length === 1 ? all[0]!.name : undefined;
}

/** The store remote a command uses: `name`, else the default (see the module comment). */
export async function resolveStoreRemote(repo: Repo, name?: string): Promise<RemoteInfo> {
  const all = await storeRemotes(repo);
  if (name !== undefined) {
    const r = all.find((x) => x.name === name);
    if (!r) {
      throw new GitreproError('GITREPRO_NO_REMOTE', `no store remote named "${name}" (have: ${all.map((x) => x.name).join(', ') || 'none'})`, {
        hint: 'list them with `gitrepro remote list`; add one with `gitrepro remote add <name> <url>`',
      });
    }
    return r;
  }
  const d = all.find((x) => x.default);
  if (d) return d;
  if (all.length === 0) {
    throw new GitreproError('GITREPRO_NO_REMOTE', 'no store remote is configured', {
      hint: 'add one: `gitrepro remote add <name> <dir | s3://bucket/prefix> --default`, commit gitrepro.yaml',
    });
  }
  throw new GitreproError('GITREPRO_NO_REMOTE', `${all.length} store remotes are configured and none is the default`, {
    hint: `name one (e.g. \`gitrepro push ${all[0]!.name}\`) or set it: \`gitrepro remote default <name>\``,
  });
}

/**
 * Opens a store remote. Directory urls are relative to the repository root; S3 keys come from
 * `env`. A definition that others changed and this clone has not accepted is refused before
 * anything is contacted (repo/trust.ts); a git config override is the user's own and counts as
 * accepted. `baseRev`: where trust comes from in a clone that accepted nothing (verify in CI).
 */
export async function openStoreRemote(repo: Repo, info: RemoteInfo, env: NodeJS.ProcessEnv, o: { baseRev?: string } = {}): Promise<PackedRemote> {
  if (info.source === 'gitrepro.yaml') await assertRemoteTrusted(repo, info.name, info.overridden, o);
  return openRemote(info.name, info.def, { cwd: repo.root, env, indexCache: path.join(repo.sharedDir, 'remote-index') });
}

/** Splits `[<remote>] [<rev>...]`: the first word is a store remote when one has that name. */
export async function splitRemoteArgs(repo: Repo, args: string[]): Promise<{ remote?: string; revs: string[] }> {
  if (args.length && (await storeRemotes(repo)).some((r) => r.name === args[0])) return { remote: args[0], revs: args.slice(1) };
  return { revs: args };
}

/** The `<git-common-dir>/gitrepro/remotes/<name>.known` cache of objects the remote holds. */
export function knownFile(repo: Repo, name: string): string {
  return path.join(repo.sharedDir, 'remotes', `${name}.known`);
}
