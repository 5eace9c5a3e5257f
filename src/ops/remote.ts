/**
 * Store remotes: their definitions (`remotes:` in gitrepro.yaml, committed, never holding
 * credentials), per-clone overrides in git config, which one a command uses, and
 * `gitrepro remote add|list|remove|default`.
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
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { configGetRegexp, configSet, configUnset } from '../git/refs.js';
import type { Config } from '../record/config.js';
import { openRemote, validateRemoteDef, type RemoteDef } from '../store/remotes.js';
import type { Remote } from '../store/types.js';
import { editConfig } from '../workspace/config.js';
import { openRepo, type Repo } from './context.js';

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

/** Opens a store remote. Directory urls are relative to the repository root; S3 keys come from `env`. */
export async function openStoreRemote(repo: Repo, info: RemoteInfo, env: NodeJS.ProcessEnv): Promise<Remote> {
  return openRemote(info.name, info.def, { cwd: repo.root, env });
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

export interface RemoteAddOptions {
  cwd: string;
  name: string;
  url: string;
  endpoint?: string;
  region?: string;
  /** make it gitrepro.yaml's default_remote */
  makeDefault?: boolean;
}

/** `gitrepro remote add`: a new definition in gitrepro.yaml (validated, never with credentials). */
export async function remoteAdd(o: RemoteAddOptions): Promise<RemoteInfo[]> {
  const repo = await openRepo(o.cwd);
  if (!REMOTE_NAME_RE.test(o.name)) {
    throw new GitreproError('GITREPRO_USAGE', `"${o.name}" is not a valid remote name`, { hint: 'use letters, digits, ".", "_" and "-", starting with a letter or digit' });
  }
  if (o.name in repo.config.remotes) {
    throw new GitreproError('GITREPRO_USAGE', `store remote "${o.name}" already exists`, { hint: `remove it first (\`gitrepro remote remove ${o.name}\`), or edit gitrepro.yaml` });
  }
  const def: RemoteDef = { url: o.url, ...(o.endpoint ? { endpoint: o.endpoint } : {}), ...(o.region ? { region: o.region } : {}) };
  validateRemoteDef(o.name, def);
  const config = await editConfig(repo.root, (doc) => {
    doc.setIn(['remotes', o.name], doc.createNode(def));
    if (o.makeDefault) doc.set('default_remote', o.name);
  });
  return storeRemotes({ ...repo, config });
}

/** `gitrepro remote list`. */
export async function remoteList(o: { cwd: string }): Promise<RemoteInfo[]> {
  return storeRemotes(await openRepo(o.cwd));
}

/** `gitrepro remote remove`: drops the definition (and default_remote when it named it). */
export async function remoteRemove(o: { cwd: string; name: string }): Promise<RemoteInfo[]> {
  const repo = await openRepo(o.cwd);
  const inYaml = o.name in repo.config.remotes;
  const inGit = (await storeRemotes(repo)).some((r) => r.name === o.name);
  if (!inYaml && !inGit) await resolveStoreRemote(repo, o.name); // throws GITREPRO_NO_REMOTE
  let config: Config = repo.config;
  if (inYaml) {
    config = await editConfig(repo.root, (doc) => {
      doc.deleteIn(['remotes', o.name]);
      if (doc.get('default_remote') === o.name) doc.delete('default_remote');
    });
  }
  for (const k of ['url', 'endpoint', 'region']) await configUnset(repo.root, `gitrepro.remote.${o.name}.${k}`);
  await rm(knownFile(repo, o.name), { force: true });
  return storeRemotes({ ...repo, config });
}

/** `gitrepro remote default <name>`: in gitrepro.yaml, or with `local` for this clone only. */
export async function remoteDefault(o: { cwd: string; name: string; local?: boolean }): Promise<RemoteInfo[]> {
  const repo = await openRepo(o.cwd);
  await resolveStoreRemote(repo, o.name); // must exist
  let config: Config = repo.config;
  if (o.local) await configSet(repo.root, 'gitrepro.remote', o.name);
  else {
    if (!(o.name in repo.config.remotes)) {
      throw new GitreproError('GITREPRO_USAGE', `store remote "${o.name}" exists only in this clone's git config`, { hint: `use --local, or add it to gitrepro.yaml with \`gitrepro remote add\`` });
    }
    config = await editConfig(repo.root, (doc) => doc.set('default_remote', o.name));
  }
  return storeRemotes({ ...repo, config });
}
