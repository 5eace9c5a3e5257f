import { createHash } from 'node:crypto';
import { readdirSync, rmSync, utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/repo.js';

describe('a data change is a change git sees', () => {
  it('gitrepro add stages gitrepro.lock; a plain git commit -m records a data-only change', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/a.csv', 'a,b\n1,2\n');
    r.commit('first');
    // the first snapshot starts the chain: fast-import's report of the missing parent is not left behind
    expect(readdirSync(r.gitDir()).filter((n) => n.startsWith('fast_import_crash'))).toEqual([]);
    const first = r.record().data.tree;
    r.write('data/a.csv', 'a,b\n1,3\n');
    const add = r.gr(['add']);
    expect(add.stdout).toMatch(/modified\s+data\/a\.csv/);
    expect(r.git(['diff', '--cached', '--name-only']).stdout.trim()).toBe('gitrepro.lock');
    r.git(['commit', '-q', '-m', 'data only']); // no --allow-empty
    const rec = r.record();
    expect(rec.data.tree).not.toBe(first);
    expect(r.git(['ls-tree', '-r', '--name-only', rec.data.tree]).stdout.trim()).toBe('data/a.csv');
    expect(r.git(['status', '--porcelain']).stdout).toBe('');
  });

  it('git commit -am (and any commit with other staged changes) captures the current data', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('train.py', 'print(1)\n');
    r.write('data/x.bin', 'v1');
    r.commit('first');
    r.write('train.py', 'print(2)\n');
    r.write('data/x.bin', 'v2');
    r.write('data/new.bin', 'new');
    r.git(['commit', '-q', '-am', 'code and data']);
    const files = r.grJson(['ls-files']).files.map((f: any) => f.path);
    expect(files).toEqual(['data/new.bin', 'data/x.bin']);
    expect(r.git(['show', 'HEAD:gitrepro.lock']).stdout).toMatch(/^files 2$/m);
    expect(r.git(['status', '--porcelain']).stdout).toBe('');
  });

  it('a commit whose only change is data says so in one line, and repeating it works', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x.bin', 'v1');
    r.commit('first');
    const before = r.head();
    r.write('data/x.bin', 'v2');
    const first = r.git(['commit', '-m', 'data'], { ok: [1] });
    expect(first.stderr).toMatch(/gitrepro: data changed and gitrepro.lock is now staged; if git says "nothing to commit", repeat the commit/);
    expect(r.head()).toBe(before);
    r.git(['commit', '-q', '-m', 'data']);
    expect(r.head()).not.toBe(before);
    expect(r.grJson(['ls-files']).files[0].sha256).toBe(createHash('sha256').update('v2').digest('hex'));
  });

  it('gitrepro status reports added, modified and deleted data against HEAD', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/keep', 'k');
    r.write('data/mod', 'm1');
    r.write('data/del', 'd');
    r.commit('first');
    expect(r.grJson(['status']).clean).toBe(true);
    r.write('data/mod', 'm2');
    r.write('data/add', 'a');
    rmSync(r.path('data/del'));
    const s = r.grJson(['status']);
    expect([s.added, s.modified, s.deleted, s.clean]).toEqual([['data/add'], ['data/mod'], ['data/del'], false]);
    expect(r.gr(['status']).stdout).toMatch(/modified: data\/mod/);
  });
});

describe('tracked data never enters git', () => {
  it('refuses a commit that stages a tracked path', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/secret.bin', 'x');
    r.commit('first');
    r.write('data/other.bin', 'y');
    r.git(['add', '-f', 'data/other.bin']);
    const res = r.git(['commit', '-m', 'oops'], { ok: [1] });
    expect(res.stderr).toMatch(/data\/other\.bin is tracked data and must not be committed to git; unstage it with: git rm --cached -- 'data\/other\.bin'/);
    expect(r.git(['log', '--format=%s']).stdout.trim().split('\n')).toEqual(['first']);
  });

  it('refuses an untracked file over policy.maxGitFileSize, naming the file and the fix', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('gitrepro.yaml', 'version: 1\ntrack: [data/]\npolicy:\n  maxGitFileSize: 1000\n');
    r.commit('config');
    r.write('big.bin', Buffer.alloc(2000, 7));
    r.git(['add', 'big.bin']);
    const res = r.git(['commit', '-m', 'big'], { ok: [1] });
    expect(res.stderr).toMatch(/big\.bin is 2000 bytes, over policy\.maxGitFileSize \(1000\); track it as data: gitrepro track 'big\.bin'/);
    r.write('small.txt', 'fine');
    r.git(['rm', '-q', '--cached', 'big.bin']);
    r.git(['add', 'small.txt']);
    r.git(['commit', '-q', '-m', 'small']);
  });
});

