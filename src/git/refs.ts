/**
 * Refs with compare-and-swap, ancestry, and the small commit plumbing the record merges need.
 * Every ref write here names the value it expects to replace (`git update-ref <ref> <new> <old>`),
 * so two processes merging records at once cannot silently overwrite each other: the loser sees
 * `false` and recomputes.
 */
import { git, gitFailure, gitMaybe, runGit } from './run.js';

/** The all-zero object id: as the old value of update-ref it means "the ref must not exist". */
export function zeroOid(objectFormat: string): string {
  return '0'.repeat(objectFormat === 'sha256' ? 64 : 40);
}

/** The object a ref points at, or undefined when the ref does not exist. */
export async function readRef(cwd: string, ref: string): Promise<string | undefined> {
  return gitMaybe(cwd, ['rev-parse', '-q', '--verify', '--end-of-options', ref]);
}

/** Refs under `prefixes` (e.g. `refs/notes/`) with their values. */
export async function listRefs(cwd: string, prefixes: string[]): Promise<Map<string, string>> {
  const out = await git(cwd, ['for-each-ref', '--format=%(objectname) %(refname)', ...prefixes]);
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) m.set(line.slice(sp + 1), line.slice(0, sp));
  }
  return m;
}

/**
 * Sets `ref` to `value` only if it still holds `expected` (undefined: only if it does not exist).
 * Returns false when another writer got there first; other failures throw.
 */
export async function casRef(cwd: string, ref: string, value: string, expected: string | undefined, objectFormat: string, reason: string): Promise<boolean> {
  const args = ['update-ref', '-m', reason, ref, value, expected ?? zeroOid(objectFormat)];
  const r = await runGit(cwd, args, { ok: [0, 1, 128] });
  if (r.code === 0) return true;
  if (/cannot lock ref|but expected|already exists|unable to resolve reference/i.test(r.stderr)) return false;
  throw gitFailure(args, r);
}

export async function deleteRef(cwd: string, ref: string): Promise<void> {
  await runGit(cwd, ['update-ref', '-d', ref], { ok: [0, 1, 128] });
}

/** True when commit `a` is an ancestor of (or equal to) commit `b`. */
export async function isAncestor(cwd: string, a: string, b: string): Promise<boolean> {
  const r = await runGit(cwd, ['merge-base', '--is-ancestor', a, b], { ok: [0, 1, 128] });
  return r.code === 0;
}

/** True when the object exists in the repository's object database. */
export async function hasObject(cwd: string, oid: string): Promise<boolean> {
  const r = await runGit(cwd, ['cat-file', '-e', oid], { ok: [0, 1, 128] });
  return r.code === 0;
}

/** Identity of the commits gitrepro makes on its own refs (never the user's). */
export const GITREPRO_IDENT = {
  GIT_AUTHOR_NAME: 'gitrepro',
  GIT_AUTHOR_EMAIL: 'gitrepro@localhost',
  GIT_COMMITTER_NAME: 'gitrepro',
  GIT_COMMITTER_EMAIL: 'gitrepro@localhost',
};

/** Writes a commit of `tree` with `parents` (no ref is touched). */
export async function commitTree(cwd: string, tree: string, parents: string[], message: string): Promise<string> {
  return git(cwd, ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])], { input: `${message}\n`, env: GITREPRO_IDENT });
}

/** The configured remotes of the repository (`git remote`). */
export async function gitRemoteNames(cwd: string): Promise<string[]> {
  const out = await git(cwd, ['remote']);
  return out ? out.split('\n') : [];
}

/** The remote the current branch tracks (`branch.<name>.remote`), if any. */
export async function upstreamRemote(cwd: string): Promise<string | undefined> {
  const branch = await gitMaybe(cwd, ['symbolic-ref', '-q', '--short', 'HEAD']);
  if (!branch) return undefined;
  const r = await gitMaybe(cwd, ['config', '--get', `branch.${branch}.remote`]);
  return r && r !== '.' ? r : undefined;
}

/** Every value of a multi-valued git config key (none: empty). */
export async function configGetAll(cwd: string, key: string): Promise<string[]> {
  const r = await runGit(cwd, ['config', '--get-all', key], { ok: [0, 1] });
  return r.stdout.toString('utf8').split('\n').filter((l) => l !== '');
}

/** git config keys matching a regexp, with values (`git config --get-regexp`). */
export async function configGetRegexp(cwd: string, re: string): Promise<[string, string][]> {
  const r = await runGit(cwd, ['config', '--get-regexp', re], { ok: [0, 1] });
  const out: [string, string][] = [];
  for (const line of r.stdout.toString('utf8').split('\n')) {
    if (!line) continue;
    const sp = line.indexOf(' ');
    out.push(sp < 0 ? [line, ''] : [line.slice(0, sp), line.slice(sp + 1)]);
  }
  return out;
}

export async function configSet(cwd: string, key: string, value: string, add = false): Promise<void> {
  await git(cwd, ['config', ...(add ? ['--add'] : []), key, value]);
}

export async function configUnset(cwd: string, key: string): Promise<void> {
  await runGit(cwd, ['config', '--unset-all', key], { ok: [0, 5] });
}

/** Which of `oids` the object database lacks (one `cat-file --batch-check` for all). */
export async function missingObjects(cwd: string, oids: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (oids.length === 0) return out;
  const r = await runGit(cwd, ['cat-file', '--batch-check=%(objectname)'], { input: oids.join('\n') + '\n' });
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const m = /^(\S+) missing$/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}
