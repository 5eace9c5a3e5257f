import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sha256, TestRepo } from '../helpers/repo.js';

function lockTree(r: TestRepo, rev = 'HEAD'): string {
  return /^tree ([0-9a-f]+)$/m.exec(r.git(['show', `${rev}:gitrepro.lock`]).stdout)![1];
}

/** base: a, b; feature changes b and adds f; main changes a and adds m (different paths). */
function diverged(conflict = false) {
  const r = TestRepo.init({ track: ['data/'] });
  r.write('data/a.txt', 'a0');
  r.write('data/b.txt', 'b0');
  r.commit('base');
  r.git(['switch', '-q', '-c', 'feature']);
  r.write('data/b.txt', 'b-feature');
  r.write('data/f.txt', 'feature only');
  if (conflict) r.write('data/a.txt', 'a-feature');
  r.commit('feature');
  r.git(['switch', '-q', 'main']);
  r.write('data/a.txt', 'a-main');
  r.write('data/m.txt', 'main only');
  r.commit('main');
  return r;
}

describe('merges combine data', () => {
  it('git merge gives a merge commit whose snapshot holds both sides, restored and recorded', () => {
    const r = diverged();
    r.git(['merge', '-q', '--no-edit', 'feature']);
    expect(r.git(['rev-list', '--parents', '-n', '1', 'HEAD']).stdout.trim().split(' ')).toHaveLength(3);
    expect(r.manifest()).toEqual({
      'data/a.txt': sha256('a-main'),
      'data/b.txt': sha256('b-feature'),
      'data/f.txt': sha256('feature only'),
      'data/m.txt': sha256('main only'),
    });
    const rec = r.record();
    expect(rec.data.tree).toBe(lockTree(r));
    expect(rec.data.files).toBe(4);
    expect(r.grJson(['status']).clean).toBe(true);
    expect(r.git(['status', '--porcelain']).stdout).toBe('');
  });

  it('a path both sides changed stops the merge, names it and the fix; resolve picks a side; nothing is lost', () => {
    const r = diverged(true);
    const res = r.git(['merge', '--no-edit', 'feature'], { ok: [1] });
    expect(res.stderr).toMatch(/data conflict in 1 path\(s\) changed differently on both sides/);
    expect(res.stderr).toMatch(/gitrepro:\s+data\/a\.txt/);
    expect(res.stderr).toMatch(/gitrepro resolve <path> --ours\|--theirs/);
    const st = r.grJson(['status']);
    expect(st.conflicts.paths).toEqual(['data/a.txt']);
    expect(r.gr(['status']).stdout).toMatch(/both changed: data\/a\.txt/);
    expect(r.read('data/a.txt').toString()).toBe('a-main'); // ours is untouched until resolved
    r.gr(['resolve', 'data/a.txt', '--theirs']);
    expect(r.read('data/a.txt').toString()).toBe('a-feature');
    expect(r.read('data/f.txt').toString()).toBe('feature only');
    r.git(['commit', '-q', '--no-edit']);
    expect(r.record().data.tree).toBe(lockTree(r));
    expect(r.grJson(['ls-files']).files.map((f: any) => f.path)).toEqual(['data/a.txt', 'data/b.txt', 'data/f.txt', 'data/m.txt']);
    // our losing version is still in the store
    expect(existsSync(r.objectPath(sha256('a-main')))).toBe(true);
  });

  it('a fast-forward merge restores the new data', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'x0');
    r.commit('base');
    r.git(['switch', '-q', '-c', 'next']);
    r.write('data/x', 'x1');
    r.write('data/y', 'y1');
    r.commit('next');
    r.git(['switch', '-q', 'main']);
    expect(r.exists('data/y')).toBe(false);
    r.git(['merge', '-q', '--ff-only', 'next']);
    expect(r.manifest()).toEqual({ 'data/x': sha256('x1'), 'data/y': sha256('y1') });
  });
});

describe('rewrites and picks carry data', () => {
  it('rebase -i with fixup keeps a valid lock and record on every commit, final data in the work tree', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/a', 'a');
    r.commit('a');
    r.write('data/b', 'b');
    r.commit('b');
    r.write('data/b', 'b fixed');
    r.commit('fixup! b');
    r.gr(['log']);
    r.git(['rebase', '-q', '-i', '--autosquash', 'HEAD~2'], { env: { GIT_SEQUENCE_EDITOR: 'true', GIT_EDITOR: 'true' } });
    expect(r.git(['log', '--format=%s']).stdout.trim().split('\n')).toEqual(['b', 'a']);
    r.gr(['log']);
    for (const c of ['HEAD', 'HEAD~1']) expect(r.record(c).data.tree).toBe(lockTree(r, c));
    expect(r.read('data/b').toString()).toBe('b fixed');
  });

  it('cherry-pick and revert of a data change apply it to the work tree and record it, without --allow-empty', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'x0');
    r.commit('base');
    r.git(['switch', '-q', '-c', 'other']);
    r.write('data/x', 'x-other');
    r.write('data/new', 'new');
    r.commit('data change');
    const pick = r.head();
    r.git(['switch', '-q', 'main']);
    r.git(['cherry-pick', pick]);
    expect(r.manifest()).toEqual({ 'data/x': sha256('x-other'), 'data/new': sha256('new') });
    expect(r.record().data.tree).toBe(lockTree(r));
    r.git(['revert', '--no-edit', 'HEAD']);
    expect(r.manifest()).toEqual({ 'data/x': sha256('x0') });
    expect(r.record().data.tree).toBe(lockTree(r));
    expect(r.grJson(['status']).clean).toBe(true);
  });
});

