import { describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/repo.js';

function lockTree(r: TestRepo, rev: string): string {
  return /^tree ([0-9a-f]+)$/m.exec(r.git(['show', `${rev}:gitrepro.lock`]).stdout)![1];
}

/** Every commit of the range has a valid record whose snapshot is its lock's. */
function expectRecorded(r: TestRepo, range: string): void {
  r.gr(['log', '-n', '1']); // completes deferred records
  for (const c of r.git(['rev-list', range]).stdout.trim().split('\n')) {
    const note = r.git(['notes', '--ref=gitrepro', 'show', c]).stdout;
    const rec = JSON.parse(note);
    expect(rec.schema).toBe('gitrepro.record/v1');
    expect(rec.data.tree).toBe(lockTree(r, c));
  }
}

describe('rewrites keep records', () => {
  it('git commit --amend gives the amended commit a valid record of its data', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'v1');
    r.commit('one');
    r.write('data/x', 'v1-fixed');
    r.gr(['add']);
    r.git(['commit', '-q', '--amend', '--no-edit']);
    expectRecorded(r, 'HEAD');
    const rec = r.record();
    expect(rec.rewrittenFrom).toHaveLength(1);
    expect(r.grJson(['ls-files']).files[0].size).toBe(8);
  });

  it('git rebase re-records every rewritten commit and leaves the final data in the work tree', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/base', 'base');
    r.commit('base');
    r.git(['switch', '-q', '-c', 'feature']);
    r.write('data/f1', 'feature 1');
    r.commit('f1');
    r.write('data/f2', 'feature 2');
    r.commit('f2');
    r.git(['switch', '-q', 'main']);
    r.write('code.py', 'print(1)\n');
    r.write('data/m1', 'main 1');
    r.commit('m1');
    r.git(['switch', '-q', 'feature']);
    r.git(['rebase', '-q', 'main']);
    expectRecorded(r, 'main..HEAD');
    const files = r.grJson(['ls-files']).files.map((f: any) => f.path);
    expect(files).toEqual(['data/base', 'data/f1', 'data/f2', 'data/m1']);
    expect(r.read('data/m1').toString()).toBe('main 1');
    expect(r.read('data/f2').toString()).toBe('feature 2');
    expect(r.grJson(['status']).clean).toBe(true);
  });

  it('an interactive squash never yields an invalid note', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/a', 'a');
    r.commit('a');
    r.write('data/b', 'b');
    r.commit('b');
    r.write('data/c', 'c');
    r.commit('c');
    r.gr(['log']);
    r.git(['rebase', '-q', '-i', 'HEAD~2'], { env: { GIT_SEQUENCE_EDITOR: "sed -i -e '2s/^pick/squash/'", GIT_EDITOR: 'true' } });
    expect(r.git(['rev-list', '--count', 'HEAD']).stdout.trim()).toBe('2');
    expectRecorded(r, 'HEAD~1..HEAD');
    expect(r.record().rewrittenFrom).toHaveLength(2);
    expect(r.grJson(['ls-files']).files.map((f: any) => f.path)).toEqual(['data/a', 'data/b', 'data/c']);
  });
});
