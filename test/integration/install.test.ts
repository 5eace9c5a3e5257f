import { readFileSync, statSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/repo.js';

describe('install and uninstall', () => {
  it('installs hooks, git config and gitrepro.yaml; idempotent', () => {
    const r = TestRepo.init({ install: false });
    r.gr(['install']);
    const hooks = path.join(r.gitDir(), 'hooks');
    for (const h of ['pre-commit', 'post-commit', 'post-checkout', 'post-merge', 'post-rewrite', 'pre-push']) {
      expect(readFileSync(path.join(hooks, h), 'utf8')).toMatch(/gitrepro hook shim v1/);
      expect(statSync(path.join(hooks, h)).mode & 0o111).toBe(0o111);
    }
    expect(r.git(['config', '--get-all', 'notes.rewriteRef']).stdout.trim()).toBe('refs/notes/gitrepro');
    expect(r.git(['config', 'notes.rewriteMode']).stdout.trim()).toBe('overwrite');
    expect(r.git(['config', 'merge.gitrepro.driver']).stdout).toMatch(/merge-driver %O %A %B %P/);
    expect(r.read('.gitattributes').toString()).toMatch(/^gitrepro\.lock merge=gitrepro$/m);
    expect(r.exists('gitrepro.yaml')).toBe(true);
    const snapshot = (f: string) => readFileSync(path.join(hooks, f), 'utf8');
    const before = snapshot('pre-commit');
    r.gr(['install']);
    expect(snapshot('pre-commit')).toBe(before);
    expect(r.git(['config', '--get-all', 'notes.rewriteRef']).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('chains a hook that was already there (it still runs, with its args) and uninstall puts it back byte-identical', () => {
    const r = TestRepo.init({ install: false });
    const hooks = path.join(r.gitDir(), 'hooks');
    const foreign = '#!/bin/sh\n# a team hook\necho "team post-checkout $3" >> "$(git rev-parse --git-dir)/team.log"\n';
    writeFileSync(path.join(hooks, 'post-checkout'), foreign);
    chmodSync(path.join(hooks, 'post-checkout'), 0o750);
    const bash = '#!/usr/bin/env bash\necho "team pre-commit" >> "$(git rev-parse --git-dir)/team.log"\n';
    writeFileSync(path.join(hooks, 'pre-commit'), bash);
    chmodSync(path.join(hooks, 'pre-commit'), 0o755);
    const out = r.gr(['install']).stdout;
    expect(out).toMatch(/existing hooks kept and chained: pre-commit, post-checkout/);
    r.gr(['track', 'data/']);
    r.write('data/x', 'x');
    r.commit('one');
    r.git(['checkout', '-q', '-b', 'other']);
    const log = readFileSync(path.join(r.gitDir(), 'team.log'), 'utf8');
    expect(log).toContain('team pre-commit');
    expect(log).toContain('team post-checkout 1');
    expect(r.record().schema).toBe('gitrepro.record/v1'); // gitrepro ran too
    r.gr(['uninstall']);
    r.gr(['uninstall']);
    expect(readFileSync(path.join(hooks, 'post-checkout'), 'utf8')).toBe(foreign);
    expect(statSync(path.join(hooks, 'post-checkout')).mode & 0o777).toBe(0o750);
    expect(readFileSync(path.join(hooks, 'pre-commit'), 'utf8')).toBe(bash);
    expect(existsSync(path.join(hooks, 'post-commit'))).toBe(false);
    expect(r.git(['config', '--get-all', 'notes.rewriteRef'], { ok: [1] }).code).toBe(1);
  });

  it('GITREPRO_SKIP=1 skips every gitrepro hook', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'x');
    r.commit('one');
    r.write('data/x', 'y');
    r.write('code.txt', 'c');
    r.git(['add', 'code.txt']);
    r.git(['commit', '-q', '-m', 'skipped'], { env: { GITREPRO_SKIP: '1' } });
    expect(r.git(['show', '--name-only', '--format=', 'HEAD']).stdout.trim()).toBe('code.txt');
    r.git(['checkout', '-q', 'HEAD~1'], { env: { GITREPRO_SKIP: '1' } });
    expect(r.read('data/x').toString()).toBe('y');
    r.gr(['log']); // completes deferred records
    expect(r.git(['notes', '--ref=gitrepro', 'list']).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a hook exits 0 when gitrepro is not set up in the repository', () => {
    const r = TestRepo.init({ install: false });
    r.write('a', 'a');
    r.git(['add', 'a']);
    r.git(['commit', '-q', '-m', 'a']);
    const res = r.gr(['hook', 'post-checkout', '0000', r.head(), '1']);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
  });
});