describe('--no-verify', () => {
  it('post-commit warns that data changes were not committed, and the record says so', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'v1');
    r.commit('one');
    r.write('data/x', 'v2 not committed');
    r.write('code.py', 'print(1)\n');
    r.git(['add', 'code.py']);
    const res = r.git(['commit', '--no-verify', '-m', 'skip pre-commit']);
    expect(res.stderr).toMatch(/this commit skipped the pre-commit hook and the work tree holds data changes it does not record; run `gitrepro add` and commit again/);
    const rec = r.record();
    expect(rec.dataNotCommitted).toBe(true);
    expect(rec.data.tree).toBe(r.record('HEAD~1').data.tree);
  });
});

describe('a big add', () => {
  /** The same data in two repos: `big` adds it at once (pointer blobs sent early), `small` in parts below the threshold. */
  function scene(r: TestRepo, parts: number[][]): void {
    r.write('data/keep.txt', 'keep\n');
    r.write('data/gone.txt', 'gone\n');
    r.write('data/run.sh', '#!/bin/sh\necho 1\n', 0o755);
    r.commit('base');
    for (const part of parts) {
      for (const i of part) r.write(`data/many/d${i % 7}/f${i}`, `v${i % 1500}\n`);
      if (part === parts[parts.length - 1]) {
        rmSync(r.path('data/gone.txt'));
        r.write('data/run.sh', '#!/bin/sh\necho 2\n', 0o755);
      }
      r.gr(['add']);
    }
    r.git(['commit', '-q', '-m', 'many']);
  }

  it('sends its pointer blobs to git while it reads: the snapshot is the one written without them', () => {
    const all = Array.from({ length: 2100 }, (_, i) => i);
    const big = TestRepo.init({ track: ['data/'] });
    big.write('data/keep.txt', 'keep\n');
    big.write('data/gone.txt', 'gone\n');
    big.write('data/run.sh', '#!/bin/sh\necho 1\n', 0o755);
    big.commit('base');
    for (const i of all) big.write(`data/many/d${i % 7}/f${i}`, `v${i % 1500}\n`);
    rmSync(big.path('data/gone.txt'));
    big.write('data/run.sh', '#!/bin/sh\necho 2\n', 0o755);
    const res = big.gr(['add'], { env: { GITREPRO_TRACE: '1' } });
    // 1,500 distinct contents among the 2,100 new files, and the new run.sh: each pointer once
    expect(res.stderr).toMatch(/pointer blobs sent to git while reading: 1501\n/);
    big.git(['commit', '-q', '-m', 'many']);
    const small = TestRepo.init({ track: ['data/'] });
    scene(small, [all.slice(0, 1000), all.slice(1000)]);
    expect(big.record().data.tree).toBe(small.record().data.tree);
    expect(big.git(['ls-tree', '-r', big.record().data.tree, 'data/run.sh']).stdout).toMatch(/^100755 blob /);
    expect(big.git(['fsck', '--no-dangling']).code).toBe(0);
    expect(readdirSync(big.gitDir()).filter((n) => n.startsWith('fast_import_crash'))).toEqual([]);
  });

  it('that finds nothing changed writes no snapshot, and the blobs it sent leave the repository sound', () => {
    const r = TestRepo.init({ track: ['data/'] });
    scene(r, [Array.from({ length: 2100 }, (_, i) => i)]);
    const before = r.git(['rev-parse', 'refs/gitrepro/snapshots']).stdout.trim();
    const tree = r.record().data.tree;
    // every file's times change, none of its bytes: the stamp scan reads and hashes them all
    const later = new Date(Date.now() + 5000);
    for (let i = 0; i < 2100; i++) utimesSync(r.path(`data/many/d${i % 7}/f${i}`), later, later);
    const res = r.gr(['add'], { env: { GITREPRO_TRACE: '1' } });
    expect(res.stderr).toMatch(/pointer blobs sent to git while reading: 1500\n/);
    expect(res.stderr).toMatch(/compared with the staged snapshot: 0 difference\(s\)/);
    expect(r.git(['rev-parse', 'refs/gitrepro/snapshots']).stdout.trim()).toBe(before);
    expect(r.git(['status', '--porcelain']).stdout).toBe('');
    r.write('data/keep.txt', 'changed\n');
    r.gr(['add']);
    r.git(['commit', '-q', '-m', 'one more']);
    expect(r.record().data.tree).not.toBe(tree);
    expect(r.git(['fsck', '--no-dangling']).code).toBe(0);
    expect(readdirSync(r.gitDir()).filter((n) => n.startsWith('fast_import_crash'))).toEqual([]);
  });
});
