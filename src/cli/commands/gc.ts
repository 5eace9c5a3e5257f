import { gc, type GcObject } from '../../ops/gc.js';
import { humanBytes } from '../output.js';
import { makeProgress } from '../progress.js';
import type { CommandSpec } from '../spec.js';

/** How many objects a human dry run names (--json lists them all). */
const SHOWN = 10;

function neededBy(x: GcObject): string {
  const c = x.lastNeededBy;
  if (!c) return 'no commit';
  const first = x.firstNeededBy && x.firstNeededBy.commit !== c.commit ? `, first ${x.firstNeededBy.commit.slice(0, 12)}` : '';
  return `last needed by ${c.commit.slice(0, 12)} ${c.date.slice(0, 10)} "${c.subject.slice(0, 50)}"${first}`;
}

export const spec: CommandSpec<{ dryRun?: boolean; remote?: string; keep?: string }> = {
  command: 'gc',
  summary: 'remove data objects no commit, reflog, stash, worktree or recover needs (local store or a store remote)',
  description:
    'Keeps every object that a commit reachable from a ref (branch, tag, remote-tracking, stash), a reflog entry, a worktree\'s HEAD or index, a run record, or `gitrepro recover` needs, and every object younger than the grace period (--keep, default 14d); removes the rest from the local store. With --remote <name> it collects that store remote instead: it first fetches every ref of the Git remote the records go to (the branch\'s upstream remote, else origin), keeps what those refs and this clone need, checks again with `git ls-remote` that no one pushed meanwhile, writes the list of what it removes under <git-common-dir>/gitrepro/gc/, then removes it (v2 remotes: packs with nothing left are removed, packs partly garbage are rewritten). Exit 0 on success, 1 when some object could not be removed, 2 on a usage or environment error, 75 when the Git remote kept moving (nothing removed: run it again later).',
  options: {
    'dry-run': { type: 'boolean', describe: 'list what would be removed (count, bytes, and the last commit that needed each object); remove nothing' },
    remote: { type: 'string', describe: 'collect this store remote instead of the local store' },
    keep: { type: 'string', describe: 'grace period: objects younger than this stay (14d, 2w, 36h, 90m, 0)' },
  },
  examples: [
    ['gitrepro gc --dry-run', 'what would go from the local store, and which commit last needed it'],
    ['gitrepro gc', 'remove unneeded objects older than 14 days from the local store'],
    ['gitrepro gc --keep 2w --remote store --dry-run', 'what would go from the store remote "store"'],
    ['gitrepro gc --remote store --json', 'collect the store remote; the result (and the list file) as JSON'],
  ],
  async run(args, out) {
    const progress = makeProgress();
    const r = await gc({ cwd: args.cwd, dryRun: args.dryRun, remote: args.remote, keep: args.keep, reporter: progress.reporter }).finally(() => progress.stop());
    if (args.json) {
      out.json(r);
      return r.failed.length ? 1 : 0;
    }
    const where = r.remote ? `store remote "${r.remote.name}" (${r.remote.location})` : 'the local store';
    const kept = `kept ${r.kept.objects} (${r.kept.needed} needed, ${r.kept.young} younger than ${r.keep})`;
    const packs = r.packs && (r.packs.removed || r.packs.rewritten || r.packs.orphans) ? `; packs: ${r.packs.removed} removed, ${r.packs.rewritten} rewritten, ${r.packs.orphans} unindexed removed` : '';
    if (r.dryRun) {
      out.line(`gc of ${where}: would remove ${r.removed.objects} object(s), ${humanBytes(r.removed.bytes)}; ${kept}${packs}`);
      for (const x of r.objects.slice(0, SHOWN)) out.line(`  ${x.sha256.slice(0, 12)} ${humanBytes(x.size).padStart(10)}  ${neededBy(x)}`);
      if (r.objects.length > SHOWN) out.line(`  ... and ${r.objects.length - SHOWN} more (--json lists them all)`);
    } else {
      out.line(`gc of ${where}: removed ${r.removed.objects} object(s), ${humanBytes(r.removed.bytes)}; ${kept}${packs}`);
      if (r.list) out.line(`list of what was removed: ${r.list}`);
    }
    for (const f of r.failed.slice(0, SHOWN)) out.err(`error: ${f.sha256.slice(0, 12)}: ${f.message}`);
    return r.failed.length ? 1 : 0;
  },
};
