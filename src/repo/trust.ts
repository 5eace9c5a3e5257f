/**
 * Settings that move data or secrets take effect in a clone only once its user accepted them
 * (the models: direnv's `allow`, mise's `trust`, git's `safe.directory` and its rule that hooks
 * are never cloned). gitrepro.yaml arrives by pull like code, written by someone else; these of
 * its settings decide where data goes, which files are stored, which variables are recorded or
 * what runs, so a change to them from others waits for `gitrepro trust`:
 *
 *   remote:<name>.url|endpoint|region   where a store remote is (and where signed requests go)
 *   track:<pattern>                     a pattern that widens what is stored (a new positive
 *                                       pattern; removing a `!negation` widens too)
 *   allow:<name>                        an environment variable name recorded
 *   packages                            package lists recorded (runs pip / conda)
 *
 * Every setting is an item (key → value). The accepted items are kept per clone in
 * `<git-common-dir>/gitrepro/trust.json`, never committed. Trust on first use: `gitrepro
 * install` accepts the settings as they are (a clone upgraded from a version without trust
 * accepts them at its first check). After that:
 *   - an item the user changed in the work tree or the index (against HEAD, outside a merge,
 *     cherry-pick, revert or rebase) is the user's own and accepted as it is;
 *   - gitrepro's own config edits (track, remote, stage) accept what they changed;
 *   - anything else that differs from what was accepted is pending: push refuses to contact an
 *     unaccepted remote, commit and add refuse to store files only an unaccepted pattern
 *     matches, restores refuse such paths, records keep the accepted variables; each refusal
 *     names the setting, the commit that changed it, its author, and `gitrepro trust`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { blobId } from '../git/revs.js';
import { git, gitMaybe } from '../git/run.js';
import type { Config } from '../record/config.js';
import { CONFIG_FILE } from '../record/rules.js';
import { parseConfig } from '../workspace/config.js';
import { makeMatcher, type Matcher } from '../workspace/walk.js';
import type { Repo } from './context.js';

export type TrustItems = Record<string, string>;

interface TrustFile {
  version: 1;
  items: TrustItems;
  acceptedAt: string;
}

/** One setting change that is not accepted in this clone. */
export interface PendingSetting {
  key: string;
  /** what it says now (undefined: removed) */
  value?: string;
  /** what was accepted (undefined: nothing) */
  accepted?: string;
  /** the commit that made the change, and who */
  commit?: string;
  author?: string;
  /** human words: "store remote \"store\" url", "track pattern \"/.env\"" */
  what: string;
}

/** The trust-relevant items of a config. */
export function trustItems(c: Pick<Config, 'remotes' | 'track' | 'env'>): TrustItems {
  const out: TrustItems = {};
  for (const [name, def] of Object.entries(c.remotes ?? {})) {
    for (const f of ['url', 'endpoint', 'region'] as const) if (def[f] !== undefined) out[`remote:${name}.${f}`] = def[f]!;
  }
  for (const p of c.track ?? []) out[`track:${p}`] = '1';
  for (const a of c.env?.allow ?? []) out[`allow:${a}`] = '1';
  if (c.env?.packages) out.packages = 'true';
  return out;
}

function describe(key: string): string {
  const r = /^remote:(.+)\.(url|endpoint|region)$/.exec(key);
  if (r) return `store remote "${r[1]}" ${r[2]}`;
  if (key.startsWith('track:!')) return `track exclusion "${key.slice(7)}" (removed)`;
  if (key.startsWith('track:')) return `track pattern "${key.slice(6)}"`;
  if (key.startsWith('allow:')) return `env.allow entry "${key.slice(6)}"`;
  return 'env.packages';
}

/** Items of `current` not accepted: new or changed values, and removed `!` track exclusions. */
export function pendingItems(current: TrustItems, accepted: TrustItems): { key: string; value?: string; accepted?: string }[] {
  const out: { key: string; value?: string; accepted?: string }[] = [];
  for (const [k, v] of Object.entries(current)) if (accepted[k] !== v) out.push({ key: k, value: v, accepted: accepted[k] });
  for (const k of Object.keys(accepted)) if (k.startsWith('track:!') && !(k in current)) out.push({ key: k, accepted: accepted[k] });
  return out;
}

function trustFile(repo: Repo): string {
  return path.join(repo.sharedDir, 'trust.json');
}

export async function readTrust(repo: Repo): Promise<TrustItems | undefined> {
  try {
    const t = JSON.parse(await readFile(trustFile(repo), 'utf8')) as TrustFile;
    return t.version === 1 && t.items && typeof t.items === 'object' ? t.items : undefined;
  } catch {
    return undefined;
  }
}

async function writeTrust(repo: Repo, items: TrustItems): Promise<void> {
  const body: TrustFile = { version: 1, items: Object.fromEntries(Object.entries(items).sort(([a], [b]) => (a < b ? -1 : 1))), acceptedAt: new Date().toISOString() };
  await writeFileAtomic(trustFile(repo), `${JSON.stringify(body, null, 2)}\n`);
}

