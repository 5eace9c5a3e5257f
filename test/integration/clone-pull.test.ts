/**
 * Issue 3, behaviour 2: clone and pull bring data (real git, a bare origin, a directory store
 * remote). Also `gitrepro fetch` and `gitrepro pull`. Stories on one origin each, to stay quick.
 */
import { existsSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cloneOf, project, refsIn } from '../helpers/remote.js';
import { sha256 } from '../helpers/repo.js';

function published() {
  const { r, bare, store } = project();
  r.write('data/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  r.write('data/empty', '');
  r.write('data/deep/er/file.txt', 'nested\n');
  r.write('data/with space/ünï.csv', 'x,y\n1,2\n');
  r.write('data/big.bin', Buffer.alloc(300_000, 5));
  r.commit('v1');
  r.git(['push', '-q', '-u', 'origin', 'main']);
  return { r, bare, store };
}

describe('clone, install, pull', () => {
  it('after a clone, status does not read the files the restore wrote into directories it made whole, and still sees every edit made since', () => {
    const { r, bare } = project();
    for (let d = 0; d < 3; d++) for (let i = 0; i < 40; i++) r.write(`data/d${d}/f${i}.bin`, `file ${d}/${i}\n`);
    r.write('data/top.txt', 'at the top of data/\n'); // data/ holds directories: not made whole
    r.commit('v1');
    r.git(['push', '-q', '-u', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
    const traced = c.gr(['status', '--json'], { env: { GITREPRO_TRACE: '1' } });
    expect(JSON.parse(traced.stdout).clean).toBe(true);
    // the probe names every file written since the stamp; only the one outside those directories is read
    expect(traced.stderr).toMatch(/probe: 1 file\(s\) to read, 0 gone/);
    // an edit of the same size with its old mtime put back, a deletion, a new file: all seen
    const old = c.path('data/d1/f7.bin');
    c.write('data/d1/f7.bin', 'FILE 1/7\n');
    utimesSync(old, new Date('2020-01-01'), new Date('2020-01-01'));
    rmSync(c.path('data/d2/f3.bin'));
    c.write('data/d0/new.bin', 'new\n');
    const s = c.grJson(['status']);
    expect({ added: s.added, modified: s.modified, deleted: s.deleted }).toEqual({ added: ['data/d0/new.bin'], modified: ['data/d1/f7.bin'], deleted: ['data/d2/f3.bin'] });
    c.commit('edits');
    expect(c.grJson(['status']).clean).toBe(true);
    expect(c.record().data).toBeDefined();
    c.git(['checkout', '-q', 'HEAD~1']);
    expect(c.read('data/d1/f7.bin').toString()).toBe('file 1/7\n');
    expect(c.grJson(['status']).clean).toBe(true);
  });

  it('after a clone, a restored directory moved to another restored directory\'s name is read: its files are not taken for that one\'s', () => {
    const { r, bare } = project();
    for (let d = 0; d < 2; d++) for (let i = 0; i < 30; i++) r.write(`data/d${d}/f${i}.bin`, `file ${d}/${i}\n`);
    r.write('data/top.txt', 'top\n');
    r.commit('v1');
    r.git(['push', '-q', '-u', 'origin', 'main']);
    const c = cloneOf(r, bare, 'clone');
    // d1 was put in place after d0: its files' ctimes are older than d0's stamp
    rmSync(c.path('data/d0'), { recursive: true });
    renameSync(c.path('data/d1'), c.path('data/d0'));
    const s = c.grJson(['status']);
    expect(s.modified).toEqual(Array.from({ length: 30 }, (_, i) => `data/d0/f${i}.bin`).sort());
    expect(s.deleted).toEqual(Array.from({ length: 30 }, (_, i) => `data/d1/f${i}.bin`).sort());
    expect(s.added).toEqual([]);
  });


  it('install restores HEAD byte-identical; git pull (plain, and with an explicit refspec) restores new commits, fetching objects and records', () => {
    const { r, bare } = published();
    const c = cloneOf(r, bare, 'clone');
    expect(c.manifest()).toEqual(r.manifest());
    expect(c.record().data).toEqual(r.record().data);
    expect(c.grJson(['status']).clean).toBe(true);
    // plain `git fetch` brings the records from now on (install configured the refspecs)
    expect(c.git(['config', '--get-all', 'remote.origin.fetch']).stdout).toMatch(/\+refs\/notes\/gitrepro\*:refs\/notes\/gitrepro-remotes\/origin\*/);

    r.write('data/deep/er/file.txt', 'nested v2\n');
    r.write('data/new.bin', Buffer.alloc(70_000, 8));
    rmSync(r.path('data/empty'));
    r.commit('v2');
    r.git(['push', '-q', 'origin', 'main']);
    c.git(['pull', '-q']);
    expect(c.manifest()).toEqual(r.manifest());
    expect(sha256(c.read('data/new.bin'))).toBe(sha256(Buffer.alloc(70_000, 8)));
    expect(c.record().data).toEqual(r.record().data); // the records came along and were merged

    // `git pull origin main` fetches no records: the hook fetches them itself before restoring
    r.write('data/v3.txt', 'three\n');
    r.commit('v3');
    r.git(['push', '-q', 'origin', 'main']);
    c.git(['pull', '-q', 'origin', 'main']);
    expect(c.manifest()).toEqual(r.manifest());
  });

  it('without a reachable store remote the pull still succeeds, names the data, and `gitrepro pull` finishes it', () => {
    const { r, bare, store } = published();
    const c = cloneOf(r, bare, 'clone');
    r.write('data/v2.bin', Buffer.alloc(1000, 2));
    r.commit('v2');
    r.git(['push', '-q', 'origin', 'main']);
    c.git(['config', 'gitrepro.remote.store.url', `${store}-elsewhere`]); // per-clone override: a wrong copy
    const res = c.git(['pull', '-q']);
    expect(res.stderr).toMatch(/could not fetch data: data object \w+ is not on store remote "store"/);
    expect(res.stderr).toMatch(/1 data file\(s\) not restored.*data\/v2\.bin.*run `gitrepro pull`/);
    expect(c.exists('data/v2.bin')).toBe(false);
    c.git(['config', '--unset', 'gitrepro.remote.store.url']);
    expect(c.gr(['pull']).stdout).toMatch(/fetched 1 object\(s\)/);
    expect(c.manifest()).toEqual(r.manifest());
    // and after losing a file and its object: pull brings both back
    rmSync(c.path('data/big.bin'));
    rmSync(c.objectPath(sha256(Buffer.alloc(300_000, 5))));
    expect(c.gr(['pull']).stdout).toMatch(/fetched 1 object\(s\)/);
    expect(c.manifest()).toEqual(r.manifest());
  });

  it('gitrepro fetch downloads what HEAD, named revisions or --all need, without touching the work tree', () => {
    const { r, bare } = published();
    r.git(['switch', '-q', '-c', 'side']);
    r.write('data/side.bin', Buffer.alloc(4000, 4));
    r.commit('side');
    r.git(['push', '-q', 'origin', 'side']);
    const c = cloneOf(r, bare, 'clone');
    const side = sha256(Buffer.alloc(4000, 4));
    expect(existsSync(c.objectPath(side))).toBe(false);
    const f = c.grJson(['fetch', 'origin/side']);
    expect(f.fetched).toEqual([side]);
    expect(existsSync(c.objectPath(side))).toBe(true);
    expect(c.exists('data/side.bin')).toBe(false);
    expect(c.grJson(['fetch', '--all']).fetched).toEqual([]);
    expect(c.gr(['fetch', 'store', 'HEAD']).stdout).toMatch(/all \d+ object\(s\) of 1 commit\(s\) are in the local store/);
    expect(c.gr(['fetch', 'nope-remote-or-rev'], { ok: [2] }).stderr).toMatch(/^error \[GITREPRO_BAD_REVISION\]/);
  });

  it('a plain git fetch / git pull still works against a remote that has no records', () => {
    const { r, bare } = project();
    r.write('code.py', '1\n');
    r.git(['add', '-A']);
    r.git(['commit', '-q', '-m', 'code'], { env: { GITREPRO_SKIP: '1' } });
    r.git(['push', '-q', 'origin', 'main'], { env: { GITREPRO_SKIP: '1' } });
    const c = cloneOf(r, bare, 'clone');
    c.git(['fetch', '-q']);
    c.git(['pull', '-q']);
    expect(refsIn(bare, r.env).has('refs/notes/gitrepro')).toBe(false);
    // uninstall takes the record refspecs away again, and only those
    c.gr(['uninstall']);
    expect(c.git(['config', '--get-all', 'remote.origin.fetch']).stdout).toBe('+refs/heads/*:refs/remotes/origin/*\n');
  });
});
