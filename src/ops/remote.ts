/**
 * `gitrepro remote add|list|remove|default`: editing the store remote definitions of
 * gitrepro.yaml (and this clone's git config for `default --local`). Which remotes a clone has
 * and which one a command uses: repo/remote-config.ts.
 */
import { rm } from 'node:fs/promises';
import { GitreproError, redactText } from '../errors.js';
import { scrubText } from '../secrets.js';
import { configSet, configUnset } from '../git/refs.js';
import type { Config } from '../record/config.js';
import { validateRemoteDef, type RemoteDef } from '../store/backends.js';
import { editConfig } from '../workspace/config.js';
import { openRepo, type Repo } from '../repo/context.js';
import { acceptOwnEdit, trustState } from '../repo/trust.js';
import { knownFile, openStoreRemote, REMOTE_NAME_RE, resolveStoreRemote, storeRemotes, type RemoteInfo } from '../repo/remote-config.js';

/** A remote as commands show it: credentials embedded in a url or endpoint never leave. */
export interface ShownRemote extends RemoteInfo {
  /** its definition changed by others and waits for `gitrepro trust` */
  pending?: boolean;
}

export type { RemoteInfo };

async function shown(repo: Repo, list: RemoteInfo[]): Promise<ShownRemote[]> {
  const { pending } = await trustState(repo);
  const clean = (v: string | undefined) => (v === undefined ? undefined : scrubText(redactText(v)));
  return list.map((r) => ({
    ...r,
    def: { ...r.def, url: clean(r.def.url)!, ...(r.def.endpoint !== undefined ? { endpoint: clean(r.def.endpoint) } : {}) },
    ...(pending.some((p) => p.key.startsWith(`remote:${r.name}.`)) ? { pending: true } : {}),
  }));
}

export interface RemoteAddOptions {
  cwd: string;
  name: string;
  url: string;
  endpoint?: string;
  region?: string;
  /** the format a first push declares on the (empty) remote; default 2 */
  format?: 1 | 2;
  /** make it gitrepro.yaml's default_remote */
  makeDefault?: boolean;
}

/** `gitrepro remote add`: a new definition in gitrepro.yaml (validated, never with credentials). */
export async function remoteAdd(o: RemoteAddOptions): Promise<ShownRemote[]> {
  const repo = await openRepo(o.cwd);
  if (!REMOTE_NAME_RE.test(o.name)) {
    throw new GitreproError('GITREPRO_USAGE', `"${o.name}" is not a valid remote name`, { hint: 'use letters, digits, ".", "_" and "-", starting with a letter or digit' });
  }
  if (o.name in repo.config.remotes) {
    throw new GitreproError('GITREPRO_USAGE', `store remote "${o.name}" already exists`, { hint: `remove it first (\`gitrepro remote remove ${o.name}\`), or edit gitrepro.yaml` });
  }
  const def: RemoteDef = { url: o.url, ...(o.endpoint ? { endpoint: o.endpoint } : {}), ...(o.region ? { region: o.region } : {}), ...(o.format ? { format: o.format } : {}) };
  validateRemoteDef(o.name, def);
  const config = await editConfig(repo.root, (doc) => {
    doc.setIn(['remotes', o.name], doc.createNode(def));
    if (o.makeDefault) doc.set('default_remote', o.name);
  });
  await acceptOwnEdit(repo, repo.config, config);
  return shown(repo, await storeRemotes({ ...repo, config }));
}

/** `gitrepro remote list`. */
export async function remoteList(o: { cwd: string }): Promise<ShownRemote[]> {
  const repo = await openRepo(o.cwd);
  return shown(repo, await storeRemotes(repo));
}

/** `gitrepro remote remove`: drops the definition (and default_remote when it named it). */
export async function remoteRemove(o: { cwd: string; name: string }): Promise<ShownRemote[]> {
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
    await acceptOwnEdit(repo, repo.config, config);
  }
  for (const k of ['url', 'endpoint', 'region']) await configUnset(repo.root, `gitrepro.remote.${o.name}.${k}`);
  await rm(knownFile(repo, o.name), { force: true });
  return shown(repo, await storeRemotes({ ...repo, config }));
}

/** `gitrepro remote default <name>`: in gitrepro.yaml, or with `local` for this clone only. */
export async function remoteDefault(o: { cwd: string; name: string; local?: boolean }): Promise<ShownRemote[]> {
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
  return shown(repo, await storeRemotes({ ...repo, config }));
}

export interface RemoteFormatResult {
  name: string;
  location: string;
  /** the format the remote declares (undefined: no marker: empty, or written before storage v2) */
  declared?: number;
  /** what a push writes there (undefined: empty and undeclared: the definition's format) */
  writes?: number;
  indexes: number;
  objectsInPacks: number;
  loose: boolean;
  damaged: string[];
  /** `upgrade`: the format declared before */
  upgradedFrom?: number | null;
}

/**
 * `gitrepro remote info <name>` and, with `upgrade`, `gitrepro remote upgrade <name>`: which
 * format a store remote is in; upgrading declares v2 on a v1 remote (its loose objects stay
 * readable by every version; what is pushed from then on goes into packs, which gitrepro
 * versions before storage v2 cannot read).
 */
export async function remoteFormat(o: { cwd: string; name?: string; upgrade?: boolean; env?: NodeJS.ProcessEnv }): Promise<RemoteFormatResult> {
  const repo = await openRepo(o.cwd);
  const info = await resolveStoreRemote(repo, o.name);
  const remote = await openStoreRemote(repo, info, o.env ?? process.env);
  try {
    let upgradedFrom: number | null | undefined;
    if (o.upgrade) upgradedFrom = (await remote.upgrade()).from ?? null;
    const f = await remote.info();
    return { name: info.name, location: remote.display, ...f, upgradedFrom };
  } finally {
    await remote.close();
  }
}
