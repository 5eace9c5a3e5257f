/**
 * revListBlobs (git/revs.ts): the blobs of snapshot trees, with git ≥ 2.32's
 * `--filter=object:type=blob`, and on an older git (README: git ≥ 2.31), which refuses the filter,
 * by a type check of every listed object. The older git is played by a wrapper first on PATH that
 * refuses the filter as git 2.31 does and runs the real git otherwise.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { revListBlobs } from '../../src/git/revs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gr-revlist-'));
const oldPath = process.env.PATH;
afterAll(() => {
  process.env.PATH = oldPath;
  rmSync(dir, { recursive: true, force: true });
});

const repo = path.join(dir, 'r');
const g = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
execFileSync('git', ['init', '-q', repo]);
mkdirSync(path.join(repo, 'a', 'b'), { recursive: true });
writeFileSync(path.join(repo, 'a', 'b', 'x'), 'x\n');
writeFileSync(path.join(repo, 'a', 'y'), 'y\n');
writeFileSync(path.join(repo, 'z'), 'z\n');
g('add', '-A');
const tree = g('write-tree');
const blobs = g('ls-tree', '-r', tree)
  .split('\n')
  .map((l) => [l.split(/\s+/)[2]!, l.split('\t')[1]!] as [string, string]);

describe('revListBlobs', () => {
  it('lists the blobs with their paths (the tree asked about may be listed too), on this git and on one that refuses the filter', async () => {
    const onThis = (await revListBlobs(repo, [tree])).filter(([oid]) => oid !== tree);
    expect(onThis.sort()).toEqual([...blobs].sort());

    const wrap = path.join(dir, 'bin');
    mkdirSync(wrap);
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const log = path.join(dir, 'calls.log');
    writeFileSync(path.join(wrap, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nfor a in "$@"; do case "$a" in --filter=*) echo "fatal: invalid filter-spec '\${a#--filter=}'" >&2; exit 128;; esac; done\nexec ${real} "$@"\n`);
    chmodSync(path.join(wrap, 'git'), 0o755);
    process.env.PATH = `${wrap}:${oldPath}`;
    const old = await revListBlobs(repo, [tree]);
    expect(old.sort()).toEqual([...blobs].sort());
    // the filter was refused, then the types were checked
    const calls = readFileSync(log, 'utf8');
    expect(calls).toMatch(/rev-list --objects --filter=object:type=blob/);
    expect(calls).toMatch(/cat-file --batch-check=%\(objecttype\)/);
  });
});