describe('commands that fire no hook', () => {
  it('reset --hard: status says what is out of step, restore puts it right, nothing modified is lost', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'v1');
    r.commit('one');
    r.write('data/x', 'v2');
    r.commit('two');
    r.write('data/x', 'unsaved edit');
    r.git(['reset', '-q', '--hard', 'HEAD~1']);
    expect(r.read('data/x').toString()).toBe('unsaved edit'); // git does not touch ignored data
    expect(r.grJson(['status']).modified).toEqual(['data/x']);
    const res = r.gr(['restore']);
    expect(res.stderr).toMatch(/saved your unsaved data\/x/);
    expect(r.read('data/x').toString()).toBe('v1');
    r.gr(['recover', '--', 'data/x']);
    expect(r.read('data/x').toString()).toBe('unsaved edit');
  });

  it('stash keeps the staged lock with the code; data stays; status and add put it right', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'v1');
    r.commit('one');
    r.write('data/x', 'v2');
    r.gr(['add']);
    r.git(['stash', '-q']);
    expect(r.git(['diff', '--cached', '--name-only']).stdout).toBe('');
    expect(r.read('data/x').toString()).toBe('v2');
    expect(r.grJson(['status']).modified).toEqual(['data/x']);
    r.git(['stash', 'pop', '-q', '--index']);
    expect(r.git(['diff', '--cached', '--name-only']).stdout.trim()).toBe('gitrepro.lock');
  });

  it('checkout <rev> -- gitrepro.lock is flagged by status; restore <rev> -- <path> restores data', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'v1');
    r.commit('one');
    r.write('data/x', 'v2');
    r.commit('two');
    r.git(['checkout', 'HEAD~1', '--', 'gitrepro.lock']);
    expect(r.grJson(['status']).lockModified).toBe(true);
    r.git(['checkout', 'HEAD', '--', 'gitrepro.lock']);
    r.gr(['restore', 'HEAD~1', '--', 'data/x']);
    expect(r.read('data/x').toString()).toBe('v1');
  });
});

describe('SHA-256 repositories', () => {
  it('work end to end and git fsck stays clean', () => {
    const r = TestRepo.init({ objectFormat: 'sha256', track: ['data/'] });
    r.write('data/a', 'a1');
    r.commit('one');
    r.write('data/a', 'a2');
    r.write('data/b', 'b');
    r.commit('two');
    expect(r.head()).toMatch(/^[0-9a-f]{64}$/);
    expect(r.record().data.tree).toMatch(/^[0-9a-f]{64}$/);
    r.git(['checkout', '-q', 'HEAD~1']);
    expect(r.manifest()).toEqual({ 'data/a': sha256('a1') });
    r.git(['switch', '-q', 'main']);
    expect(r.manifest()).toEqual({ 'data/a': sha256('a2'), 'data/b': sha256('b') });
    const fsck = r.git(['fsck', '--strict']);
    expect(fsck.stderr).not.toMatch(/error|corrupt|missing/i);
  });
});

describe('concurrent gitrepro processes', () => {
  it('a commit in one worktree and checkouts in another neither corrupt the store nor lose a note', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/a', 'a');
    r.commit('base');
    r.write('data/b', 'b');
    r.commit('second');
    const wt = `${r.dir}-wt`;
    r.git(['worktree', 'add', '-q', wt, 'HEAD~1']);
    const w = new TestRepo(wt, r.env);
    const script = (cmds: string) => new Promise<number>((res) => spawn('sh', ['-c', cmds], { env: r.env }).on('close', (c) => res(c ?? 1)));
    const commits = Array.from({ length: 6 }, (_, i) => `printf 'v${i}' > data/c && gitrepro add >/dev/null && git commit -q -m c${i}`).join(' && ');
    const flips = Array.from({ length: 6 }, () => `git checkout -q main~0 2>/dev/null; git checkout -q --detach HEAD~0`).join('; ');
    return Promise.all([script(`cd '${r.dir}' && git switch -q -c work && ${commits}`), script(`cd '${wt}' && ${flips}`)]).then(([a]) => {
      expect(a).toBe(0);
      r.gr(['log']);
      for (const c of r.git(['rev-list', 'work']).stdout.trim().split('\n')) {
        expect(JSON.parse(r.git(['notes', '--ref=gitrepro', 'show', c]).stdout).schema).toBe('gitrepro.record/v1');
      }
      // every stored object still hashes to its name
      const objects = readdirSync(path.join(r.gitDir(), 'gitrepro', 'objects'), { recursive: true }).map(String).filter((p) => /[0-9a-f]{64}$/.test(p));
      for (const o of objects) expect(sha256(readFileSync(path.join(r.gitDir(), 'gitrepro', 'objects', o)))).toBe(o.split('/').pop());
      expect(w.grJson(['status']).clean).toBe(true);
    });
  });

  it('a held lock makes the second process wait, then fail with a clear message', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/a', 'a');
    const holder = spawn('sleep', ['30']);
    writeFileSync(path.join(r.gitDir(), 'gitrepro', 'lock'), `${holder.pid} ${hostname()}\n`);
    try {
      const res = r.gr(['add'], { ok: [2], env: { GITREPRO_LOCK_TIMEOUT: '1' } });
      expect(res.stderr).toMatch(new RegExp(`^error \\[GITREPRO_LOCKED\\]: the repository is locked by process ${holder.pid} \\(waited 1 s to add data\\)`));
      expect(res.stderr).toMatch(/hint: wait for it to finish; if no gitrepro process is running, remove /);
    } finally {
      holder.kill();
    }
  });
});