/** Accepts `items` on top of what is accepted (`replace`: instead of it). */
export async function acceptItems(repo: Repo, items: TrustItems, o: { replace?: boolean; drop?: string[] } = {}): Promise<void> {
  const cur = o.replace ? {} : ((await readTrust(repo)) ?? {});
  for (const k of o.drop ?? []) delete cur[k];
  await writeTrust(repo, { ...cur, ...items });
}

/** Trust on first use: accepts the current settings when this clone has accepted nothing yet. */
export async function trustOnFirstUse(repo: Repo, config: Config = repo.config): Promise<boolean> {
  if (existsSync(trustFile(repo))) return false;
  await writeTrust(repo, trustItems(config));
  return true;
}

/** What gitrepro's own edit of the config changed (track, remote, stage commands): accepted. */
export async function acceptOwnEdit(repo: Repo, before: Config, after: Config): Promise<void> {
  const a = trustItems(before);
  const b = trustItems(after);
  const changed: TrustItems = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) changed[k] = v;
  for (const k of Object.keys(a)) if (!(k in b)) dropped.push(k);
  if (Object.keys(changed).length || dropped.length) await acceptItems(repo, changed, { drop: dropped });
}

async function configAt(repo: Repo, spec: string): Promise<Config | undefined> {
  const text = await gitMaybe(repo.root, ['cat-file', 'blob', spec]);
  if (text === undefined) return undefined;
  return parseConfig(`${text}\n`, `${CONFIG_FILE} at ${spec}`).catch(() => undefined);
}

/** A merge, cherry-pick, revert or rebase is under way: the index and work tree hold others' changes. */
function sequencerBusy(repo: Repo): boolean {
  return ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'rebase-merge', 'rebase-apply'].some((f) => existsSync(path.join(repo.paths.gitDir, f)));
}

export interface TrustState {
  /** settings of the work tree's gitrepro.yaml that this clone has not accepted */
  pending: PendingSetting[];
  accepted: TrustItems;
  /** the accepted track patterns (for what may be stored or restored) */
  acceptedTrack: Matcher;
}

/**
 * Where this clone stands: accepts the user's own edits first (see the module comment), then
 * lists what is pending, with the commit and author of each change (found only when something
 * is pending). `baseRev`: in a clone that has accepted nothing (a CI checkout), take trust from
 * this revision's config instead of accepting the work tree's.
 */
export async function trustState(repo: Repo, o: { baseRev?: string } = {}): Promise<TrustState> {
  let accepted = await readTrust(repo);
  if (!accepted && o.baseRev) accepted = trustItems((await configAt(repo, `${o.baseRev}:${CONFIG_FILE}`)) ?? repo.config);
  else if (!accepted) {
    await trustOnFirstUse(repo);
    accepted = (await readTrust(repo)) ?? trustItems(repo.config);
  } else if (!sequencerBusy(repo)) {
    // the user's own edits: what the work tree and the index change against HEAD
    const own = await ownEdits(repo);
    const acc = accepted;
    if (own) {
      const changed: TrustItems = {};
      for (const [k, v] of Object.entries(own.after)) if (own.before[k] !== v && acc[k] !== v) changed[k] = v;
      const dropped = Object.keys(own.before).filter((k) => !(k in own.after) && k in acc);
      if (Object.keys(changed).length || dropped.length) {
        await acceptItems(repo, changed, { drop: dropped });
        accepted = (await readTrust(repo))!;
      }
    }
  }
  const current = trustItems(repo.config);
  const raw = pendingItems(current, accepted);
  const pending: PendingSetting[] = raw.map((p) => ({ ...p, what: describe(p.key) }));
  if (pending.length) await blame(repo, pending);
  const acceptedTrack = makeMatcher(Object.keys(accepted).filter((k) => k.startsWith('track:')).map((k) => k.slice(6)));
  return { pending, accepted, acceptedTrack };
}

/** Items of HEAD's config and of the work tree's (or index's) when they differ; undefined when they do not. */
async function ownEdits(repo: Repo): Promise<{ before: TrustItems; after: TrustItems } | undefined> {
  const wt = await readFile(path.join(repo.root, CONFIG_FILE)).catch(() => undefined);
  const ids = (await gitMaybe(repo.root, ['rev-parse', 'HEAD:gitrepro.yaml', ':gitrepro.yaml'])) ?? '';
  const [headBlob, indexBlob] = ids.split('\n');
  const wtBlob = wt ? blobId(wt, repo.paths.objectFormat) : undefined;
  if (headBlob === wtBlob && (indexBlob === undefined || indexBlob === headBlob)) return undefined;
  const head = headBlob ? await configAt(repo, headBlob) : undefined;
  const before = trustItems(head ?? { remotes: {}, track: [], env: { allow: [], packages: false } });
  const after: TrustItems = { ...trustItems(repo.config) };
  if (indexBlob && indexBlob !== headBlob && indexBlob !== wtBlob) Object.assign(after, trustItems((await configAt(repo, indexBlob)) ?? repo.config));
  return { before, after };
}

