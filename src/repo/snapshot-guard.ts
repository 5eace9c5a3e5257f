/**
 * What a snapshot may write into this work tree. A lock (and its snapshot) arrives from others
 * by pull, so it is untrusted: before a restore writes anything, every path it would write must
 * be tracked data by the track patterns of the commit the snapshot belongs to (and by the ones
 * this clone has accepted, repo/trust.ts), and no such path may be a file git itself tracks in
 * that commit. Otherwise nothing of the snapshot is written (a lock naming `src/train.py` or
 * `.venv/bin/activate` would overwrite code or plant a script).
 *
 * Cost on a checkout (the hook path): one `git ls-tree` for the changed paths, their parent
 * directories and the commit's gitrepro.yaml; the config is parsed only when it is not the work
 * tree's (which is cached). A restore of a whole snapshot walks it instead (TreeWalker).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { blobId, readFileAt } from '../git/revs.js';
import { runGit } from '../git/run.js';
import { TreeWalker, type PathRule } from '../git/treewalk.js';
import { CONFIG_FILE } from '../record/rules.js';
import { parseConfig } from '../workspace/config.js';
import { makeMatcher, trackRule, type Matcher } from '../workspace/walk.js';
import type { Repo } from './context.js';

/** Above this many paths, ls-tree's argument list gives way to a walk of the trees. */
const LIST_MAX = 2000;

/** The track patterns of `commit`, given its gitrepro.yaml blob (the work tree's config when it is that one). */
async function trackMatcherOf(repo: Repo, commit: string, blob: string | undefined): Promise<Matcher> {
  if (!blob) return makeMatcher([]);
  const own = await readFile(path.join(repo.root, CONFIG_FILE)).catch(() => undefined);
  if (own && blobId(own, repo.paths.objectFormat) === blob) return repo.matcher;
  const text = (await readFileAt(repo.root, commit, CONFIG_FILE))?.toString('utf8');
  try {
    return makeMatcher((await parseConfig(text, `${CONFIG_FILE} at ${commit.slice(0, 12)}`)).track);
  } catch {
    return makeMatcher([]); // an invalid config tracks nothing: its snapshot may write nothing
  }
}

function refuse(tree: string, commit: string | undefined, p: string, why: string): GitreproError {
  const of = commit ? ` of commit ${commit.slice(0, 12)}` : '';
  return new GitreproError('GITREPRO_SNAPSHOT_INVALID', `the data snapshot ${tree.slice(0, 12)}${of} holds ${JSON.stringify(p.slice(0, 200))}, ${why}: nothing of it was restored`, {
    hint: `this gitrepro.lock is hostile or broken: see who changed it with \`git log -p -- gitrepro.lock\`, and check with \`gitrepro verify${commit ? ` ${commit.slice(0, 12)}` : ''}\``,
    data: { tree, commit, path: p },
    exitCode: 1,
  });
}

const OWN_WHY = "which that commit's gitrepro.yaml does not track";
const GIT_WHY = 'a path that git itself tracks in that commit';

/**
 * Refuses (GITREPRO_SNAPSHOT_INVALID, exit 1) a snapshot that would write a path its commit does
 * not track, one that git tracks in that commit, or one an `also` rule refuses. `paths`: the
 * paths a restore writes (absent: every path of the tree). Without `commit`, the work tree's
 * config is the rule and nothing is compared with git's tree.
 */
export async function guardSnapshot(repo: Repo, o: { tree: string; commit?: string; paths?: string[]; also?: { rule: PathRule; why: string }[] }): Promise<void> {
  const listed = o.commit && o.paths && o.paths.length <= LIST_MAX ? await listAt(repo, o.commit, o.paths) : undefined;
  let own = repo.matcher;
  if (o.commit) {
    const blob = listed ? listed.configBlob : (await runGit(repo.root, ['rev-parse', '-q', '--verify', `${o.commit}:${CONFIG_FILE}`], { ok: [0, 1, 128] })).stdout.toString('utf8').trim() || undefined;
    own = await trackMatcherOf(repo, o.commit, blob);
  }
  if (listed?.overlap !== undefined) throw refuse(o.tree, o.commit, listed.overlap, GIT_WHY);
  const rules = [{ rule: trackRule(own), why: o.commit ? OWN_WHY : 'which gitrepro.yaml does not track' }, ...(o.also ?? [])];
  if (o.paths) {
    for (const { rule, why } of rules) for (const p of o.paths) if (!rule.file(p)) throw refuse(o.tree, o.commit, p, why);
    if (listed || !o.commit) return;
  }
  const walker = new TreeWalker(repo.root);
  try {
    if (o.commit) {
      const overlap = await walker.firstOverlap(o.tree, `${o.commit}^{tree}`);
      if (overlap !== undefined) throw refuse(o.tree, o.commit, overlap, GIT_WHY);
    }
    if (!o.paths) {
      for (const { rule, why } of rules) {
        const bad = await walker.firstRefused(o.tree, rule, why);
        if (bad !== undefined) throw refuse(o.tree, o.commit, bad, why);
      }
    }
  } finally {
    walker.close();
  }
}

/**
 * One `git ls-tree` of `commit` limited to gitrepro.yaml, `paths` and their parent directories:
 * the config's blob, and the first path git holds where the data would go (the path itself, or
 * a file in place of one of its directories).
 */
async function listAt(repo: Repo, commit: string, paths: string[]): Promise<{ configBlob?: string; overlap?: string }> {
  const want = new Set<string>([CONFIG_FILE]);
  for (const p of paths) {
    want.add(p);
    for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) want.add(p.slice(0, i));
  }
  const r = await runGit(repo.root, ['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', commit, '--', ...want], { ok: [0, 128] });
  const out: { configBlob?: string; overlap?: string } = {};
  const written = new Set(paths);
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab < 0) continue;
    const [, type, oid] = rec.slice(0, tab).split(' ');
    const p = rec.slice(tab + 1);
    if (p === CONFIG_FILE) out.configBlob = oid;
    if (written.has(p) || (type !== 'tree' && want.has(p) && p !== CONFIG_FILE)) out.overlap ??= p;
  }
  return out;
}
