import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/repo.js';

const POINTER = (sha: string, size: number) => `version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize ${size}\n`;
const SHA = 'a'.repeat(64);

function base() {
  const r = TestRepo.init({ track: ['data/'] });
  r.write('data/good.txt', 'good\n');
  r.commit('good');
  return r;
}

/** Commits a gitrepro.lock naming `tree`, with hooks skipped (as a hostile collaborator's push would arrive). */
function commitHostileLock(r: TestRepo, lockText: string): string {
  r.write('gitrepro.lock', lockText);
  r.git(['add', 'gitrepro.lock']);
  r.git(['commit', '-q', '-m', 'hostile'], { env: { GITREPRO_SKIP: '1' } });
  return r.head();
}

function mktree(r: TestRepo, entries: string): string {
  return r.git(['mktree'], { input: entries }).stdout.trim();
}

function blob(r: TestRepo, text: string): string {
  return r.git(['hash-object', '-w', '--stdin'], { input: text }).stdout.trim();
}

function workTreeFiles(r: TestRepo): string[] {
  return readdirSync(r.dir, { recursive: true }).map(String).filter((p) => !p.startsWith('.git')).sort();
}

describe('hostile records are refused, and nothing is written', () => {
  const cases: [string, (r: TestRepo) => string, RegExp][] = [
    ['a snapshot entry named ..', (r) => mktree(r, `100644 blob ${blob(r, POINTER(SHA, 4))}\t..\n`), /unsafe path "\.\.": '\.\.' component/],
    ['a snapshot entry named .git', (r) => {
      const hooks = mktree(r, `100755 blob ${blob(r, POINTER(SHA, 4))}\tpre-commit\n`);
      return mktree(r, `040000 tree ${hooks}\t.GIT\n`);
    }, /unsafe path "\.GIT\/pre-commit": \.git component/],
    ['a pointer that is not a pointer', (r) => {
      const d = mktree(r, `100644 blob ${blob(r, 'rm -rf /\n')}\tx.txt\n`);
      return mktree(r, `040000 tree ${d}\tdata\n`);
    }, /is not a valid pointer/],
    ['a symlink entry', (r) => {
      const d = mktree(r, `120000 blob ${blob(r, '/etc/passwd')}\tlink\n`);
      return mktree(r, `040000 tree ${d}\tdata\n`);
    }, /has mode 120000 \(only regular files are allowed\)/],
  ];
  for (const [name, makeTree, why] of cases) {
    it(`refuses ${name}`, () => {
      const r = base();
      const tree = makeTree(r);
      const hostile = commitHostileLock(r, `gitrepro.lock/v1\nbytes 4\nfiles 1\ntree ${tree}\n`);
      r.git(['checkout', '-q', 'HEAD~1']);
      const before = workTreeFiles(r);
      const res = r.git(['checkout', hostile], { ok: [1] });
      expect(res.stderr).toMatch(why);
      expect(res.stderr).toMatch(/gitrepro/);
      expect(workTreeFiles(r).filter((p) => p !== 'gitrepro.lock')).toEqual(before.filter((p) => p !== 'gitrepro.lock'));
      expect(r.read('data/good.txt').toString()).toBe('good\n');
      const restore = r.gr(['restore', hostile], { ok: [2] });
      expect(restore.stderr).toMatch(/^error \[GITREPRO_SNAPSHOT_INVALID\]/);
      expect(restore.stderr).not.toMatch(/    at /); // no stack trace
    });
  }

  it('refuses a lock with a non-hex tree id or a path-like value', () => {
    const r = base();
    const hostile = commitHostileLock(r, 'gitrepro.lock/v1\nbytes 4\nfiles 1\ntree ../../../etc\n');
    r.git(['checkout', '-q', 'HEAD~1']);
    const res = r.git(['checkout', hostile], { ok: [1] });
    expect(res.stderr).toMatch(/gitrepro\.lock in the work tree is invalid: tree: not a git object id/);
    expect(r.read('data/good.txt').toString()).toBe('good\n');
  });

  it('reports notes that are not JSON or not a record, with exit 1', () => {
    const r = base();
    expect(r.record().schema).toBe('gitrepro.record/v1'); // the commit's own record is written first
    r.git(['notes', '--ref=gitrepro', 'add', '-f', '-m', '{not json']);
    let res = r.gr(['show'], { ok: [1] });
    expect(res.stdout).toMatch(/record: invalid: not JSON/);
    r.git(['notes', '--ref=gitrepro', 'add', '-f', '-m', '{"schema":"gitrepro.record/v9"}']);
    res = r.gr(['show'], { ok: [1] });
    expect(res.stdout).toMatch(/record: invalid: schema: /);
    r.git(['notes', '--ref=gitrepro', 'add', '-f', '-m', JSON.stringify({ schema: 'gitrepro.record/v1', tool: 'x', recordedAt: 'x', data: { tree: 'zz', files: 1, bytes: 1 }, params: { '../../x': { sha256: SHA, values: {} } }, env: {} })]);
    res = r.gr(['show', '--json'], { ok: [1] });
    expect(JSON.parse(res.stdout).recordError).toMatch(/not a git object id|unsafe path/);
  });
});
