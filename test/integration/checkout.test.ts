import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/repo.js';

function twoVersions() {
  const r = TestRepo.init({ track: ['data/'] });
  r.write('data/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  r.write('data/empty', '');
  r.write('data/deep/er/nested/file.txt', 'nested v1\n');
  r.write('data/with space/naïve — ünïcødé.csv', 'x,y\n1,2\n');
  r.write('data/same.bin', Buffer.alloc(4096, 3));
  r.write('data/old-only.txt', 'gone in v2\n');
  r.commit('v1');
  const v1 = r.manifest();
  r.write('data/run.sh', '#!/bin/sh\necho bye\n', 0o644);
  r.write('data/deep/er/nested/file.txt', 'nested v2\n');
  r.write('data/with space/naïve — ünïcødé.csv', 'x,y\n1,3\n');
  r.write('data/new/dir/added.txt', 'only in v2\n');
  rmSync(r.path('data/old-only.txt'));
  r.commit('v2');
  const v2 = r.manifest();
  return { r, v1, v2 };
}

describe('checkout restores data exactly', () => {
  it('a data file at the root of the work tree is restored by a checkout and by `gitrepro restore`, beside data in a tracked directory', () => {
    const r = TestRepo.init({ track: ['model.bin', 'data/'] });
    r.write('model.bin', 'model v1\n');
    r.write('data/a.bin', 'a v1\n');
    r.commit('v1');
    r.write('model.bin', 'model v2\n');
    r.write('data/a.bin', 'a v2\n');
    r.commit('v2');
    const res = r.git(['checkout', '-q', 'HEAD~1']);
    expect(res.stderr).not.toMatch(/cannot update/);
    expect(r.read('model.bin').toString()).toBe('model v1\n');
    expect(r.read('data/a.bin').toString()).toBe('a v1\n');
    rmSync(r.path('model.bin'));
    r.gr(['restore']);
    expect(r.read('model.bin').toString()).toBe('model v1\n');
    r.git(['checkout', '-q', 'main']);
    expect(r.read('model.bin').toString()).toBe('model v2\n');
    expect(r.read('data/a.bin').toString()).toBe('a v2\n');
  });

  it('restores the older commit byte-identical (exec bits, empty files, nesting, odd names), removes files it lacks, and back', () => {
    const { r, v1, v2 } = twoVersions();
    expect(v1).not.toEqual(v2);
    const sameBefore = statSync(r.path('data/same.bin'));
    r.git(['checkout', '-q', 'HEAD~1']);
    expect(r.manifest()).toEqual(v1);
    expect(r.exists('data/new/dir/added.txt')).toBe(false);
    expect(r.exists('data/new')).toBe(false); // emptied directories go too
    expect(statSync(r.path('data/run.sh')).mode & 0o111).toBe(0o111);
    expect(r.read('data/empty').length).toBe(0);
    // only changed files are touched
    const sameAfter = statSync(r.path('data/same.bin'));
    expect([sameAfter.ino, sameAfter.mtimeMs]).toEqual([sameBefore.ino, sameBefore.mtimeMs]);
    r.git(['switch', '-q', 'main']);
    expect(r.manifest()).toEqual(v2);
    expect(r.grJson(['status']).clean).toBe(true);
  });

  it('git switch -c and a branch checkout keep the data of the same commit', () => {
    const { r, v2 } = twoVersions();
    r.git(['switch', '-q', '-c', 'feature']);
    expect(r.manifest()).toEqual(v2);
  });
});

describe('unsaved work is never lost', () => {
  it('stores a modified tracked file before checkout replaces it and says how to get it back', () => {
    const { r } = twoVersions();
    r.write('data/deep/er/nested/file.txt', 'precious unsaved edit\n');
    const res = r.git(['checkout', 'HEAD~1']);
    expect(res.stderr).toMatch(/saved your unsaved data\/deep\/er\/nested\/file\.txt before replacing it; get it back with: gitrepro recover -- data\/deep\/er\/nested\/file\.txt/);
    expect(r.read('data/deep/er/nested/file.txt').toString()).toBe('nested v1\n');
    const list = r.grJson(['recover', '--list']);
    expect(list.map((e: any) => e.path)).toEqual(['data/deep/er/nested/file.txt']);
    r.gr(['recover', '--', 'data/deep/er/nested/file.txt']);
    expect(r.read('data/deep/er/nested/file.txt').toString()).toBe('precious unsaved edit\n');
  });

  it('a new, never-added data file that the target commit also has is stored before being replaced', () => {
    const { r } = twoVersions();
    r.git(['checkout', '-q', 'HEAD~1']);
    r.write('data/new/dir/added.txt', 'my own version\n');
    const res = r.git(['checkout', 'main']);
    expect(res.stderr).toMatch(/saved your unsaved data\/new\/dir\/added\.txt/);
    expect(r.read('data/new/dir/added.txt').toString()).toBe('only in v2\n');
    r.gr(['recover', '--', 'data/new/dir/added.txt']);
    expect(r.read('data/new/dir/added.txt').toString()).toBe('my own version\n');
  });

  it('untracked new data that neither commit has is left alone', () => {
    const { r } = twoVersions();
    r.write('data/mine.txt', 'mine\n');
    r.git(['checkout', '-q', 'HEAD~1']);
    expect(r.read('data/mine.txt').toString()).toBe('mine\n');
  });
});

describe('restore', () => {
  it('gitrepro restore puts HEAD back after edits and deletes; -- <path> limits it', () => {
    const { r, v1, v2 } = twoVersions();
    r.write('data/run.sh', 'edited');
    rmSync(r.path('data/empty'));
    r.gr(['restore', '--', 'data/run.sh']);
    expect(r.exists('data/empty')).toBe(false);
    r.gr(['restore']);
    expect(r.manifest()).toEqual(v2);
    r.gr(['restore', 'HEAD~1']);
    expect(r.manifest()).toEqual(v1);
  });
});

describe('worktrees get their data', () => {
  it('git worktree add restores the data of the new worktree\'s commit; worktrees share one store', () => {
    const { r, v1 } = twoVersions();
    const wt = `${r.dir}-wt`;
    r.git(['worktree', 'add', '-q', wt, 'HEAD~1']);
    const w = new TestRepo(wt, r.env);
    expect(w.manifest()).toEqual(v1);
    expect(w.gitDir()).toBe(r.gitDir());
    // a commit in the worktree stores into the shared store
    w.write('data/wt-only.txt', 'from the worktree\n');
    w.git(['switch', '-q', '-c', 'wt-branch']);
    w.commit('in worktree');
    const sha = createHash('sha256').update('from the worktree\n').digest('hex');
    expect(existsSync(r.objectPath(sha))).toBe(true);
    expect(w.grJson(['status']).clean).toBe(true);
  });
});