/** Finds, for each pending change, the newest commit that made it (and its author). */
async function blame(repo: Repo, pending: PendingSetting[]): Promise<void> {
  const log = await gitMaybe(repo.root, ['log', '-n', '50', '--format=%H%x09%an <%ae>', 'HEAD', '--', CONFIG_FILE]);
  if (!log) return;
  const commits = log.split('\n').map((l) => l.split('\t') as [string, string]);
  const items = new Map<string, TrustItems>();
  const at = async (c: string): Promise<TrustItems> => {
    let v = items.get(c);
    if (!v) {
      const cfg = await configAt(repo, `${c}:${CONFIG_FILE}`);
      v = cfg ? trustItems(cfg) : {};
      items.set(c, v);
    }
    return v;
  };
  for (const p of pending) {
    for (const [c, author] of commits) {
      const now = (await at(c))[p.key];
      const before = (await at(`${c}^`).catch(() => ({}) as TrustItems))[p.key];
      if (now === p.value && before !== p.value) {
        p.commit = c;
        p.author = author;
        break;
      }
    }
  }
}

/**
 * The accepted track patterns when the work tree's config has track patterns others added that
 * this clone has not accepted; undefined when it has none (the common case). Reads the trust
 * file only: cheap enough for a checkout hook.
 */
export async function acceptedTrack(repo: Repo): Promise<Matcher | undefined> {
  const accepted = await readTrust(repo);
  if (!accepted) return undefined; // nothing accepted yet: trust on first use takes these settings
  const pending = pendingItems(trustItems(repo.config), accepted).some((p) => p.key.startsWith('track:'));
  return pending ? makeMatcher(Object.keys(accepted).filter((k) => k.startsWith('track:')).map((k) => k.slice(6))) : undefined;
}

/** One line saying which setting changed, where, by whom, and how to accept it. */
export function pendingMessage(p: PendingSetting, consequence: string): string {
  const now = p.value === undefined ? 'was removed' : p.key.startsWith('remote:') ? `is now ${JSON.stringify(p.value)}` : 'was added';
  const where = p.commit ? ` in commit ${p.commit.slice(0, 12)}${p.author ? ` by ${p.author}` : ''}` : ' (not by you)';
  return `${p.what} ${now}${where}, and this clone has not accepted it: ${consequence}`;
}

export function untrusted(pending: PendingSetting[], consequence: string): GitreproError {
  const first = pending[0]!;
  return new GitreproError('GITREPRO_UNTRUSTED', pendingMessage(first, consequence) + (pending.length > 1 ? ` (and ${pending.length - 1} more setting(s))` : ''), {
    hint: 'review it with `gitrepro trust --show`; accept it with `gitrepro trust`',
    data: { pending },
    exitCode: 1,
  });
}

/** Refuses (GITREPRO_UNTRUSTED) to contact store remote `name` while its definition is pending. */
export async function assertRemoteTrusted(repo: Repo, name: string, overridden: string[], o: { baseRev?: string } = {}): Promise<void> {
  const state = await trustState(repo, o);
  const mine = state.pending.filter((p) => p.key.startsWith(`remote:${name}.`) && !overridden.includes(p.key.slice(`remote:${name}.`.length)));
  if (mine.length) throw untrusted(mine, `store remote "${name}" was not contacted`);
}

/** env.allow and env.packages as they take effect: without what is pending. */
export async function effectiveEnvSettings(repo: Repo): Promise<{ allow: string[]; packages: boolean }> {
  const { pending } = await trustState(repo);
  const waiting = new Set(pending.map((p) => p.key));
  return { allow: repo.config.env.allow.filter((a) => !waiting.has(`allow:${a}`)), packages: repo.config.env.packages && !waiting.has('packages') };
}

/**
 * A commit made in this clone without pre-commit (`--no-verify`; post-commit runs for it): the
 * settings it changed against its first parent are the user's own and accepted.
 */
export async function acceptOwnCommit(repo: Repo, commit: string): Promise<void> {
  if (sequencerBusy(repo) || !(await readTrust(repo))) return;
  // `git commit` itself (reflog "commit: ...", "commit (amend): ..."), not a cherry-pick, revert
  // or rebase: those bring in changes others made
  const how = (await gitMaybe(repo.root, ['reflog', '-1', '--format=%gs', 'HEAD'])) ?? '';
  if (!/^commit( \((amend|initial)\))?:/.test(how)) return;
  const [now, before] = await Promise.all([configAt(repo, `${commit}:${CONFIG_FILE}`), configAt(repo, `${commit}^:${CONFIG_FILE}`)]);
  if (!now) return;
  await acceptOwnEdit(repo, before ?? ({ remotes: {}, track: [], env: { allow: [], packages: false } } as unknown as Config), now);
}
