/**
 * What a snapshot may write into this work tree. A lock (and its snapshot) arrives from others
 * by pull, so it is untrusted: before a restore writes anything, every path it would write must
 * be tracked data by the track patterns of the commit the snapshot belongs to (and by the ones
 * this clone has accepted, repo/trust.ts), and no such path may be a file git itself tracks in
 * that commit. Otherwise nothing of the snapshot is written (a lock naming `src/train.py` or
 * `.venv/bin/activate` would overwrite code or plant a script).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { blobId, readFileAt } from '../git/revs.js';
import { gitMaybe } from '../git/run.js';
import { TreeWalker, type PathRule } from '../git/treewalk.js';
import { CONFIG_FILE } from '../record/rules.js';
import { parseConfig } from '../workspace/config.js';
import { makeMatcher, trackRule, type Matcher } from '../workspace/walk.js';
import type { Repo } from './context.js';

/** The track patterns of `commit` (the work tree's config when it is that commit's, saving a parse). */
export async function trackMatcherAt(repo: Repo, commit: string): Promise<Matcher> {
  const blob = await gitMaybe(repo.root, ['rev-parse', '-q', '--verify', `${commit}:${CONFIG_FILE}`]);
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
    hint: `this gitrepro.lock is hostile or broken: see who changed it with \`git log -p -- gitrepro.lock\`, and check with \`gitrepro verify ${commit ? commit.slice(0, 12) : ''}\``.replace(/ `$/, '`'),
    data: { tree, commit, path: p },
    exitCode: 1,
  });
}

export interface GuardRules {
  /** the commit's own track patterns */
  own: Matcher;
  /** extra rules every path must also pass (this clone's accepted track patterns), with why a path fails */
  also?: { rule: PathRule; why: string }[];
}

/**
 * Refuses (GITREPRO_SNAPSHOT_INVALID, exit 1) a snapshot that would write a path outside the
 * rules, or one that git tracks in `commit`. `paths`: the paths a diff-based restore writes;
 * absent: every path of the tree.
 */
export async function guardSnapshot(repo: Repo, o: { tree: string; commit?: string; rules: GuardRules; paths?: Iterable<string> }): Promise<void> {
  const rules: { rule: PathRule; why: string }[] = [{ rule: trackRule(o.rules.own), why: `which ${o.commit ? "that commit's" : 'the'} gitrepro.yaml does not track` }, ...(o.rules.also ?? [])];
  const walker = new TreeWalker(repo.root);
  try {
    if (o.commit) {
      const overlap = await walker.firstOverlap(o.tree, `${o.commit}^{tree}`);
      if (overlap !== undefined) throw refuse(o.tree, o.commit, overlap, 'a path that git itself tracks in that commit');
    }
    for (const { rule, why } of rules) {
      if (o.paths) {
        for (const p of o.paths) if (!rule.file(p)) throw refuse(o.tree, o.commit, p, why);
      } else {
        const bad = await walker.firstRefused(o.tree, rule, why);
        if (bad !== undefined) throw refuse(o.tree, o.commit, bad, why);
      }
    }
  } finally {
    walker.close();
  }
}
